"""In CI the real workbooks must be there: the nothing-lost tests are only as good as they are."""

from __future__ import annotations

from support.fixtures import real_workbook_names, require_real_workbooks


def test_real_workbooks_are_present() -> None:
    require_real_workbooks()
    names = real_workbook_names()
    assert "macros.xlsm" in names and "pivot-tables.xlsx" in names and len(names) >= 10
