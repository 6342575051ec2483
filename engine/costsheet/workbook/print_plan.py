"""How an owned sheet prints: orientation, scale, page bands and page breaks, planned once.

:func:`plan_print` is what :meth:`costsheet.workbook.sheetkit.OwnedSheet.print_setup` applies
to every owned sheet. The rules:

* **legible type**: the sheet is printed at one explicit scale, never below :data:`MIN_SCALE`
  (costsheet's 11 pt text at 8 pt or more). A fitted scale ("fit to one page wide") would let
  Excel and LibreOffice shrink a wide sheet without limit, and both ignore manual page breaks
  when fitting; so the scale is computed here, for the narrowest common paper (US Letter
  landscape is narrower than A4, A4 landscape is shorter than Letter);
* **one page wide when that keeps the type legible**: the scale is the page's width over the
  sheet's (its columns and its charts), at most 100%. Portrait when the sheet fits a portrait
  page at full size, else landscape;
* **bands where it does not**: a sheet too wide for one legible page is printed in vertical
  bands: its tables, then the charts to their right; or at the column splits the sheet names
  (Line items: the amounts, then where they come from), with the title columns repeated on
  every band;
* **page breaks between blocks**: rows are put on pages so that a page ends at a blank row
  between two tables where it can, and never inside a chart when it can be avoided; a table
  longer than a page runs on, with its title rows repeated when the sheet has one table.

Pure: numbers in, a :class:`PrintPlan` out (no openpyxl), so it is tested without rendering.
Sizes: column widths in Excel character units (:data:`PT_PER_CHAR` points each), row heights
and page sizes in points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

__all__ = [
    "DEFAULT_ROW_PT", "MIN_SCALE", "MARGINS_IN", "ChartBox", "PrintPlan", "Sheet", "plan_print",
    "pt_of_width",
]

MIN_SCALE = 0.73  # 11 pt text printed at 8 pt
#: one width unit: Excel draws 7 px (5.25 pt) of Calibri 11, LibreOffice 7.4 px of Carlito 11;
#: the larger, so that what fits in one fits in both
PT_PER_CHAR = 5.55
DEFAULT_WIDTH = 9.14  # a column without a width: 64 px
DEFAULT_ROW_PT = 15.0  # Calibri 11 in Excel
MIN_FILL = 0.4  # a page ends between two blocks only once it is this full
#: left, right, top, bottom, header, footer in inches: Excel's "Narrow" margins
MARGINS_IN = (0.25, 0.25, 0.75, 0.75, 0.3, 0.3)
_LETTER = (612.0, 792.0)
_A4 = (595.3, 841.9)
#: printable width and height (pt) of the smaller of A4 and Letter, per orientation
PAGE = {
    "landscape": (min(_LETTER[1], _A4[1]) - 72 * (MARGINS_IN[0] + MARGINS_IN[1]),
                  min(_LETTER[0], _A4[0]) - 72 * (MARGINS_IN[2] + MARGINS_IN[3])),
    "portrait": (min(_LETTER[0], _A4[0]) - 72 * (MARGINS_IN[0] + MARGINS_IN[1]),
                 min(_LETTER[1], _A4[1]) - 72 * (MARGINS_IN[2] + MARGINS_IN[3])),
}


def pt_of_width(width: float) -> float:
    """Points of a column ``width`` Excel character units wide."""
    return width * PT_PER_CHAR


@dataclass(frozen=True)
class ChartBox:
    """A chart anchored at (``col``, ``row``), 1-based, ``width_pt`` × ``height_pt``."""

    col: int
    row: int
    width_pt: float
    height_pt: float


@dataclass
class Sheet:
    """What the planner needs to know of a sheet.

    ``widths``: column widths from column A (character units); ``rows``: each row's height
    (pt), row 1 first; ``blank``: rows that separate blocks (1-based); ``charts``;
    ``splits``: columns a band may start at (1-based), besides the one right of the tables;
    ``title_rows``/``title_cols``: repeated on every page (``(first, last)``, 1-based);
    ``row_breaks``: plan row breaks.
    """

    widths: Sequence[float]
    rows: Sequence[float]
    blank: frozenset[int] = frozenset()
    charts: Sequence[ChartBox] = ()
    splits: Sequence[int] = ()
    title_rows: tuple[int, int] | None = None
    title_cols: tuple[int, int] | None = None
    row_breaks: bool = True

    def width_of(self, first: int, last: int) -> float:
        """Points from the left edge of column ``first`` to the right edge of ``last``."""
        return sum(pt_of_width(self._width(c)) for c in range(first, last + 1))

    def _width(self, col: int) -> float:
        return self.widths[col - 1] if col <= len(self.widths) else DEFAULT_WIDTH

    def x_of(self, col: int) -> float:
        return self.width_of(1, col - 1)

    @cached_property
    def _tops(self) -> list[float]:
        """``_tops[i]``: points from the top of row 1 to the top of row ``i + 1``."""
        tops = [0.0]
        for height in self.rows:
            tops.append(tops[-1] + height)
        return tops

    def y_of(self, row: int) -> float:
        """Points from the top of row 1 to the top of ``row`` (rows past the last known are
        of the default height); constant time: a long sheet is planned in linear time."""
        known = len(self.rows)
        if row - 1 <= known:
            return self._tops[max(row - 1, 0)]
        return self._tops[known] + DEFAULT_ROW_PT * (row - 1 - known)

    def last_col_of(self, x_pt: float) -> int:
        """The column whose right edge is at or beyond ``x_pt``."""
        col, x = 1, pt_of_width(self._width(1))
        while x < x_pt - 0.01:
            col += 1
            x += pt_of_width(self._width(col))
        return col


@dataclass
class PrintPlan:
    """Orientation, scale (percent), and the breaks: ``col_breaks``/``row_breaks`` are the
    columns/rows a page ends after (1-based)."""

    orientation: str
    scale: int
    col_breaks: list[int] = field(default_factory=list)
    row_breaks: list[int] = field(default_factory=list)
    title_rows: tuple[int, int] | None = None
    title_cols: tuple[int, int] | None = None
    bands: list[tuple[int, int]] = field(default_factory=list)  # (first, last) column per band
    #: charts moved down so that no page break cuts them: chart index → its new anchor row
    chart_rows: dict[int, int] = field(default_factory=dict)

    @property
    def across_then_down(self) -> bool:
        """Print a band's pages side by side (over, then down): when title columns repeat,
        the rows of one page go on with their other columns on the next page."""
        return self.title_cols is not None


def _extent(sheet: Sheet) -> tuple[int, int]:
    """(last table column, last column any chart reaches)."""
    table = max(len(sheet.widths), 1)
    reach = table
    for ch in sheet.charts:
        reach = max(reach, sheet.last_col_of(sheet.x_of(ch.col) + ch.width_pt))
    return table, reach


def _bands(sheet: Sheet, starts: list[int], last: int) -> list[tuple[int, int]]:
    edges = sorted({1, *[s for s in starts if 1 < s <= last]})
    return [(a, (edges[i + 1] - 1) if i + 1 < len(edges) else last)
            for i, a in enumerate(edges)]


def _band_width(sheet: Sheet, band: tuple[int, int], first: bool) -> float:
    width = sheet.width_of(*band)
    if not first and sheet.title_cols is not None:
        a, b = sheet.title_cols
        if band[0] > b:
            width += sheet.width_of(a, b)
    return width


def plan_print(sheet: Sheet) -> PrintPlan:
    """The plan for ``sheet``: see the module's rules."""
    table, reach = _extent(sheet)
    width = sheet.width_of(1, reach)
    portrait_w = PAGE["portrait"][0]
    orientation = "portrait" if width <= portrait_w else "landscape"
    page_w, page_h = PAGE[orientation]
    bands = [(1, reach)]
    scale = min(1.0, page_w / width)
    banded: list[int] = []  # charts printed in a band of their own, right of the tables
    if scale < MIN_SCALE:
        starts = list(sheet.splits)
        right = [i for i, ch in enumerate(sheet.charts) if ch.col > table]
        if right:  # the charts' band starts right after the tables
            starts.append(table + 1)
            banded = right
        bands = _bands(sheet, starts, reach)
        widest = max(_band_width(sheet, b, i == 0) for i, b in enumerate(bands))
        scale = max(MIN_SCALE, min(1.0, page_w / widest))
    split_more = scale <= MIN_SCALE and any(  # the application splits a band further
        _band_width(sheet, b, i == 0) * MIN_SCALE > page_w + 0.5 for i, b in enumerate(bands))
    plan = PrintPlan(orientation, math.floor(scale * 100 + 1e-9),
                     col_breaks=[b[1] for b in bands[:-1]], title_rows=sheet.title_rows,
                     title_cols=sheet.title_cols if len(bands) > 1 or split_more else None,
                     bands=bands)
    if sheet.row_breaks:
        capacity = page_h / (plan.scale / 100)
        beside = [ch for i, ch in enumerate(sheet.charts) if i not in banded]
        plan.row_breaks = _row_breaks(sheet, beside, capacity)
        if banded:
            plan.chart_rows = _place_charts(sheet, banded, plan.row_breaks, capacity)
    return plan


def _inside_chart(sheet: Sheet, charts: Sequence[ChartBox], row: int) -> bool:
    """A break after ``row`` would cut one of ``charts``."""
    y = sheet.y_of(row + 1)
    return any(sheet.y_of(ch.row) < y < sheet.y_of(ch.row) + ch.height_pt - 1 for ch in charts)


def _last_row(sheet: Sheet, charts: Sequence[ChartBox]) -> int:
    """The last row the sheet's rows or ``charts`` reach."""
    last = len(sheet.rows)
    for ch in charts:
        bottom = sheet.y_of(ch.row) + ch.height_pt
        while sheet.y_of(last + 1) < bottom:
            last += 1
    return last


def _title_height(sheet: Sheet) -> float:
    if sheet.title_rows is None:
        return 0.0
    a, b = sheet.title_rows
    return sheet.y_of(b + 1) - sheet.y_of(a)


def _row_breaks(sheet: Sheet, charts: Sequence[ChartBox], capacity: float,
                last: int | None = None) -> list[int]:
    """Rows a page ends after: the last blank row between blocks that fits the page (and
    fills at least :data:`MIN_FILL` of it), else the last row that does not cut one of
    ``charts``, else the last row that fits."""
    breaks: list[int] = []
    last = _last_row(sheet, charts) if last is None else last
    title = _title_height(sheet)
    start, top = 1, 0.0
    while sheet.y_of(last + 1) - top > capacity:
        end_fit = start  # rows end lower and lower: the rows that fit are a run from start
        while end_fit < last and sheet.y_of(end_fit + 1) - top <= capacity:
            end_fit += 1
        fits = list(range(start, end_fit)) or [start]
        whole = [r for r in fits if not _inside_chart(sheet, charts, r)]
        gaps = [r for r in whole if r in sheet.blank
                and sheet.y_of(r + 1) - top >= MIN_FILL * capacity]
        end = gaps[-1] if gaps else (whole[-1] if whole else fits[-1])
        breaks.append(end)
        start = end + 1
        top = sheet.y_of(start) - title
    return breaks


def _place_charts(sheet: Sheet, banded: list[int], breaks: list[int],
                  capacity: float) -> dict[int, int]:
    """New anchor rows for the charts of their own band, in order, so that no page break cuts
    them: a chart that would cross one starts at the next page's top instead. ``breaks`` gets
    the page ends past the tables' last page that the charts need."""
    out: dict[int, int] = {}
    cursor, bottom_row = 1, len(sheet.rows)
    for i in sorted(banded, key=lambda i: (sheet.charts[i].row, i)):
        ch = sheet.charts[i]
        row = max(ch.row, cursor)
        if ch.height_pt <= capacity - 2 * DEFAULT_ROW_PT:  # it fits a page: find one
            _top, end = _page_of(sheet, breaks, row, capacity)
            while sheet.y_of(row) + ch.height_pt > sheet.y_of(end + 1) - 2:
                row = end + 2  # a row below the page's top edge: no sliver of frame above
                _top, end = _page_of(sheet, breaks, row, capacity)
        out[i] = row
        cursor = row
        while sheet.y_of(cursor) < sheet.y_of(row) + ch.height_pt + 0.5 * DEFAULT_ROW_PT:
            cursor += 1
        bottom_row = max(bottom_row, cursor - 1)
    top = max(breaks, default=0) + 1
    while True:  # pages past the last break, up to the last chart: end them where planned
        top, end = _page_of(sheet, breaks, top, capacity)
        if end >= bottom_row:
            break
        breaks.append(end)
        top = end + 1
    breaks.sort()
    return {i: r for i, r in out.items() if r != sheet.charts[i].row}


def _page_of(sheet: Sheet, breaks: list[int], row: int, capacity: float) -> tuple[int, int]:
    """(first row, last row) of the page that ``row`` is on: by ``breaks``, and past the last
    one, pages filled to ``capacity`` points."""
    top = 1
    for b in sorted(breaks):
        if row <= b:
            return top, b
        top = b + 1
    while True:
        end = top
        while sheet.y_of(end + 2) - sheet.y_of(top) <= capacity:
            end += 1
        if row <= end:
            return top, end
        top = end + 1
