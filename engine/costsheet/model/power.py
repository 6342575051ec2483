"""Power and facilities: energy, electricity cost, CO2 and colocation for a GPU pool."""

from __future__ import annotations

from ..inputs import HOURS_PER_MONTH
from .items import LineItem, Value, m, q


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
    head = f"{q(gpu_hours)} GPU-h × {q(power_w)} W ({power_basis}) × PUE {q(pue)} / 1000"
    if owned:
        return LineItem(
            "power_facilities", f"Electricity: {pool_name}", kwh, "kWh", kwh_price,
            kwh * kwh_price, currency, f"{head} = {q(kwh)} kWh × {m(kwh_price, currency)}/kWh",
            f"pools.{pool_name}", start_month, months, kind="electricity", pool=pool_name,
        )
    return LineItem(
        "power_facilities", f"Electricity: {pool_name} (in rental price)", kwh, "kWh", 0.0,
        0.0 * kwh, currency, f"{head} = {q(kwh)} kWh; included in the rental price, not charged",
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
        "power_facilities", f"Colocation: {pool_name}", kw_months, "kW-month",
        price_per_kw_month, kw_months * price_per_kw_month, currency,
        f"{q(gpu_hours)} GPU-h × {q(power_w)} W / 1000 / 730 h = {q(kw_months)} kW-months × "
        f"{m(price_per_kw_month, currency)}/kW-month",
        f"pools.{pool_name}", start_month, months, kind="colocation", pool=pool_name,
    )
