"""The ``samples/monthly-actuals.xlsx`` budget: a 13B model with three months of actuals.

Two currencies: GPUs, data and facilities are billed in USD; the research team is paid in EUR,
budgeted at 1.08 USD/EUR, booked at each month's actual rate (FX sheet rows with a month). All
figures are illustrative.
"""

from __future__ import annotations

from pathlib import Path

from ..inputs import Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from ..model.variance import ActualLine

__all__ = ["MONTHLY_FX", "monthly_actuals", "monthly_budget", "write_monthly_sample"]

#: actual USD per EUR, per month (illustrative)
MONTHLY_FX: dict[str, dict[str, float]] = {
    "EUR": {"2026-01": 1.04, "2026-02": 1.06, "2026-03": 1.09},
}


def monthly_budget() -> Budget:
    """A year from 2026-01: H100s reserved for two months, owned A100s, EUR salaries."""
    return Budget(
        name="monthly-actuals",
        drivers=Drivers(start_month="2026-01", currency="USD", experiment_multiplier=0.3,
                        colocation_per_kw_month=160, staff_burden=0.25),
        pools=[
            GpuPool(name="h100-reserved", gpu_type="H100", gpu_count=160, ownership="rent",
                    price_per_gpu_hour=2.20, term_months=2, start_month="2026-02"),
            GpuPool(name="a100-owned", gpu_type="A100", gpu_count=64, ownership="own",
                    purchase_price_per_gpu=12_000, start_month="2026-01"),
        ],
        runs=[
            TrainingRun(name="main-13b", pool="h100-reserved", params=13e9, tokens=2e12,
                        start_month="2026-02"),
            TrainingRun(name="ablations-1b", kind="experiment", pool="a100-owned",
                        params=1e9, tokens=100e9, count=12, start_month="2026-01"),
        ],
        other=[
            CostLine(name="lab space", family="power_facilities", kind="office", unit="month",
                     unit_cost=4_500, months=12),
        ],
        data=[
            CostLine(name="licensed corpus", kind="dataset", unit_cost=180_000,
                     start_month="2026-02"),
            CostLine(name="object storage", kind="storage", quantity=300, unit="TB",
                     unit_cost=21, months=12),
        ],
        staff=[
            StaffLine(role="research scientist", headcount=3, annual_salary=150_000,
                      currency="EUR"),
            StaffLine(role="ML engineer", headcount=4, annual_salary=110_000, currency="EUR"),
        ],
        fx_rates={"EUR": 1.08},
    )


def monthly_actuals() -> list[ActualLine]:
    """Three months of bookings: GPU invoices in USD, payroll in EUR, data lines by name."""
    rows = [
        ("2026-01", "compute", "Purchase: a100-owned", 1_350_000, "USD", "A100 servers"),
        ("2026-01", "staff", None, 101_000, "EUR", "payroll incl. employer costs"),
        ("2026-01", "data", "object storage", 6_300, "USD", "storage"),
        ("2026-01", "power_facilities", None, 5_300, "USD", "lab space and power"),
        ("2026-02", "compute", None, 220_830, "USD", "H100 reservation: final run share"),
        ("2026-02", "experiments", None, 36_130, "USD", "H100 reservation: sweeps share"),
        ("2026-02", "staff", None, 104_500, "EUR", "payroll; one hire early"),
        ("2026-02", "data", "licensed corpus", 195_000, "USD", "licence, signed at a premium"),
        ("2026-02", "data", "object storage", 6_900, "USD", "storage"),
        ("2026-02", "power_facilities", None, 4_600, "USD", "lab space"),
        ("2026-03", "compute", None, 235_270, "USD", "H100 reservation + egress overrun"),
        ("2026-03", "experiments", None, 36_130, "USD", "H100 reservation: sweeps share"),
        ("2026-03", "staff", None, 104_500, "EUR", "payroll"),
        ("2026-03", "data", "object storage", 7_400, "USD", "storage"),
        ("2026-03", "power_facilities", None, 4_550, "USD", "lab space"),
    ]
    return [ActualLine(month=mo, family=fam, item=item, amount=amount, currency=cur, note=note)
            for mo, fam, item, amount, cur, note in rows]


def write_monthly_sample(path: Path | str, *, lang: str = "en") -> Path:
    """Write the sample workbook (deterministic bytes) and return its path."""
    from .actuals import fill_actuals
    from .template import workbook_bytes

    def fill(wb: object) -> None:
        fill_actuals(wb, monthly_actuals(), MONTHLY_FX)

    path = Path(path)
    path.write_bytes(workbook_bytes(monthly_budget(), lang=lang, fill=fill))
    return path
