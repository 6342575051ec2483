"""One `costsheet run` computes each scenario once: the reader's trial compute is what run uses."""

from __future__ import annotations

import shutil
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from costsheet.model import budget as budget_module
from costsheet.model.scenarios import apply_scenario
from costsheet.workbook.reader import read_budget
from costsheet.workbook.run import run_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# every module that calls compute_budget by a name it imported (the reader imports it lazily,
# from costsheet.model.budget itself)
CALLERS = ("costsheet.model.budget", "costsheet.workbook.run", "costsheet.model.sensitivity",
           "costsheet.model.montecarlo", "costsheet.model.timeline")


def _dump(budget: Any) -> str | None:
    """The budget as JSON, or None when it holds Monte Carlo arrays (not a scenario)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return budget.model_dump_json()
    except Exception:  # numpy arrays in numeric fields do not serialise
        return None


@pytest.mark.parametrize("sample", ["deepseek-v3-like.xlsx", "frontier-owned.xlsx",
                                    "monthly-actuals.xlsx"])
def test_run_computes_each_scenario_once(tmp_path: Path, sample: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / sample
    shutil.copy(SAMPLES / sample, path)
    read = read_budget(path)
    assert read.ok and read.budget is not None
    scenarios = {s: _dump(apply_scenario(read.budget, s)) for s in read.budget.scenario_names}
    assert len(set(scenarios.values())) == len(scenarios)  # each scenario is told apart
    real = budget_module.compute_budget
    calls: Counter[str] = Counter()

    def counting(budget: Any, catalog: Any = None, scenario: str = "Base") -> Any:
        dump = _dump(budget)
        calls.update(s for s, d in scenarios.items() if dump == d and scenario == s)
        return real(budget, catalog, scenario)

    import importlib

    for name in CALLERS:
        module = importlib.import_module(name)
        if hasattr(module, "compute_budget"):
            monkeypatch.setattr(module, "compute_budget", counting)
    result = run_workbook(path, trials=300, seed=3)
    assert result.scenarios == list(scenarios)
    assert calls == Counter({s: 1 for s in scenarios}), calls


def test_check_keeps_the_results_and_run_with_another_catalog_computes(tmp_path: Path) -> None:
    """The reader hands its results on; a run with its own catalog computes its own."""
    from costsheet.catalog import default_catalog
    from costsheet.model.budget import compute_budget

    path = tmp_path / "b.xlsx"
    shutil.copy(SAMPLES / "small-7b-rented.xlsx", path)
    read = read_budget(path)
    assert read.budget is not None
    assert list(read.results) == read.budget.scenario_names
    for name, res in read.results.items():
        again = compute_budget(apply_scenario(read.budget, name), scenario=name)
        assert res.to_dict() == again.to_dict()
    slow = default_catalog().with_overrides([{"key": "H100", "bf16_dense_tflops": 500}])
    own = run_workbook(path, out=tmp_path / "out.xlsx", catalog=slow, trials=200, seed=1)
    base = run_workbook(path, out=tmp_path / "out2.xlsx", trials=200, seed=1)
    assert own.results["Base"].total != base.results["Base"].total
