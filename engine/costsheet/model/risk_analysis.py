"""The analyses behind the Scenarios, Sensitivity and Risk sheets, for one budget.

:func:`analyse` compares every scenario with Base (:func:`~costsheet.model.sensitivity.
compare_scenarios`), moves each driver alone (:func:`~costsheet.model.sensitivity.tornado`) and
runs the seeded Monte Carlo simulation (:func:`~costsheet.model.montecarlo.simulate`);
:class:`RiskAnalysis` holds the three results, which :mod:`costsheet.workbook.risk_sheets`
renders and ``costsheet run --json`` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..inputs import Budget
from .budget import compute_budget
from .default_ranges import DefaultRanges, default_uncertainties
from .items import BudgetResult
from .montecarlo import (
    DEFAULT_SEED,
    DEFAULT_TRIALS,
    Distribution,
    RiskResult,
    check_uncertainties,
    simulate,
)
from .sensitivity import DEFAULT_SWING, ScenarioComparison, Tornado, compare_scenarios, tornado

__all__ = ["RiskAnalysis", "analyse"]


@dataclass
class RiskAnalysis:
    """Scenario comparisons, the tornado and the Monte Carlo result of one budget."""

    comparisons: list[ScenarioComparison]
    tornado: Tornado
    risk: RiskResult
    currency: str
    note: str = ""  # where the uncertain inputs came from, when not from the workbook's own
    #: inputs left at a published default, drawn over its published range (one sentence each)
    default_notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        risk = self.risk.to_dict()
        if self.note:
            risk["note"] = self.note
        if self.default_notes:
            risk["defaults"] = list(self.default_notes)
        return {
            "scenarios": [c.to_dict() for c in self.comparisons],
            "sensitivity": self.tornado.to_dict(),
            "risk": risk,
        }


def analyse(
    budget: Budget,
    catalog: Catalog | None = None,
    *,
    uncertainties: Mapping[str, Distribution] | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = DEFAULT_SEED,
    swing: float = DEFAULT_SWING,
    progress: Callable[[int], None] | None = None,
    results: Mapping[str, BudgetResult] | None = None,
    note: str = "",
    published_defaults: bool = True,
) -> RiskAnalysis:
    """Compare scenarios with Base, run the tornado, and simulate ``trials`` seeded trials.

    ``results`` are scenarios already computed by name (as ``costsheet run`` has them), reused
    instead of computed again. With ``published_defaults``, inputs left at a published default
    (a run's MFU, an RL run's decode MFU) that ``uncertainties`` does not cover are drawn over
    their published range (:func:`~costsheet.model.default_ranges.default_uncertainties`).
    """
    results = results or {}
    base = results.get("Base") or compute_budget(budget, catalog)
    comps = compare_scenarios(budget, catalog, results=results)
    torn = tornado(budget, catalog, swing=swing, base_result=base)
    stated = check_uncertainties(budget, uncertainties or {})
    defaults = default_uncertainties(budget, base, stated, catalog) if published_defaults \
        else DefaultRanges()
    risk = simulate(budget, {**stated, **defaults.uncertainties}, trials=trials, seed=seed,
                    catalog=catalog, progress=progress, base_result=base)
    return RiskAnalysis(comps, torn, risk, risk.currency, note, defaults.notes)
