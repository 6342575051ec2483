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
from pathlib import Path
from typing import Any

from ..errors import Report
from ..i18n import _
from ..inputs import ActualLine
from ..model.booking import ActualProblem, ActualsError
from ..model.variance import FxRates
from .fx_sheet import FxSheet, read_fx
from .tables import Book, TableSpec, key_columns, read_table, validate_row
from .template import SHEETS

__all__ = ["ACTUALS_SHEET", "FX_SHEET", "ActualsRead", "fill_actuals", "read_actuals"]

ACTUALS_SHEET = "Actuals"
FX_SHEET = "FX"
ACTUAL_KEYS = tuple(ActualLine.model_fields)


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
    typed: list[dict[str, Any]] = field(default_factory=list)  # each row's cells as typed

    def actual_fx(self, reporting: str, budget_rates: dict[str, float]) -> FxRates:
        """Rates actuals convert at: a currency's monthly rows, else its budget rate."""
        rates: dict[str, Any] = {c: r for c, r in budget_rates.items()
                                 if c not in self.monthly_fx}
        rates.update({c: dict(by_month) for c, by_month in self.monthly_fx.items()})
        return FxRates(reporting, rates)

    def cell_of(self, problem: ActualProblem) -> str:
        """The ``Sheet!Cell`` of a problem with an actual (its field's cell), or ``""``."""
        if problem.index is None or problem.index >= len(self.cells):
            return ""
        cells = self.cells[problem.index]
        return cells.get(problem.field) or cells.get("amount", "")

    def placed(self, exc: ActualsError) -> Report:
        """The problems of ``exc`` at their Actuals cells, each with the value as typed."""
        report = Report(source=self.report.source)
        for p in exc.problems:
            sheet, _sep, cell = self.cell_of(p).partition("!")
            typed = (self.typed[p.index].get(p.field, p.value)
                     if p.index is not None and p.index < len(self.typed) else p.value)
            report.add(sheet, cell, p.field, typed, p.message, code=p.code)
        return report


def read_actuals(source: Path | str | Book, reporting: str, budget_rates: dict[str, float],
                 *, fx: FxSheet | None = None) -> ActualsRead:
    """Read the Actuals sheet and the FX sheet's monthly rates of a workbook.

    ``source`` is the workbook's path, or its sheets as the budget reader read them
    (``ReadResult.book``) with the FX sheet it parsed (``fx``), so nothing is read twice.
    Never changes the file. A workbook without an Actuals sheet has no actuals (no error).
    Currencies are checked against the rates: an actual in a currency with no rate, or in a
    month its monthly rates do not cover, is an error at the actual's currency cell.
    """
    if isinstance(source, Book):
        out = ActualsRead(report=Report(source=str(source.path)))
        book = source.reporting_to(out.report)
    else:
        out = ActualsRead(report=Report(source=str(source)))
        book = Book.open(Path(source), [ACTUALS_SHEET, FX_SHEET], out.report)
    if fx is None:
        fx = read_fx(book, reporting.upper())
    out.monthly_fx = {c: dict(by_month) for c, by_month in fx.monthly.items()}
    out.fx_cells = dict(fx.monthly_cells)
    table = read_table(book, TableSpec.of(SHEETS["actuals"]))
    out.has_sheet = book.grid(ACTUALS_SHEET) is not None
    for row in table.rows if table else []:
        line = validate_row(book, ActualLine, row)
        if isinstance(line, ActualLine):
            out.actuals.append(line)
            out.cells.append({k: row.ref(k) for k in row.cells})
            out.typed.append(dict(row.values))
    _check_currencies(out, reporting.upper(), {c.upper() for c in budget_rates})
    return out


def _check_currencies(out: ActualsRead, reporting: str, budget: set[str]) -> None:
    for line, cells in zip(out.actuals, out.cells, strict=True):
        cur = (line.currency or reporting).upper()
        if cur == reporting:
            continue
        ref = cells.get("currency", "")
        sh, _sep, cell = ref.partition("!")
        monthly = out.monthly_fx.get(cur)
        if cur not in budget and monthly is None:
            out.report.add(sh, cell, "currency", line.currency,
                           _("unknown currency {currency}: no rate to {reporting} on the FX "
                             "sheet").format(currency=cur, reporting=reporting),
                           code="unknown_currency")
        elif cur not in budget:
            out.report.add(sh, cell, "currency", line.currency,
                           _("no budget rate for {currency}: add a row on the FX sheet with a "
                             "blank month").format(currency=cur), code="no_fx_rate")
        elif monthly is not None and line.month not in monthly:
            out.report.add(sh, cell, "currency", line.currency,
                           _("no FX rate for {currency} in {month}: add a row on the FX sheet "
                             "(currency {currency}, month {month})").format(
                               currency=cur, month=line.month), code="no_month_rate")


def fill_actuals(wb: Any, actuals: list[ActualLine],
                 monthly_fx: dict[str, dict[str, float]] | None = None) -> None:
    """Write ``actuals`` into the Actuals sheet and monthly rates into the FX sheet of ``wb``.

    ``wb`` is an openpyxl Workbook of the template (``template.workbook_for``); rows go below the
    last filled row of each table, into the formatted input cells.
    """
    ws = _find_sheet(wb, ACTUALS_SHEET)
    if ws is None:
        raise KeyError(f"the workbook has no {ACTUALS_SHEET} sheet")
    key_row, cols = key_columns(ws, SHEETS["actuals"].keys)
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
        key_row, cols = key_columns(fx, SHEETS["fx"].keys)
        r = _next_free(fx, key_row + 3, cols)
        for cur, by_month in monthly_fx.items():
            for month, rate in sorted(by_month.items()):
                fx.cell(r, cols["currency"]).value = cur
                fx.cell(r, cols["month"]).value = month
                fx.cell(r, cols["rate"]).value = rate
                if "note" in cols:
                    fx.cell(r, cols["note"]).value = "actual rate (illustrative)"
                r += 1


def _find_sheet(wb: Any, name: str) -> Any:
    for title in wb.sheetnames:
        if title.strip().casefold() == name.casefold():
            return wb[title]
    return None


def _next_free(ws: Any, first: int, cols: dict[str, int]) -> int:
    r = first
    while any(ws.cell(r, c).value not in (None, "") for c in cols.values()):
        r += 1
    return r
