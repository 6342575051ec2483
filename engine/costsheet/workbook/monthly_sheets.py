"""The monthly owned sheets: Monthly, Variance and the append-only Refresh log.

:func:`write_monthly_sheets` renders a :class:`~costsheet.model.monthly_plan.MonthlyPlan`
(computed by :func:`costsheet.model.monthly_plan.plan_monthly`) into the scratch workbook that
``costsheet run`` grafts into the user's file; :func:`read_log` reads the Refresh log's earlier
rows back from the user's workbook, so that they are written again with exactly the same cell
values (header included; new columns only ever go to the right) before the new row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, LineChart
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..i18n import N_, _
from ..inputs import FAMILIES, FAMILY_LABELS
from ..model.monthly_plan import MonthlyPlan
from ..model.refresh_log import (
    FINGERPRINT,
    NOTE,
    TIME,
    TOTAL_PREFIX,
    display_title,
    row_values,
)
from ..model.timeline import VIEW_LABELS, MonthRow
from ..model.variance import Variance
from ..units import format_money
from .ooxml import Package
from .sheet_names import find_sheet
from .sheetkit import (
    FAMILY_COLORS,
    HEADER_FILL,
    TOTAL_FILL,
    OwnedSheet,
    add_named_styles,
    column_ref,
    finite_number,
    header_width,
    money_format,
    named_style,
    series,
    sheet_title,
    size,
    text_categories,
    text_font,
)

__all__ = [
    "LOG_SHEET",
    "MONTHLY_SHEET",
    "MONTHLY_SHEETS",
    "VARIANCE_SHEET",
    "read_log",
    "write_monthly_sheets",
]

MONTHLY_SHEET = "Monthly"
VARIANCE_SHEET = "Variance"
LOG_SHEET = "Refresh log"
MONTHLY_SHEETS: tuple[str, ...] = (MONTHLY_SHEET, VARIANCE_SHEET, LOG_SHEET)

_ACTUAL_FILL = PatternFill("solid", fgColor="EDEDED")


# ---------------------------------------------------------------------------------------------
# reading the previous log


def read_log(source: Package | Path | str | None,
             sheet: str = LOG_SHEET) -> tuple[list[Any], list[list[Any]]]:
    """The Refresh log's header and rows (cell values as stored), or ``([], [])``.

    ``source``: the workbook, as a package already open (its bytes as read: the log belongs to
    the inputs read with it) or a path; ``sheet``: the log's name there (with the workbook's
    sheet prefix)."""
    wb = _open(source)
    if wb is None:
        return [], []
    try:
        found = find_sheet(wb.sheetnames, sheet)
        ws = wb[found] if found is not None else None
        if ws is None:
            return [], []
        ws.reset_dimensions()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return _log_table(rows)


def _open(source: Package | Path | str | None) -> Any:
    """A read-only openpyxl workbook of ``source`` (cached values), None when there is none."""
    if isinstance(source, Package):
        return source.open_workbook(data_only=True)
    if source is None or not Path(source).exists():
        return None
    from .readonly_workbook import open_read_only

    return open_read_only(Path(source), data_only=True)


def _log_table(rows: list[list[Any]]) -> tuple[list[Any], list[list[Any]]]:
    """Header (trailing blanks dropped) and non-empty rows, all cut or padded to one width."""
    if not rows:
        return [], []
    header = list(rows[0])
    while header and header[-1] is None:
        header.pop()
    body = [r for r in rows[1:] if any(v is not None for v in r)]
    width = max([len(header), *(_width(r) for r in body)]) if body else len(header)
    return header, [list(r[:width]) + [None] * (width - len(r[:width])) for r in body]


def _width(row: Sequence[Any]) -> int:
    n = len(row)
    while n and row[n - 1] is None:
        n -= 1
    return n


# ---------------------------------------------------------------------------------------------
# writing


def _styles(wb: Any, currency: str) -> None:
    money = money_format(currency)
    header_font = text_font(bold=True, color="FFFFFF")
    total_border = Border(top=Side(style="thin"), bottom=Side(style="double"))
    bold = text_font(bold=True)
    add_named_styles(wb, [
        named_style("cm_title", font=text_font(bold=True, size=16, color="1F3864")),
        named_style("cm_section", font=text_font(bold=True, size=12, color="1F3864")),
        named_style("cm_note", font=text_font(italic=True, color="595959")),
        named_style("cm_header", font=header_font, fill=HEADER_FILL,
                    alignment=Alignment(horizontal="left", vertical="center", wrap_text=True)),
        named_style("cm_header_r", font=header_font, fill=HEADER_FILL,
                    alignment=Alignment(horizontal="right", vertical="center", wrap_text=True)),
        named_style("cm_text"),
        named_style("cm_actual_text", fill=_ACTUAL_FILL),
        named_style("cm_money", number_format=money),
        named_style("cm_money_actual", number_format=money, fill=_ACTUAL_FILL),
        named_style("cm_money_total", number_format=money, font=bold, fill=TOTAL_FILL,
                    border=total_border),
        named_style("cm_total_label", font=bold, fill=TOTAL_FILL, border=total_border),
        named_style("cm_pct", number_format="0.0%;[Red]-0.0%"),
        named_style("cm_pct_total", number_format="0.0%;[Red]-0.0%", font=bold,
                    fill=TOTAL_FILL, border=total_border),
        named_style("cm_var", number_format=_red_negative(money)),
    ])


def _red_negative(fmt: str) -> str:
    """``positive;negative`` → the same with negatives in red, and a plain zero."""
    pos, _sep, neg = fmt.partition(";")
    return f"{pos};[Red]{neg or '-' + pos};{pos}"


def _finish(sh: OwnedSheet, widths: Sequence[float], freeze: str) -> None:
    """Widths, frozen panes, then the rows (the charts and the print setup come after)."""
    sh.widths(widths)
    sh.freeze(freeze)
    sh.flush()


def _text_cats(chart: Any, sheet: str, col: int, first: int, last: int) -> None:
    text_categories(chart, column_ref(sheet, col, first, last))


def _axes(chart: Any, currency: str) -> None:
    chart.y_axis.title = currency
    chart.y_axis.numFmt = money_format(currency)
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend.position = "b"


def write_monthly_sheets(wb: Any, plan: MonthlyPlan) -> list[str]:
    """Add the Monthly, Variance and Refresh log sheets to the write-only workbook ``wb``."""
    _styles(wb, plan.currency)
    _write_monthly(wb, plan)
    _write_variance(wb, plan)
    _write_log(wb, plan)
    return [sheet_title(wb, name) for name in MONTHLY_SHEETS]


def _write_monthly(wb: Any, plan: MonthlyPlan) -> None:
    sh = OwnedSheet(wb, MONTHLY_SHEET)
    tl, cur = plan.timeline, plan.currency
    c = sh.cell
    sh.append([c(_("Monthly budget: {scenario}").format(scenario=plan.scenario), "cm_title")])
    sh.append([c(_("All amounts in {currency}. {view}: {n} months from {start} to {end}. Lines "
                   "with months are spread evenly; one-off lines fall in their start "
                   "month.").format(currency=cur, view=VIEW_LABELS["cash"], n=len(tl.months),
                                    start=tl.horizon.start, end=tl.horizon.end), "cm_note")])
    if plan.as_of is None:
        sh.append([c(_("No month is closed yet: every month shows the budget."), "cm_note")])
    else:
        sh.append([c(_("Months up to the as-of month ({as_of}) are shaded and show what was "
                       "booked (the actuals); later months show the budget.").format(
                           as_of=plan.as_of), "cm_note")])
    if tl.reserve:
        sh.append([c(_("The reserve for restart risk ({amount}, an expected cost) is not in the "
                       "months: it is held beside them (Variance sheet).").format(
                           amount=format_money(tl.reserve_total, cur)), "cm_note")])
    sh.append([])
    cash_rows = plan.cash_rows()
    header_row = _month_table(sh, cash_rows, plan.as_of)
    _reconcile(sh, cur, tl.model_total, [(r.label, r.amount) for r in tl.reconciliation()],
               _("the budget of these months"), tl.total,
               [(_("actuals in closed months instead of their budget"),
                 plan.actuals_instead_of_budget)] if plan.as_of is not None else [])
    sh.append([])
    sh.append([c(_("P&L view: {view}").format(view=VIEW_LABELS["pnl"]), "cm_section")])
    sh.append([c(_("Owned hardware is charged capex / life months in every month of its life "
                   "inside the horizon. Every month shows the budget."), "cm_note")])
    _month_table(sh, plan.pnl.rows(), None, shade=False)
    _reconcile(sh, cur, plan.pnl.model_total,
               [(r.label, r.amount) for r in plan.pnl.reconciliation()],
               _("this table's total"), plan.pnl.total, [])
    biggest = max([abs(row.cumulative) for row in cash_rows] + [1.0])
    money_w = max(14.0, len(format_money(biggest, cur)) * 1.2 + 3)
    labels = [FAMILY_LABELS[f] for f in FAMILIES]
    widths = [_header_width(_("Month"), 10.0),
              *[max(money_w, _header_width(lb)) for lb in labels],
              max(money_w, _header_width(_("Total"))), max(money_w, _header_width(_("Cumulative")))]
    _finish(sh, widths, f"B{header_row + 1}")
    _monthly_charts(sh, plan, cash_rows, header_row, get_column_letter(len(widths) + 2))
    sh.print_setup()


def _reconcile(sh: OwnedSheet, currency: str, model_total: float,
               steps: list[tuple[str, float]], subtotal_label: str, subtotal: float,
               more: list[tuple[str, float]]) -> None:
    """From the model's total (the Summary's) to a table's total, one line per step; the
    amounts in the Total column, the words to the left of them."""
    c = sh.cell
    col = 1 + len(FAMILIES) + 1  # the Total column
    pad = [None] * (col - 2)
    sh.append([])

    def line(label: str, amount: float, style: str = "cm_money") -> None:
        sh.append([c(label, "cm_text"), *pad, c(_f(amount), style)])

    sh.append([c(_("From the model's total (Summary) to this table's"), "cm_section")])
    line(_("the model's total (Summary)"), model_total)
    for label, amount in steps:
        line(label, amount, "cm_var")
    line("= " + subtotal_label, subtotal, "cm_money_total")
    if more:
        for label, amount in more:
            line(label, amount, "cm_var")
        line("= " + _("this table's total"), subtotal + math.fsum(a for _l, a in more),
             "cm_money_total")


def _month_table(sh: OwnedSheet, rows: Sequence[MonthRow], asof: str | None, *,
                 shade: bool = True) -> int:
    """Months × families with total and cumulative, then a total row; the header's row.
    ``shade``: months up to ``asof`` shaded (and the months' text styled)."""
    c = sh.cell
    header_row = sh.append([c(_("Month"), "cm_header"),
                            *[c(FAMILY_LABELS[f], "cm_header_r") for f in FAMILIES],
                            c(_("Total"), "cm_header_r"), c(_("Cumulative"), "cm_header_r")])
    for row in rows:
        done = asof is not None and row.month <= asof
        money = "cm_money_actual" if done else "cm_money"
        month = c(row.month, "cm_actual_text" if done else "cm_text") if shade else c(row.month)
        sh.append([month, *[c(row.families[f], money) for f in FAMILIES],
                   c(row.total, money), c(row.cumulative, money)])
    sh.append([c(_("Total"), "cm_total_label"),
               *[c(_column_sum(rows, f), "cm_money_total") for f in FAMILIES],
               c(_column_sum(rows), "cm_money_total"), c(None, "cm_total_label")])
    return header_row


def _monthly_charts(sh: OwnedSheet, plan: MonthlyPlan, cash_rows: Sequence[MonthRow],
                    header_row: int, chart_col: str) -> None:
    """Stacked columns of the families per month; a line of the cumulative spend."""
    ws, cur = sh.ws, plan.currency
    first, last = header_row + 1, header_row + len(cash_rows)
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "stacked"
    bar.overlap = 100
    bar.gapWidth = 40
    bar.title = _("{scenario}: spend by month and family (cash)").format(
        scenario=plan.scenario)
    for i, f in enumerate(FAMILIES):
        if all(row.families[f] == 0.0 for row in cash_rows):
            continue
        col = 2 + i
        bar.series.append(series(ws, col, first, last,
                                 f"${get_column_letter(col)}${header_row}", FAMILY_COLORS[f]))
    _text_cats(bar, ws.title, 1, first, last)
    _axes(bar, cur)
    size(bar, max(18.0, 0.9 * len(cash_rows) + 6), 9.0)
    bar.anchor = f"{chart_col}{header_row}"
    ws.add_chart(bar)

    line = LineChart()
    line.title = _("{scenario}: cumulative spend (cash)").format(scenario=plan.scenario)
    cum_col = 2 + len(FAMILIES) + 1
    s = series(ws, cum_col, first, last, f"${get_column_letter(cum_col)}${header_row}",
               "1F3864")
    s.smooth = False
    line.series.append(s)
    _text_cats(line, ws.title, 1, first, last)
    _axes(line, cur)
    size(line, bar.width, 8.0)
    line.anchor = f"{chart_col}{header_row + 20}"
    ws.add_chart(line)


#: the Variance sheet's tables, their column headings (English; translated when written)
_YTD_HEADS = (N_("Family"), N_("Budget"), N_("Actual"), N_("Variance"), N_("Variance %"),
              N_("FX effect"), N_("Real variance"))
_LE_HEADS = (N_("Family"), N_("Actual to date"), N_("Remaining budget"), N_("Latest estimate"),
             N_("Full budget"), N_("Change"), N_("Change %"))
_MOVER_HEADS = (N_("Family"), N_("Line"), N_("Budget"), N_("Actual"), N_("Variance"),
                N_("Variance %"), N_("FX effect"), N_("Real variance"))
_MONTH_HEADS = (N_("Month"), N_("Status"), N_("Budget"), N_("Actual"), N_("Variance"),
                N_("Latest estimate"), N_("Cumulative budget"), N_("Cumulative latest estimate"))
_MONTH_FAMILY_HEADS = (N_("Month"), N_("Family"), N_("Status"), N_("Budget"), N_("Actual"),
                       N_("Variance"), N_("Variance %"), N_("FX effect"), N_("Real variance"))
_YTD_COLS = ["budget", "actual", "variance", "variance_pct", "fx_effect", "real_variance"]
_YTD_STYLES = ["cm_money", "cm_money", "cm_var", "cm_pct", "cm_var", "cm_var"]
_LE_COLS = ["actual_to_date", "remaining_budget", "latest_estimate", "full_budget", "change",
            "change_pct"]


def _write_variance(wb: Any, plan: MonthlyPlan) -> None:
    sh = OwnedSheet(wb, VARIANCE_SHEET)
    v, cur = plan.variance, plan.currency
    c = sh.cell
    sh.append([c(_("Budget vs actual: {scenario}").format(scenario=plan.scenario),
                 "cm_title")])
    if v.as_of is None:
        sh.append([c(_("No actuals yet: fill the Actuals sheet and run again. Every month is "
                       "forecast (the budget)."), "cm_note")])
    else:
        sh.append([c(_("As of {month}: months up to it are actual, later months forecast. All "
                       "amounts in {currency}; budget lines at budget rates, actuals at actual "
                       "rates.").format(month=v.as_of, currency=cur), "cm_note")])
    sh.append([c(_("Variance = actual − budget (positive: spent more than planned). FX effect "
                   "= actual − actual at budget rates; real variance = the rest. FX effect + "
                   "real variance = variance."), "cm_note")])
    sh.append([])
    _variance_tables(sh, v)
    totals = _month_totals(v)
    head_row = _by_month_tables(sh, v, totals)
    cum = totals[-1][6:] if totals else (0.0, 0.0)
    big = max([abs(x) for x in cum] + [1.0])
    mw = max(14.0, len(format_money(big, cur)) * 1.2 + 3)
    tables = (_YTD_HEADS, _LE_HEADS, _MOVER_HEADS, _MONTH_HEADS, _MONTH_FAMILY_HEADS,
              _RESERVE_HEADS, _SPLIT_HEADS)
    floors = [max(26.0, *(_header_width(FAMILY_LABELS[f]) for f in FAMILIES)), 30.0]
    widths = [max(floors[i] if i < 2 else mw, *(_header_width(_(t[i])) for t in tables
                                                 if i < len(t)))
              for i in range(max(len(t) for t in tables))]
    _finish(sh, widths, "A5")
    _variance_charts(sh, cur, head_row, len(totals), get_column_letter(len(widths) + 2))
    sh.print_setup()


def _table(sh: OwnedSheet, title: str, headers: list[str], rows: list[list[Any]],
           styles: list[str], total: list[Any] | None = None, note: str | None = None) -> int:
    """A titled table (a total row styled to match, when given; a note below it), then a blank
    row; the header's row."""
    c = sh.cell
    sh.append([c(title, "cm_section")])
    head_row = sh.append([c(h, "cm_header" if i == 0 or (i == 1 and styles[1] == "cm_text")
                            else "cm_header_r") for i, h in enumerate(headers)])
    for r in rows:
        sh.append([c(val, st) for val, st in zip(r, styles, strict=True)])
    if total is not None:
        tstyles = ["cm_total_label" if st in ("cm_text", "cm_actual_text") else
                   ("cm_pct_total" if st == "cm_pct" else "cm_money_total") for st in styles]
        sh.append([c(val, st) for val, st in zip(total, tstyles, strict=True)])
    if note is not None:
        sh.append([c(note, "cm_note")])
    sh.append([])
    return head_row


def _variance_tables(sh: OwnedSheet, v: Variance) -> None:
    """Year to date, latest estimate against the full budget, and the lines that moved most."""
    asof = v.as_of
    year = asof[:4] if asof else ""
    _table(sh, _("Year to date ({start} to {end})").format(start=f"{year}-01", end=asof)
           if asof else _("Year to date (no actuals yet)"), [_(h) for h in _YTD_HEADS],
           [[FAMILY_LABELS[f], *[_f(getattr(v.ytd_of(f), k)) for k in _YTD_COLS]]
            for f in FAMILIES],
           ["cm_text", *_YTD_STYLES],
           [_("Total"), *[_f(getattr(v.ytd_of("total"), k)) for k in _YTD_COLS]])
    _latest_table(sh, v)
    _reserve_table(sh, v)
    _splits_table(sh, v)
    mv_rows = [[FAMILY_LABELS.get(r.family, r.family), str(r.item),
                *[_f(getattr(r, k)) for k in _YTD_COLS]] for r in v.mover_rows]
    if not mv_rows:
        mv_rows = [["", _("no actuals yet"), None, None, None, None, None, None]]
    _table(sh, _("Lines that moved most (to date, biggest variance first)"),
           [_(h) for h in _MOVER_HEADS], mv_rows, ["cm_text", "cm_text", *_YTD_STYLES])


def _latest_table(sh: OwnedSheet, v: Variance) -> None:
    """Latest estimate against the full budget, per family, then the reserve and the total
    with it (when the budget holds a reserve); a note gives the total without it."""
    rows = [[FAMILY_LABELS[f], *[_f(getattr(v.latest_of(f), k)) for k in _LE_COLS]]
            for f in FAMILIES]
    styles = ["cm_text", "cm_money", "cm_money", "cm_money", "cm_money", "cm_var", "cm_pct"]
    if not v.reserve_rows:
        _table(sh, _("Latest estimate (actuals to date + remaining budget) vs full budget"),
               [_(h) for h in _LE_HEADS], rows, styles,
               [_("Total"), *[_f(getattr(v.latest_of("total"), k)) for k in _LE_COLS]])
        return
    rows.append([_("Reserve for restart risk (used and not yet used)"),
                 *[_f(getattr(v.latest_of("reserve"), k)) for k in _LE_COLS]])
    _table(sh, _("Latest estimate (actuals to date + remaining budget + the reserve not yet "
                 "used) vs full budget"), [_(h) for h in _LE_HEADS], rows, styles,
           [_("Total, with the reserve"),
            *[_f(getattr(v.latest_of("total"), k)) for k in _LE_COLS]],
           note=_("Without the reserve, the latest estimate is {amount}: what the plan and the "
                  "actuals add up to.").format(
               amount=format_money(v.latest_estimate_without_reserve, v.currency)))


_RESERVE_HEADS = (N_("Line"), N_("Run ends"), N_("Reserve"), N_("Used"), N_("Released"),
                  N_("Not yet used"), N_("Status"))
_RESERVE_STATUS = {"held": N_("held"), "released": N_("released"), "used up": N_("used up")}
_SPLIT_HEADS = (N_("Month"), N_("Line"), N_("Booked as"), N_("Share"), N_("Amount"), N_("How"))


def _reserve_table(sh: OwnedSheet, v: Variance) -> None:
    """Each reserve line: its budget, used, released, not yet used, when its run ends."""
    if not v.reserve_rows:
        return
    rows = [[r.item, r.ends, _f(r.budget), _f(r.used), _f(r.released), _f(r.not_yet_used),
             _(_RESERVE_STATUS[r.status])] for r in v.reserve_rows]
    _table(sh, _("Reserve for restart risk (an expected cost, held beside the plan)"),
           [_(h) for h in _RESERVE_HEADS], rows,
           ["cm_text", "cm_text", "cm_money", "cm_money", "cm_money", "cm_money", "cm_text"],
           note=_("Actuals booked as reserve (or under the reserve line's name) use it; once "
                  "the last month of its run is closed, what is left is released."))


def _splits_table(sh: OwnedSheet, v: Variance) -> None:
    """Every actual booked under a pool's or run's name, and how it was split."""
    if not v.splits:
        return
    rows = []
    for split in v.splits:
        for p in split.parts:
            rows.append([split.month, p.item, split.group, _f(p.share), _f(p.amount),
                         _("{amount} split {how}").format(
                             amount=format_money(split.amount, v.currency), how=split.basis)])
    _table(sh, _("Invoices split across budget lines (booked under a pool's or run's name)"),
           [_(h) for h in _SPLIT_HEADS], rows,
           ["cm_text", "cm_text", "cm_text", "cm_pct", "cm_money", "cm_text"])


_MonthTotal = tuple[str, bool, float, float | None, float | None, float, float, float]


def _month_totals(v: Variance) -> list[_MonthTotal]:
    """Per month, all families: month, all actual?, budget, actual, variance, latest estimate,
    cumulative budget, cumulative latest estimate."""
    by_month: dict[str, list[Any]] = {}
    for r in v.monthly_rows:
        by_month.setdefault(r.month, []).append(r)
    out: list[_MonthTotal] = []
    cum_b = cum_f = 0.0
    for month, g in by_month.items():
        b = math.fsum(r.budget for r in g)
        done = all(r.status == "actual" for r in g)
        a = math.fsum(r.actual for r in g) if done else None
        fc = math.fsum(r.forecast for r in g)
        cum_b += b
        cum_f += fc
        out.append((month, done, b, a, None if a is None else a - b, fc, cum_b, cum_f))
    return out


def _by_month_tables(sh: OwnedSheet, v: Variance, totals: list[_MonthTotal]) -> int:
    """By month (all families; the charts' data), then by month and family; the first
    table's header row."""
    c = sh.cell
    sh.append([c(_("By month, all families"), "cm_section")])
    head_row = sh.append([c(_(h), "cm_header" if i < 2 else "cm_header_r")
                          for i, h in enumerate(_MONTH_HEADS)])
    for month, done, b, a, var, fc, cb, cf in totals:
        txt = "cm_actual_text" if done else "cm_text"
        mny = "cm_money_actual" if done else "cm_money"
        sh.append([c(month, txt), c(_(STATUS_WORDS["actual" if done else "forecast"]), txt),
                   c(b, mny), c(a, mny), c(var, "cm_var"), c(fc, mny), c(cb, mny),
                   c(cf, mny)])
    sh.append([])
    sh.append([c(_("By month and family"), "cm_section")])
    sh.append([c(_(h), "cm_header" if i < 3 else "cm_header_r")
               for i, h in enumerate(_MONTH_FAMILY_HEADS)])
    for r in v.monthly_rows:
        txt = "cm_actual_text" if r.status == "actual" else "cm_text"
        status = _(STATUS_WORDS.get(str(r.status), str(r.status)))
        sh.append([c(str(r.month), txt), c(FAMILY_LABELS[r.family], txt), c(status, txt),
                   c(_f(r.budget), "cm_money"), c(_f(r.actual), "cm_money"),
                   c(_f(r.variance), "cm_var"), c(_f(r.variance_pct), "cm_pct"),
                   c(_f(r.fx_effect), "cm_var"), c(_f(r.real_variance), "cm_var")])
    return head_row


def _variance_charts(sh: OwnedSheet, cur: str, head_row: int, months: int,
                     chart_col: str) -> None:
    """Budget against actual by month (columns); cumulative budget against the latest
    estimate (lines)."""
    ws = sh.ws
    first, last = head_row + 1, head_row + months
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "clustered"
    bar.title = _("Budget vs actual by month")
    bar.series.append(series(ws, 3, first, last, f"$C${head_row}", "9DC3E6"))
    bar.series.append(series(ws, 4, first, last, f"$D${head_row}", "C55A11"))
    _text_cats(bar, ws.title, 1, first, last)
    _axes(bar, cur)
    size(bar, max(18.0, 0.9 * months + 6), 8.5)
    bar.anchor = f"{chart_col}4"
    ws.add_chart(bar)

    line = LineChart()
    line.title = _("Cumulative: budget vs latest estimate")
    line.series.append(series(ws, 7, first, last, f"$G${head_row}", "9DC3E6"))
    line.series.append(series(ws, 8, first, last, f"$H${head_row}", "C55A11"))
    for s in line.series:
        s.smooth = False
    _text_cats(line, ws.title, 1, first, last)
    _axes(line, cur)
    size(line, bar.width, 8.5)
    line.anchor = f"{chart_col}23"
    ws.add_chart(line)


def _column_sum(rows: Sequence[MonthRow], family: str | None = None) -> float:
    """The sum over months of one family's column, or of the total column (None)."""
    return math.fsum(r.total if family is None else r.families[family] for r in rows)


def _header_width(text: str, floor: float = 0.0) -> float:
    """A column width that fits ``text`` in bold in two lines at most (headers wrap; a CJK
    character is two columns)."""
    return max(floor, header_width(text))


#: a month's status in the variance tables (the model's words are keys)
STATUS_WORDS = {"actual": N_("actual"), "forecast": N_("forecast")}


def _f(x: Any) -> float | None:
    """A finite float (rounding noise below a millionth shown as 0), or None for a blank: None,
    and NaN, the variance model's "no value" (a month without actuals, a variance with no
    budget to divide by); an infinite number is refused (:func:`finite_number`)."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f):
        return None
    finite_number(f)
    return 0.0 if abs(f) < 1e-6 else f


def _write_log(wb: Any, plan: MonthlyPlan) -> None:
    sh = OwnedSheet(wb, LOG_SHEET)
    header = plan.log_header  # keys (English); shown in the run's language
    money_cols = {i for i, h in enumerate(header)
                  if isinstance(h, str) and h.startswith(("Forecast", "Change", TOTAL_PREFIX))}
    shown = [display_title(h) if isinstance(h, str) else h for h in header]
    sh.append([sh.cell(h, "cm_header") for h in shown])

    def cells(values: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for i, value in enumerate(values):
            if value is None:
                out.append(None)
            elif i in money_cols and isinstance(value, int | float):
                out.append(sh.cell(value, "cm_var"))
            else:
                out.append(sh.cell(value))
        return out

    for row in plan.log_rows:  # earlier rows: the same values, in the same cells
        sh.append(cells(row))
    if plan.entry is not None:
        sh.append(cells(row_values([str(h) if h is not None else "" for h in header],
                                   plan.entry)))
    widths = [max(_LOG_WIDTHS.get(str(h), 14.0 if i in money_cols else 12.0),
                  min(_header_width(str(s or "")), 40)) for i, (h, s) in
              enumerate(zip(header, shown, strict=True))]
    _finish(sh, widths, "B2")
    sh.print_setup(title_rows="1:1", title_cols="A:A")


_LOG_WIDTHS = {TIME: 24.0, FINGERPRINT: 25.0, NOTE: 22.0}
