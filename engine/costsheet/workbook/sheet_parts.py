"""What openpyxl does not tell about a sheet, read from the package: hidden rows and columns,
merged cells, a cell Excel could not have written, and which part holds which sheet.

Used by the table reader (:mod:`costsheet.workbook.tables`). The XML is parsed with
:mod:`defusedxml` only.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any, Protocol

from openpyxl.utils import range_boundaries

__all__ = ["defused", "impossible_cell", "scan_layout", "sheet_parts"]


class Layout(Protocol):
    """Where hidden rows and columns and merged ranges of a sheet are kept."""

    hidden_rows: set[int]
    hidden_cols: set[int]
    merges: list[tuple[int, int, int, int]]


def scan_layout(path: Path, sheets: dict[str, Layout]) -> None:
    """Hidden rows and columns, and merged cells, of ``sheets`` (sheet title → its layout);
    a damaged part leaves them as they are (they only give warnings)."""
    import defusedxml.ElementTree as SafeET

    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            names = set(zf.namelist())
            for actual, layout in sheets.items():
                part = parts.get(actual)
                if part is not None and part in names:
                    with zf.open(part) as fh:
                        _scan_sheet(fh, layout)
    except (zipfile.BadZipFile, KeyError, SafeET.ParseError, ValueError):
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


def impossible_cell(path: Path, sheet: str) -> tuple[str, str] | None:
    """The first cell of ``sheet`` whose stored value Excel cannot have written, with it:
    ``NaN``/``INF`` numbers, a shared-string index out of range, a bad boolean."""
    import defusedxml.ElementTree as SafeET

    try:
        with zipfile.ZipFile(path) as zf:
            part = sheet_parts(zf).get(sheet)
            if part is None:
                return None
            n_strings = _shared_string_count(zf, part)
            with zf.open(part) as fh:
                for _event, el in SafeET.iterparse(fh, events=("end",)):
                    if el.tag.rsplit("}", 1)[-1] != "c":
                        continue
                    kind = el.get("t", "n")
                    v = next((ch.text for ch in el if ch.tag.rsplit("}", 1)[-1] == "v"), None)
                    ref = el.get("r", "")
                    el.clear()
                    if v is not None and not _storable(kind, v.strip(), n_strings):
                        return ref, v.strip()
    except Exception:  # damaged XML or zip: no single cell to name
        return None
    return None


def _shared_string_count(zf: zipfile.ZipFile, part: str) -> int | None:
    import defusedxml.ElementTree as SafeET

    names = {n.lower(): n for n in zf.namelist()}
    sst = names.get(posixpath.join(posixpath.dirname(posixpath.dirname(part)),
                                   "sharedstrings.xml"))
    if sst is None:
        return None
    return sum(1 for el in SafeET.fromstring(zf.read(sst)) if el.tag.rsplit("}", 1)[-1] == "si")


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


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name in the package."""
    import defusedxml.ElementTree as SafeET

    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    wb_part = "xl/workbook.xml"
    try:
        rels_root = SafeET.fromstring(zf.read("_rels/.rels"))
        for rel in rels_root:
            if rel.get("Type", "").endswith("/officeDocument"):
                wb_part = rel.get("Target", wb_part).lstrip("/")
    except KeyError:
        pass
    folder = posixpath.dirname(wb_part)
    rels_part = posixpath.join(folder, "_rels", posixpath.basename(wb_part) + ".rels")
    targets: dict[str, str] = {}
    for rel in SafeET.fromstring(zf.read(rels_part)):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        targets[rel.get("Id", "")] = part
    out = {}
    root = SafeET.fromstring(zf.read(wb_part))
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = el.get(f"{{{rel_ns}}}id", "")
            if rid in targets:
                out[el.get("name", "")] = targets[rid]
    return out
