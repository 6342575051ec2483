"""The FX sheet, read once for the whole workbook: budget rates and actual rates of a month.

A row with a blank month is a currency's *budget* rate (what the budget's lines convert at); a
row with a month is that month's *actual* rate (what the Actuals sheet's amounts convert at, see
:mod:`costsheet.workbook.actuals`). Each row is an :class:`~costsheet.inputs.FxRow`, so a
currency must be an ISO 4217 code and a rate a positive number; problems are reported at their
``FX!Cell``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import _
from ..inputs import FxRow
from .tables import Book, Row, TableSpec, read_table, validate_row
from .template import SHEETS

__all__ = ["FxSheet", "read_fx"]


@dataclass
class FxSheet:
    """The rates of the FX sheet.

    ``rates``: currency → budget rate (the reporting currency left out); ``monthly``: currency →
    month → actual rate; ``cells``: input key (``"fx_rates.EUR"``) → the budget rate's cell
    (``"FX!B6"``); ``monthly_cells``: (currency, month) → the actual rate's cell.
    """

    rates: dict[str, float] = field(default_factory=dict)
    monthly: dict[str, dict[str, float]] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    monthly_cells: dict[tuple[str, str], str] = field(default_factory=dict)


def read_fx(book: Book, reporting: str) -> FxSheet:
    """Every rate of the FX sheet of ``book`` (an optional sheet: none, no rates)."""
    out = FxSheet()
    table = read_table(book, TableSpec.of(SHEETS["fx"]))
    if table is None:
        return out
    budget_cells: dict[str, str] = {}
    for row in table.rows:
        fx = validate_row(book, FxRow, row)
        if not isinstance(fx, FxRow):
            continue
        if fx.month is None:
            _budget_rate(book, out, row, fx, reporting, budget_cells)
        else:
            _month_rate(book, out, row, fx)
    return out


def _budget_rate(book: Book, out: FxSheet, row: Row, fx: FxRow, reporting: str,
                 seen: dict[str, str]) -> None:
    typed = row.get("currency")
    if fx.currency in seen:
        book.error(row.sheet, row.cells["currency"], "currency", typed,
                   _("duplicate currency (also in {where})").format(
                       where=f"{row.sheet}!{seen[fx.currency]}"), "duplicate_currency")
        return
    seen[fx.currency] = row.cells["currency"]
    if fx.currency == reporting:
        book.warn(row.sheet, row.cells["currency"], "currency", typed,
                  _("this is the reporting currency; its rate is ignored"), "reporting_currency")
        return
    out.rates[fx.currency] = fx.rate
    out.cells[f"fx_rates.{fx.currency}"] = row.ref("rate")


def _month_rate(book: Book, out: FxSheet, row: Row, fx: FxRow) -> None:
    assert fx.month is not None
    where = (fx.currency, fx.month)
    if where in out.monthly_cells:
        book.error(row.sheet, row.cells["currency"], "currency", fx.currency,
                   _("duplicate rate for {currency} in {month} (also in {where})").format(
                       currency=fx.currency, month=fx.month, where=out.monthly_cells[where]),
                   "duplicate_rate")
        return
    out.monthly_cells[where] = row.ref("rate")
    out.monthly.setdefault(fx.currency, {})[fx.month] = fx.rate
