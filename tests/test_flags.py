"""costsheet/flags.py: one translation from flags to inputs, shared by `estimate` and `solve`.

The same flags give the same inputs, the same numbers and the same error lines in both
commands; library errors carry a key and the CLI shows it as the flag that sets it.
"""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner
from costsheet import flags
from costsheet.cli import main
from costsheet.errors import InputError
from costsheet.estimate import estimate
from costsheet.flags import FLAG_POOL, argument_for, flag_budget
from costsheet.model.budget import compute_budget
from costsheet.model.solve import biggest_run, goal_seek

RUN = ["--params", "70B", "--tokens", "1.4T", "--gpu", "H100", "--gpu-count", "1,024",
       "--mfu", "38%", "--pue", "1.3", "--kwh-price", "0.1"]


def errors(args: list[str]) -> list[str]:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    return [line for line in res.stderr.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("own", [False, True])
def test_estimate_and_flag_budget_are_the_same_budget(own: bool) -> None:
    kwargs = dict(params="70B", tokens="1.4T", gpu="H100", gpu_count="1,024", mfu="38%",
                  pue="1.3", kwh_price="0.1", own=own)
    est = estimate(**kwargs)
    budget = flag_budget(**kwargs)
    assert est.result is not None
    assert est.total_cost == pytest.approx(float(compute_budget(budget).total), rel=1e-12)
    assert est.result.metrics["gpu_hours"] == pytest.approx(
        float(compute_budget(budget).metrics["gpu_hours"]), rel=1e-12)


def test_both_commands_read_flags_through_flags_py(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []
    real = flags.parse_arguments

    def spy(raw: dict[str, object], report: object, *rest: object) -> dict[str, object]:
        calls.append(dict(raw))
        return real(raw, report, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(flags, "parse_arguments", spy)
    # `costsheet.estimate` the attribute is the function; the module is in sys.modules
    monkeypatch.setattr(importlib.import_module("costsheet.estimate"), "parse_arguments", spy)
    runner = CliRunner()
    assert runner.invoke(main, ["estimate", *RUN]).exit_code == 0
    assert runner.invoke(main, ["solve", "--target", "total=1M", "--vary", "mfu", *RUN]
                         ).exit_code == 0
    assert runner.invoke(main, ["solve", "chinchilla", "--budget", "1M", *RUN]).exit_code == 0
    assert len(calls) == 3
    assert all(c["params"] == "70B" and c["mfu"] == "38%" for c in calls)


def test_bad_flags_read_the_same_in_both_commands() -> None:
    bad = ["--params", "abc", "--tokens", "1.4T", "--mfu", "40", "--pue", "0.5",
           "--gpu", "H1000", "--currency", "XYZW"]
    in_estimate = errors(["estimate", *bad])
    in_solve = errors(["solve", "--target", "total=1M", "--vary", "mfu", *bad])
    assert in_estimate == in_solve
    assert in_estimate[:3] == [
        "error: --params: not a number (got 'abc')",
        "error: --mfu: looks like a percentage typed as 40; write 40% or 0.4 (got '40')",
        "error: --gpu: unknown GPU 'H1000': did you mean H100? (known: V100, A100-40GB, A100, "
        "A800, H100, H800, H200, B200, MI300X, TPU-v4, TPU-v5p) (got 'H1000')",
    ]
    assert "error: --pue: must be greater than or equal to 1 (got 0.5)" in in_estimate
    assert len(in_estimate) == 5  # the currency once, not once per input that carries it


def test_argument_for_maps_input_keys_of_a_flag_budget() -> None:
    assert argument_for("pools.cluster.price_per_gpu_hour") == "price"
    assert argument_for("pools.pool.purchase_price_per_gpu") == "gpu_price"
    assert argument_for("pools.cluster.gpu_type") == "gpu"
    assert argument_for("drivers.grid_kg_co2_per_kwh") == "carbon"
    assert argument_for("drivers.depreciation_life_years") == "life_years"
    assert argument_for("runs.run.tokens") == "tokens"
    assert argument_for("runs.run") is None
    assert argument_for("fx_rates.EUR") is None
    assert argument_for("other.licences.amount") is None
    # the flags estimate adds for issue 11: drivers and the one staff line
    assert argument_for("drivers.experiments_total_multiple") == "experiments_total"
    assert argument_for("drivers.experiment_multiplier") == "experiments"
    assert argument_for("drivers.networking_share") == "networking_share"
    assert argument_for("drivers.price_basis") == "price_basis"
    assert argument_for("staff.staff.annual_salary") == "staff_salary"
    assert argument_for("staff.staff.headcount") == "staff"


def test_estimate_only_arguments_are_reported_by_name_never_by_flag() -> None:
    cases = [
        (dict(experiments="1.2", experiments_total="2.2"), ["experiments_total"]),
        (dict(staff="10"), ["staff_salary"]),
        (dict(staff_salary="300k"), ["staff"]),
        (dict(staff_months="6"), ["staff_months"]),
        (dict(networking_share="19"), ["networking_share"]),  # a fraction typed as 19
        (dict(experiments_total="0.5"), ["experiments_total"]),  # total below 1
        (dict(price_basis="spot"), ["price_basis"]),
        (dict(staff="10", staff_salary="300k", staff_months="-1"), ["staff_months"]),
    ]
    for extra, fields in cases:
        with pytest.raises(InputError) as info:
            estimate(gpu="H100", gpu_hours="1M", price=2, **extra)  # type: ignore[arg-type]
        assert info.value.report is not None
        problems = info.value.report.problems
        assert [e.field for e in problems] == fields, (extra, [str(e) for e in problems])
        assert not any("--" in e.message for e in problems)


def test_library_errors_carry_a_key_never_a_flag() -> None:
    budget = flag_budget(params="70B", tokens="1.4T", gpu="H100")
    cases = [
        (lambda: goal_seek(budget, "total=1M", "mfu", low="abc"), "low"),
        (lambda: goal_seek(budget, "total=1M", "mfu", low=0.5, high=0.2), "vary"),
        (lambda: goal_seek(budget, "total", "mfu"), "target"),
        (lambda: goal_seek(budget, "total=Medium", "mfu"), "target"),
        (lambda: biggest_run("1M", budget, pool="nope"), "pool"),
        (lambda: biggest_run("1M", flag_budget(price=2)), f"pools.{FLAG_POOL}.gpu_type"),
    ]
    for call, key in cases:
        with pytest.raises(InputError) as info:
            call()
        assert info.value.key == key, info.value.message
        assert "--" not in info.value.message and "--" not in (info.value.hint or "")
    with pytest.raises(InputError) as info:
        biggest_run("lots", budget)
    assert info.value.report is not None
    assert [e.field for e in info.value.report.problems] == ["money"]


def test_the_cli_shows_keys_as_its_flags() -> None:
    assert errors(["solve", "--target", "total=1M", "--vary", "mfu", "--low", "abc",
                   *RUN]) == ["error: --low: not a number (got 'abc')"]
    assert errors(["solve", "chinchilla", "--budget", "lots", "--gpu", "H100"]) == [
        "error: --budget: not a number (got 'lots')"]  # the argument is money
    assert errors(["solve", "chinchilla", "--budget", "1M", "--price", "2"]) == [
        "error: --gpu: pool 'cluster': needs a GPU type to turn money into FLOPs"]
