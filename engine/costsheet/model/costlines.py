"""Data, staff, facilities and other priced lines."""

from __future__ import annotations

from collections.abc import Callable

from ..i18n import _
from ..inputs import CostLine, Drivers, StaffLine, currency_note
from .items import LineItem, is_scalar, m, pct, q

FxRate = Callable[[str | None], tuple[float, str]]


def cost_line(line: CostLine, fx: FxRate, section: str, currency: str = "USD") -> LineItem:
    """quantity × unit cost × months (when monthly) × (1 + overhead), converted to reporting.

    ``section`` is the input sheet the line is on (``data`` or ``other``), and its kind.
    ``currency`` is the reporting currency: the unit cost of a line without its own currency
    is shown in it.
    """
    rate, note = fx(line.currency)
    months = line.months if line.months is not None else 1.0
    amount = line.quantity * line.unit_cost * months * (1.0 + line.overhead) * rate
    cur = line.currency or ""
    unit = line.unit or _("unit")
    parts = [_("{quantity} {unit} × {price}/{unit}").format(
        quantity=q(line.quantity), unit=unit, price=m(line.unit_cost, cur or currency))]
    if line.months is not None:
        parts.append(_("× {months} months").format(months=q(line.months)))
    if not is_scalar(line.overhead) or line.overhead:
        parts.append(_("× (1 + {overhead} overhead)").format(overhead=pct(line.overhead)))
    if note:
        parts.append(note)
    if currency_note(line):
        parts.append(currency_note(line))
    return LineItem(
        line.family, line.name, line.quantity, unit, line.unit_cost * rate, amount, "",
        " ".join(parts), f"{section}.{line.name}", line.start_month, line.months,
        kind=section,
    )


def staff_line(line: StaffLine, drivers: Drivers, fx: FxRate) -> LineItem:
    """headcount × annual salary × (1 + burden) × allocation × months / 12."""
    rate, note = fx(line.currency)
    burden = line.burden if line.burden is not None else drivers.staff_burden
    amount = (
        line.headcount * line.annual_salary * (1.0 + burden) * line.allocation
        * line.months / 12.0 * rate
    )
    cur = line.currency or drivers.currency or "USD"
    basis = _("{people} people × {salary}/yr × (1 + {burden} burden) × {allocation} "
              "allocation × {months}/12 months").format(
        people=q(line.headcount), salary=m(line.annual_salary, cur), burden=pct(burden),
        allocation=pct(line.allocation), months=q(line.months))
    if note:
        basis += f" {note}"
    if currency_note(line):
        basis += f" {currency_note(line)}"
    unit_cost = line.annual_salary * (1.0 + burden) * line.allocation * line.months / 12.0 * rate
    return LineItem(
        "staff", line.role, line.headcount, _("person"), unit_cost, amount, "", basis,
        f"staff.{line.role}", line.start_month, line.months, kind="staff",
    )
