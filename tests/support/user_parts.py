"""The two edits `costsheet run` may make to a user's worksheet part, and nothing else.

1. A formula cell loses its saved result: ``<v>…</v>`` and the cell's ``t="…"`` go, the
   formula (``<f>``) and every other attribute stay (docs/workbook-safety.md: so that
   LibreOffice recalculates it on open); inside an array formula's range a cell without
   ``<f>`` may lose its ``<v>`` too;
2. ``tabSelected`` comes off a ``<sheetView>`` (the workbook opens on Summary).

:func:`changes` compares two versions of a part cell by cell, written independently of the
engine's code, and fails on any other difference.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_CELL = re.compile(r"<c\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?</c>)", re.S)
_R = re.compile(r'\br="([A-Z]+[0-9]+)"')
_T = re.compile(r'\st="[^"]*"')
_V = re.compile(r"<v>[^<]*</v>|<v/>")
_SHEET_VIEW = re.compile(r"<sheetView\b[^>]*>")
_TAB_SELECTED = re.compile(r'\stabSelected="(?:1|true)"')


def _split(text: str) -> tuple[list[str], list[str]]:
    cells = [m.group(0) for m in _CELL.finditer(text)]
    return _CELL.split(text), cells


def _deselected(segment: str) -> str:
    return _SHEET_VIEW.sub(lambda m: _TAB_SELECTED.sub("", m.group(0)), segment)


def _result_dropped(cell: str, in_array: bool) -> str | None:
    """The cell as it is with its saved result dropped; None when it may not be."""
    if "<f" not in cell and not in_array:
        return None
    head_end = cell.index(">") + 1
    head = cell[:head_end]
    if head.endswith("/>"):
        return None
    if "<f" in cell:
        head = _T.sub("", head, count=1)
    return head + _V.sub("", cell[head_end:], count=1)


def changes(before: bytes, after: bytes) -> dict[str, list[str]]:
    """What changed from ``before`` to ``after`` (one worksheet part): ``{"cleared": [cells],
    "deselected": [...]}``; AssertionError on any change other than those two."""
    old_text, new_text = before.decode("utf-8"), after.decode("utf-8")
    old_rest, old_cells = _split(old_text)
    new_rest, new_cells = _split(new_text)
    assert len(old_cells) == len(new_cells), "cells added or removed"
    out: dict[str, list[str]] = {"cleared": [], "deselected": []}
    for i, (old, new) in enumerate(zip(old_rest, new_rest, strict=True)):
        if old != new:
            assert i == 0 and _deselected(old) == new, "a change outside the cells"
            out["deselected"].append("sheetView")
    arrays = _array_ranges(old_cells)
    for old, new in zip(old_cells, new_cells, strict=True):
        if old == new:
            continue
        ref = _R.search(old)
        assert ref is not None
        dropped = _result_dropped(old, _inside(ref.group(1), arrays))
        assert dropped is not None and new == dropped, f"cell changed: {old!r} -> {new!r}"
        out["cleared"].append(ref.group(1))
    return out


def _array_ranges(cells: list[str]) -> list[str]:
    return re.findall(r'<f\b[^>]*\bt="array"[^>]*\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"',
                      "".join(c for c in cells if 't="array"' in c))


def _inside(ref: str, arrays: list[str]) -> bool:
    from openpyxl.utils.cell import range_boundaries

    c, r, _c, _r = range_boundaries(ref)
    for area in arrays:
        c1, r1, c2, r2 = range_boundaries(area)
        if c1 <= c <= c2 and r1 <= r <= r2:
            return True
    return False


def parts(path: Path) -> dict[str, bytes]:
    """Every part of a package, by name."""
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def is_worksheet(data: bytes) -> bool:
    return b"<worksheet" in data[:1000]


def assert_parts_kept(original: dict[str, bytes], result: dict[str, bytes],
                      shared: set[str] | frozenset[str]) -> dict[str, dict[str, list[str]]]:
    """Every part of ``original`` is in ``result`` with the same bytes, but for the ``shared``
    parts (edited by any graft) and worksheet parts changed only as :func:`changes` allows;
    returns those changes by part."""
    out = {}
    for part, data in original.items():
        assert part in result, f"{part} lost"
        if part in shared or result[part] == data:
            continue
        assert is_worksheet(data), f"{part} changed"
        out[part] = changes(data, result[part])
    return out
