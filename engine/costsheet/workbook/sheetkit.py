"""One way to write an owned sheet: cells, named styles, widths, panes, print setup, chart bits.

Every sheet costsheet writes (Summary, Line items, Checks, Scenarios, Sensitivity, Risk,
Monthly, Variance, Refresh log) goes through :class:`OwnedSheet`, in openpyxl's write-only mode:
rows are queued, then widths, frozen panes and print setup are set (write-only sheets need them
before the first row), then :meth:`OwnedSheet.flush` writes the rows. The rules, one for all:

* **text is text**: cleaned of characters XML cannot hold, cut at Excel's 32,767 characters, and
  typed as text, so it is never read as a formula or an error value; text that starts like a
  formula (``=``, ``+``, ``-``, ``@``) and has no style takes the sheet's ``text_style``;
* **styles are named**: a cell's style is one of the scratch workbook's named styles, each with
  its font face and size named (:func:`named_style`; else LibreOffice falls back to a serif);
* **numbers are finite**: ``None`` is an empty cell (styled, when a style is given);
  :data:`NOT_APPLICABLE` shows the sheet's ``missing`` text (``"n/a"`` in ``cs_na``) or, when
  the sheet has none, an empty styled cell; a NaN or infinite number is refused
  (:func:`finite_number` raises :class:`~costsheet.errors.CostsheetError`, and nothing is
  written): the model refuses such inputs with their cells first, this is the last line;
* **widths** in Excel character units (:func:`text_width` for text that must fit), rounded to
  0.1;
* **notes** (a row of one ``cs_note``/``cm_note`` text) longer than the sheet's tables are
  wide are wrapped across the tables' columns (a merged cell as tall as the lines need), so no
  text runs past the tables on screen or on paper;
* **print**: :meth:`OwnedSheet.print_setup`, called last (after the charts), plans orientation,
  scale, bands and page breaks with :func:`costsheet.workbook.print_plan.plan_print` (type
  never below 8 pt; one page wide when that allows it; title rows repeated; pages that end
  between tables, not inside a chart), with narrow margins and the sheet's name and page
  number in the footer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from typing import Any

import numpy as np
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import Reference, Series
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import Series as ChartSeries
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import column_index_from_string, coordinate_to_tuple, get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

from ..errors import CostsheetError
from ..i18n import SOURCE_LANGUAGE, _, format_money, get_language
from .print_plan import DEFAULT_ROW_PT, MARGINS_IN, ChartBox, PrintPlan, Sheet, plan_print

__all__ = [
    "CURRENCY_SYMBOLS",
    "NOT_APPLICABLE",
    "finite_number",
    "FAMILY_COLORS",
    "HEADER_FILL",
    "STAGE_GROUP_COLORS",
    "TOTAL_FILL",
    "OwnedSheet",
    "add_named_styles",
    "axis_text",
    "clean_text",
    "column_ref",
    "currency_symbol",
    "money_format",
    "named_style",
    "quoted",
    "series",
    "sheet_title",
    "size",
    "text_categories",
    "text_font",
    "header_width",
    "number_width",
    "text_width",
    "wrapped_lines",
]

FORMULA_START = ("=", "+", "-", "@")
#: A number that does not apply here (shown as the sheet's ``missing`` text, e.g. "n/a").
NOT_APPLICABLE = object()
MAX_TEXT = 32767
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥"}
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
TOTAL_FILL = PatternFill("solid", fgColor="D9E1F2")
#: One colour per family, the same in every chart.
FAMILY_COLORS: dict[str, str] = {
    "compute": "2F5597",
    "data": "ED7D31",
    "staff": "70AD47",
    "power_facilities": "FFC000",
    "experiments": "8E44AD",
}
#: One colour per group of training stages (and for the lines no run carries).
STAGE_GROUP_COLORS: dict[str, str] = {
    "pre-training": "1F3864",
    "post-training": "C55A11",
    "data generation": "548235",
    "evaluation": "BF8F00",
    "other": "A6A6A6",
}


# ---------------------------------------------------------------------------------------------
# text, numbers, styles


def finite_number(value: Any, where: str = "") -> Any:
    """``value`` unchanged, unless it is a NaN or infinite number: then a refusal (the last line
    that keeps such a number out of a user's workbook; nothing is written)."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        message = (_("refused to write {value} on the {sheet} sheet: a number that is not "
                     "finite never goes into a workbook; nothing was written") if where else
                   _("refused to write {value}: a number that is not finite never goes into "
                     "a workbook; nothing was written"))
        raise CostsheetError(
            message.format(value=repr(float(value)), sheet=where), code="not_finite_output",
            hint=_("an input makes a cost overflow: check the inputs, and report this if they "
                   "are sound"))
    return value


def clean_text(value: Any) -> str:
    """``value`` as text a cell can hold: no XML-illegal characters, at most 32,767 long."""
    text: str = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:MAX_TEXT]


def currency_symbol(currency: str) -> str | None:
    """The sign written before amounts in ``currency`` in the current language (English:
    ``$``, ``¥``; Chinese, from CLDR: ``US$``, ``¥`` for CNY, ``JP¥``), or None when the
    language writes the code after the amount."""
    if get_language() == SOURCE_LANGUAGE:
        return CURRENCY_SYMBOLS.get(currency.upper())
    sample = format_money(1.0, currency.upper(), decimals=0)
    head = sample[: sample.index("1")].replace("\xa0", " ").strip() if "1" in sample else ""
    return head or None


def money_format(currency: str, decimals: int = 0) -> str:
    """An Excel number format for amounts in ``currency``, as the current language writes them:
    ``"$"#,##0`` or ``#,##0 "CHF"`` in English, ``"US$"#,##0`` or ``"¥"#,##0`` (CNY) in
    Chinese."""
    body = "#,##0" + ("." + "0" * decimals if decimals else "")
    sym = currency_symbol(currency)
    if sym:
        return f'"{sym}"{body};-"{sym}"{body}'
    return f'{body} "{currency}";-{body} "{currency}"'


def text_font(**kw: Any) -> Font:
    """A font with its face and size named (else LibreOffice falls back to a serif face)."""
    kw.setdefault("size", 11)
    return Font(name="Calibri", **kw)


def named_style(name: str, *, font: Font | None = None, **kw: Any) -> NamedStyle:
    """A named style whose font is named (:func:`text_font` when none is given)."""
    return NamedStyle(name, font=font or text_font(), **kw)


def add_named_styles(wb: Any, styles: Iterable[NamedStyle]) -> None:
    """Add ``styles`` to workbook ``wb``, but those whose name it already has."""
    have = {s if isinstance(s, str) else s.name for s in wb.named_styles}
    for style in styles:
        if style.name not in have:
            wb.add_named_style(style)
            have.add(style.name)


def text_width(text: str) -> float:
    """Column width (in Excel character units) that shows ``text`` with any common font."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)  # CJK: about two columns each
    return (len(text) + wide) * 1.15 + 3


#: width units a character takes when text wraps, in Calibri's proportions (the unit is its
#: digit width): a space when words are joined, and a lower bound for the classes below
CHAR_UNITS = 1.0
_NARROW = " .,:;'|!()[]-_/ijlrtf"
_WIDE = "mwMW@%&ABCDEFGHKNOPQRUVXYZ"  # capitals but the narrow ones (I, J, L, S, T)
#: every character as its class: n(arrow, 0.6 units), w(ide, 1.25), o(ther, 1)
_CJK = re.compile("[\u2e80-\U0010ffff]")  # two columns each
_CLASSES = str.maketrans({**{c: "n" for c in _NARROW}, **{c: "w" for c in _WIDE}})


def _units(text: str) -> float:
    """Width units of ``text``: an overestimate for Calibri (its lower-case letters are about
    0.85 units, its narrow ones 0.45), so that wrapped text is never cut."""
    classes = text.translate(_CLASSES)
    narrow, wide = classes.count("n"), classes.count("w")
    cjk = 0 if text.isascii() else len(_CJK.findall(text))
    other = len(text) - narrow - wide
    return 0.6 * narrow + 1.25 * wide + other + cjk


def wrapped_lines(text: str, width: float, exact: bool = False) -> int:
    """Lines ``text`` takes wrapped at its spaces in a column ``width`` units wide (an
    overestimate, so that a row made this tall shows all of it). By its length, 10% added for
    the ragged line ends; ``exact``: word by word (slower: for headers and notes)."""
    per_line = max(width - 1.5, 1.0)
    lines = 0
    for part in str(text).split("\n"):
        units = _units(part)
        if units <= per_line:
            lines += 1
            continue
        if not exact:
            lines += math.ceil(units * 1.1 / per_line)
            continue
        count, used = 1, 0.0
        for word in part.split(" "):
            w = _units(word)
            if used and used + CHAR_UNITS + w > per_line:
                count, used = count + 1, 0.0
            if w > per_line:  # a word longer than the column breaks where it must
                extra = math.ceil(w / per_line) - 1
                count, used = count + extra, w - extra * per_line
            else:
                used = used + (CHAR_UNITS if used else 0.0) + w
        lines += count
    return lines


def header_width(text: str, lines: int = 2) -> float:
    """The narrowest width (0.5 steps) at which ``text`` wraps into at most ``lines`` lines."""
    width = max([_units(w) + 1.5 for w in text.split()] or [3.0])
    while wrapped_lines(text, width, exact=True) > lines:
        width += 0.5
    return round(width + 1.0, 1)  # bold headers: a little wider


def shown_width(value: Any, style: str) -> float:
    """:func:`text_width` of ``value`` as roughly shown in named style ``style`` (the money
    styles measured with a one-character symbol)."""
    if isinstance(value, str):
        text = value
    elif style in ("cs_money", "cs_money_total"):
        text = f"{_SIGN_WIDTH()}{value:,.0f}"
    elif style == "cs_money2":
        text = f"{_SIGN_WIDTH()}{value:,.2f}"
    elif style == "cs_pct":
        text = f"{value:.1%}"
    elif style in ("cs_billions", "cs_trillions"):  # #,##0.0,,," B" and #,##0.0,,,," T"
        text = f"{value / (1e9 if style == 'cs_billions' else 1e12):,.1f} B"
    elif style in ("cs_int", "cs_li_int"):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return number_width(text)


def number_width(text: str) -> float:
    """Column width (character units) that shows a formatted number: a digit is one unit (the
    unit is the font's digit width), separators about half, plus the cell's padding."""
    return round(sum(1.0 if ch.isdigit() or ch in "$€£¥%-+" else 0.6 for ch in text) + 2.5, 1)


def _SIGN_WIDTH() -> str:  # noqa: N802 - a measure, not a value
    """Room for a currency sign: one character in English, three (``US$``) elsewhere."""
    return "$" if get_language() == SOURCE_LANGUAGE else "US$"


# ---------------------------------------------------------------------------------------------
# the sheet


def sheet_title(wb: Any, name: str) -> str:
    """The title of costsheet's sheet ``name`` in scratch workbook ``wb``: with the workbook's
    sheet-name prefix (``wb.sheet_prefix``, see :mod:`costsheet.workbook.sheet_names`)."""
    return str(getattr(wb, "sheet_prefix", "")) + name


class OwnedSheet:
    """A write-only sheet of the scratch workbook: queue rows, set its layout, then flush.

    ``text_style``: the style of text that starts like a formula, when the caller gives none.
    ``missing``: what :data:`NOT_APPLICABLE` shows (in ``cs_na``); None: an empty cell.
    """

    def __init__(self, wb: Any, title: str, *, text_style: str | None = None,
                 missing: str | None = None):
        self.ws = wb.create_sheet(sheet_title(wb, title))
        self.ws.sheet_format.defaultRowHeight = DEFAULT_ROW_PT  # the same in every application,
        self.ws.sheet_format.customHeight = True  # so that charts and page breaks stay put
        self.wb = wb
        self.text_style = text_style
        self.missing = missing
        self.queued: list[list[Any]] = []
        self.row_count = 0
        self.measured: dict[int, float] = {}  # column -> width its values need (see row())
        self.heights: list[float] = []  # each written row's height in points
        self.blank_rows: set[int] = set()
        self._wrap_memo: dict[str, bool] = {}

    @property
    def title(self) -> str:
        return str(self.ws.title)

    def cell(self, value: Any, style: str | None = None) -> Any:
        """A cell of ``value`` in named style ``style``, by the rules above."""
        if value is NOT_APPLICABLE:
            value, style = (None, style) if self.missing is None else (self.missing, "cs_na")
        finite_number(value, self.title)
        if isinstance(value, str):
            text = clean_text(value)
            c = WriteOnlyCell(self.ws, text)
            c.data_type = "s"  # user text is text, never a formula or an error value
            if style is None and text.startswith(FORMULA_START):
                style = self.text_style
        else:
            c = WriteOnlyCell(self.ws, value)
        if style is not None:
            c.style = style
        return c

    def append(self, row: Sequence[Any]) -> int:
        """Queue a row of cells or plain values; its 1-based row number."""
        self.queued.append(list(row))
        self.row_count += 1
        return self.row_count

    def blank(self) -> int:
        """Queue an empty row; its row number."""
        return self.append([])

    def row(self, *items: Any, styles: Sequence[str] | str = "cs_text") -> int:
        """Queue a row of ``value`` or ``(value, style)`` items (``styles`` gives the style of
        bare values), measuring the width each column needs (titles and notes excepted)."""
        out = []
        for i, item in enumerate(items):
            style = styles if isinstance(styles, str) else styles[i]
            value = item
            if isinstance(item, tuple):
                value, style = item
            out.append(None if value is None else self.cell(value, style))
            if value is not None and style not in ("cs_title", "cs_note"):
                need = header_width(str(value)) if style in HEADER_STYLES \
                    else shown_width(value, style)
                self.measured[i + 1] = max(self.measured.get(i + 1, 8.0), need)
        return self.append(out)

    def widths(self, widths: Iterable[float]) -> None:
        """Column widths from column A on."""
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = round(w, 1)

    def fit_widths(self, floors: Sequence[float] = (), cap: float = 36.0,
                   caps: Mapping[int, float] | None = None) -> None:
        """Widths of the columns :meth:`row` measured: at least ``floors[i]`` (else 8), at most
        ``cap`` (or ``caps[column]``, 1-based); longer text wraps (see :meth:`flush`)."""
        for col, w in self.measured.items():
            floor = floors[col - 1] if col - 1 < len(floors) else 8.0
            top = (caps or {}).get(col, cap)
            self.ws.column_dimensions[get_column_letter(col)].width = round(
                min(max(w, floor), top), 1)

    def freeze(self, cell: str | None) -> None:
        """Freeze the rows above and the columns left of ``cell``."""
        if cell:
            self.ws.freeze_panes = cell

    def print_setup(self, *, title_rows: str | None = None, title_cols: str | None = None,
                    splits: Sequence[int] = (), data_rows: Sequence[float] = ()) -> PrintPlan:
        """Plan and set how the sheet prints (after its rows and charts): see
        :mod:`costsheet.workbook.print_plan`. ``title_rows`` (``"1:1"``) and ``title_cols``
        (``"A:C"``) repeat on every page; ``splits``: columns a band of pages may start at;
        ``data_rows``: the heights (pt) of rows written outside this sheet's queue (Line
        items' spliced rows)."""
        ws = self.ws
        plan = plan_print(Sheet(
            widths=self.column_widths(), rows=[*self.heights, *data_rows],
            blank=frozenset(self.blank_rows), charts=[_chart_box(ch) for ch in ws._charts],
            splits=tuple(splits), title_rows=_span(title_rows),
            title_cols=_span(title_cols, letters=True)))
        setup = ws.page_setup
        setup.orientation = plan.orientation
        setup.scale = plan.scale
        if plan.across_then_down:
            setup.pageOrder = "overThenDown"
        left, right, top, bottom, header, footer = MARGINS_IN
        ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom,
                                      header=header, footer=footer)
        for index, row in plan.chart_rows.items():  # moved down: no page break cuts them
            chart = ws._charts[index]
            col = _chart_box(chart).col
            chart.anchor = f"{get_column_letter(col)}{row}"
        for col in plan.col_breaks:
            ws.col_breaks.append(Break(id=col))
        for row in plan.row_breaks:
            ws.row_breaks.append(Break(id=row))
        if title_rows:
            ws.print_title_rows = title_rows
        if plan.title_cols is not None and title_cols:
            ws.print_title_cols = title_cols
        ws.oddFooter.center.text = "&A"
        ws.oddFooter.right.text = "Page &P of &N"
        return plan

    def column_widths(self) -> list[float]:
        """The widths set, from column A to the last one set (unset ones at Excel's default)."""
        dims = self.ws.column_dimensions
        cols = [column_index_from_string(k) for k, d in dims.items() if d.width]
        return [float(dims[get_column_letter(c)].width or 8.43) for c in
                range(1, max(cols, default=0) + 1)]

    def flush(self) -> None:
        """Write the queued rows (after widths and panes: write-only mode); notes longer than
        the tables are wide wrap across their columns, other text longer than its column wraps
        in it, and rows grow to show it."""
        widths = self.column_widths()
        table = sum(widths) or 60.0
        last_col = max(len(widths), 1)
        for row in self.queued:
            self._wrap_long_text(row, widths)
            r = len(self.heights) + 1
            height = _row_height(row)
            note = _long_note(row, table)
            if note is not None:
                lines = wrapped_lines(note.value, table, exact=True)
                row[0].style = self._note_wrap_style()
                if last_col > 1:
                    self.ws.merged_cells.add(f"A{r}:{get_column_letter(last_col)}{r}")
                height = DEFAULT_ROW_PT * lines
                self.ws.row_dimensions[r].height = height
            else:
                height = max(height, self._wrapped_height(row))
                if height != DEFAULT_ROW_PT:  # taller text: rows do not grow by themselves
                    self.ws.row_dimensions[r].height = height
            if all(c is None or getattr(c, "value", c) in (None, "") for c in row):
                self.blank_rows.add(r)
            self.heights.append(height)
            self.ws.append(row)
        self.queued = []

    def _wrap_long_text(self, row: list[Any], widths: list[float]) -> None:
        """Text cells wider than their column and the empty cells right of it (text spills over
        empty neighbours in Excel and LibreOffice) take their style's wrapping twin."""
        if len(row) < 2:  # a lone cell: a title or a note, handled apart
            return
        for i, cell in enumerate(row[: len(widths)]):
            value = getattr(cell, "value", None)
            style = getattr(cell, "style", None)
            if not isinstance(value, str) or style in HEADER_STYLES or style is None \
                    or self._wraps(style) or wrapped_lines(value, _room(row, widths, i)) <= 1:
                continue
            cell.style = self._wrapping(style)

    def _wrapping(self, style: str) -> str:
        """The name of ``style``'s twin that wraps its text, made on first use."""
        name = style + "_wrap"
        if name not in self._wrap_memo:
            base = self._named(style)
            if base is None:
                return style
            align = copy(base.alignment)
            align.wrap_text = True
            add_named_styles(self.wb, [NamedStyle(
                name, font=copy(base.font), fill=copy(base.fill), border=copy(base.border),
                number_format=base.number_format, alignment=align)])
            self._wrap_memo[name] = True
        return name

    def _named(self, style: str) -> NamedStyle | None:
        for s in self.wb._named_styles:
            if not isinstance(s, str) and s.name == style:
                return s  # type: ignore[no-any-return]
        return None

    def _wrapped_height(self, row: list[Any]) -> float:
        """The height a row needs for its cells in a wrapping style (0 when it has none)."""
        widths = self.column_widths()
        lines = 0
        for i, cell in enumerate(row):
            if i < len(widths) and isinstance(getattr(cell, "value", None), str) \
                    and self._wraps(cell.style):
                lines = max(lines, wrapped_lines(cell.value, widths[i],
                                                 exact=cell.style in HEADER_STYLES))
        return DEFAULT_ROW_PT * lines

    def _wraps(self, style: str) -> bool:
        """Whether named style ``style`` wraps its text."""
        if style not in self._wrap_memo:
            found = self._named(style)
            self._wrap_memo[style] = bool(found is not None and found.alignment.wrap_text)
        return self._wrap_memo[style]

    def _note_wrap_style(self) -> str:
        add_named_styles(self.wb, [named_style(
            "cs_note_wrap", font=text_font(italic=True, color="595959"),
            alignment=Alignment(wrap_text=True, vertical="top"))])
        return "cs_note_wrap"


NOTE_STYLES = ("cs_note", "cm_note")
#: header styles: their text wraps into two lines rather than widen a column of numbers
HEADER_STYLES = ("cs_header", "cs_header_r", "cs_header_pad", "cm_header", "cm_header_r")
#: row heights of rows in a larger font (points)
TALL_STYLES = {"cs_title": 21.0, "cm_title": 21.0, "cm_section": 16.0}


def _room(row: list[Any], widths: list[float], i: int) -> float:
    """The width text in cell ``i`` of ``row`` may take: its column's and those of the empty
    cells right of it."""
    room = widths[i]
    for j in range(i + 1, len(widths)):
        if j < len(row) and getattr(row[j], "value", row[j]) not in (None, ""):
            break
        room += widths[j]
    return room


def _long_note(row: list[Any], table: float) -> Any:
    """The note cell of a row that holds only a note longer than ``table`` is wide, or None."""
    if not row or any(c is not None for c in row[1:]):
        return None
    cell = row[0]
    if getattr(cell, "style", None) not in NOTE_STYLES or not isinstance(cell.value, str):
        return None
    return cell if wrapped_lines(cell.value, table, exact=True) > 1 else None


def _row_height(row: list[Any]) -> float:
    return max([TALL_STYLES.get(getattr(c, "style", ""), DEFAULT_ROW_PT) for c in row
                if c is not None] or [DEFAULT_ROW_PT])


def _span(text: str | None, letters: bool = False) -> tuple[int, int] | None:
    """``"1:1"`` → (1, 1); ``"A:C"`` → (1, 3)."""
    if not text:
        return None
    a, _, b = text.replace("$", "").partition(":")
    if letters:
        return column_index_from_string(a), column_index_from_string(b or a)
    return int(a), int(b or a)


def _chart_box(chart: Any) -> ChartBox:
    """Where a chart sits and how big it is (its anchor is a cell such as ``"I4"``)."""
    row, col = coordinate_to_tuple(str(chart.anchor))
    per_cm = 72 / 2.54
    return ChartBox(col, row, float(chart.width) * per_cm, float(chart.height) * per_cm)


# ---------------------------------------------------------------------------------------------
# chart bits


def quoted(sheet: str) -> str:
    """A sheet name as a formula reference writes it: ``'My sheet'``."""
    return "'" + sheet.replace("'", "''") + "'"


def column_ref(sheet: str, col: int, first: int, last: int) -> str:
    """``'Sheet'!$C$5:$C$9``: rows ``first`` to ``last`` of column ``col``."""
    c = get_column_letter(col)
    return f"{quoted(sheet)}!${c}${first}:${c}${last}"


def axis_text(size: int = 900) -> RichText:
    """Axis or label text of ``size`` hundredths of a point."""
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)),
                                 endParaRPr=CharacterProperties(sz=size))])


def series(ws: Any, col: int, first: int, last: int, title_cell: str,
           color: str) -> ChartSeries:
    """A series of rows ``first`` to ``last`` of column ``col``, titled by ``title_cell``
    (``$B$4``) of the same sheet, filled and outlined in ``color``."""
    s: ChartSeries = Series(Reference(ws, min_col=col, min_row=first, max_row=last),
                            title_from_data=False)
    s.tx = SeriesLabel(strRef=StrRef(f=f"{quoted(ws.title)}!{title_cell}"))
    s.graphicalProperties = GraphicalProperties(solidFill=color)
    s.graphicalProperties.line.solidFill = color
    return s


def size(chart: ChartBase, width_cm: float, height_cm: float) -> None:
    """Set ``chart``'s size in centimetres."""
    chart.width = width_cm  # type: ignore[assignment]  # openpyxl's stubs say int; it takes cm
    chart.height = height_cm


def text_categories(chart: Any, ref: str) -> None:
    """Categories that are text (names, months): a string reference, not numbers."""
    for s in chart.series:
        s.cat = AxDataSource(strRef=StrRef(f=ref))
