"""Published defaults come with their range: on the Summary, in the Monte Carlo, in the tornado.

A run that states no MFU takes the median of published runs on its chip generation (issue 11);
the Summary shows GPU-hours and total at the published P90 and P10 MFU, and the Monte Carlo draws
that MFU from the same published distribution (``PublishedMfu.draw``) unless the workbook states
an uncertainty of its own. An RL run left at the default decode MFU (1%, derived from
DeepSeek-R1-Zero: 0.6%-4.3% over plausible rollout lengths, docs/model.md) is drawn over that
range and swung in the tornado.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import openpyxl
import pytest
from costsheet.estimate import estimate
from costsheet.inputs import Budget, Drivers, GpuPool, TrainingRun
from costsheet.model.budget import compute_budget
from costsheet.model.default_ranges import (
    SHARED_MFU,
    default_uncertainties,
    published_band,
    rl_decode_distribution,
)
from costsheet.model.montecarlo import Distribution, draw
from costsheet.model.risk_analysis import analyse
from costsheet.model.sensitivity import tornado
from costsheet.model.stages import DEFAULT_RL_DECODE_MFU, RL_DECODE_MFU_RANGE
from costsheet.model.utilisation import published_mfu
from costsheet.workbook.risk_sheets import add_risk_sheets
from costsheet.workbook.writer import build_workbook


def one_run(**run: object) -> Budget:
    """70B on 2T tokens, 1,024 rented H100s at $2: the estimate's own example."""
    return Budget(
        pools=[GpuPool(name="h100", gpu_type="H100", gpu_count=1024, price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="final", params=70e9, tokens=2e12, **run)])


def rl_budget(**rl: object) -> Budget:
    """A pre-training run and an RL run at the default decode MFU, on H800s."""
    return Budget(
        pools=[GpuPool(name="h800", gpu_type="H800", gpu_count=512, price_per_gpu_hour=2.0)],
        runs=[TrainingRun(name="pre", params=70e9, tokens=2e12),
              TrainingRun(name="rl", stage="rl", params=70e9, prompts=100_000,
                          samples_per_prompt=16, generated_tokens=8_000, **rl)])


def test_band_brackets_the_point_and_matches_estimate() -> None:
    budget = one_run()
    res = compute_budget(budget)
    band = published_band(budget, res)
    assert band is not None and band.gpu_hours is not None
    low, high = band.gpu_hours
    assert low < float(res.metrics["gpu_hours"]) < high
    assert band.total[0] < float(res.total) < band.total[1]
    assert band.label == "published runs on H100-class GPUs: P10–P90"
    # the same band `costsheet estimate` prints for the same run
    est = estimate("70B", "2T", gpu="H100", gpu_count=1024, price=2)
    assert est.gpu_hours_range == pytest.approx([low, high], rel=1e-12)
    assert est.total_cost_range == pytest.approx(list(band.total), rel=1e-12)
    # the ends are the published P90 and P10 MFU: GPU-hours scale as 1 / MFU
    e = published_mfu("H100")
    point = float(res.metrics["gpu_hours"])
    assert low == pytest.approx(point * e.point / e.p90)
    assert high == pytest.approx(point * e.point / e.p10)


@pytest.mark.parametrize("stated", [{"mfu": 0.4}, {"gpu_hours": 500_000}])
def test_no_band_when_the_run_states_mfu_or_gpu_hours(stated: dict[str, float]) -> None:
    budget = one_run(**stated)
    assert published_band(budget, compute_budget(budget)) is None
    driver = one_run().model_copy(update={"drivers": Drivers(mfu=0.35)})
    assert published_band(driver, compute_budget(driver)) is None


def test_monte_carlo_draws_a_blank_mfu_from_published_runs() -> None:
    budget = one_run()
    res = compute_budget(budget)
    defaults = default_uncertainties(budget, res, {})
    dist = defaults.uncertainties["runs.final.mfu"]
    assert dist.kind == "split_lognormal" and dist.shared == SHARED_MFU
    e = published_mfu("H100")
    # the draws are PublishedMfu.draw's: same seed, same numbers
    got = draw(budget, {"runs.final.mfu": dist}, 20_000, 7)["runs.final.mfu"]
    want = e.draw(np.random.default_rng(7), 20_000)
    assert got == pytest.approx(np.clip(want, 1e-3, 1.0))
    assert np.quantile(got, [0.1, 0.5, 0.9]) == pytest.approx([e.p10, e.point, e.p90], rel=0.03)
    assert "published runs on H100-class GPUs" in defaults.notes[0]


@pytest.mark.parametrize("key", ["mfu", "runs.final.mfu"])
def test_a_stated_uncertainty_wins(key: str) -> None:
    budget = one_run()
    res = compute_budget(budget)
    stated = {key: Distribution.uniform(0.3, 0.4)}
    assert default_uncertainties(budget, res, stated).uncertainties == {}
    a = analyse(budget, uncertainties=stated, trials=500, seed=1)
    assert set(a.risk.uncertainties) == {key}
    assert a.default_notes == []


def test_runs_share_their_percentile_of_the_published_band() -> None:
    budget = rl_budget()
    res = compute_budget(budget)
    dists = default_uncertainties(budget, res, {}).uncertainties
    draws = draw(budget, dists, 5_000, 3)
    a, b = draws["runs.pre.mfu"], draws["runs.rl.mfu"]
    assert np.all(np.argsort(a) == np.argsort(b))  # one deviate: the same percentile each


def test_rl_decode_default_is_drawn_over_its_range_and_swung() -> None:
    budget = rl_budget()
    res = compute_budget(budget)
    dists = default_uncertainties(budget, res, {}).uncertainties
    assert dists["runs.rl.decode_mfu"] == rl_decode_distribution()
    low, high = RL_DECODE_MFU_RANGE
    x = draw(budget, {"runs.rl.decode_mfu": dists["runs.rl.decode_mfu"]}, 20_000, 5)[
        "runs.rl.decode_mfu"]
    assert low <= x.min() and x.max() <= high
    assert rl_decode_distribution().params == (low, DEFAULT_RL_DECODE_MFU, high)
    bar = next(b for b in tornado(budget).bars if b.key == "runs.rl.decode_mfu")
    assert (bar.low_value, bar.base_value, bar.high_value) == (low, DEFAULT_RL_DECODE_MFU, high)
    assert bar.at_low > bar.at_high  # a lower decode MFU: more GPU-hours
    assert bar.source == "R1-Zero range 0.6% / 4.3%"
    # a stated decode MFU is neither drawn nor swung
    stated = rl_budget(decode_mfu=0.02)
    r2 = compute_budget(stated)
    assert "runs.rl.decode_mfu" not in default_uncertainties(stated, r2, {}).uncertainties
    assert all(b.key != "runs.rl.decode_mfu" for b in tornado(stated).bars)


def _rows(ws: object) -> list[tuple[object, ...]]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]


def test_summary_shows_the_band_and_risk_says_what_it_drew(tmp_path: object) -> None:
    from pathlib import Path

    budget = rl_budget()
    res = compute_budget(budget)
    band = published_band(budget, res)
    assert band is not None
    wb = build_workbook([res], bands={"Base": band}, run_time=datetime(2025, 1, 1),
                        version="test")
    add_risk_sheets(wb, analyse(budget, trials=500, seed=2, results={"Base": res}))
    path = Path(str(tmp_path)) / "s.xlsx"
    wb.save(path)
    book = openpyxl.load_workbook(path)
    rows = _rows(book["Summary"])
    head = next(i for i, r in enumerate(rows) if str(r[0]).startswith("Range: "))
    assert rows[head][0] == "Range: published runs on H100-class GPUs: P10–P90"
    by = {r[0]: r[1] for r in rows[head + 1: head + 5]}
    assert by["GPU-hours (final runs), low (MFU at P90)"] == pytest.approx(band.gpu_hours[0])
    assert by["GPU-hours (final runs), high (MFU at P10)"] == pytest.approx(band.gpu_hours[1])
    assert by["Total, low (MFU at P90)"] == pytest.approx(band.total[0])
    assert by["Total, high (MFU at P10)"] == pytest.approx(band.total[1])
    assert "No MFU is stated for 'pre', 'rl'" in str(rows[head + 5][0])
    risk = [str(c) for r in _rows(book["Risk"]) for c in r if c is not None]
    assert any(t.startswith("MFU of 'pre', 'rl' (no MFU stated): drawn from the published runs")
               for t in risk)
    assert any(t.startswith("Rollout decode MFU of 'rl'") for t in risk)
    assert "published runs on H100-class GPUs: P10 10.9%, median 22.4%, P90 34.4%" in risk


def test_no_band_rows_when_every_run_states_its_mfu(tmp_path: object) -> None:
    from pathlib import Path

    budget = one_run(mfu=0.4)
    res = compute_budget(budget)
    wb = build_workbook([res], run_time=datetime(2025, 1, 1), version="test")
    path = Path(str(tmp_path)) / "s.xlsx"
    wb.save(path)
    rows = _rows(openpyxl.load_workbook(path)["Summary"])
    assert not any(str(r[0]).startswith("Range: ") for r in rows)
