"""Training stages: each stage's FLOPs, decode utilisation, given GPU-hours, DeepSeek-R1's RL bill.

Golden figures come from the DeepSeek-R1 paper as published in Nature (Guo et al. 2025,
"DeepSeek-R1 incentivizes reasoning in LLMs through reinforcement learning", Nature 645,
633-638; Supplementary Information B.4.4 "Training Cost" and Table 7; the same text is in arXiv
2501.12948 v2): R1-Zero on 64 × 8 H800 GPUs for about 198 hours, R1 on the same GPUs for about
80 hours, 5K GPU-hours to create the SFT data; 101K + 5K + 41K = 147K H800 GPU-hours, $202K +
$10K + $82K = $294K at $2 per GPU-hour. Its RL inputs (Section 2.1): 10,400 steps of 32
questions × 16 sampled outputs, at most 32,768 tokens (65,536 after step 8.2K). The mean
response length is only drawn (Figure 1b), not stated, so the RL FLOPs cannot be rebuilt from
published inputs alone: the GPU-hours path is the one tested against the paper.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from costsheet import (
    Budget,
    Drivers,
    GpuPool,
    InputError,
    TrainingRun,
    compute_budget,
    default_catalog,
)
from costsheet.model.compute import run_mfu
from costsheet.model.montecarlo import Distribution, simulate
from costsheet.model.sensitivity import tornado
from costsheet.model.solve import goal_seek
from costsheet.model.stages import (
    DEFAULT_DECODE_MFU,
    DEFAULT_RL_DECODE_MFU,
    RL_ASSUMED_MEAN_TOKENS,
    RL_DECODE_MFU_RANGE,
    RL_RANGE_TOKENS,
    STAGE_GROUPS,
    STAGE_LABELS,
    default_decode_mfu,
    inference_flops,
    stage_totals,
    stage_work,
)
from costsheet.model.utilisation import published_mfu
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from test_model_properties import SETTINGS, budgets

H100 = default_catalog().get("H100")
H800 = default_catalog().get("H800")
PEAK = 989.4e12  # H100 and H800 dense BF16, FLOP/s (catalog and datasheets)


def hours(flops: float, mfu: float, peak: float = PEAK) -> float:
    return flops / (peak * mfu * 3600.0)


def one_run(price: float = 2.0, gpu: str = "H100", gpus: int | None = 1024,
            drivers_mfu: float | None = 0.40, **run: Any) -> Budget:
    """One run on one pool. The stage arithmetic is checked at a stated default MFU of 40%; a
    blank one (the published runs' median, issue 11) is ``drivers_mfu=None``."""
    return Budget(drivers=Drivers(mfu=drivers_mfu),
                  pools=[GpuPool(name="p", gpu_type=gpu, gpu_count=gpus,
                                 price_per_gpu_hour=price)],
                  runs=[TrainingRun(name=run.pop("name", "r"), **run)])


def compute_item(budget: Budget) -> Any:
    res = compute_budget(budget)
    [it] = [it for it in res.items if it.family in ("compute", "experiments")
            and it.unit == "GPU-hour" and it.source.startswith("runs.")]
    return res, it


# --------------------------------------------------------------------------------------------
# inputs


def test_stage_blank_is_pretraining_and_spellings_are_read() -> None:
    assert TrainingRun(name="a", params=7e9, tokens=1e12).stage == "pretraining"
    for typed, stage in [("GRPO", "rl"), ("强化学习", "rl"), ("long-context", "midtraining"),
                         ("DPO", "preference"), ("synthetic data", "synthetic_data"),
                         ("eval", "evaluation"), ("蒸馏", "distillation"), ("SFT", "sft")]:
        assert TrainingRun(name="a", stage=typed, gpu_hours=1).stage == stage
    with pytest.raises(ValidationError, match="must be one of"):
        TrainingRun(name="a", stage="pretending", gpu_hours=1)


@pytest.mark.parametrize("fields,msg", [
    ({"stage": "pretraining", "params": 7e9, "tokens": 1e12, "prompts": 100},
     "prompts: applies to rl"),
    ({"stage": "sft", "params": 7e9, "tokens": 1e12, "samples_per_prompt": 4},
     "samples_per_prompt: applies to rl"),
    ({"stage": "synthetic_data", "params": 7e9, "tokens": 1e12},
     "tokens: applies to pretraining"),
    ({"stage": "rl", "params": 7e9, "prompts": 10, "generated_tokens": 10,
      "teacher_params": 7e10}, "teacher_params: applies to distillation"),
    ({"stage": "evaluation", "flops": 1e20}, "flops: applies to pretraining"),
    ({"params": 7e9, "tokens": 1e12, "attention_heads": 8, "kv_heads": 16},
     "more key/value heads"),
])
def test_an_input_another_stage_uses_is_refused_not_ignored(fields: dict[str, Any],
                                                           msg: str) -> None:
    with pytest.raises(ValidationError, match=msg):
        TrainingRun(name="a", **fields)


def test_labels_and_groups_cover_every_stage() -> None:
    stages = set(TrainingRun.model_fields["stage"].annotation.__args__)  # type: ignore[union-attr]
    assert set(STAGE_LABELS) == stages == set(STAGE_GROUPS)
    assert {STAGE_GROUPS[s] for s in stages} == {
        "pre-training", "post-training", "data generation", "evaluation"}


# --------------------------------------------------------------------------------------------
# FLOPs per stage, by hand


def test_inference_flops_are_two_per_active_parameter_per_token() -> None:
    # a forward pass does one multiply-add (2 FLOPs) per parameter per token (Kaplan et al.
    # 2020, Table 1: C_forward ≈ 2N): 7B parameters × 1,000 tokens = 1.4e13
    assert inference_flops(7e9, 1_000) == 1.4e13
    # generating 1B tokens with a 7B model on an H100 at the default decode MFU:
    # 1.4e19 FLOP / (989.4e12 FLOP/s × 14% × 3,600 s) = 28.08 GPU-hours
    res, it = compute_item(one_run(stage="synthetic_data", params=7e9, prompts=1_000_000,
                                   generated_tokens=1_000))
    assert res.runs["r"]["decode_flops"] == pytest.approx(2 * 7e9 * 1e9)
    assert it.quantity == pytest.approx(hours(1.4e19, DEFAULT_DECODE_MFU))
    assert it.quantity == pytest.approx(28.075, rel=1e-4)
    assert it.item == "Synthetic data: r"
    # an MoE generates at its active parameters
    res, _ = compute_item(one_run(stage="evaluation", params=671e9, active_params=37e9,
                                  prompts=1_000, generated_tokens=1_000))
    assert res.runs["r"]["decode_flops"] == pytest.approx(2 * 37e9 * 1e6)


@pytest.mark.parametrize("stage", ["midtraining", "sft"])
def test_midtraining_and_sft_are_six_n_d_like_pretraining(stage: str) -> None:
    pre = compute_budget(one_run(params=7e9, tokens=1e11))
    res = compute_budget(one_run(stage=stage, params=7e9, tokens=1e11))
    assert [it.amount for it in res.items] == [it.amount for it in pre.items]
    assert res.items[0].item == f"{STAGE_LABELS[stage]}: r"
    assert res.items[0].quantity == pytest.approx(hours(6 * 7e9 * 1e11, 0.40))


def test_preference_tuning_adds_the_reference_model_forward() -> None:
    # DPO (Rafailov et al. 2023) scores each chosen/rejected sequence under the frozen
    # reference policy: 6·N·D for the policy + 2·N·D for the reference = 8·N·D
    _, it = compute_item(one_run(stage="preference", params=70e9, tokens=2e9))
    assert it.quantity == pytest.approx(hours(8 * 70e9 * 2e9, 0.40))
    assert it.item == "Preference tuning: r"
    assert "reference model 2 × 70B × 2B tokens" in it.basis


def test_distillation_is_student_training_plus_teacher_forward() -> None:
    _, it = compute_item(one_run(stage="distillation", params=8e9, tokens=1e11,
                                 teacher_params=70e9, mfu=0.35))
    assert it.quantity == pytest.approx(hours(6 * 8e9 * 1e11 + 2 * 70e9 * 1e11, 0.35))
    with pytest.raises(InputError, match="teacher's parameters"):
        compute_budget(one_run(stage="distillation", params=8e9, tokens=1e11))


def test_rl_rollouts_update_and_log_probabilities_by_hand() -> None:
    n, prompts, k, p, g = 70e9, 20_000, 8, 500.0, 6_000.0
    samples = prompts * k
    seq = p + g
    compute = (6 * n * samples * seq  # policy update over prompt + response
               + 2 * 2 * n * samples * seq  # old-policy and reference log-probabilities
               + 2 * n * samples * p  # prefill
               + 2 * 7e9 * samples * seq)  # a 7B reward model reads every sample
    decode = 2 * n * samples * g
    res, it = compute_item(one_run(stage="rl", params=n, prompts=prompts, samples_per_prompt=k,
                                   prompt_tokens=p, generated_tokens=g,
                                   reward_model_params=7e9, decode_mfu=0.05))
    assert res.runs["r"]["compute_flops"] == pytest.approx(compute)
    assert res.runs["r"]["decode_flops"] == pytest.approx(decode)
    assert it.quantity == pytest.approx(hours(compute, 0.40) + hours(decode, 0.05))
    assert res.metrics["tokens"] == pytest.approx(samples * seq)  # the tokens it trains on
    assert res.runs["r"]["samples"] == samples
    assert res.runs["r"]["mfu"] == pytest.approx(
        (compute + decode) / (it.quantity * 3600 * PEAK))  # the utilisation of all FLOPs
    assert it.item == "RL: r"
    assert "decode MFU 5.0%" in it.basis and "MFU 40.0%" in it.basis


def test_rl_update_tokens_may_be_given() -> None:
    res, _ = compute_item(one_run(stage="rl", params=7e9, prompts=1_000, generated_tokens=100,
                                  tokens=5e6, decode_mfu=0.1))
    assert res.runs["r"]["compute_flops"] == pytest.approx((6 + 4) * 7e9 * 5e6)


def test_attention_counts_in_long_generations_when_the_shape_is_given() -> None:
    # each generated token attends to the prompt and, on average, half the answer: 4·L·h per
    # token of context (QK^T and the weighted sum of V, forward; PaLM, Chowdhery et al. 2022,
    # App. B counts 12·L·h·T for forward + backward)
    n, L, h, p, g = 32e9, 64, 5_120, 1_000.0, 30_000.0
    res, _ = compute_item(one_run(stage="evaluation", params=n, prompts=10, prompt_tokens=p,
                                  generated_tokens=g, layers=L, hidden_size=h))
    decode = (2 * n + 4 * L * h * (p + g / 2)) * g * 10
    prefill = (2 * n * p + 2 * L * h * p * p) * 10
    assert res.runs["r"]["decode_flops"] == pytest.approx(decode)
    assert res.runs["r"]["compute_flops"] == pytest.approx(prefill)
    assert 4 * L * h * (p + g / 2) / (2 * n) == pytest.approx(0.328, abs=1e-3)  # +33%


def test_what_a_stage_lacks_is_an_error_that_says_so() -> None:
    with pytest.raises(InputError, match="RL run needs GPU-hours, or parameters, prompts"):
        compute_budget(one_run(stage="rl", params=7e9, generated_tokens=100))
    with pytest.raises(InputError, match="needs GPU-hours, or FLOPs, or parameters and tokens"):
        compute_budget(one_run(stage="sft", params=7e9))
    with pytest.raises(InputError, match="reference model reads every token"):
        compute_budget(one_run(stage="preference", flops=1e21))


# --------------------------------------------------------------------------------------------
# given GPU-hours, and DeepSeek-R1 (Nature 2025, Supplementary B.4.4, Table 7)


@pytest.mark.parametrize("stage", list(STAGE_LABELS))
def test_a_stage_given_gpu_hours_uses_them_as_given(stage: str) -> None:
    res, it = compute_item(one_run(stage=stage, gpu_hours=12_345))
    assert it.quantity == 12_345
    assert it.amount == 24_690
    assert it.basis.startswith("1,024 GPUs × 12.06 h × $2.00/GPU-h [12,345 GPU-hours given")
    assert res.runs["r"]["stage"] == stage


R1_GPUS = 64 * 8  # "64*8 H800 GPUs"
R1_PRICE = 2.0  # "assuming the rental price of H800 is $2 per GPU hour"


def r1_budget(**zero: Any) -> Budget:
    """DeepSeek-R1's post-training as published: R1-Zero (RL, ~198 h), the SFT data it
    created (5K GPU-hours, generated by models), R1 (~80 h on the same GPUs)."""
    shape = dict(params=671e9, active_params=37e9)
    return Budget(
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=R1_GPUS,
                       price_per_gpu_hour=R1_PRICE)],
        runs=[
            TrainingRun(name="r1-zero", stage="rl", gpu_hours=R1_GPUS * 198,
                        prompts=10_400 * 32, samples_per_prompt=16, **shape, **zero),
            TrainingRun(name="sft-data", stage="synthetic_data", gpu_hours=5_000),
            TrainingRun(name="r1", stage="rl", gpu_hours=R1_GPUS * 80, **shape),
        ])


def test_deepseek_r1_rl_bill_as_published() -> None:
    res = compute_budget(r1_budget())
    by_run = {it.source: it for it in res.items if it.source.startswith("runs.")}
    published = {  # Table 7: (H800 GPU-hours, USD), both rounded to the thousand
        "runs.r1-zero": (101_000, 202_000), "runs.sft-data": (5_000, 10_000),
        "runs.r1": (41_000, 82_000)}
    for source, (gpu_hours, usd) in published.items():
        assert abs(by_run[source].quantity - gpu_hours) < 1_000, source
        assert abs(by_run[source].amount - usd) < 1_000, source
    assert by_run["runs.r1-zero"].quantity == 101_376  # 512 GPUs × 198 h
    assert abs(res.metrics["gpu_hours"] - 147_000) < 1_000  # 147,336
    assert abs(res.total - 294_000) < 1_000  # $294,672
    assert res.totals["compute"] == res.total  # rented: no electricity charged
    # the published RL inputs: 10,400 steps × 32 questions × 16 outputs = 5,324,800 rollouts
    assert res.runs["r1-zero"]["samples"] is None  # no generated length: no FLOPs claimed
    work = stage_work(r1_budget(generated_tokens=1.0).runs[0])
    assert work.samples == 5_324_800 == 10_400 * 512
    assert not any("does not fit" in w for w in res.warnings)  # 671B RL fits 512 × 80 GB


# DeepSeek-R1-Zero's published figures (Nature 2025, Section 2.1 and Supplementary B.4.4)
R1_ZERO_ROLLOUTS = 10_400 * 32 * 16  # steps × questions per step × outputs per question
R1_ZERO_GPU_HOURS = 64 * 8 * 198  # "64*8 H800 GPUs" for "about 198 hours" = 101,376
R1_ACTIVE = 37e9  # DeepSeek-V3's activated parameters per token


def r1_zero_implied_decode_mfu(mean_tokens: float, update_mfu: float) -> float:
    """The decode MFU that leaves R1-Zero's published GPU-hours to its rollouts once its policy
    update and log-probabilities, (6 + 4) × 37B per token of every rollout, took theirs."""
    update = hours((6 + 4) * R1_ACTIVE * R1_ZERO_ROLLOUTS * mean_tokens, update_mfu)
    decode = 2 * R1_ACTIVE * R1_ZERO_ROLLOUTS * mean_tokens
    return decode / (PEAK * 3600 * (R1_ZERO_GPU_HOURS - update))


def test_r1_zero_published_hours_imply_a_low_rollout_utilisation() -> None:
    # what decode MFU makes the published inputs take the published 101,376 GPU-hours, for a
    # mean response of 10K tokens (an assumption: the paper only draws the mean, Figure 1b)
    b = r1_budget(generated_tokens=10_000)
    b.runs[0] = b.runs[0].model_copy(update={"gpu_hours": None})
    ans = goal_seek(b, "gpu_hours=147336", "runs.r1-zero.decode_mfu")
    update_mfu = published_mfu(H800).point  # a blank MFU: the published Hopper median
    assert ans.value == pytest.approx(r1_zero_implied_decode_mfu(10_000, update_mfu), rel=1e-6)
    assert 0.01 < ans.value < 0.02  # far below the 14% of DeepSeek's serving fleet


def test_rl_default_decode_mfu_is_derived_from_r1_zero() -> None:
    # R1_ZERO_ROLLOUTS = 5,324,800 rollouts in 101,376 H800 GPU-hours. The mean response length
    # is only drawn (Figure 1b: from about 1K tokens at the start to about 15K at step 10,400,
    # roughly linearly), and every step samples the same 512 rollouts, so the run's mean length
    # is the curve's average over the steps: about 8K, the assumption behind the default
    update_mfu = published_mfu(H800).point
    assert f"{update_mfu:.1%}" == "22.4%"  # median of the published Hopper runs (issue 11)
    implied = r1_zero_implied_decode_mfu(RL_ASSUMED_MEAN_TOKENS, update_mfu)
    assert RL_ASSUMED_MEAN_TOKENS == 8_000
    assert f"{implied:.2%}" == "1.08%"
    assert DEFAULT_RL_DECODE_MFU == 0.01 <= implied  # rounded down: more GPU-hours, not fewer
    assert r1_zero_implied_decode_mfu(8_000, 0.40) == pytest.approx(0.0098, abs=1e-4)  # 40% MFU
    # the range the same hours imply at mean lengths of 5K and 20K tokens
    low, high = (r1_zero_implied_decode_mfu(g, update_mfu) for g in RL_RANGE_TOKENS)
    assert RL_RANGE_TOKENS == (5_000, 20_000)
    assert (round(low, 3), round(high, 3)) == RL_DECODE_MFU_RANGE == (0.006, 0.043)
    # at the default, the model gives R1-Zero's published inputs at least its published hours
    # (within 7%: the rounding down), never fewer
    b = r1_budget(generated_tokens=RL_ASSUMED_MEAN_TOKENS)
    b.runs[0] = b.runs[0].model_copy(update={"gpu_hours": None})
    res = compute_budget(b)
    assert res.runs["r1-zero"]["decode_mfu"] == DEFAULT_RL_DECODE_MFU
    assert 1.0 <= res.runs["r1-zero"]["gpu_hours"] / R1_ZERO_GPU_HOURS < 1.07


def test_rl_runs_at_the_default_are_warned_with_the_range() -> None:
    b = r1_budget(generated_tokens=8_000)
    b.runs[0] = b.runs[0].model_copy(update={"gpu_hours": None})
    [warning] = [w for w in compute_budget(b).warnings if "decode MFU" in w]
    assert warning.startswith("run 'r1-zero': rollouts at the default RL decode MFU of 1.0%, "
                              "derived from one published run (DeepSeek-R1-Zero")
    assert "assumed mean length of 8K tokens" in warning
    assert "mean lengths of 5K-20K imply 0.6%-4.3%" in warning
    assert "from 0.23× to 1.7× the GPU-hours shown" in warning  # 1%/4.3%, 1%/0.6%
    # a stated decode MFU, or given GPU-hours, are not warned about
    b.runs[0] = b.runs[0].model_copy(update={"decode_mfu": 0.02})
    assert not any("decode MFU" in w for w in compute_budget(b).warnings)


def test_generation_stages_keep_the_serving_default() -> None:
    for stage, expected in [("rl", DEFAULT_RL_DECODE_MFU), ("synthetic_data", DEFAULT_DECODE_MFU),
                            ("evaluation", DEFAULT_DECODE_MFU)]:
        res = compute_budget(one_run(stage=stage, params=7e9, prompts=1_000,
                                     generated_tokens=1_000))
        assert res.runs["r"]["decode_mfu"] == expected == default_decode_mfu(stage)
    assert DEFAULT_DECODE_MFU == 0.14 and DEFAULT_RL_DECODE_MFU == 0.01
    res = compute_budget(one_run(stage="synthetic_data", params=7e9, prompts=1_000,
                                 generated_tokens=1_000))
    assert not any("decode MFU" in w for w in res.warnings)


def test_a_blank_mfu_takes_the_published_median_in_every_stage() -> None:
    # the run's own MFU, else the drivers', else the published runs' median (issue 11); the
    # decode MFU is a separate input with its own default
    n, k, g = 7e9, 1_000, 1_000.0
    res, it = compute_item(one_run(stage="rl", params=n, prompts=k, generated_tokens=g,
                                   drivers_mfu=None))
    est = published_mfu(H100, n)
    compute = (6 + 4) * n * k * g
    assert it.quantity == pytest.approx(hours(compute, est.point)
                                        + hours(2 * n * k * g, DEFAULT_RL_DECODE_MFU))
    assert res.runs["r"]["mfu_source"] == "published"
    assert f"MFU: {est.basis}" in it.basis
    _, own = compute_item(one_run(stage="rl", params=n, prompts=k, generated_tokens=g,
                                  drivers_mfu=None, mfu=0.3))
    assert own.quantity == pytest.approx(hours(compute, 0.3)
                                         + hours(2 * n * k * g, DEFAULT_RL_DECODE_MFU))


# --------------------------------------------------------------------------------------------
# scenarios, tornado, Monte Carlo, solve over the new inputs


def rl_budget() -> Budget:
    return one_run(stage="rl", params=70e9, prompts=50_000, samples_per_prompt=8,
                   prompt_tokens=500, generated_tokens=8_000, decode_mfu=0.10)


def test_how_many_rl_samples_fit_in_500k() -> None:
    # by hand: per sample, compute-bound (6 + 4)·N·(P + G) + 2·N·P at MFU 40%, decode 2·N·G at
    # 10%, on H100s at $2/GPU-hour, times 50,000 prompts per sample-per-prompt
    n, p, g = 70e9, 500.0, 8_000.0
    per_sample = hours(10 * n * (p + g) + 2 * n * p, 0.40) + hours(2 * n * g, 0.10)
    per_unit = per_sample * 50_000 * 2.0
    ans = goal_seek(rl_budget(), "total<=500K", "runs.r.samples_per_prompt")
    assert ans.whole and ans.direction == "at most"
    assert ans.value == math.floor(500_000 / per_unit) == 678
    assert ans.achieved <= 500_000
    more = compute_budget(rl_budget().model_copy(update={"runs": [
        rl_budget().runs[0].model_copy(update={"samples_per_prompt": 679})]}))
    assert more.total > 500_000


def test_tornado_and_monte_carlo_move_the_new_inputs() -> None:
    b = rl_budget()
    t = tornado(b, keys=["runs.r.generated_tokens", "runs.r.decode_mfu",
                         "runs.r.samples_per_prompt"], swing=0.2)
    bars = {bar.key: bar for bar in t.bars}
    assert bars["runs.r.decode_mfu"].at_high < t.base < bars["runs.r.decode_mfu"].at_low
    assert bars["runs.r.generated_tokens"].at_low < t.base < bars["runs.r.generated_tokens"].at_high
    assert bars["runs.r.samples_per_prompt"].low_value == 6  # 8 × 0.8 = 6.4, a whole number
    risk = simulate(b, {"runs.r.decode_mfu": Distribution.uniform(0.02, 0.2)},
                    trials=2_000, seed=1)
    stats = risk.stats("total")
    assert stats.min < t.base < stats.max
    assert risk.contributions()[0].rank_correlation < -0.99  # faster decode, cheaper run


def test_every_line_of_a_run_carries_its_stage_not_in_its_text_only() -> None:
    b = Budget(
        drivers=Drivers(mfu=0.4, experiment_multiplier=0.5, restart_probability=0.1,
                        interruption_rate_per_1000_gpu_days=2.0),
        pools=[GpuPool(name="p", gpu_type="H100", gpu_count=256, price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="base", params=7e9, tokens=1e12),
              TrainingRun(name="rl", stage="rl", gpu_hours=10_000),
              TrainingRun(name="abl", kind="experiment", stage="sft", gpu_hours=500)])
    res = compute_budget(b)
    by = {(it.kind, it.run): it for it in res.items if it.run is not None}
    assert {k: it.stage for k, it in by.items()} == {
        ("final_run", "base"): "pretraining", ("interruptions", "base"): "pretraining",
        ("sweep", "base"): "pretraining", ("restart_risk", "base"): "pretraining",
        ("final_run", "rl"): "rl", ("interruptions", "rl"): "rl", ("sweep", "rl"): "rl",
        ("restart_risk", "rl"): "rl", ("experiment_run", "abl"): "sft"}
    assert by[("final_run", "rl")].item == "RL: rl"  # the kind stays final_run
    assert all(it.stage is None for it in res.items if it.run is None)  # pool, data, staff
    assert [x if isinstance(x, str) else None for x in res.lines["stage"]] == [
        it.stage for it in res.items]  # the frame's stage column (NaN where None)
    split = stage_totals(res)
    for it in res.items:  # the split never reads the words
        it.item = "renamed"
    assert stage_totals(res) == split


def test_stage_totals_split_the_bill() -> None:
    b = Budget(
        pools=[GpuPool(name="p", gpu_type="H100", gpu_count=256, price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="base", params=7e9, tokens=1e12),
              TrainingRun(name="rl", stage="rl", gpu_hours=10_000),
              TrainingRun(name="gen", stage="synthetic_data", gpu_hours=2_000),
              TrainingRun(name="abl", kind="experiment", stage="sft", gpu_hours=500)])
    b = b.model_copy(update={"drivers": b.drivers.model_copy(
        update={"experiment_multiplier": 0.5, "restart_probability": 0.1})})
    res = compute_budget(b)
    split = stage_totals(res)
    # each final run: its GPU-hours, sweeps of half as many, and 10% × 50% of it redone
    assert split["rl"] == pytest.approx(10_000 * 2 * (1 + 0.5 + 0.1 * 0.5))
    assert split["synthetic_data"] == pytest.approx(2_000 * 2 * (1 + 0.5 + 0.1 * 0.5))
    assert [it.item for it in res.items if it.source == "runs.rl"] == [
        "RL: rl", "Restart risk (expected): rl"]
    assert split["sft"] == pytest.approx(500 * 2)
    assert math.fsum(split.values()) == pytest.approx(res.total)


# --------------------------------------------------------------------------------------------
# a pre-training budget from before stages computes exactly as before


@SETTINGS
@given(budgets(), st.data())
def test_stage_fields_never_change_a_pretraining_budget(budget: Budget,
                                                        data: st.DataObject) -> None:
    try:
        before = compute_budget(budget)
    except InputError:
        return
    shaped = [r.model_copy(update={
        "stage": "pretraining",
        "layers": data.draw(st.integers(1, 200)), "hidden_size": data.draw(st.integers(64, 32_768)),
        "attention_heads": 8, "kv_heads": data.draw(st.sampled_from([None, 1, 8])),
        "micro_batch": data.draw(st.integers(1, 8)), "optimizer": data.draw(
            st.sampled_from(["adam", "adam_8bit", "sgd"])),
        "sharding": data.draw(st.sampled_from(["none", "zero1", "zero2", "zero3"])),
        "recompute": data.draw(st.sampled_from(["none", "selective", "full"])),
        "tensor_parallel": data.draw(st.sampled_from([None, 1, 8])),
    }) for r in budget.runs]
    after = compute_budget(budget.model_copy(update={"runs": shaped}))
    assert [(it.item, it.quantity, it.amount, it.basis) for it in after.items] == \
        [(it.item, it.quantity, it.amount, it.basis) for it in before.items]
    assert after.total == before.total
    assert after.metrics == before.metrics
    # the only new checks are about memory and attention, never about cost
    new = [w for w in after.warnings if w not in before.warnings]
    assert all("fit" in w or "attention" in w for w in new), new


@SETTINGS
@given(budgets())
def test_pretraining_gpu_hours_are_six_n_d_over_peak_times_mfu(budget: Budget) -> None:
    try:
        res = compute_budget(budget)
    except InputError:
        return
    cat = default_catalog()
    for run in budget.runs:
        if run.gpu_hours is not None or run.flops is not None:
            continue
        pool = next(p for p in budget.pools if p.name == run.pool)
        spec = cat.get(pool.gpu_type)
        peak = spec.peak_flops(run.precision)
        mfu = run_mfu(run, spec, budget.drivers)[0]  # the run's, the drivers', or published
        n = run.active_params if run.active_params is not None else run.params
        assert res.runs[run.name]["gpu_hours"] == pytest.approx(
            6 * n * run.tokens / (peak * mfu * 3600), rel=1e-12)


def test_stage_arrays_are_vectorised() -> None:
    from costsheet.model.scenarios import apply_overrides

    b = rl_budget()
    g = np.array([1_000.0, 8_000.0, 20_000.0])
    res = compute_budget(apply_overrides(b, {"runs.r.generated_tokens": g}))
    single = [compute_budget(apply_overrides(b, {"runs.r.generated_tokens": float(x)})).total
              for x in g]
    np.testing.assert_allclose(res.total, single, rtol=1e-12)


def test_refresh_fingerprint_is_unchanged_for_budgets_that_do_not_use_stages() -> None:
    from costsheet.model.refresh_log import _stable_dump, fingerprint

    b = one_run(params=7e9, tokens=1e12)
    before_stages = {"name", "kind", "pool", "params", "active_params", "tokens", "flops", "mfu",
                     "precision", "gpu_hours", "count", "start_month"}
    assert set(_stable_dump(b)["runs"][0]) == before_stages  # the payload hashed before
    # the drivers issue 11 added (experiments_total_multiple, price_basis) are left out the same
    # way at their defaults
    assert not {"experiments_total_multiple", "price_basis"} & set(_stable_dump(b)["drivers"])
    committed = b.model_copy(update={"drivers": b.drivers.model_copy(
        update={"price_basis": "committed"})})
    assert _stable_dump(committed)["drivers"]["price_basis"] == "committed"
    assert fingerprint(committed) != fingerprint(b)
    staged = b.model_copy(update={"runs": [b.runs[0].model_copy(update={"stage": "sft"})]})
    assert fingerprint(staged) != fingerprint(b)
    assert "stage" in _stable_dump(staged)["runs"][0]


# --------------------------------------------------------------------------------------------
# docs/model.md: the stage tables are the code's


def _doc_table(title: str) -> list[list[str]]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text("utf-8")
    start = text.index(title)
    rows = []
    for line in text[start:].splitlines():
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not re.match(r"^\|[\s\-|]+\|$", line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]


def test_doc_r1_implied_decode_table_is_the_arithmetic() -> None:
    from costsheet import parse_number

    rows = _doc_table("| mean generated tokens |")
    assert [parse_number(r[0].replace(" (assumed)", "")) for r in rows] == [
        5_000, 8_000, 10_000, 15_000, 20_000]
    update_mfu = published_mfu(H800).point
    for g, update, left, implied, at_default in rows:
        g_ = parse_number(g.replace(" (assumed)", ""))
        upd = hours((6 + 4) * R1_ACTIVE * R1_ZERO_ROLLOUTS * g_, update_mfu)
        assert parse_number(update) == round(upd)
        assert parse_number(left) == round(R1_ZERO_GPU_HOURS - upd)
        assert parse_number(implied) == pytest.approx(
            r1_zero_implied_decode_mfu(g_, update_mfu), abs=5e-5)
        b = r1_budget(generated_tokens=g_)
        b.runs[0] = b.runs[0].model_copy(update={"gpu_hours": None})
        assert parse_number(at_default) == round(compute_budget(b).runs["r1-zero"]["gpu_hours"])


def test_doc_decode_defaults_are_the_code_and_their_arithmetic() -> None:
    from costsheet import parse_number

    rows = {r[0]: r for r in _doc_table("| default | value | source and why |")}
    rl = rows["RL rollouts (`runs.<name>.decode_mfu`, stage `rl`)"]
    assert parse_number(rl[1]) == DEFAULT_RL_DECODE_MFU
    assert "8,000" in rl[2] and "0.6%" in rl[2] and "4.3%" in rl[2] and "1.08%" in rl[2]
    key = "synthetic data, evaluation (`runs.<name>.decode_mfu`)"
    assert parse_number(rows[key][1]) == DEFAULT_DECODE_MFU
    why = rows[key][2]
    per_gpu = 14.8e3 / 8
    assert f"{2 * 37e9 * per_gpu / PEAK:.1%}" == "13.8%" and "13.8%" in why
    attention = 4 * 61 * 7_168 * 4_989  # DeepSeek-V3: 61 layers, hidden 7,168
    assert f"{(2 * 37e9 + attention) * per_gpu / PEAK:.1%}" == "15.5%" and "15.5%" in why
    prefill = 73.7e3 * (1 - 0.563) / 8
    assert f"{2 * 37e9 * prefill / PEAK:.1%}" == "30.1%" and "30.1%" in rows[
        "prefill and other forward passes"][2]


def test_doc_memory_defaults_are_the_code() -> None:
    from costsheet.model.memory import DEFAULT_TENSOR_PARALLEL

    rows = {r[0].strip("`"): r[1] for r in _doc_table("| memory default | value | why |")}
    run = TrainingRun(name="a", gpu_hours=1)
    assert rows.pop("tensor_parallel").startswith(f"{DEFAULT_TENSOR_PARALLEL} ")
    assert run.tensor_parallel is None
    for key, value in rows.items():
        assert str(getattr(run, key)) == value, key
