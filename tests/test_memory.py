"""Will it fit: training and inference memory, hand-computed and checked against the papers.

Sources: Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
Parameter Models" (§3.1: mixed-precision Adam holds 2Ψ + 2Ψ + KΨ bytes with K = 12, 16Ψ in
all; Figure 1: Ψ = 7.5B on N_d = 64 GPUs needs 120 GB, 31.4 GB, 16.6 GB and 1.9 GB per GPU
without ZeRO and with stages 1, 2, 3); Korthikanti et al. 2022, "Reducing Activation
Recomputation in Large Transformer Models" (Table 2: activations per layer s·b·h·(34 +
5·a·s/h), 34·s·b·h with selective recomputation, 2·s·b·h with full recomputation, all / t with
tensor and sequence parallelism), restated by EleutherAI's "Transformer Math 101" (Anthony,
Biderman, Schoelkopf 2023), which also gives 16-20 bytes a parameter for mixed-precision AdamW.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from costsheet import Budget, GpuPool, TrainingRun, compute_budget
from costsheet.model.memory import (
    activation_bytes,
    fit_warning,
    kv_cache_bytes,
    memory_fit,
    min_gpus,
    min_gpus_inference,
    min_gpus_training,
    state_bytes_per_param,
    training_per_gpu,
    training_states,
    weight_bytes,
)

GB, TB = 1e9, 1e12


def test_mixed_precision_adam_is_16_bytes_a_parameter() -> None:
    assert state_bytes_per_param("adam") == 16  # 2 weights + 2 gradients + 12 (ZeRO, K = 12)
    kept, split = training_states(70e9, "none")
    assert kept == pytest.approx(1.12 * TB) and split == 0  # 70B dense: 1.12 TB before sharding
    kept, split = training_states(70e9, "zero3")
    assert kept == 0 and split == pytest.approx(1.12 * TB)
    assert state_bytes_per_param("adam_8bit") == 10  # 8-bit states: 2 bytes instead of 8
    assert state_bytes_per_param("sgd") == 12


@pytest.mark.parametrize("sharding,per_gpu_gb", [
    ("none", 120.0), ("zero1", 31.4), ("zero2", 16.6), ("zero3", 1.9)])
def test_zero_paper_figure_1(sharding: str, per_gpu_gb: float) -> None:
    kept, split = training_states(7.5e9, sharding)
    per_gpu = training_per_gpu(kept, split, 0.0, 64, 1)
    assert per_gpu / GB == pytest.approx(per_gpu_gb, abs=0.05)


def test_a_frozen_reference_model_adds_two_bytes_sharded_like_the_weights() -> None:
    assert training_states(1e9, "zero3", reference=True) == (0.0, 18e9)
    assert training_states(1e9, "zero2", reference=True) == (4e9, 14e9)


def test_activations_korthikanti_table_2() -> None:
    s, b, h, L, a = 4096, 1, 4096, 32, 32  # a 7B-class model, 4K sequences
    sbh = s * b * h
    assert activation_bytes(s, h, L, b, "none", a) == sbh * (34 + 5 * a * s / h) * L
    assert activation_bytes(s, h, L, b, "selective") == 34 * sbh * L  # 18.25 GB
    assert activation_bytes(s, h, L, b, "selective") / GB == pytest.approx(18.25, abs=0.01)
    # full recomputation keeps each layer's input and rebuilds one layer at a time
    assert activation_bytes(s, h, L, b, "full") == 2 * sbh * L + 34 * sbh
    with pytest.raises(ValueError, match="attention heads"):
        activation_bytes(s, h, L, b, "none")


def test_kv_cache_with_grouped_query_attention() -> None:
    # Llama 2 70B: 80 layers, hidden 8,192, 64 query heads, 8 KV heads of 128: per token
    # 2 × 80 × 8 × 128 × 2 bytes = 327,680 bytes (0.3125 MiB)
    assert kv_cache_bytes(80, 8192, 1, 1, heads=64, kv_heads=8) == 327_680
    assert kv_cache_bytes(80, 8192, 4096, 64, heads=64, kv_heads=8) == 327_680 * 4096 * 64
    assert kv_cache_bytes(80, 8192, 1, 1) == 2 * 80 * 8192 * 2  # no GQA: 8× more
    assert weight_bytes(70e9) == 140e9 and weight_bytes(70e9, "fp8") == 70e9
    assert min_gpus_inference(140e9, 80 * GB) == 2
    assert min_gpus_inference(140e9 + 327_680 * 4096 * 64, 80 * GB) == 3  # 225.9 GB


def test_405b_dense_does_not_fit_on_64_gpus_of_80gb() -> None:
    run = TrainingRun(name="big", params=405e9, tokens=15e12)
    fit = memory_fit(run, 80, 64)
    assert fit is not None and fit.fits is False
    # 405B × 16 bytes = 6.48 TB of states, fully sharded over 80 GB GPUs: at least 81 GPUs
    assert fit.training_bytes == pytest.approx(6.48 * TB)
    assert fit.min_gpus == 81 == math.ceil(6.48 * TB / (80 * GB))
    assert fit.per_gpu_bytes == pytest.approx(101.25 * GB)
    assert memory_fit(run, 80, 81).fits is True  # type: ignore[union-attr]
    assert min_gpus(run, 80) == 81
    assert "activations (give layers, hidden size and sequence length)" in fit.not_counted
    text = fit_warning(fit, "h100", "H100")
    assert text is not None and "needs at least 81 H100 GPUs of 80 GB, the pool has 64" in text


def test_the_warning_reaches_the_budget_and_names_the_minimum() -> None:
    b = Budget(pools=[GpuPool(name="h100", gpu_type="H100", gpu_count=64,
                              price_per_gpu_hour=2.0)],
               runs=[TrainingRun(name="big", params=405e9, tokens=15e12)])
    res = compute_budget(b)
    [w] = [w for w in res.warnings if "does not fit" in w]
    assert w.startswith("run 'big' does not fit on pool 'h100': it needs at least 81 H100 GPUs")
    assert "6.48 TB" in w and "101.2 GB per GPU on 64 GPUs" in w
    b.pools[0] = b.pools[0].model_copy(update={"gpu_count": 128})
    assert not any("fit" in w for w in compute_budget(b).warnings)


def test_activations_and_tensor_parallelism_in_the_minimum() -> None:
    # 70B on 80 GB GPUs, zero3, 4K sequences, selective recomputation, tensor parallel 8:
    # per GPU 1.12 TB / N + 34 × 4096 × 8192 × 80 / 8 bytes (11.4 GB): N ≥ 1.12 TB / 68.6 GB
    run = TrainingRun(name="r", params=70e9, tokens=1e12, layers=80, hidden_size=8192,
                      attention_heads=64, kv_heads=8, seq_len=4096, recompute="selective")
    acts = 34 * 4096 * 8192 * 80
    fit = memory_fit(run, 80, 8)
    assert fit is not None
    assert fit.min_gpus == math.ceil(1.12 * TB / (80 * GB - acts / 8)) == 17
    assert fit.fits is False
    # every GPU of a pool smaller than the tensor-parallel size splits everything
    small = TrainingRun(name="s", params=1e9, tokens=1e10)
    assert memory_fit(small, 80, 1).min_gpus == 1  # type: ignore[union-attr]
    assert min_gpus_training(0.0, 16e9, 0.0, 80 * GB, 8) == 1
    assert min_gpus_training(0.0, 200e9, 0.0, 80 * GB, 8) == 3  # 200 GB / 80 GB, below t = 8


def test_states_kept_whole_may_never_fit() -> None:
    # without sharding each tensor-parallel group of 8 keeps 16 × 70B / 8 = 140 GB per GPU
    run = TrainingRun(name="ddp", params=70e9, tokens=1e12, sharding="none")
    fit = memory_fit(run, 80, 1024)
    assert fit is not None and math.isinf(fit.min_gpus) and fit.fits is False
    assert "at any count" in (fit_warning(fit, "p", "H100") or "")
    assert memory_fit(run.model_copy(update={"tensor_parallel": 16}), 80, 1024).fits  # type: ignore[union-attr]


def test_rl_needs_room_to_train_and_to_generate() -> None:
    # 70B RL on 80 GB GPUs: training (16 + 2 reference) × 70B = 1.26 TB sharded; generation
    # 140 GB of weights + KV of 512 concurrent 33K-token sequences (2 × 80 × 8 × 128 × 2 bytes
    # a token): the larger minimum wins
    run = TrainingRun(name="rl", stage="rl", params=70e9, prompts=1_000, samples_per_prompt=16,
                      prompt_tokens=1_000, generated_tokens=32_000, layers=80, hidden_size=8192,
                      attention_heads=64, kv_heads=8, concurrent_sequences=512)
    fit = memory_fit(run, 80, 64)
    assert fit is not None
    kv = 327_680 * 33_000 * 512
    assert fit.inference_bytes == pytest.approx(140e9 + kv)  # 5.68 TB
    assert fit.inference_min_gpus == math.ceil((140e9 + kv) / (80 * GB)) == 71
    # training: 1.26 TB sharded + activations of one 33K-token sequence (full recomputation)
    acts = 2 * 33_000 * 8192 * 80 + 34 * 33_000 * 8192
    assert fit.training_min_gpus == math.ceil(1.26 * TB / (80 * GB - acts / 8)) == 18
    assert fit.min_gpus == 71 and fit.fits is False
    # with the default concurrency (one prompt's 16 samples) generation fits in 4 GPUs
    fit16 = memory_fit(run.model_copy(update={"concurrent_sequences": None}), 80, 64)
    assert fit16.inference_min_gpus == math.ceil((140e9 + 327_680 * 33_000 * 16) / 80e9) == 4  # type: ignore[union-attr]


def test_memory_is_array_safe() -> None:
    params = np.array([7e9, 70e9, 405e9])
    kept, split = training_states(params, "zero3")
    need = min_gpus_training(kept, split, 0.0, 80 * GB, 8)
    # 112 GB, 1.12 TB and 6.48 TB of states over GPUs of 80 GB
    np.testing.assert_array_equal(need, [2, 14, 81])
    fits = memory_fit(TrainingRun(name="a", params=70e9, tokens=1e12), 80,
                      np.array([8.0, 14.0, 64.0]))
    assert fits is not None and fits.fits is None  # arrays of trials: no single verdict
    np.testing.assert_allclose(fits.per_gpu_bytes, [140e9, 80e9, 17.5e9])


def test_the_deepseek_v3_sample_fits() -> None:
    from sample_budgets import deepseek_v3_like  # samples/, on the path (tests/conftest.py)

    assert not any("fit" in w for w in compute_budget(deepseek_v3_like()).warnings)


def test_a_workbook_that_does_not_fit_shows_it_on_checks(tmp_path: Path) -> None:
    import openpyxl
    from costsheet.workbook.run import run_workbook
    from costsheet.workbook.template import workbook_bytes

    b = Budget(pools=[GpuPool(name="h100", gpu_type="H100", gpu_count=64,
                              price_per_gpu_hour=2.0)],
               runs=[TrainingRun(name="llama-405b", params=405e9, tokens=15.6e12)])
    path = tmp_path / "budget.xlsx"
    path.write_bytes(workbook_bytes(b))
    run_workbook(path)
    ws = openpyxl.load_workbook(path)["Checks"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert any("needs at least 81 H100 GPUs of 80 GB, the pool has 64" in t for t in texts)
    shutil.rmtree(tmp_path, ignore_errors=True)
