"""The sample budgets in samples/: committed copies match the code, read cleanly, compute."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from costsheet.model.budget import compute_budget
from costsheet.model.scenarios import apply_scenario
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget
from costsheet.workbook.template import workbook_bytes
from make_samples import sample_bytes
from sample_budgets import (
    SAMPLE_NOTES,
    SAMPLES,
    deepseek_v3_like,
    frontier_owned,
    small_7b_rented,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "samples"


#: samples of one published training programme: their scenarios are their own (not Low/High
#: over drivers), tested in test_stage_samples.py
STAGE_SAMPLES = ("reasoning-model.xlsx", "k2-thinking-like.xlsx")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_committed_sample_matches_code(name: str) -> None:
    committed = (SAMPLE_DIR / name).read_bytes()
    assert committed == sample_bytes(name), "run `python samples/make_samples.py`"
    if name not in SAMPLE_NOTES:  # the README notes are all a sample adds to the template
        assert committed == workbook_bytes(SAMPLES[name]())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reads_cleanly_and_computes(name: str) -> None:
    result = read_budget(SAMPLE_DIR / name)
    assert result.ok, [str(e) for e in result.report.errors]
    assert not result.report.warnings
    budget = result.budget
    assert budget.model_dump(exclude={"name"}) == SAMPLES[name]().model_dump(exclude={"name"})
    if name in STAGE_SAMPLES:
        return
    assert result.scenarios == ["Base", "Low", "High"]
    totals = {}
    for scen in result.scenarios:
        res = compute_budget(apply_scenario(budget, scen), scenario=scen)
        total = float(res.total)
        assert math.isfinite(total) and total > 0
        for family, amount in res.totals.items():
            assert math.isfinite(float(amount)) and float(amount) >= 0, family
        totals[scen] = total
    # each scenario varies something that changes the total
    assert len(set(totals.values())) == 3
    for scen in ("Low", "High"):
        assert any("." not in k for k in budget.scenarios[scen]), "varies some drivers"


def test_worked_example_computes_every_scenario() -> None:
    budget = worked_example()
    for scen in budget.scenario_names:
        total = float(compute_budget(apply_scenario(budget, scen), scenario=scen).total)
        assert math.isfinite(total) and total > 0


def test_deepseek_final_run_compute_line_is_5_576_million() -> None:
    result = read_budget(SAMPLE_DIR / "deepseek-v3-like.xlsx")
    assert result.ok
    res = compute_budget(result.budget)
    finals = [it for it in res.items if it.family == "compute" and it.item.startswith("Final")]
    assert len(finals) == 1
    assert finals[0].amount == 5_576_000
    assert finals[0].quantity == 2_788_000
    pool = result.budget.pools[0]
    assert (pool.gpu_type, pool.gpu_count, pool.price_per_gpu_hour) == ("H800", 2048, 2.0)
    run = result.budget.runs[0]
    assert (run.params, run.active_params, run.tokens) == (671e9, 37e9, 14.8e12)
    # illustrative assumptions say so in their names
    for line in [*result.budget.data, *result.budget.staff, *result.budget.runs[1:]]:
        name = getattr(line, "name", None) or line.role
        assert "illustrative" in name


def test_sample_shapes_match_their_story() -> None:
    small = small_7b_rented()
    assert small.pools[0].gpu_type == "H100" and small.pools[0].ownership == "rent"
    assert small.pools[0].term_months is None  # on-demand
    assert small.runs[0].params == 7e9 and small.runs[0].tokens == 2e12
    assert 3 <= sum(s.headcount for s in small.staff) <= 5
    frontier = frontier_owned()
    pool = frontier.pools[0]
    assert (pool.gpu_type, pool.gpu_count, pool.ownership) == ("H100", 16_384, "own")
    assert frontier.drivers.interruption_rate_per_1000_gpu_days == 0.47
    assert frontier.drivers.restart_probability > 0
    assert frontier.drivers.experiment_multiplier > 0
    assert frontier.drivers.colocation_per_kw_month > 0
    assert sum(s.headcount for s in frontier.staff) >= 100
    assert {d.kind for d in frontier.data} >= {"dataset", "labelling"}
    res = compute_budget(frontier)
    assert all(float(v) > 0 for v in res.totals.values())
    assert deepseek_v3_like().runs[0].gpu_hours == 2_788_000


def test_make_samples_reproduces_every_committed_workbook(tmp_path: Path) -> None:
    """`python samples/make_samples.py` writes exactly the committed bytes (it lives outside the
    package: costsheet itself never imports it)."""
    from make_samples import write_samples

    written = write_samples(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in SAMPLE_DIR.glob("*.xlsx"))
    for path in written:
        assert path.read_bytes() == (SAMPLE_DIR / path.name).read_bytes(), path.name
