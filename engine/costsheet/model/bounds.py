"""Bounds on what one budget may ask of costsheet: every number finite, every plan a length a
person plans for, every simulation a size a laptop holds.

Work in costsheet scales with a few inputs: the months a line is spread over (a run's wall-clock
time, a staff line's months, a reserved term, a depreciation life) and the months between the
first start and the last end make the monthly plan; Monte Carlo trials times uncertain inputs
make the draws. :func:`check_result` refuses a computed scenario whose numbers are not finite or
whose plan is longer than :data:`MAX_PLAN_MONTHS`, before any of that work starts;
:func:`check_simulation` refuses a simulation larger than :data:`MAX_TRIALS` trials or
:data:`MAX_DRAWS` draws. Each refusal is an :class:`~costsheet.errors.InputError` whose ``key``
names the input most likely at fault and whose ``related`` keys name the other inputs that
produce the number (the workbook reader turns both into cells).

The bounds (docs/template.md, *Input bounds*):

- :data:`MAX_PLAN_MONTHS`: 1,200 months (100 years), for any line and for the whole plan;
- :data:`MIN_MFU`: an MFU (run, drivers, decode) of 0.1% or more, the Monte Carlo's floor too;
- :data:`MAX_INTERRUPTION_OVERHEAD`: GPU-hours lost to interruptions at most 100 times the run's
  useful GPU-hours (a goodput of 1%);
- :data:`MAX_TRIALS`: 1,000,000 Monte Carlo trials; :data:`MAX_DRAWS`: 20,000,000 draws (trials
  times uncertain inputs, 160 MB of numbers);
- :data:`MAX_INPUT_LINES`: 50,000 input lines; :data:`MAX_LINE_SCENARIOS`: 100,000 lines times
  scenarios (:func:`check_size`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..errors import InputError
from ..i18n import _, ngettext
from ..inputs import Budget
from .items import BudgetResult, LineItem, Value, is_scalar, q
from .utilisation import calibration_runs

__all__ = [
    "DAYS_PER_MONTH",
    "MAX_DRAWS",
    "MAX_INPUT_LINES",
    "MAX_INTERRUPTION_OVERHEAD",
    "MAX_LINE_SCENARIOS",
    "MAX_PLAN_MONTHS",
    "MAX_TRIALS",
    "MIN_MFU",
    "check_finite",
    "check_result",
    "check_simulation",
    "check_size",
    "finite",
]

MAX_PLAN_MONTHS = 1200
MIN_MFU = 1e-3
MAX_INTERRUPTION_OVERHEAD = 100.0
MAX_TRIALS = 1_000_000
MAX_DRAWS = 20_000_000
MAX_INPUT_LINES = 50_000
MAX_LINE_SCENARIOS = 100_000
DAYS_PER_MONTH = 365.0 / 12.0


def finite(value: Value) -> bool:
    """Whether ``value`` (a number, an array of trials, or None) holds only finite numbers."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, (int, float)):  # the common case (np.float64 too), without numpy
        return math.isfinite(value)
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError):
        return True


def check_result(budget: Budget, result: BudgetResult) -> None:
    """Refuse a computed scenario that is not finite, or whose plan is too long (module doc)."""
    check_finite(budget, result)
    _check_runs(result)
    _check_lines(budget, result)
    _check_span(budget, result)


def check_finite(budget: Budget, result: BudgetResult) -> None:
    """Refuse an MFU below :data:`MIN_MFU` and any number of ``result`` that is not finite
    (what ``estimate`` checks: it plans no months)."""
    _check_mfu(budget, result)
    _check_finite(budget, result)


def check_simulation(trials: int, uncertain: int) -> None:
    """Refuse a Monte Carlo simulation of more than :data:`MAX_TRIALS` trials or
    :data:`MAX_DRAWS` draws (``uncertain`` inputs drawn ``trials`` times, plus restart risk)."""
    if trials > MAX_TRIALS:
        raise InputError(
            _("{trials} Monte Carlo trials is more than costsheet runs ({most})").format(
                trials=f"{trials:,}", most=f"{MAX_TRIALS:,}"),
            code="too_many_trials", key="trials",
            hint=_("use {most} trials or fewer").format(most=f"{MAX_TRIALS:,}"))
    draws = trials * (uncertain + 1)
    if draws > MAX_DRAWS:
        fewer = max(MAX_DRAWS // (uncertain + 1), 1)
        raise InputError(
            _("{trials} Monte Carlo trials of {inputs} uncertain inputs are {draws} draws, "
              "more than costsheet holds at once ({most})").format(
                trials=f"{trials:,}", inputs=f"{uncertain:,}", draws=f"{draws:,}",
                most=f"{MAX_DRAWS:,}"),
            code="too_many_draws", key="trials",
            hint=_("use {fewer} trials or fewer, or fewer uncertain inputs").format(
                fewer=f"{fewer:,}"))


def check_size(lines: int, scenarios: int) -> None:
    """Refuse a budget of more than :data:`MAX_INPUT_LINES` input lines, or whose lines times
    scenarios (the rows of the Line items sheet, each computed) pass :data:`MAX_LINE_SCENARIOS`:
    memory and time grow with both (10,000 lines in 12 scenarios: about 20 s and 650 MB)."""
    if lines > MAX_INPUT_LINES:
        raise InputError(
            _("{lines} input lines are more than costsheet computes in one workbook "
              "({most})").format(lines=f"{lines:,}", most=f"{MAX_INPUT_LINES:,}"),
            code="too_many_lines",
            hint=_("split the budget into workbooks, or sum similar lines into one"))
    if lines * max(scenarios, 1) > MAX_LINE_SCENARIOS:
        most = max(MAX_LINE_SCENARIOS // max(lines, 1), 1)
        raise InputError(
            _("{lines} input lines in {scenarios} scenarios are {total} lines to compute, "
              "more than costsheet computes in one workbook ({most})").format(
                lines=f"{lines:,}", scenarios=scenarios, total=f"{lines * scenarios:,}",
                most=f"{MAX_LINE_SCENARIOS:,}"),
            code="too_many_lines",
            hint=ngettext("keep {n} scenario or fewer, or fewer lines",
                          "keep {n} scenarios or fewer, or fewer lines", most).format(n=most))


# ---- the checks


def _run_keys(result: BudgetResult, run: str) -> tuple[str, list[str]]:
    """(the MFU input a run uses, the inputs that size it) as keys."""
    info = result.runs.get(run, {})
    source = str(info.get("mfu_source") or "")
    mfu = {"run": f"runs.{run}.mfu", "drivers": "drivers.mfu"}.get(source, "")
    pool = info.get("pool")
    sizes = ([f"runs.{run}.tokens", f"runs.{run}.params", f"runs.{run}.flops"] if source
             else [f"runs.{run}.gpu_hours"])
    if pool:
        sizes.append(f"pools.{pool}.gpu_count")
    return mfu, sizes


def _check_mfu(budget: Budget, result: BudgetResult) -> None:
    inputs = [("drivers.mfu", budget.drivers.mfu)]
    for run in budget.runs:
        inputs += [(f"runs.{run.name}.mfu", run.mfu),
                   (f"runs.{run.name}.decode_mfu", run.decode_mfu)]
    for key, value in inputs:
        if value is not None and is_scalar(value) and 0 < float(value) < MIN_MFU:
            published = [c.mfu for c in calibration_runs()]
            raise InputError(
                _("an MFU of {mfu} is below {floor}, the lowest costsheet plans with (the "
                  "published runs of `costsheet runs` imply {low} to {high}; at 0.1% a run "
                  "takes 400 times as long as at 40%)").format(
                    mfu=f"{float(value) * 100:.3g}%", floor=f"{MIN_MFU:.1%}",
                    low=f"{min(published):.0%}", high=f"{max(published):.0%}"),
                code="mfu_too_low", key=key,
                hint=_("write the MFU as a fraction (0.4) or a percentage (40%)"))


def _line_key(budget: Budget, result: BudgetResult, item: LineItem) -> tuple[str, list[str]]:
    """(the input a line comes from, the other inputs that make it): a run's row, then its MFU
    and size, the pool's price and GPU type and that GPU's catalog row."""
    key = item.source or (f"runs.{item.run}" if item.run else "")
    related: list[str] = []
    if item.run is not None:
        mfu, sizes = _run_keys(result, item.run)
        key, related = f"runs.{item.run}", [mfu, *sizes]
    pool = next((p for p in budget.pools if p.name == item.pool), None)
    if pool is not None:
        related += [f"pools.{pool.name}.price_per_gpu_hour", f"pools.{pool.name}.gpu_type"]
        if pool.gpu_type:
            related += [f"gpu_catalog.{pool.gpu_type}.bf16_dense_tflops",
                        f"gpu_catalog.{pool.gpu_type}.fp8_dense_tflops"]
    return key, related


def _not_finite(what: str, value: Value, key: str, related: Iterable[str]) -> InputError:
    nan = not is_scalar(value) or math.isnan(float(value))
    message = (_("{what} is not a number: the numbers it is made of overflow (an input far "
                 "too large, or one near 0 that a cost is divided by, such as an MFU or a "
                 "GPU's peak throughput)") if nan else
               _("{what} is infinitely large: the numbers it is made of overflow (an input far "
                 "too large, or one near 0 that a cost is divided by, such as an MFU or a "
                 "GPU's peak throughput)"))
    return InputError(
        message.format(what=what), code="not_finite", key=key,
        related=tuple(dict.fromkeys(r for r in related if r)),
        hint=_("check the inputs this line is made of"))


def _check_finite(budget: Budget, result: BudgetResult) -> None:
    for it in result.items:
        for value in (it.quantity, it.unit_cost, it.amount):
            if not finite(value):
                key, related = _line_key(budget, result, it)
                raise _not_finite(_("{item}: its quantity or its amount").format(
                    item=it.item), value, key, related)
    for name, value in [("total", result.total), *result.metrics.items()]:
        if not finite(value):
            worst = max(result.items, key=lambda i: float(np.max(np.abs(i.amount))),
                        default=None)
            key, related = ("", []) if worst is None else _line_key(budget, result, worst)
            raise _not_finite(_("the budget's {figure}").format(
                figure=name.replace("_", " ")), value, key, related)


def _check_runs(result: BudgetResult) -> None:
    for run, info in result.runs.items():
        goodput = info.get("goodput")
        pool = info.get("pool")
        if goodput is not None and is_scalar(goodput) and \
                float(goodput) < 1.0 / (1.0 + MAX_INTERRUPTION_OVERHEAD):
            raise InputError(
                _("run {run!r}: interruptions would cost {times} times its useful GPU-hours "
                  "(goodput {goodput}); costsheet plans with at most {most} times (a goodput "
                  "of 1%)").format(run=run, times=f"{1.0 / float(goodput) - 1.0:,.3g}",
                                   goodput=f"{float(goodput):.2g}",
                                   most=f"{MAX_INTERRUPTION_OVERHEAD:,.0f}"),
                code="too_many_interruptions", key="drivers.interruption_rate_per_1000_gpu_days",
                related=("drivers.checkpoint_interval_hours", "drivers.restart_hours",
                         f"pools.{pool}.gpu_count"),
                hint=_("the interruption rate is per 1,000 GPU-days (Llama 3 405B: about "
                       "0.47)"))
        wall = info.get("wall_clock_days")
        if wall is not None and is_scalar(wall) and \
                float(wall) > MAX_PLAN_MONTHS * DAYS_PER_MONTH:
            mfu, sizes = _run_keys(result, run)
            raise InputError(
                _("run {run!r}: {hours} GPU-hours take {years} years of wall-clock time on its "
                  "pool's GPUs; costsheet plans at most {most} years").format(
                    run=run, hours=q(info.get("gpu_hours")), years=f"{float(wall) / 365.0:,.3g}",
                    most=MAX_PLAN_MONTHS // 12),
                code="run_too_long", key=mfu or f"runs.{run}", related=(f"runs.{run}", *sizes),
                hint=_("check the run's MFU, tokens and parameters, and its pool's GPU count"))


def _check_lines(budget: Budget, result: BudgetResult) -> None:
    life = budget.drivers.depreciation_life_years
    if is_scalar(life) and float(life) * 12.0 > MAX_PLAN_MONTHS and any(
            p.ownership == "own" for p in budget.pools):
        raise _too_long(_("a depreciation life of {years} years").format(years=q(life)),
                        "drivers.depreciation_life_years", _("check the number of years"))
    for it in result.items:
        if it.months is None or it.run is not None or not it.months > MAX_PLAN_MONTHS:
            continue
        field = "term_months" if it.kind == "idle_capacity" else "months"
        raise _too_long(_("{item}: {months} months").format(item=it.item, months=q(it.months)),
                        f"{it.source}.{field}", _("check the number of months"))


def _too_long(what: str, key: str, hint: str) -> InputError:
    return InputError(
        _("{what} is longer than costsheet plans ({months} months, {years} years)").format(
            what=what, months=f"{MAX_PLAN_MONTHS:,}", years=MAX_PLAN_MONTHS // 12),
        code="plan_too_long", key=key, hint=hint)


def _month(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _check_span(budget: Budget, result: BudgetResult) -> None:
    """The months from the first start to the last end of any line, pool or the drivers."""
    marks: list[tuple[int, int, str]] = []  # (first month, last month, key of its start)
    if budget.drivers.start_month:
        m = _month(budget.drivers.start_month)
        marks.append((m, m, "drivers.start_month"))
    for pool in budget.pools:
        if pool.start_month:
            m = _month(pool.start_month)
            term = pool.term_months if is_scalar(pool.term_months) else None
            marks.append((m, m + max(math.ceil(float(term or 1)) - 1, 0),
                          f"pools.{pool.name}.start_month"))
    for it in result.items:
        if it.start_month:
            m = _month(it.start_month)
            months = it.months if it.months is not None and math.isfinite(it.months) else 1
            key = f"runs.{it.run}.start_month" if it.run else f"{it.source}.start_month"
            marks.append((m, m + max(math.ceil(months) - 1, 0), key))
    if not marks:
        return
    first = min(marks, key=lambda x: x[0])
    last = max(marks, key=lambda x: x[1])
    span = last[1] - first[0] + 1
    if span > MAX_PLAN_MONTHS:
        raise InputError(
            _("the budget runs from {start} to {end}, {span} months; costsheet plans at most "
              "{most} months ({years} years)").format(
                start=_name(first[0]), end=_name(last[1]), span=f"{span:,}",
                most=f"{MAX_PLAN_MONTHS:,}", years=MAX_PLAN_MONTHS // 12),
            code="plan_too_long", key=last[2], related=(first[2],),
            hint=_("check the start months (YYYY-MM) and the lengths of the lines"))


def _name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
