"""The monthly timeline: spreading lines over months, cash and P&L views of owned hardware."""

from __future__ import annotations

import math

import pytest
from costsheet.errors import InputError
from costsheet.inputs import FAMILIES, Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.timeline import (
    Horizon,
    add_months,
    build_timeline,
    month_range,
    monthly_frame,
    pool_of_item,
    spread,
    spread_weights,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# Owned: 25,000 per GPU × 1.6 server premium / (1 − 19% networking) = 49,382.716 per GPU.
CAPEX_PER_GPU = 25_000 * 1.6 / (1 - 0.19)
GPUS = 512
CAPEX = CAPEX_PER_GPU * GPUS
LIFE_MONTHS = 48


def owned_budget(term_months: float | None = 12, pool_start: str = "2026-01",
                 horizon_start: str = "2026-01") -> Budget:
    return Budget(
        drivers=Drivers(start_month=horizon_start, experiment_multiplier=0.5),
        pools=[
            GpuPool(name="cluster", gpu_type="H100", gpu_count=GPUS, ownership="own",
                    purchase_price_per_gpu=25_000, term_months=term_months,
                    start_month=pool_start),
            GpuPool(name="cloud", gpu_type="H100", gpu_count=128, price_per_gpu_hour=2.5,
                    start_month="2026-05"),
        ],
        runs=[
            TrainingRun(name="main", pool="cluster", gpu_hours="1.5M", start_month="2026-03"),
            TrainingRun(name="ablation", kind="experiment", pool="cloud", gpu_hours=40_000),
        ],
        data=[
            CostLine(name="licensed corpus", unit_cost="300k", start_month="2026-02"),
            CostLine(name="storage", quantity=200, unit="TB", unit_cost=25, months=10),
        ],
        staff=[StaffLine(role="researcher", headcount=4, annual_salary="240k", months=12,
                         burden=0)],
    )


def owned_charge(budget: Budget) -> float:
    result = compute_budget(budget)
    return math.fsum(float(it.amount) for it in result.items
                     if pool_of_item(it) == "cluster")


# --- months and spreading -------------------------------------------------------------------


def test_month_arithmetic() -> None:
    assert add_months("2026-11", 3) == "2027-02"
    assert add_months("2026-01", -1) == "2025-12"
    assert month_range("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert month_range("2026-03", "2026-02") == []


def test_spread_even_fractional_and_one_off() -> None:
    assert spread(1200.0, "2026-01", 12) == {f"2026-{m:02d}": 100.0 for m in range(1, 13)}
    assert spread(250.0, "2026-12", 2.5) == {"2026-12": 100.0, "2027-01": 100.0, "2027-02": 50.0}
    assert spread(7.0, "2026-05", None) == {"2026-05": 7.0}
    assert spread(7.0, "2026-05", 0.4) == {"2026-05": 7.0}


@given(st.one_of(st.none(), st.floats(min_value=0, max_value=600, allow_nan=False)))
def test_spread_weights_sum_to_one(months: float | None) -> None:
    weights = spread_weights(months)
    assert math.isclose(sum(weights), 1.0, rel_tol=1e-12)
    assert all(0 < w <= 1 for w in weights)
    if months is not None and months > 1:
        assert len(weights) == math.ceil(months - 1e-9)


# --- placing lines ----------------------------------------------------------------------------


def test_lines_are_placed_by_start_and_months() -> None:
    tl = build_timeline(owned_budget(), view="cash")
    lines = tl.line_frame()
    staff = lines.loc[("staff", "researcher", "staff.researcher")]
    # 4 × 240k / 12 = 80k a month, from the horizon start (no start month) for 12 months
    assert staff["2026-01"] == pytest.approx(80_000)
    assert staff["2026-12"] == pytest.approx(80_000)
    assert staff["total"] == pytest.approx(960_000)
    corpus = lines.loc[("data", "licensed corpus", "data.licensed corpus")]
    assert corpus["2026-02"] == pytest.approx(300_000)  # one-off, in its month
    assert corpus["total"] == pytest.approx(300_000)
    storage = lines.loc[("data", "storage", "data.storage")]
    assert storage["2026-01"] == pytest.approx(200 * 25)  # blank start → horizon start
    assert (storage[month_range("2026-01", "2026-10")] > 0).all()
    assert storage["2026-11"] == 0


def test_runs_spread_over_their_wall_clock_months() -> None:
    budget = owned_budget()
    result = compute_budget(budget)
    days = result.runs["main"]["wall_clock_days"]
    assert days == pytest.approx(1.5e6 / (GPUS * 24))  # 122.07 days = 4.01 months
    tl = build_timeline(budget, view="pnl", result=result)
    cloud = tl.line_frame().loc[("experiments", "Experiment: ablation", "runs.ablation")]
    # 40,000 GPU-h on 128 GPUs = 13 days: one-off in the cloud pool's start month
    assert cloud["2026-05"] == pytest.approx(40_000 * 2.5)
    assert cloud["total"] == pytest.approx(40_000 * 2.5)


def test_default_horizon_runs_to_the_last_month_a_line_touches() -> None:
    tl = build_timeline(owned_budget(term_months=15), view="cash")
    assert tl.horizon == Horizon("2026-01", "2027-03")  # the owned pool's 15-month term
    assert tl.months[0] == "2026-01" and len(tl.months) == 15


def test_no_start_month_anywhere_is_an_input_error() -> None:
    budget = Budget(staff=[StaffLine(role="a", headcount=1, annual_salary=1000)])
    with pytest.raises(InputError, match="no month to start"):
        build_timeline(budget)


def test_lines_before_the_drivers_start_month_are_refused_at_their_start_month() -> None:
    """A start month before the Drivers' start month (a mistyped year, say) would leave its cost
    out of the monthly plan: refused, naming every such input (issue 12)."""
    budget = owned_budget(horizon_start="2026-03")
    with pytest.raises(InputError, match="starts in 2026-01, before the budget's first month "
                       "2026-03") as info:
        build_timeline(budget, view="cash")
    assert info.value.code == "start_before_budget"
    assert info.value.report is not None
    keys = [e.field for e in info.value.report.errors]
    assert keys == ["pools.cluster.start_month", "data.licensed corpus.start_month"]


def test_lines_before_a_horizon_asked_for_are_outside_and_warned() -> None:
    budget = owned_budget()
    tl = build_timeline(budget, view="cash", horizon=("2026-03", "2026-12"))
    assert tl.horizon.start == "2026-03"
    assert tl.outside_total > 0
    assert any("before the horizon" in w for w in tl.warnings)
    assert tl.total + tl.outside_total == pytest.approx(tl.view_total)


# --- cash view --------------------------------------------------------------------------------


def test_cash_monthly_totals_sum_to_the_scenario_total() -> None:
    """Cash view: scenario total = model total − owned depreciation + purchase (capex × GPUs)."""
    budget = owned_budget()
    result = compute_budget(budget)
    expected = float(result.total) - owned_charge(budget) + CAPEX
    tl = build_timeline(budget, view="cash", result=result)
    frame = tl.frame()
    assert tl.outside_total == 0
    assert frame["total"].sum() == pytest.approx(expected, rel=1e-12)
    assert frame["cumulative"].iloc[-1] == pytest.approx(expected, rel=1e-12)
    assert tl.view_total == pytest.approx(expected, rel=1e-12)
    assert frame.loc["2026-01", "compute"] >= CAPEX  # the purchase, in the pool's start month
    purchase = [it for it in tl.lines if it.item == "Purchase: cluster"]
    assert len(purchase) == 1 and purchase[0].amount == pytest.approx(CAPEX)
    assert not any("Final run" in it.item for it in tl.lines)  # no depreciation in cash
    # families sum across, cumulative accumulates
    assert (frame[list(FAMILIES)].sum(axis=1) - frame["total"]).abs().max() < 1e-6


@settings(max_examples=25, deadline=None)
@given(term=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
       pool_offset=st.integers(min_value=0, max_value=10))
def test_cash_total_property(term: int | None, pool_offset: int) -> None:
    budget = owned_budget(term_months=term, pool_start=add_months("2026-01", pool_offset))
    result = compute_budget(budget)
    tl = build_timeline(budget, view="cash", result=result)
    expected = float(result.total) - owned_charge(budget) + CAPEX
    assert tl.outside_total == 0
    assert tl.frame()["total"].sum() == pytest.approx(expected, rel=1e-9)


# --- P&L view ---------------------------------------------------------------------------------


def test_pnl_depreciation_is_straight_line_over_the_life() -> None:
    tl = build_timeline(owned_budget(), view="pnl", horizon=60)
    dep = [e for e in tl.entries if e.item == "Depreciation: cluster"]
    per_month: dict[str, float] = {}
    for e in dep:
        per_month[e.month] = per_month.get(e.month, 0.0) + e.amount
    assert len(per_month) == LIFE_MONTHS  # 2026-01 .. 2029-12
    assert min(per_month) == "2026-01" and max(per_month) == "2029-12"
    for amount in per_month.values():
        assert amount == pytest.approx(CAPEX / LIFE_MONTHS)
    assert sum(per_month.values()) == pytest.approx(CAPEX)


@settings(max_examples=30, deadline=None)
@given(horizon_months=st.integers(min_value=1, max_value=72),
       pool_offset=st.integers(min_value=-20, max_value=30))
def test_pnl_depreciation_sums_to_the_capex_share_inside_the_horizon(
    horizon_months: int, pool_offset: int
) -> None:
    start = "2026-01"
    budget = owned_budget(pool_start=add_months(start, pool_offset))
    tl = build_timeline(budget, view="pnl", horizon=horizon_months)
    inside = math.fsum(e.amount for e in tl.entries if e.item == "Depreciation: cluster")
    overlap = max(0, min(pool_offset + LIFE_MONTHS, horizon_months) - max(pool_offset, 0))
    assert inside == pytest.approx(CAPEX * overlap / LIFE_MONTHS, rel=1e-9, abs=1e-6)
    assert tl.total + tl.outside_total == pytest.approx(tl.view_total, rel=1e-12)


def test_pnl_sums_to_the_model_total_when_owned_hardware_is_held_for_the_horizon() -> None:
    """Held for a 12-month term that is the horizon: straight-line = the model's monthly charge."""
    budget = owned_budget(term_months=12)
    result = compute_budget(budget)
    tl = build_timeline(budget, view="pnl", result=result)
    assert len(tl.horizon) == 12
    frame = tl.frame()
    assert frame["total"].sum() == pytest.approx(float(result.total), rel=1e-12)
    for family in FAMILIES:  # depreciation split between families as the model charges it
        assert frame[family].sum() == pytest.approx(float(result.totals[family]), rel=1e-9)


def test_pnl_splits_depreciation_between_families_as_the_model_does() -> None:
    budget = owned_budget(term_months=None)  # on-demand: charged only for runs and sweeps
    tl = build_timeline(budget, view="pnl")
    (owned,) = tl.owned
    # final run 1.5M GPU-h (compute) and sweeps 0.5 × that (experiments)
    assert owned.family_shares["compute"] == pytest.approx(2 / 3)
    assert owned.family_shares["experiments"] == pytest.approx(1 / 3)


def test_scenario_is_applied() -> None:
    budget = owned_budget().model_copy(update={"scenarios": {"Pricey": {
        "staff.researcher.annual_salary": 480_000.0}}})
    base = monthly_frame(budget, view="cash")
    pricey = monthly_frame(budget, view="cash", scenario="Pricey")
    assert pricey["staff"].sum() == pytest.approx(2 * base["staff"].sum())
    with pytest.raises(InputError, match="unknown scenario"):
        monthly_frame(budget, scenario="Nope")


def test_a_reserved_rented_pool_is_billed_evenly_over_its_term() -> None:
    budget = Budget(
        drivers=Drivers(start_month="2026-01"),
        pools=[GpuPool(name="reserved", gpu_type="H100", gpu_count=100, price_per_gpu_hour=2,
                       term_months=4, start_month="2026-02")],
        runs=[TrainingRun(name="main", gpu_hours=50_000, start_month="2026-03")],
    )
    tl = build_timeline(budget, view="cash")
    # 100 GPUs × 4 months × 730 h × $2, whatever the use: a flat invoice per month
    frame = tl.frame()
    monthly = 100 * 730 * 2.0
    assert list(frame.index) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert frame.loc["2026-01", "total"] == 0
    for month in ("2026-02", "2026-03", "2026-04", "2026-05"):
        assert frame.loc[month, "compute"] == pytest.approx(monthly)
