"""The two samples of a whole training programme: a reasoning model built as DeepSeek-R1 was, and
a K2-Thinking-like plan that places the unofficial $4.6M.

Golden figures come from the publishers, cited where used:
- DeepSeek-V3 technical report (arXiv 2412.19437), Table 1: pre-training 2,664K and context
  extension 119K H800 GPU-hours, $2 per GPU-hour assumed.
- DeepSeek-R1 (Guo et al., Nature 645, 633-638, 2025), Supplementary Information B.4.4 and
  Table 7: R1-Zero 64 x 8 H800 GPUs for about 198 hours, SFT data about 5K GPU-hours, R1 about
  80 hours: 147K H800 GPU-hours, $294K at $2 per GPU-hour.
- Kimi K2 technical report (arXiv 2507.20534): 1.04T total, 32B activated parameters, 15.5T
  tokens, H800 GPUs; no GPU-hours or cost published.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from costsheet.model.budget import compute_budget
from costsheet.model.default_ranges import published_band
from costsheet.model.scenarios import apply_scenario
from costsheet.model.stages import group_totals
from costsheet.model.utilisation import published_mfu
from costsheet.workbook.reader import read_budget
from sample_budgets import (
    K2_THINKING_RUMOUR,
    V3_IMPLIED_MFU,
    k2_thinking_like,
    reasoning_model,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def _readme_notes(name: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(SAMPLES / name)["README"]
    rows = [(r[0], r[1]) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, (a, _b) in enumerate(rows) if a == "About this sample")
    out: dict[str, str] = {}
    for label, text in rows[start + 1:]:
        if label:
            out[label] = (out.get(label, "") + " " + str(text)).strip()
    return out


def test_reasoning_model_reproduces_deepseek_r1_post_training_bill() -> None:
    res = compute_budget(reasoning_model())
    split = group_totals(res)
    r1_hours = sum(float(res.runs[n]["gpu_hours"]) for n in ("r1-zero", "r1-sft-data", "r1"))
    assert r1_hours == 64 * 8 * 198 + 5_000 + 64 * 8 * 80 == 147_336  # "147K"
    r1_cost = split["post-training"] + split["data generation"]
    assert r1_cost == pytest.approx(294_672)
    assert abs(r1_cost - 294_000) < 1_000  # "$294K"
    assert split["data generation"] == 10_000  # the SFT data, 5K GPU-hours
    # DeepSeek-V3-Base: (2,664K + 119K) H800 GPU-hours at $2
    assert split["pre-training"] == pytest.approx((2_664_000 + 119_000) * 2.0)
    assert float(res.total) == pytest.approx(5_566_000 + 294_672)
    assert not res.warnings  # 671B fits 512 and 2,048 H800s


def test_reasoning_model_sample_reads_as_built_and_says_its_sources() -> None:
    read = read_budget(SAMPLES / "reasoning-model.xlsx")
    assert read.ok and read.budget is not None
    assert read.budget.model_dump(exclude={"name"}) == reasoning_model().model_dump(
        exclude={"name"})
    notes = _readme_notes("reasoning-model.xlsx")
    assert "arXiv 2412.19437" in notes["Source"] and "Nature 645" in notes["Source"]
    assert "$294,672 (published: $294K)" in notes["Check"]


def test_k2_thinking_like_places_the_rumoured_figure() -> None:
    budget = k2_thinking_like()
    base = compute_budget(budget)
    pre = group_totals(base)["pre-training"]
    # 6 x 32B x 15.5T FLOPs at the published Hopper median MFU, $2 per H800 GPU-hour
    h800 = 989.4e12
    median = published_mfu("H800").point
    assert pre == pytest.approx(6 * 32e9 * 15.5e12 / (h800 * median * 3600) * 2.0)
    assert pre > K2_THINKING_RUMOUR  # pre-training alone at the median costs more than $4.6M
    band = published_band(budget, base)
    assert band is not None and band.label == "published runs on H100-class GPUs: P10–P90"
    assert band.total[0] > K2_THINKING_RUMOUR  # even at the published P90 MFU, with the RL
    # at DeepSeek-V3's own implied MFU (6 x 37B x 14.8T in 2,664K H800 GPU-hours), pre-training
    # alone lands near $4.6M
    assert V3_IMPLIED_MFU == pytest.approx(6 * 37e9 * 14.8e12 / (2_664_000 * 3600 * h800),
                                           abs=5e-4)
    v3 = compute_budget(apply_scenario(budget, "V3-like MFU"), scenario="V3-like MFU")
    assert group_totals(v3)["pre-training"] == pytest.approx(4.83e6, rel=0.01)


def test_k2_thinking_like_says_the_figure_is_unofficial() -> None:
    notes = _readme_notes("k2-thinking-like.xlsx")
    assert notes["The $4.6M"].startswith("Unofficial.")
    assert "坊间传闻" in notes["The $4.6M"]
    assert "arXiv 2507.20534" in notes["Source"]
    assert "illustrative" in notes["Assumed"]
    assert "Can" in notes and "Cannot" in notes
