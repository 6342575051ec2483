"""Tornado (one input at a time) and scenario attribution, checked against hand arithmetic."""

from __future__ import annotations

import pytest
from costsheet.errors import InputError
from costsheet.inputs import FAMILIES, Budget, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.sensitivity import compare_scenarios, label_for, tornado
from costsheet.model.utilisation import published_mfu


def budget() -> Budget:
    """1M given GPU-hours at $2 (MFU cannot matter), sweeps at 0.5x, 10 people at $200k."""
    return Budget(
        drivers=Drivers(experiment_multiplier=0.5, staff_burden=0.3),
        pools=[GpuPool(name="cloud", gpu_type="H100", price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="final", pool="cloud", gpu_hours=1_000_000)],
        staff=[StaffLine(role="team", headcount=10, annual_salary=200_000, months=12)],
        scenarios={"Low": {"pools.cloud.price_per_gpu_hour": 1.5},
                   "High": {"pools.cloud.price_per_gpu_hour": 3.0,
                            "staff.team.headcount": 14}},
    )


def test_base_total_is_hand_computed() -> None:
    # compute 1M x $2 = 2M; sweeps 0.5 x 1M x $2 = 1M; staff 10 x 200k x 1.3 = 2.6M
    assert compute_budget(budget()).total == pytest.approx(5_600_000)


def test_tornado_order_and_swings_match_hand_computation() -> None:
    t = tornado(budget())
    swings = {b.key: b.swing for b in t.bars}
    # price from Low/High: 1M GPU-h x 1.5 (final + sweeps) x (3.0 - 1.5) = 2.25M
    assert swings["pools.cloud.price_per_gpu_hour"] == pytest.approx(2_250_000)
    # staff headcount: High sets 14, low is -20% = 8: 6 people x 260k = 1.56M
    assert swings["staff.team.headcount"] == pytest.approx(1_560_000)
    # experiment multiplier 0.4..0.6: 0.2 x 1M x $2 = 400k
    assert swings["experiment_multiplier"] == pytest.approx(400_000)
    # staff burden 0.24..0.36: 0.12 x 2M salaries = 240k
    assert swings["staff_burden"] == pytest.approx(240_000)
    order = [b.key for b in t.moving]
    assert order == ["pools.cloud.price_per_gpu_hour", "staff.team.headcount",
                     "experiment_multiplier", "staff_burden"]
    # GPU-hours are given, so MFU moves nothing (and, with the MFU driver blank since issue 11,
    # no run takes the default: no MFU bar at all); rented power is in the price
    assert swings.get("mfu", 0.0) == 0.0
    for key in ("kwh_price", "pue"):
        assert swings[key] == 0.0
    assert t.bars[: len(order)] == t.moving
    assert t.base == pytest.approx(5_600_000)


def test_tornado_ends_come_from_scenarios_else_the_default_swing() -> None:
    t = tornado(budget(), swing=0.5)
    bar = {b.key: b for b in t.bars}
    price = bar["pools.cloud.price_per_gpu_hour"]
    assert (price.low_value, price.high_value) == (1.5, 3.0)
    assert price.source == "Low scenario / High scenario"
    head = bar["staff.team.headcount"]
    assert (head.low_value, head.high_value) == (5.0, 14.0)
    assert head.source == "-50% / High scenario"
    burden = bar["staff_burden"]
    assert (burden.low_value, burden.high_value) == (0.15, 0.45)
    assert burden.source == "±50%"
    assert burden.at_low == pytest.approx(5_600_000 - 0.15 * 2_000_000)
    assert burden.label == "Staff burden"


def test_tornado_clips_to_valid_ranges() -> None:
    b = budget().model_copy(update={"drivers": Drivers(mfu=0.9, pue=1.1)})
    bar = {x.key: x for x in tornado(b).bars}
    assert bar["mfu"].high_value == 1.0
    assert bar["pue"].low_value == 1.0


def test_tornado_on_a_family_and_a_figure() -> None:
    t = tornado(budget(), target="staff")
    assert [b.key for b in t.moving] == ["staff.team.headcount", "staff_burden"]
    b = budget().model_copy(update={
        "pools": [GpuPool(name="cloud", gpu_type="H100", gpu_count=1000, price_per_gpu_hour=2)],
        "runs": [TrainingRun(name="final", pool="cloud", params="7B", tokens="2T")]})
    days = tornado(b, target="wall_clock_days")
    assert days.moving[0].key == "mfu"
    # the MFU driver is blank: its bar runs from published runs' P10 to P90 around their median
    published = published_mfu("H100")
    bar = days.moving[0]
    assert (bar.base_value, bar.low_value, bar.high_value) == pytest.approx(
        (published.point, published.p10, published.p90), abs=1e-4)
    assert bar.source == "published runs' P10 / P90"
    with pytest.raises(InputError, match="unknown target"):
        tornado(budget(), target="happiness")


def test_scenario_comparison_attributes_the_difference() -> None:
    comps = {c.name: c for c in compare_scenarios(budget())}
    high = comps["High"]
    assert high.base_total == pytest.approx(5_600_000)
    # price 3.0: 1.5M GPU-h x 3 = 4.5M compute+sweeps; 14 people: 3.64M staff
    assert high.total == pytest.approx(4_500_000 + 3_640_000)
    assert high.differences["staff"] == pytest.approx(1_040_000)
    assert high.differences["compute"] == pytest.approx(1_000_000)
    assert high.differences["experiments"] == pytest.approx(500_000)
    top = high.top()
    assert [a.key for a in top] == ["pools.cloud.price_per_gpu_hour", "staff.team.headcount"]
    assert top[0].effect == pytest.approx(1_500_000)
    assert top[0].label == "cloud: Rental price"
    assert (top[0].base_value, top[0].value) == (2.0, 3.0)
    assert high.interaction == pytest.approx(0.0, abs=1e-6)  # additive overrides
    assert sum(high.differences.values()) == pytest.approx(high.difference)
    assert set(high.totals) == set(FAMILIES)


def test_interacting_overrides_leave_an_interaction_term() -> None:
    b = budget().model_copy(update={"scenarios": {
        "Both": {"pools.cloud.price_per_gpu_hour": 4.0, "experiment_multiplier": 1.0}}})
    (c,) = compare_scenarios(b)
    # alone: price +2 on 1.5M GPU-h = +3M; multiplier +0.5 x 1M x $2 = +1M; together +5M
    effects = {a.key: a.effect for a in c.attributions}
    assert effects == pytest.approx({"pools.cloud.price_per_gpu_hour": 3_000_000,
                                     "experiment_multiplier": 1_000_000})
    assert c.difference == pytest.approx(5_000_000)
    assert c.interaction == pytest.approx(1_000_000)


def test_labels() -> None:
    assert label_for("mfu") == "Default MFU"
    assert label_for("drivers.kwh_price") == "Electricity price"
    assert label_for("staff.team.headcount") == "team: Headcount"
