"""Read a budget workbook into a :class:`~costsheet.inputs.Budget`, reporting every bad cell.

:func:`read_budget` never changes the file. It sniffs the package first
(:func:`costsheet.workbook.package.check_package`), reads cached values with openpyxl in
read-only mode (which also copes with workbooks whose pivot caches make a full load fail), and
collects every problem at once as a :class:`~costsheet.errors.CellError` with its ``Sheet!Cell``.

Columns and drivers are found by their stable keys (see :mod:`costsheet.workbook.template`),
never by their labels.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries
from pydantic import BaseModel, ValidationError

from ..catalog import Catalog, default_catalog
from ..errors import CostsheetError, Report
from ..inputs import DRIVER_KEYS, Budget, Drivers, validation_messages
from ..units import UnitError, parse_number
from .package import check_package
from .template import (
    DRIVER_FIXED_KEYS,
    FIRST_ROW,
    KEY_ROW,
    LAYOUT,
    SHEETS,
    ColumnSpec,
    SheetSpec,
)

__all__ = ["ISO_CURRENCIES", "ReadResult", "read_budget"]

#: ISO 4217 codes in use (plus a few widely quoted non-ISO ones are deliberately absent).
ISO_CURRENCIES: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNH CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())

FORMULA_NO_VALUE = (
    "formula with no saved value: open and save the file in Excel, or type the value"
)
TABLE_SECTIONS = ("pools", "runs", "data", "staff", "other")
_BAD = object()  # a cell that holds something, but nothing usable (already reported)
_EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                 "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!"}


@dataclass
class ReadResult:
    """What :func:`read_budget` found.

    ``budget`` is None when there is any error. ``cells`` maps input keys to their cells:
    ``"pools.h800.price_per_gpu_hour" → "Pools!E6"``, ``"drivers.mfu" → "Drivers!E5"`` (Base),
    ``"drivers.mfu@High" → "Drivers!G5"``, ``"pools.h800.price_per_gpu_hour@High" →
    "Overrides!C6"`` and ``"pools.h800" → "Pools!A6"`` (the line's name cell).
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

    @property
    def ok(self) -> bool:
        return self.report.ok and self.budget is not None

    def summary(self) -> str:
        """One line: ``2 pools, 3 runs, 4 data lines, …; scenarios Base, Low, High``."""
        b = self.budget
        if b is None:
            return ""

        def n(count: int, one: str, many: str) -> str:
            return f"{count} {one if count == 1 else many}"

        parts = [n(len(b.pools), "pool", "pools"), n(len(b.runs), "run", "runs"),
                 n(len(b.data), "data line", "data lines"),
                 n(len(b.staff), "staff line", "staff lines"),
                 n(len(b.other), "other line", "other lines")]
        if b.gpu_catalog:
            parts.append(n(len(b.gpu_catalog), "GPU catalog row", "GPU catalog rows"))
        if b.fx_rates:
            parts.append(n(len(b.fx_rates), "FX rate", "FX rates"))
        return f"{', '.join(parts)}; scenarios {', '.join(self.scenarios)}"


# --------------------------------------------------------------------------------------------
# one sheet's cells


@dataclass
class _Grid:
    """The cells of one sheet: cached values, which ones are formulas, hidden rows, merges."""

    name: str
    rows: list[tuple[Any, ...]]
    formulas: set[tuple[int, int]] = field(default_factory=set)
    cached: dict[tuple[int, int], Any] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # c1, r1, c2, r2

    @property
    def max_row(self) -> int:
        return len(self.rows)

    def raw(self, r: int, c: int) -> Any:
        """The cell's value (1-based), the saved result for a formula."""
        if (r, c) in self.formulas:
            return self.cached.get((r, c))
        if r > len(self.rows):
            return None
        row = self.rows[r - 1]
        return row[c - 1] if c <= len(row) else None

    def width(self, r: int) -> int:
        return len(self.rows[r - 1]) if r <= len(self.rows) else 0

    def ref(self, r: int, c: int) -> str:
        return f"{get_column_letter(c)}{r}"

    def text(self, r: int, c: int) -> str:
        value = self.raw(r, c)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.report = Report(source=str(path))
        self.cells: dict[str, str] = {}
        self.intervals: dict[str, tuple[str, str]] = {}
        self.grids: dict[str, _Grid] = {}
        self.sheet_order: list[str] = []
        self.fatal: CostsheetError | None = None
        self.evaluator: Any = None  # a FormulaEvaluator, made on the first uncalculated formula
        self.extra: dict[str, _Grid] = {}  # other sheets that such formulas refer to

    # -- problems ---------------------------------------------------------------------------

    def error(self, sheet: str, cell: str, field_name: str, value: Any, message: str) -> None:
        self.report.add(sheet, cell, field_name, value, message)

    def warn(self, sheet: str, cell: str, field_name: str, value: Any, message: str) -> None:
        self.report.add(sheet, cell, field_name, value, message, severity="warning")

    def value(self, g: _Grid, r: int, c: int, field_name: str, col: ColumnSpec | None) -> Any:
        """A cell's usable value: None when blank, ``_BAD`` when already reported."""
        if (r, c) in g.formulas and g.cached.get((r, c)) is None:
            evaluated = self.evaluate(g, r, c, field_name)
            if evaluated is _BAD:
                return _BAD
            g.cached[(r, c)] = evaluated
        value = _clean(g.raw(r, c))
        if value is None:
            return None
        if isinstance(value, str) and value.upper() in _EXCEL_ERRORS:
            self.error(g.name, g.ref(r, c), field_name, value,
                       f"the cell shows the Excel error {value}; fix the formula or type a value")
            return _BAD
        if col is not None and col.kind in ("text", "choice", "currency"):
            if isinstance(value, bool):
                return str(value).upper()
            if isinstance(value, float) and value.is_integer():
                return str(int(value))
            if isinstance(value, int | float):
                return str(value)
            if isinstance(value, datetime | date):
                return value.strftime("%Y-%m-%d")
        return value

    def evaluate(self, g: _Grid, r: int, c: int, field_name: str) -> Any:
        """A formula cell with no saved value, computed (a warning says so), else ``_BAD``."""
        from .formulas_eval import FormulaEvaluator, UnevaluableFormula

        formula = g.rows[r - 1][c - 1]
        if not isinstance(formula, str):  # array and data-table formulas
            self.error(g.name, g.ref(r, c), field_name, None, FORMULA_NO_VALUE)
            return _BAD
        if self.evaluator is None:
            self.evaluator = FormulaEvaluator(self.formula_cell)
        try:
            value = self.evaluator.evaluate(g.name, r, c, formula)
        except UnevaluableFormula as exc:
            self.error(g.name, g.ref(r, c), field_name, formula,
                       f"{FORMULA_NO_VALUE} (costsheet cannot evaluate it: it {exc.reason})")
            return _BAD
        self.warn(g.name, g.ref(r, c), field_name, formula,
                  f"formula with no saved value, evaluated by costsheet as {value!r}; open and "
                  "save the file in Excel to keep Excel's own result")
        return value

    def formula_cell(self, sheet: str, r: int, c: int) -> tuple[Any, str | None]:
        """(saved value, formula text or None) of any cell, for the formula evaluator."""
        key = sheet.strip().casefold()
        g = next((g for n, g in self.grids.items() if n.casefold() == key), None)
        if g is None:
            g = self.extra.get(key) or self.load_extra(sheet)
        if r > g.max_row:
            return None, None
        row = g.rows[r - 1]
        value = row[c - 1] if c <= len(row) else None
        if (r, c) in g.formulas:
            return g.cached.get((r, c)), value if isinstance(value, str) else ""
        return value, None

    def load_extra(self, sheet: str) -> _Grid:
        """A sheet costsheet does not read, that a formula refers to (KeyError if none)."""
        from .readonly_workbook import open_read_only

        actual = {n.strip().casefold(): n for n in self.sheet_order}.get(sheet.strip().casefold())
        if actual is None:
            raise KeyError(sheet)
        grids = []
        for data_only in (False, True):
            try:
                wb = open_read_only(self.path, data_only=data_only)
                try:
                    ws = wb[actual]
                    ws.reset_dimensions()
                    grids.append([tuple(r) for r in ws.iter_rows(values_only=True)])
                finally:
                    wb.close()
            except Exception:  # openpyxl's many kinds, on a sheet costsheet does not own
                from .formulas_eval import UnevaluableFormula

                raise UnevaluableFormula(f"refers to sheet {actual!r}, which cannot be read") \
                    from None
        g = _Grid(actual, grids[0])
        for i, row in enumerate(grids[0], start=1):
            for j, v in enumerate(row, start=1):
                if _is_formula(v):
                    g.formulas.add((i, j))
                    cached = grids[1][i - 1]
                    g.cached[(i, j)] = cached[j - 1] if j <= len(cached) else None
        self.extra[sheet.strip().casefold()] = g
        return g

    # -- loading ----------------------------------------------------------------------------

    def load(self) -> bool:
        from .readonly_workbook import open_read_only

        wanted = {s.name.lower(): s.name for s in LAYOUT}
        try:
            wb = open_read_only(self.path, data_only=False)
        except Exception as exc:  # openpyxl raises many kinds on damaged parts
            message = f"{self.path.name}: cannot read the workbook ({exc})"
            if _defused(exc):
                message = (f"{self.path.name}: refused: its XML declares entities or a DTD "
                           "(possible XML entity bomb); costsheet does not expand them")
            self.error("", "", "file", None, message)
            self.fatal = CostsheetError(message, hint="open it in Excel and save it again")
            return False
        try:
            self.sheet_order = list(wb.sheetnames)
            by_lower = {n.strip().lower(): n for n in wb.sheetnames}
            found: dict[str, str] = {}
            for low, name in wanted.items():
                actual = by_lower.get(low)
                if actual is not None:
                    found[name] = actual
            with_formulas: list[str] = []
            for name, actual in found.items():
                try:
                    ws = wb[actual]
                    ws.reset_dimensions()
                    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
                except Exception as exc:  # NaN/INF values, broken XML, a chart sheet, ...
                    self.sheet_unreadable(name, actual, exc)
                    return False
                g = _Grid(name, rows)
                for i, row in enumerate(rows, start=1):
                    for j, v in enumerate(row, start=1):
                        if _is_formula(v):
                            g.formulas.add((i, j))
                if g.formulas:
                    with_formulas.append(name)
                self.grids[name] = g
        finally:
            wb.close()
        if with_formulas:
            wb = open_read_only(self.path, data_only=True)
            try:
                for name in with_formulas:
                    g = self.grids[name]
                    ws = wb[found[name]]
                    ws.reset_dimensions()
                    try:
                        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
                            for j, v in enumerate(row, start=1):
                                if (i, j) in g.formulas:
                                    g.cached[(i, j)] = v
                    except Exception as exc:  # a saved result Excel could not have written
                        self.sheet_unreadable(name, found[name], exc)
                        return False
            finally:
                wb.close()
        self._scan_xml(found)
        return True

    def sheet_unreadable(self, name: str, actual: str, exc: Exception) -> None:
        """Report a sheet openpyxl cannot read, at its first impossible cell when there is one."""
        found = _impossible_cell(self.path, actual)
        if found is not None:
            self.error(name, found[0], "value", found[1],
                       "not a value Excel can store (NaN, INF or a broken reference); type the "
                       "value again")
        else:
            self.error(name, "", "sheet", None,
                       f"cannot read the sheet ({str(exc)[:120] or type(exc).__name__}); open "
                       "the file in Excel and save it again")

    def _scan_xml(self, found: dict[str, str]) -> None:
        """Hidden rows and columns, and merged cells, read from the sheet XML."""
        import defusedxml.ElementTree as SafeET

        try:
            with zipfile.ZipFile(self.path) as zf:
                parts = _sheet_parts(zf)
                for name, actual in found.items():
                    part = parts.get(actual)
                    if part is None or part not in zf.namelist():
                        continue
                    g = self.grids[name]
                    with zf.open(part) as fh:
                        for _event, el in SafeET.iterparse(fh, events=("end",)):
                            tag = el.tag.rsplit("}", 1)[-1]
                            if tag == "row":
                                if el.get("hidden") in ("1", "true") and el.get("r"):
                                    g.hidden_rows.add(int(el.get("r")))
                                el.clear()
                            elif tag == "col":
                                if el.get("hidden") in ("1", "true"):
                                    lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
                                    g.hidden_cols.update(range(lo, min(hi, 16384) + 1))
                            elif tag == "mergeCell" and el.get("ref"):
                                try:
                                    g.merges.append(range_boundaries(el.get("ref")))
                                except (ValueError, TypeError):
                                    pass
        except (zipfile.BadZipFile, KeyError, SafeET.ParseError, ValueError):
            return  # the structure was read; these are only warnings

    # -- sheets -----------------------------------------------------------------------------

    def grid(self, spec: SheetSpec) -> _Grid | None:
        g = self.grids.get(spec.name)
        if g is None and spec.required:
            self.error(spec.name, "", "sheet",
                       None, f"missing sheet {spec.name!r} ({spec.title_en}); copy it from "
                       "a new template (`costsheet new`)")
        return g

    def warn_layout(self, g: _Grid, rows: Iterable[int], cols: Iterable[int]) -> None:
        """Warnings for hidden rows/columns and merged cells over input cells."""
        cols = list(cols)
        for r in rows:
            filled = [c for c in cols if _clean(g.raw(r, c)) is not None]
            if not filled:
                continue
            if r in g.hidden_rows:
                self.warn(g.name, g.ref(r, filled[0]), "row", None,
                          f"row {r} is hidden but holds inputs; they are read as they are")
            for c in filled:
                if c in g.hidden_cols:
                    self.warn(g.name, g.ref(r, c), "column", None,
                              f"column {get_column_letter(c)} is hidden but holds inputs; "
                              "they are read as they are")
                    break
        row_set = set(rows)
        for c1, r1, c2, r2 in g.merges:
            if any(r in row_set for r in range(r1, r2 + 1)) and any(
                    c in cols for c in range(c1, c2 + 1)):
                ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
                self.warn(g.name, g.ref(r1, c1), "cells", ref,
                          "merged cells over input cells: only the top-left cell is read")

    def read_drivers(self) -> tuple[Drivers, list[str], dict[str, dict[str, Any]]]:
        spec = SHEETS["drivers"]
        g = self.grid(spec)
        if g is None:
            return Drivers(), ["Base"], {}
        key_row = _find_key_row(g, set(DRIVER_FIXED_KEYS), "key")
        if key_row is None:
            self.error(g.name, f"{KEY_ROW}:{KEY_ROW}", "key", None,
                       "missing key row: expected the keys key, label, unit, help above the "
                       "header (copy the top rows from a new template)")
            return Drivers(), ["Base"], {}
        fixed = {}
        for c in range(1, g.width(key_row) + 1):
            k = g.text(key_row, c).lower()
            if k in DRIVER_FIXED_KEYS and k not in fixed:
                fixed[k] = c
        key_col = fixed["key"]
        header = key_row + 1
        first_scen = max(fixed.values()) + 1
        scen_cols: list[tuple[str, int]] = []
        seen: dict[str, str] = {}
        for c in range(first_scen, g.width(header) + 1):
            name = g.text(header, c)
            if not name:
                continue
            if name.lower() in seen:
                self.error(g.name, g.ref(header, c), "scenario", name,
                           f"duplicate scenario name (also in {g.name}!{seen[name.lower()]})")
                continue
            seen[name.lower()] = g.ref(header, c)
            scen_cols.append((name, c))
        if not scen_cols:
            self.error(g.name, g.ref(header, first_scen), "scenario", None,
                       "missing column 'Base': the first scenario column holds the base values")
            return Drivers(), ["Base"], {}
        if scen_cols[0][0].lower() != "base":
            self.error(g.name, g.ref(header, scen_cols[0][1]), "scenario", scen_cols[0][0],
                       "the first scenario column must be named Base")
        scen_cols[0] = ("Base", scen_cols[0][1])
        names = [n for n, _ in scen_cols]
        base_raw: dict[str, Any] = {}
        base_cells: dict[str, str] = {}
        bad: set[str] = set()
        key_rows: dict[str, int] = {}
        overrides: dict[str, dict[str, Any]] = {n: {} for n in names[1:]}
        data_rows = range(header + 1, g.max_row + 1)
        for r in data_rows:
            key = g.text(r, key_col)
            values = [(n, c, _clean(g.raw(r, c))) for n, c in scen_cols]
            if not key:
                if any(v is not None for _, _, v in values) and g.text(r, fixed.get("label", 0)
                                                                     or key_col):
                    self.warn(g.name, g.ref(r, key_col), "key", None,
                              "a driver row without a key is ignored")
                continue
            if key not in DRIVER_KEYS:
                if any(v is not None for _, _, v in values):
                    self.error(g.name, g.ref(r, key_col), "key", key,
                               f"unknown driver key (known: {', '.join(DRIVER_KEYS)})")
                continue
            if key in key_rows:
                self.error(g.name, g.ref(r, key_col), key, key,
                           f"duplicate driver row (also in row {key_rows[key]})")
                continue
            key_rows[key] = r
            col = spec.column(key)
            for i, (scen, c) in enumerate(scen_cols):
                v = self.value(g, r, c, key, col)
                ref = f"{g.name}!{g.ref(r, c)}"
                self.cells[f"drivers.{key}@{scen}"] = ref
                if i == 0:
                    self.cells[f"drivers.{key}"] = ref
                if v is None:
                    continue
                if v is _BAD:
                    if i == 0:
                        bad.add(key)
                    continue
                if i == 0:
                    v = self.interval(key, v, col, g.name, g.ref(r, c))
                    if v is _BAD:
                        bad.add(key)
                        continue
                    base_raw[key] = v
                    base_cells[key] = g.ref(r, c)
                else:
                    parsed = self.parse_field(Drivers, {key: v}, key, g.name, g.ref(r, c), v)
                    if parsed is not _BAD:
                        overrides[scen][key] = parsed
        self.warn_layout(g, list(data_rows), [c for _, c in scen_cols])
        drivers = self.build(Drivers, base_raw, base_cells, g.name, bad, f"A{header + 1}")
        if drivers is None:
            good = {k: v for k, v in base_raw.items()
                    if self._quiet(Drivers, {k: v}) is not None}
            drivers = Drivers(**good)
        if drivers.currency and drivers.currency not in ISO_CURRENCIES and "currency" in \
                base_cells:
            self.error(g.name, base_cells["currency"], "currency", drivers.currency,
                       "unknown currency code (use an ISO code such as USD, EUR, CNY)")
        return drivers, names, overrides

    def interval(self, key: str, v: Any, col: ColumnSpec | None, sheet: str, cell: str) -> Any:
        """A range in a driver's Base cell (``0.35 to 0.45``, a 90% interval for the Monte
        Carlo run, see :mod:`costsheet.workbook.uncertainty`): its midpoint; else ``v``."""
        if col is None or col.kind not in ("number", "fraction", "count"):
            return v
        from .uncertainty import driver_interval

        try:
            found = driver_interval(v)
        except UnitError as exc:
            self.error(sheet, cell, key, v, str(exc))
            return _BAD
        if found is None:
            return v
        self.intervals[key] = (str(v).strip(), f"{sheet}!{cell}")
        return found[1]

    @staticmethod
    def _quiet(model: type[BaseModel], data: dict[str, Any]) -> BaseModel | None:
        try:
            return model.model_validate(data)
        except ValidationError:
            return None

    def parse_field(self, model: type[BaseModel], data: dict[str, Any], key: str, sheet: str,
                    cell: str, shown: Any) -> Any:
        """Validate one field in the context ``data``; its parsed value or ``_BAD``."""
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            for loc, msg, _inp in validation_messages(exc):
                name = str(loc[0]) if loc else key
                if name == key or not loc:
                    self.error(sheet, cell, key, shown, _strip_field(msg, key))
                    return _BAD
            self.error(sheet, cell, key, shown, "not valid here")
            return _BAD
        return getattr(obj, key)

    def build(self, model: type[BaseModel], raw: dict[str, Any], cells: dict[str, str],
              sheet: str, bad: set[str], row_cell: str) -> Any:
        """Validate one line; map every pydantic problem to its cell. None on error."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for loc, msg, _inp in validation_messages(exc):
                name = str(loc[0]) if loc else ""
                if not name:
                    m = re.match(r"^(\w+): (.*)$", msg)
                    if m and m.group(1) in model.model_fields:
                        name, msg = m.group(1), m.group(2)
                if name in bad:
                    continue
                cell = cells.get(name, row_cell)
                shown = raw.get(name) if name in raw else None
                self.error(sheet, cell, name or "row", shown, msg)
            return None

    def read_table(self, spec: SheetSpec) -> list[tuple[dict[str, Any], dict[str, str], int]]:
        """Rows of a table sheet: (raw values by key, cell by key, row number)."""
        g = self.grid(spec)
        if g is None:
            return []
        key_row = _find_key_row(g, set(spec.keys), spec.name_key)
        if key_row is None:
            self.error(g.name, f"{KEY_ROW}:{KEY_ROW}", "keys", None,
                       f"missing key row: expected the keys {', '.join(spec.keys[:4])}, … in "
                       f"row {KEY_ROW} (copy the top rows from a new template)")
            return []
        cols: dict[str, int] = {}
        for c in range(1, g.width(key_row) + 1):
            k = g.text(key_row, c)
            if k in spec.keys:
                if k in cols:
                    self.error(g.name, g.ref(key_row, c), k, k,
                               f"duplicate column key (also in column "
                               f"{get_column_letter(cols[k])})")
                    continue
                cols[k] = c
        for col in spec.columns:
            if col.key not in cols and not col.quiet_if_missing:  # optional columns added later
                msg = (f"missing column {col.label_en!r} (key {col.key!r} in row {key_row})")
                if col.required:
                    self.error(g.name, f"{key_row}:{key_row}", col.key, None, msg)
                else:
                    self.warn(g.name, f"{key_row}:{key_row}", col.key, None,
                              msg + "; using the default for every line")
        if spec.name_key not in cols:
            return []
        name_col = cols[spec.name_key]
        first = key_row + (FIRST_ROW - KEY_ROW)
        out = []
        rows = range(first, g.max_row + 1)
        for r in rows:
            present = [k for k, c in cols.items() if _clean(g.raw(r, c)) is not None]
            if not present or present == [spec.name_key]:
                continue  # empty, or only a label (a heading)
            raw: dict[str, Any] = {}
            cells: dict[str, str] = {}
            bad: set[str] = set()
            for k, c in cols.items():
                cells[k] = g.ref(r, c)
                v = self.value(g, r, c, k, spec.column(k))
                if v is _BAD:
                    bad.add(k)
                elif v is not None:
                    raw[k] = v
            raw["__bad__"] = bad
            cells["__row__"] = g.ref(r, name_col)
            out.append((raw, cells, r))
        self.warn_layout(g, list(rows), list(cols.values()))
        return out

    def read_lines(self, section: str) -> list[tuple[BaseModel, dict[str, str]]]:
        spec = SHEETS[section]
        assert spec.model is not None
        lines = []
        for raw, cells, _r in self.read_table(spec):
            bad = raw.pop("__bad__")
            data = {**raw, **spec.fixed}
            obj = self.build(spec.model, data, cells, spec.name, bad, cells["__row__"])
            if obj is not None and not bad:
                lines.append((obj, cells))
            else:  # keeps its name for duplicate checks and the cell map
                lines.append((_Partial(raw.get(spec.name_key)), cells))
        return lines

    def register_cells(self, section: str, name: str, cells: dict[str, str]) -> None:
        sheet_name = SHEETS[section].name
        for k, ref in cells.items():
            if k == "__row__":
                self.cells[f"{section}.{name}"] = f"{sheet_name}!{ref}"
            else:
                self.cells[f"{section}.{name}.{k}"] = f"{sheet_name}!{ref}"

    def read_catalog(self) -> tuple[list[dict[str, Any]], Catalog]:
        spec = SHEETS["gpu_catalog"]
        base = default_catalog()
        rows: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for raw, cells, _r in self.read_table(spec):
            bad = raw.pop("__bad__")
            key = raw.get("key")
            if key is None:
                if "key" not in bad:
                    self.error(spec.name, cells["key"], "key", None, "is required")
                continue
            key = str(key)
            norm = key.upper()
            if norm in seen:
                self.error(spec.name, cells["key"], "key", key,
                           f"duplicate GPU type (also in {spec.name}!{seen[norm]})")
                continue
            seen[norm] = cells["key"]
            row: dict[str, Any] = {"key": key}
            ok = True
            for col in spec.columns[1:]:
                v = raw.get(col.key)
                if v is None:
                    continue
                if col.kind == "number":
                    try:
                        row[col.key] = parse_number(v) * col.scale
                    except UnitError as exc:
                        self.error(spec.name, cells[col.key], col.key, v, str(exc))
                        ok = False
                elif col.key == "aliases":
                    row[col.key] = tuple(a.strip() for a in str(v).split(";") if a.strip())
                else:
                    row[col.key] = str(v)
            if key not in base and not bad:
                for need in ("bf16_flops", "tdp_w"):
                    if need not in row and need in cells:
                        label = spec.column(need).label_en
                        self.error(spec.name, cells[need], need, None,
                                   f"is required for a new GPU type ({label})")
                        ok = False
            if ok and not bad:
                rows.append(row)
        try:
            catalog = base.with_overrides(rows) if rows else base
        except (TypeError, ValueError, CostsheetError) as exc:
            self.error(spec.name, "", "gpu_catalog", None, f"cannot apply the overrides ({exc})")
            catalog = base
        return rows, catalog

    def read_fx(self, reporting: str) -> tuple[dict[str, float], dict[str, str]]:
        spec = SHEETS["fx"]
        rates: dict[str, float] = {}
        where: dict[str, str] = {}
        for raw, cells, _r in self.read_table(spec):
            bad = raw.pop("__bad__")
            if raw.get("month") is not None or "month" in bad:
                continue  # an actual rate of one month: read by workbook.actuals
            cur = raw.get("currency")
            if cur is None:
                if "currency" not in bad:
                    self.error(spec.name, cells["currency"], "currency", None, "is required")
                continue
            code = str(cur).strip().upper()
            if code not in ISO_CURRENCIES:
                self.error(spec.name, cells["currency"], "currency", cur,
                           "unknown currency code (use an ISO code such as EUR, CNY, GBP)")
                continue
            if code in where:
                self.error(spec.name, cells["currency"], "currency", cur,
                           f"duplicate currency (also in {spec.name}!{where[code]})")
                continue
            where[code] = cells["currency"]
            rate = raw.get("rate")
            if rate is None:
                if "rate" not in bad:
                    self.error(spec.name, cells["rate"], "rate", None, "is required")
                continue
            try:
                value = parse_number(rate)
                if value <= 0:
                    raise UnitError("must be more than 0")
            except UnitError as exc:
                self.error(spec.name, cells["rate"], "rate", rate, str(exc))
                continue
            if code == reporting:
                self.warn(spec.name, cells["currency"], "currency", cur,
                          "this is the reporting currency; its rate is ignored")
                continue
            rates[code] = value
            self.cells[f"fx.{code}"] = f"{spec.name}!{cells['rate']}"
        return rates, where

    def read_overrides(self, budget: Any, scenarios: list[str],
                       overrides: dict[str, dict[str, Any]],
                       invalid: dict[str, set[str]]) -> None:
        from ..model.scenarios import SECTIONS, get_value, split_key

        spec = SHEETS["overrides"]
        where: dict[tuple[str, str], str] = {}
        by_lower = {s.lower(): s for s in scenarios}
        for raw, cells, _r in self.read_table(spec):
            bad = raw.pop("__bad__")
            if bad:
                continue
            scen, key, value = raw.get("scenario"), raw.get("key"), raw.get("value")
            for name, v in (("scenario", scen), ("key", key), ("value", value)):
                if v is None:
                    self.error(spec.name, cells[name], name, None, "is required")
            if scen is None or key is None or value is None:
                continue
            scen_name = by_lower.get(str(scen).strip().lower())
            if scen_name is None:
                self.error(spec.name, cells["scenario"], "scenario", scen,
                           f"unknown scenario (known: {', '.join(scenarios)}); add a scenario "
                           "column on the Drivers sheet first")
                continue
            if scen_name == "Base":
                self.error(spec.name, cells["scenario"], "scenario", scen,
                           "Base is the inputs themselves: change the input cell instead")
                continue
            key = str(key).strip()
            try:
                section, line_name, fname = split_key(key)
                get_value(budget, key)
            except CostsheetError as exc:
                parts = key.split(".")
                if len(parts) >= 3 and ".".join(parts[1:-1]).lower() in invalid.get(
                        parts[0], set()):
                    continue  # the line itself has errors, already reported
                self.error(spec.name, cells["key"], "key", key, exc.message)
                continue
            if section == "drivers":
                parsed = self.parse_field(Drivers, {fname: value}, fname, spec.name,
                                          cells["value"], value)
                full = fname
            else:
                if fname == SECTIONS[section]:
                    self.error(spec.name, cells["key"], "key", key,
                               f"the {fname} names the line and cannot change in a scenario")
                    continue
                line = _find_line(budget, section, line_name)
                data = line.model_dump()
                data[fname] = value
                parsed = self.parse_field(type(line), data, fname, spec.name, cells["value"],
                                          value)
                full = key
            if parsed is _BAD:
                continue
            if (scen_name, full) in where or full in overrides.get(scen_name, {}) and \
                    section == "drivers":
                other = where.get((scen_name, full)) or self.cells.get(
                    f"drivers.{full}@{scen_name}", "the Drivers sheet")
                self.error(spec.name, cells["key"], "key", key,
                           f"set twice for scenario {scen_name} (also in {other})")
                continue
            where[(scen_name, full)] = f"{spec.name}!{cells['key']}"
            overrides.setdefault(scen_name, {})[full] = parsed
            self.cells[f"{full if section != 'drivers' else 'drivers.' + full}@{scen_name}"] = (
                f"{spec.name}!{cells['value']}")

    # -- everything -------------------------------------------------------------------------

    def read(self) -> tuple[Budget | None, list[str]]:
        drivers, scenarios, overrides = self.read_drivers()
        catalog_rows, catalog = self.read_catalog()
        lines: dict[str, list[tuple[Any, dict[str, str]]]] = {
            s: self.read_lines(s) for s in TABLE_SECTIONS}
        reporting = drivers.currency or "USD"
        fx_rates, _ = self.read_fx(reporting)
        good: dict[str, list[Any]] = {}
        invalid: dict[str, set[str]] = {}
        for section, found in lines.items():
            spec = SHEETS[section]
            attr = "role" if section == "staff" else "name"
            seen: dict[str, str] = {}
            good[section] = []
            for obj, cells in found:
                name = getattr(obj, attr, None)
                if name is None:
                    continue
                name = str(name).strip()
                low = name.lower()
                if low in seen:
                    msg = f"duplicate {_noun(section)} name (also in {spec.name}!{seen[low]})"
                    if section in ("pools", "runs"):
                        self.error(spec.name, cells[spec.name_key], spec.name_key, name, msg)
                    else:
                        self.warn(spec.name, cells[spec.name_key], spec.name_key, name,
                                  msg + "; a scenario override names the first one")
                    continue
                seen[low] = cells[spec.name_key]
                self.register_cells(section, name, cells)
                if isinstance(obj, _Partial):
                    invalid.setdefault(section, set()).add(low)
                else:
                    good[section].append((obj, cells))
        self.check_references(good, catalog, reporting, fx_rates, lines)
        partial = Budget.model_construct(
            name=self.path.stem, drivers=drivers, pools=[o for o, _ in good["pools"]],
            runs=[o for o, _ in good["runs"]], data=[o for o, _ in good["data"]],
            staff=[o for o, _ in good["staff"]], other=[o for o, _ in good["other"]],
            gpu_catalog=catalog_rows, scenarios={}, fx_rates=fx_rates)
        self.read_overrides(partial, scenarios, overrides, invalid)
        if not self.report.ok:
            return None, scenarios
        budget = Budget(
            name=self.path.stem, drivers=drivers,
            pools=[o for o, _ in good["pools"]], runs=[o for o, _ in good["runs"]],
            data=[o for o, _ in good["data"]], staff=[o for o, _ in good["staff"]],
            other=[o for o, _ in good["other"]], gpu_catalog=catalog_rows,
            scenarios={s: overrides.get(s, {}) for s in scenarios[1:]}, fx_rates=fx_rates)
        self.trial_compute(budget, good)
        return (budget if self.report.ok else None), scenarios

    def check_references(self, good: dict[str, list[Any]], catalog: Catalog, reporting: str,
                         fx_rates: dict[str, float],
                         lines: dict[str, list[tuple[Any, dict[str, str]]]]) -> None:
        pools_sheet = SHEETS["pools"].name
        for pool, cells in good["pools"]:
            if pool.gpu_type is not None and pool.gpu_type not in catalog:
                self.error(pools_sheet, cells["gpu_type"], "gpu_type", pool.gpu_type,
                           f"unknown GPU type (known: {', '.join(catalog.keys)}); add it on "
                           "the GPU catalog sheet")
        pool_names: list[str] = []
        for obj, _ in lines["pools"]:
            name = str(getattr(obj, "name", None) or "").strip()
            if name and name.lower() not in {p.lower() for p in pool_names}:
                pool_names.append(name)
        runs_sheet = SHEETS["runs"].name
        for run, cells in good["runs"]:
            if run.pool is not None:
                if run.pool.lower() not in {p.lower() for p in pool_names}:
                    self.error(runs_sheet, cells["pool"], "pool", run.pool,
                               f"unknown pool (known: {', '.join(pool_names) or 'none'})")
            elif len(pool_names) > 1:
                self.error(runs_sheet, cells.get("pool", cells["__row__"]), "pool", None,
                           f"name its pool (there are {len(pool_names)}: "
                           f"{', '.join(pool_names)})")
            elif not pool_names:
                self.error(runs_sheet, cells["__row__"], "pool", None,
                           "there is no GPU pool to run on (add one on the Pools sheet)")
        for section in ("pools", "data", "staff", "other"):
            sheet_name = SHEETS[section].name
            for obj, cells in good[section]:
                cur = obj.currency
                if cur is None or cur == reporting:
                    continue
                if cur not in ISO_CURRENCIES:
                    self.error(sheet_name, cells["currency"], "currency", cur,
                               "unknown currency code (use an ISO code such as EUR, CNY)")
                elif cur not in fx_rates:
                    self.error(sheet_name, cells["currency"], "currency", cur,
                               f"no exchange rate from {cur} to {reporting}: add it on the FX "
                               "sheet")

    def trial_compute(self, budget: Budget, good: dict[str, list[Any]]) -> None:
        """Compute every scenario once, so `check` catches what would stop `run`."""
        from ..model.budget import compute_budget
        from ..model.scenarios import apply_scenario

        seen: set[str] = set()
        for scen in budget.scenario_names:
            try:
                compute_budget(apply_scenario(budget, scen), scenario=scen)
            except CostsheetError as exc:
                if exc.message in seen:
                    continue
                seen.add(exc.message)
                sheet, cell = self._locate(exc.message, good)
                where = "" if scen == "Base" else f" (scenario {scen})"
                tip = f"; {exc.hint}" if exc.hint else ""
                self.error(sheet, cell, "model", None, exc.message + where + tip)
            except (ArithmeticError, ValueError) as exc:
                self.error("", "", "model", None, f"scenario {scen}: cannot compute ({exc})")

    def _locate(self, message: str, good: dict[str, list[Any]]) -> tuple[str, str]:
        m = re.search(r"\b(pool|run) '([^']+)'", message)
        if m:
            section = m.group(1) + "s"
            ref = self.cells.get(f"{section}.{m.group(2)}")
            if ref:
                sheet, _, cell = ref.partition("!")
                return sheet, cell
        return "", ""

    def sort_report(self) -> None:
        order = {name: i for i, name in enumerate(s.name for s in LAYOUT)}

        def key(e: Any) -> tuple[int, int, int]:
            m = re.match(r"^([A-Z]+)(\d+)$", e.cell or "")
            if not m:
                return (order.get(e.sheet, 99), 0, 0)
            col = 0
            for ch in m.group(1):
                col = col * 26 + ord(ch) - 64
            return (order.get(e.sheet, 99), int(m.group(2)), col)

        self.report.errors.sort(key=key)


@dataclass
class _Partial:
    """A line that did not validate: only its name, for duplicate checks and cell maps."""

    name: Any

    @property
    def role(self) -> Any:
        return self.name


def _noun(section: str) -> str:
    return {"pools": "pool", "runs": "run", "data": "data line", "staff": "staff role",
            "other": "line"}[section]


def _find_line(budget: Any, section: str, name: str | None) -> Any:
    attr = "role" if section == "staff" else "name"
    for line in getattr(budget, section):
        if str(getattr(line, attr)).lower() == str(name).lower():
            return line
    raise KeyError(name)


def _strip_field(message: str, key: str) -> str:
    prefix = f"{key}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _is_formula(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=") and len(value) > 1
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def _find_key_row(g: _Grid, keys: set[str], must: str) -> int | None:
    """The row (among the first 15) that holds the stable keys, with ``must`` among them."""
    best, best_n = None, 0
    for r in range(1, min(g.max_row, 15) + 1):
        found = {g.text(r, c) for c in range(1, g.width(r) + 1)}
        if must not in found:
            continue
        n = len(found & keys)
        if n > best_n:
            best, best_n = r, n
    return best


def _defused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML (openpyxl wraps its exception in others)."""
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__module__.startswith("defusedxml"):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _impossible_cell(path: Path, sheet: str) -> tuple[str, str] | None:
    """The first cell of ``sheet`` whose stored value Excel cannot have written, with it:
    ``NaN``/``INF`` numbers, a shared-string index out of range, a bad boolean."""
    import math

    import defusedxml.ElementTree as SafeET

    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_parts(zf).get(sheet)
            if part is None:
                return None
            n_strings = None
            names = {n.lower(): n for n in zf.namelist()}
            sst = names.get(posixpath.join(posixpath.dirname(posixpath.dirname(part)),
                                           "sharedstrings.xml"))
            if sst is not None:
                n_strings = sum(1 for el in SafeET.fromstring(zf.read(sst))
                                if el.tag.rsplit("}", 1)[-1] == "si")
            with zf.open(part) as fh:
                for _event, el in SafeET.iterparse(fh, events=("end",)):
                    if el.tag.rsplit("}", 1)[-1] != "c":
                        continue
                    kind = el.get("t", "n")
                    v = next((ch.text for ch in el if ch.tag.rsplit("}", 1)[-1] == "v"), None)
                    ref = el.get("r", "")
                    el.clear()
                    if v is None:
                        continue
                    v = v.strip()
                    try:
                        if kind == "n" and not math.isfinite(float(v)):
                            return ref, v
                        if kind == "n" and not any(ch in v for ch in ".eE"):
                            int(v)
                        if kind == "s" and not 0 <= int(v) < (n_strings or 0):
                            return ref, v
                        if kind == "b" and v not in ("0", "1"):
                            return ref, v
                    except ValueError:
                        return ref, v
    except Exception:  # damaged XML or zip: no single cell to name
        return None
    return None


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name in the package."""
    import defusedxml.ElementTree as SafeET

    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    wb_part = "xl/workbook.xml"
    try:
        rels_root = SafeET.fromstring(zf.read("_rels/.rels"))
        for rel in rels_root:
            if rel.get("Type", "").endswith("/officeDocument"):
                wb_part = rel.get("Target", wb_part).lstrip("/")
    except KeyError:
        pass
    folder = posixpath.dirname(wb_part)
    rels_part = posixpath.join(folder, "_rels", posixpath.basename(wb_part) + ".rels")
    targets: dict[str, str] = {}
    for rel in SafeET.fromstring(zf.read(rels_part)):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        targets[rel.get("Id", "")] = part
    out = {}
    root = SafeET.fromstring(zf.read(wb_part))
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = el.get(f"{{{rel_ns}}}id", "")
            if rid in targets:
                out[el.get("name", "")] = targets[rid]
    return out


def read_budget(path: Path | str) -> ReadResult:
    """Read and validate a budget workbook; never changes the file.

    Every problem is in ``result.report`` (errors and warnings, each with its Sheet!Cell);
    ``result.budget`` is the Budget when there is no error, else None.
    """
    from .package import PackageError

    path = Path(path)
    reader = _Reader(path)
    try:
        check_package(path)
    except PackageError as exc:
        tip = f"; {exc.hint}" if exc.hint else ""
        reader.error("", "", "file", None, exc.message + tip)
        return ReadResult(None, reader.report, [], {}, path, fatal=exc)
    if not reader.load():
        return ReadResult(None, reader.report, [], {}, path, fatal=reader.fatal)
    budget, scenarios = reader.read()
    reader.sort_report()
    return ReadResult(budget, reader.report, scenarios, reader.cells, path,
                      intervals=reader.intervals)
