"""Which of the user's formulas lose their saved results when `run` replaces its sheets
(engine/costsheet/workbook/ooxml/stale_results.py), on worksheet XML written as Excel writes it.

LibreOffice, with its default settings, recalculates on load only a formula cell that has no
saved result (tests/test_recalc_on_open.py shows it on a real run); so every formula that reads
a replaced sheet, directly, through a defined name or a table, or through another formula on
any sheet, must lose it, and no other formula may.
"""

from __future__ import annotations

import re

import pytest
from costsheet.workbook.ooxml.formula_refs import FormulaContext
from costsheet.workbook.ooxml.stale_results import SheetXml, clear_results, find_stale

HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
TAIL = "</sheetData></worksheet>"


def _sheet(name: str, cells: dict[str, str]) -> SheetXml:
    """A worksheet part: ``{"B1": "Summary!B11"}`` a formula with a saved number, ``"=7"`` a
    plain number, ``"<f .../>..."`` raw cell content."""
    xml = []
    for ref, content in cells.items():
        if content.startswith("="):
            xml.append(f'<c r="{ref}"><v>{content[1:]}</v></c>')
        elif content.startswith("<"):
            xml.append(f'<c r="{ref}" s="2">{content}</c>')
        else:
            xml.append(f'<c r="{ref}" s="1" t="str"><f>{content}</f><v>old</v></c>')
    sheet = SheetXml.read(name, (HEAD + "".join(xml) + TAIL).encode("utf-8"))
    assert sheet is not None
    return sheet


def _stale(*sheets: SheetXml, names: dict[tuple[str | None, str], str] | None = None,
           tables: dict | None = None, order: list[str] | None = None) -> set[str]:
    by_key = {s.key: s for s in sheets}
    order = order or [*by_key, "summary", "line items"]
    ctx = FormulaContext([order], names or {}, tables or {})
    return set(find_stale(by_key, {"summary", "line items"}, ctx).addresses(by_key))


@pytest.mark.parametrize("formula", [
    "Summary!B11", "summary!$B$11", "'Line items'!C3", "SUM(Summary!B6:B10)",
    "SUM('Line items'!C:C)", "SUM(Board:Summary!A1)", "IF(A9>0,Summary!B11,0)",
    "INDIRECT(\"Summary!B11\")", "_xlfn.XLOOKUP(1,Summary!A:A,Summary!B:B)",
])
def test_a_formula_reading_a_replaced_sheet_loses_its_result(formula: str) -> None:
    assert _stale(_sheet("Board", {"B1": formula})) == {"Board!B1"}


@pytest.mark.parametrize("formula", [
    "A1*2", '"Summary!B11"', "[1]Summary!B11", "SummaryTotal", "SUM(Board!A1:A9)",
    "LOG10(A1)", "'Summary old'!B11",
])
def test_a_formula_reading_none_keeps_its_result(formula: str) -> None:
    assert _stale(_sheet("Board", {"A1": "=3", "B1": formula})) == set()


def test_through_names_tables_and_other_formulas_on_any_sheet() -> None:
    board = _sheet("Board", {
        "A1": "Summary!B11",  # direct
        "A2": "A1*2",  # on this sheet, no sheet prefix
        "A3": "BudgetTotal",  # a global name on Summary
        "A4": "Local+1",  # a name scoped to Board, on Board!A1
        "A5": "SUM(A6:A7)",  # a range holding Board!A7, which reads 'Board notes'!B2
        "A6": "=5",
        "A7": "'Board notes'!B2",
        "A8": "A6*2+Kept",  # reads nothing stale
        "A9": "SUM(Costs[Total])",  # a table on 'Board notes' whose range holds B2
    })
    notes = _sheet("Board notes", {"B2": "Board!A2/12", "B3": "=1"})
    names = {(None, "budgettotal"): "Summary!$B$11", ("board", "local"): "$A$1",
             (None, "kept"): "Board!$A$6"}
    tables = {"costs": ("board notes", 1, 1, 3, 2)}
    found = _stale(board, notes, names=names, tables=tables)
    assert found == {"Board!A1", "Board!A2", "Board!A3", "Board!A4", "Board!A5", "Board!A7",
                     "Board!A9", "'Board notes'!B2"}


def test_a_shared_formula_is_one_whole_group() -> None:
    # B1:B5 share A1*2 (B2 reads A2, ...): A3 reads Summary, so the whole group goes
    group = {f"B{r}": ('<f t="shared" ref="B1:B5" si="0">A1*2</f><v>1</v>' if r == 1 else
                       '<f t="shared" si="0"/><v>1</v>') for r in range(1, 6)}
    other = {f"C{r}": ('<f t="shared" ref="C1:C2" si="1">A1+1</f><v>1</v>' if r == 1 else
                       '<f t="shared" si="1"/><v>1</v>') for r in range(1, 3)}
    sheet = _sheet("Board", {"A1": "=1", "A2": "=1", "A3": "Summary!B11", **group, **other,
                             "D1": "B5+1"})
    assert _stale(sheet) == {"Board!A3", *(f"Board!B{r}" for r in range(1, 6)), "Board!D1"}


def test_an_array_formula_loses_every_result_of_its_range() -> None:
    sheet = _sheet("Board", {
        "A1": '<f t="array" ref="A1:A3">Summary!B6:B8*2</f><v>1</v>',
        "A2": "<v>2</v>", "A3": "<v>3</v>", "B3": "A3+1", "C1": "=9"})
    stale = find_stale({"board": sheet}, {"summary"}, FormulaContext([["board"]], {}, {}))
    assert {f"{c.row},{c.col}" for c in stale.cells["board"]} == {"1,1", "3,2"}
    xml = clear_results(sheet, stale.cells["board"], stale.arrays["board"]).decode("utf-8")
    cells = dict(re.findall(r'<c r="(\w+)"[^>]*>(.*?)</c>', xml))
    assert cells == {"A1": '<f t="array" ref="A1:A3">Summary!B6:B8*2</f>', "A2": "",
                     "A3": "", "B3": "<f>A3+1</f>", "C1": "<v>9</v>"}


def test_clearing_keeps_the_formula_and_every_other_byte() -> None:
    sheet = _sheet("Board", {"A1": "Summary!B11", "A2": "A9*2",
                             "A3": '<f aca="false">Summary!B1</f><v>1.5</v>'})
    stale = find_stale({"board": sheet}, {"summary"}, FormulaContext([["board"]], {}, {}))
    before = sheet.doc.encode().decode("utf-8")
    after = clear_results(sheet, stale.cells["board"], []).decode("utf-8")
    assert after == before.replace(
        '<c r="A1" s="1" t="str"><f>Summary!B11</f><v>old</v></c>',
        '<c r="A1" s="1"><f>Summary!B11</f></c>').replace(
        '<c r="A3" s="2"><f aca="false">Summary!B1</f><v>1.5</v></c>',
        '<c r="A3" s="2"><f aca="false">Summary!B1</f></c>')
    assert after != before


def test_a_sheet_without_formulas_is_not_read() -> None:
    assert SheetXml.read("Plain", (HEAD + '<c r="A1"><v>1</v></c>' + TAIL).encode()) is None


def test_a_long_chain_is_followed_to_its_end() -> None:
    n = 3000
    cells = {"A1": "Summary!B11", **{f"A{r}": f"A{r - 1}+1" for r in range(2, n + 1)},
             **{f"B{r}": f"SUM(A$1:A{r})" for r in range(1, n + 1)}}
    assert len(_stale(_sheet("Board", cells))) == 2 * n
