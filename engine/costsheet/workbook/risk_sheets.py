"""The Scenarios, Sensitivity and Risk sheets: scenario comparison, tornado and Monte Carlo.

:func:`add_risk_sheets` renders a :class:`~costsheet.model.risk_analysis.RiskAnalysis` (computed
by :func:`costsheet.model.risk_analysis.analyse`), as values with number formats and native Excel
charts, into the scratch workbook that :func:`costsheet.workbook.writer.build_workbook` started
(it reuses that workbook's named styles), before it is grafted into the user's file. Nothing here
computes the analyses, reads or touches the user's file.

* **Scenarios**: each scenario's totals by family next to Base, the difference, and the inputs
  that explain it (each override applied alone to Base, largest effect first).
* **Sensitivity**: every driver moved alone to its low and high value; a table sorted by swing
  and a tornado chart.
* **Risk**: mean, P10, P50, P80 and P90 of the total and of every family over N seeded trials;
  each uncertain input's share of the spread; a histogram and an S-curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.axis import NumericAxis
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.chart.series import Series as ChartSeries
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from ..i18n import _
from ..inputs import FAMILIES, FAMILY_LABELS
from ..model.montecarlo import Distribution
from ..model.risk_analysis import RiskAnalysis
from ..model.sensitivity import label_for
from ..model.solve import fmt_input
from ..units import format_money
from .sheetkit import (
    FAMILY_COLORS,
    HEADER_FILL,
    OwnedSheet,
    add_named_styles,
    axis_text,
    column_ref,
    currency_symbol,
    money_format,
    named_style,
    quoted,
    series,
    sheet_title,
    size,
    text_font,
)

__all__ = ["RISK_SHEETS", "add_risk_sheets"]

SCENARIOS_SHEET = "Scenarios"
SENSITIVITY_SHEET = "Sensitivity"
RISK_SHEET = "Risk"
RISK_SHEETS: tuple[str, ...] = (SCENARIOS_SHEET, SENSITIVITY_SHEET, RISK_SHEET)
TORNADO_BARS = 15  # bars in the chart (the table lists every input)
HISTOGRAM_BINS = 30
S_CURVE_POINTS = 41  # every 2.5%
LOW_COLOR, HIGH_COLOR, BAR_COLOR, LINE_COLOR = "5B9BD5", "ED7D31", "2F5597", "C00000"


def _sheet(wb: Any, title: str) -> OwnedSheet:
    """A sheet of these three: missing numbers show "n/a"."""
    return OwnedSheet(wb, title, text_style="cs_text", missing=_("n/a"))


def _finish(out: OwnedSheet, min_widths: list[float],
            caps: dict[int, float] | None = None) -> None:
    """Widths fitted to the values (at most 36, or ``caps[column]``: longer text wraps), rows
    written (the charts and the print setup come after)."""
    out.fit_widths(min_widths, caps=caps)
    out.flush()


def _series(ws: Any, col: int, first: int, last: int, title_cell: tuple[int, int],
            color: str) -> ChartSeries:
    return series(ws, col, first, last, f"${get_column_letter(title_cell[1])}${title_cell[0]}",
                  color)


def _input_style(key: str) -> str:
    from ..model.montecarlo import valid_range

    fname = key.rsplit(".", 1)[-1]
    if fname == "tokens":
        return "cs_trillions"
    if fname in ("params", "active_params"):
        return "cs_billions"
    rng = valid_range(key)
    if rng.whole:
        return "cs_int"
    if rng.high <= 10.0 and fname not in ("pue", "server_premium", "experiment_multiplier"):
        return "cs_pct"
    if "price" in fname or "cost" in fname or "salary" in fname:
        return "cs_money2"
    return "cs_dec"


def _value(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, int | float):
        return float(v)
    return str(v)


# ---------------------------------------------------------------------------------------------
# Scenarios


def _write_scenarios(wb: Any, a: RiskAnalysis) -> None:
    out = _sheet(wb, SCENARIOS_SHEET)
    cur = a.currency
    comps = a.comparisons
    out.row((_("Scenarios compared with Base"), "cs_title"))
    out.row((_("Each scenario is Base with its overrides. What explains the difference: each "
               "override applied alone to Base; the interaction is what they add together."),
             "cs_note"))
    out.row((_("All amounts in {currency}.").format(currency=cur), "cs_note"))
    out.blank()
    if not comps:
        out.row((_("Only Base: add scenario columns on the Drivers sheet (e.g. Low, High) or "
                   "rows on the Overrides sheet to compare."), "cs_note"))
        _finish(out, [30])
        out.print_setup()
        return
    diff_head, fam_rows = _scenario_tables(out, a)
    _attribution_table(out, a)
    last = out.row_count
    _finish(out, [30, 12, 28, 30, 12, 14, 16, 14])
    _difference_chart(out, a, diff_head, fam_rows, last)
    out.print_setup()


def _scenario_tables(out: OwnedSheet, a: RiskAnalysis) -> tuple[int, dict[str, int]]:
    """Totals by family, then differences from Base; the differences' header row and rows."""
    cur, comps = a.currency, a.comparisons
    names = ["Base", *[c.name for c in comps]]
    out.row(_("Total by family ({currency})").format(currency=cur), *names,
            styles=["cs_header", *["cs_header_r"] * len(names)])
    base_totals = comps[0].base_totals
    for fam in FAMILIES:
        out.row((FAMILY_LABELS[fam], "cs_label"), (base_totals[fam], "cs_money"),
                *[(c.totals[fam], "cs_money") for c in comps])
    out.row((_("Total"), "cs_total_label"), (comps[0].base_total, "cs_money_total"),
            *[(c.total, "cs_money_total") for c in comps])
    out.blank()
    diff_head = out.row(_("Difference from Base ({currency})").format(currency=cur),
                        *[c.name for c in comps],
                        styles=["cs_header", *["cs_header_r"] * len(comps)])
    fam_rows = {}
    for fam in FAMILIES:
        fam_rows[fam] = out.row((FAMILY_LABELS[fam], "cs_label"),
                                *[(c.differences[fam], "cs_money") for c in comps])
    out.row((_("Total"), "cs_total_label"), *[(c.difference, "cs_money_total") for c in comps])
    out.row((_("Difference in %"), "cs_label"),
            *[(c.difference / c.base_total if c.base_total else 0.0, "cs_pct") for c in comps])
    out.blank()
    return diff_head, fam_rows


def _attribution_table(out: OwnedSheet, a: RiskAnalysis) -> None:
    """What explains each scenario's difference: each override alone, then the interaction."""
    out.row(_("What explains the difference"), _("Rank"), _("Input"), _("Key"), _("Base value"),
            _("Scenario value"), _("Effect alone ({currency})").format(currency=a.currency),
            _("Share of difference"),
            styles=["cs_header", "cs_header_r", "cs_header_pad", "cs_header", "cs_header_r",
                    "cs_header_r", "cs_header_r", "cs_header_r"])
    for c in a.comparisons:
        if not c.attributions:
            out.row((c.name, "cs_label"), None, (_("no overrides"), "cs_na"))
        for i, att in enumerate(c.attributions, start=1):
            style = _input_style(att.key) if isinstance(att.value, int | float) else "cs_text"
            share = att.effect / c.difference if c.difference else 0.0
            out.row((c.name, "cs_label"), (i, "cs_int"), (att.label, "cs_text_pad"),
                    (att.key, "cs_text"), (_value(att.base_value), style),
                    (_value(att.value), style), (att.effect, "cs_money"), (share, "cs_pct"))
        if len(c.attributions) > 1:
            share = c.interaction / c.difference if c.difference else 0.0
            out.row((c.name, "cs_label"), None, (_("interaction (inputs together)"), "cs_note"),
                    None, None, None, (c.interaction, "cs_money"), (share, "cs_pct"))


def _difference_chart(out: OwnedSheet, a: RiskAnalysis, diff_head: int,
                      fam_rows: dict[str, int], last: int) -> None:
    """Difference from Base by family, stacked, one column per scenario."""
    cur, comps = a.currency, a.comparisons
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("Difference from Base by family")
    chart.y_axis.numFmt = money_format(cur)
    chart.y_axis.title = cur
    _show_axes(chart, 900)
    ws = out.ws
    first_col, last_col = 2, 1 + len(comps)
    cats = f"'{ws.title}'!${get_column_letter(first_col)}${diff_head}:" \
           f"${get_column_letter(last_col)}${diff_head}"
    for fam in FAMILIES:
        if all(c.differences[fam] == 0 for c in comps):
            continue
        r = fam_rows[fam]
        s = Series(Reference(ws, min_col=first_col, max_col=last_col, min_row=r),
                   title_from_data=False)
        s.tx = SeriesLabel(strRef=StrRef(f=f"'{ws.title}'!$A${r}"))
        s.graphicalProperties = GraphicalProperties(solidFill=FAMILY_COLORS[fam])
        s.cat = AxDataSource(strRef=StrRef(f=cats))
        chart.series.append(s)
    if chart.series:
        chart.x_axis.tickLblPos = "low"  # scenario names below the plot, not over the bars
        chart.legend.position = "b"
        size(chart, max(14.0, 3.0 * len(comps) + 8.0), 9.0)
        chart.anchor = f"A{last + 3}"
        ws.add_chart(chart)


def _show_axes(chart: Any, size: int) -> None:
    """Both axes shown, their text ``size`` hundredths of a point."""
    for ax in (chart.x_axis, chart.y_axis):
        ax.delete = False
        ax.txPr = axis_text(size)


# ---------------------------------------------------------------------------------------------
# Sensitivity


def _write_sensitivity(wb: Any, a: RiskAnalysis) -> None:
    out = _sheet(wb, SENSITIVITY_SHEET)
    t = a.tornado
    cur = a.currency
    out.row((_("What moves the total: one input at a time"), "cs_title"))
    out.row((_("Each input is moved alone to its low and high value, every other input at "
               "Base. Low and high come from the Low and High scenarios where they set the "
               "input, else, for an input left at a published default, from its published "
               "range (MFU: published runs' P10 and P90; RL decode MFU: 0.6% and 4.3%), else "
               "Base ±{swing:.0%}. Base total: {total}.").format(
                   swing=t.swing_fraction, total=format_money(t.base, cur)), "cs_note"))
    out.blank()
    head = out.row(_("Rank"), _("Input"), _("Key"), _("Low"), "Base", _("High"),
                   _("Low / high from"), _("Total at low ({currency})").format(currency=cur),
                   _("Total at high ({currency})").format(currency=cur),
                   _("Swing ({currency})").format(currency=cur), _("Change at low"),
                   _("Change at high"),
                   styles=["cs_header_r", "cs_header_pad", "cs_header", "cs_header_r",
                           "cs_header_r", "cs_header_r", "cs_header_pad", "cs_header_r",
                           "cs_header_r", "cs_header_r", "cs_header_r", "cs_header_r"])
    for i, b in enumerate(t.bars, start=1):
        style = _input_style(b.key)
        out.row((i, "cs_int"), (b.label, "cs_text_pad"), (b.key, "cs_text"),
                (b.low_value, style), ("" if b.base_value is None else b.base_value, style),
                (b.high_value, style), (b.source, "cs_text_pad"), (b.at_low, "cs_money"),
                (b.at_high, "cs_money"), (b.swing, "cs_money"),
                (b.at_low - t.base, "cs_money"), (b.at_high - t.base, "cs_money"))
    last = out.row_count
    _finish(out, [7, 20, 20, 10, 10, 10, 18, 14, 14, 14, 14, 14], caps={2: 24, 3: 28, 7: 22})
    n = min(len(t.moving), TORNADO_BARS)
    if n:
        _tornado_chart(out, a, head, n, last)
    out.print_setup()


def _tornado_chart(out: OwnedSheet, a: RiskAnalysis, head: int, n: int, last: int) -> None:
    """The ``n`` largest swings as bars left and right of Base, the largest on top."""
    ws, cur, first = out.ws, a.currency, head + 1
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = _("Tornado: change of the total from Base ({total})").format(
        total=format_money(a.tornado.base, cur))
    cats = column_ref(ws.title, 2, first, first + n - 1)
    for col, color in ((11, LOW_COLOR), (12, HIGH_COLOR)):
        s = _series(ws, col, first, first + n - 1, (head, col), color)
        s.cat = AxDataSource(strRef=StrRef(f=cats))
        chart.series.append(s)
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing on top
    chart.y_axis.numFmt = money_format(cur)
    chart.y_axis.majorGridlines = None
    _show_axes(chart, 900)
    chart.x_axis.tickLblPos = "low"  # labels left of the plot even for negative bars
    chart.legend.position = "b"
    size(chart, 20.0, max(7.0, 0.8 * n + 3.0))
    chart.anchor = f"B{last + 3}"
    ws.add_chart(chart)


# ---------------------------------------------------------------------------------------------
# Risk


def _write_risk(wb: Any, a: RiskAnalysis) -> None:
    out = _sheet(wb, RISK_SHEET)
    r = a.risk
    out.row((_("Risk: the budget as a range of outcomes"), "cs_title"))
    out.row((_("{trials} trials, seed {seed}: `costsheet run --trials {n} --seed {seed}` gives "
               "these numbers again. P80 = 80% of trials cost at most this much.").format(
                   trials=f"{r.trials:,}", n=r.trials, seed=r.seed), "cs_note"))
    if a.note:
        out.row((_(a.note), "cs_note"))
    for note in a.default_notes:  # written in the run's language by the model
        out.row((note, "cs_note"))
    if not r.draws:
        out.row((_("No uncertain inputs yet: add rows on the Uncertainty sheet, or type a "
                   "range such as 0.35 to 0.45 in a driver's Base cell."), "cs_note"))
    out.blank()
    _outcome_table(out, a)
    shares = _uncertain_inputs_table(out, a)
    hist = _histogram_table(out, a)
    s_curve = _s_curve_table(out, a)
    _finish(out, [30, 20, 30, 14, 14, 16, 16])
    _histogram_chart(out, a, hist)
    _s_curve_chart(out, a, s_curve)
    if shares[1] >= shares[0]:
        _shares_chart(out, shares)
    out.print_setup()


def _outcome_table(out: OwnedSheet, a: RiskAnalysis) -> None:
    """Base, mean and percentiles of the total and of every family."""
    r = a.risk
    out.row(_("Outcome ({currency})").format(currency=a.currency), _("Base (deterministic)"),
            _("Mean"), "P10", "P50", "P80", "P90", styles=["cs_header", *["cs_header_r"] * 6])
    for name in ("total", *FAMILIES):
        st = r.stats(name)
        det = float(r.base.total if name == "total" else r.base.totals[name])
        label = _("Total") if name == "total" else FAMILY_LABELS[name]
        money = "cs_money_total" if name == "total" else "cs_money"
        out.row((label, "cs_total_label" if name == "total" else "cs_label"), (det, money),
                (st.mean, money), (st.p10, money), (st.p50, money), (st.p80, money),
                (st.p90, money))
    out.blank()


def _uncertain_inputs_table(out: OwnedSheet, a: RiskAnalysis) -> tuple[int, int]:
    """Each uncertain input, largest share of the spread first; its first and last rows."""
    r = a.risk
    contrib = {c.key: c for c in r.contributions()}
    out.row(_("Uncertain input"), _("Key"), _("Distribution"), _("Mean"), _("Median"),
            _("Rank correlation"), _("Share of spread"),
            styles=["cs_header", "cs_header", "cs_header", "cs_header_r", "cs_header_r",
                    "cs_header_r", "cs_header_r"])
    first = out.row_count + 1
    ordered = sorted(r.uncertainties, key=lambda k: -contrib[k].share if k in contrib else 0)
    for key in ordered:
        d = r.uncertainties[key]
        c = contrib.get(key)
        style = _input_style(key) if d.kind != "bernoulli" else "cs_pct"
        out.row((label_for(key), "cs_text"), (key, "cs_text"),
                (_describe(key, d, a.currency), "cs_text"),
                (d.mean(), style), (d.median(), style),
                (c.rank_correlation if c else 0.0, "cs_dec"), (c.share if c else 0.0, "cs_pct"))
    last = out.row_count
    if not r.uncertainties:
        out.row((_("none"), "cs_na"))
    out.blank()
    return first, last


def _histogram_table(out: OwnedSheet, a: RiskAnalysis) -> tuple[int, int, float]:
    """Trials per bin of the total; the header row, the last row and the top edge."""
    r = a.risk
    edges, counts = r.histogram(HISTOGRAM_BINS)
    head = out.row(_("Histogram of the total ({currency})").format(currency=a.currency),
                   _("To"), _("Trials"), _("Share of trials"),
                   styles=["cs_header", "cs_header_r", "cs_header_r", "cs_header_r"])
    for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True):
        out.row((float(lo), "cs_money"), (float(hi), "cs_money"), (int(n), "cs_int"),
                (int(n) / r.trials, "cs_pct"))
    last = out.row_count
    out.blank()
    return head, last, float(edges[-1])


def _s_curve_table(out: OwnedSheet, a: RiskAnalysis) -> tuple[int, int]:
    """The probability of costing at most each total; the header and the last row."""
    head = out.row(_("Total ({currency})").format(currency=a.currency),
                   _("Probability of costing at most this"),
                   styles=["cs_header_r", "cs_header_r"])
    for value, prob in a.risk.s_curve(S_CURVE_POINTS):
        out.row((value, "cs_money"), (prob, "cs_pct"))
    return head, out.row_count


_ANCHOR_COL = "I"


def _histogram_chart(out: OwnedSheet, a: RiskAnalysis, rows: tuple[int, int, float]) -> None:
    """Columns of trials per bin, labelled by the bin's lower edge."""
    ws, cur, r = out.ws, a.currency, a.risk
    head, last, top = rows
    hist = BarChart()
    hist.type = "col"
    hist.gapWidth = 10
    hist.title = _("Distribution of the total over {trials} trials").format(
        trials=f"{r.trials:,}")
    s = _series(ws, 3, head + 1, last, (head, 3), BAR_COLOR)
    s.cat = AxDataSource(numRef=NumRef(f=column_ref(ws.title, 1, head + 1, last)))
    hist.series.append(s)
    hist.x_axis.number_format = _compact(cur, top)
    hist.x_axis.tickLblSkip = 3
    hist.x_axis.title = _("Total ({currency}), bin from").format(currency=cur)
    hist.y_axis.title = _("Trials")
    _show_axes(hist, 800)
    hist.legend = None
    size(hist, 18.0, 8.5)
    hist.anchor = f"{_ANCHOR_COL}4"
    ws.add_chart(hist)


def _s_curve_chart(out: OwnedSheet, a: RiskAnalysis, rows: tuple[int, int]) -> None:
    """Scatter with a line: the probability the budget is enough, against the total."""
    ws, cur, r = out.ws, a.currency, a.risk
    head, last = rows
    sc = ScatterChart(scatterStyle="lineMarker")  # required by the schema; openpyxl omits it
    sc.title = _("S-curve: probability the budget is enough")
    sc.style = 13
    xs = Reference(ws, min_col=1, min_row=head + 1, max_row=last)
    ys = Reference(ws, min_col=2, min_row=head + 1, max_row=last)
    line = Series(ys, xs, title_from_data=False)
    line.tx = SeriesLabel(strRef=StrRef(f=f"{quoted(ws.title)}!$B${head}"))
    line.graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=LINE_COLOR,
                                                                     w=28575))
    line.marker.symbol = "none"
    line.smooth = False
    sc.series.append(line)
    sc.x_axis.number_format = _compact(cur, r.percentile(100))
    sc.x_axis.title = _("Total ({currency})").format(currency=cur)
    sc.y_axis.number_format = "0%"
    sc.y_axis.scaling.min = 0
    sc.y_axis.scaling.max = 1
    sc.y_axis.title = _("Probability")
    lo, hi = r.percentile(0), r.percentile(100)
    if hi > lo:
        step = _nice_step(hi - lo)
        x_axis = sc.x_axis
        assert isinstance(x_axis, NumericAxis)  # a scatter chart's x axis holds numbers
        x_axis.scaling.min = math.floor(lo / step) * step
        x_axis.scaling.max = math.ceil(hi / step) * step
        x_axis.majorUnit = step
    _show_axes(sc, 800)
    sc.legend = None
    size(sc, 18.0, 8.5)
    sc.anchor = f"{_ANCHOR_COL}22"
    ws.add_chart(sc)


def _shares_chart(out: OwnedSheet, rows: tuple[int, int]) -> None:
    """Each uncertain input's share of the spread, as bars."""
    ws = out.ws
    first, last = rows
    bar = BarChart()
    bar.type = "bar"
    bar.title = _("Share of the spread (rank correlation²)")
    s = _series(ws, 7, first, last, (first - 1, 7), BAR_COLOR)
    s.cat = AxDataSource(strRef=StrRef(f=column_ref(ws.title, 1, first, last)))
    bar.series.append(s)
    bar.x_axis.scaling.orientation = "maxMin"
    bar.y_axis.numFmt = "0%"
    bar.y_axis.scaling.min = 0
    _show_axes(bar, 800)
    bar.legend = None
    size(bar, 18.0, max(5.0, 0.8 * (last - first + 1) + 3.0))
    bar.anchor = f"{_ANCHOR_COL}40"
    ws.add_chart(bar)


def _nice_step(span: float) -> float:
    """A round axis step (1, 2 or 5 × 10^k) giving about five intervals over ``span``."""
    raw = span / 5.0
    mag: float = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _compact(cur: str, largest: float) -> str:
    """An axis number format in millions (or thousands) with the currency: $12.5M."""
    sym = currency_symbol(cur)
    if abs(largest) >= 1e6:
        body, suffix = "#,##0.0,,", "M"
    elif abs(largest) >= 1e4:
        body, suffix = "#,##0,", "k"
    else:
        return money_format(cur)
    return f'"{sym}"{body}"{suffix}"' if sym else f'{body}"{suffix} {cur}"'


def _describe(key: str, d: Distribution, cur: str) -> str:
    p = d.params
    if d.text and d.kind in ("normal", "lognormal"):  # a range typed as text: a 90% interval
        return _("90% range {text} ({kind})").format(text=d.text, kind=d.kind)
    if d.text:  # a published default's own description, in the run's language
        return d.text
    f: Callable[[float], str] = ((lambda x: fmt_input(key, x, cur)) if d.kind != "bernoulli"
                                 else (lambda x: f"{x:.1%}"))
    if d.kind == "fixed":
        return _("fixed {value}").format(value=f(p[0]))
    if d.kind == "uniform":
        return _("uniform {low} to {high}").format(low=f(p[0]), high=f(p[1]))
    if d.kind in ("triangular", "pert"):
        return f"{d.kind} {f(p[0])} / {f(p[1])} / {f(p[2])}"
    if d.kind == "normal":
        return _("normal mean {mean}, sd {sd}").format(mean=f(p[0]), sd=f(p[1]))
    if d.kind == "lognormal":
        return _("lognormal median {median}, sigma {sigma:.3g}").format(median=f(p[0]),
                                                                       sigma=p[1])
    return _("fails in {share:.1%} of trials").format(share=p[0])


def add_risk_sheets(wb: Any, analysis: RiskAnalysis) -> list[str]:
    """Write the Scenarios, Sensitivity and Risk sheets into ``wb`` (the writer's scratch
    workbook, whose named styles they use); the sheet names."""
    indent = Alignment(horizontal="left", indent=1)  # text right of a number column
    add_named_styles(wb, [
        named_style("cs_text_pad", alignment=indent),
        named_style("cs_header_pad", font=text_font(bold=True, color="FFFFFF"),
                    fill=HEADER_FILL, alignment=Alignment(horizontal="left", indent=1,
                                                          vertical="center", wrap_text=True)),
    ])
    _write_scenarios(wb, analysis)
    _write_sensitivity(wb, analysis)
    _write_risk(wb, analysis)
    return [sheet_title(wb, name) for name in RISK_SHEETS]
