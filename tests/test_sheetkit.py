"""The sheet kit: one set of rules for every owned sheet (text, styles, missing numbers, layout)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from costsheet.errors import CostsheetError
from costsheet.workbook.sheetkit import (
    NOT_APPLICABLE,
    OwnedSheet,
    add_named_styles,
    clean_text,
    money_format,
    named_style,
    number_width,
)
from openpyxl import Workbook


def _workbook() -> Workbook:
    wb = Workbook(write_only=True)
    add_named_styles(wb, [named_style("cs_text"), named_style("cs_na"), named_style("cs_title"),
                          named_style("cs_money", number_format=money_format("USD"))])
    return wb


def _save(wb: Workbook, tmp_path: Path) -> Path:
    path = tmp_path / "kit.xlsx"
    wb.save(path)
    return path


def test_text_is_always_text_never_a_formula_or_an_error(tmp_path: Path) -> None:
    wb = _workbook()
    sh = OwnedSheet(wb, "S", text_style="cs_text")
    texts = ["=SUM(A1:A3)", "+1", "-10% MFU", "@home", "#N/A", "#REF!", "plain"]
    sh.append([sh.cell(t) for t in texts])
    sh.flush()
    ws = openpyxl.load_workbook(_save(wb, tmp_path))["S"]
    for cell, text in zip(ws[1], texts, strict=True):
        assert cell.data_type == "s" and cell.value == text
        # formula-like text takes the sheet's text style; other unstyled text none
        styled = text.startswith(("=", "+", "-", "@"))
        assert (cell.style == "cs_text") == styled, text


def test_text_is_cleaned_and_cut_to_what_a_cell_holds() -> None:
    assert clean_text("a\x00b\x07c") == "abc"
    assert len(clean_text("x" * 40_000)) == 32767


def test_missing_numbers_follow_the_sheet_rule(tmp_path: Path) -> None:
    wb = _workbook()
    na = OwnedSheet(wb, "NA", missing="n/a")
    blank = OwnedSheet(wb, "Blank")
    for sh in (na, blank):
        sh.append([sh.cell(NOT_APPLICABLE, "cs_money"), sh.cell(None, "cs_money"),
                   sh.cell(None), sh.cell(1.5, "cs_money")])
        sh.flush()
    wb2 = openpyxl.load_workbook(_save(wb, tmp_path))
    row = list(wb2["NA"].iter_rows(values_only=False))[0]
    assert row[0].value == "n/a" and row[0].style == "cs_na"
    assert row[1].value is None and row[1].style == "cs_money"  # an empty, styled cell
    row = list(wb2["Blank"].iter_rows(values_only=False))[0]
    assert [c.value for c in row[:2]] == [None, None]
    assert all(c.style == "cs_money" for c in row[:2])
    assert row[3].value == 1.5


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_a_number_that_is_not_finite_is_refused_never_written(value: float) -> None:
    """The last line: the model refuses such inputs at their cells first; a NaN that still
    reaches a sheet stops the run (nothing is written) instead of showing as blank, 0 or n/a."""
    sh = OwnedSheet(_workbook(), "Summary", missing="n/a")
    with pytest.raises(CostsheetError) as info:
        sh.cell(value, "cs_money")
    assert info.value.code == "not_finite_output"
    assert "on the Summary sheet" in info.value.message
    assert "nothing was written" in info.value.message


def test_layout_widths_panes_and_print(tmp_path: Path) -> None:
    wb = _workbook()
    sh = OwnedSheet(wb, "L")
    sh.row(("a title that is not measured at all", "cs_title"), ("x", "cs_text"))
    sh.row(("short", "cs_text"), (1234567.0, "cs_money"), ("y" * 80, "cs_text"))
    sh.fit_widths([20.0], cap=36.0)
    sh.freeze("B2")
    sh.flush()
    sh.print_setup(title_rows="1:1")
    path = _save(wb, tmp_path)
    ws = openpyxl.load_workbook(path)["L"]
    assert ws.column_dimensions["A"].width == 20.0  # the floor: the title is not measured
    assert ws.column_dimensions["B"].width == number_width("$1,234,567")  # digits: 1 unit each
    assert ws.column_dimensions["C"].width == 36.0  # the cap
    assert ws.freeze_panes == "B2"
    # 20 + 14.5 + 36 units fit a portrait page at full size (print_plan.py; test_print.py)
    assert ws.page_setup.orientation == "portrait" and ws.page_setup.scale == 100
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    assert ws.row_dimensions[2].height == 45.0  # 80 characters wrap in 3 lines at 36 units
    assert ws["C2"].alignment.wrap_text
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert xml.index("<sheetViews>") < xml.index("<cols>") < xml.index("<sheetData>")


def test_named_styles_name_their_font_and_are_added_once() -> None:
    wb = Workbook(write_only=True)
    add_named_styles(wb, [named_style("cs_x"), named_style("cs_x", number_format="0.0%")])
    assert wb.named_styles.count("cs_x") == 1
    style = next(s for s in wb._named_styles if s.name == "cs_x")
    assert style.font.name == "Calibri" and style.font.sz == 11
    assert style.number_format == "General"
