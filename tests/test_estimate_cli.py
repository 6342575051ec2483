"""`costsheet estimate`: the JSON contract, human output, partial answers and bad input."""

from __future__ import annotations

import json
from typing import Any

import costsheet
import pytest
from click.testing import CliRunner, Result
from costsheet.cli import main
from costsheet.model.utilisation import published_mfu

JSON_KEYS = {"flops", "gpu_hours", "wall_clock_days", "compute_cost", "energy_kwh",
             "energy_cost", "co2_kg", "total_cost", "currency", "inputs"}
INPUT_KEYS = {"params", "active_params", "tokens", "flops", "gpu", "gpu_count", "mfu",
              "precision", "peak_flops", "gpu_hours", "own", "price_per_gpu_hour", "gpu_price",
              "server_premium", "networking_share", "life_years", "power_w", "pue", "kwh_price",
              "carbon", "currency"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["estimate", *args])


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def errors_of(result: Result) -> list[str]:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("tip: ")
    return [line for line in lines if line.startswith("error: ")]


# --------------------------------------------------------------------------------------------
# the JSON contract


def test_json_has_every_key_with_defaults_resolved() -> None:
    data = run_json("--params", "405B", "--tokens", "15.6T", "--gpu", "H100")
    assert JSON_KEYS <= set(data)
    assert data["wall_clock_days"] is None  # no --gpu-count
    assert data["currency"] == "USD"
    inputs = data["inputs"]
    assert INPUT_KEYS <= set(inputs)
    # defaults, resolved (MFU: published H100-class runs' median, with its P10-P90 band)
    mfu = published_mfu("H100")
    assert inputs["mfu"] == mfu.point
    assert data["mfu"] == mfu.point and "20 published Hopper runs" in data["mfu_basis"]
    assert inputs["pue"] == 1.2
    assert inputs["kwh_price"] == 0.08
    assert inputs["carbon"] == 0.4
    assert inputs["precision"] == "bf16"
    assert inputs["peak_flops"] == 989.4e12
    assert inputs["price_per_gpu_hour"] == 2.99  # the catalog's on-demand price
    assert inputs["power_w"] == pytest.approx(700 * 1.82 * 0.75)
    assert inputs["own"] is False and inputs["gpu_price"] is None
    assert inputs["params"] == 405e9 and inputs["tokens"] == 15.6e12
    # and every number is priced
    assert data["gpu_hours"] == pytest.approx(3.7908e25 / (989.4e12 * mfu.point * 3600))
    assert data["gpu_hours_range"] == pytest.approx(
        [3.7908e25 / (989.4e12 * m * 3600) for m in (mfu.p90, mfu.p10)])
    assert data["total_cost_range"] == pytest.approx([g * 2.99 for g in data["gpu_hours_range"]])
    assert data["gpu_tdp_energy_kwh"] == pytest.approx(data["gpu_hours"] * 0.7)
    assert data["compute_cost"] == pytest.approx(data["gpu_hours"] * 2.99)
    assert data["energy_kwh"] == pytest.approx(data["gpu_hours"] * inputs["power_w"] * 1.2 / 1e3)
    assert data["energy_cost"] == 0
    assert data["co2_kg"] == pytest.approx(data["energy_kwh"] * 0.4)
    assert data["total_cost"] == pytest.approx(data["compute_cost"])
    assert data["missing"] == []
    assert sum(data["families"].values()) == pytest.approx(data["total_cost"])


def test_wall_clock_days_with_a_gpu_count() -> None:
    data = run_json("--gpu", "H800", "--gpu-hours", "2.788M", "--price", "2",
                    "--gpu-count", "2,048")
    assert data["wall_clock_days"] == pytest.approx(2.788e6 / (2048 * 24))
    assert data["inputs"]["gpu_count"] == 2048


def test_owned_json_resolves_owning_inputs() -> None:
    data = run_json("--params", "70B", "--tokens", "2T", "--gpu", "A100", "--own",
                    "--life-years", "3.1", "--kwh-price", "0.1", "--carbon", "0.2")
    inputs = data["inputs"]
    assert inputs["own"] is True
    assert inputs["gpu_price"] == 15_000  # catalog
    assert inputs["server_premium"] == 1.6 and inputs["networking_share"] == 0.19
    assert inputs["life_years"] == 3.1
    assert inputs["price_per_gpu_hour"] is None
    rate = 15_000 * 1.6 / 0.81 / (3.1 * 8760)
    assert data["compute_cost"] == pytest.approx(data["gpu_hours"] * rate)
    assert data["energy_cost"] == pytest.approx(data["energy_kwh"] * 0.1)
    assert data["co2_kg"] == pytest.approx(data["energy_kwh"] * 0.2)
    assert data["total_cost"] == pytest.approx(data["compute_cost"] + data["energy_cost"])


def test_flops_given_directly_and_fp8() -> None:
    data = run_json("--flops", "3.8e25", "--gpu", "H100", "--mfu", "0.4")
    assert data["gpu_hours"] == pytest.approx(3.8e25 / (989.4e12 * 0.4 * 3600))
    fp8 = run_json("--flops", "3.8e25", "--gpu", "H100", "--mfu", "20%", "--fp8")
    assert fp8["inputs"]["precision"] == "fp8"
    assert fp8["gpu_hours"] == pytest.approx(3.8e25 / (1978.9e12 * 0.2 * 3600))


@pytest.mark.parametrize("gpu_hours", ["1,082,990", "1.08299M", "1082990", "1.08299e6"])
def test_numbers_in_every_form(gpu_hours: str) -> None:
    data = run_json("--gpu", "A100", "--gpu-hours", gpu_hours, "--price", "$1.50")
    assert data["gpu_hours"] == pytest.approx(1_082_990)
    assert data["total_cost"] == pytest.approx(1_082_990 * 1.5)


# --------------------------------------------------------------------------------------------
# --gpu may be left out; too little input says what else it needs


def test_gpu_may_be_omitted_with_gpu_hours_and_power() -> None:
    data = run_json("--gpu-hours", "2.788M", "--power-w", "1000", "--price", "2")
    assert data["inputs"]["gpu"] is None
    assert data["compute_cost"] == pytest.approx(5_576_000)
    assert data["total_cost"] == pytest.approx(5_576_000)
    assert data["energy_kwh"] == pytest.approx(2.788e6 * 1000 * 1.2 / 1000)
    assert data["energy_cost"] == 0
    assert data["co2_kg"] == pytest.approx(data["energy_kwh"] * 0.4)
    assert data["missing"] == []


def test_without_a_price_it_says_so() -> None:
    data = run_json("--gpu-hours", "2.788M", "--power-w", "1000")
    assert data["energy_kwh"] == pytest.approx(3_345_600)
    assert data["compute_cost"] is None and data["total_cost"] is None
    assert [m["args"] for m in data["missing"]] == [["price"]]
    human = run("--gpu-hours", "2.788M", "--power-w", "1000")
    assert human.exit_code == 0
    assert "To estimate the rest, also give:" in human.stdout
    assert "--price: rent per GPU-hour" in human.stdout


def test_params_and_tokens_alone_report_flops_and_what_else_is_needed() -> None:
    data = run_json("--params", "671B", "--active-params", "37B", "--tokens", "14.8T")
    assert data["flops"] == pytest.approx(3.2856e24, rel=1e-3)
    for key in ("gpu_hours", "compute_cost", "energy_kwh", "energy_cost", "co2_kg",
                "total_cost", "wall_clock_days"):
        assert data[key] is None, key
    needed = [m["args"] for m in data["missing"]]
    assert ["gpu", "gpu_hours"] in needed
    assert ["gpu", "power_w"] in needed
    human = run("--params", "671B", "--active-params", "37B", "--tokens", "14.8T")
    assert human.exit_code == 0
    assert "Training FLOPs" in human.stdout and "3.286e+24" in human.stdout
    assert "--gpu or --gpu-hours: to turn FLOPs into GPU-hours" in human.stdout
    assert "Total" not in human.stdout


def test_nothing_at_all_says_what_a_run_needs() -> None:
    data = run_json()
    needed = [m["args"] for m in data["missing"]]
    assert ["params and tokens", "flops", "gpu_hours"] in needed
    human = run()
    assert human.exit_code == 0
    assert "--params and --tokens or --flops or --gpu-hours" in human.stdout


def test_library_partial_estimate_matches() -> None:
    est = costsheet.estimate(params="405B", tokens="15.6T", gpu="H100", price=None,
                             gpu_count=16_384)
    assert est.missing == []
    assert est.wall_clock_days == pytest.approx(est.gpu_hours / (16_384 * 24))
    partial = costsheet.estimate(params="405B", tokens="15.6T", gpu_count=16_384)
    assert partial.total_cost is None and partial.gpu_hours is None
    assert partial.flops == pytest.approx(3.7908e25)


# --------------------------------------------------------------------------------------------
# human output


def test_human_table() -> None:
    result = run("--params", "671B", "--active-params", "37B", "--tokens", "14.8T",
                 "--gpu", "H800", "--gpu-count", "2048", "--gpu-hours", "2.788M",
                 "--price", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Training FLOPs", "2,788,000  (given)", "Implied MFU      33.1%",
                 "Wall-clock days  56.7  (2,048 GPUs)", "$5,576,000  ($2.00/GPU-h)",
                 "(in the rental price)", "Total            $5,576,000"):
        assert text in out, out


def test_human_table_owned() -> None:
    result = run("--gpu", "H100", "--gpu-hours", "1M", "--own")
    assert result.exit_code == 0, result.output
    assert "owned, depreciated" in result.stdout
    assert "(in the rental price)" not in result.stdout


def test_help_lists_every_flag() -> None:
    result = CliRunner().invoke(main, ["estimate", "--help"])
    assert result.exit_code == 0
    for flag in ("--params", "--active-params", "--tokens", "--flops", "--gpu", "--gpu-count",
                 "--mfu", "--gpu-hours", "--price", "--own", "--gpu-price", "--life-years",
                 "--power-w", "--pue", "--kwh-price", "--carbon", "--currency", "--json"):
        assert flag in result.stdout, flag


# --------------------------------------------------------------------------------------------
# bad input: exit 2, one `error: --flag: ...` line per problem, a tip, no traceback


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--mfu", "40"], "error: --mfu: looks like a percentage typed as 40; write 40% or 0.4"),
        (["--mfu", "0"], "error: --mfu: must be greater than 0"),
        (["--mfu", "150%"], "error: --mfu: must be at most 100%"),
        (["--tokens", "abc"], "error: --tokens: not a number (got 'abc')"),
        (["--params", "-7B"], "error: --params: must not be negative"),
        (["--gpu-count", "2.5"], "error: --gpu-count: must be a whole number"),
        (["--gpu-hours", "0"], "error: --gpu-hours: must be greater than 0"),
        (["--pue", "0.9"], "error: --pue: must be greater than or equal to 1"),
        (["--own", "--life-years", "0"], "error: --life-years: must be greater than 0"),
        (["--gpu-price", "30k"], "error: --gpu-price: is for owned GPUs: add own"),
        (["--own", "--price", "2"], "error: --price: is a rental price: leave it out with own"),
        (["--params", "7B", "--active-params", "37B"],
         "error: --active-params: more active parameters than parameters"),
        (["--currency", "dollars"], "error: --currency: not a currency code"),
        (["--gpu", "H100", "--currency", "EUR"],
         "error: --price: is needed in EUR: the catalog's prices are in USD"),
        (["--gpu", "H100", "--own", "--currency", "EUR"],
         "error: --gpu-price: is needed in EUR: the catalog's prices are in USD"),
    ],
)
def test_bad_input_names_the_flag(args: list[str], expected: str) -> None:
    errors = errors_of(run(*args))
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_unknown_gpu_lists_the_known_ones() -> None:
    (line,) = errors_of(run("--gpu", "H1000", "--gpu-hours", "1M"))
    assert line.startswith("error: --gpu: unknown GPU 'H1000': did you mean H100? (known: ")
    for key in costsheet.default_catalog().keys:
        assert key in line


def test_a_price_in_another_currency_is_refused_not_read_as_dollars() -> None:
    """`--price €2` in a USD estimate is not $2 (issue 12): refused, naming the flag."""
    (line,) = errors_of(run("--gpu", "H800", "--gpu-hours", "1M", "--price", "€2"))
    assert line.startswith("error: --price: € means EUR, but the amounts are in USD")
    assert run("--gpu", "H800", "--gpu-hours", "1M", "--price", "$2").exit_code == 0
    ok = run("--gpu", "H800", "--gpu-hours", "1M", "--price", "¥14", "--currency", "CNY",
             "--json")
    assert ok.exit_code == 0, ok.output
    (salary,) = errors_of(run("--gpu", "H800", "--gpu-hours", "1M", "--staff", "2",
                              "--staff-salary", "¥300,000"))
    assert salary.startswith("error: --staff-salary: ¥ means CNY or JPY, but the amounts are "
                             "in USD")


def test_one_line_per_problem() -> None:
    result = run("--mfu", "40", "--gpu", "H1000", "--tokens", "abc", "--pue", "x", "--json")
    errors = errors_of(result)
    assert [e.split(":")[1].strip() for e in errors] == ["--tokens", "--mfu", "--pue", "--gpu"]
    assert result.stdout == ""  # nothing half-printed, JSON or not


def test_library_raises_one_report_with_every_problem() -> None:
    with pytest.raises(costsheet.InputError) as info:
        costsheet.estimate(mfu="40", tokens="abc", gpu="H1000")
    report = info.value.report
    assert report is not None
    assert sorted(e.field for e in report.problems) == ["gpu", "mfu", "tokens"]
    assert all(e.sheet == "" and e.cell == "" for e in report.problems)
