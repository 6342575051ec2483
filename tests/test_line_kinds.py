"""Every line item says what it is (``kind``), which pool and run it belongs to; code finds lines
by these, never by their words (which are for people and may be translated)."""

from __future__ import annotations

from pathlib import Path

import pytest
from costsheet.estimate import estimate
from costsheet.inputs import Budget
from costsheet.model.budget import compute_budget
from costsheet.model.items import GPU_HOUR_KINDS, KINDS, LINE_COLUMNS, LineItem
from costsheet.model.scenarios import apply_scenario
from costsheet.model.timeline import build_timeline, pool_of_item
from costsheet.workbook.examples import worked_example
from costsheet.workbook.reader import read_budget

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples").glob("*.xlsx"))

#: the family each kind's lines are in (data and other lines: the family the user chose)
FAMILY_OF = {
    "final_run": {"compute"}, "idle_capacity": {"compute"}, "purchase": {"compute"},
    "experiment_run": {"experiments"}, "interruptions": {"experiments"},
    "sweep": {"experiments"}, "restart_risk": {"experiments"},
    "electricity": {"power_facilities"}, "colocation": {"power_facilities"},
    "staff": {"staff"},
}
RUN_KINDS = {"final_run", "experiment_run", "interruptions", "sweep", "restart_risk"}
POOL_KINDS = GPU_HOUR_KINDS | {"electricity", "colocation", "purchase", "depreciation"}


def sample_budgets() -> list[tuple[str, Budget]]:
    out = [("worked example", worked_example())]
    for path in SAMPLES:
        read = read_budget(path)
        assert read.ok and read.budget is not None, path.name
        out.append((path.name, read.budget))
    return out


def check_line(it: LineItem, budget: Budget) -> None:
    assert it.kind in KINDS, it
    if it.kind in FAMILY_OF:
        assert it.family in FAMILY_OF[it.kind], (it.kind, it.family, it.item)
    assert (it.unit == "GPU-hour") == (it.kind in GPU_HOUR_KINDS), (it.kind, it.unit)
    pools = {p.name for p in budget.pools}
    runs = {r.name for r in budget.runs}
    if it.kind in POOL_KINDS:
        assert it.pool in pools, (it.kind, it.pool)
    else:
        assert it.pool is None, it
    if it.kind in RUN_KINDS:
        assert it.run in runs, (it.kind, it.run)
    if it.kind in ("data", "staff", "other"):
        assert it.source.startswith(f"{it.kind}."), it.source


def test_every_line_of_every_sample_has_a_kind_its_pool_and_its_run() -> None:
    seen: set[str] = set()
    for name, budget in sample_budgets():
        for scen in budget.scenario_names:
            b = apply_scenario(budget, scen)
            result = compute_budget(b, scenario=scen)
            assert result.items, name
            for it in result.items:
                check_line(it, b)
                seen.add(it.kind)
            if scen != "Base":
                continue
            for view in ("cash", "pnl"):
                for it in build_timeline(budget, view=view).lines:
                    check_line(it, b)
                    seen.add(it.kind)
    assert seen == set(KINDS), set(KINDS) - seen  # every kind is met in the samples


def test_kind_is_required_and_checked() -> None:
    with pytest.raises(TypeError):
        LineItem("data", "x", 1, "u", 1, 1, "USD", "b")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="unknown line kind"):
        LineItem("data", "x", 1, "u", 1, 1, "USD", "b", kind="Electricity")


def test_lines_are_found_by_kind_not_by_words() -> None:
    """Renaming every line's words changes nothing the code derives from the lines."""
    budget = worked_example()
    result = compute_budget(budget)
    pools = [pool_of_item(it) for it in result.items]
    for it in result.items:
        it.item = "renamed: " + it.item[::-1]
    assert [pool_of_item(it) for it in result.items] == pools
    sweeps = [it for it in result.items if it.kind == "sweep"]
    assert sweeps and all(pool_of_item(it) == "h100-cloud" for it in sweeps)
    assert "kind" in LINE_COLUMNS and list(result.lines["kind"]) == [
        it.kind for it in result.items]


def test_estimate_energy_cost_is_the_electricity_lines() -> None:
    owned = estimate("70B", "1.4T", gpu="H100", own=True)
    assert owned.result is not None
    electricity = [it for it in owned.result.items if it.kind == "electricity"]
    assert len(electricity) == 1
    assert owned.energy_cost == electricity[0].amount > 0
    rented = estimate("70B", "1.4T", gpu="H100")
    assert rented.energy_cost == 0  # in the rental price
