"""The monthly owned sheets: Monthly, Variance and the append-only Refresh log.

:func:`plan_monthly` computes everything (timeline, variance, the next log row) and reads the
previous log rows from the user's workbook; :func:`write_monthly_sheets` writes the three sheets
into the scratch workbook that ``costsheet run`` grafts into the user's file.

The Refresh log is append-only: its earlier rows are read back from the workbook and written again
with exactly the same cell values (header included; new columns only ever go to the right), then
one row is appended, unless the inputs, the as-of month and the scenario are those of the last
row, in which case nothing is appended and the run says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Border, NamedStyle, PatternFill, Side
from openpyxl.styles import Font as _Font
from openpyxl.utils import get_column_letter

from ..catalog import Catalog
from ..errors import InputError, Report
from ..inputs import FAMILIES, FAMILY_LABELS, Budget
from ..model.items import BudgetResult
from ..model.refresh_log import (
    LogEntry,
    describe_change,
    fingerprint,
    is_unchanged,
    log_header,
    make_entry,
    row_values,
    rows_as_dicts,
)
from ..model.timeline import VIEW_LABELS, MonthRow, Timeline, as_month, build_timeline
from ..model.variance import FxError, FxRates, Variance, compute_variance
from ..units import format_money
from .actuals import ActualsRead
from .writer import _HEADER_FILL, _TOTAL_FILL, FAMILY_COLORS  # one look for every owned sheet

__all__ = [
    "LOG_SHEET",
    "MONTHLY_SHEET",
    "MONTHLY_SHEETS",
    "VARIANCE_SHEET",
    "MonthlyPlan",
    "plan_monthly",
    "read_log",
    "write_monthly_sheets",
]

MONTHLY_SHEET = "Monthly"
VARIANCE_SHEET = "Variance"
LOG_SHEET = "Refresh log"
MONTHLY_SHEETS: tuple[str, ...] = (MONTHLY_SHEET, VARIANCE_SHEET, LOG_SHEET)

_FORMULA_START = ("=", "+", "-", "@")
_ACTUAL_FILL = PatternFill("solid", fgColor="EDEDED")


@dataclass
class MonthlyPlan:
    """Everything the monthly sheets show, computed before anything is written."""

    scenario: str
    currency: str
    timeline: Timeline  # cash view
    pnl: Timeline  # P&L view, same horizon
    variance: Variance
    fingerprint: str
    log_header: list[str]
    log_rows: list[list[Any]]  # the earlier rows, exactly as read
    entry: LogEntry | None  # the row appended; None when unchanged
    unchanged: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> str | None:
        return self.variance.as_of

    def messages(self) -> list[str]:
        """What the terminal says about the refresh."""
        money = _money_fn(self.currency)
        if self.unchanged:
            last = rows_as_dicts(self.log_header, self.log_rows[-1:])[0] if self.log_rows \
                else {}
            when = last.get("Time") or "the previous run"
            return [f"refresh log: inputs and as-of month unchanged since {when}; "
                    "no row added"]
        assert self.entry is not None
        lines = [f"refresh log: row {len(self.log_rows) + 1} added"]
        lines += describe_change(self.entry, money)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "as_of": self.as_of,
            "fingerprint": self.fingerprint,
            "unchanged": self.unchanged,
            "log_rows": len(self.log_rows) + (0 if self.unchanged else 1),
            "latest_estimate": self.variance.latest_estimate,
            "full_budget": self.variance.full_budget,
        }


def _money_fn(currency: str):
    return lambda x: format_money(x, currency)


# ---------------------------------------------------------------------------------------------
# reading the previous log


def read_log(path: Path | str | None) -> tuple[list[Any], list[list[Any]]]:
    """The Refresh log's header and rows (cell values as stored), or ``([], [])``."""
    if path is None or not Path(path).exists():
        return [], []
    from .readonly_workbook import open_read_only

    wb = open_read_only(Path(path), data_only=True)
    try:
        ws = next((wb[t] for t in wb.sheetnames if t.casefold() == LOG_SHEET.casefold()), None)
        if ws is None:
            return [], []
        ws.reset_dimensions()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
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
# the plan


def plan_monthly(
    budget: Budget,
    results: Mapping[str, BudgetResult],
    *,
    source: Path | str | None = None,
    actuals: ActualsRead | None = None,
    as_of: str | None = None,
    scenario: str | None = None,
    now: datetime | None = None,
    version: str = "",
    catalog: Catalog | None = None,
) -> MonthlyPlan:
    """Timeline, variance and the next Refresh log row of ``scenario`` (default: the first).

    ``source`` is the workbook whose Refresh log rows are kept. Raises InputError (with a report
    naming cells) for currencies that cannot be converted, or an as-of month that is not one.
    """
    if not version:
        from .. import __version__ as version
    now = now or datetime.now().astimezone()
    names = list(results)
    sc = scenario or (names[0] if names else "Base")
    if sc not in results:
        lower = {n.casefold(): n for n in names}
        if sc.casefold() not in lower:
            raise InputError(f"--scenario: unknown scenario {sc!r} (known: {', '.join(names)})")
        sc = lower[sc.casefold()]
    asof = as_month(as_of, "--as-of") if as_of is not None else None
    read = actuals or ActualsRead()
    fallback = f"{now.year:04d}-{now.month:02d}"
    tl = build_timeline(budget, scenario=sc, view="cash", result=results[sc], catalog=catalog,
                        fallback_start=fallback)
    pnl = build_timeline(budget, scenario=sc, view="pnl", result=results[sc], catalog=catalog,
                         horizon=tl.horizon, fallback_start=fallback)
    actual_fx: FxRates = read.actual_fx(tl.currency, budget.fx_rates)
    try:
        var = compute_variance(budget, read.actuals, as_of=asof, actual_fx=actual_fx,
                               timeline=tl)
    except FxError as exc:
        report = Report()
        for p in exc.problems:
            sh, _, cell = read.cell_of(p).partition("!")
            report.add(sh, cell, "currency", p.currency, p.message)
        raise InputError(exc.message, hint=exc.hint, report=report) from None
    fp = fingerprint(budget, read.actuals, var.as_of, actual_fx)
    header, rows = read_log(source)
    dict_rows = rows_as_dicts(header, rows)
    unchanged = is_unchanged(dict_rows, fp, var.as_of, sc)
    entry = None
    new_header = [h for h in header]
    if not unchanged:
        entry = make_entry(
            now=now, as_of=var.as_of, version=version, fingerprint=fp, scenario=sc,
            currency=tl.currency, forecast=var.forecast_by_family,
            scenario_totals={n: float(r.total) for n, r in results.items()},
            previous_rows=dict_rows, view=tl.view,
            note=f"{len(read.actuals)} actual rows" if read.actuals else "no actuals yet")
        new_header = log_header([str(h) if h is not None else "" for h in header], entry) \
            if header else log_header([], entry)
        if header:  # keep the stored header cells exactly; only add titles at the right
            new_header = [*header, *new_header[len(header):]]
    return MonthlyPlan(
        scenario=sc, currency=tl.currency, timeline=tl, pnl=pnl, variance=var,
        fingerprint=fp, log_header=new_header, log_rows=rows, entry=entry,
        unchanged=unchanged, warnings=list(var.warnings),
    )


# ---------------------------------------------------------------------------------------------
# writing


def _styles(wb: Any, currency: str) -> None:
    from .writer import money_format

    have = {s if isinstance(s, str) else s.name for s in wb.named_styles}

    def Font(**kw: Any) -> _Font:  # noqa: N802 - named fonts: LibreOffice falls back to serif
        return _Font(name="Calibri", **{"size": 11, **kw})

    header_font = Font(bold=True, color="FFFFFF")
    total_border = Border(top=Side(style="thin"), bottom=Side(style="double"))
    specs = [
        NamedStyle("cm_title", font=Font(bold=True, size=16, color="1F3864")),
        NamedStyle("cm_section", font=Font(bold=True, size=12, color="1F3864")),
        NamedStyle("cm_note", font=Font(italic=True, color="595959")),
        NamedStyle("cm_header", font=header_font, fill=_HEADER_FILL,
                   alignment=Alignment(horizontal="left", vertical="center")),
        NamedStyle("cm_header_r", font=header_font, fill=_HEADER_FILL,
                   alignment=Alignment(horizontal="right", vertical="center")),
        NamedStyle("cm_text", font=Font()),
        NamedStyle("cm_actual_text", font=Font(), fill=_ACTUAL_FILL),
        NamedStyle("cm_money", font=Font(), number_format=money_format(currency)),
        NamedStyle("cm_money_actual", font=Font(), number_format=money_format(currency),
                   fill=_ACTUAL_FILL),
        NamedStyle("cm_money_total", number_format=money_format(currency),
                   font=Font(bold=True), fill=_TOTAL_FILL, border=total_border),
        NamedStyle("cm_total_label", font=Font(bold=True), fill=_TOTAL_FILL,
                   border=total_border),
        NamedStyle("cm_pct", font=Font(), number_format="0.0%;[Red]-0.0%"),
        NamedStyle("cm_pct_total", number_format="0.0%;[Red]-0.0%", font=Font(bold=True),
                   fill=_TOTAL_FILL, border=total_border),
        NamedStyle("cm_var", font=Font(),
                   number_format=_red_negative(money_format(currency))),
    ]
    for style in specs:
        if style.name not in have:
            wb.add_named_style(style)


def _red_negative(fmt: str) -> str:
    """``positive;negative`` → the same with negatives in red, and a plain zero."""
    pos, _, neg = fmt.partition(";")
    return f"{pos};[Red]{neg or '-' + pos};{pos}"


class _Sheet:
    """A write-only sheet: queue rows, set widths, then flush (write-only needs widths first)."""

    def __init__(self, wb: Any, title: str):
        self.ws = wb.create_sheet(title)
        self.rows: list[list[Any]] = []

    def cell(self, value: Any, style: str | None = None) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        c = WriteOnlyCell(self.ws, value)
        if isinstance(value, str):
            c.data_type = "s"  # text stays text, never a formula
        if style is not None:
            c.style = style
        return c

    def append(self, row: Sequence[Any]) -> int:
        self.rows.append(list(row))
        return len(self.rows)

    def flush(self, widths: Sequence[float], freeze: str | None = None,
              fit_width: bool = True) -> None:
        for i, w in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = round(w, 1)
        if freeze:
            self.ws.freeze_panes = freeze
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        if fit_width:
            from openpyxl.worksheet.properties import PageSetupProperties

            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        for row in self.rows:
            ws.append(row)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _text_cats(chart: Any, sheet: str, col: int, first: int, last: int) -> None:
    ref = f"{_quoted(sheet)}!${get_column_letter(col)}${first}:${get_column_letter(col)}${last}"
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=ref))


def _series(ws: Any, col: int, first: int, last: int, title_cell: str, color: str) -> Series:
    values = Reference(ws, min_col=col, min_row=first, max_row=last)
    s = Series(values, title_from_data=False)
    s.tx = SeriesLabel(strRef=StrRef(f=f"{_quoted(ws.title)}!{title_cell}"))
    s.graphicalProperties = GraphicalProperties(solidFill=color)
    s.graphicalProperties.line.solidFill = color
    return s


def _axes(chart: Any, currency: str) -> None:
    from .writer import money_format

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
    return list(MONTHLY_SHEETS)


def _write_monthly(wb: Any, plan: MonthlyPlan) -> None:
    sh = _Sheet(wb, MONTHLY_SHEET)
    ws = sh.ws
    tl, cur = plan.timeline, plan.currency
    cash_rows = tl.rows()
    pnl_rows = plan.pnl.rows()
    labels = [FAMILY_LABELS[f] for f in FAMILIES]
    c = sh.cell
    sh.append([c(f"Monthly budget: {plan.scenario}", "cm_title")])
    sh.append([c(f"All amounts in {cur}. {VIEW_LABELS['cash']}: {len(tl.months)} months from "
                 f"{tl.horizon.start} to {tl.horizon.end}. Lines with months are spread evenly; "
                 "one-off lines fall in their start month.", "cm_note")])
    sh.append([c(f"Total {format_money(tl.total, cur)} (the model's total "
                 f"{format_money(tl.model_total, cur)}, with owned hardware as its purchase "
                 "instead of depreciation). Months up to the as-of month "
                 f"({plan.as_of or 'none yet'}) are shaded.", "cm_note")])
    sh.append([])
    head = [c("Month", "cm_header"), *[c(lb, "cm_header_r") for lb in labels],
            c("Total", "cm_header_r"), c("Cumulative", "cm_header_r")]
    header_row = sh.append(head)
    first = header_row + 1
    asof = plan.as_of
    for row in cash_rows:
        done = asof is not None and row.month <= asof
        money = "cm_money_actual" if done else "cm_money"
        sh.append([c(row.month, "cm_actual_text" if done else "cm_text"),
                   *[c(row.families[f], money) for f in FAMILIES],
                   c(row.total, money), c(row.cumulative, money)])
    last = header_row + len(cash_rows)
    sh.append([c("Total", "cm_total_label"),
               *[c(_column_sum(cash_rows, f), "cm_money_total") for f in FAMILIES],
               c(_column_sum(cash_rows), "cm_money_total"), c(None, "cm_total_label")])
    sh.append([])
    pnl_head_row = sh.append([c(f"P&L view: {VIEW_LABELS['pnl']}", "cm_section")])
    sh.append([c(f"Owned hardware is charged capex / life months in every month of its life "
                 f"inside the horizon. Total {format_money(plan.pnl.total, cur)}.", "cm_note")])
    sh.append([c("Month", "cm_header"), *[c(lb, "cm_header_r") for lb in labels],
               c("Total", "cm_header_r"), c("Cumulative", "cm_header_r")])
    for row in pnl_rows:
        sh.append([c(row.month), *[c(row.families[f], "cm_money") for f in FAMILIES],
                   c(row.total, "cm_money"), c(row.cumulative, "cm_money")])
    sh.append([c("Total", "cm_total_label"),
               *[c(_column_sum(pnl_rows, f), "cm_money_total") for f in FAMILIES],
               c(_column_sum(pnl_rows), "cm_money_total"), c(None, "cm_total_label")])
    biggest = max([abs(row.cumulative) for row in cash_rows] + [1.0])
    money_w = max(14.0, len(format_money(biggest, cur)) * 1.2 + 3)
    widths = [10.0, *[max(money_w, _header_width(lb)) for lb in labels], money_w,
              max(money_w, _header_width("Cumulative"))]
    sh.flush(widths, freeze=f"B{header_row + 1}")
    del pnl_head_row

    # stacked columns: families per month; a line: cumulative spend
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "stacked"
    bar.overlap = 100
    bar.gapWidth = 40
    bar.title = f"{plan.scenario}: spend by month and family (cash)"
    for i, f in enumerate(FAMILIES):
        if all(row.families[f] == 0.0 for row in cash_rows):
            continue
        col = 2 + i
        bar.series.append(_series(ws, col, first, last,
                                  f"${get_column_letter(col)}${header_row}", FAMILY_COLORS[f]))
    _text_cats(bar, ws.title, 1, first, last)
    _axes(bar, cur)
    bar.width, bar.height = max(18.0, 0.9 * len(cash_rows) + 6), 9.0
    chart_col = get_column_letter(len(widths) + 2)
    bar.anchor = f"{chart_col}{header_row}"
    ws.add_chart(bar)

    line = LineChart()
    line.title = f"{plan.scenario}: cumulative spend (cash)"
    cum_col = 2 + len(FAMILIES) + 1
    s = _series(ws, cum_col, first, last, f"${get_column_letter(cum_col)}${header_row}",
                "1F3864")
    s.smooth = False
    line.series.append(s)
    _text_cats(line, ws.title, 1, first, last)
    _axes(line, cur)
    line.width, line.height = bar.width, 8.0
    line.anchor = f"{chart_col}{header_row + 20}"
    ws.add_chart(line)


def _write_variance(wb: Any, plan: MonthlyPlan) -> None:
    sh = _Sheet(wb, VARIANCE_SHEET)
    ws = sh.ws
    v, cur = plan.variance, plan.currency
    c = sh.cell
    sh.append([c(f"Budget vs actual: {plan.scenario}", "cm_title")])
    asof = v.as_of
    if asof is None:
        sh.append([c("No actuals yet: fill the Actuals sheet and run again. Every month is "
                     "forecast (the budget).", "cm_note")])
    else:
        sh.append([c(f"As of {asof}: months up to it are actual, later months forecast. "
                     f"All amounts in {cur}; budget lines at budget rates, actuals at actual "
                     "rates.", "cm_note")])
    sh.append([c("Variance = actual − budget (positive: spent more than planned). FX effect = "
                 "actual − actual at budget rates; real variance = the rest. FX effect + real "
                 "variance = variance.", "cm_note")])
    sh.append([])

    def table(title: str, headers: list[str], rows: list[list[Any]], styles: list[str],
              total: list[Any] | None = None) -> int:
        sh.append([c(title, "cm_section")])
        head_row = sh.append([c(h, "cm_header" if i == 0 or (i == 1 and styles[1] == "cm_text")
                                else "cm_header_r") for i, h in enumerate(headers)])
        for r in rows:
            sh.append([c(val, st) for val, st in zip(r, styles, strict=True)])
        if total is not None:
            tstyles = ["cm_total_label" if st in ("cm_text", "cm_actual_text") else
                       ("cm_pct_total" if st == "cm_pct" else "cm_money_total") for st in styles]
            sh.append([c(val, st) for val, st in zip(total, tstyles, strict=True)])
        sh.append([])
        return head_row

    fams = list(FAMILIES)
    year = asof[:4] if asof else ""
    ytd_cols = ["budget", "actual", "variance", "variance_pct", "fx_effect", "real_variance"]
    money6 = ["cm_money", "cm_money", "cm_var", "cm_pct", "cm_var", "cm_var"]
    table(f"Year to date ({year}-01 to {asof})" if asof else "Year to date (no actuals yet)",
          ["Family", "Budget", "Actual", "Variance", "Variance %", "FX effect",
           "Real variance"],
          [[FAMILY_LABELS[f], *[_f(getattr(v.ytd_of(f), k)) for k in ytd_cols]] for f in fams],
          ["cm_text", *money6],
          ["Total", *[_f(getattr(v.ytd_of("total"), k)) for k in ytd_cols]])

    le_cols = ["actual_to_date", "remaining_budget", "latest_estimate", "full_budget",
               "change", "change_pct"]
    table("Latest estimate (actuals to date + remaining budget) vs full budget",
          ["Family", "Actual to date", "Remaining budget", "Latest estimate", "Full budget",
           "Change", "Change %"],
          [[FAMILY_LABELS[f], *[_f(getattr(v.latest_of(f), k)) for k in le_cols]]
           for f in fams],
          ["cm_text", "cm_money", "cm_money", "cm_money", "cm_money", "cm_var", "cm_pct"],
          ["Total", *[_f(getattr(v.latest_of("total"), k)) for k in le_cols]])

    mv_rows = [[FAMILY_LABELS.get(r.family, r.family), str(r.item),
                *[_f(getattr(r, k)) for k in ytd_cols]] for r in v.mover_rows]
    if not mv_rows:
        mv_rows = [["", "no actuals yet", None, None, None, None, None, None]]
    table("Lines that moved most (to date, biggest variance first)",
          ["Family", "Line", "Budget", "Actual", "Variance", "Variance %", "FX effect",
           "Real variance"], mv_rows, ["cm_text", "cm_text", *money6])

    # by month: totals (chart data), then per family
    monthly = v.monthly_rows
    by_month: dict[str, list[Any]] = {}
    for r in monthly:
        by_month.setdefault(r.month, []).append(r)
    tot_rows = []
    cum_b = cum_f = 0.0
    for month, g in by_month.items():
        b = math.fsum(r.budget for r in g)
        done = all(r.status == "actual" for r in g)
        a = math.fsum(r.actual for r in g) if done else None
        fc = math.fsum(r.forecast for r in g)
        cum_b += b
        cum_f += fc
        tot_rows.append((month, done, b, a, None if a is None else a - b, fc, cum_b, cum_f))
    sh.append([c("By month, all families", "cm_section")])
    head_row = sh.append([c(h, "cm_header" if i < 2 else "cm_header_r") for i, h in enumerate(
        ["Month", "Status", "Budget", "Actual", "Variance", "Latest estimate",
         "Cumulative budget", "Cumulative latest estimate"])])
    for month, done, b, a, var, fc, cb, cf in tot_rows:
        txt = "cm_actual_text" if done else "cm_text"
        mny = "cm_money_actual" if done else "cm_money"
        sh.append([c(month, txt), c("actual" if done else "forecast", txt), c(b, mny),
                   c(a, mny), c(var, "cm_var"), c(fc, mny), c(cb, mny), c(cf, mny)])
    first, last = head_row + 1, head_row + len(tot_rows)
    sh.append([])
    sh.append([c("By month and family", "cm_section")])
    sh.append([c(h, "cm_header" if i < 3 else "cm_header_r") for i, h in enumerate(
        ["Month", "Family", "Status", "Budget", "Actual", "Variance", "Variance %", "FX effect",
         "Real variance"])])
    for r in monthly:
        done = r.status == "actual"
        txt = "cm_actual_text" if done else "cm_text"
        sh.append([c(str(r.month), txt), c(FAMILY_LABELS[r.family], txt), c(str(r.status), txt),
                   c(_f(r.budget), "cm_money"), c(_f(r.actual), "cm_money"),
                   c(_f(r.variance), "cm_var"), c(_f(r.variance_pct), "cm_pct"),
                   c(_f(r.fx_effect), "cm_var"), c(_f(r.real_variance), "cm_var")])
    big = max([abs(x) for x in (cum_b, cum_f)] + [1.0])
    mw = max(14.0, len(format_money(big, cur)) * 1.2 + 3)
    longest = ["Actual to date", "Remaining budget", "Latest estimate", "Latest estimate",
               "Cumulative budget", "Cumulative latest estimate", "Real variance"]  # C..I
    widths = [26.0, 30.0, *[max(mw, _header_width(h)) for h in longest]]
    sh.flush(widths, freeze="A5")

    chart_col = get_column_letter(len(widths) + 2)
    bar = BarChart()
    bar.type = "col"
    bar.grouping = "clustered"
    bar.title = "Budget vs actual by month"
    bar.series.append(_series(ws, 3, first, last, f"$C${head_row}", "9DC3E6"))
    bar.series.append(_series(ws, 4, first, last, f"$D${head_row}", "C55A11"))
    _text_cats(bar, ws.title, 1, first, last)
    _axes(bar, cur)
    bar.width, bar.height = max(18.0, 0.9 * len(tot_rows) + 6), 8.5
    bar.anchor = f"{chart_col}4"
    ws.add_chart(bar)

    line = LineChart()
    line.title = "Cumulative: budget vs latest estimate"
    line.series.append(_series(ws, 7, first, last, f"$G${head_row}", "9DC3E6"))
    line.series.append(_series(ws, 8, first, last, f"$H${head_row}", "C55A11"))
    for s in line.series:
        s.smooth = False
    _text_cats(line, ws.title, 1, first, last)
    _axes(line, cur)
    line.width, line.height = bar.width, 8.5
    line.anchor = f"{chart_col}23"
    ws.add_chart(line)


def _column_sum(rows: Sequence[MonthRow], family: str | None = None) -> float:
    """The sum over months of one family's column, or of the total column (None)."""
    return math.fsum(r.total if family is None else r.families[family] for r in rows)


def _header_width(text: str) -> float:
    return len(text) * 1.1 + 3


def _f(x: Any) -> float | None:
    """A finite float (rounding noise below a millionth shown as 0), or None for a blank."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return 0.0 if abs(f) < 1e-6 else f


def _write_log(wb: Any, plan: MonthlyPlan) -> None:
    sh = _Sheet(wb, LOG_SHEET)
    header = plan.log_header
    money_cols = {i for i, h in enumerate(header)
                  if isinstance(h, str) and h.startswith(("Forecast", "Change", "Total: "))}
    sh.append([sh.cell(h, "cm_header") for h in header])

    def cells(values: Sequence[Any]) -> list[Any]:
        out = []
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
    widths = []
    for i, h in enumerate(header):
        w = 14.0 if i in money_cols else 12.0
        if h in ("Time",):
            w = 24.0
        elif h in ("Inputs fingerprint",):
            w = 25.0
        elif h == "Note":
            w = 22.0
        widths.append(max(w, min(_header_width(str(h or "")), 40)))
    sh.flush(widths, freeze="B2", fit_width=False)
