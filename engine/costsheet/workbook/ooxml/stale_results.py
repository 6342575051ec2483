"""The user's formulas that read sheets a graft replaces: their saved results dropped.

Every formula cell of a worksheet part keeps the result it had when the file was last saved
(``<v>``, with its type in the cell's ``t``). Excel recalculates everything when the workbook
asks for it (``calcPr fullCalcOnLoad``); LibreOffice, with its default settings, recalculates
only a formula cell that has no saved result. So after costsheet replaces its sheets, every
formula of the user's that reads them (directly, through a defined name or a table, or through
another such formula, on any sheet) loses its saved result, keeping its formula: each
spreadsheet then computes it when it opens the file.

Only sheets whose part holds a formula are read. A formula shared over a range (``<f
t="shared">``) counts as one formula reading what its first cell reads, widened by the range;
an array formula gives its whole range; when one of them reads a replaced sheet, every cell of
it loses its result. When the analysis would take too long (chains of ranges over many
thousands of cells), every formula of the workbook loses its saved result instead.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from .formula_refs import MAX_COL, MAX_ROW, Area, FormulaContext, cell_coords, read_area
from .xmltext import XmlText, del_attr

__all__ = ["SheetXml", "StaleResults", "clear_results", "find_stale"]

#: range checks allowed before every formula is taken as reading the replaced sheets
WORK_LIMIT = 5_000_000
#: array formulas over more cells than this are taken as reading everything
ARRAY_CELLS_LIMIT = 100_000
_F_OPEN = re.compile(r"<(?:[\w.-]+:)?f\b")
_START = re.compile(r"<([\w.-]+:)?c\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>", re.S)
_ATTR = re.compile(r"""\b(r|t|ref|si)\s*=\s*["']([^"']*)["']""")
_F_ELEM = re.compile(r"<(?:[\w.-]+:)?f\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(?:/>|>([^<]*)</)",
                     re.S)
_V_ELEM = re.compile(r"<(?:[\w.-]+:)?v\b[^>]*?(?:/>|>[^<]*</(?:[\w.-]+:)?v>)")


@dataclass
class SheetXml:
    """One worksheet part's text, with the span of each formula cell (start, end, row, col)
    and what its ``<f>`` says."""

    key: str  # case-folded sheet name
    name: str
    doc: XmlText
    cells: list[_FormulaCell] = field(default_factory=list)

    @classmethod
    def read(cls, name: str, data: bytes) -> SheetXml | None:
        """The formula cells of worksheet part ``data``; None when it has none."""
        if b"<f" not in data and b":f" not in data:
            return None
        sheet = cls(name.casefold(), name, XmlText.decode(data))
        text = sheet.doc.text
        for m in _F_OPEN.finditer(text):
            cell = _formula_cell(text, m.start())
            if cell is not None:
                sheet.cells.append(cell)
        return sheet if sheet.cells else None


@dataclass
class _FormulaCell:
    start: int
    end: int
    row: int
    col: int
    formula: str | None  # None: a cell of a shared formula other than its first
    kind: str  # "" (normal), "shared", "array", "dataTable"
    si: str = ""
    ref: str = ""


def _formula_cell(text: str, f_at: int) -> _FormulaCell | None:
    """The cell whose ``<f>`` starts at ``f_at`` (the ``<f>`` is a cell's first child)."""
    start = text.rfind("<", 0, f_at)
    m = _START.match(text, start)
    if m is None or m.group(3) or text[m.end():f_at].strip():
        return None
    a = dict(_ATTR.findall(m.group(2)))
    coords = cell_coords(a.get("r", ""))
    close = f"</{m.group(1) or ''}c>"
    end = text.find(close, f_at)
    f = _F_ELEM.match(text, f_at)
    if coords is None or end < 0 or f is None:
        return None
    fa = dict(_ATTR.findall(f.group(1)))
    kind = fa.get("t", "")
    formula = f.group(2)
    if formula is not None:
        formula = html.unescape(formula)
    elif kind != "shared":
        formula = ""
    return _FormulaCell(start, end + len(close), coords[0], coords[1], formula, kind,
                        fa.get("si", ""), fa.get("ref", ""))


@dataclass
class StaleResults:
    """The formula cells to clear, by sheet key: spans of cells (and array ranges)."""

    cells: dict[str, list[_FormulaCell]] = field(default_factory=dict)
    arrays: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)

    def addresses(self, sheets: Mapping[str, SheetXml]) -> list[str]:
        """``Sheet!B1`` of each formula cell cleared, sheet by sheet."""
        out = []
        for key, cells in self.cells.items():
            name = sheets[key].name
            shown = name if re.fullmatch(r"[^\W\d][\w.]*", name) else (
                "'" + name.replace("'", "''") + "'")
            out += [f"{shown}!{_a1(c.row, c.col)}" for c in sorted(
                cells, key=lambda c: (c.row, c.col))]
        return out


def _a1(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


@dataclass
class _Node:
    """A formula (a shared or array formula as one): where it is and what it reads."""

    sheet: str
    cells: list[_FormulaCell]
    gives: list[tuple[int, int]]  # the cells whose values it gives
    reads: list[Area]
    everything: bool
    array: tuple[int, int, int, int] | None = None
    stale: bool = False


def find_stale(sheets: Mapping[str, SheetXml], replaced: Collection[str],
               ctx: FormulaContext) -> StaleResults:
    """The formula cells of ``sheets`` (by key) that read a sheet in ``replaced`` (keys),
    directly or through other formulas."""
    nodes = _nodes(sheets, ctx)
    graph = _Graph(nodes, {k.casefold() for k in replaced})
    if not graph.solve():
        for node in nodes:
            node.stale = True
    out = StaleResults()
    for node in nodes:
        if node.stale:
            out.cells.setdefault(node.sheet, []).extend(node.cells)
            if node.array is not None:
                out.arrays.setdefault(node.sheet, []).append(node.array)
    return out


def _nodes(sheets: Mapping[str, SheetXml], ctx: FormulaContext) -> list[_Node]:
    nodes: list[_Node] = []
    for key, sheet in sheets.items():
        groups: dict[str, list[_FormulaCell]] = defaultdict(list)
        for cell in sheet.cells:
            if cell.kind == "shared" and cell.si:
                groups[cell.si].append(cell)
            else:
                nodes.append(_single(key, cell, ctx))
        for members in groups.values():
            nodes.append(_shared(key, members, ctx))
    return nodes


def _single(key: str, cell: _FormulaCell, ctx: FormulaContext) -> _Node:
    reads = ctx.reads(cell.formula or "", key)
    node = _Node(key, [cell], [(cell.row, cell.col)], reads.areas, reads.everything)
    if cell.kind in ("array", "dataTable"):
        area = read_area(cell.ref) if cell.ref else None
        if area is not None:
            r1, c1, r2, c2 = area
            if (r2 - r1 + 1) * (c2 - c1 + 1) > ARRAY_CELLS_LIMIT:
                node.everything = True
            else:
                node.array = area
                node.gives = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    return node


def _shared(key: str, members: list[_FormulaCell], ctx: FormulaContext) -> _Node:
    """A shared formula as one node: what its first cell reads, moved over the whole group."""
    first = next((c for c in members if c.formula is not None), None)
    gives = [(c.row, c.col) for c in members]
    if first is None:
        return _Node(key, members, gives, [], True)
    reads = ctx.reads(first.formula or "", key)
    rows = [r - first.row for r, _c in gives]
    cols = [c - first.col for _r, c in gives]
    up, down, left, right = min(rows), max(rows), min(cols), max(cols)
    areas = [(s, max(1, r1 + up), max(1, c1 + left), min(MAX_ROW, r2 + down),
              min(MAX_COL, c2 + right)) for s, r1, c1, r2, c2 in reads.areas]
    return _Node(key, members, gives, areas, reads.everything)


class _Graph:
    """Which nodes read a replaced sheet, or a cell given by such a node: a worklist over
    single-cell references (a dictionary) and ranges (by column, checked a batch at a time)."""

    def __init__(self, nodes: list[_Node], replaced: set[str]):
        self.nodes = nodes
        self.replaced = replaced
        self.by_cell: dict[tuple[str, int, int], list[_Node]] = defaultdict(list)
        self.by_col: dict[tuple[str, int], list[tuple[int, int, _Node]]] = defaultdict(list)
        self.wide: dict[str, list[tuple[int, int, int, int, _Node]]] = defaultdict(list)
        self.stale_cells: set[tuple[str, int, int]] = set()
        self.pending: list[tuple[str, int, int]] = []  # new stale cells, single refs to check
        self.batch: list[tuple[str, int, int]] = []  # new stale cells, ranges to check
        self.work = 0

    def solve(self) -> bool:
        """Mark every stale node; False when it took more than :data:`WORK_LIMIT`."""
        for node in self.nodes:
            if node.everything or any(a[0] in self.replaced for a in node.reads):
                self._mark(node)
            else:
                self._index(node)
        while self.pending or self.batch:
            while self.pending:
                for node in self.by_cell.get(self.pending.pop(), ()):
                    if not node.stale:
                        self._mark(node)
            if not self._range_pass():
                return False
        return True

    def _index(self, node: _Node) -> None:
        for s, r1, c1, r2, c2 in node.reads:
            if r1 == r2 and c1 == c2:
                self.by_cell[(s, r1, c1)].append(node)
            elif c2 - c1 < 64:
                for c in range(c1, c2 + 1):
                    self.by_col[(s, c)].append((r1, r2, node))
            else:
                self.wide[s].append((r1, c1, r2, c2, node))

    def _mark(self, node: _Node) -> None:
        node.stale = True
        for r, c in node.gives:
            cell = (node.sheet, r, c)
            if cell not in self.stale_cells:
                self.stale_cells.add(cell)
                self.pending.append(cell)
                self.batch.append(cell)

    def _range_pass(self) -> bool:
        """Nodes whose ranges hold a cell of the batch, marked; False past the work limit."""
        rows: dict[tuple[str, int], list[int]] = defaultdict(list)
        for s, r, c in self.batch:
            rows[(s, c)].append(r)
        self.batch = []
        for found in rows.values():
            found.sort()
        for (s, c), found in rows.items():
            entries = self.by_col.get((s, c), [])
            self.work += len(entries)
            for r1, r2, node in entries:
                if not node.stale and _any_between(found, r1, r2):
                    self._mark(node)
        for s in {s for s, _c in rows}:
            for r1, c1, r2, c2, node in self.wide.get(s, ()):
                self.work += 1
                if not node.stale and any(_any_between(found, r1, r2) for (s2, c), found
                                          in rows.items() if s2 == s and c1 <= c <= c2):
                    self._mark(node)
        return self.work <= WORK_LIMIT


def _any_between(sorted_rows: list[int], r1: int, r2: int) -> bool:
    i = bisect_left(sorted_rows, r1)
    return i < len(sorted_rows) and sorted_rows[i] <= r2


def clear_results(sheet: SheetXml, cells: list[_FormulaCell],
                  arrays: list[tuple[int, int, int, int]]) -> bytes:
    """The part with each of ``cells`` (and every cell inside ``arrays``) without its saved
    result: ``<v>`` and the cell's ``t`` gone, the formula kept."""
    text = sheet.doc.text
    spans = {(c.start, c.end) for c in cells}
    if arrays:
        spans |= _cells_in(text, arrays)
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        pieces.append(text[at:start])
        pieces.append(_without_result(text[start:end]))
        at = end
    pieces.append(text[at:])
    return sheet.doc.replaced("".join(pieces))


def _without_result(cell: str) -> str:
    m = _START.match(cell)
    assert m is not None
    head = del_attr(m.group(0), "t")
    return head + _V_ELEM.sub("", cell[m.end():], count=1)


_ANY_CELL = re.compile(r"<([\w.-]+:)?c\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?</\1?c>)",
                       re.S)


def _cells_in(text: str, arrays: list[tuple[int, int, int, int]]) -> set[tuple[int, int]]:
    """Spans of the cells with a saved value inside any of ``arrays``."""
    out = set()
    for m in _ANY_CELL.finditer(text):
        start = _START.match(text, m.start())
        if start is None or start.group(3):
            continue
        coords = cell_coords(dict(_ATTR.findall(start.group(2))).get("r", ""))
        if coords is None or "<v" not in m.group(0) and ":v" not in m.group(0):
            continue
        r, c = coords
        if any(r1 <= r <= r2 and c1 <= c <= c2 for r1, c1, r2, c2 in arrays):
            out.add((m.start(), m.end()))
    return out
