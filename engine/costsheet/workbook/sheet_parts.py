"""What openpyxl does not tell about a sheet, read from the package: hidden rows and columns,
merged cells, and a cell Excel could not have written.

Used by the table reader (:mod:`costsheet.workbook.tables`). The parts come from the workbook's
:class:`~costsheet.workbook.ooxml.Package` (read once), found through its relationships; the XML
is parsed with :mod:`defusedxml` only.
"""

from __future__ import annotations

import io
from typing import Any, Protocol

from openpyxl.utils import range_boundaries

from .ooxml import Package, PackageError
from .ooxml.names import RT_SHARED_STRINGS

__all__ = ["defused", "impossible_cell", "scan_layout", "sheet_parts"]


class Layout(Protocol):
    """Where hidden rows and columns and merged ranges of a sheet are kept."""

    hidden_rows: set[int]
    hidden_cols: set[int]
    merges: list[tuple[int, int, int, int]]


def scan_layout(package: Package, sheets: dict[str, Layout]) -> None:
    """Hidden rows and columns, and merged cells, of ``sheets`` (sheet title → its layout);
    a damaged part leaves them as they are (they only give warnings)."""
    import defusedxml.ElementTree as SafeET

    try:
        parts = sheet_parts(package)
        for actual, layout in sheets.items():
            part = parts.get(actual)
            if part is not None and package.has(part):
                _scan_sheet(io.BytesIO(package.get(part)), layout)
    except (PackageError, KeyError, SafeET.ParseError, ValueError):
        return


def _scan_sheet(fh: Any, g: Layout) -> None:
    import defusedxml.ElementTree as SafeET

    for _event, el in SafeET.iterparse(fh, events=("end",)):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "row":
            if el.get("hidden") in ("1", "true") and el.get("r"):
                g.hidden_rows.add(int(el.get("r")))
            el.clear()
        elif tag == "col":
            if el.get("hidden") in ("1", "true"):
                lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
                g.hidden_cols.update(range(lo, min(hi, 16384) + 1))
        elif tag == "mergeCell" and el.get("ref"):
            try:
                c1, r1, c2, r2 = range_boundaries(el.get("ref"))
            except (ValueError, TypeError):
                continue
            if c1 is not None and r1 is not None and c2 is not None and r2 is not None:
                g.merges.append((c1, r1, c2, r2))  # whole rows or columns are not merges


def defused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML (openpyxl wraps its exception in others)."""
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__module__.startswith("defusedxml"):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def impossible_cell(package: Package, sheet: str) -> tuple[str, str] | None:
    """The first cell of ``sheet`` whose stored value Excel cannot have written, with it:
    ``NaN``/``INF`` numbers, a shared-string index out of range, a bad boolean."""
    import defusedxml.ElementTree as SafeET

    try:
        part = sheet_parts(package).get(sheet)
        if part is None or not package.has(part):
            return None
        n_strings = _shared_string_count(package)
        for _event, el in SafeET.iterparse(io.BytesIO(package.get(part)), events=("end",)):
            if el.tag.rsplit("}", 1)[-1] != "c":
                continue
            kind = el.get("t", "n")
            v = next((ch.text for ch in el if ch.tag.rsplit("}", 1)[-1] == "v"), None)
            ref = el.get("r", "")
            el.clear()
            if v is not None and not _storable(kind, v.strip(), n_strings):
                return ref, v.strip()
    except Exception:  # damaged XML or package: no single cell to name
        return None
    return None


def _shared_string_count(package: Package) -> int | None:
    """How many strings the workbook's shared-strings part holds (None without one)."""
    parts = [p for p in package.related(package.workbook_part(), RT_SHARED_STRINGS)
             if package.has(p)]
    if not parts:
        return None
    return sum(1 for el in package.tree(parts[0]) if el.tag.rsplit("}", 1)[-1] == "si")


def _storable(kind: str, v: str, n_strings: int | None) -> bool:
    """Whether a cell's stored value ``v`` of type ``kind`` is one Excel can write."""
    import math

    try:
        if kind == "n" and not math.isfinite(float(v)):
            return False
        if kind == "n" and not any(ch in v for ch in ".eE"):
            int(v)
        if kind == "s" and not 0 <= int(v) < (n_strings or 0):
            return False
        if kind == "b" and v not in ("0", "1"):
            return False
    except ValueError:
        return False
    return True


def sheet_parts(package: Package) -> dict[str, str]:
    """Sheet name → its part name in the package (sheets whose part is missing left out)."""
    return {e.name: e.part for e in package.sheets() if e.part is not None}
