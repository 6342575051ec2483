"""Open a workbook read-only without touching the sheets nobody reads.

openpyxl's ``load_workbook(read_only=True)`` looks for every worksheet's ``<dimension>`` when it
opens the file; a sheet without one (openpyxl's write-only sheets, which include costsheet's own
Line items of up to 60,000 rows) is parsed to its end just to find that out. On a workbook that
holds costsheet's owned sheets this made opening it take seconds before any input was read.

:func:`open_read_only` gives the same read-only workbook, but a sheet looks for its size only
when something asks for it (its rows, ``max_row``, ...): the sheets costsheet does not read are
never parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = ["open_read_only"]


class _LazySizeWorksheet(ReadOnlyWorksheet):
    """A read-only worksheet that reads its ``<dimension>`` on first use, not when opened."""

    _sized = False
    # set by openpyxl's private ReadOnlyWorksheet._get_size (its type stubs do not list them)
    _min_row: int
    _max_row: int | None
    _min_column: int
    _max_column: int | None

    def _get_size(self) -> None:  # called by __init__: deferred to _ensure_size
        return None

    def _ensure_size(self) -> None:
        if not self._sized:
            self._sized = True
            ReadOnlyWorksheet._get_size(self)  # type: ignore[attr-defined]  # private, tested

    def reset_dimensions(self) -> None:
        self._sized = True  # the caller does not trust the stored size: no need to read it
        super().reset_dimensions()

    @property
    def min_row(self) -> int:
        self._ensure_size()
        return self._min_row

    @property
    def max_row(self) -> int | None:
        self._ensure_size()
        return self._max_row

    @property
    def min_column(self) -> int:
        self._ensure_size()
        return self._min_column

    @property
    def max_column(self) -> int | None:
        self._ensure_size()
        return self._max_column


class _LazyReader(ExcelReader):
    def read_worksheets(self) -> None:
        # ExcelReader.read_worksheets with the lazy sheet; openpyxl's internals (the parser's
        # sheet entries, the workbook's sheet list) are untyped in its stubs
        wb: Any = self.wb
        parser: Any = self.parser
        for sheet, rel in parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = _LazySizeWorksheet(wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            wb._sheets.append(ws)


def open_read_only(path: Path | str | IO[bytes], *, data_only: bool = False) -> Any:
    """``openpyxl.load_workbook(path, read_only=True, data_only=data_only)``, minus the parse of
    sheets that are never read; ``path`` may be an open binary file (bytes already read). Close
    it with ``wb.close()``."""
    source = Path(path) if isinstance(path, str | Path) else path
    reader = _LazyReader(source, read_only=True, data_only=data_only)
    reader.read()
    return reader.wb
