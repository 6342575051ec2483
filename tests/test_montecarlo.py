"""Monte Carlo: distributions, vectorised simulation, percentiles and shares of the spread."""

from __future__ import annotations

import math

import numpy as np
import pytest
from costsheet.errors import InputError
from costsheet.inputs import FAMILIES, Budget, CostLine, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.montecarlo import (
    Distribution,
    make_distribution,
    parse_interval,
    rank,
    simulate,
    spearman,
    valid_range,
)
from costsheet.model.scenarios import apply_overrides
from costsheet.units import UnitError
from hypothesis import given, settings
from hypothesis import strategies as st


def budget(restart_probability: float = 0.0) -> Budget:
    """A DeepSeek-like rented run plus an owned experiment pool, staff and data."""
    return Budget(
        drivers=Drivers(mfu=0.4, experiment_multiplier=0.5,
                        interruption_rate_per_1000_gpu_days=0.47,
                        restart_probability=restart_probability, colocation_per_kw_month=150),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2.0),
               GpuPool(name="lab", gpu_type="H100", gpu_count=256, ownership="own",
                       term_months=12)],
        runs=[TrainingRun(name="v3", pool="h800", params="671B", active_params="37B",
                          tokens="14.8T", precision="fp8"),
              TrainingRun(name="abl", kind="experiment", pool="lab", params="7B",
                          tokens="1T", count=10)],
        data=[CostLine(name="crawl", quantity=3000, unit="TB", unit_cost=40, overhead=0.1)],
        staff=[StaffLine(role="researchers", headcount=50, annual_salary=200_000)],
    )


def test_degenerate_distributions_equal_the_deterministic_model_exactly() -> None:
    b = budget()
    det = compute_budget(b)
    u = {
        "mfu": Distribution.fixed(0.4),
        "pools.h800.price_per_gpu_hour": Distribution.uniform(2.0, 2.0),
        "kwh_price": Distribution.triangular(0.08, 0.08, 0.08),
        "pue": Distribution.pert(1.2, 1.2, 1.2),
        "experiment_multiplier": Distribution.normal(0.5, 0.0),
        "staff.researchers.headcount": Distribution.lognormal(50.0, 0.0),
        "data.crawl.unit_cost": make_distribution("normal", low=40, high=40),
    }
    risk = simulate(b, u, trials=1000, seed=7)
    assert np.all(risk.total == det.total)
    for f in FAMILIES:
        assert np.all(risk.families[f] == det.totals[f]), f
    s = risk.stats()
    assert s.p10 == s.p50 == s.p90 == s.mean == det.total


def test_degenerate_with_restart_risk_left_as_an_expected_cost() -> None:
    b = budget(restart_probability=0.1)
    det = compute_budget(b)
    risk = simulate(b, {"mfu": Distribution.fixed(0.4)}, trials=50, restart_draws=False)
    assert np.all(risk.total == det.total)


def test_symmetric_driver_mean_converges_to_the_deterministic_value() -> None:
    # The rental price enters the total linearly, so E[total] = total(E[price]).
    b = budget()
    det = compute_budget(b).total
    errors = []
    for n in (1_000, 10_000, 200_000):
        risk = simulate(b, {"pools.h800.price_per_gpu_hour": Distribution.normal(2.0, 0.3)},
                        trials=n, seed=11)
        se = float(risk.total.std()) / math.sqrt(n)
        err = abs(float(risk.total.mean()) - det)
        assert err < 4 * se, (n, err, se)
        errors.append(err / det)
    assert errors[-1] < 1e-3
    sym = simulate(b, {"pools.h800.price_per_gpu_hour": Distribution.uniform(1.5, 2.5)},
                   trials=200_000, seed=3)
    assert float(sym.total.mean()) == pytest.approx(det, rel=1e-3)


def test_same_seed_same_result_whatever_the_chunk_size() -> None:
    b = budget(restart_probability=0.05)
    u = {"mfu": parse_interval("0.35 to 0.45"),
         "pools.h800.price_per_gpu_hour": Distribution.triangular(1.6, 2.0, 2.8)}
    a = simulate(b, u, trials=5_000, seed=42)
    c = simulate(b, u, trials=5_000, seed=42, chunk_trials=777)
    d = simulate(b, u, trials=5_000, seed=43)
    assert np.array_equal(a.total, c.total)
    for f in FAMILIES:
        assert np.array_equal(a.families[f], c.families[f])
    assert a.to_dict() == c.to_dict()
    assert not np.array_equal(a.total, d.total)


dist_strategy = st.one_of(
    st.builds(lambda lo, w: Distribution.uniform(lo, lo + w),
              st.floats(0.2, 0.5), st.floats(0.0, 0.3)),
    st.builds(lambda lo, a, b: Distribution.triangular(lo, lo + a, lo + a + b),
              st.floats(0.2, 0.5), st.floats(0.0, 0.2), st.floats(0.0, 0.2)),
    st.builds(lambda lo, a, b: Distribution.pert(lo, lo + a, lo + a + b),
              st.floats(0.2, 0.5), st.floats(0.0, 0.2), st.floats(0.0, 0.2)),
    st.builds(Distribution.normal, st.floats(0.2, 0.6), st.floats(0.0, 0.3)),
    st.builds(Distribution.lognormal, st.floats(0.2, 0.6), st.floats(0.0, 1.0)),
)


@settings(max_examples=25, deadline=None)
@given(mfu=dist_strategy, price=dist_strategy, seed=st.integers(0, 2**32 - 1))
def test_percentiles_are_ordered(mfu: Distribution, price: Distribution, seed: int) -> None:
    risk = simulate(budget(restart_probability=0.1),
                    {"mfu": mfu, "pools.h800.price_per_gpu_hour": price}, trials=500, seed=seed)
    for name, s in risk.summary.items():
        assert s.min <= s.p10 <= s.p50 <= s.p80 <= s.p90 <= s.max, name
        assert s.min <= s.mean <= s.max, name
    edges, counts = risk.histogram(20)
    assert counts.sum() == 500 and len(edges) == 21
    curve = risk.s_curve(11)
    assert all(a[0] <= b[0] and a[1] < b[1] for a, b in zip(curve, curve[1:], strict=False))


def test_triangular_driver_p50_matches_its_analytic_median() -> None:
    # Triangular(1.5, 1.8, 3.0): mode below the midpoint, so median = b - sqrt((b-a)(b-c)/2).
    tri = Distribution.triangular(1.5, 1.8, 3.0)
    median = 3.0 - math.sqrt(1.5 * 1.2 / 2.0)
    assert tri.median() == pytest.approx(median, rel=1e-12)
    b = budget()
    risk = simulate(b, {"pools.h800.price_per_gpu_hour": tri}, trials=400_000, seed=5)
    draws = risk.draws["pools.h800.price_per_gpu_hour"]
    assert float(np.median(draws)) == pytest.approx(median, rel=2e-3)
    # The total rises with the price, so its median is the model at the price's median.
    at_median = compute_budget(apply_overrides(b, {"pools.h800.price_per_gpu_hour": median}))
    assert risk.percentile(50) == pytest.approx(at_median.total, rel=2e-3)
    assert risk.stats().p50 == risk.percentile(50)


def test_restart_risk_is_a_bernoulli_draw_in_the_tail() -> None:
    b = budget(restart_probability=0.05)
    det = compute_budget(b)
    risk = simulate(b, {}, trials=100_000, seed=9)
    flag = risk.draws["restart_probability"]
    assert set(np.unique(flag)) == {0.0, 1.0}
    assert flag.mean() == pytest.approx(0.05, abs=0.003)
    # 5% of trials pay for half of the final run again; the others pay nothing for it.
    exp = risk.families["experiments"]
    assert len(np.unique(exp)) == 2
    assert float(exp.mean()) == pytest.approx(det.totals["experiments"], rel=0.02)
    assert risk.percentile(90) < risk.percentile(99)
    assert risk.uncertainties["restart_probability"].kind == "bernoulli"


def test_uncertain_restart_probability_is_drawn_then_bernoulli() -> None:
    risk = simulate(budget(0.0), {"restart_probability": Distribution.uniform(0.0, 0.2)},
                    trials=100_000, seed=1)
    flag = risk.draws["restart_probability"]
    assert set(np.unique(flag)) <= {0.0, 1.0}
    assert flag.mean() == pytest.approx(0.1, abs=0.005)


def test_interval_text_is_a_90_percent_interval() -> None:
    d = parse_interval("0.35 to 0.45")
    assert d.kind == "lognormal"
    x = d.sample(np.random.default_rng(0), 200_000)
    assert (x < 0.35).mean() == pytest.approx(0.05, abs=0.003)
    assert (x > 0.45).mean() == pytest.approx(0.05, abs=0.003)
    assert parse_interval("35% to 45%").params == pytest.approx(d.params)
    assert parse_interval("$1.80 – $2.40").kind == "lognormal"
    n = parse_interval("-0.1 to 0.3")
    assert n.kind == "normal" and n.mean() == pytest.approx(0.1)
    y = n.sample(np.random.default_rng(1), 200_000)
    assert (y < -0.1).mean() == pytest.approx(0.05, abs=0.003)
    with pytest.raises(UnitError, match="reversed"):
        parse_interval("0.45 to 0.35")
    with pytest.raises(UnitError):
        parse_interval("cheap to dear")


def test_draws_are_clipped_to_valid_ranges() -> None:
    risk = simulate(budget(), {"mfu": Distribution.normal(0.4, 0.5),
                               "pools.h800.gpu_count": Distribution.normal(2048, 3000),
                               "kwh_price": Distribution.normal(0.05, 0.1)},
                    trials=20_000, seed=2)
    mfu = risk.draws["mfu"]
    assert mfu.min() > 0 and mfu.max() <= 1.0
    gpus = risk.draws["pools.h800.gpu_count"]
    assert gpus.min() >= 1 and np.all(gpus == np.rint(gpus))
    assert risk.draws["kwh_price"].min() >= 0
    assert np.all(np.isfinite(risk.total))
    assert valid_range("pue").low == 1.0
    assert valid_range("networking_share").high < 1.0
    assert valid_range("staff.x.burden").high == 10.0


def test_rank_and_spearman() -> None:
    assert rank(np.array([10.0, 30.0, 20.0, 20.0])).tolist() == [1.0, 4.0, 2.5, 2.5]
    x = np.random.default_rng(0).normal(size=1000)
    assert spearman(x, np.exp(3 * x)) == pytest.approx(1.0)
    assert spearman(x, -x) == pytest.approx(-1.0)
    assert spearman(x, np.ones_like(x)) == 0.0


def test_shares_of_the_spread_add_up_and_rank_the_drivers() -> None:
    b = budget()
    u = {"pools.h800.price_per_gpu_hour": Distribution.uniform(1.0, 3.0),  # dominant
         "kwh_price": Distribution.uniform(0.07, 0.09),  # tiny
         "mfu": Distribution.uniform(0.38, 0.42)}
    risk = simulate(b, u, trials=20_000, seed=4)
    contrib = risk.contributions()
    assert contrib[0].key == "pools.h800.price_per_gpu_hour"
    assert contrib[0].share > 0.9
    assert sum(c.share for c in contrib) == pytest.approx(1.0)
    by_key = {c.key: c for c in contrib}
    assert by_key["mfu"].rank_correlation < 0  # higher MFU, fewer GPU-hours, lower total
    assert by_key["kwh_price"].share < 0.01


def test_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="unknown pool"):
        simulate(budget(), {"pools.nope.price_per_gpu_hour": Distribution.fixed(1)}, trials=10)
    with pytest.raises(InputError, match="not a numeric input"):
        simulate(budget(), {"currency": Distribution.fixed(1)}, trials=10)
    with pytest.raises(InputError, match="trials"):
        simulate(budget(), {}, trials=0)
    with pytest.raises(InputError, match="needs mode"):
        make_distribution("triangular", low=1, high=2)
    with pytest.raises(InputError, match="out of order"):
        Distribution.uniform(2, 1)
    with pytest.raises(InputError, match="unknown distribution"):
        make_distribution("gamma", low=1, high=2)
    assert make_distribution("PERT", low=1, mode=2, high=4).mean() == pytest.approx(13 / 6)
    ln = make_distribution("lognormal", mean=2.0, sd=0.5)
    assert ln.mean() == pytest.approx(2.0)


def test_to_dict_is_json_ready() -> None:
    import json

    risk = simulate(budget(0.02), {"mfu": parse_interval("0.35 to 0.45")}, trials=2_000)
    data = json.loads(json.dumps(risk.to_dict()))
    assert data["trials"] == 2_000 and data["seed"] is not None
    assert set(data["stats"]) == {"total", *FAMILIES}
    assert sum(data["histogram"]["counts"]) == 2_000
    assert data["uncertainties"]["mfu"]["text"] == "0.35 to 0.45"
