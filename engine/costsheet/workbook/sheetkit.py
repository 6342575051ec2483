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
  0.1; **print**: landscape, one page wide unless told otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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
from openpyxl.styles import Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from ..errors import CostsheetError
from ..i18n import SOURCE_LANGUAGE, _, format_money, get_language

__all__ = [
    "CURRENCY_SYMBOLS",
    "NOT_APPLICABLE",
    "finite_number",
    "FAMILY_COLORS",
    "HEADER_FILL",
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
    "text_width",
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
    else:
        text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return text_width(text)


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
        self.text_style = text_style
        self.missing = missing
        self.queued: list[list[Any]] = []
        self.row_count = 0
        self.measured: dict[int, float] = {}  # column -> width its values need (see row())

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
                self.measured[i + 1] = max(self.measured.get(i + 1, 8.0),
                                           shown_width(value, style))
        return self.append(out)

    def widths(self, widths: Iterable[float]) -> None:
        """Column widths from column A on."""
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = round(w, 1)

    def fit_widths(self, floors: Sequence[float] = (), cap: float = 36.0) -> None:
        """Widths of the columns :meth:`row` measured: at least ``floors[i]`` (else 8), at most
        ``cap``."""
        for col, w in self.measured.items():
            floor = floors[col - 1] if col - 1 < len(floors) else 8.0
            self.ws.column_dimensions[get_column_letter(col)].width = round(
                min(max(w, floor), cap), 1)

    def freeze(self, cell: str | None) -> None:
        """Freeze the rows above and the columns left of ``cell``."""
        if cell:
            self.ws.freeze_panes = cell

    def print_setup(self, *, title_rows: str | None = None, fit_width: bool = True) -> None:
        """Landscape; one page wide unless ``fit_width`` is off (a sheet with a very wide
        column prints at full size across pages); ``title_rows`` repeated on every page."""
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        if fit_width:
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        if title_rows:
            ws.print_title_rows = title_rows

    def flush(self) -> None:
        """Write the queued rows (after widths, panes and print setup: write-only mode)."""
        for row in self.queued:
            self.ws.append(row)
        self.queued = []


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
