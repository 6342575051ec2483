"""Read a budget workbook into a :class:`~costsheet.inputs.Budget`, reporting every bad cell.

:func:`read_budget` never changes the file. It opens and sniffs the package once
(:class:`costsheet.workbook.ooxml.Package`; ``costsheet run`` hands in the package it opened
already), reads every input sheet once with the table
reader (:mod:`costsheet.workbook.tables`: cached values, formulas, error values, merged cells
and blank rows handled alike on every sheet), validates each line with its pydantic model, and
collects every problem at once as a :class:`~costsheet.errors.CellError` with its ``Sheet!Cell``
and code. Then it computes every scenario once, so that ``check`` catches what would stop
``run``: a model error is placed at the cell of the input its ``key`` names, and ``run`` reuses
the results (``ReadResult.results``) instead of computing them again.

Columns and drivers are found by their stable keys (see :mod:`costsheet.workbook.template`),
never by their labels.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..catalog import Catalog, default_catalog
from ..currencies import no_rate_message
from ..errors import CostsheetError, Report, closest
from ..i18n import N_, _, ngettext
from ..inputs import (
    DRIVER_KEYS,
    ISO_CURRENCIES,
    PRICED_SECTIONS,
    Budget,
    Drivers,
    GpuCatalogRow,
    OverrideRow,
    money_fields,
    validation_problems,
    with_marked_currency,
)
from ..units import UnitError
from .fx_sheet import FxSheet, read_fx
from .ooxml import Package
from .tables import (
    FORMULA_NO_VALUE,
    Book,
    Row,
    TableSpec,
    read_table,
    validate_row,
)
from .template import DRIVERS_FIRST_ROW, KEY_ROW, LAYOUT, SHEETS, ColumnSpec

if TYPE_CHECKING:
    from ..model.items import BudgetResult

__all__ = ["FORMULA_NO_VALUE", "ISO_CURRENCIES", "ReadResult", "read_budget"]

TABLE_SECTIONS = ("pools", "runs", "data", "staff", "other")
_BAD = object()  # a value that did not parse (already reported)


@dataclass
class ReadResult:
    """What :func:`read_budget` found.

    ``budget`` is None when there is any error. ``cells`` maps input keys to their cells:
    ``"pools.h800.price_per_gpu_hour" → "Pools!E6"``, ``"drivers.mfu" → "Drivers!E5"`` (Base),
    ``"drivers.mfu@High" → "Drivers!G5"``, ``"pools.h800.price_per_gpu_hour@High" →
    "Overrides!C6"`` and ``"pools.h800" → "Pools!A6"`` (the line's name cell). ``results``:
    every scenario computed (by name, Base first), when the budget is good; ``book``: the
    sheets as read, for the other sheets' readers; ``fx``: the FX sheet's rates.
    """

    budget: Budget | None
    report: Report
    scenarios: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    #: ranges typed in drivers' Base cells: ``{"mfu": ("0.35 to 0.45", "Drivers!E5")}``
    intervals: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: set when the file could not be read at all (not a workbook, encrypted, damaged, ...)
    fatal: CostsheetError | None = None
    results: dict[str, BudgetResult] = field(default_factory=dict)
    book: Book | None = None
    fx: FxSheet | None = None
    #: the reporting currency the Drivers sheet gives (USD when it gives none)
    reporting: str = "USD"
    #: the lines that are valid, as a budget never validated as a whole (when ``budget`` is
    #: None, the other sheets are read against it), and the names of the invalid lines by
    #: section (a missing sheet: ``{"*"}``), whose references are not reported again
    partial: Budget | None = None
    invalid: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.ok and self.budget is not None

    def cell_of(self, key: str) -> str:
        """The ``Sheet!Cell`` of input ``key`` (``staff.a.start_month``), else of its line,
        else ``""``."""
        return _locate(self.cells, key)

    def summary(self) -> str:
        """One line: ``2 pools, 3 runs, 4 data lines, …; scenarios Base, Low, High``."""
        b = self.budget
        if b is None:
            return ""

        parts = [ngettext("{n} pool", "{n} pools", len(b.pools)).format(n=len(b.pools)),
                 ngettext("{n} run", "{n} runs", len(b.runs)).format(n=len(b.runs)),
                 ngettext("{n} data line", "{n} data lines", len(b.data)).format(n=len(b.data)),
                 ngettext("{n} staff line", "{n} staff lines",
                          len(b.staff)).format(n=len(b.staff)),
                 ngettext("{n} other line", "{n} other lines",
                          len(b.other)).format(n=len(b.other))]
        if b.gpu_catalog:
            n = len(b.gpu_catalog)
            parts.append(ngettext("{n} GPU catalog row", "{n} GPU catalog rows", n).format(n=n))
        if b.fx_rates:
            n = len(b.fx_rates)
            parts.append(ngettext("{n} FX budget rate", "{n} FX budget rates", n).format(n=n))
        monthly = sum(len(by_month) for by_month in self.fx.monthly.values()) if self.fx else 0
        if monthly:
            parts.append(ngettext("{n} monthly FX rate", "{n} monthly FX rates",
                                  monthly).format(n=monthly))
        return _("{parts}; scenarios {scenarios}").format(
            parts=_(", ").join(parts), scenarios=", ".join(self.scenarios))


def _drivers_table() -> TableSpec:
    """The Drivers sheet as a table: key | label | unit | help | one column per scenario."""
    spec = SHEETS["drivers"]
    fixed = tuple(
        ColumnSpec(key, label, "", "", "text", required=key == "key", heading=key != "key")
        for key, label in (("key", "Key"), ("label", "Driver"), ("unit", "Unit"),
                           ("help", "Help")))
    return TableSpec(spec.name, spec.title_en, fixed, first_offset=DRIVERS_FIRST_ROW - KEY_ROW,
                     scenario_columns=True, row_kinds={c.key: c.kind for c in spec.columns},
                     descriptive=frozenset({"label", "unit", "help"}))


@dataclass
class _Line:
    """A line read from a table sheet: its model (None when invalid), name and row."""

    obj: Any
    name: str | None
    row: Row


class _Reader:
    def __init__(self, book: Book):
        self.book = book
        self.path = book.path
        self.report = book.report
        self.cells: dict[str, str] = {}
        self.intervals: dict[str, tuple[str, str]] = {}
        self.results: dict[str, BudgetResult] = {}
        self.fx = FxSheet()
        self.reporting = "USD"  # the Drivers sheet's reporting currency, once read
        self.partial: Budget | None = None
        self.invalid: dict[str, set[str]] = {}

    # -- problems ---------------------------------------------------------------------------

    def error(self, sheet: str, cell: str, field_name: str, value: Any, message: str,
              code: str) -> None:
        self.report.add(sheet, cell, field_name, value, message, code=code)

    def warn(self, sheet: str, cell: str, field_name: str, value: Any, message: str,
             code: str) -> None:
        self.report.add(sheet, cell, field_name, value, message, severity="warning", code=code)

    # -- the Drivers sheet ------------------------------------------------------------------

    def read_drivers(self) -> tuple[Drivers, list[str], dict[str, dict[str, Any]]]:
        table = read_table(self.book, _drivers_table())
        if table is None:
            return Drivers(), ["Base"], {}
        header = table.key_row + 1
        if not table.scenarios:
            cell = f"{_letter(max(table.columns.values()) + 1)}{header}"
            self.error(table.sheet, cell, "scenario", None,
                       _("missing column 'Base': the first scenario column holds the base "
                         "values"), "missing_base")
            return Drivers(), ["Base"], {}
        first_name, first_col = table.scenarios[0]
        if first_name.lower() != "base":
            self.error(table.sheet, f"{_letter(first_col)}{header}", "scenario", first_name,
                       _("the first scenario column must be named Base"), "first_not_base")
        names = ["Base", *[n for n, _col in table.scenarios[1:]]]
        columns = list(zip(names, [n for n, _col in table.scenarios], strict=True))
        base_raw: dict[str, Any] = {}
        base_cells: dict[str, str] = {}
        bad: set[str] = set()
        overrides: dict[str, dict[str, Any]] = {n: {} for n in names[1:]}
        key_rows: dict[str, int] = {}
        self.reporting = _reporting_currency(table.rows, first_name)
        for row in table.rows:
            key = self.driver_key(row, columns, key_rows)
            if key is None:
                continue
            for i, (scen, col) in enumerate(columns):
                v = self.driver_cell(row, key, scen, col, base=i == 0)
                if i == 0 and v is _BAD:
                    bad.add(key)
                elif i == 0 and v is not None:
                    base_raw[key], base_cells[key] = v, row.cells[col]
                elif v is not None and v is not _BAD:
                    overrides[scen][key] = v
        first = Row(table.sheet, 0, base_raw, base_cells, bad,
                    first=f"A{table.key_row + 2}")
        drivers = validate_row(self.book, Drivers, first)
        if not isinstance(drivers, Drivers):  # reported; go on to find the other problems
            drivers = _valid_alone(Drivers, base_raw)
        return drivers, names, overrides

    def driver_key(self, row: Row, columns: list[tuple[str, str]],
                   key_rows: dict[str, int]) -> str | None:
        """The driver a row sets, or None (the row is reported when it holds values)."""
        key = row.get("key")
        has_values = any(col in row.filled for _name, col in columns)
        if key is None:
            if has_values and "label" in row.filled:
                self.warn(row.sheet, row.cells["key"], "key", None,
                          _("a driver row without a key is ignored"), "driver_without_key")
            return None
        if key not in DRIVER_KEYS:
            if has_values:
                self.error(row.sheet, row.cells["key"], "key", key,
                           _("unknown driver key (known: {keys})").format(
                               keys=", ".join(DRIVER_KEYS)), "unknown_driver")
            return None
        if key in key_rows:
            self.error(row.sheet, row.cells["key"], key, key,
                       _("duplicate driver row (also in row {row})").format(row=key_rows[key]),
                       "duplicate_driver")
            return None
        key_rows[key] = row.number
        return str(key)

    def driver_cell(self, row: Row, key: str, scen: str, col: str, *, base: bool) -> Any:
        """One driver in one scenario: its value (Base: raw; others: parsed), None or _BAD."""
        ref = row.ref(col)
        self.cells[f"drivers.{key}@{scen}"] = ref
        if base:
            self.cells[f"drivers.{key}"] = ref
        if col in row.bad:
            return _BAD
        v = row.get(col)
        if v is None:
            return None
        if base:
            return self.interval(key, v, SHEETS["drivers"].column(key), row.sheet, row.cells[col])
        return self.parse_field(Drivers, {"currency": self.reporting, key: v}, key, row.sheet,
                                row.cells[col], v)

    def interval(self, key: str, v: Any, col: ColumnSpec | None, sheet: str, cell: str) -> Any:
        """A range in a driver's Base cell (``0.35 to 0.45``, a 90% interval for the Monte
        Carlo run, see :mod:`costsheet.workbook.uncertainty`): its midpoint; else ``v``."""
        if col is None or col.kind not in ("number", "fraction", "count"):
            return v
        from .uncertainty import driver_interval

        try:
            found = driver_interval(v, self.reporting if key in money_fields(Drivers) else None)
        except UnitError as exc:
            self.error(sheet, cell, key, v, str(exc), exc.code)
            return _BAD
        if found is None:
            return v
        self.intervals[key] = (str(v).strip(), f"{sheet}!{cell}")
        return found[1]

    def parse_field(self, model: type[BaseModel], data: dict[str, Any], key: str, sheet: str,
                    cell: str, shown: Any) -> Any:
        """Validate one field in the context ``data``; its parsed value or ``_BAD``."""
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            for p in validation_problems(exc):
                name = str(p.loc[0]) if p.loc else key
                if name == key or not p.loc:
                    self.error(sheet, cell, key, shown, _strip_field(p.message, key), p.code)
                    return _BAD
            self.error(sheet, cell, key, shown, _("not valid here"), "invalid_value")
            return _BAD
        return getattr(obj, key)

    # -- the table sheets -------------------------------------------------------------------

    def read_lines(self, section: str) -> list[_Line]:
        spec = SHEETS[section]
        assert spec.model is not None
        table = read_table(self.book, TableSpec.of(spec))
        lines = []
        for row in table.rows if table else []:
            obj = validate_row(self.book, spec.model, row, spec.fixed)
            name = row.get(spec.name_key)
            lines.append(_Line(obj, None if name is None else str(name).strip(), row))
        return lines

    def register_cells(self, section: str, name: str, row: Row) -> None:
        for k in row.cells:
            self.cells[f"{section}.{name}.{k}"] = row.ref(k)
        self.cells[f"{section}.{name}"] = f"{row.sheet}!{row.first}"

    def unique_lines(self, section: str, lines: list[_Line]) -> tuple[list[_Line], set[str]]:
        """The valid lines of ``section`` (first of each name), and names of invalid ones."""
        spec = SHEETS[section]
        sheet = self.book.sheet_name(spec.name)
        seen: dict[str, str] = {}
        good: list[_Line] = []
        invalid: set[str] = set()
        for line in lines:
            if line.name is None:
                continue
            low = line.name.lower()
            cell = line.row.cells[spec.name_key]
            if low in seen:
                msg = _(_DUPLICATE[section]).format(where=f"{sheet}!{seen[low]}")
                if section in ("pools", "runs"):
                    self.error(sheet, cell, spec.name_key, line.name, msg, "duplicate_name")
                else:
                    self.warn(sheet, cell, spec.name_key, line.name,
                              msg + _("; a scenario override names the first one"),
                              "duplicate_name")
                continue
            seen[low] = cell
            self.register_cells(section, line.name, line.row)
            if line.obj is None:
                invalid.add(low)
            else:
                good.append(line)
        return good, invalid

    def read_catalog(self) -> tuple[list[GpuCatalogRow], Catalog]:
        spec = SHEETS["gpu_catalog"]
        sheet = self.book.sheet_name(spec.name)
        base = default_catalog()
        rows: list[GpuCatalogRow] = []
        seen: dict[str, str] = {}
        table = read_table(self.book, TableSpec.of(spec))
        for row in table.rows if table else []:
            key = row.get("key")
            if key is None:
                if "key" not in row.bad:
                    self.error(sheet, row.cells["key"], "key", None, _("is required"),
                               "required")
                continue
            norm = str(key).upper()
            if norm in seen:
                self.error(sheet, row.cells["key"], "key", key,
                           _("duplicate GPU type (also in {where})").format(
                               where=f"{sheet}!{seen[norm]}"), "duplicate_gpu")
                continue
            seen[norm] = row.cells["key"]
            self.register_cells("gpu_catalog", str(key), row)
            obj = validate_row(self.book, GpuCatalogRow, row)
            complete = str(key) in base or row.bad or self.new_gpu_complete(row)
            if isinstance(obj, GpuCatalogRow) and complete:
                rows.append(obj)
        try:
            catalog = base.with_overrides(rows) if rows else base
        except (TypeError, ValueError, CostsheetError) as exc:
            self.error(sheet, "", "gpu_catalog", None,
                       _("cannot apply the overrides ({problem})").format(problem=exc),
                       "invalid_catalog")
            catalog = base
        return rows, catalog

    def new_gpu_complete(self, row: Row) -> bool:
        """A new GPU type needs its peak throughput and TDP; each one missing is reported."""
        spec = SHEETS["gpu_catalog"]
        ok = True
        for need in ("bf16_dense_tflops", "tdp_w"):
            if need not in row.values and need in row.cells:
                self.error(row.sheet, row.cells[need], need, None,
                           _("is required for a new GPU type ({label})").format(
                               label=_(spec.column(need).label_en)), "required_for_new_gpu")
                ok = False
        return ok

    # -- the Overrides sheet ----------------------------------------------------------------

    def read_overrides(self, budget: Any, scenarios: list[str],
                       overrides: dict[str, dict[str, Any]],
                       invalid: dict[str, set[str]]) -> None:
        table = read_table(self.book, TableSpec.of(SHEETS["overrides"]))
        where: dict[tuple[str, str], str] = {}
        for row in table.rows if table else []:
            if row.bad:
                continue
            ov = validate_row(self.book, OverrideRow, row)
            if not isinstance(ov, OverrideRow):
                continue
            scen = self.override_scenario(row, ov, scenarios)
            found = None if scen is None else self.override_target(budget, row, ov, invalid)
            if scen is None or found is None:
                continue
            full, parsed = found
            self.add_override(row, scen, full, parsed, where, overrides)

    def override_scenario(self, row: Row, ov: OverrideRow, scenarios: list[str]) -> str | None:
        by_lower = {s.lower(): s for s in scenarios}
        scen = by_lower.get(ov.scenario.lower())
        if scen is None:
            self.error(row.sheet, row.cells["scenario"], "scenario", row.get("scenario"),
                       _("unknown scenario (known: {scenarios}); add a scenario column on the "
                         "Drivers sheet first").format(scenarios=", ".join(scenarios)),
                       "unknown_scenario")
        elif scen == "Base":
            self.error(row.sheet, row.cells["scenario"], "scenario", row.get("scenario"),
                       _("Base is the inputs themselves: change the input cell instead"),
                       "override_of_base")
            return None
        return scen

    def override_target(self, budget: Any, row: Row, ov: OverrideRow,
                        invalid: dict[str, set[str]]) -> tuple[str, Any] | None:
        """(the input's full key, the value parsed as that input), or None when reported."""
        from ..model.scenarios import SECTIONS, get_value, split_key

        key = ov.key
        try:
            section, line_name, fname = split_key(key)
            get_value(budget, key)
        except CostsheetError as exc:
            parts = key.split(".")
            if len(parts) >= 3 and ".".join(parts[1:-1]).lower() in invalid.get(
                    parts[0], set()):
                return None  # the line itself has errors, already reported
            if parts[0] in SHEETS and parts[0] in TABLE_SECTIONS and \
                    self.book.grid(SHEETS[parts[0]].name) is None:
                return None  # its sheet is missing, already reported
            self.error(row.sheet, row.cells["key"], "key", key, exc.message, exc.code)
            return None
        if section == "drivers":
            parsed = self.parse_field(Drivers, {"currency": budget.drivers.currency,
                                                fname: ov.value}, fname, row.sheet,
                                      row.cells["value"], ov.value)
            return None if parsed is _BAD else (fname, parsed)
        if fname == SECTIONS[section]:
            self.error(row.sheet, row.cells["key"], "key", key,
                       _("the {field} names the line and cannot change in a "
                         "scenario").format(field=fname), "name_in_scenario")
            return None
        line = _find_line(budget, section, line_name)
        data = line.model_dump()
        if "currency" in data and fname != "currency":  # a mark must mean the line's currency
            data["currency"] = data["currency"] or budget.drivers.currency
        data[fname] = ov.value
        parsed = self.parse_field(type(line), data, fname, row.sheet, row.cells["value"],
                                  ov.value)
        return None if parsed is _BAD else (key, parsed)

    def add_override(self, row: Row, scen: str, full: str, parsed: Any,
                     where: dict[tuple[str, str], str],
                     overrides: dict[str, dict[str, Any]]) -> None:
        driver = "." not in full
        if (scen, full) in where or (driver and full in overrides.get(scen, {})):
            other = where.get((scen, full)) or self.cells.get(
                f"drivers.{full}@{scen}", _("the Drivers sheet"))
            self.error(row.sheet, row.cells["key"], "key", row.get("key"),
                       _("set twice for scenario {scenario} (also in {where})").format(
                           scenario=scen, where=other), "set_twice")
            return
        where[(scen, full)] = row.ref("key")
        overrides.setdefault(scen, {})[full] = parsed
        self.cells[f"{'drivers.' + full if driver else full}@{scen}"] = row.ref("value")

    # -- everything -------------------------------------------------------------------------

    def read(self) -> tuple[Budget | None, list[str]]:
        drivers, scenarios, overrides = self.read_drivers()
        catalog_rows, catalog = self.read_catalog()
        lines = {s: self.read_lines(s) for s in TABLE_SECTIONS}
        reporting = self.reporting = drivers.currency or "USD"
        self.fx = read_fx(self.book, reporting)
        self.cells.update(self.fx.cells)
        good: dict[str, list[_Line]] = {}
        invalid: dict[str, set[str]] = {}
        for section, found in lines.items():
            good[section], invalid[section] = self.unique_lines(section, found)
        self.check_references(good, catalog, reporting, lines)
        parts: dict[str, Any] = {s: [line.obj for line in good[s]] for s in TABLE_SECTIONS}
        partial = Budget.model_construct(
            None, name=self.path.stem, drivers=drivers, gpu_catalog=catalog_rows, scenarios={},
            fx_rates=self.fx.rates, **parts)
        self.partial, self.invalid = partial, invalid
        for section in TABLE_SECTIONS:
            if self.book.grid(SHEETS[section].name) is None:
                invalid[section] = {"*"}
        self.read_overrides(partial, scenarios, overrides, invalid)
        if not self.report.ok:
            return None, scenarios
        try:
            budget = Budget(
                name=self.path.stem, drivers=drivers, gpu_catalog=catalog_rows,
                scenarios={s: overrides.get(s, {}) for s in scenarios[1:]},
                fx_rates=self.fx.rates, **parts)
        except ValidationError as exc:  # a check across sheets that no line could make
            for p in validation_problems(exc):
                key = ".".join(str(part) for part in p.loc)
                sheet, _sep, cell = _locate(self.cells, key).partition("!")
                self.error(sheet, cell, key or "budget", None, p.message, p.code)
            return None, scenarios
        if not self.size_bounded(good, scenarios):
            return None, scenarios
        self.trial_compute(budget)
        return (budget if self.report.ok else None), scenarios

    def size_bounded(self, good: dict[str, list[_Line]], scenarios: list[str]) -> bool:
        """Lines times scenarios within what one run computes (:func:`check_size`), reported
        at the sheet with the most lines before any is computed."""
        from ..model.bounds import check_size

        lines = sum(len(good[s]) for s in TABLE_SECTIONS)
        try:
            check_size(lines, len(scenarios))
        except CostsheetError as exc:
            biggest = max(TABLE_SECTIONS, key=lambda s: len(good[s]))
            sheet = good[biggest][-1].row.sheet if good[biggest] else ""
            self.error(sheet, "", "lines", lines, f"{exc.message}; {exc.hint}", exc.code)
            return False
        return True

    def check_references(self, good: dict[str, list[_Line]], catalog: Catalog, reporting: str,
                         lines: dict[str, list[_Line]]) -> None:
        """Look-ups, on every line (a line with other problems too, so that parse and look-up
        errors are reported together): GPU types, the runs' pools, currencies and their rates,
        and the currencies that marks typed with amounts give their lines."""
        for line in lines["pools"]:
            gpu = _typed_text(line.row, "gpu_type")
            if gpu is not None and gpu not in catalog:
                self.error(line.row.sheet, line.row.cells["gpu_type"], "gpu_type", gpu,
                           _("{problem}; add it on the GPU catalog sheet").format(
                               problem=catalog.unknown_message(gpu, "GPU type")),
                           "unknown_gpu")
        pool_names: list[str] = []
        for line in lines["pools"]:
            if line.name and line.name.lower() not in {p.lower() for p in pool_names}:
                pool_names.append(line.name)
        if self.book.grid(SHEETS["pools"].name) is not None:  # else: reported as missing
            for line in lines["runs"]:
                self.check_pool(line, pool_names)
        for section in PRICED_SECTIONS:
            for line in good[section]:
                self.resolve_marks(line, reporting)
            for line in lines[section]:
                cur = line.obj.currency if line.obj is not None else _typed_text(
                    line.row, "currency")
                if cur is not None and line.obj is None and cur.upper() not in ISO_CURRENCIES:
                    continue  # reported by the line's model
                if cur is not None and cur.upper() != reporting and \
                        cur.upper() not in self.fx.rates and not _from_mark(line.obj):
                    self.error(line.row.sheet, line.row.cells["currency"], "currency", cur,
                               _("no exchange rate from {currency} to {reporting}: add it on "
                                 "the FX sheet").format(currency=cur.upper(),
                                                         reporting=reporting),
                               "no_fx_rate")

    def resolve_marks(self, line: _Line, reporting: str) -> None:
        """A line whose Currency cell is blank takes the currency its marks mean (``€180`` →
        EUR 180); an ambiguous or mixed mark, or one with no FX rate, is reported at its cell."""
        row = line.row
        try:
            line.obj = with_marked_currency(line.obj, reporting, self.fx.rates)
        except UnitError as exc:
            name, _sep, message = str(exc).partition(": ")
            self.error(row.sheet, row.cells.get(name, row.first), name, row.get(name), message,
                       exc.code)
            return
        mark = line.obj.currency_mark
        if mark is None or line.obj.currency in self.fx.rates:
            return
        name = next(k for k, v in line.obj.marks.items() if v == mark)
        self.error(row.sheet, row.cells.get(name, row.first), name, row.get(name),
                   no_rate_message(mark, line.obj.currency, reporting), "no_fx_rate")

    def check_pool(self, line: _Line, pool_names: list[str]) -> None:
        row = line.row
        if "pool" in row.bad:
            return
        pool = _typed_text(row, "pool")
        if pool is not None:
            if pool.lower() not in {p.lower() for p in pool_names}:
                near = closest(pool, pool_names)
                known = ", ".join(pool_names) or _("none")
                message = (_("unknown pool: did you mean {near}? (known: {pools})").format(
                    near=near, pools=known) if near
                    else _("unknown pool (known: {pools})").format(pools=known))
                self.error(row.sheet, row.cells["pool"], "pool", pool, message, "unknown_pool")
        elif len(pool_names) > 1:
            self.error(row.sheet, row.cells.get("pool", row.first), "pool", None,
                       _("name its pool (there are {n}: {pools})").format(
                           n=len(pool_names), pools=", ".join(pool_names)), "pool_not_named")
        elif not pool_names:
            self.error(row.sheet, row.first, "pool", None,
                       _("there is no GPU pool to run on (add one on the Pools sheet)"),
                       "no_pool")

    def trial_compute(self, budget: Budget) -> None:
        """Compute every scenario once, so `check` catches what would stop `run`; the results
        are kept for `run`. A model error is placed at the cell of the input it names."""
        from ..model.bounds import check_result
        from ..model.budget import compute_budget
        from ..model.scenarios import apply_scenario

        seen: set[str] = set()
        results: dict[str, BudgetResult] = {}
        for scen in budget.scenario_names:
            try:
                scenario_budget = apply_scenario(budget, scen)
                result = compute_budget(scenario_budget, scenario=scen)
                check_result(scenario_budget, result)  # finite, and a plan of bounded length
                results[scen] = result
            except CostsheetError as exc:
                if exc.message in seen:
                    continue
                seen.add(exc.message)
                overridden = budget.scenarios.get(scen, {})
                at = _locate(self.cells, exc.key, scen, overridden)
                sheet, _sep, cell = at.partition("!")
                where = "" if scen == "Base" else _(" (scenario {scenario})").format(
                    scenario=scen)
                also = [c for c in dict.fromkeys(_locate(self.cells, k, scen, overridden)
                                                 for k in exc.related) if c and c != at]
                made = _(" (from {cells})").format(cells=", ".join(also)) if also else ""
                tip = _("; {tip}").format(tip=exc.hint) if exc.hint else ""
                self.error(sheet, cell, "model", None, exc.message + where + made + tip,
                           exc.code)
            except (ArithmeticError, ValueError) as exc:
                self.error("", "", "model", None,
                           _("scenario {scenario}: cannot compute ({problem})").format(
                               scenario=scen, problem=exc), "cannot_compute")
        if len(results) == len(budget.scenario_names):
            self.results = results

    def sort_report(self) -> None:
        order = {self.book.sheet_name(s.name): i for i, s in enumerate(LAYOUT)}

        def key(e: Any) -> tuple[int, int, int]:
            m = re.match(r"^([A-Z]+)(\d+)$", e.cell or "")
            if not m:
                return (order.get(e.sheet, 99), 0, 0)
            col = 0
            for ch in m.group(1):
                col = col * 26 + ord(ch) - 64
            return (order.get(e.sheet, 99), int(m.group(2)), col)

        self.report.errors.sort(key=key)


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(col))


def _quiet(model: type[BaseModel], data: dict[str, Any]) -> BaseModel | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


_M = typing.TypeVar("_M", bound=BaseModel)


def _valid_alone(model: type[_M], raw: dict[str, Any]) -> _M:
    """``model`` from the values of ``raw`` that are valid on their own, defaults for the rest.

    Used once the row's problems are reported (a bad cell, or a check across fields), so that
    the rest of the workbook is still read; never validated as a whole, so it cannot fail.
    """
    values = {}
    for k, v in raw.items():
        alone = _quiet(model, {k: v})
        if alone is not None:
            values[k] = getattr(alone, k)
    return model.model_construct(**values)


def _locate(cells: dict[str, str], key: str | None, scenario: str = "Base",
            overridden: Collection[str] = ()) -> str:
    """The ``Sheet!Cell`` of input ``key``, else of the nearest enclosing input
    (``pools.h800.gpu_count`` → the pool's row), else ``""``. An input the scenario sets
    (``overridden``: driver keys bare, others in full) is found at its scenario cell."""
    parts = (key or "").split(".")
    while parts and parts[0]:
        name = ".".join(parts)
        if name.removeprefix("drivers.") in overridden and f"{name}@{scenario}" in cells:
            return cells[f"{name}@{scenario}"]
        if name in cells:
            return cells[name]
        parts.pop()
    return ""


#: a second line of the same name, per section
_DUPLICATE = {
    "pools": N_("duplicate pool name (also in {where})"),
    "runs": N_("duplicate run name (also in {where})"),
    "data": N_("duplicate data line name (also in {where})"),
    "staff": N_("duplicate staff role name (also in {where})"),
    "other": N_("duplicate line name (also in {where})"),
}


def _find_line(budget: Any, section: str, name: str | None) -> Any:
    attr = "role" if section == "staff" else "name"
    for line in getattr(budget, section):
        if str(getattr(line, attr)).lower() == str(name).lower():
            return line
    raise KeyError(name)


def _reporting_currency(rows: list[Row], column: str) -> str:
    """The reporting currency the Drivers sheet's Base column gives (USD when blank or bad), to
    check the marks typed in the other scenario columns before the drivers are validated."""
    for row in rows:
        if row.get("key") == "currency" and column not in row.bad:
            value = row.get(column)
            try:
                return Drivers(currency=value).currency or "USD"
            except ValidationError:
                return "USD"
    return "USD"


def _typed_text(row: Row, key: str) -> str | None:
    """The text typed in a text cell of ``row`` (trimmed), or None when blank or bad."""
    value = row.get(key)
    if value is None or key in row.bad:
        return None
    text = str(value).strip()
    return text or None


def _from_mark(obj: Any) -> bool:
    """Whether a line's currency came from a mark typed with an amount (reported there)."""
    return obj is not None and getattr(obj, "currency_mark", None) is not None


def _strip_field(message: str, key: str) -> str:
    prefix = f"{key}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def read_budget(source: Path | str | Package) -> ReadResult:
    """Read and validate a budget workbook; never changes the file.

    ``source`` is the workbook's path, or its package already open (it is not read again).
    Every problem is in ``result.report`` (errors and warnings, each with its Sheet!Cell);
    ``result.budget`` is the Budget when there is no error, else None.
    """
    path = source.path if isinstance(source, Package) else Path(source)
    report = Report(source=str(path))
    book = Book.open(source if isinstance(source, Package) else path,
                     [s.name for s in LAYOUT], report)
    if book.failed:
        return ReadResult(None, report, [], {}, path, fatal=book.fatal)
    reader = _Reader(book)
    budget, scenarios = reader.read()
    reader.sort_report()
    return ReadResult(budget, report, scenarios, reader.cells, path, intervals=reader.intervals,
                      results=reader.results, book=book, fx=reader.fx,
                      reporting=reader.reporting, partial=reader.partial,
                      invalid=reader.invalid)
