"""Experiments and failures: sweeps and ablations, interruptions, restart risk."""

from __future__ import annotations

from ..i18n import _
from .items import LineItem, Value, m, pct, q
from .labels import RESTART_RISK, line_name


def restart_risk_line(
    run_name: str,
    probability: Value,
    share_lost: Value,
    run_cost: Value,
    currency: str,
    start_month: str | None,
    stage: str | None = None,
) -> LineItem:
    """Expected cost of a failed or diverged final run: probability × share redone × run cost.

    In a Monte Carlo run ``probability`` is a 0/1 draw per trial, so rare failures show in the
    tail instead of being smeared over every trial.
    """
    amount = probability * share_lost * run_cost
    return LineItem(
        "experiments", line_name(RESTART_RISK, run_name), probability,
        _("probability"),
        share_lost * run_cost, amount, currency,
        _("{chance} chance × {share} of the run redone × {cost} run compute").format(
            chance=pct(probability), share=pct(share_lost), cost=m(run_cost, currency)),
        f"runs.{run_name}", start_month, None, kind="restart_risk", run=run_name,
        stage=stage,
    )


def sweep_gpu_hours(final_gpu_hours: Value, multiplier: Value) -> Value:
    """GPU-hours of sweeps and ablations, as a multiple of the final run's GPU-hours."""
    return final_gpu_hours * multiplier


def sweep_basis(final_gpu_hours: Value, multiplier: Value) -> str:
    return _("{multiple} × {hours} final-run GPU-h").format(multiple=q(multiplier),
                                                              hours=q(final_gpu_hours))
