"""The analyses behind the Scenarios, Sensitivity and Risk sheets, for one budget.

:func:`analyse` compares every scenario with Base (:func:`~costsheet.model.sensitivity.
compare_scenarios`), moves each driver alone (:func:`~costsheet.model.sensitivity.tornado`) and
runs the seeded Monte Carlo simulation (:func:`~costsheet.model.montecarlo.simulate`);
:class:`RiskAnalysis` holds the three results, which :mod:`costsheet.workbook.risk_sheets`
renders and ``costsheet run --json`` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog
from ..inputs import Budget
from .items import BudgetResult
from .montecarlo import DEFAULT_SEED, DEFAULT_TRIALS, Distribution, RiskResult, simulate
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenarios": [c.to_dict() for c in self.comparisons],
            "sensitivity": self.tornado.to_dict(),
            "risk": {**self.risk.to_dict(), **({"note": self.note} if self.note else {})},
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
) -> RiskAnalysis:
    """Compare scenarios with Base, run the tornado, and simulate ``trials`` seeded trials.

    ``results`` are scenarios already computed by name (as ``costsheet run`` has them), reused
    instead of computed again.
    """
    results = results or {}
    base = results.get("Base")
    comps = compare_scenarios(budget, catalog, results=results)
    torn = tornado(budget, catalog, swing=swing, base_result=base)
    risk = simulate(budget, uncertainties or {}, trials=trials, seed=seed, catalog=catalog,
                    progress=progress, base_result=base)
    return RiskAnalysis(comps, torn, risk, risk.currency, note)
