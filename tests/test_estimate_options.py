"""`costsheet estimate`: the MFU band, the two energy conventions, price basis, experiments
(costsheet's extra multiple or Epoch AI's total multiple), owning inputs and a staff line."""

from __future__ import annotations

import json
from typing import Any

import costsheet
import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.model.utilisation import published_mfu


def run_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["estimate", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------------------------
# the P10-P90 band: only when the MFU comes from published runs


@pytest.mark.parametrize("gpu", ["H100", "A100", "H800", "TPU-v4", "B200"])
def test_band_brackets_the_point(gpu: str) -> None:
    est = costsheet.estimate(params="70B", tokens="2T", gpu=gpu)
    low, high = est.gpu_hours_range
    assert low < est.gpu_hours < high
    c_low, c_high = est.total_cost_range
    assert c_low < est.total_cost < c_high
    band = published_mfu(gpu)
    # GPU-hours scale with 1 / MFU: the band's high end comes from P10, its low end from P90
    assert high / est.gpu_hours == pytest.approx(band.point / band.p10)
    assert low / est.gpu_hours == pytest.approx(band.point / band.p90)
    assert est.mfu_basis == band.basis


@pytest.mark.parametrize("given", [["--mfu", "40%"], ["--gpu-hours", "1M"]])
def test_band_is_absent_when_mfu_or_gpu_hours_are_given(given: list[str]) -> None:
    data = run_json("--params", "70B", "--tokens", "2T", "--gpu", "H100", *given)
    assert "gpu_hours_range" not in data and "total_cost_range" not in data
    table = CliRunner().invoke(main, ["estimate", "--params", "70B", "--tokens", "2T",
                                      "--gpu", "H100", *given]).output
    assert "P10-P90" not in table


def test_band_in_the_table_and_json() -> None:
    data = run_json("--params", "70B", "--tokens", "2T", "--gpu", "H100")
    assert len(data["gpu_hours_range"]) == 2 and len(data["total_cost_range"]) == 2
    table = CliRunner().invoke(main, ["estimate", "--params", "70B", "--tokens", "2T",
                                      "--gpu", "H100"]).output
    low, high = data["gpu_hours_range"]
    assert f"P10-P90 range  {low:,.0f} to {high:,.0f}" in table
    assert "MFU from       median MFU of 20 published Hopper runs" in table


def test_partial_estimate_still_has_a_gpu_hours_band() -> None:
    est = costsheet.estimate(params="7B", tokens="2T", gpu="H100", price_basis="committed")
    assert est.total_cost is None and est.missing  # the catalog has no committed H100 price
    assert est.gpu_hours_range[0] < est.gpu_hours < est.gpu_hours_range[1]


def test_fp8_run_without_mfu_has_the_same_gpu_hours() -> None:
    bf16 = costsheet.estimate(params="70B", tokens="2T", gpu="H100")
    fp8 = costsheet.estimate(params="70B", tokens="2T", gpu="H100", precision="fp8")
    assert fp8.gpu_hours == pytest.approx(bf16.gpu_hours)
    assert fp8.gpu_hours_range == pytest.approx(bf16.gpu_hours_range)


# --------------------------------------------------------------------------------------------
# energy: the model cards' convention beside facility energy


def test_llama_31_405b_tdp_energy_is_the_model_cards() -> None:
    """Llama 3.1 model card: 30.84M H100-80GB GPU-hours at 700 W TDP → 21,588,000 kWh."""
    data = run_json("--gpu", "H100", "--gpu-hours", "30.84M", "--price", "2")
    assert data["gpu_tdp_energy_kwh"] == pytest.approx(21_588_000, rel=1e-12)
    # facility energy counts the server share, average draw and PUE: 955.5 W x 1.2
    assert data["energy_kwh"] == pytest.approx(30.84e6 * 700 * 1.82 * 0.75 * 1.2 / 1e3)


def test_tpu_v4_power_matches_palms_measurement() -> None:
    """PaLM (Chowdhery et al. 2022, App. B): 378.5 W measured average system power per chip."""
    est = costsheet.estimate(gpu="TPU-v4", gpu_hours="8,404,992", pue=1.08, price=1)
    assert est.inputs["power_w"] == pytest.approx(378.5, rel=0.002)
    assert est.energy_kwh == pytest.approx(8_404_992 * 378.5 * 1.08 / 1e3, rel=0.002)
    assert est.gpu_tdp_energy_kwh == pytest.approx(8_404_992 * 192 / 1e3)


# --------------------------------------------------------------------------------------------
# price basis


def test_committed_price_where_the_catalog_has_one() -> None:
    """Google Cloud TPU v4 (2023-06, via Epoch AI's price data): $3.22 on demand, $1.45 3-year."""
    on_demand = costsheet.estimate(gpu="TPU-v4", gpu_hours="1M")
    committed = costsheet.estimate(gpu="TPU-v4", gpu_hours="1M", price_basis="committed")
    assert on_demand.compute_cost == pytest.approx(3.22e6)
    assert committed.compute_cost == pytest.approx(1.45e6)
    assert "committed" in committed.result.items[0].basis
    data = run_json("--gpu", "TPU-v4", "--gpu-hours", "1M", "--price-basis", "committed")
    assert data["inputs"]["price_basis"] == "committed"
    assert data["inputs"]["price_per_gpu_hour"] == 1.45


def test_no_committed_price_asks_for_one() -> None:
    result = CliRunner().invoke(main, ["estimate", "--gpu", "H100", "--gpu-hours", "1M",
                                       "--price-basis", "committed"])
    assert result.exit_code == 0
    assert "--price: rent per GPU-hour (committed; the catalog has none for H100)" in result.output


def test_workbook_pool_without_a_committed_price_is_an_error() -> None:
    budget = costsheet.Budget(
        drivers=costsheet.Drivers(price_basis="committed"),
        pools=[costsheet.GpuPool(name="h100", gpu_type="H100")],
        runs=[costsheet.TrainingRun(name="main", gpu_hours="1M")])
    with pytest.raises(costsheet.InputError, match="no committed price.*H100"):
        costsheet.compute_budget(budget)


# --------------------------------------------------------------------------------------------
# experiments: extra multiple (costsheet) or total multiple (Epoch AI)


def test_epoch_total_multiple_equals_costsheet_extra_multiple() -> None:
    extra = costsheet.estimate(gpu="H100", gpu_hours="1M", price=2, experiments="1.2")
    total = costsheet.estimate(gpu="H100", gpu_hours="1M", price=2, experiments_total="2.2")
    assert extra.families["experiments"] == pytest.approx(1.2 * 1e6 * 2)
    assert total.families["experiments"] == pytest.approx(extra.families["experiments"])
    assert total.total_cost == pytest.approx(2.2 * 1e6 * 2)  # Epoch: total = 2.2 x final
    line = next(it for it in total.result.items if it.kind == "sweep")
    assert "2.2 total − 1" in line.basis and line.source == "drivers.experiments_total_multiple"


def test_both_experiment_conventions_at_once_are_refused() -> None:
    result = CliRunner().invoke(main, ["estimate", "--gpu", "H100", "--gpu-hours", "1M",
                                       "--experiments", "1.2", "--experiments-total", "2.2"])
    assert result.exit_code == 2
    assert "error: --experiments-total: give the experiments either as a total" in result.stderr
    budget = costsheet.Budget(
        drivers=costsheet.Drivers(experiment_multiplier=1.2, experiments_total_multiple=2.2),
        pools=[costsheet.GpuPool(name="h100", gpu_type="H100", price_per_gpu_hour=2)],
        runs=[costsheet.TrainingRun(name="main", gpu_hours="1M")])
    with pytest.raises(costsheet.InputError, match="experiments are given twice"):
        costsheet.compute_budget(budget)


def test_a_total_multiple_below_one_is_refused() -> None:
    result = CliRunner().invoke(main, ["estimate", "--gpu", "H100", "--gpu-hours", "1M",
                                       "--experiments-total", "0.5"])
    assert result.exit_code == 2 and "--experiments-total" in result.stderr


# --------------------------------------------------------------------------------------------
# owning inputs and a staff line: every field the JSON names can be filled


def test_server_premium_and_networking_share_flags() -> None:
    data = run_json("--gpu", "H100", "--gpu-hours", "1M", "--own", "--gpu-price", "30k",
                    "--server-premium", "1.54", "--networking-share", "19%", "--life-years",
                    "3.1")
    rate = 30_000 * 1.54 / (1 - 0.19) / (3.1 * 8760)  # Epoch AI's amortised capex
    assert data["compute_cost"] == pytest.approx(1e6 * rate)
    assert data["inputs"]["server_premium"] == 1.54
    assert data["inputs"]["networking_share"] == 0.19


def test_networking_share_typed_as_19_is_refused() -> None:
    result = CliRunner().invoke(main, ["estimate", "--gpu", "H100", "--gpu-hours", "1M",
                                       "--own", "--networking-share", "19"])
    assert result.exit_code == 2 and "error: --networking-share:" in result.stderr


def test_staff_line() -> None:
    # 10 people x $300,000 x (1 + 30% burden) x 6 / 12 = $1,950,000
    data = run_json("--gpu", "H100", "--gpu-hours", "1M", "--price", "2", "--staff", "10",
                    "--staff-salary", "300k", "--staff-months", "6")
    assert data["families"]["staff"] == pytest.approx(1_950_000)
    assert data["total_cost"] == pytest.approx(2e6 + 1_950_000)
    result = CliRunner().invoke(main, ["estimate", "--gpu", "H100", "--gpu-hours", "1M",
                                       "--staff", "10"])
    assert result.exit_code == 2 and "error: --staff-salary: is needed too" in result.stderr
