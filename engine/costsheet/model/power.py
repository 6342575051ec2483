"""Power and facilities: energy, electricity cost, CO2 and colocation for a GPU pool."""

from __future__ import annotations

from ..i18n import _
from ..inputs import HOURS_PER_MONTH
from .items import LineItem, Value, m, q
from .labels import COLOCATION, ELECTRICITY, ELECTRICITY_IN_RENT, line_name


def energy_kwh(gpu_hours: Value, power_w: Value, pue: Value) -> Value:
    """kWh = GPU-hours × average W per GPU × PUE / 1000."""
    return gpu_hours * power_w * pue / 1000.0


def electricity_line(
    pool_name: str,
    owned: bool,
    gpu_hours: Value,
    power_w: Value,
    power_basis: str,
    pue: Value,
    kwh_price: Value,
    currency: str,
    start_month: str | None,
    months: float | None,
) -> LineItem:
    """Electricity for the GPU-hours a pool ran. Renting: kWh shown, cost 0 (in the price)."""
    kwh = energy_kwh(gpu_hours, power_w, pue)
    head = _("{hours} GPU-h × {watts} W ({basis}) × PUE {pue} / 1000").format(
        hours=q(gpu_hours), watts=q(power_w), basis=power_basis, pue=q(pue))
    if owned:
        return LineItem(
            "power_facilities", line_name(ELECTRICITY, pool_name), kwh, "kWh",
            kwh_price, kwh * kwh_price, currency,
            _("{head} = {kwh} kWh × {price}/kWh").format(head=head, kwh=q(kwh),
                                                        price=m(kwh_price, currency)),
            f"pools.{pool_name}", start_month, months, kind="electricity", pool=pool_name,
        )
    return LineItem(
        "power_facilities", line_name(ELECTRICITY_IN_RENT, pool_name),
        kwh, "kWh", 0.0, 0.0 * kwh, currency,
        _("{head} = {kwh} kWh; included in the rental price, not charged").format(
            head=head, kwh=q(kwh)),
        f"pools.{pool_name}", start_month, months, kind="electricity", pool=pool_name,
    )


def colocation_line(
    pool_name: str,
    gpu_hours: Value,
    power_w: Value,
    price_per_kw_month: Value,
    currency: str,
    start_month: str | None,
    months: float | None,
) -> LineItem:
    """Datacenter space and cooling: kW of IT load × months × price per kW-month."""
    kw_months = gpu_hours * power_w / 1000.0 / HOURS_PER_MONTH
    return LineItem(
        "power_facilities", line_name(COLOCATION, pool_name), kw_months,
        _("kW-month"), price_per_kw_month, kw_months * price_per_kw_month, currency,
        _("{hours} GPU-h × {watts} W / 1000 / 730 h = {kw_months} kW-months × "
          "{price}/kW-month").format(hours=q(gpu_hours), watts=q(power_w),
                                     kw_months=q(kw_months),
                                     price=m(price_per_kw_month, currency)),
        f"pools.{pool_name}", start_month, months, kind="colocation", pool=pool_name,
    )
