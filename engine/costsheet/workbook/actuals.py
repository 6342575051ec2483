"""The Actuals sheet and the monthly rows of the FX sheet: read them, and fill them (samples).

Actuals sheet (a table sheet like Pools: title, intro, keys in row 3, labels, units, lines from
row 6): ``month | family | item | amount | currency | note``. FX sheet: a row with a blank month is
the currency's *budget* rate (read by the budget reader); a row with a month is the *actual*
rate of that month. A currency with monthly rows needs one for every month it has actuals in;
a currency without any converts its actuals at the budget rate (no FX effect).

Every problem is reported at its cell (``Actuals!D7: amount: not a number``), all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Report
from ..inputs import parse_month, validation_messages
from ..model.variance import ActualLine, FxProblem, FxRates
from ..units import UnitError, parse_number

__all__ = ["ACTUALS_SHEET", "FX_SHEET", "ActualsRead", "fill_actuals", "read_actuals"]

ACTUALS_SHEET = "Actuals"
FX_SHEET = "FX"
ACTUAL_KEYS = ("month", "family", "item", "amount", "currency", "note")
_SCAN_ROWS = 12  # the key row is searched in the first rows


@dataclass
class ActualsRead:
    """What the Actuals sheet and the FX sheet's monthly rows hold.

    ``cells[i]`` maps each key of ``actuals[i]`` to its ``Sheet!Cell``. ``monthly_fx``:
    currency → month → actual rate.
    """

    actuals: list[ActualLine] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)
    monthly_fx: dict[str, dict[str, float]] = field(default_factory=dict)
    fx_cells: dict[tuple[str, str], str] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    has_sheet: bool = False

    def actual_fx(self, reporting: str, budget_rates: dict[str, float]) -> FxRates:
        """Rates actuals convert at: a currency's monthly rows, else its budget rate."""
        rates: dict[str, Any] = {c: r for c, r in budget_rates.items()
                                 if c not in self.monthly_fx}
        rates.update({c: dict(by_month) for c, by_month in self.monthly_fx.items()})
        return FxRates(reporting, rates)

    def cell_of(self, problem: FxProblem) -> str:
        if problem.index is None or problem.index >= len(self.cells):
            return ""
        cells = self.cells[problem.index]
        return cells.get("currency") or cells.get("amount", "")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _ref(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _find_sheet(wb: Any, name: str) -> Any:
    for title in wb.sheetnames:
        if title.strip().casefold() == name.casefold():
            return wb[title]
    return None


def _key_columns(rows: list[tuple[Any, ...]], must: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """(key row, key → column), both 1-based; (0, {}) when no row holds the ``must`` keys."""
    for r, row in enumerate(rows[:_SCAN_ROWS], start=1):
        keys = {str(v).strip(): c for c, v in enumerate(row, start=1)
                if isinstance(v, str) and v.strip()}
        if all(k in keys for k in must):
            return r, keys
    return 0, {}


def read_actuals(path: Path | str, reporting: str, budget_rates: dict[str, float]) -> ActualsRead:
    """Read the Actuals sheet and the FX sheet's monthly rates of the workbook ``path``.

    Never changes the file. A workbook without an Actuals sheet has no actuals (no error).
    Currencies are checked against the rates: an actual in a currency with no rate, or in a
    month its monthly rates do not cover, is an error at the actual's currency cell.
    """
    from .readonly_workbook import open_read_only

    out = ActualsRead(report=Report(source=str(path)))
    wb = open_read_only(Path(path), data_only=True)
    try:
        fx_ws = _find_sheet(wb, FX_SHEET)
        if fx_ws is not None:
            _read_fx_months(fx_ws, out)
        ws = _find_sheet(wb, ACTUALS_SHEET)
        if ws is not None:
            out.has_sheet = True
            _read_actual_rows(ws, out)
    finally:
        wb.close()
    _check_currencies(out, reporting.upper(), {c.upper() for c in budget_rates})
    return out


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    ws.reset_dimensions()
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _read_fx_months(ws: Any, out: ActualsRead) -> None:
    rows = _rows(ws)
    key_row, cols = _key_columns(rows, ("currency", "rate"))
    if not key_row or "month" not in cols:
        return
    sheet = ws.title
    for r in range(key_row + 3, len(rows) + 1):
        row = rows[r - 1]

        def get(key: str, row: tuple[Any, ...] = row) -> Any:
            c = cols.get(key)
            return _clean(row[c - 1]) if c is not None and c <= len(row) else None

        month_raw = get("month")
        if month_raw is None:
            continue  # a budget rate: the budget reader's
        cur_raw, rate_raw = get("currency"), get("rate")
        month_cell, cur_cell, rate_cell = (_ref(cols[k], r) for k in ("month", "currency",
                                                                        "rate"))
        try:
            month = parse_month(month_raw)
        except UnitError as exc:
            out.report.add(sheet, month_cell, "month", _shown(month_raw), str(exc))
            continue
        if cur_raw is None:
            out.report.add(sheet, cur_cell, "currency", None, "is required")
            continue
        cur = str(cur_raw).strip().upper()
        try:
            if rate_raw is None:
                raise UnitError("is required")
            rate = parse_number(rate_raw)
            if rate <= 0:
                raise UnitError("must be more than 0")
        except UnitError as exc:
            out.report.add(sheet, rate_cell, "rate", rate_raw, str(exc))
            continue
        if (cur, month) in out.fx_cells:
            out.report.add(sheet, cur_cell, "currency", cur,
                           f"duplicate rate for {cur} in {month} (also in "
                           f"{out.fx_cells[(cur, month)]})")
            continue
        out.fx_cells[(cur, month)] = f"{sheet}!{rate_cell}"
        out.monthly_fx.setdefault(cur, {})[month] = rate


def _shown(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return value


def _read_actual_rows(ws: Any, out: ActualsRead) -> None:
    rows = _rows(ws)
    sheet = ws.title
    key_row, cols = _key_columns(rows, ("month", "family", "amount"))
    if not key_row:
        out.report.add(sheet, "3:3", "keys", None,
                       "missing key row: expected the keys month, family, item, amount, "
                       "currency, note in row 3 (copy the top rows from a new template)")
        return
    for r in range(key_row + 3, len(rows) + 1):
        row = rows[r - 1]
        raw: dict[str, Any] = {}
        cells: dict[str, str] = {}
        for key in ACTUAL_KEYS:
            c = cols.get(key)
            if c is None:
                continue
            cells[key] = f"{sheet}!{_ref(c, r)}"
            value = _clean(row[c - 1]) if c <= len(row) else None
            if value is not None:
                if key in ("item", "note", "currency", "family") and not isinstance(value, str):
                    value = str(int(value)) if isinstance(value, float) and value.is_integer() \
                        else str(value)
                raw[key] = value
        if not raw or set(raw) <= {"note"}:
            continue  # an empty row, or only a remark
        try:
            line = ActualLine.model_validate(raw)
        except ValidationError as exc:
            for loc, message, value in validation_messages(exc):
                key = str(loc[0]) if loc else "row"
                ref = cells.get(key, f"{sheet}!{_ref(1, r)}")
                sh, _, cell = ref.partition("!")
                out.report.add(sh, cell, key, _shown(value if key in raw else None), message)
            continue
        out.actuals.append(line)
        out.cells.append(cells)


def _check_currencies(out: ActualsRead, reporting: str, budget: set[str]) -> None:
    for line, cells in zip(out.actuals, out.cells, strict=True):
        cur = (line.currency or reporting).upper()
        if cur == reporting:
            continue
        ref = cells.get("currency", "")
        sh, _, cell = ref.partition("!")
        monthly = out.monthly_fx.get(cur)
        if cur not in budget and monthly is None:
            out.report.add(sh, cell, "currency", line.currency,
                           f"unknown currency {cur}: no rate to {reporting} on the FX sheet")
        elif cur not in budget:
            out.report.add(sh, cell, "currency", line.currency,
                           f"no budget rate for {cur}: add a row on the FX sheet with a blank "
                           "month")
        elif monthly is not None and line.month not in monthly:
            out.report.add(sh, cell, "currency", line.currency,
                           f"no FX rate for {cur} in {line.month}: add a row on the FX sheet "
                           f"(currency {cur}, month {line.month})")


def fill_actuals(wb: Any, actuals: list[ActualLine],
                 monthly_fx: dict[str, dict[str, float]] | None = None) -> None:
    """Write ``actuals`` into the Actuals sheet and monthly rates into the FX sheet of ``wb``.

    ``wb`` is an openpyxl Workbook of the template (``template.workbook_for``); rows go below the
    last filled row of each table, into the formatted input cells.
    """
    ws = _find_sheet(wb, ACTUALS_SHEET)
    if ws is None:
        raise KeyError(f"the workbook has no {ACTUALS_SHEET} sheet")
    key_row, cols = _key_columns([tuple(c.value for c in row) for row in
                                  ws.iter_rows(max_row=_SCAN_ROWS)], ("month", "amount"))
    r = _next_free(ws, key_row + 3, cols)
    for line in actuals:
        data = line.model_dump()
        for key, c in cols.items():
            if key in data and data[key] is not None:
                ws.cell(r, c).value = data[key]
        r += 1
    if monthly_fx:
        fx = _find_sheet(wb, FX_SHEET)
        if fx is None:
            raise KeyError(f"the workbook has no {FX_SHEET} sheet")
        key_row, cols = _key_columns([tuple(c.value for c in row) for row in
                                      fx.iter_rows(max_row=_SCAN_ROWS)], ("currency", "month"))
        r = _next_free(fx, key_row + 3, cols)
        for cur, by_month in monthly_fx.items():
            for month, rate in sorted(by_month.items()):
                fx.cell(r, cols["currency"]).value = cur
                fx.cell(r, cols["month"]).value = month
                fx.cell(r, cols["rate"]).value = rate
                if "note" in cols:
                    fx.cell(r, cols["note"]).value = "actual rate (illustrative)"
                r += 1


def _next_free(ws: Any, first: int, cols: dict[str, int]) -> int:
    r = first
    while any(ws.cell(r, c).value not in (None, "") for c in cols.values()):
        r += 1
    return r
