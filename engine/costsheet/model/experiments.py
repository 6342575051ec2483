"""Experiments and failures: sweeps and ablations, interruptions, restart risk."""

from __future__ import annotations

from ..units import format_money_short
from .items import LineItem, Value, is_scalar, m, pct, q


def restart_risk_line(
    run_name: str,
    probability: Value,
    share_lost: Value,
    run_cost: Value,
    currency: str,
    start_month: str | None,
    stage: str | None = None,
    months: float | None = None,
) -> LineItem:
    """Expected cost of a failed or diverged final run: probability × share redone × run cost.

    A reserve, not cash: the monthly plan holds it beside the months (``months``: the run's,
    after which an unused reserve is released; see :mod:`costsheet.model.variance`). In a Monte
    Carlo run ``probability`` is a 0/1 draw per trial, so rare failures show in the tail instead
    of being smeared over every trial.
    """
    redo = share_lost * run_cost
    amount = probability * redo
    return LineItem(
        "experiments", f"Restart risk (expected): {run_name}", probability, "chance",
        redo, amount, currency,
        f"expected cost of a restart: {pct(probability)} chance × {_short(redo, currency)} "
        f"({pct(share_lost)} of the run's {_short(run_cost, currency)} compute redone) = "
        f"{_short(amount, currency)}; held as a reserve, not spent month by month",
        f"runs.{run_name}", start_month, months, kind="restart_risk", run=run_name,
        stage=stage,
    )


def _short(x: Value, currency: str) -> str:
    """``$4.64M`` for a sentence (a range for Monte Carlo trials)."""
    return format_money_short(float(x), currency) if is_scalar(x) else m(x, currency)


def sweep_gpu_hours(final_gpu_hours: Value, multiplier: Value) -> Value:
    """GPU-hours of sweeps and ablations, as a multiple of the final run's GPU-hours."""
    return final_gpu_hours * multiplier


def sweep_basis(final_gpu_hours: Value, multiplier: Value) -> str:
    return f"{q(multiplier)} × {q(final_gpu_hours)} final-run GPU-h"
