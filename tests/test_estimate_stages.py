"""`estimate` and `solve` over the training stages: stage flags, the minimum GPU count, goal seek
on a stage's cost (how many RL samples fit in $500K?).

Golden figures: DeepSeek-R1 (Guo et al., Nature 645, 633-638, 2025, Supplementary B.4.4 and
Table 7): R1-Zero on 64 x 8 H800 GPUs for about 198 hours, $202K at $2 per GPU-hour; 10,400
steps x 32 questions x 16 outputs. Memory: 16 bytes a parameter for mixed-precision Adam
(ZeRO, Rajbhandari et al. 2020, Section 3.1): 405B x 16 B = 6.48 TB, at least 81 GPUs of 80 GB.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from costsheet.cli import main
from costsheet.estimate import estimate
from costsheet.flags import flag_budget
from costsheet.inputs import TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.memory import memory_fit
from costsheet.model.scenarios import apply_overrides
from costsheet.model.stages import group_totals, stage_totals

ROOT = Path(__file__).resolve().parent.parent

R1_ZERO = dict(stage="rl", params="671B", active_params="37B", gpu="H800", gpu_count=512,
               price=2, prompts="332.8K", samples_per_prompt=16)


def _cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output


def test_an_rl_stage_given_its_published_hours_costs_the_published_amount() -> None:
    est = estimate(gpu_hours=64 * 8 * 198, **R1_ZERO)  # type: ignore[arg-type]
    assert est.gpu_hours == 101_376
    assert est.total_cost == pytest.approx(202_752)
    assert abs(est.total_cost - 202_000) < 1_000  # Table 7: $202K
    assert est.stage == "rl"
    assert est.to_dict()["stage"] == "rl"


def test_an_rl_stage_from_its_inputs_uses_the_stage_formulas() -> None:
    est = estimate(generated_tokens="8K", **R1_ZERO)  # type: ignore[arg-type]
    b = flag_budget(generated_tokens="8K", **{k: v for k, v in R1_ZERO.items()})
    res = compute_budget(b)
    assert est.gpu_hours == pytest.approx(float(res.runs["run"]["gpu_hours"]))
    assert est.decode_mfu == 0.01  # the RL default (docs/model.md)
    assert est.gpu_hours_range is not None  # the update's MFU comes from published runs
    assert est.gpu_hours_range[0] < est.gpu_hours < est.gpu_hours_range[1]
    assert est.inputs["prompts"] == 332_800 and est.inputs["stage"] == "rl"


def test_a_stage_input_on_the_wrong_stage_is_refused_by_its_flag() -> None:
    code, out = _cli("estimate", "--params", "7B", "--tokens", "2T", "--gpu", "H100",
                     "--prompts", "10k")
    assert code == 2
    assert out.startswith("error: --prompts: applies to rl, synthetic_data, evaluation runs")
    code, out = _cli("estimate", "--params", "7B", "--gpu", "H100", "--stage", "rl")
    assert code == 0
    assert "--params and --prompts and --generated-tokens or --gpu-hours" in out


def test_estimate_prints_the_minimum_gpu_count() -> None:
    est = estimate("405B", "15.6T", gpu="H100", gpu_count=64, price=2)
    run = TrainingRun(name="run", params=405e9, tokens=15.6e12)
    fit = memory_fit(run, 80.0, 64)
    assert fit is not None and est.min_gpus == fit.min_gpus == 81  # 6.48 TB / 80 GB
    assert est.fits is False
    assert est.to_dict()["min_gpus"] == 81
    code, out = _cli("estimate", "--params", "405B", "--tokens", "15.6T", "--gpu", "H100",
                     "--gpu-count", "64", "--price", "2")
    assert code == 0
    assert "Min GPUs" in out and "81 H100 by memory; does NOT fit on 64" in out
    assert "not counted: activations" in out  # no layers, hidden size, sequence length
    data = json.loads(_cli("estimate", "--params", "7B", "--tokens", "2T", "--gpu", "H100",
                           "--json")[1])
    assert data["min_gpus"] == 2 and data["fits"] is None  # 7B x 16 B = 112 GB; no GPU count


def test_solve_how_many_rl_samples_fit_in_500k(tmp_path: Path) -> None:
    path = tmp_path / "k2.xlsx"
    shutil.copy(ROOT / "samples" / "k2-thinking-like.xlsx", path)
    code, out = _cli("solve", str(path), "--target", "rl<=500K", "--vary", "prompts", "--json")
    assert code == 0, out
    ans = json.loads(out)
    key = ans["key"]
    assert key == "runs.thinking-rl (illustrative).prompts"
    assert ans["samples"] == ans["value"] * 16
    from costsheet.workbook.reader import read_budget

    budget = read_budget(path).budget
    assert budget is not None

    def rl_cost(prompts: float) -> float:
        return float(stage_totals(compute_budget(apply_overrides(budget, {key: prompts})))["rl"])

    assert rl_cost(ans["value"]) <= 500_000 < rl_cost(ans["value"] + 1)  # the most that fit
    code, out = _cli("solve", str(path), "--target", "rl<=500K", "--vary", "prompts")
    assert "Prompts of at most" in out and "keeps the RL cost at or under $500,000" in out
    assert "Samples" in out


def test_solve_targets_a_group_of_stages() -> None:
    b = flag_budget(generated_tokens="8K", **R1_ZERO)
    from costsheet.model.solve import goal_seek

    ans = goal_seek(b, "post_training=300K", "runs.run.generated_tokens")
    got = group_totals(compute_budget(apply_overrides(
        b, {"runs.run.generated_tokens": ans.value})))["post-training"]
    assert got == pytest.approx(300_000, rel=1e-9)
    assert math.isclose(ans.achieved, 300_000, rel_tol=1e-9)
