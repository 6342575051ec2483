"""Goal seek and the biggest compute-optimal run: answers fed back into the model hit the target."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from costsheet.catalog import default_catalog
from costsheet.cli import main
from costsheet.errors import InputError
from costsheet.flags import biggest_run_from_arguments, flag_budget
from costsheet.inputs import Budget, Drivers, GpuPool, StaffLine, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.scenarios import apply_overrides
from costsheet.model.sensitivity import measure
from costsheet.model.solve import biggest_run, goal_seek, parse_target
from hypothesis import given, settings
from hypothesis import strategies as st


def budget() -> Budget:
    return Budget(
        drivers=Drivers(mfu=0.4, experiment_multiplier=0.3,
                        interruption_rate_per_1000_gpu_days=0.47),
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=2048, price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="v3", pool="h800", params="671B", active_params="37B",
                          tokens="14.8T", precision="fp8")],
        staff=[StaffLine(role="team", headcount=40, annual_salary=250_000)],
        scenarios={"High": {"mfu": 0.3, "pools.h800.price_per_gpu_hour": 2.5}},
    )


def feed_back(b: Budget, key: str, value: float, metric: str) -> float:
    return float(measure(compute_budget(apply_overrides(b, {key: value})), metric))


@pytest.mark.parametrize(("target", "vary", "key"), [
    ("total=20M", "mfu", "mfu"),
    ("total=25M", "price", "pools.h800.price_per_gpu_hour"),
    ("compute=3M", "tokens", "runs.v3.tokens"),
    ("gpu_hours=1.5M", "mfu", "mfu"),
    ("experiments=2M", "experiment_multiplier", "experiment_multiplier"),
    ("total=High", "pools.h800.price_per_gpu_hour", "pools.h800.price_per_gpu_hour"),
    ("staff=$13M", "staff.team.headcount", "staff.team.headcount"),
])
def test_answer_fed_back_hits_the_target(target: str, vary: str, key: str) -> None:
    b = budget()
    ans = goal_seek(b, target, vary)
    assert ans.key == key
    got = feed_back(b, key, ans.value, ans.target.metric)
    assert got == pytest.approx(ans.target.goal, rel=1e-3)
    assert ans.achieved == pytest.approx(ans.target.goal, rel=1e-9)


def test_scenario_goal_is_that_scenarios_total() -> None:
    high = compute_budget(apply_overrides(budget(), budget().scenarios["High"])).total
    assert parse_target("total=High", budget()).goal == pytest.approx(high)


def test_how_many_gpus_finish_in_60_days() -> None:
    b = budget()
    ans = goal_seek(b, "wall_clock_days=60", "gpus")
    assert ans.key == "pools.h800.gpu_count" and ans.whole
    n = ans.value
    assert n == int(n)
    assert feed_back(b, ans.key, n, "wall_clock_days") <= 60.0
    assert feed_back(b, ans.key, n - 1, "wall_clock_days") > 60.0
    assert ans.achieved == pytest.approx(60.0, rel=2e-3)


def test_mfu_that_keeps_the_total_under_a_cap() -> None:
    b = budget()
    ans = goal_seek(b, "total<=18M", "mfu")
    assert ans.direction == "at least"
    assert feed_back(b, "mfu", ans.value, "total") == pytest.approx(18e6, rel=1e-3)
    assert feed_back(b, "mfu", ans.value * 1.05, "total") < 18e6
    assert "at least" in ans.statement and "at or under $18,000,000" in ans.statement


def test_rent_price_that_costs_the_same_as_owning() -> None:
    b = flag_budget(params="70B", tokens="1.4T", gpu="H100", gpu_count=1024)
    ans = goal_seek(b, "total=own", "price")
    # Owning one H100-hour: $30,000 x 1.6 server / (1 - 19% networking) / (4 x 8,760 h)
    # plus electricity: 700 W x 1.82 x 75% draw x PUE 1.2 / 1000 x $0.08/kWh
    h100 = default_catalog().get("H100")
    capex = h100.purchase_price_per_gpu * 1.6 / (1 - 0.19) / (4 * 8760)
    power = h100.tdp_w * h100.server_power_ratio * 0.75 * 1.2 / 1000 * 0.08
    assert ans.value == pytest.approx(capex + power, rel=1e-3)
    owned = apply_overrides(b, {"pools.cluster.ownership": "own"})
    assert ans.achieved == pytest.approx(compute_budget(owned).total, rel=1e-3)


def test_unreachable_target_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"cannot reach total = \$1\.00 by varying Default MFU"):
        goal_seek(budget(), "total=1", "mfu")
    with pytest.raises(InputError, match="it ranges from"):
        goal_seek(budget(), "total=20M", "mfu", low=0.5, high=0.6)
    with pytest.raises(InputError, match="not METRIC=VALUE"):
        goal_seek(budget(), "twenty million", "mfu")
    with pytest.raises(InputError, match="not a number, a scenario"):
        goal_seek(budget(), "total=Medium", "mfu")
    with pytest.raises(InputError, match="unknown input key"):
        goal_seek(budget(), "total=20M", "price_of_tea")


@settings(max_examples=30, deadline=None)
@given(money=st.floats(1e4, 1e10), price=st.floats(0.5, 10.0), mfu=st.floats(0.1, 0.7),
       gpu=st.sampled_from(["H100", "A100", "B200", "MI300X"]))
def test_biggest_run_spends_the_money_compute_optimally(money: float, price: float, mfu: float,
                                                        gpu: str) -> None:
    ans = biggest_run_from_arguments(money, gpu=gpu, price=price, mfu=mfu, gpu_count=1024)
    spec = default_catalog().get(gpu)
    flops = money / price * 3600 * spec.peak_flops("bf16") * mfu
    assert ans.flops == pytest.approx(flops, rel=1e-9)
    assert ans.params == pytest.approx(math.sqrt(flops / 120), rel=1e-9)
    assert ans.tokens == pytest.approx(20 * ans.params, rel=1e-12)
    assert 6 * ans.params * ans.tokens == pytest.approx(flops, rel=1e-9)
    assert ans.model_run_cost == pytest.approx(money, rel=1e-3)
    assert ans.wall_clock_days == pytest.approx(money / price / 1024 / 24, rel=1e-9)


def test_biggest_run_on_a_budget_pool_and_owned_hardware() -> None:
    ans = biggest_run("5M", budget(), pool="h800")
    assert ans.precision == "fp8" and ans.mfu == 0.4
    assert ans.model_run_cost == pytest.approx(5e6, rel=1e-3)
    assert ans.model_total > ans.model_run_cost  # interruptions and sweeps on top
    own = biggest_run_from_arguments("5M", gpu="H100", own=True, mfu="40%")
    assert own.ownership == "own" and own.price_per_gpu_hour == pytest.approx(
        30_000 * 1.6 / 0.81 / (4 * 8760))
    assert own.model_run_cost == pytest.approx(5e6, rel=1e-3)


def test_cli_solve_prints_and_json() -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["solve", "chinchilla", "--budget", "5M", "--gpu", "H100",
                               "--price", "2", "--mfu", "40%", "--gpu-count", "2048"])
    assert res.exit_code == 0, res.output
    assert "compute-optimal run of 172.3B parameters on 3.446T tokens" in res.output
    assert "Wall-clock days" in res.output
    res = runner.invoke(main, ["solve", "--target", "wall_clock_days=60", "--vary", "gpus",
                               "--params", "70B", "--tokens", "1.4T", "--gpu", "H100",
                               "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["key"] == "pools.cluster.gpu_count" and data["whole"] is True
    assert data["achieved"] <= 60.0


def test_cli_solve_errors_exit_2_without_traceback() -> None:
    runner = CliRunner()
    cases = [
        (["solve", "chinchilla", "--budget", "5Q", "--gpu", "H100", "--mfu", "40"],
         ["error: --budget: not a number", "error: --mfu: looks like a percentage"]),
        (["solve", "--target", "total=1", "--vary", "mfu", "--params", "7B", "--tokens", "1T",
          "--gpu", "H100"], ["error: cannot reach total"]),
        (["solve", "--vary", "mfu"], ["error: give --target and --vary"]),
        (["solve", "chinchilla", "--gpu", "H100"], ["error: chinchilla needs --budget"]),
    ]
    for args, expected in cases:
        res = runner.invoke(main, args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
        for text in expected:
            assert text in res.output, (args, res.output)
