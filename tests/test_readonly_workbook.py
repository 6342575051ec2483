"""workbook/readonly_workbook.py subclasses openpyxl's private read-only classes
(``ReadOnlyWorksheet``, ``ExcelReader``): these tests fail loudly when what it relies on changes.

pyproject pins openpyxl to the minor version this was checked against; a new openpyxl release
must pass these tests (and readonly_workbook.py be re-read against its source) before the pin
moves.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import openpyxl
import pytest
from costsheet.workbook.readonly_workbook import _LazyReader, _LazySizeWorksheet, open_read_only
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TESTED_MINOR = "3.1."
MOVED = ("openpyxl changed a private class that costsheet/workbook/readonly_workbook.py "
         "subclasses: re-read its source against readonly_workbook.py and adapt it")


def _params(fn: object) -> list[str]:
    return list(inspect.signature(fn).parameters)  # type: ignore[arg-type]


def _source(fn: object) -> str:
    return inspect.getsource(fn)  # type: ignore[arg-type]


def test_openpyxl_is_the_minor_version_checked() -> None:
    assert openpyxl.__version__.startswith(TESTED_MINOR), (
        f"openpyxl {openpyxl.__version__}: readonly_workbook.py was checked against "
        f"{TESTED_MINOR}x; run these tests, re-read it, then move the pin in pyproject.toml")


def test_read_only_worksheet_reads_its_size_when_made() -> None:
    """_LazySizeWorksheet defers ``_get_size``, which __init__ calls, and re-implements the
    four size properties over the attributes ``_get_size`` sets."""
    assert _params(ReadOnlyWorksheet.__init__) == [
        "self", "parent_workbook", "title", "worksheet_path", "shared_strings"], MOVED
    assert "self._get_size()" in _source(ReadOnlyWorksheet.__init__), MOVED
    get_size = _source(ReadOnlyWorksheet._get_size)
    for attr in ("_min_column", "_min_row", "_max_column", "_max_row"):
        assert attr in get_size, MOVED
        assert hasattr(ReadOnlyWorksheet, attr), MOVED
    for prop in ("min_row", "max_row", "min_column", "max_column"):
        assert isinstance(inspect.getattr_static(ReadOnlyWorksheet, prop), property), MOVED
        assert f"self._{prop}" in _source(getattr(ReadOnlyWorksheet, prop).fget), MOVED
    assert _params(ReadOnlyWorksheet.reset_dimensions) == ["self"], MOVED
    reset = _source(ReadOnlyWorksheet.reset_dimensions)
    assert "_max_row" in reset and "_max_column" in reset, MOVED


def test_excel_reader_reads_worksheets_as_readonly_workbook_copies_it() -> None:
    """_LazyReader.read_worksheets repeats the read-only branch of ExcelReader's."""
    params = _params(ExcelReader.__init__)
    assert params[:2] == ["self", "fn"] and {"read_only", "data_only"} <= set(params), MOVED
    assert "self.read_worksheets()" in _source(ExcelReader.read), MOVED
    source = _source(ExcelReader.read_worksheets)
    for statement in (
        "for sheet, rel in self.parser.find_sheets():",
        "if rel.target not in self.valid_files:",
        'if "chartsheet" in rel.Type:',
        "self.read_chartsheet(sheet, rel)",
        "if self.read_only:",
        "ws = ReadOnlyWorksheet(self.wb, sheet.name, rel.target, self.shared_strings)",
        "ws.sheet_state = sheet.state",
        "self.wb._sheets.append(ws)",
    ):
        assert statement in source, f"{MOVED} (ExcelReader.read_worksheets: {statement!r})"
    assert issubclass(_LazyReader, ExcelReader)
    assert issubclass(_LazySizeWorksheet, ReadOnlyWorksheet)


@pytest.mark.parametrize("sample", ["deepseek-v3-like.xlsx", "monthly-actuals.xlsx"])
def test_lazy_workbook_reads_as_openpyxl_does(sample: str) -> None:
    """Same sheets, states, sizes and values as openpyxl's own read-only workbook, but no
    sheet's size is read before something asks for it."""
    path = SAMPLES / sample
    lazy = open_read_only(path, data_only=True)
    stock = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        assert lazy.sheetnames == stock.sheetnames
        assert all(isinstance(ws, _LazySizeWorksheet) and not ws._sized for ws in lazy)
        for name in stock.sheetnames:
            a, b = lazy[name], stock[name]
            assert a.sheet_state == b.sheet_state
            assert (a.min_row, a.max_row, a.min_column, a.max_column) == (
                b.min_row, b.max_row, b.min_column, b.max_column)
            assert list(a.iter_rows(values_only=True)) == list(b.iter_rows(values_only=True))
    finally:
        lazy.close()
        stock.close()


def test_lazy_workbook_opens_from_bytes_already_read() -> None:
    """The package object hands openpyxl the bytes it read (no second read of the file)."""
    import io

    path = SAMPLES / "deepseek-v3-like.xlsx"
    wb = open_read_only(io.BytesIO(path.read_bytes()), data_only=True)
    stock = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        assert wb.sheetnames == stock.sheetnames
        first = stock.sheetnames[0]
        assert list(wb[first].values) == list(stock[first].values)
    finally:
        wb.close()
        stock.close()
