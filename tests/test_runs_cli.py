"""`costsheet runs`: the published runs as a table or JSON, and a budget placed among them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.model.budget import compute_budget
from costsheet.model.comparison import compare_with_published
from costsheet.model.utilisation import calibration_runs
from costsheet.reference_runs import load_reference_runs
from sample_budgets import deepseek_v3_like

ROOT = Path(__file__).resolve().parents[1]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["runs", *args])
    return result.exit_code, result.stdout, result.stderr


def test_table_lists_every_run_with_its_implied_mfu() -> None:
    code, out, _ = invoke()
    assert code == 0
    runs = load_reference_runs()
    assert f"{len(runs)} runs." in out
    line = next(x for x in out.splitlines() if x.startswith("Llama 3.1 405B"))
    assert "30.84M" in line and "34.5%" in line and "all training stages" in line
    dbrx = next(x for x in out.splitlines() if x.startswith("DBRX"))
    assert "upper bound" in dbrx and "[not in statistics]" in dbrx


def test_filters() -> None:
    _, out, _ = invoke("--gpu", "H100", "--moe")
    models = [x.split("  ")[0] for x in out.splitlines()[1:] if x and not x[0].isdigit()]
    assert "DeepSeek-V3" in out and "Llama 4 Scout" in out  # H800 is H100-class
    assert "Llama 3.1 405B" not in out and "LLaMA 65B" not in out
    assert models
    _, dense, _ = invoke("--dense", "--gpu", "A100")
    assert "BLOOM" in dense and "DeepSeek" not in dense


def test_json_carries_sources_and_recomputed_mfu() -> None:
    code, out, _ = invoke("--json", "--gpu", "TPU-v4")
    assert code == 0
    data = json.loads(out)
    assert {d["id"] for d in data} == {"palm-540b", "glam-64b64e"}
    palm = next(d for d in data if d["id"] == "palm-540b")
    assert palm["source_url"] == "https://arxiv.org/abs/2204.02311"
    assert palm["gpu_hours"] == 8_404_992
    assert palm["implied_mfu"] == pytest.approx(6 * 540.35e9 * 780e9 / (8_404_992 * 3600 * 275e12))


def test_unknown_gpu_is_an_error_line_and_a_tip() -> None:
    code, _, err = invoke("--gpu", "H1000")
    assert code == 2
    assert err.startswith("error: unknown GPU 'H1000'") and "\ntip: " in err


def test_compare_places_a_budget_among_published_runs(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    shutil.copy(ROOT / "samples" / "deepseek-v3-like.xlsx", path)
    before = path.read_bytes()
    code, out, _ = invoke("--compare", str(path))
    assert code == 0, out
    assert path.read_bytes() == before  # never changed
    hopper = [c.mfu for c in calibration_runs() if c.generation == "Hopper"]
    # the sample gives DeepSeek-V3's GPU-hours for its final run: 6 x 37B x 14.8T / (2.788M x
    # 3,600 x 989.4 TFLOP/s) = 33.1% of the BF16 peak, between the Hopper runs below and above
    mfu = 6 * 37e9 * 14.8e12 / (2.788e6 * 3600 * 989.4e12)
    below = sum(m < mfu - 1e-9 for m in hopper)
    assert below == sum(m < 0.33 for m in hopper)
    assert f"your 33% MFU is above {below / 20:.0%} of published Hopper runs ({below} of 20" in out
    assert "price per GPU-hour" in out and "Only 2 published runs state a cost" in out
    code, out, _ = invoke("--compare", str(path), "--json")
    data = json.loads(out)
    assert data["gpu"] == "H800" and data["generation"] == "Hopper"
    assert [p["metric"] for p in data["placements"]] == [
        "mfu", "price_per_gpu_hour", "cost_per_million_tokens"]


def test_compare_refuses_a_workbook_with_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a workbook")
    code, _, err = invoke("--compare", str(path))
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err


def test_comparison_states_fp8_mfu_against_the_bf16_peak() -> None:
    budget = deepseek_v3_like()
    fp8 = budget.model_copy(update={"runs": [r.model_copy(update={"precision": "fp8"})
                                             for r in budget.runs]})
    bf16_place = compare_with_published(budget, compute_budget(budget)).placements[0]
    fp8_place = compare_with_published(fp8, compute_budget(fp8)).placements[0]
    assert fp8_place.value == pytest.approx(bf16_place.value)


def test_money_is_not_compared_across_currencies() -> None:
    budget = deepseek_v3_like()
    cny = budget.model_copy(update={
        "drivers": budget.drivers.model_copy(update={"currency": "CNY"}),
        "fx_rates": {"USD": 7.2}})
    comparison = compare_with_published(cny, compute_budget(cny))
    money = [p for p in comparison.placements if p.metric != "mfu"]
    assert all(p.value is None for p in money)
    assert any("CNY" in n for n in comparison.notes)


def test_post_training_stages_are_not_compared_with_published_pretraining() -> None:
    # published runs are pre-training: an RL or synthetic-data final run (issue 16) is neither
    # the run placed nor part of the compute cost per million tokens
    from costsheet import TrainingRun

    budget = deepseek_v3_like()
    base = compare_with_published(budget, compute_budget(budget))
    rl = TrainingRun(name="rl", pool=budget.runs[0].pool, stage="rl", params=671e9,
                     active_params=37e9, prompts=10_000_000, samples_per_prompt=16,
                     generated_tokens=8_000)
    staged = budget.model_copy(update={"runs": [*budget.runs, rl]})
    result = compute_budget(staged)
    assert result.runs["rl"]["gpu_hours"] > result.runs[base.run]["gpu_hours"]  # the largest
    comparison = compare_with_published(staged, result)
    assert comparison.run == base.run
    assert [p.value for p in comparison.placements] == [p.value for p in base.placements]
    only_rl = budget.model_copy(update={"runs": [rl]})
    with pytest.raises(ValueError, match="no final pre-training run"):
        compare_with_published(only_rl, compute_budget(only_rl))
