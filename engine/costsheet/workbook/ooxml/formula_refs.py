"""What a cell formula reads: its cell and range references, defined names and tables, as
rectangles of sheets (a small tokenizer, not a formula parser).

It errs on the side of reading more: a formula that calls ``INDIRECT`` or ``OFFSET`` reads
everything; a 3-D reference reads every sheet between its two ends; a defined name reads what
its own formula reads (names within names followed); a structured reference reads its whole
table, and one without a table name (``[@Cost]``) the whole sheet. References to other
workbooks (``[1]Sheet!A1``) read nothing of this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["MAX_COL", "MAX_ROW", "Area", "FormulaContext", "Reads", "cell_coords", "read_area"]

MAX_ROW = 1_048_576
MAX_COL = 16_384

#: (sheet key (case-folded name), first row, first column, last row, last column)
Area = tuple[str, int, int, int, int]

_STRING = re.compile(r'"(?:[^"]|"")*"')
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
_TOKEN = re.compile(
    r"(?<![\w.$\]'!])"
    r"(?:(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>\[[0-9]+\][\w.]*|[^\W\d][\w.]*"
    r"(?::[^\W\d][\w.]*)?))!)?"
    r"(?:(?P<area>" + _CELL + r"(?::" + _CELL + r")?|\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}"
    r"|\$?[0-9]+:\$?[0-9]+)(?![\w.(\[!:])"
    r"|(?P<name>[^\W\d][\w.]*|\\[\w.]*)(?P<call>\s*\()?(?P<table>\[)?"
    r"|(?P<bracket>\[))")
_PART = re.compile(r"\$?([A-Za-z]{0,3})\$?([0-9]*)")
_EVERYTHING = frozenset({"INDIRECT", "OFFSET"})
_NAME_DEPTH = 8


@dataclass
class Reads:
    """What a formula reads: areas, or everything (a function whose reference is text)."""

    areas: list[Area] = field(default_factory=list)
    everything: bool = False


@dataclass
class FormulaContext:
    """What resolving references needs: the sheets (tab order, old and new), the defined names
    by (sheet key or None for global, name key), the tables by name key."""

    orders: Sequence[Sequence[str]]  # sheet keys in tab order (before and after a graft)
    names: Mapping[tuple[str | None, str], str]
    tables: Mapping[str, Area]

    def reads(self, formula: str, sheet: str) -> Reads:
        """What ``formula``, on the sheet with key ``sheet``, reads."""
        out = Reads()
        self._collect(formula, sheet, out, 0, set())
        return out

    def _collect(self, formula: str, sheet: str, out: Reads, depth: int,
                 seen: set[tuple[str | None, str]]) -> None:
        text = _STRING.sub('""', formula) if '"' in formula else formula
        for m in _TOKEN.finditer(text):
            prefix = m.group("quoted")
            prefix = prefix.replace("''", "'") if prefix is not None else m.group("plain")
            if prefix is not None and "[" in prefix:
                continue  # another workbook
            sheets = self._sheets(prefix, sheet)
            if m.group("area") is not None:
                area = read_area(m.group("area"))
                if area is not None:
                    out.areas += [(s, *area) for s in sheets]
            elif m.group("bracket") is not None:
                out.areas.append((sheet, 1, 1, MAX_ROW, MAX_COL))
            elif m.group("call") is not None:
                fn = m.group("name").upper().removeprefix("_XLFN.").removeprefix("_XLWS.")
                if fn in _EVERYTHING:
                    out.everything = True
            elif m.group("table") is not None:
                table = self.tables.get(m.group("name").casefold())
                if table is not None:
                    out.areas.append(table)
            else:
                self._name(m.group("name").casefold(), prefix, sheet, out, depth, seen)
            if out.everything:
                return

    def _name(self, key: str, prefix: str | None, sheet: str, out: Reads, depth: int,
              seen: set[tuple[str | None, str]]) -> None:
        scope = prefix.casefold() if prefix is not None else sheet
        found = (scope, key) if (scope, key) in self.names else (None, key)
        if found not in self.names or found in seen:
            return
        if depth >= _NAME_DEPTH:
            out.everything = True
            return
        self._collect(self.names[found], sheet, out, depth + 1, seen | {found})

    def _sheets(self, prefix: str | None, sheet: str) -> list[str]:
        """The sheet keys a reference prefix names (``A:C``: every sheet from A to C)."""
        if prefix is None:
            return [sheet]
        if ":" not in prefix:
            return [prefix.casefold()]
        first, last = (p.casefold() for p in prefix.split(":", 1))
        out: list[str] = []
        for order in self.orders:
            if first in order and last in order:
                i, j = sorted((order.index(first), order.index(last)))
                out += [s for s in order[i:j + 1] if s not in out]
        return out or [first, last]


def read_area(ref: str) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of ``A1``, ``A1:B2``, ``A:C``,
    ``1:3`` (``$`` allowed); None when it is not a reference inside the sheet's grid."""
    ends = []
    for piece in ref.split(":"):
        m = _PART.fullmatch(piece)
        if m is None:
            return None
        col = _column(m.group(1)) if m.group(1) else None
        row = int(m.group(2)) if m.group(2) else None
        ends.append((row, col))
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    rows = (r1 or 1, r2 or MAX_ROW) if (r1, r2) != (None, None) else (1, MAX_ROW)
    cols = (c1 or 1, c2 or MAX_COL) if (c1, c2) != (None, None) else (1, MAX_COL)
    lo_r, hi_r = sorted(rows)
    lo_c, hi_c = sorted(cols)
    if lo_r < 1 or hi_r > MAX_ROW or lo_c < 1 or hi_c > MAX_COL:
        return None
    return lo_r, lo_c, hi_r, hi_c


def cell_coords(ref: str) -> tuple[int, int] | None:
    """(row, column) of a cell reference such as ``B7``."""
    area = read_area(ref)
    if area is None or area[0] != area[2] or area[1] != area[3]:
        return None
    return area[0], area[1]


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n
