"""Properties of the cost model over randomly generated budgets (hypothesis).

- every amount (and every total) is non-negative;
- multiplying every price by 2 doubles the total;
- the families always sum to the total;
- more training tokens never cost less.
"""

from __future__ import annotations

from typing import Any

import pytest
from costsheet import (
    FAMILIES,
    Budget,
    Catalog,
    CostLine,
    Drivers,
    GpuPool,
    StaffLine,
    TrainingRun,
    compute_budget,
    default_catalog,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CATALOG = default_catalog()
GPU_KEYS = CATALOG.keys
BUYABLE = [s.key for s in CATALOG if s.purchase_price_per_gpu is not None]
SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def num(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def drivers(draw: st.DrawFn) -> Drivers:
    return Drivers(
        mfu=draw(num(0.1, 0.6)),
        pue=draw(num(1.0, 1.6)),
        avg_power_draw=draw(num(0.3, 1.0)),
        kwh_price=draw(num(0.0, 0.3)),
        grid_kg_co2_per_kwh=draw(num(0.0, 0.9)),
        depreciation_life_years=draw(num(1.0, 8.0)),
        server_premium=draw(num(1.0, 2.0)),
        networking_share=draw(num(0.0, 0.4)),
        colocation_per_kw_month=draw(num(0.0, 300.0)),
        experiment_multiplier=draw(num(0.0, 2.0)),
        interruption_rate_per_1000_gpu_days=draw(num(0.0, 2.0)),
        checkpoint_interval_hours=draw(num(0.0, 4.0)),
        restart_hours=draw(num(0.0, 2.0)),
        restart_probability=draw(num(0.0, 1.0)),
        restart_share_lost=draw(num(0.0, 1.0)),
        staff_burden=draw(num(0.0, 1.0)),
    )


@st.composite
def pools(draw: st.DrawFn) -> list[GpuPool]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        own = draw(st.booleans())
        reserved = draw(st.booleans())
        out.append(GpuPool(
            name=f"pool{i}",
            gpu_type=draw(st.sampled_from(BUYABLE if own else GPU_KEYS)),
            gpu_count=draw(st.integers(1, 20_000)) if reserved else draw(
                maybe(st.integers(1, 20_000))),
            ownership="own" if own else "rent",
            price_per_gpu_hour=None if own else draw(maybe(num(0.5, 10.0))),
            purchase_price_per_gpu=draw(maybe(num(5_000, 50_000))) if own else None,
            term_months=draw(num(1.0, 24.0)) if reserved else None,
            power_w=draw(maybe(num(200.0, 2_000.0))),
        ))
    return out


@st.composite
def runs(draw: st.DrawFn, pool_names: list[str]) -> list[TrainingRun]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["params", "moe", "flops", "gpu_hours"]))
        params = draw(num(1e8, 1e12))
        fields: dict[str, Any] = {}
        if how in ("params", "moe"):
            fields = {"params": params, "tokens": draw(num(1e9, 3e13))}
            if how == "moe":
                fields["active_params"] = params * draw(num(0.01, 1.0))
        elif how == "flops":
            fields = {"flops": draw(num(1e18, 1e26))}
        else:
            fields = {"gpu_hours": draw(num(1.0, 5e7)), "tokens": draw(maybe(num(1e9, 3e13)))}
        out.append(TrainingRun(
            name=f"run{i}",
            kind=draw(st.sampled_from(["final", "experiment"])),
            pool=draw(st.sampled_from(pool_names)),
            mfu=draw(maybe(num(0.1, 0.6))),
            precision=draw(st.sampled_from(["bf16", "fp8"])),
            count=draw(st.integers(1, 3)),
            **fields,
        ))
    return out


@st.composite
def cost_lines(draw: st.DrawFn, section: str) -> list[CostLine]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        out.append(CostLine(
            name=f"{section}{i}",
            family="data" if section == "data" else draw(st.sampled_from(FAMILIES)),
            quantity=draw(num(0.0, 1e6)),
            unit_cost=draw(num(0.0, 1e4)),
            months=draw(maybe(num(0.0, 36.0))),
            overhead=draw(num(0.0, 1.0)),
            currency=draw(st.sampled_from([None, "USD", "EUR"])),
        ))
    return out


@st.composite
def staff(draw: st.DrawFn) -> list[StaffLine]:
    return [
        StaffLine(
            role=f"role{i}",
            headcount=draw(num(0.0, 50.0)),
            annual_salary=draw(num(0.0, 1e6)),
            burden=draw(maybe(num(0.0, 1.0))),
            allocation=draw(num(0.0, 1.0)),
            months=draw(num(0.0, 36.0)),
            currency=draw(st.sampled_from([None, "EUR"])),
        )
        for i in range(draw(st.integers(0, 3)))
    ]


@st.composite
def budgets(draw: st.DrawFn) -> Budget:
    the_pools = draw(pools())
    return Budget(
        drivers=draw(drivers()),
        pools=the_pools,
        runs=draw(runs([p.name for p in the_pools])),
        data=draw(cost_lines("data")),
        staff=draw(staff()),
        other=draw(cost_lines("other")),
        fx_rates={"EUR": draw(num(0.5, 2.0))},
    )


def scale_prices(budget: Budget, k: float) -> tuple[Budget, Catalog]:
    """Every price × k: rental and purchase prices (the budget's and the catalog's), kWh and
    colocation prices, unit costs and salaries. Quantities, shares and rates stay."""

    def times(x: float | None) -> float | None:
        return None if x is None else x * k

    d = budget.drivers.model_copy(update={
        "kwh_price": budget.drivers.kwh_price * k,
        "colocation_per_kw_month": budget.drivers.colocation_per_kw_month * k,
    })
    scaled = budget.model_copy(update={
        "drivers": d,
        "pools": [p.model_copy(update={
            "price_per_gpu_hour": times(p.price_per_gpu_hour),
            "purchase_price_per_gpu": times(p.purchase_price_per_gpu)}) for p in budget.pools],
        "data": [c.model_copy(update={"unit_cost": c.unit_cost * k}) for c in budget.data],
        "other": [c.model_copy(update={"unit_cost": c.unit_cost * k}) for c in budget.other],
        "staff": [s.model_copy(update={"annual_salary": s.annual_salary * k})
                  for s in budget.staff],
    })
    catalog = CATALOG.with_overrides([
        {"key": s.key, "price_per_gpu_hour": times(s.price_per_gpu_hour),
         "purchase_price_per_gpu": times(s.purchase_price_per_gpu)}
        for s in CATALOG
    ])
    return scaled, catalog


@SETTINGS
@given(budgets())
def test_every_amount_is_non_negative(budget: Budget) -> None:
    result = compute_budget(budget)
    for it in result.items:
        assert it.amount >= 0, (it.item, it.basis)
        assert it.quantity >= 0, (it.item, it.basis)
        assert it.unit_cost >= 0, (it.item, it.basis)
    assert all(v >= 0 for v in result.totals.values())
    assert result.metrics["energy_kwh"] >= 0
    assert result.metrics["co2_kg"] >= 0
    for info in result.pools.values():
        if info.get("utilisation") is not None:
            assert info["utilisation"] >= 0


@SETTINGS
@given(budgets())
def test_families_sum_to_the_total(budget: Budget) -> None:
    result = compute_budget(budget)
    assert set(result.totals) == set(FAMILIES)
    assert sum(result.totals.values()) == pytest.approx(result.total, rel=1e-12, abs=1e-6)
    assert sum(it.amount for it in result.items) == pytest.approx(result.total, rel=1e-12,
                                                                  abs=1e-6)
    for family in FAMILIES:
        assert sum(it.amount for it in result.items if it.family == family) == pytest.approx(
            result.totals[family], rel=1e-12, abs=1e-6)


@SETTINGS
@given(budgets(), st.sampled_from([2.0, 0.5, 3.0]))
def test_scaling_every_price_scales_the_total(budget: Budget, k: float) -> None:
    base = compute_budget(budget)
    scaled, catalog = scale_prices(budget, k)
    result = compute_budget(scaled, catalog)
    assert result.total == pytest.approx(k * base.total, rel=1e-9, abs=1e-6)
    for family in FAMILIES:
        assert result.totals[family] == pytest.approx(k * base.totals[family], rel=1e-9,
                                                      abs=1e-6)
    # quantities do not depend on prices
    assert result.metrics["energy_kwh"] == pytest.approx(base.metrics["energy_kwh"])


@SETTINGS
@given(budgets(), st.data())
def test_more_tokens_never_cost_less(budget: Budget, data: st.DataObject) -> None:
    with_tokens = [i for i, r in enumerate(budget.runs) if r.tokens is not None]
    if not with_tokens:
        with_tokens = [0]
        budget.runs[0] = budget.runs[0].model_copy(update={
            "tokens": 1e12, "params": budget.runs[0].params or 7e9, "flops": None,
            "gpu_hours": None, "active_params": None})
    i = data.draw(st.sampled_from(with_tokens))
    factor = data.draw(num(1.0, 10.0))
    more = budget.model_copy(update={"runs": [
        r.model_copy(update={"tokens": r.tokens * factor}) if j == i else r
        for j, r in enumerate(budget.runs)]})
    before = compute_budget(budget)
    after = compute_budget(more)
    assert after.total >= before.total * (1 - 1e-12)
    # Not per family: on a reserved pool, sweeps of a longer run use idle capacity, so cost
    # moves from idle compute to experiments. GPU cost as a whole never falls.
    gpu_families = ("compute", "experiments")
    assert sum(after.totals[f] for f in gpu_families) >= sum(
        before.totals[f] for f in gpu_families) * (1 - 1e-12)
    for family in ("data", "staff"):
        assert after.totals[family] == before.totals[family]
    assert after.metrics["energy_kwh"] >= before.metrics["energy_kwh"] * (1 - 1e-12)


@SETTINGS
@given(budgets())
def test_renting_never_charges_electricity(budget: Budget) -> None:
    result = compute_budget(budget)
    rented = {p.name for p in budget.pools if p.ownership == "rent"}
    for it in result.items:
        if it.source.startswith("pools.") and it.source[6:] in rented:
            assert it.family != "power_facilities" or it.amount == 0, it.item
