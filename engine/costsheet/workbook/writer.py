"""Results → costsheet's owned sheets (Summary, Line items, Checks) in a scratch workbook.

The writer knows sheets, not the model's formulas: it takes computed
:class:`~costsheet.model.items.BudgetResult` objects (one per scenario) and writes *values* with
number formats, widths, frozen panes, print setup and native Excel charts. The scratch workbook is
then grafted into the user's file by :func:`costsheet.workbook.ooxml.graft_sheets`; nothing here
touches the user's file.

Everything a user typed (item names, scenario names, source keys) is written as text, never as a
formula, even when it starts with ``=``, ``+``, ``-`` or ``@``.

The workbook is built in openpyxl's write-only mode with a handful of shared named styles, so a
budget with tens of thousands of line items is written quickly and in little memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, PieChart, Reference, Series
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Border, NamedStyle, Side
from openpyxl.utils import get_column_letter

from ..i18n import N_, _, format_money, ngettext
from ..inputs import FAMILIES, FAMILY_LABELS
from ..model.default_ranges import PublishedBand, band_note
from ..model.items import BudgetResult, is_scalar
from ..model.stages import (
    GROUP_LABELS,
    GROUP_ORDER,
    STAGE_GROUPS,
    STAGE_LABELS,
    group_totals,
    has_stages,
    stage_totals,
)
from .print_plan import DEFAULT_ROW_PT as LINE_PT
from .sheetkit import (
    FAMILY_COLORS,
    HEADER_FILL,
    STAGE_GROUP_COLORS,
    TOTAL_FILL,
    OwnedSheet,
    add_named_styles,
    axis_text,
    clean_text,
    finite_number,
    money_format,
    named_style,
    number_width,
    quoted,
    sheet_title,
    size,
    text_categories,
    text_font,
    text_width,
    wrapped_lines,
)

__all__ = [
    "LINE_ITEM_HEADERS",
    "OWNED_SHEETS",
    "SUMMARY_SHEET",
    "LINE_ITEMS_SHEET",
    "CHECKS_SHEET",
    "Check",
    "KEY_FIGURES",
    "build_workbook",
    "money_format",
    "write_scratch",
]

SUMMARY_SHEET = "Summary"
LINE_ITEMS_SHEET = "Line items"
CHECKS_SHEET = "Checks"
OWNED_SHEETS: tuple[str, ...] = (SUMMARY_SHEET, LINE_ITEMS_SHEET, CHECKS_SHEET)

#: the Line items columns (English: translated when written)
LINE_ITEM_HEADERS: tuple[str, ...] = (
    N_("Scenario"), N_("Family"), N_("Item"), N_("Quantity"), N_("Unit"), N_("Unit cost"),
    N_("Amount"), N_("Currency"), N_("Stage"), N_("Source key"), N_("Basis"),
)

#: Line items: the widest Item, Source key and Basis columns; longer text wraps (the rows grow)
ITEM_WIDTH, SOURCE_WIDTH, BASIS_WIDTH = 40.0, 30.0, 70.0
#: what the Summary's stage table calls the lines no run carries
OTHER_STAGE_LABEL = N_("Not by stage: data, staff, facilities, idle GPUs")
CHART_HEIGHT_CM = 9.5
CHART_ROWS = 21  # rows from one chart's top to the next one's below it (9.5 cm and a gap)

#: (metric key, row label, number format or "money"/"money2", scale applied to the value);
#: each label says what the figure includes; English, translated when written
KEY_FIGURES: tuple[tuple[str, str, str, float], ...] = (
    ("flops", N_("Training FLOPs (final runs)"), "0.00E+00", 1.0),
    ("tokens", N_("Training tokens, billions (final runs)"), "#,##0.0", 1e-9),
    ("gpu_hours", N_("GPU-hours (final runs, without interruptions)"), "#,##0", 1.0),
    ("mfu", N_("MFU (final runs, weighted by GPU-hours)"), "0.0%", 1.0),
    ("goodput", N_("Goodput (final runs: useful ÷ all their GPU-hours)"), "0.0%", 1.0),
    ("wall_clock_days", N_("Wall-clock days (final runs, one after another)"), "#,##0.0", 1.0),
    ("energy_kwh", N_("Energy, MWh (every run: final, experiments, sweeps)"), "#,##0.0", 1e-3),
    ("co2_kg", N_("CO2, t (every run: final, experiments, sweeps)"), "#,##0.0", 1e-3),
    ("cost_per_million_tokens", N_("Cost per million training tokens (whole budget)"), "money2",
     1.0),
)
#: the Checks sheet's words for a check's severity and for "every scenario"
SEVERITY_WORDS = {"warning": N_("warning"), "info": N_("info"), "ok": N_("ok")}
ALL_SCENARIOS = "all"

@dataclass(frozen=True)
class Check:
    """A warning that is not an error: shown on the Checks sheet and by the CLI."""

    severity: str  # "warning" or "info"
    scenario: str  # a scenario name, several joined by ", ", or "" when not scenario-specific
    message: str
    where: str = ""  # Sheet!Cell for reader warnings

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def scenario_text(self) -> str:
        """The scenario as people read it (``all``: every scenario, in their language)."""
        return _("all") if self.scenario == ALL_SCENARIOS else self.scenario

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        scen = f"[{self.scenario_text}] " if self.scenario else ""
        return f"{scen}{head}{self.message}"


def _num(value: Any) -> float | None:
    """A finite float, or None (blank cell) for None / arrays; NaN or infinity is refused
    (:func:`~costsheet.workbook.sheetkit.finite_number`: never written as a blank or a 0)."""
    if value is None or not is_scalar(value):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return float(finite_number(f))


def _sheet(wb: Workbook, title: str) -> OwnedSheet:
    """A sheet of these three: text that starts like a formula takes ``cs_text``."""
    return OwnedSheet(wb, title, text_style="cs_text", missing=_("n/a"))


def _styles(wb: Workbook, currency: str) -> None:
    money = money_format(currency)
    money2 = money_format(currency, 2)
    header_font = text_font(bold=True, color="FFFFFF")
    bold = text_font(bold=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)  # headers wrap
    right = Alignment(horizontal="right", vertical="center", wrap_text=True)
    total_border = Border(top=Side(style="thin"), bottom=Side(style="double"))
    specs: list[NamedStyle] = [
        named_style("cs_text"),
        named_style("cs_title", font=text_font(bold=True, size=16, color="1F3864")),
        named_style("cs_note", font=text_font(italic=True, color="595959")),
        named_style("cs_header", font=header_font, fill=HEADER_FILL, alignment=left),
        named_style("cs_header_r", font=header_font, fill=HEADER_FILL, alignment=right),
        named_style("cs_label", alignment=left),
        named_style("cs_label_indent", alignment=Alignment(horizontal="left", indent=2)),
        named_style("cs_total_label", font=bold, fill=TOTAL_FILL, border=total_border),
        named_style("cs_money", number_format=money),
        named_style("cs_money2", number_format=money2),
        named_style("cs_money_total", number_format=money, font=bold, fill=TOTAL_FILL,
                    border=total_border),
        named_style("cs_pct", number_format="0.0%"),
        named_style("cs_int", number_format="#,##0"),
        named_style("cs_dec", number_format="#,##0.00"),
        named_style("cs_billions", number_format='#,##0.0,,," B"'),
        named_style("cs_trillions", number_format='#,##0.0,,,," T"'),
        named_style("cs_na", font=text_font(color="808080"), alignment=right),
        named_style("cs_warning", font=text_font(bold=True, color="C55A11")),
        named_style("cs_info", font=text_font(color="2F5597")),
        named_style("cs_ok", font=text_font(bold=True, color="548235")),
    ]
    for _key, _label, fmt, _scale in KEY_FIGURES:
        if fmt not in ("money", "money2"):
            specs.append(named_style("cs_fig_" + fmt, number_format=fmt))
    top = Alignment(vertical="top")  # Line items: rows grow where text wraps
    specs += [
        named_style("cs_li_text", alignment=top),
        named_style("cs_li_pad", alignment=Alignment(vertical="top", indent=1)),
        named_style("cs_li_wrap", alignment=Alignment(vertical="top", wrap_text=True)),
        named_style("cs_li_int", number_format="#,##0", alignment=top),
        named_style("cs_li_dec", number_format="#,##0.00", alignment=top),
        named_style("cs_li_money", number_format=money, alignment=top),
        named_style("cs_li_money2", number_format=money2, alignment=top),
        named_style("cs_li_pct", number_format="0.0%", alignment=top),
    ]
    add_named_styles(wb, specs)


def _fig_style(fmt: str) -> str:
    return "cs_" + fmt if fmt in ("money", "money2") else "cs_fig_" + fmt


def _shown(value: float | None, fmt: str, currency: str) -> str:
    """Roughly how Excel shows ``value`` in ``fmt``: used only to size columns."""
    if value is None:
        return _("n/a")
    if fmt in ("money", "money2"):
        return format_money(value, currency, decimals=2 if fmt == "money2" else 0)
    if fmt.startswith("0.00E"):
        return f"{value:.2E}"
    if fmt.endswith("%"):
        return f"{value:.1%}"
    if fmt.endswith(".0"):
        return f"{value:,.1f}"
    if fmt.endswith(".00"):
        return f"{value:,.2f}"
    return f"{value:,.0f}"


@dataclass
class _Layout:
    """Where things landed on the Summary sheet (used by the charts and by tests)."""

    header_row: int = 0
    family_rows: dict[str, int] | None = None
    total_row: int = 0
    figures_header_row: int = 0
    split_header_row: int = 0
    split_rows: int = 0
    last_row: int = 0
    band_header_row: int = 0  # 0: no band (every run states its MFU or GPU-hours)
    stage_header_row: int = 0  # 0: no stage table (pre-training only)
    stage_rows: dict[str, int] = field(default_factory=dict)  # stage group → its row


def _write_summary(
    wb: Workbook,
    results: Sequence[BudgetResult],
    *,
    title: str,
    source_name: str,
    run_time: datetime,
    version: str,
    currency: str,
    checks: Sequence[Check],
    bands: Mapping[str, PublishedBand],
) -> None:
    sh = _sheet(wb, SUMMARY_SHEET)
    n = len(results)
    lay = _Layout(family_rows={})
    col_text: list[list[str]] = [[] for _col in range(n + 1)]  # what each column shows
    sh.append([sh.cell(title, "cs_title")])
    stamp = run_time.strftime("%Y-%m-%d %H:%M")
    sh.append([sh.cell(_("From {source} · computed {time} · costsheet {version}").format(
        source=source_name, time=stamp, version=version), "cs_note")])
    nwarn = sum(1 for c in checks if c.severity == "warning")
    note = _("All amounts in {currency}. Values, not formulas: change the inputs and run "
             "`costsheet run` again.").format(currency=currency)
    if nwarn:
        note += " " + ngettext("{n} warning: see the {sheet} sheet.",
                               "{n} warnings: see the {sheet} sheet.", nwarn).format(
            n=nwarn, sheet=sheet_title(wb, CHECKS_SHEET))
    sh.append([sh.cell(note, "cs_note")])
    sh.append([])
    _family_table(sh, results, lay, col_text, currency)
    _band_table(sh, results, bands, lay, col_text, currency)
    _stage_table(sh, results, lay, col_text, currency)
    _figures_table(sh, results, lay, col_text, currency)
    split = _split_table(sh, results[0], lay, col_text, currency)
    widths = [max(text_width(t) for t in col_text[0])]
    widths += [max(12.0, *(text_width(t) for t in col_text[i])) for i in range(1, n + 1)]
    if n < 2:  # the split table's Share column
        widths.append(10.0)
    sh.widths(widths)
    sh.freeze(f"B{lay.header_row + 1}")
    sh.flush()
    # charts, below the tables
    ws = sh.ws
    anchor_row = lay.last_row + 2
    bar = _stacked_chart(ws, results, lay, currency)
    bar_cm = bar.width
    bar.anchor = f"A{anchor_row}"
    ws.add_chart(bar)
    if lay.split_rows:
        pie = _split_chart(ws, results[0].scenario, lay, split)
        pie.anchor = _anchor_right_of(widths, bar_cm + 0.8, anchor_row)
        ws.add_chart(pie)
    if lay.stage_header_row:
        stages = _stage_chart(ws, results, lay, currency)
        stages.anchor = f"A{anchor_row + CHART_ROWS}"
        ws.add_chart(stages)
    sh.print_setup()


def _family_table(sh: OwnedSheet, results: Sequence[BudgetResult], lay: _Layout,
                  col_text: list[list[str]], currency: str) -> None:
    """Cost by family, one column per scenario, and the total."""
    assert lay.family_rows is not None
    names = [r.scenario for r in results]
    head = [sh.cell(_("Cost by family ({currency})").format(currency=currency), "cs_header")]
    head += [sh.cell(name, "cs_header_r") for name in names]
    lay.header_row = sh.append(head)
    for i, name in enumerate(names, start=1):
        col_text[i].append(name)
    for fam in FAMILIES:
        row: list[Any] = [sh.cell(FAMILY_LABELS[fam], "cs_label")]
        for i, r in enumerate(results, start=1):
            v = _num(r.totals[fam]) or 0.0
            row.append(sh.cell(v, "cs_money"))
            col_text[i].append(_shown(v, "money", currency))
        lay.family_rows[fam] = sh.append(row)
        col_text[0].append(FAMILY_LABELS[fam])
    row = [sh.cell(_("Total"), "cs_total_label")]
    for i, r in enumerate(results, start=1):
        v = _num(r.total) or 0.0
        row.append(sh.cell(v, "cs_money_total"))
        col_text[i].append(_shown(v, "money", currency))
    lay.total_row = sh.append(row)
    sh.append([])


def _band_table(sh: OwnedSheet, results: Sequence[BudgetResult],
                bands: Mapping[str, PublishedBand], lay: _Layout, col_text: list[list[str]],
                currency: str) -> None:
    """GPU-hours and total at the two ends of the published MFU band, for the scenarios whose
    runs state no MFU; "MFU stated" for the others. Nothing when no scenario has a band."""
    shown = [bands.get(r.scenario) for r in results]
    first = next((b for b in shown if b is not None), None)
    if first is None:
        return
    title = _("Range: {label}").format(label=first.label)
    head = [sh.cell(title, "cs_header")]
    head += [sh.cell(r.scenario, "cs_header_r") for r in results]
    lay.band_header_row = sh.append(head)
    if len(title) <= 60:  # else it wraps in two lines
        col_text[0].append(title)
    rows = ((N_("GPU-hours (final runs), low (MFU at P90)"), "gpu_hours", 0, "cs_int"),
            (N_("GPU-hours (final runs), high (MFU at P10)"), "gpu_hours", 1, "cs_int"),
            (N_("Total, low (MFU at P90)"), "total", 0, "cs_money"),
            (N_("Total, high (MFU at P10)"), "total", 1, "cs_money"))
    for label, what, end, style in rows:
        row = [sh.cell(_(label), "cs_label")]
        col_text[0].append(_(label))
        for i, band in enumerate(shown, start=1):
            pair = None if band is None else getattr(band, what)
            if pair is None:
                stated = _("MFU stated") if band is None else _("n/a")
                row.append(sh.cell(stated, "cs_na"))
                col_text[i].append(stated)
                continue
            row.append(sh.cell(pair[end], style))
            col_text[i].append(_shown(pair[end], "money" if what == "total" else "int",
                                      currency))
        sh.append(row)
    sh.append([sh.cell(band_note([b for b in shown if b is not None]), "cs_note")])
    sh.append([])


def _stage_table(sh: OwnedSheet, results: Sequence[BudgetResult], lay: _Layout,
                 col_text: list[list[str]], currency: str) -> None:
    """Cost by stage group (pre-training, post-training, data generation, evaluation; a group's
    stages below it when it has more than one), what no run carries, and the total. Only for a
    budget with stages other than pre-training."""
    if not any(has_stages(r) for r in results):
        return
    groups = [group_totals(r) for r in results]
    stages = [stage_totals(r) for r in results]
    head = [sh.cell(_("Cost by stage ({currency})").format(currency=currency), "cs_header")]
    head += [sh.cell(r.scenario, "cs_header_r") for r in results]
    lay.stage_header_row = sh.append(head)

    def line(label: str, values: list[Any], label_style: str = "cs_label",
             style: str = "cs_money") -> int:
        row = [sh.cell(label, label_style)]
        for i, v in enumerate(values, start=1):
            amount = _num(v) or 0.0
            row.append(sh.cell(amount, style))
            col_text[i].append(_shown(amount, "money", currency))
        col_text[0].append(label + ("   " if label_style == "cs_label_indent" else ""))
        return sh.append(row)

    for group in (*GROUP_ORDER, "other"):
        if all((_num(g[group]) or 0.0) == 0.0 for g in groups):
            continue
        label = GROUP_LABELS[group] if group in GROUP_LABELS else _(OTHER_STAGE_LABEL)
        lay.stage_rows[group] = line(label, [g[group] for g in groups])
        members = [st for st, g in STAGE_GROUPS.items() if g == group
                   and any((_num(x[st]) or 0.0) != 0.0 for x in stages)]
        if len(members) > 1:
            for st in members:
                line(_("of which {stage}").format(stage=STAGE_LABELS[st]),
                     [x[st] for x in stages], "cs_label_indent")
    line(_("Total"), [r.total for r in results], "cs_total_label", "cs_money_total")
    sh.append([])


def _figures_table(sh: OwnedSheet, results: Sequence[BudgetResult], lay: _Layout,
                   col_text: list[list[str]], currency: str) -> None:
    """Key figures (FLOPs, tokens, GPU-hours, ...; each label says what it includes), "n/a"
    where missing."""
    head = [sh.cell(_("Key figures (what each includes)"), "cs_header")]
    head += [sh.cell(r.scenario, "cs_header_r") for r in results]
    lay.figures_header_row = sh.append(head)
    col_text[0].append(_("Key figures (final runs)"))
    for key, msgid, fmt, scale in KEY_FIGURES:
        label = _(msgid)
        row = [sh.cell(label, "cs_label")]
        col_text[0].append(label)
        for i, r in enumerate(results, start=1):
            v = _num(r.metrics.get(key))
            if v is None:
                row.append(sh.cell(_("n/a"), "cs_na"))
            else:
                row.append(sh.cell(v * scale, _fig_style(fmt)))
            col_text[i].append(_shown(None if v is None else v * scale, fmt, currency))
        sh.append(row)
    sh.append([])


def _split_table(sh: OwnedSheet, base: BudgetResult, lay: _Layout, col_text: list[list[str]],
                 currency: str) -> list[tuple[str, float]]:
    """The first scenario's families with a cost, largest first, with their shares."""
    split = [(fam, _num(base.totals[fam]) or 0.0) for fam in FAMILIES]
    split = sorted([s for s in split if s[1] > 0], key=lambda s: -s[1])
    base_total = sum(v for _f, v in split)
    split_title = _("Split of {scenario}").format(scenario=base.scenario)
    lay.split_header_row = sh.append([
        sh.cell(split_title, "cs_header"),
        sh.cell(_("Amount"), "cs_header_r"),
        sh.cell(_("Share"), "cs_header_r"),
    ])
    for fam, v in split:
        sh.append([sh.cell(FAMILY_LABELS[fam], "cs_label"), sh.cell(v, "cs_money"),
                   sh.cell(v / base_total if base_total else 0.0, "cs_pct")])
        col_text[1].append(_shown(v, "money", currency))
    lay.split_rows = len(split)
    lay.last_row = sh.row_count
    col_text[0].append(split_title)
    col_text[1].append(_("Amount"))
    return split


def _anchor_right_of(widths: list[float], cm: float, row: int) -> str:
    """The first column that starts at least ``cm`` centimetres from the sheet's left edge."""
    px_per_char, px_per_cm = 7.0, 96 / 2.54
    x = 0.0
    col = 1
    for w in widths:
        if x >= cm * px_per_cm:
            break
        x += (w * px_per_char + 5)
        col += 1
    while x < cm * px_per_cm:  # default width columns beyond the table
        x += 64
        col += 1
    return f"{get_column_letter(col)}{row}"


def _stacked_chart(ws: Any, results: Sequence[BudgetResult], lay: _Layout,
                   currency: str) -> BarChart:
    """Cost by family, one stacked column per scenario."""
    assert lay.family_rows is not None
    rows = [(lay.family_rows[fam], FAMILY_COLORS[fam]) for fam in FAMILIES
            if any((_num(r.totals[fam]) or 0.0) != 0.0 for r in results)]
    return _stacked_columns(ws, _("Cost by family and scenario"), lay.header_row, rows,
                            len(results), currency)


def _stage_chart(ws: Any, results: Sequence[BudgetResult], lay: _Layout,
                 currency: str) -> BarChart:
    """Cost by stage group, one stacked column per scenario."""
    rows = [(row, STAGE_GROUP_COLORS[group]) for group, row in lay.stage_rows.items()]
    return _stacked_columns(ws, _("Cost by stage and scenario"), lay.stage_header_row, rows,
                            len(results), currency)


def _stacked_columns(ws: Any, title: str, header_row: int, rows: list[tuple[int, str]],
                     n: int, currency: str) -> BarChart:
    """Stacked columns of ``n`` scenarios (columns B on, named in ``header_row``), one series
    per ``(row, colour)``, named by the row's label in column A."""
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    chart.title = title
    chart.y_axis.title = currency
    chart.y_axis.numFmt = money_format(currency)
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.y_axis.txPr = axis_text()
    chart.x_axis.txPr = axis_text()
    cats = Reference(ws, min_col=2, max_col=n + 1, min_row=header_row)
    for row, color in rows:
        values = Reference(ws, min_col=2, max_col=n + 1, min_row=row)
        series = Series(values, title_from_data=False)
        series.tx = SeriesLabel(strRef=_str_ref(ws.title, f"$A${row}"))
        series.graphicalProperties = GraphicalProperties(solidFill=color)
        series.graphicalProperties.line.solidFill = color
        chart.series.append(series)
    text_categories(chart, str(cats))
    chart.legend.position = "b"
    size(chart, max(16.0, 3.0 * n + 8.0), CHART_HEIGHT_CM)
    return chart


def _str_ref(sheet: str, cells: str) -> StrRef:
    return StrRef(f=f"{quoted(sheet)}!{cells}")


def _split_chart(ws: Any, scenario: str, lay: _Layout,
                 split: list[tuple[str, float]]) -> PieChart:
    first = lay.split_header_row + 1
    last = lay.split_header_row + lay.split_rows
    chart = PieChart()
    chart.title = _("{scenario}: split by family").format(scenario=scenario)
    data = Reference(ws, min_col=2, min_row=first, max_row=last)
    cats = Reference(ws, min_col=1, min_row=first, max_row=last)
    series = Series(data, title_from_data=False)
    series.tx = SeriesLabel(strRef=_str_ref(ws.title, f"$B${lay.split_header_row}"))
    for idx, (fam, _v) in enumerate(split):
        pt = DataPoint(idx=idx)
        pt.graphicalProperties = GraphicalProperties(solidFill=FAMILY_COLORS[fam])
        pt.graphicalProperties.line.solidFill = "FFFFFF"
        series.dPt.append(pt)
    series.dLbls = DataLabelList()
    series.dLbls.showPercent = True
    series.dLbls.showVal = False
    series.dLbls.showCatName = False
    series.dLbls.showSerName = False
    series.dLbls.showLeaderLines = True
    series.dLbls.showLegendKey = False
    series.dLbls.txPr = axis_text(1000)
    total = sum(v for _f, v in split)
    for idx, (_fam, v) in enumerate(split):  # no label on slivers: they would overlap
        if total and v / total < 0.03:
            series.dLbls.dLbl.append(DataLabel(
                idx=idx, showPercent=False, showVal=False, showCatName=False,
                showSerName=False, showLegendKey=False))
    chart.series.append(series)
    text_categories(chart, str(cats))
    assert chart.legend is not None  # a new chart has one
    chart.legend.position = "r"
    chart.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.12, w=0.55, h=0.82))
    size(chart, 13.0, CHART_HEIGHT_CM)
    return chart


def _write_line_items(wb: _OwnedWorkbook, results: Sequence[BudgetResult],
                      currency: str) -> None:
    sh = _sheet(wb, LINE_ITEMS_SHEET)
    headers = [_(h) for h in LINE_ITEM_HEADERS]
    sh.widths(_line_item_widths(results, currency))
    sh.freeze("A2")
    rows = 1 + sum(len(r.items) for r in results)
    sh.ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(rows, 2)}"
    sh.append([sh.cell(h, "cs_header_r" if i in (3, 5, 6) else "cs_header")
               for i, h in enumerate(headers)])
    sh.flush()
    chunks, heights = _line_item_rows(sh.ws, results, currency, sh.column_widths())
    wb._costsheet_rows[sh.title] = chunks
    # on paper: the amounts, then where they come from, Scenario to Item on every page
    source_col = LINE_ITEM_HEADERS.index("Source key") + 1  # English keys, in any language
    sh.print_setup(title_rows="1:1", title_cols="A:C", splits=(source_col,), data_rows=heights)


def _line_item_widths(results: Sequence[BudgetResult], currency: str) -> list[float]:
    """Column widths that fit the longest texts (capped) and the largest numbers."""
    headers = [_(h) for h in LINE_ITEM_HEADERS]
    widths = [text_width(h) + 2 for h in headers]  # room for the filter button
    family_text = {f: FAMILY_LABELS.get(f, f) for f in FAMILIES}
    longest: list[str] = [""] * len(headers)
    max_num = [0.0] * len(headers)
    for r in results:  # sizes only: write-only sheets need widths before the rows
        longest[0] = max(longest[0], r.scenario, key=len)
        for it in r.items:
            for i, t in ((2, it.item), (4, it.unit), (9, it.source), (10, it.basis)):
                if t and len(t) > len(longest[i]):
                    longest[i] = t
            for i, v in ((3, it.quantity), (5, it.unit_cost), (6, it.amount)):
                f = _num(v)
                if f is not None and abs(f) > max_num[i]:
                    max_num[i] = abs(f)
    for i, cap in ((0, 30), (2, ITEM_WIDTH), (4, 16), (9, SOURCE_WIDTH), (10, BASIS_WIDTH)):
        widths[i] = max(widths[i], min(text_width(longest[i]), cap))  # CJK: two columns each
    widths[1] = max(widths[1], max(text_width(t) for t in family_text.values()))
    stages = {STAGE_LABELS[it.stage] for r in results for it in r.items if it.stage}
    if stages:
        widths[8] = max(widths[8], max(text_width(t) for t in stages))
    for i, fmt in ((3, "int"), (5, "money2"), (6, "money")):
        v = max_num[i]
        if fmt == "int":  # as the quantity's style shows it: decimals only below 1,000
            shown = f"{v:,.0f}" if v >= 1000 or float(v).is_integer() else f"{v:,.2f}"
        else:
            shown = _shown(v, fmt, currency)
        widths[i] = max(widths[i], number_width(shown))
    return widths


def _line_item_rows(ws: Any, results: Sequence[BudgetResult], currency: str,
                    widths: Sequence[float]) -> tuple[list[str], list[float]]:
    """The data rows as sheet XML, spliced in when the workbook is saved (tens of thousands
    for a large budget, which openpyxl's per-cell writer takes ~10x longer to write), and
    their heights: Item, Source key and Basis wrap within ``widths``, and a row is as tall as
    its longest wrapped text (set, not left to the application: LibreOffice keeps one line)."""
    headers = [_(h) for h in LINE_ITEM_HEADERS]
    family_text = {f: FAMILY_LABELS.get(f, f) for f in FAMILIES}
    sid = {name: _style_id(ws, "cs_li_" + name) for name in ("text", "pad", "wrap", "int",
                                                             "dec", "money", "money2", "pct")}
    cols = [get_column_letter(i) for i in range(1, len(headers) + 1)]
    memo: dict[str, str] = {}
    heights: list[float] = []
    wrapped: dict[tuple[str, str], int] = {}  # (column, text) → lines: texts repeat by scenario
    lines = 1

    def text(col: str, row: str, value: str, style: str = "text") -> str:
        nonlocal lines
        body = memo.get(value)
        if body is None:
            body = _inline(value)
            if len(memo) < 200_000:
                memo[value] = body
        if not body:
            return ""
        if style == "wrap":
            n = wrapped.get((col, value))
            if n is None:
                n = wrapped_lines(value, widths[ord(col) - ord("A")])
                if len(wrapped) < 200_000:
                    wrapped[(col, value)] = n
            lines = max(lines, n)
        return f'<c r="{col}{row}" s="{sid[style]}" t="inlineStr"{body}</c>'

    def number(col: str, row: str, value: float | None, style: int) -> str:
        if value is None:
            return ""
        return f'<c r="{col}{row}" s="{style}"><v>{value!r}</v></c>'

    a, b, c, d, e, f, g, h, i, j, k = cols
    chunks: list[str] = []
    n = 1
    for r in results:
        for it in r.items:
            n += 1
            row = str(n)
            qty = _num(it.quantity)
            qty_style = sid["int"] if qty is None or qty.is_integer() or abs(qty) >= 1000 \
                else sid["dec"]
            if it.unit == "chance":  # a restart risk: 10.0% chance × the cost of a restart
                qty_style = sid["pct"]
            lines = 1
            cells = (
                text(a, row, r.scenario)
                + text(b, row, family_text.get(it.family, it.family))
                + text(c, row, it.item, "wrap")
                + number(d, row, qty, qty_style)
                + text(e, row, it.unit or "", "pad")
                + number(f, row, _num(it.unit_cost), sid["money2"])
                + number(g, row, _num(it.amount), sid["money"])
                + text(h, row, it.currency or currency, "pad")
                + text(i, row, STAGE_LABELS[it.stage] if it.stage else "")
                + text(j, row, it.source or "", "wrap")
                + text(k, row, it.basis or "", "wrap")
            )
            height = LINE_PT * lines
            heights.append(height)
            tall = f' ht="{height:g}" customHeight="1"' if lines > 1 else ""
            chunks.append(f'<row r="{row}"{tall}>{cells}</row>')
    return chunks, heights


def _style_id(ws: Any, name: str) -> int:
    """The cellXfs index the scratch workbook gives named style ``name``."""
    probe = WriteOnlyCell(ws, 0)
    probe.style = name
    return probe.style_id


def _inline(value: str) -> str:
    """``><is><t>...</t></is>`` for an inline string cell ('' for empty text)."""
    text = clean_text(value)
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as every other sheet's cells read
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f"><is><t{space}>{esc}</t></is>"


class _OwnedWorkbook(Workbook):
    """A write-only workbook whose large sheets get pre-serialised rows spliced in on save."""

    def __init__(self, sheet_prefix: str = "") -> None:
        super().__init__(write_only=True)
        self._costsheet_rows: dict[str, list[str]] = {}
        self.sheet_prefix = sheet_prefix  # every owned sheet's title starts with it

    def save(self, filename: Any) -> None:
        super().save(filename)
        _splice_rows(Path(filename), self.sheetnames, self._costsheet_rows)


def _splice_rows(path: Path, sheetnames: list[str], rows: dict[str, list[str]]) -> None:
    """Insert serialised rows before ``</sheetData>`` of the named sheets of ``path``; fonts
    in the order Excel's schema wants (openpyxl writes them otherwise)."""
    import zipfile

    from .ooxml.styles import fonts_in_schema_order

    parts = {f"xl/worksheets/sheet{i}.xml": rows[name]
             for i, name in enumerate(sheetnames, start=1) if rows.get(name)}
    tmp = path.with_name(path.name + ".splice")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED,
                                                      compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in parts:
                xml = data.decode("utf-8")
                at = xml.rindex("</sheetData>")
                xml = xml[:at] + "".join(parts[info.filename]) + xml[at:]
                data = xml.encode("utf-8")
            elif info.filename == "xl/styles.xml":
                data = fonts_in_schema_order(data)
            dst.writestr(info, data)
    tmp.replace(path)


def _write_checks(wb: Workbook, checks: Sequence[Check]) -> None:
    sh = _sheet(wb, CHECKS_SHEET)
    heads = [_("Severity"), _("Scenario"), _("Where"), _("Message")]
    sh.append([sh.cell(h, "cs_header") for h in heads])
    widths = [max(12.0, *(text_width(_(w)) for w in SEVERITY_WORDS.values())),
              max(14.0, text_width(heads[1])), max(12.0, text_width(heads[2])), 60.0]
    if not checks:
        sh.append([sh.cell(_(SEVERITY_WORDS["ok"]), "cs_ok"), "", "",
                   sh.cell(_("Nothing to report: no warnings."))])
    for c in checks:
        style = {"warning": "cs_warning", "info": "cs_info"}.get(c.severity, "cs_warning")
        severity = _(SEVERITY_WORDS.get(c.severity, c.severity))
        sh.append([sh.cell(severity, style), sh.cell(c.scenario_text), sh.cell(c.where),
                   sh.cell(c.message)])
        widths[1] = max(widths[1], min(text_width(c.scenario_text), 40))
        widths[2] = max(widths[2], min(text_width(c.where), 30))
        widths[3] = max(widths[3], min(text_width(c.message), 140))
    sh.widths(widths)
    sh.freeze("A2")
    sh.ws.auto_filter.ref = f"A1:D{max(sh.row_count, 2)}"
    sh.flush()
    sh.print_setup(title_rows="1:1")


def build_workbook(
    results: Sequence[BudgetResult],
    checks: Sequence[Check] = (),
    *,
    title: str = "Training budget",
    source_name: str = "",
    run_time: datetime | None = None,
    version: str = "",
    bands: Mapping[str, PublishedBand] | None = None,
    prefix: str = "",
) -> Workbook:
    """A write-only workbook holding the owned sheets for ``results`` (one per scenario), their
    titles starting with ``prefix`` (:mod:`costsheet.workbook.sheet_names`).

    ``bands``: by scenario, the published-MFU band of the runs that state no MFU
    (:func:`costsheet.model.default_ranges.published_band`), shown on the Summary.
    Save it with :func:`write_scratch` (or ``wb.save``); it can be saved once.
    """
    if not results:
        raise ValueError("build_workbook needs at least one scenario result")
    if not version:
        from .. import __version__ as version
    currency = results[0].currency or "USD"
    wb = _OwnedWorkbook(prefix)
    _styles(wb, currency)
    _write_summary(wb, results, title=title, source_name=source_name,
                   run_time=run_time or datetime.now(), version=version, currency=currency,
                   checks=checks, bands=bands or {})
    _write_line_items(wb, results, currency)
    _write_checks(wb, checks)
    return wb


def write_scratch(
    path: Path,
    results: Sequence[BudgetResult],
    checks: Sequence[Check] = (),
    **meta: Any,
) -> Path:
    """Write the owned sheets for ``results`` to a new workbook at ``path`` (a scratch file)."""
    path = Path(path)
    wb = build_workbook(results, checks, **meta)
    wb.save(path)
    return path
