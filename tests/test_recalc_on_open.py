"""Nothing stale: after a run, the user's own formulas, defined names and charts that read the
results show the new numbers.

The user's workbook is written by XlsxWriter (a board-pack sheet with ``=Summary!B11``, a
formula through a defined name, a formula on that formula and a chart of Summary's cells), takes
costsheet's input sheets, runs, is saved by LibreOffice (so its formulas hold cached results, as
any saved workbook does), gets a new price typed in, and runs again. Then LibreOffice opens it
both with its own default settings and set to recalculate: both show the new numbers.

What each spreadsheet does (LibreOffice's filter source, sc/source/filter/oox:
``WorkbookSettings::importCalcPr`` never reads ``fullCalcOnLoad``; ``recalcFormulaCells``
recalculates on load only when the user's setting says "Always"):

* Excel recalculates every formula on open: the run sets ``calcPr fullCalcOnLoad="1"``;
* LibreOffice draws charts from the cells, so the chart shows the new numbers either way;
* LibreOffice with its default setting recalculates only a formula cell with no saved result,
  so the run drops the saved result of every formula of the user's that reads its sheets,
  directly, through a name or through another formula (on any sheet), and keeps the formula:
  the only edit it makes to the cells of a user's sheet (tests/support/user_parts.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from support.hostile import sheet_part
from support.libreoffice import convert_sheet_csvs, require_soffice, save_as_xlsx
from support.ooxml_check import calamine_sheets, introduced
from support.user_parts import changes

TRIALS = "300"


def _board_workbook(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Board")
    ws.write("A1", "Training total")
    ws.write_formula("B1", "=Summary!B11")
    book.define_name("BudgetTotal", "=Summary!$B$11")
    ws.write("A2", "Through a name")
    ws.write_formula("B2", "=BudgetTotal")
    ws.write("A3", "Per month")
    ws.write_formula("B3", "=B1/12")
    for row in range(1, 4):  # a column of formulas on those
        ws.write_formula(f"C{row}", f"=B{row}*2")
    ws.write_formula("E1", "=1+1")  # reads nothing of costsheet's: keeps its saved result
    pack = book.add_worksheet("Pack")
    pack.write_formula("A1", "=Board!B3*2")  # on another sheet, through Board!B3
    pack.write_formula("A2", "=Board!E1")
    chart = book.add_chart({"type": "column"})
    chart.add_series({"name": "Cost by family", "categories": "=Summary!$A$6:$A$10",
                      "values": "=Summary!$B$6:$B$10"})
    ws.insert_chart("D2", chart)
    with pytest.warns(UserWarning, match="Unknown worksheet reference 'Summary'"):
        book.close()  # the Summary sheet comes with costsheet's first run


def _set_number(path: Path, sheet: str, ref: str, old: str, new: str) -> None:
    """Type ``new`` over the number ``old`` in ``sheet!ref``, as a spreadsheet saves it."""
    data = path.read_bytes()
    part = sheet_part(data, sheet)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        parts = {i.filename: zf.read(i) for i in infos}
    xml = parts[part].decode("utf-8")
    pat = re.compile(r'(<c r="' + ref + r'"[^>]*>\s*<v>)' + re.escape(old) + r"(</v>)")
    assert pat.search(xml), f"{sheet}!{ref} does not hold {old}"
    parts[part] = pat.sub(lambda m: m.group(1) + new + m.group(2), xml, count=1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info, parts[info.filename])


def _summary(path: Path) -> list[float]:
    ws = openpyxl.load_workbook(path, read_only=True, data_only=True)["Summary"]
    return [float(ws.cell(r, 2).value) for r in range(6, 12)]  # families B6:B10, total B11


def _chart_values(path: Path, ref: str) -> list[float]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if "charts/chart" not in name:
                continue
            xml = zf.read(name).decode("utf-8")
            for series in re.findall(r"<c:val>.*?</c:val>", xml, re.S):
                if ref in series.replace("'", "").replace("$", ""):
                    return [float(v) for v in re.findall(r"<c:v>([^<]*)</c:v>", series)]
    raise AssertionError(f"no chart series reads {ref}")


def test_user_formulas_names_and_charts_after_a_run(tmp_path: Path) -> None:
    require_soffice()
    path = tmp_path / "team.xlsx"
    _board_workbook(path)
    runner = CliRunner()
    assert runner.invoke(main, ["new", "--into", str(path), "--example"]).exit_code == 0
    res = runner.invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    first = _summary(path)

    # the user opens the workbook and saves it: every formula now holds a cached result
    saved = save_as_xlsx(path, tmp_path / "saved", recalc=True)
    board = openpyxl.load_workbook(saved, data_only=True)["Board"]
    assert [board["B1"].value, board["B2"].value] == pytest.approx([first[5]] * 2)

    # a new price for the H100 pool (Pools!E6, 2.5 an hour) is typed in, and costsheet runs
    path.write_bytes(saved.read_bytes())
    _set_number(path, "Pools", "E6", "2.5", "3.5")
    board_part = sheet_part(path.read_bytes(), "Board")
    with zipfile.ZipFile(path) as zf:
        board_before = zf.read(board_part)
    before_run = tmp_path / "before-second-run.xlsx"
    before_run.write_bytes(path.read_bytes())
    res = runner.invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    second = _summary(path)
    assert second[5] > first[5] * 1.05  # the total moved

    # only the saved results of the formulas that read the results went, formulas kept;
    # Excel is asked to recalculate everything on open
    with zipfile.ZipFile(path) as zf:
        board_after = zf.read(board_part)
        pack_after = zf.read(sheet_part(path.read_bytes(), "Pack"))
        wb_xml = zf.read("xl/workbook.xml").decode("utf-8")
    assert sorted(changes(board_before, board_after)["cleared"]) == [
        "B1", "B2", "B3", "C1", "C2", "C3"]
    assert re.search(rb'<c r="A1"[^>]*><f[^>]*>Board!B3\*2</f></c>', pack_after)
    assert re.search(rb'<c r="A2"[^>]*><f[^>]*>Board!E1</f><v>2</v></c>', pack_after)
    assert re.search(r'<calcPr [^>]*fullCalcOnLoad="1"', wb_xml)
    # and the run says which formulas it left to recalculate
    assert "note: 7 formulas of yours read these results (Board!B1, Board!C1, Board!B2, …); " \
        "their saved results were removed" in res.output

    # schema-valid (nothing the run introduced), and a second reader opens it: the cleared
    # cells read as empty until a spreadsheet recalculates them
    assert introduced(before_run, path) == []
    board_cells = calamine_sheets(path)["Board"]
    assert board_cells[0][0] == "Training total" and board_cells[0][1] in ("", None)

    # LibreOffice as installed and set to recalculate: the formula, the name, the formulas on
    # them, on this sheet and another, are new
    want = [second[5], second[5], second[5] / 12]
    for recalc in (False, True):
        csvs = convert_sheet_csvs(path, tmp_path / f"lo-{recalc}", recalc=recalc)
        board_rows, pack_rows = csvs["Board"], csvs["Pack"]
        assert [float(r[1]) for r in board_rows[:3]] == pytest.approx(want, rel=1e-12)
        assert [float(r[2]) for r in board_rows[:3]] == pytest.approx(
            [2 * w for w in want], rel=1e-12)
        assert float(board_rows[0][4]) == 2
        assert [float(r[0]) for r in pack_rows[:2]] == pytest.approx([want[2] * 2, 2])
    resaved = save_as_xlsx(path, tmp_path / "default-xlsx", recalc=False)
    assert _chart_values(resaved, "Summary!B6:B10") == pytest.approx(second[:5], rel=1e-12)
    board = openpyxl.load_workbook(resaved, data_only=True)["Board"]
    assert board["B1"].value == pytest.approx(second[5], rel=1e-12)


def test_run_asks_excel_to_recalculate_even_without_formulas(tmp_path: Path) -> None:
    """The calcPr element is edited in place (its other attributes kept) or added where
    CT_Workbook puts it: after the defined names."""
    from support.hostile import write_example

    path = tmp_path / "budget.xlsx"
    write_example(path)
    res = CliRunner().invoke(main, ["run", str(path), "--trials", TRIALS])
    assert res.exit_code == 0, res.output
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/workbook.xml").decode("utf-8")
    assert re.search(r"</definedNames><calcPr [^>]*fullCalcOnLoad=\"1\"", xml), xml[-400:]
    assert "note:" not in res.output
