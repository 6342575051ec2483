"""The budget template: the layout spec of every input sheet, and `costsheet new`.

The layout is generated from the pydantic input models in :mod:`costsheet.inputs`, one model per
sheet (field names are the stable keys; each field's type declares its kind, see
:class:`costsheet.inputs.Kind`; titles, units, help and column hints come from each field's
``json_schema_extra``).

Table sheets (Pools, Runs, Data, Staff, Other, GPU catalog, FX, Overrides)::

    row 1  title                      row 4  visible labels (translated)
    row 2  one-line introduction      row 5  units
    row 3  keys (small, grey)         row 6… one input line per row

The Drivers sheet has one driver per row: key | label | unit | help | Base | Low | High | …
(any number of scenario columns; a blank scenario cell inherits Base).

The reader finds everything by key (the key row, the key column), never by label, so labels can
be translated (``lang="zh"``) or reworded without changing what is read.
"""

from __future__ import annotations

import io
import re
import typing
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

if TYPE_CHECKING:
    from openpyxl.styles import Font

from ..catalog import default_catalog
from ..errors import InputError
from ..i18n import N_, _, available_languages, check_language, gettext_in
from ..inputs import (
    ActualLine,
    Budget,
    CostLine,
    Drivers,
    FxRow,
    GpuCatalogRow,
    GpuPool,
    OverrideRow,
    StaffLine,
    TrainingRun,
    UncertaintyRow,
    kind_of,
)
from .ooxml.styles import fonts_in_schema_order

#: the languages a template can be written in (English and every compiled catalog)
LANGS = available_languages()
#: the custom document property that remembers a workbook's language (docs/i18n.md)
LANGUAGE_PROPERTY = "costsheet.language"
KEY_ROW = 3
HEADER_ROW = 4
UNIT_ROW = 5
FIRST_ROW = 6
DRIVERS_FIRST_ROW = 5
BLANK_ROWS = 20  # empty input rows formatted below the last filled one
VALIDATION_ROWS = 500  # rows covered by dropdowns and help prompts
DEFAULT_SCENARIOS = ("Base", "Low", "High")
DRIVER_FIXED_KEYS = ("key", "label", "unit", "help")
FIXED_TIME = datetime(2024, 1, 1, 0, 0, 0)

# finance conventions: inputs are light yellow with blue text
INPUT_FILL = "FFF2CC"
INPUT_FONT = "0000FF"
HEADER_FILL = "DDEBF7"
KEY_FONT = "808080"

COUNT_FMT = "#,##0"
FRACTION_FMT = "0.0%"
MONEY_FMT = "#,##0.00"
BIG_MONEY_FMT = "#,##0"
BILLIONS_FMT = '#,##0.0,,," B"'
TRILLIONS_FMT = '#,##0.0,,,," T"'
TEXT_FMT = "@"
GENERAL_FMT = "General"

#: number formats by key, for numbers whose unit does not say it all
NUMBER_FORMATS: dict[str, str] = {
    "params": BILLIONS_FMT,
    "active_params": BILLIONS_FMT,
    "tokens": TRILLIONS_FMT,
    "flops": "0.00E+00",
    "gpu_hours": COUNT_FMT,
    "price_per_gpu_hour": MONEY_FMT,
    "purchase_price_per_gpu": BIG_MONEY_FMT,
    "annual_salary": BIG_MONEY_FMT,
    "unit_cost": MONEY_FMT,
    "power_w": COUNT_FMT,
    "tdp_w": COUNT_FMT,
    "bf16_dense_tflops": "#,##0.0",
    "fp8_dense_tflops": "#,##0.0",
    "memory_gb": COUNT_FMT,
    "kwh_price": "0.000",
    "pue": "0.00",
    "grid_kg_co2_per_kwh": "0.00",
    "server_premium": "0.00",
    "server_power_ratio": "0.00",
    "colocation_per_kw_month": MONEY_FMT,
    "experiment_multiplier": "0.00",
    "interruption_rate_per_1000_gpu_days": "0.00",
    "rate": "0.0000",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One input field: a table column, or a row of the Drivers sheet.

    Label, unit and help are English (the msgids of the catalogs); ``label(lang)`` and friends
    translate them.
    """

    key: str
    label_en: str
    unit_en: str
    help_en: str
    kind: str  # number, count, fraction, text, month, currency, choice
    required: bool = False
    default: Any = None
    number_format: str = GENERAL_FMT
    choices: tuple[str, ...] = ()
    choices_strict: bool = True
    list_formula: str = ""  # a dropdown fed by a range instead of fixed choices
    width: float = 12.0
    heading: bool = False  # only names or comments a line: a row with nothing else is skipped
    old_keys: tuple[str, ...] = ()  # keys this column had in workbooks written before
    quiet_if_missing: bool = False  # added later: a workbook without the column reads as before

    def label(self, lang: str = "en") -> str:
        return gettext_in(lang, self.label_en)

    def unit(self, lang: str = "en") -> str:
        return gettext_in(lang, self.unit_en)

    def help(self, lang: str = "en") -> str:
        return gettext_in(lang, self.help_en)


@dataclass(frozen=True)
class SheetSpec:
    """One input sheet: its (stable) name, section key, texts and columns."""

    name: str
    section: str  # drivers, pools, runs, data, staff, other, gpu_catalog, fx, overrides
    title_en: str
    intro_en: str
    columns: tuple[ColumnSpec, ...]
    model: type[BaseModel] | None = None
    required: bool = True
    fixed: dict[str, Any] = field(default_factory=dict)  # values not on the sheet

    @property
    def name_key(self) -> str:
        return self.columns[0].key

    def column(self, key: str) -> ColumnSpec:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def title(self, lang: str = "en") -> str:
        return gettext_in(lang, self.title_en)

    def intro(self, lang: str = "en") -> str:
        return gettext_in(lang, self.intro_en)


# --------------------------------------------------------------------------------------------
# the layout spec, generated from the models


def _kind(info: Any) -> tuple[str, tuple[str, ...]]:
    """The kind a pydantic field declares (:class:`costsheet.inputs.Kind`), with its choices."""
    kind = kind_of(info).name
    choices = tuple(typing.get_args(info.annotation)) if kind == "choice" else ()
    return kind, tuple(c for c in choices if isinstance(c, str))


def _format_for(key: str, kind: str) -> str:
    if kind == "fraction":
        return FRACTION_FMT
    if kind == "count":
        return COUNT_FMT
    if kind in ("month", "currency", "text", "choice"):
        return TEXT_FMT
    return NUMBER_FORMATS.get(key, GENERAL_FMT)


def _text_width(text: str) -> float:
    """Display width of text in Excel character units (CJK characters count double)."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in text)


def _width(label: str, unit: str, kind: str) -> float:
    """A column wide enough for its label and unit in every language (the same layout in each)."""
    base = {"fraction": 9, "count": 10, "number": 12, "month": 10, "currency": 9,
            "choice": 11, "text": 16}[kind]
    longest = max(_text_width(gettext_in(lang, text))
                  for lang in available_languages() for text in (label, unit))
    return float(min(max(base, longest + 2), 30))


def _model_columns(
    model: type[BaseModel],
    section: str,
    *,
    skip: Iterable[str] = (),
    defaults: dict[str, Any] | None = None,
    strict_choices: bool = True,
) -> tuple[ColumnSpec, ...]:
    cols = []
    for key, info in model.model_fields.items():
        extra: dict[str, Any] = (dict(info.json_schema_extra)
                                  if isinstance(info.json_schema_extra, dict) else {})
        if key in skip or extra.get("sheet", True) is False:
            continue
        kind, choices = _kind(info)
        unit = str(extra.get("unit", ""))
        default = info.default if info.default is not PydanticUndefined else None
        if defaults and key in defaults:
            default = defaults[key]
        label = str(extra.get("title_text", key))
        width = _width(label, unit, kind)
        cols.append(ColumnSpec(
            key=key,
            label_en=label,
            unit_en=unit,
            help_en=str(extra.get("help", "")),
            kind=kind,
            required=info.is_required(),
            default=default,
            number_format=_format_for(key, kind),
            choices=choices,
            choices_strict=strict_choices,
            width=max(float(extra.get("width", 0.0)), width),
            heading=bool(extra.get("heading", False)),
            old_keys=tuple(extra.get("old_keys", ())),
            quiet_if_missing=bool(extra.get("quiet_if_missing", False)),
        ))
    return tuple(cols)


def _with(cols: tuple[ColumnSpec, ...], key: str, **changes: Any) -> tuple[ColumnSpec, ...]:
    return tuple(replace(c, **changes) if c.key == key else c for c in cols)


def _uncertainty_columns() -> tuple[ColumnSpec, ...]:
    from ..model.montecarlo import KINDS

    return _with(_model_columns(UncertaintyRow, "uncertainty"), "distribution", choices=KINDS,
                 choices_strict=False)


def build_layout() -> tuple[SheetSpec, ...]:
    """Every input sheet of the template, in workbook order (after README)."""
    cat_keys = tuple(default_catalog().keys)
    pools = _with(_model_columns(GpuPool, "pools"), "gpu_type", kind="choice",
                  choices=cat_keys, choices_strict=False)
    runs = _with(_model_columns(TrainingRun, "runs"), "pool", kind="choice",
                 list_formula=f"Pools!$A${FIRST_ROW}:$A${FIRST_ROW + VALIDATION_ROWS}",
                 choices_strict=False)
    data = _model_columns(CostLine, "data", skip=("family",))
    other = _model_columns(CostLine, "other", defaults={"family": "power_facilities"})
    return (
        SheetSpec(
            "Drivers", "drivers", N_("Drivers and scenarios"),
            N_("One driver per row. Base holds the base value; each further column is a "
               "scenario (blank: same as Base). Add scenario columns to the right as needed."),
            _model_columns(Drivers, "drivers"), Drivers),
        SheetSpec("Pools", "pools", N_("GPU pools"),
                  N_("One row per set of GPUs of one type, rented or owned."), pools, GpuPool),
        SheetSpec("Runs", "runs", N_("Training runs"),
                  N_("One row per training run: the final run, or a listed experiment."), runs,
                  TrainingRun),
        SheetSpec("Data", "data", N_("Data"),
                  N_("Datasets, crawling, storage, labelling, processing: quantity x unit cost "
                     "(x months) (x (1 + overhead))."), data, CostLine,
                  fixed={"family": "data"}),
        SheetSpec("Staff", "staff", N_("R&D staff"),
                  N_("headcount x annual salary x (1 + burden) x allocation x months / 12."),
                  _model_columns(StaffLine, "staff"), StaffLine),
        SheetSpec("Other", "other", N_("Facilities and other lines"),
                  N_("Any other priced line, of any family: colocation, networking, "
                     "software, ..."), other, CostLine),
        SheetSpec("GPU catalog", "gpu_catalog", N_("GPU catalog overrides"),
                  N_("Override or add GPU types; blank cells keep the built-in catalog's "
                     "values (see `costsheet gpus`)."),
                  _model_columns(GpuCatalogRow, "gpu_catalog"), GpuCatalogRow, required=False),
        SheetSpec("FX", "fx", N_("Exchange rates"),
                  N_("Lines in a currency other than the reporting currency need a rate: "
                     "1 unit = rate x reporting currency."), _model_columns(FxRow, "fx"),
                  FxRow, required=False),
        SheetSpec("Overrides", "overrides", N_("Scenario overrides"),
                  N_("Let a scenario change any numeric input, e.g. in High pool h800 costs "
                     "2.80 per GPU-hour."), _model_columns(OverrideRow, "overrides"),
                  OverrideRow, required=False),
        SheetSpec("Actuals", "actuals", N_("Actuals"),
                  N_("What was booked, one row per month and family (optionally a line item), "
                     "in any currency with a rate on the FX sheet. Read by `costsheet run` for "
                     "the Variance sheet."), _model_columns(ActualLine, "actuals"), ActualLine,
                  required=False),
        SheetSpec("Uncertainty", "uncertainty", N_("Uncertainty (Monte Carlo)"),
                  N_("One uncertain input per row: a driver or input key, a distribution and "
                     "its parameters. Read by `costsheet run` for the Risk sheet. A range such "
                     "as 0.35 to 0.45 typed in a driver's Base cell also counts (a 90% "
                     "interval)."),
                  _uncertainty_columns(), UncertaintyRow, required=False),
    )


LAYOUT: tuple[SheetSpec, ...] = build_layout()
SHEETS: dict[str, SheetSpec] = {s.section: s for s in LAYOUT}
README_SHEET = "README"


def sheet(section: str) -> SheetSpec:
    return SHEETS[section]


# --------------------------------------------------------------------------------------------
# values of a Budget, as they go into cells


def _cell_value(col: ColumnSpec, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer() and col.kind in ("number", "count"):
        return int(value)
    return value


def table_rows(budget: Budget, section: str) -> list[dict[str, Any]]:
    """The input lines of ``section`` as {key: value} in engine units (before sheet scaling)."""
    if section in ("pools", "runs", "data", "staff", "other"):
        return [line.model_dump() for line in getattr(budget, section)]
    if section == "gpu_catalog":
        return [row.model_dump() for row in budget.gpu_catalog]
    if section == "fx":
        return [{"currency": k, "rate": v} for k, v in budget.fx_rates.items()]
    if section == "actuals":
        return []  # a budget holds no actuals; see costsheet.workbook.actuals.fill_actuals
    if section == "uncertainty":
        return []  # a budget holds no distributions; see costsheet.workbook.uncertainty
    if section == "overrides":
        rows = []
        for scen, overrides in budget.scenarios.items():
            for key, value in overrides.items():
                if "." in key and not key.startswith("drivers."):
                    rows.append({"scenario": scen, "key": key, "value": value})
        return rows
    raise KeyError(section)


def driver_scenarios(budget: Budget) -> dict[str, dict[str, Any]]:
    """Scenario name → driver overrides (the Drivers sheet's scenario columns)."""
    out: dict[str, dict[str, Any]] = {}
    for scen in budget.scenario_names[1:]:
        out[scen] = {}
        for key, value in budget.scenarios.get(scen, {}).items():
            bare = key[8:] if key.startswith("drivers.") else key
            if "." not in bare:
                out[scen][bare] = value
    return out


# --------------------------------------------------------------------------------------------
# writing the template


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "title": _font(bold=True, size=14),
        "intro": _font(italic=True, color="595959"),
        "key": _font(size=8, color=KEY_FONT),
        "header": _font(bold=True),
        "header_fill": PatternFill("solid", fgColor=HEADER_FILL),
        "unit": _font(italic=True, size=9, color="595959"),
        "input_fill": PatternFill("solid", fgColor=INPUT_FILL),
        "input_font": _font(color=INPUT_FONT),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "top": Alignment(vertical="top"),
    }


def _font(**kw: Any) -> Font:
    """A font with its face named, as on the owned sheets (unnamed, LibreOffice falls back to a
    serif face; CJK text falls back to the system's CJK font either way)."""
    from openpyxl.styles import Font

    kw.setdefault("size", 11)
    return Font(name="Calibri", **kw)


def _set_text(cell: Any, text: str) -> None:
    cell.value = text
    if text.startswith("="):
        cell.data_type = "s"


def _help_validation(ws: Any, col: ColumnSpec, lang: str, ref: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    title = col.label(lang)[:32]
    prompt = col.help(lang)
    if col.unit(lang):
        prompt = f"{prompt} [{col.unit(lang)}]"
    if col.list_formula:
        dv = DataValidation(type="list", formula1=col.list_formula, allow_blank=True)
    elif col.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"',
                            allow_blank=True)
    else:
        dv = DataValidation(allow_blank=True)
    if dv.type == "list":
        dv.showErrorMessage = True
        dv.errorStyle = "stop" if col.choices_strict and not col.list_formula else "warning"
        dv.errorTitle = title
        dv.error = prompt[:255]
    dv.showInputMessage = True
    dv.promptTitle = title
    dv.prompt = prompt[:255]
    dv.add(ref)
    ws.add_data_validation(dv)


def _write_input(cell: Any, value: Any, col: ColumnSpec, st: dict[str, Any]) -> None:
    if isinstance(value, str):
        _set_text(cell, value)
    else:
        cell.value = value
    cell.fill = st["input_fill"]
    cell.font = st["input_font"]
    cell.border = st["border"]
    cell.number_format = col.number_format


def _write_table(ws: Any, spec: SheetSpec, rows: list[dict[str, Any]], lang: str,
                 st: dict[str, Any]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter

    ws["A1"] = spec.title(lang)
    ws["A1"].font = st["title"]
    ws["A2"] = spec.intro(lang)
    ws["A2"].font = st["intro"]
    n_rows = len(rows) + BLANK_ROWS
    for j, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(j)
        key = ws.cell(KEY_ROW, j, col.key)
        key.font = st["key"]
        head = ws.cell(HEADER_ROW, j, col.label(lang))
        head.font = st["header"]
        head.fill = st["header_fill"]
        head.alignment = st["center"]
        head.border = st["border"]
        head.comment = Comment(col.help(lang), "costsheet", width=260, height=90)
        unit = ws.cell(UNIT_ROW, j, col.unit(lang) or None)
        unit.font = st["unit"]
        unit.alignment = st["center"]
        for i in range(n_rows):
            value = rows[i].get(col.key) if i < len(rows) else None
            _write_input(ws.cell(FIRST_ROW + i, j), _cell_value(col, value), col, st)
        _help_validation(ws, col, lang,
                         f"{letter}{FIRST_ROW}:{letter}{FIRST_ROW + VALIDATION_ROWS}")
        texts = [_cell_value(col, r.get(col.key)) for r in rows]
        longest = max((_text_width(t) for t in texts if isinstance(t, str)), default=0.0)
        ws.column_dimensions[letter].width = max(col.width, min(longest + 2, 40.0))
    ws.row_dimensions[HEADER_ROW].height = 30
    ws.freeze_panes = f"B{FIRST_ROW}"


def _write_drivers(ws: Any, spec: SheetSpec, budget: Budget, scenarios: list[str], lang: str,
                   st: dict[str, Any]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter

    ws["A1"] = spec.title(lang)
    ws["A1"].font = st["title"]
    ws["A2"] = spec.intro(lang)
    ws["A2"].font = st["intro"]
    fixed = [("key", N_("Key")), ("label", N_("Driver")), ("unit", N_("Unit")),
             ("help", N_("Help"))]
    for j, (key, label) in enumerate(fixed, start=1):
        ws.cell(KEY_ROW, j, key).font = st["key"]
        head = ws.cell(HEADER_ROW, j, gettext_in(lang, label))
        head.font = st["header"]
        head.fill = st["header_fill"]
        head.alignment = st["center"]
        head.border = st["border"]
    first_scen = len(fixed) + 1
    overrides = driver_scenarios(budget)
    for k, scen in enumerate(scenarios):
        j = first_scen + k
        ws.cell(KEY_ROW, j, "scenario").font = st["key"]
        head = ws.cell(HEADER_ROW, j, scen)
        head.font = Font_bold_blue()
        head.fill = st["input_fill"]
        head.alignment = st["center"]
        head.border = st["border"]
        head.comment = Comment(
            gettext_in(lang, "Scenario name (Base first). Add more scenario columns to the "
                             "right."),
            "costsheet", width=260, height=60)
        ws.column_dimensions[get_column_letter(j)].width = 13
    for i, col in enumerate(spec.columns):
        r = DRIVERS_FIRST_ROW + i
        ws.cell(r, 1, col.key).font = st["key"]
        ws.cell(r, 2, col.label(lang)).font = st["header"]
        ws.cell(r, 3, col.unit(lang) or None).font = st["unit"]
        help_cell = ws.cell(r, 4, col.help(lang))
        help_cell.alignment = st["wrap"]
        help_cell.font = st["intro"]
        for c in (1, 2, 3):
            ws.cell(r, c).alignment = st["top"]
        for k, scen in enumerate(scenarios):
            if k == 0:
                value = getattr(budget.drivers, col.key)
            else:
                value = overrides.get(scen, {}).get(col.key)
            cell = ws.cell(r, first_scen + k)
            _write_input(cell, _cell_value(col, value), col, st)
            cell.alignment = st["top"]
        ws.row_dimensions[r].height = 30
        last = get_column_letter(first_scen + max(len(scenarios), 6) - 1)
        _help_validation(ws, col, lang, f"{get_column_letter(first_scen)}{r}:{last}{r}")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = max(
        22, max(_text_width(c.label(lang)) for c in spec.columns) + 2)
    ws.column_dimensions["C"].width = max(
        12, max(_text_width(c.unit(lang)) for c in spec.columns) + 2)
    ws.column_dimensions["D"].width = 60
    ws.freeze_panes = f"C{DRIVERS_FIRST_ROW}"


def Font_bold_blue() -> Font:  # noqa: N802 - a style factory

    return _font(bold=True, color=INPUT_FONT)


#: the sheets `costsheet run` writes, as the README names them (a test keeps them in step)
RUN_SHEETS: tuple[str, ...] = ("Summary", "Line items", "Checks", "Scenarios", "Sensitivity",
                               "Risk", "Monthly", "Variance", "Refresh log")

#: the README sheet, one line per row (English msgids; {sheets} and {last}: the RUN_SHEETS)
README_LINES: tuple[str, ...] = (
    N_("costsheet training budget template"),
    "",
    N_("How to use it"),
    N_("1. Fill the yellow cells (blue text): they are the inputs. Do not edit the small grey key "
       "rows: costsheet reads by key."),
    N_("2. Check: costsheet check budget.xlsx (lists every bad cell; the file is not changed)."),
    N_("3. Compute: costsheet run budget.xlsx (writes nine sheets back into this workbook: "
       "{sheets} and {last})."),
    "",
    N_("Colours"),
    N_("Light yellow fill + blue text: an input"),
    N_("Small grey text: a key (read by costsheet, do not edit)"),
    N_("Black text: labels and help"),
    "",
    N_("Numbers may be typed as 7B, 14.8T, 2.788M, 1,082,990; fractions as 40% or 0.4 "
       "(not 40)."),
    N_("Months as YYYY-MM, e.g. 2026-01."),
    "",
    N_("Sheets"),
)
_README_HEADINGS = ("How to use it", "Colours", "Sheets")


def readme_lines(lang: str = "en") -> list[str]:
    """The README sheet's lines in ``lang``."""
    sheets = ", ".join(RUN_SHEETS[:-1])
    return [gettext_in(lang, line).format(sheets=sheets, last=RUN_SHEETS[-1])
            for line in README_LINES]


#: the English README, as earlier versions exported it
README_EN = readme_lines("en")


def _write_readme(ws: Any, lang: str, st: dict[str, Any]) -> None:
    lines = readme_lines(lang)
    legend = {9: "input", 10: "key", 11: "label"}  # rows of the colour legend
    for i, (msgid, text) in enumerate(zip(README_LINES, lines, strict=True), start=1):
        if i in legend:
            sample = ws.cell(i, 1, {"input": "1,234", "key": "key",
                                    "label": gettext_in(lang, "Label")}[legend[i]])
            if legend[i] == "input":
                sample.fill = st["input_fill"]
                sample.font = st["input_font"]
                sample.border = st["border"]
            elif legend[i] == "key":
                sample.font = st["key"]
            ws.cell(i, 2, text)
            continue
        cell = ws.cell(i, 1, text or None)
        if i == 1:
            cell.font = st["title"]
        elif msgid in _README_HEADINGS:
            cell.font = st["header"]
    r = len(lines) + 1
    for spec in LAYOUT:
        ws.cell(r, 1, spec.name).font = st["header"]
        ws.cell(r, 2, gettext_in(lang, "{title}: {intro}").format(title=spec.title(lang),
                                                                   intro=spec.intro(lang)))
        r += 1
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 110


def _page_setup(ws: Any) -> None:
    """Print (and render) each sheet landscape, one page wide."""
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def workbook_for(budget: Budget | None = None, *, lang: str = "en", prefix: str = "") -> Any:
    """An openpyxl Workbook of the template, filled with ``budget``'s inputs if given; every
    sheet's name starts with ``prefix`` (``new --into --prefix``)."""
    from openpyxl import Workbook

    try:
        lang = check_language(lang)
    except ValueError as exc:
        raise InputError(str(exc), code="unknown_language", key="lang") from None
    filled = budget is not None
    budget = budget or Budget()
    scenarios = budget.scenario_names if filled else list(DEFAULT_SCENARIOS)
    st = _styles()
    wb = Workbook()
    readme = wb.active
    assert readme is not None  # a new Workbook has one sheet
    readme.title = README_SHEET
    _write_readme(readme, lang, st)
    for spec in LAYOUT:
        ws = wb.create_sheet(spec.name)
        if spec.section == "drivers":
            _write_drivers(ws, spec, budget, scenarios, lang, st)
        else:
            _write_table(ws, spec, table_rows(budget, spec.section), lang, st)
    for ws in wb.worksheets:
        _page_setup(ws)
    if prefix:
        _prefix_sheets(wb, prefix)
    props = wb.properties
    props.creator = "costsheet"
    props.lastModifiedBy = "costsheet"
    props.title = "costsheet training budget"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    _remember_language(wb, lang)
    return wb


def _prefix_sheets(wb: Any, prefix: str) -> None:
    """Every sheet renamed ``prefix`` + its name, with the README's list of sheets and the
    dropdowns that read another sheet (the Runs sheet's pools)."""
    from openpyxl.utils import quote_sheetname

    names = [ws.title for ws in wb.worksheets]
    ref = re.compile(r"(?<![\w'])(" + "|".join(re.escape(n) for n in names) + r")!")
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            if dv.formula1:
                dv.formula1 = ref.sub(lambda m: quote_sheetname(prefix + m.group(1)) + "!",
                                      dv.formula1)
    readme = wb[README_SHEET]
    for (cell,) in readme.iter_rows(min_row=readme.max_row - len(LAYOUT) + 1, max_col=1):
        if cell.value in names:
            cell.value = prefix + cell.value
    for ws in wb.worksheets:
        ws.title = prefix + ws.title


def _remember_language(wb: Any, lang: str) -> None:
    """Record ``lang`` in the custom document property ``costsheet.language``: `check` and
    `run` on this workbook then speak it without ``--lang`` (File > Properties > Custom in
    Excel shows and edits it)."""
    from openpyxl.packaging.custom import StringProperty

    wb.custom_doc_props.append(StringProperty(name=LANGUAGE_PROPERTY, value=lang))


_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def workbook_bytes(budget: Budget | None = None, *, lang: str = "en",
                   fill: Any = None, prefix: str = "") -> bytes:
    """The template as .xlsx bytes, byte-for-byte the same for the same inputs.

    ``fill(wb)``, if given, adds to the openpyxl workbook before it is saved (e.g. actuals);
    ``prefix`` starts every sheet's name.
    """
    wb = workbook_for(budget, lang=lang, prefix=prefix)
    if fill is not None:
        fill(wb)
    raw = io.BytesIO()
    wb.save(raw)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            elif info.filename == "xl/styles.xml":  # fonts in the order Excel's schema wants
                data = fonts_in_schema_order(data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def new_template(path: Path | str, *, lang: str = "en", example: bool | Budget = False,
                 force: bool = False) -> Path:
    """Write a new budget workbook at ``path`` (the worked example with ``example=True``).

    Refuses to overwrite an existing file unless ``force``.
    """
    from .safety import atomic_write
    from .targets import EXTENSION_CONTENT_TYPES, check_extension
    from .write_guard import WriteGuard

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        check_extension(path, EXTENSION_CONTENT_TYPES[".xlsx"])
        raise InputError(_("{name}: a budget workbook must end in .xlsx").format(name=path.name),
                         hint=_("try `costsheet new {name}`").format(
                             name=path.with_suffix(".xlsx").name))
    if path.exists() and not force:
        raise InputError(_("{path}: already exists; not overwritten").format(path=path),
                         hint=_("choose another name, or add --force to replace it"))
    if not path.parent.exists():
        raise InputError(_("{path}: folder does not exist").format(path=path.parent))
    budget: Budget | None
    if example is True:
        from .examples import worked_example

        budget = worked_example(lang)
    else:
        budget = example or None
    data = workbook_bytes(budget, lang=lang)

    def write(tmp: Path) -> None:
        Path(tmp).write_bytes(data)

    with WriteGuard.hold(path, purpose="new") as guard:
        guard.check()
        atomic_write(guard.target, write, before_replace=guard.before_replace)
    return path


# --------------------------------------------------------------------------------------------
# the reference documentation (docs/template.md), generated from the layout


def _fmt_default(col: ColumnSpec) -> str:
    if col.required:
        return _("required")
    if col.default is None:
        return ""
    if col.kind == "fraction":
        return f"{col.default:.0%}" if float(col.default) * 100 % 1 == 0 else f"{col.default:.1%}"
    if isinstance(col.default, float) and col.default.is_integer():
        return f"{int(col.default)}"
    return str(col.default)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def reference_markdown(lang: str = "en") -> str:
    """The template reference: every sheet, column, key, unit and default, as Markdown
    (docs/template.md; ``lang="zh"``: docs/zh/template.md, from the same layout and catalog)."""
    from ..i18n import use_language

    with use_language(lang):
        out = _reference_head()
        for spec in LAYOUT:
            out += _reference_sheet(spec)
        out += [
            _("## Scenarios"),
            "",
            _("A scenario is Base plus overrides: the Drivers sheet's scenario columns override "
              "drivers; the Overrides sheet overrides any numeric input of a line by its key "
              "`section.name.field`, where section is `pools`, `runs`, `data`, `staff` (by role) "
              "or `other`, e.g. `pools.h800.price_per_gpu_hour`."),
            "",
            *_bounds_markdown(),
        ]
    return "\n".join(out)


def _bounds_markdown() -> list[str]:
    """The section on input bounds, from the bounds the model enforces."""
    from ..model.bounds import (
        MAX_DRAWS,
        MAX_INPUT_LINES,
        MAX_INTERRUPTION_OVERHEAD,
        MAX_LINE_SCENARIOS,
        MAX_PLAN_MONTHS,
        MAX_TRIALS,
        MIN_MFU,
    )
    from .ooxml.names import DEFAULT_MAX_UNCOMPRESSED
    from .ooxml.xmltext import MAX_XML_DEPTH

    months, years = f"{MAX_PLAN_MONTHS:,}", MAX_PLAN_MONTHS // 12
    rows = [
        (_("any number in a cell"), _("at most 1e40"), _("larger is not a real quantity")),
        (_("a line's months: a staff or data line's months, a reserved term, a depreciation "
           "life, a run's wall-clock time"),
         _("at most {months} months ({years} years)").format(months=months, years=years),
         _("the monthly plan spreads each line over its months")),
        (_("the plan: first start month to last end month of any line, pool or the drivers"),
         _("at most {months} months").format(months=months),
         _("the Monthly sheet has a row per month")),
        (_("MFU: a run's, the drivers', a decode MFU"),
         _("at least {floor}").format(floor=f"{MIN_MFU:.1%}"),
         _("a run's GPU-hours divide by it; the Monte Carlo's floor too")),
        (_("interruptions: GPU-hours lost ÷ useful GPU-hours"),
         _("at most {most} (a goodput of 1% or more)").format(
             most=f"{MAX_INTERRUPTION_OVERHEAD:,.0f}"),
         _("the interruption rate is per 1,000 GPU-days")),
        (_("a pool's GPU count, when a run uses the pool"),
         _("not 0 (blank: rented on demand)"),
         _("0 GPUs has no wall-clock time and no interruptions")),
        (_("a value in a scenario column"), _("under a scenario name"),
         _("values under a blank header belong to no scenario")),
        (_("every computed figure"), _("a finite number"),
         _("an overflow is an error naming the cells it comes from")),
        (_("input lines (pools, runs, data, staff, other)"),
         _("at most {lines}, and at most {total} lines × scenarios").format(
             lines=f"{MAX_INPUT_LINES:,}", total=f"{MAX_LINE_SCENARIOS:,}"),
         _("each is computed in every scenario: 10,000 lines in 12 scenarios take about 20 s "
           "and 650 MB")),
        (_("Monte Carlo trials (`run --trials`)"),
         _("at most {most}").format(most=f"{MAX_TRIALS:,}"),
         _("1,000,000 trials of the worked example take about 4 s and 250 MB")),
        (_("Monte Carlo draws: trials × uncertain inputs"),
         _("at most {most}").format(most=f"{MAX_DRAWS:,}"),
         _("{mb} MB of numbers").format(mb=f"{MAX_DRAWS * 8 // 1_000_000:,}")),
        (_("the workbook file"),
         _("at most {gib} GiB inflated, counted as it is inflated; no part larger than its "
           "header says; XML nested at most {depth} deep").format(
             gib=DEFAULT_MAX_UNCOMPRESSED // (1 << 30), depth=MAX_XML_DEPTH),
         _("zip bombs, and parts that would exhaust memory or the stack")),
    ]
    return [
        _("## Input bounds"),
        "",
        _("What would need absurd time or memory, or make a number overflow, is refused before "
          "any work, at its cell (`check` refuses what `run` would). The bounds:"),
        "",
        _("| what | bound | why |"),
        "|---|---|---|",
        *[f"| {_md(a)} | {_md(b)} | {_md(c)} |" for a, b, c in rows],
        "",
        _("Within them, `costsheet run` on any workbook of the test corpus finishes within a "
          "minute and 1 GB of memory (tests/test_hostile_workbooks.py measures each process)."),
        "",
    ]


def _reference_head() -> list[str]:
    return [
        _("# The budget template"),
        "",
        "<!-- generated by costsheet.workbook.template.reference_markdown(); do not edit: "
        "run `python samples/make_samples.py` -->",
        "",
        _("`costsheet new budget.xlsx` writes it (`--lang zh` for Chinese labels and help, "
          "`--example` for a worked example that runs as it is); `templates/budget.xlsx` is the "
          "same file."),
        "",
        _("Every input has a **stable key** that costsheet reads; labels are only for people and "
          "may be translated or reworded. Sheet names are keys too: do not rename the sheets."),
        "",
        _("A workbook that has sheets of these names already, or of the sheets `costsheet run` "
          "writes (Summary, Checks, …), takes costsheet's sheets under a prefix: "
          "`costsheet new --into team.xlsx --prefix \"LLM \"` adds `LLM README`, "
          "`LLM Drivers`, `LLM Pools`, … and `run` then writes `LLM Summary`, `LLM Line "
          "items`, …. The workbook remembers the prefix (custom document property "
          "`costsheet.sheet_prefix`); `check` and `run` find the sheets by it, and messages name "
          "them with it (`LLM Pools!B6`). A prefix has at most 20 characters, none of "
          "`[ ] : * ? / \\`, and starts with neither a space nor an apostrophe. Two sheets "
          "whose names differ only by case or surrounding spaces (`Pools` and a hidden "
          "`Pools `) are an error naming both: costsheet never picks one."),
        "",
        _("Table sheets have the layout:"),
        "",
        _("| row | holds |"),
        "|---|---|",
        _("| 1 | title |"),
        _("| 2 | one-line introduction |"),
        _("| {row} | keys (small grey text; costsheet finds columns by these) |").format(
            row=KEY_ROW),
        _("| {row} | labels |").format(row=HEADER_ROW),
        _("| {row} | units |").format(row=UNIT_ROW),
        _("| {row}… | one input line per row (light yellow, blue text) |").format(row=FIRST_ROW),
        "",
        _("Empty rows are skipped, and so is a row that only names or comments a line (only its "
          "name, GPU type, currency or scenario, or only a note: a heading). Columns without a "
          "key are ignored (add your own notes). Numbers may be typed as `7B`, `14.8T`, "
          "`2.788M`, `1,082,990`; fractions as `40%` or `0.4` (a bare `40` is refused). Months "
          "are `YYYY-MM`."),
        "",
        _("Every input sheet reads cells the same way. A formula is read as the result Excel "
          "saved with it; a formula saved without a result (a file written by a script) is "
          "evaluated by costsheet, with a warning, or reported at its cell when it cannot be "
          "(volatile functions, links to other workbooks, ...). A cell showing an Excel error "
          "(`#REF!`, `#DIV/0!`, ...) is an error at its cell. Merged cells over inputs (only the "
          "top-left cell is read) and hidden rows or columns holding inputs are warnings."),
        "",
        _("### Numbers and money as typed"),
        "",
        _("Chinese magnitudes are read after the digits: `90万` is 900,000, `1.5亿` is "
          "150,000,000, `7千亿` is 700,000,000,000 (also 十, 百, 千, 十万, 百万, 千万, 十亿, "
          "百亿, 万亿); full-width digits and signs (`１２，０００`, `５０％`) are read as digits; "
          "`40 %` is 40%. Refused at the cell, with the reason: a decimal comma (`1.024,5`: "
          "costsheet reads `.` as the decimal mark; write `1024.5`), digit groups split by "
          "spaces (`300 000`, also no-break and thin spaces), an unknown magnitude (`7亿万`), "
          "and an amount of money typed as a percentage (`12%`)."),
        "",
        _("An amount of money (a price, salary, unit cost, electricity price, an actual) may "
          "carry its currency: `€2.50`, `2.50 EUR`, `¥900,000`, `RMB 90万`, `90万元`, "
          "`US$ 2.50`, `JPY 50`, `£1.2M`. The mark is never dropped:"),
        "",
        "- " + _("On a line whose *Currency* cell is filled, the mark must mean that currency "
                 "(`$` on a CAD line is CAD); otherwise the cell is an error (`$250,000` on an "
                 "EUR line is refused, not read as EUR 250,000). The drivers' amounts are in the "
                 "reporting currency, the GPU catalog's in USD."),
        "- " + _("On a line whose *Currency* cell is blank, the mark gives the line its "
                 "currency, converted at the FX sheet's rate like a filled cell (and shown in "
                 "the Basis): `€180` on a data line of a USD budget is EUR 180 × the EUR rate. A "
                 "mark that names one currency (`€`, `£`, `CN¥`, `RMB`, `元`, `US$`, `C$`, `円`, "
                 "any ISO code) means it. `$` (any dollar) and `¥` (yuan or yen) mean the "
                 "reporting currency when they can, else the only one of their currencies the FX "
                 "sheet lists; else `$` means USD (the international convention) and `¥` is "
                 "refused: fill the line's *Currency* cell (CNY or JPY) so costsheet does not "
                 "guess. A currency with no FX rate is an error at the cell."),
        "- " + _("Two amounts of one line typed in different currencies (`$2` and `€20,000`) "
                 "are refused: a line has one currency."),
        "",
        _("The **Drivers** sheet has one driver per row: `key | label | unit | help | Base | Low "
          "| High | …`. The first scenario column must be `Base`; add any number of scenario "
          "columns to the right. A blank scenario cell inherits Base; a blank Base cell takes "
          "the default."),
        "",
        _("Error messages name cells as `Sheet!Cell`, e.g. `Pools!B6: gpu_type: unknown GPU "
          "'H1000' (known: …)`."),
        "",
    ]


def _reference_sheet(spec: SheetSpec) -> list[str]:
    from openpyxl.utils import get_column_letter

    out = [f"## {spec.name}", "", _("{title}. {intro}").format(title=_(spec.title_en),
                                                               intro=_(spec.intro_en)), ""]
    if spec.section == "drivers":
        out += [_("| key | label | unit | default | help |"), "|---|---|---|---|---|"]
        for col in spec.columns:
            out.append(f"| `{col.key}` | {_md(_(col.label_en))} | {_md(_(col.unit_en))} | "
                       f"{_md(_fmt_default(col))} | {_md(_(col.help_en))} |")
        return out + [""]
    req = _("required sheet") if spec.required else _("optional sheet")
    out += [_("Key row {key_row}, first input row {first_row}; {required}.").format(
        key_row=KEY_ROW, first_row=FIRST_ROW, required=req), ""]
    out += [_("| column | key | label | unit | default | choices | help |"),
            "|---|---|---|---|---|---|---|"]
    for j, col in enumerate(spec.columns, start=1):
        choices = ", ".join(col.choices) if col.choices_strict else (
            _("from the catalog or the GPU catalog sheet") if col.key == "gpu_type"
            else _("a pool name") if col.key == "pool" else "")
        old = "".join(" " + _("Workbooks written before call it `{key}`; still read.").format(
            key=k) for k in col.old_keys)
        out.append(
            f"| {get_column_letter(j)} | `{col.key}` | {_md(_(col.label_en))} | "
            f"{_md(_(col.unit_en))} | {_md(_fmt_default(col))} | {_md(choices)} | "
            f"{_md(_(col.help_en))}{old} |")
    if spec.fixed:
        fixed = ", ".join(f"`{k}` = {v}" for k, v in spec.fixed.items())
        out += ["", _("Every line on this sheet has {fixed}.").format(fixed=fixed)]
    return out + [""]
