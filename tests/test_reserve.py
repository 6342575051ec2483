"""Contingency is not cash (issue 12): the restart risk (an expected value) is held as a reserve
beside the monthly plan, used by actuals booked against it and released once its run has ended;
the latest estimate says whether it counts the reserve; the Monthly totals reconcile with the
model's total step by step; closed months without actuals and months outside the budget are
said, not silently counted."""

from __future__ import annotations

import math

import pytest
from costsheet.errors import InputError
from costsheet.inputs import ActualLine, Budget, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.booking import ActualsError
from costsheet.model.budget import compute_budget
from costsheet.model.timeline import build_timeline
from costsheet.model.variance import compute_variance
from hypothesis import given, settings
from hypothesis import strategies as st


def budget(probability: str = "10%", term: float | None = 3, owned: bool = False,
           pool_start: str = "2026-02") -> Budget:
    pools = [GpuPool(name="h100", gpu_type="H100", gpu_count=256, price_per_gpu_hour=2.0,
                     term_months=term, start_month=pool_start)]
    if owned:
        pools = [GpuPool(name="h100", gpu_type="H100", gpu_count=256, ownership="own",
                         purchase_price_per_gpu=25_000, term_months=term,
                         start_month=pool_start)]
    return Budget(
        drivers=Drivers(start_month="2026-01", restart_probability=probability,
                        experiment_multiplier=0.2),
        pools=pools,
        runs=[TrainingRun(name="main", pool="h100", gpu_hours=300_000, start_month=pool_start)],
        staff=[StaffLine(role="researcher", headcount=2, annual_salary=240_000)],
    )


def restart_amount(b: Budget) -> float:
    return float(next(it.amount for it in compute_budget(b).items if it.kind == "restart_risk"))


def test_the_reserve_is_not_spread_over_the_months() -> None:
    b = budget()
    tl = build_timeline(b)
    assert not any(e.kind == "restart_risk" for e in tl.entries)
    (reserve,) = tl.reserve
    assert reserve.amount == pytest.approx(restart_amount(b))
    assert (reserve.start, reserve.end) == ("2026-02", "2026-03")  # the run's months
    assert tl.total == pytest.approx(tl.model_total - tl.reserve_total)


def test_restart_risk_reads_as_a_finance_reader_expects() -> None:
    line = next(it for it in compute_budget(budget()).items if it.kind == "restart_risk")
    assert line.basis.startswith("expected cost of a restart: 10.0% chance × $")
    assert "held as a reserve" in line.basis
    assert "0.10 probability" not in line.basis


def test_reserve_not_yet_used_then_released_when_the_run_has_ended() -> None:
    b = budget()
    amount = restart_amount(b)
    during = compute_variance(b, [ActualLine(month="2026-02", family="staff", amount=50_000)])
    (row,) = during.reserve_rows
    assert (row.used, row.released, row.not_yet_used) == (0.0, 0.0, pytest.approx(amount))
    assert during.reserve_not_yet_used == pytest.approx(amount)
    assert during.latest_estimate == pytest.approx(
        during.latest_estimate_without_reserve + amount)
    assert during.latest_of("reserve").latest_estimate == pytest.approx(amount)
    after = compute_variance(b, [ActualLine(month="2026-04", family="staff", amount=50_000)])
    (row,) = after.reserve_rows
    assert row.released == pytest.approx(amount) and row.not_yet_used == 0
    assert row.status == "released"
    assert after.latest_of("reserve").change == pytest.approx(-amount)  # landing under budget


def test_a_restart_paid_from_the_reserve_uses_it() -> None:
    b = budget()
    amount = restart_amount(b)
    v = compute_variance(b, [ActualLine(month="2026-02", family="compute", item="reserve",
                                        amount=amount / 4, note="rerun after divergence")])
    (row,) = v.reserve_rows  # the run ends in 2026-03: the rest is not yet used
    assert row.used == pytest.approx(amount / 4)
    assert row.not_yet_used == pytest.approx(amount * 3 / 4)
    compute = next(r for r in v.monthly_rows if r.month == "2026-02" and r.family == "compute")
    assert compute.actual == 0  # paid from the reserve, not from the cash plan
    named = compute_variance(b, [ActualLine(month="2026-03", item="restart risk (expected): "
                                            "MAIN", amount=2 * amount)])
    assert named.reserve_rows[0].used == pytest.approx(2 * amount)
    assert named.reserve_rows[0].status == "used up"
    assert named.latest_of("reserve").change == pytest.approx(amount)  # over the reserve


def test_experiments_are_not_minus_100_percent_when_spend_is_on_plan() -> None:
    """The issue's story: the reserve budgeted as cash made Experiments -100%."""
    b = budget()
    tl = build_timeline(b)
    planned = {(e.family): 0.0 for e in tl.entries}
    rows = []
    for e in tl.entries:
        if e.month <= "2026-03" and e.amount:
            rows.append(ActualLine(month=e.month, family=e.family, item=e.item, amount=e.amount))
            planned[e.family] += e.amount
    v = compute_variance(b, rows, as_of="2026-03")
    for r in v.monthly_rows:
        if r.status == "actual" and r.budget:
            assert r.variance_pct == pytest.approx(0.0, abs=1e-12), r
    assert v.latest_estimate_without_reserve == pytest.approx(
        v.full_budget - tl.reserve_total)


@settings(max_examples=30, deadline=None)
@given(term=st.one_of(st.none(), st.integers(min_value=1, max_value=24)),
       owned=st.booleans(), offset=st.integers(min_value=0, max_value=6),
       probability=st.sampled_from(["0%", "5%", "50%"]))
def test_the_monthly_total_reconciles_with_the_models(term: int | None, owned: bool,
                                                      offset: int, probability: str) -> None:
    b = budget(probability, term, owned, f"2026-{1 + offset:02d}")
    for view in ("cash", "pnl"):
        tl = build_timeline(b, view=view)
        steps = tl.reconciliation()
        assert tl.model_total + math.fsum(s.amount for s in steps) == pytest.approx(
            tl.total, rel=1e-9, abs=1e-6)
        if owned and view == "pnl" and term is not None and term >= 2:  # no excess use
            (dep,) = [s for s in steps if s.label.startswith("of which depreciation")]
            monthly = 25_000 * 1.6 / (1 - 0.19) * 256 / 48
            inside = min(48, len(tl.months) - offset)
            assert dep.amount == pytest.approx(monthly * (inside - term), rel=1e-6, abs=1e-3)


def test_a_closed_month_without_actuals_for_a_family_is_warned() -> None:
    v = compute_variance(budget(), [ActualLine(month="2026-02", family="staff", amount=40_000)])
    (warning,) = [w for w in v.warnings if w.startswith("2026-02 is closed")]
    assert warning.startswith("2026-02 is closed (actuals to 2026-02) but has no actuals for "
                              "Hardware / compute ($")
    assert "Experiments and failures" in warning
    assert "2026-01" in " ".join(v.warnings)  # staff budgeted in January, nothing booked


def test_months_outside_the_budget_are_refused() -> None:
    b = budget()
    with pytest.raises(ActualsError) as info:
        compute_variance(b, [ActualLine(month="2026-02", family="staff", amount=1),
                             ActualLine(month="2027-02", family="staff", amount=1)])
    (problem,) = info.value.problems
    assert (problem.index, problem.field, problem.code) == (1, "month", "month_outside_budget")
    with pytest.raises(InputError) as as_of:
        compute_variance(b, [], as_of="2027-01")
    assert as_of.value.code == "as_of_outside_budget" and as_of.value.key == "as_of"


def test_several_final_runs_weight_mfu_and_goodput_by_gpu_hours() -> None:
    b = Budget(
        drivers=Drivers(interruption_rate_per_1000_gpu_days=0.5),
        pools=[GpuPool(name="a", gpu_type="H100", gpu_count=1024, price_per_gpu_hour=2),
               GpuPool(name="b", gpu_type="H100", gpu_count=64, price_per_gpu_hour=2)],
        runs=[TrainingRun(name="big", pool="a", params=70e9, tokens=2e12, mfu=0.40),
              TrainingRun(name="small", pool="b", params=7e9, tokens=1e12, mfu=0.20)])
    r = compute_budget(b)
    big, small = r.runs["big"], r.runs["small"]
    hours = big["gpu_hours"] + small["gpu_hours"]
    assert r.metrics["mfu"] == pytest.approx(
        (0.40 * big["gpu_hours"] + 0.20 * small["gpu_hours"]) / hours)
    lost = big["interruption_gpu_hours"] + small["interruption_gpu_hours"]
    assert r.metrics["goodput"] == pytest.approx(hours / (hours + lost))
    assert r.metrics["mfu"] != pytest.approx(0.40)  # not the first run's
