"""The Scenarios, Sensitivity and Risk sheets: scenario comparison, tornado and Monte Carlo.

:func:`analyse` runs the three analyses of :mod:`costsheet.model.sensitivity` and
:mod:`costsheet.model.montecarlo` on a budget; :func:`add_risk_sheets` writes them, as values with
number formats and native Excel charts, into the scratch workbook that
:func:`costsheet.workbook.writer.build_workbook` started (it reuses that workbook's named styles),
before it is grafted into the user's file. Nothing here reads or touches the user's file.

* **Scenarios**: each scenario's totals by family next to Base, the difference, and the inputs
  that explain it (each override applied alone to Base, largest effect first).
* **Sensitivity**: every driver moved alone to its low and high value; a table sorted by swing
  and a tornado chart.
* **Risk**: mean, P10, P50, P80 and P90 of the total and of every family over N seeded trials;
  each uncertain input's share of the spread; a histogram and an S-curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from ..catalog import Catalog
from ..inputs import FAMILIES, FAMILY_LABELS, Budget
from ..model.items import BudgetResult
from ..model.montecarlo import DEFAULT_SEED, DEFAULT_TRIALS, Distribution, RiskResult, simulate
from ..model.sensitivity import (
    DEFAULT_SWING,
    ScenarioComparison,
    Tornado,
    compare_scenarios,
    label_for,
    tornado,
)
from ..model.solve import fmt_input
from .writer import money_format

__all__ = ["RISK_SHEETS", "RiskAnalysis", "add_risk_sheets", "analyse"]

SCENARIOS_SHEET = "Scenarios"
SENSITIVITY_SHEET = "Sensitivity"
RISK_SHEET = "Risk"
RISK_SHEETS: tuple[str, ...] = (SCENARIOS_SHEET, SENSITIVITY_SHEET, RISK_SHEET)
TORNADO_BARS = 15  # bars in the chart (the table lists every input)
HISTOGRAM_BINS = 30
S_CURVE_POINTS = 41  # every 2.5%
_FORMULA_START = ("=", "+", "-", "@")
LOW_COLOR, HIGH_COLOR, BAR_COLOR, LINE_COLOR = "5B9BD5", "ED7D31", "2F5597", "C00000"


@dataclass
class RiskAnalysis:
    """Scenario comparisons, the tornado and the Monte Carlo result of one budget."""

    comparisons: list[ScenarioComparison]
    tornado: Tornado
    risk: RiskResult
    currency: str
    note: str = ""  # where the uncertain inputs came from, when not from the workbook's own

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenarios": [c.to_dict() for c in self.comparisons],
            "sensitivity": self.tornado.to_dict(),
            "risk": {**self.risk.to_dict(), **({"note": self.note} if self.note else {})},
        }


def analyse(
    budget: Budget,
    catalog: Catalog | None = None,
    *,
    uncertainties: Mapping[str, Distribution] | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = DEFAULT_SEED,
    swing: float = DEFAULT_SWING,
    progress: Callable[[int], None] | None = None,
    results: Mapping[str, BudgetResult] | None = None,
    note: str = "",
) -> RiskAnalysis:
    """Compare scenarios with Base, run the tornado, and simulate ``trials`` seeded trials.

    ``results`` are scenarios already computed by name (as ``costsheet run`` has them), reused
    instead of computed again.
    """
    results = results or {}
    base = results.get("Base")
    comps = compare_scenarios(budget, catalog, results=results)
    torn = tornado(budget, catalog, swing=swing, base_result=base)
    risk = simulate(budget, uncertainties or {}, trials=trials, seed=seed, catalog=catalog,
                    progress=progress, base_result=base)
    return RiskAnalysis(comps, torn, risk, risk.currency, note)


# ---------------------------------------------------------------------------------------------
# a small write-only sheet helper (styles are the writer's named styles)


class _Out:
    def __init__(self, wb: Any, title: str):
        self.ws = wb.create_sheet(title)
        self.rows: list[list[Any]] = []
        self.widths: dict[int, float] = {}

    def cell(self, value: Any, style: str = "cs_text") -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            value, style = "n/a", "cs_na"
        c = WriteOnlyCell(self.ws, value)
        if isinstance(value, str):
            c.data_type = "s"  # user text (names, keys) is text, never a formula
        c.style = style
        return c

    def row(self, *values: Any, styles: Sequence[str] | str = "cs_text") -> int:
        """Append a row of (value) or (value, style) items; its 1-based row number."""
        out = []
        for i, v in enumerate(values):
            style = styles if isinstance(styles, str) else styles[i]
            if isinstance(v, tuple):
                v, style = v
            out.append(None if v is None else self.cell(v, style))
            if v is not None and style not in ("cs_title", "cs_note"):
                self.widths[i + 1] = max(self.widths.get(i + 1, 8.0), _width(v, style))
        self.rows.append(out)
        return len(self.rows)

    def blank(self) -> int:
        self.rows.append([])
        return len(self.rows)

    def flush(self, min_widths: Sequence[float] = ()) -> None:
        for col, w in self.widths.items():
            floor = min_widths[col - 1] if col - 1 < len(min_widths) else 8.0
            self.ws.column_dimensions[get_column_letter(col)].width = round(
                min(max(w, floor), 36.0), 1)
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        for r in self.rows:
            ws.append(r)


def _width(value: Any, style: str) -> float:
    if isinstance(value, str):
        text = value
    elif style in ("cs_money", "cs_money_total"):
        text = f"${value:,.0f}"
    elif style == "cs_money2":
        text = f"${value:,.2f}"
    elif style == "cs_pct":
        text = f"{value:.1%}"
    else:
        text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (len(text) + wide) * 1.15 + 3


def _axis_text(size: int = 900) -> RichText:
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=size)),
                                 endParaRPr=CharacterProperties(sz=size))])


def _ref(ws: Any, col: int, first: int, last: int) -> str:
    quoted = "'" + ws.title.replace("'", "''") + "'"
    c = get_column_letter(col)
    return f"{quoted}!${c}${first}:${c}${last}"


def _series(ws: Any, col: int, first: int, last: int, title_cell: tuple[int, int],
            color: str) -> Series:
    s = Series(Reference(ws, min_col=col, min_row=first, max_row=last), title_from_data=False)
    quoted = "'" + ws.title.replace("'", "''") + "'"
    s.tx = SeriesLabel(strRef=StrRef(
        f=f"{quoted}!${get_column_letter(title_cell[1])}${title_cell[0]}"))
    s.graphicalProperties = GraphicalProperties(solidFill=color)
    s.graphicalProperties.line.solidFill = color
    return s


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
    out = _Out(wb, SCENARIOS_SHEET)
    cur = a.currency
    comps = a.comparisons
    out.row(("Scenarios compared with Base", "cs_title"))
    out.row(("Each scenario is Base with its overrides. What explains the difference: each "
             "override applied alone to Base; the interaction is what they add together.",
             "cs_note"))
    out.row((f"All amounts in {cur}.", "cs_note"))
    out.blank()
    if not comps:
        out.row(("Only Base: add scenario columns on the Drivers sheet (e.g. Low, High) or "
                 "rows on the Overrides sheet to compare.", "cs_note"))
        out.flush([30])
        return
    names = ["Base", *[c.name for c in comps]]
    # totals
    head = out.row(f"Total by family ({cur})", *names,
                   styles=["cs_header", *["cs_header_r"] * len(names)])
    base_totals = comps[0].base_totals
    for fam in FAMILIES:
        out.row((FAMILY_LABELS[fam], "cs_label"), (base_totals[fam], "cs_money"),
                *[(c.totals[fam], "cs_money") for c in comps])
    out.row(("Total", "cs_total_label"), (comps[0].base_total, "cs_money_total"),
            *[(c.total, "cs_money_total") for c in comps])
    out.blank()
    # differences
    diff_head = out.row(f"Difference from Base ({cur})", *[c.name for c in comps],
                        styles=["cs_header", *["cs_header_r"] * len(comps)])
    fam_rows = {}
    for fam in FAMILIES:
        fam_rows[fam] = out.row((FAMILY_LABELS[fam], "cs_label"),
                                *[(c.differences[fam], "cs_money") for c in comps])
    out.row(("Total", "cs_total_label"), *[(c.difference, "cs_money_total") for c in comps])
    out.row(("Difference in %", "cs_label"),
            *[(c.difference / c.base_total if c.base_total else 0.0, "cs_pct") for c in comps])
    out.blank()
    # attribution
    out.row("What explains the difference", "Rank", "Input", "Key", "Base value",
            "Scenario value", f"Effect alone ({cur})", "Share of difference",
            styles=["cs_header", "cs_header_r", "cs_header_pad", "cs_header", "cs_header_r",
                    "cs_header_r", "cs_header_r", "cs_header_r"])
    for c in comps:
        if not c.attributions:
            out.row((c.name, "cs_label"), None, ("no overrides", "cs_na"))
        for i, att in enumerate(c.attributions, start=1):
            style = _input_style(att.key) if isinstance(att.value, int | float) else "cs_text"
            share = att.effect / c.difference if c.difference else 0.0
            out.row((c.name, "cs_label"), (i, "cs_int"), (att.label, "cs_text_pad"),
                    (att.key, "cs_text"), (_value(att.base_value), style),
                    (_value(att.value), style), (att.effect, "cs_money"), (share, "cs_pct"))
        if len(c.attributions) > 1:
            share = c.interaction / c.difference if c.difference else 0.0
            out.row((c.name, "cs_label"), None, ("interaction (inputs together)", "cs_note"),
                    None, None, None, (c.interaction, "cs_money"), (share, "cs_pct"))
    last = len(out.rows)
    out.flush([30, 12, 28, 30, 12, 14, 16, 14])
    # chart: difference from Base by family, one cluster per scenario
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "Difference from Base by family"
    chart.y_axis.numFmt = money_format(cur)
    chart.y_axis.title = cur
    for ax in (chart.x_axis, chart.y_axis):
        ax.delete = False
        ax.txPr = _axis_text()
    from .writer import FAMILY_COLORS

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
        chart.width, chart.height = max(14.0, 3.0 * len(comps) + 8.0), 9.0
        chart.anchor = f"A{last + 3}"
        ws.add_chart(chart)
    del head


# ---------------------------------------------------------------------------------------------
# Sensitivity


def _write_sensitivity(wb: Any, a: RiskAnalysis) -> None:
    out = _Out(wb, SENSITIVITY_SHEET)
    t = a.tornado
    cur = a.currency
    out.row(("What moves the total: one input at a time", "cs_title"))
    out.row((f"Each input is moved alone to its low and high value, every other input at "
             f"Base. Low and high come from the Low and High scenarios where they set the "
             f"input, else Base ±{t.swing_fraction:.0%}. Base total: {_money(t.base, cur)}.",
             "cs_note"))
    out.blank()
    head = out.row("Rank", "Input", "Key", "Low", "Base", "High", "Low / high from",
                   f"Total at low ({cur})", f"Total at high ({cur})", f"Swing ({cur})",
                   "Change at low", "Change at high",
                   styles=["cs_header_r", "cs_header_pad", "cs_header", "cs_header_r",
                           "cs_header_r", "cs_header_r", "cs_header_pad", "cs_header_r",
                           "cs_header_r", "cs_header_r", "cs_header_r", "cs_header_r"])
    first = head + 1
    for i, b in enumerate(t.bars, start=1):
        style = _input_style(b.key)
        out.row((i, "cs_int"), (b.label, "cs_text_pad"), (b.key, "cs_text"),
                (b.low_value, style), ("" if b.base_value is None else b.base_value, style),
                (b.high_value, style), (b.source, "cs_text_pad"), (b.at_low, "cs_money"),
                (b.at_high, "cs_money"), (b.swing, "cs_money"),
                (b.at_low - t.base, "cs_money"), (b.at_high - t.base, "cs_money"))
    last = len(out.rows)
    out.flush([7, 26, 30, 10, 10, 10, 24, 16, 16, 14, 14, 16])
    n = min(len(t.moving), TORNADO_BARS)
    if n == 0:
        return
    ws = out.ws
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = f"Tornado: change of the total from Base ({_money(t.base, cur)})"
    cats = _ref(ws, 2, first, first + n - 1)
    for col, color in ((11, LOW_COLOR), (12, HIGH_COLOR)):
        s = _series(ws, col, first, first + n - 1, (head, col), color)
        s.cat = AxDataSource(strRef=StrRef(f=cats))
        chart.series.append(s)
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing on top
    chart.y_axis.numFmt = money_format(cur)
    chart.y_axis.majorGridlines = None
    for ax in (chart.x_axis, chart.y_axis):
        ax.delete = False
        ax.txPr = _axis_text()
    chart.x_axis.tickLblPos = "low"  # labels left of the plot even for negative bars
    chart.legend.position = "b"
    chart.width, chart.height = 20.0, max(7.0, 0.8 * n + 3.0)
    chart.anchor = f"B{last + 3}"
    ws.add_chart(chart)


def _money(x: float, cur: str) -> str:
    from ..units import format_money

    return format_money(x, cur)


# ---------------------------------------------------------------------------------------------
# Risk


def _write_risk(wb: Any, a: RiskAnalysis) -> None:
    out = _Out(wb, RISK_SHEET)
    r = a.risk
    cur = a.currency
    out.row(("Risk: the budget as a range of outcomes", "cs_title"))
    out.row((f"{r.trials:,} trials, seed {r.seed}: `costsheet run --trials {r.trials} "
             f"--seed {r.seed}` gives these numbers again. P80 = 80% of trials cost at most "
             f"this much.", "cs_note"))
    if a.note:
        out.row((a.note, "cs_note"))
    if not r.draws:
        out.row(("No uncertain inputs yet: add rows on the Uncertainty sheet, or type a range "
                 "such as 0.35 to 0.45 in a driver's Base cell.", "cs_note"))
    out.blank()
    head = out.row(f"Outcome ({cur})", "Base (deterministic)", "Mean", "P10", "P50", "P80",
                   "P90", styles=["cs_header", *["cs_header_r"] * 6])
    base = r.base
    for name in ("total", *FAMILIES):
        st = r.stats(name)
        det = float(base.total if name == "total" else base.totals[name])
        label = "Total" if name == "total" else FAMILY_LABELS[name]
        money = "cs_money_total" if name == "total" else "cs_money"
        out.row((label, "cs_total_label" if name == "total" else "cs_label"), (det, money),
                (st.mean, money), (st.p10, money), (st.p50, money), (st.p80, money),
                (st.p90, money))
    del head
    out.blank()
    # uncertain inputs
    contrib = {c.key: c for c in r.contributions()}
    out.row("Uncertain input", "Key", "Distribution", "Mean", "Median",
            "Rank correlation", "Share of spread",
            styles=["cs_header", "cs_header", "cs_header", "cs_header_r", "cs_header_r",
                    "cs_header_r", "cs_header_r"])
    share_first = len(out.rows) + 1
    ordered = sorted(r.uncertainties, key=lambda k: -contrib[k].share if k in contrib else 0)
    for key in ordered:
        d = r.uncertainties[key]
        c = contrib.get(key)
        style = _input_style(key) if d.kind != "bernoulli" else "cs_pct"
        out.row((label_for(key), "cs_text"), (key, "cs_text"), (_describe(key, d, cur),
                                                                 "cs_text"),
                (d.mean(), style), (d.median(), style),
                (c.rank_correlation if c else 0.0, "cs_dec"), (c.share if c else 0.0, "cs_pct"))
    share_last = len(out.rows)
    if not r.uncertainties:
        out.row(("none", "cs_na"))
    out.blank()
    # histogram
    edges, counts = r.histogram(HISTOGRAM_BINS)
    hist_head = out.row(f"Histogram of the total ({cur})", "To", "Trials", "Share of trials",
                        styles=["cs_header", "cs_header_r", "cs_header_r", "cs_header_r"])
    hist_first = hist_head + 1
    for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True):
        out.row((float(lo), "cs_money"), (float(hi), "cs_money"), (int(n), "cs_int"),
                (int(n) / r.trials, "cs_pct"))
    hist_last = len(out.rows)
    out.blank()
    # S-curve
    s_head = out.row(f"Total ({cur})", "Probability of costing at most this",
                     styles=["cs_header_r", "cs_header_r"])
    s_first = s_head + 1
    for value, prob in r.s_curve(S_CURVE_POINTS):
        out.row((value, "cs_money"), (prob, "cs_pct"))
    s_last = len(out.rows)
    out.flush([30, 20, 30, 14, 14, 16, 16])

    ws = out.ws
    anchor_col = "I"
    # histogram chart: columns of trials per bin, labelled by the bin's lower edge
    hist = BarChart()
    hist.type = "col"
    hist.gapWidth = 10
    hist.title = f"Distribution of the total over {r.trials:,} trials"
    s = _series(ws, 3, hist_first, hist_last, (hist_head, 3), BAR_COLOR)
    s.cat = AxDataSource(numRef=_numref(_ref(ws, 1, hist_first, hist_last)))
    hist.series.append(s)
    hist.x_axis.number_format = _compact(cur, float(edges[-1]))
    hist.x_axis.tickLblSkip = 3
    hist.x_axis.title = f"Total ({cur}), bin from"
    hist.y_axis.title = "Trials"
    for ax in (hist.x_axis, hist.y_axis):
        ax.delete = False
        ax.txPr = _axis_text(800)
    hist.legend = None
    hist.width, hist.height = 18.0, 8.5
    hist.anchor = f"{anchor_col}4"
    ws.add_chart(hist)
    # S-curve: scatter with a smooth line, probability against total
    sc = ScatterChart(scatterStyle="lineMarker")  # required by the schema; openpyxl omits it
    sc.title = "S-curve: probability the budget is enough"
    sc.style = 13
    xs = Reference(ws, min_col=1, min_row=s_first, max_row=s_last)
    ys = Reference(ws, min_col=2, min_row=s_first, max_row=s_last)
    line = Series(ys, xs, title_from_data=False)
    quoted = "'" + ws.title.replace("'", "''") + "'"
    line.tx = SeriesLabel(strRef=StrRef(f=f"{quoted}!$B${s_head}"))
    line.graphicalProperties = GraphicalProperties(ln=LineProperties(solidFill=LINE_COLOR,
                                                                     w=28575))
    line.marker.symbol = "none"
    line.smooth = False
    sc.series.append(line)
    sc.x_axis.number_format = _compact(cur, r.percentile(100))
    sc.x_axis.title = f"Total ({cur})"
    sc.y_axis.number_format = "0%"
    sc.y_axis.scaling.min = 0
    sc.y_axis.scaling.max = 1
    sc.y_axis.title = "Probability"
    lo, hi = r.percentile(0), r.percentile(100)
    if hi > lo:
        step = _nice_step(hi - lo)
        sc.x_axis.scaling.min = math.floor(lo / step) * step
        sc.x_axis.scaling.max = math.ceil(hi / step) * step
        sc.x_axis.majorUnit = step
    for ax in (sc.x_axis, sc.y_axis):
        ax.delete = False
        ax.txPr = _axis_text(800)
    sc.legend = None
    sc.width, sc.height = 18.0, 8.5
    sc.anchor = f"{anchor_col}22"
    ws.add_chart(sc)
    # shares of the spread
    if share_last >= share_first:
        bar = BarChart()
        bar.type = "bar"
        bar.title = "Share of the spread (rank correlation²)"
        s = _series(ws, 7, share_first, share_last, (share_first - 1, 7), BAR_COLOR)
        s.cat = AxDataSource(strRef=StrRef(f=_ref(ws, 1, share_first, share_last)))
        bar.series.append(s)
        bar.x_axis.scaling.orientation = "maxMin"
        bar.y_axis.numFmt = "0%"
        bar.y_axis.scaling.min = 0
        for ax in (bar.x_axis, bar.y_axis):
            ax.delete = False
            ax.txPr = _axis_text(800)
        bar.legend = None
        bar.width, bar.height = 18.0, max(5.0, 0.8 * (share_last - share_first + 1) + 3.0)
        bar.anchor = f"{anchor_col}40"
        ws.add_chart(bar)


def _nice_step(span: float) -> float:
    """A round axis step (1, 2 or 5 × 10^k) giving about five intervals over ``span``."""
    raw = span / 5.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _compact(cur: str, largest: float) -> str:
    """An axis number format in millions (or thousands) with the currency: $12.5M."""
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥"}.get(cur.upper())
    if abs(largest) >= 1e6:
        body, suffix = "#,##0.0,,", "M"
    elif abs(largest) >= 1e4:
        body, suffix = "#,##0,", "k"
    else:
        return money_format(cur)
    return f'"{sym}"{body}"{suffix}"' if sym else f'{body}"{suffix} {cur}"'


def _numref(f: str) -> Any:
    from openpyxl.chart.data_source import NumRef

    return NumRef(f=f)


def _describe(key: str, d: Distribution, cur: str) -> str:
    p = d.params
    if d.text:
        return f"90% range {d.text} ({d.kind})"
    f = (lambda x: fmt_input(key, x, cur)) if d.kind != "bernoulli" else (lambda x: f"{x:.1%}")
    if d.kind == "fixed":
        return f"fixed {f(p[0])}"
    if d.kind == "uniform":
        return f"uniform {f(p[0])} to {f(p[1])}"
    if d.kind in ("triangular", "pert"):
        return f"{d.kind} {f(p[0])} / {f(p[1])} / {f(p[2])}"
    if d.kind == "normal":
        return f"normal mean {f(p[0])}, sd {f(p[1])}"
    if d.kind == "lognormal":
        return f"lognormal median {f(p[0])}, sigma {p[1]:.3g}"
    return f"fails in {p[0]:.1%} of trials"


def add_risk_sheets(wb: Any, analysis: RiskAnalysis) -> list[str]:
    """Write the Scenarios, Sensitivity and Risk sheets into ``wb`` (the writer's scratch
    workbook, whose named styles they use); the sheet names."""
    if "cs_text_pad" not in wb.named_styles:  # text right of a number column: a small indent
        from openpyxl.styles import Alignment, NamedStyle

        # the face and size named, as the writer's styles (else LibreOffice shows a serif face)
        wb.add_named_style(NamedStyle("cs_text_pad", font=Font(name="Calibri", size=11),
                                      alignment=Alignment(horizontal="left", indent=1)))
        wb.add_named_style(NamedStyle("cs_header_pad", font=Font(name="Calibri", size=11,
                                                                 bold=True, color="FFFFFF"),
                                      fill=PatternFill("solid", fgColor="1F3864"),
                                      alignment=Alignment(horizontal="left", indent=1)))
    _write_scenarios(wb, analysis)
    _write_sensitivity(wb, analysis)
    _write_risk(wb, analysis)
    return list(RISK_SHEETS)
