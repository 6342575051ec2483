"""The worked example of ``costsheet new --example``, as a :class:`~costsheet.inputs.Budget`.

Data only: the template writes it (``workbook/template.py``, ``workbook/add_inputs.py``). The
sample budgets of ``samples/`` live beside them, in ``samples/sample_budgets.py``, and
``samples/make_samples.py`` writes every committed workbook. Figures not taken from a cited
source are illustrative assumptions.
"""

from __future__ import annotations

from ..i18n import _, use_language
from ..inputs import Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun


def worked_example(lang: str | None = None) -> Budget:
    """The ``--example`` budget: a 34B model on rented H100s, ablations on owned A100s.

    Uses every sheet: two pools (rented, owned), a final run and experiments, data lines (one in
    EUR, with an FX rate), staff, other lines, a GPU catalog override and scenario overrides.
    The names of its lines, units and roles are in ``lang`` (default: the current language);
    pool and run names are identifiers (input keys refer to them) and stay as they are.
    """
    with use_language(lang):
        return _example()


def _example() -> Budget:
    return Budget(
        name="worked-example",
        drivers=Drivers(
            mfu=0.40, kwh_price=0.08, experiment_multiplier=0.5,
            interruption_rate_per_1000_gpu_days=0.47, restart_probability=0.05,
            colocation_per_kw_month=150, staff_burden=0.30, currency="USD",
            start_month="2026-01"),
        pools=[
            GpuPool(name="h100-cloud", gpu_type="H100", gpu_count=512, ownership="rent",
                    price_per_gpu_hour=2.50, start_month="2026-03"),
            GpuPool(name="a100-owned", gpu_type="A100", gpu_count=128, ownership="own",
                    term_months=3, start_month="2026-01"),
        ],
        runs=[
            TrainingRun(name="main-34b", kind="final", pool="h100-cloud", params=34e9,
                        tokens=4e12, start_month="2026-03"),
            TrainingRun(name="ablations-3b", kind="experiment", pool="a100-owned", params=3e9,
                        tokens=300e9, count=20, start_month="2026-01"),
        ],
        data=[
            CostLine(name=_("web crawl processing"), kind=_("processing"), quantity=200, unit="TB",
                     unit_cost=50),
            CostLine(name=_("licensed books"), kind=_("dataset"), quantity=1, unit=_("licence"),
                     unit_cost=250_000, currency="EUR"),
            CostLine(name=_("object storage"), kind=_("storage"), quantity=500, unit="TB",
                     unit_cost=20, months=12),
            CostLine(name=_("SFT labelling"), kind=_("labelling"), quantity=50_000, unit=_("item"),
                     unit_cost=4, overhead=0.15, start_month="2026-05"),
        ],
        staff=[
            StaffLine(role=_("research scientist"), headcount=4, annual_salary=300_000),
            StaffLine(role=_("ML engineer"), headcount=6, annual_salary=250_000),
            StaffLine(role=_("data engineer"), headcount=2, annual_salary=180_000,
                      allocation=0.5),
        ],
        other=[
            CostLine(name=_("cloud networking and egress"), family="compute", kind=_("network"),
                     quantity=1, unit=_("month"), unit_cost=8_000, months=12),
            CostLine(name=_("lab space"), family="power_facilities", kind=_("office"),
                     quantity=1, unit=_("month"), unit_cost=5_000, months=12),
        ],
        gpu_catalog=[{"key": "A100", "purchase_price_per_gpu": 12_000.0,
                      "purchase_price_date": "2025-06",
                      "purchase_price_source": _("illustrative quote")}],
        fx_rates={"EUR": 1.08},
        scenarios={
            "Low": {"mfu": 0.45, "experiment_multiplier": 0.3},
            "High": {"mfu": 0.32, "experiment_multiplier": 1.0,
                     "pools.h100-cloud.price_per_gpu_hour": 2.80},
        },
    )
