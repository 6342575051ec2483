"""Experiments and failures: sweeps and ablations, interruptions, restart risk."""

from __future__ import annotations

from ..i18n import _
from ..units import format_money_short
from .items import LineItem, Value, is_scalar, m, pct, q
from .labels import RESTART_RISK, line_name


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
        "experiments", line_name(RESTART_RISK, run_name), probability, _("chance"),
        redo, amount, currency,
        _("expected cost of a restart: {chance} chance × {redo} ({share} of the run's {cost} "
          "compute redone) = {amount}; held as a reserve, not spent month by month").format(
            chance=pct(probability), redo=_short(redo, currency), share=pct(share_lost),
            cost=_short(run_cost, currency), amount=_short(amount, currency)),
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
    return _("{multiple} × {hours} final-run GPU-h").format(multiple=q(multiplier),
                                                              hours=q(final_gpu_hours))
