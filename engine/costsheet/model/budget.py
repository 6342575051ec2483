"""Assemble a whole budget: every line item of every family, with totals and key figures.

``compute_budget`` is a pure function of a :class:`~costsheet.inputs.Budget` (one scenario, already
applied) and a GPU catalog. It works on floats, or on numpy arrays of Monte Carlo trials put into
the inputs' numeric fields (see ``costsheet.model.montecarlo``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..catalog import Catalog, GpuSpec, default_catalog
from ..errors import InputError
from ..i18n import _
from ..inputs import HOURS_PER_MONTH, Budget, Drivers, GpuPool, TrainingRun
from .compute import RunCompute, average_power_w, gpu_hour_rate, run_compute, run_mfu
from .costlines import FxRate, cost_line, staff_line
from .experiments import restart_risk_line, sweep_basis, sweep_gpu_hours
from .items import BudgetResult, LineItem, Value, is_scalar, m, pct, q
from .labels import (
    EXPERIMENT,
    IDLE_OWNED,
    IDLE_RESERVED,
    INTERRUPTIONS,
    SWEEPS,
    line_name,
    stage_line_name,
)
from .memory import fit_warning, memory_fit
from .power import colocation_line, electricity_line
from .stages import attention_share, rl_decode_warning, uses_default_rl_decode
from .utilisation import calibration_runs


def nonzero(x: Value) -> bool:
    """True unless x is a scalar zero (arrays always count: some trial may be non-zero)."""
    return not is_scalar(x) or float(x) != 0.0


@dataclass
class _Use:
    """GPU-hours a run (or its interruptions, or its sweeps) takes from a pool."""

    kind: str
    family: str
    item: str
    gpu_hours: Value
    basis: str
    source: str
    start_month: str | None
    months: float | None
    run: str  # the run whose GPU-hours these are
    stage: str  # that run's training stage
    own_compute: bool = False  # the final run's own compute (what a restart redoes)


def budget_catalog(budget: Budget, catalog: Catalog | None = None) -> Catalog:
    base = catalog or default_catalog()
    return base.with_overrides(budget.gpu_catalog) if budget.gpu_catalog else base


def pool_for(budget: Budget, name: str | None, what: str, key: str | None = None) -> GpuPool:
    """The pool called ``name`` (any case), or the only pool when ``name`` is None.

    ``what`` names who asks, for the message (may be blank); ``key`` is the input or argument
    the error concerns.
    """
    head = f"{what}: " if what else ""
    if name is None:
        if len(budget.pools) == 1:
            return budget.pools[0]
        if not budget.pools:
            raise InputError(head + _("there is no GPU pool to run on"), code="no_pool",
                             key=key)
        raise InputError(
            head + _("name its pool (there are {n}: {pools})").format(
                n=len(budget.pools), pools=", ".join(p.name for p in budget.pools)),
            code="pool_not_named", key=key,
        )
    for pool in budget.pools:
        if pool.name.lower() == name.lower():
            return pool
    known = ", ".join(p.name for p in budget.pools) or _("none")
    raise InputError(head + _("unknown pool {name!r} (known: {known})").format(
        name=name, known=known), code="unknown_pool", key=key)


def run_named(name: str) -> str:
    """``run 'v3'``: who asks, in a message about a run."""
    return _("run {name!r}").format(name=name)


def pool_named(name: str) -> str:
    """``pool 'h800'``: the subject of a message about a pool."""
    return _("pool {name!r}").format(name=name)


def make_fx(budget: Budget) -> FxRate:
    """Rate and basis note from a currency to the budget's reporting currency (FX sheet)."""
    reporting = budget.currency

    def fx(currency: str | None) -> tuple[float, str]:
        if currency is None or currency == reporting:
            return 1.0, ""
        rate = budget.fx_rates.get(currency)
        if rate is None:
            raise InputError(
                _("no exchange rate from {currency} to {reporting}").format(
                    currency=currency, reporting=reporting),
                hint=_("add the rate on the FX sheet"), code="no_fx_rate",
                key=f"fx_rates.{currency}",
            )
        return rate, f"× {rate:g} {reporting}/{currency}"

    return fx


def _months_of(days: Value | None) -> float | None:
    if days is None or not is_scalar(days):
        return None
    return max(float(days) / (365.0 / 12.0), 0.0)


def compute_budget(
    budget: Budget, catalog: Catalog | None = None, scenario: str = "Base"
) -> BudgetResult:
    """Every line item of the budget, in its reporting currency."""
    cat = budget_catalog(budget, catalog)
    d = budget.drivers
    cur = budget.currency
    fx = make_fx(budget)
    specs: dict[str, GpuSpec | None] = {
        p.name: (cat.get(p.gpu_type) if p.gpu_type else None) for p in budget.pools
    }
    warnings: list[str] = []
    _check_experiments(d)
    runs, uses = _gpu_uses(budget, specs, warnings)
    items: list[LineItem] = []
    pool_info: dict[str, dict[str, Value]] = {}
    run_cost: dict[str, Value] = {}
    energy_total: Value = 0.0
    tdp_energy: Value | None = 0.0  # None once a used pool has no catalog GPU (no TDP)
    for pool in budget.pools:
        priced = _price_pool(pool, specs[pool.name], uses.get(pool.name, []), d, cur, fx,
                             warnings)
        items.extend(priced.items)
        for run_name, amount in priced.run_cost.items():
            run_cost[run_name] = run_cost.get(run_name, 0.0) + amount
        if priced.energy_kwh is not None:
            energy_total = energy_total + priced.energy_kwh
            tdp = priced.info["gpu_tdp_energy_kwh"]
            tdp_energy = None if tdp_energy is None or tdp is None else tdp_energy + tdp
        pool_info[pool.name] = priced.info

    for run in budget.runs:
        if run.kind == "final" and nonzero(d.restart_probability):
            items.append(restart_risk_line(
                run.name, d.restart_probability, d.restart_share_lost,
                run_cost.get(run.name, 0.0), cur, runs[run.name].start_month, run.stage,
                months=_months_of(runs[run.name].wall_clock_days)))

    for line in budget.data:
        items.append(cost_line(line, fx, "data", cur))
    for sline in budget.staff:
        items.append(staff_line(sline, d, fx))
    for line in budget.other:
        items.append(cost_line(line, fx, "other", cur))
    for it in items:
        it.currency = cur

    finals = [rc for rc in runs.values() if rc.kind == "final"]
    metrics = _metrics(finals, energy_total, d.grid_kg_co2_per_kwh)
    metrics["gpu_tdp_energy_kwh"] = tdp_energy
    result = BudgetResult(
        items=items, currency=cur, metrics=metrics, pools=pool_info,
        runs={name: _run_info(rc) for name, rc in runs.items()},
        warnings=warnings, scenario=scenario,
    )
    tokens = metrics.get("tokens")
    if tokens is not None:
        metrics["cost_per_million_tokens"] = result.total / (tokens / 1e6)
    else:
        metrics["cost_per_million_tokens"] = None
    return result


def _check_experiments(d: Drivers) -> None:
    """Sweeps and ablations given both ways (Epoch AI's total multiple and the extra multiple)
    are refused here, not by a Drivers validator: the reader reports it against its cell."""
    if d.experiments_total_multiple is not None and nonzero(d.experiment_multiplier):
        raise InputError(
            _("drivers: the experiments are given twice: experiments_total_multiple (all "
              "GPU-hours ÷ the final run's, Epoch AI's way) and experiment_multiplier (the extra "
              "÷ the final run's)"),
            hint=_("keep one: a total multiple of 2.2 is an experiments multiple of 1.2"),
            code="given_twice", key="drivers.experiments_total_multiple")


def _gpu_uses(
    budget: Budget, specs: dict[str, GpuSpec | None], warnings: list[str]
) -> tuple[dict[str, RunCompute], dict[str, list[_Use]]]:
    """Every run's compute, and the GPU-hours each pool gives to runs, in budget order."""
    d = budget.drivers
    uses: dict[str, list[_Use]] = defaultdict(list)
    runs: dict[str, RunCompute] = {}
    for run in budget.runs:
        pool = pool_for(budget, run.pool, run_named(run.name), key=f"runs.{run.name}.pool")
        _check_gpus(pool, run)
        rc = run_compute(run, pool, specs[pool.name], d)
        runs[run.name] = rc
        months = _months_of(rc.wall_clock_days)
        warnings.extend(_run_warnings(run, pool, specs[pool.name], d))
        if run.kind == "final":
            uses[pool.name].extend(_final_run_uses(run, rc, pool, d, months))
            if is_scalar(rc.mfu) and rc.mfu is not None and rc.mfu > 0.6:
                warnings.append(_high_mfu_warning(run.name, float(rc.mfu)))
        else:
            uses[pool.name].append(_Use(
                "experiment_run", "experiments", line_name(EXPERIMENT, run.name),
                rc.gpu_hours * run.count,
                (_("{n} runs × ").format(n=run.count) if run.count != 1 else "") + rc.basis,
                f"runs.{run.name}", rc.start_month, months, run.name, run.stage))
    return runs, uses


def _check_gpus(pool: GpuPool, run: TrainingRun) -> None:
    """A pool of 0 GPUs that a run uses is an error: it has no wall-clock time and no
    interruptions, which would otherwise drop without a word (blank means rented on demand)."""
    if pool.gpu_count is not None and is_scalar(pool.gpu_count) and float(pool.gpu_count) == 0:
        raise InputError(
            _("pool {pool!r} has 0 GPUs, and run {run!r} runs on it: give the pool's GPU "
              "count, or leave it blank for GPUs rented on demand (the run then has no "
              "wall-clock time and no interruptions)").format(pool=pool.name, run=run.name),
            code="pool_without_gpus",
            key=f"pools.{pool.name}.gpu_count", related=(f"runs.{run.name}.pool",))


def _high_mfu_warning(run_name: str, mfu: float) -> str:
    published = [c.mfu for c in calibration_runs()]
    return _("run {name!r}: MFU {mfu:.0%} is above 60%; the published runs in `costsheet "
             "runs` imply {low:.0%}-{high:.0%}").format(name=run_name, mfu=mfu,
                                                        low=min(published), high=max(published))


def _final_run_uses(run: TrainingRun, rc: RunCompute, pool: GpuPool, d: Drivers,
                    months: float | None) -> list[_Use]:
    """A final run's own GPU-hours, its interruptions and its sweeps and ablations."""
    src = f"runs.{run.name}"
    out = [_Use("final_run", "compute", stage_line_name(run.stage, run.name),
                rc.gpu_hours * run.count, rc.basis, src, rc.start_month, months, run.name,
                run.stage, own_compute=True)]
    if nonzero(rc.interruption_hours):
        lost_h = d.checkpoint_interval_hours / 2 + d.restart_hours
        out.append(_Use(
            "interruptions", "experiments", line_name(INTERRUPTIONS, run.name),
            rc.interruption_hours * run.count,
            _("{rate}/1,000 GPU-days × {gpus} GPUs × {lost} h lost each (half of {checkpoint} h "
              "checkpoint + {restart} h restart) / 24,000 × {hours} GPU-h; goodput "
              "{goodput}").format(
                rate=q(d.interruption_rate_per_1000_gpu_days), gpus=q(pool.gpu_count),
                lost=q(lost_h), checkpoint=q(d.checkpoint_interval_hours),
                restart=q(d.restart_hours), hours=q(rc.gpu_hours), goodput=pct(rc.goodput)),
            src, rc.start_month, months, run.name, run.stage))
    extra = d.extra_experiments
    if nonzero(extra):
        total_given = d.experiments_total_multiple is not None
        out.append(_Use(
            "sweep", "experiments", line_name(SWEEPS, run.name),
            sweep_gpu_hours(rc.gpu_hours * run.count, extra),
            sweep_basis(rc.gpu_hours * run.count, extra)
            + (_(" ({total} total − 1)").format(total=q(d.experiments_total_multiple))
               if total_given else ""),
            "drivers.experiments_total_multiple" if total_given
            else "drivers.experiment_multiplier", rc.start_month, months, run.name, run.stage))
    return out


@dataclass
class _PricedPool:
    items: list[LineItem]
    info: dict[str, Value]
    run_cost: dict[str, Value]  # final run → its own compute cost on this pool
    energy_kwh: Value | None  # None: the pool is not used and holds nothing


def _price_pool(pool: GpuPool, spec: GpuSpec | None, pool_uses: list[_Use], d: Drivers,
                cur: str, fx: FxRate, warnings: list[str]) -> _PricedPool:
    """A pool's GPU-hour lines at its rate, its idle capacity, electricity and colocation."""
    held = pool.term_months is not None
    if not pool_uses and not held:
        warnings.append(_("pool {name!r}: no run uses it, so it costs nothing").format(
            name=pool.name))
        return _PricedPool([], {"gpu_hours_used": 0.0, "capacity_gpu_hours": None,
                                "utilisation": None}, {}, None)
    rate = gpu_hour_rate(pool, spec, d, cur)
    fx_rate, fx_note = fx(rate.currency)
    unit_cost = rate.rate * fx_rate
    used: Value = 0.0
    for u in pool_uses:
        used = used + u.gpu_hours
    items: list[LineItem] = []
    run_cost: dict[str, Value] = {}
    for u in pool_uses:
        if pool.gpu_count is not None and nonzero(pool.gpu_count):
            hours_txt = _("{gpus} GPUs × {hours} h").format(
                gpus=q(pool.gpu_count), hours=q(u.gpu_hours / pool.gpu_count))
        else:
            hours_txt = _("{hours} GPU-h").format(hours=q(u.gpu_hours))
        basis = (
            _("{hours} × {price}/GPU-h").format(hours=hours_txt,
                                                price=m(rate.rate, rate.currency))
            + (f" {fx_note}" if fx_note else "") + f" [{u.basis}; {rate.basis}]"
        )
        amount = u.gpu_hours * unit_cost
        items.append(LineItem(
            u.family, u.item, u.gpu_hours, _("GPU-hour"), unit_cost, amount, cur, basis,
            u.source, u.start_month or pool.start_month, u.months, kind=u.kind, pool=pool.name,
            run=u.run, stage=u.stage))
        if u.own_compute:
            run_cost[u.run] = run_cost.get(u.run, 0.0) + amount
    info: dict[str, Value] = {"gpu_hours_used": used, "price_per_gpu_hour": unit_cost}
    colo_hours = used
    if held:
        idle, capacity, util = _idle_line(pool, used, unit_cost, cur, warnings)
        items.append(idle)
        info.update(capacity_gpu_hours=capacity, utilisation=util)
        colo_hours = np.maximum(capacity, used)
    else:
        info.update(capacity_gpu_hours=None, utilisation=None)
    power_w, power_basis = average_power_w(pool, spec, d)
    line = electricity_line(
        pool.name, pool.ownership == "own", used, power_w, power_basis, d.pue,
        d.kwh_price, cur, pool.start_month, pool.term_months)
    items.append(line)
    info["energy_kwh"] = line.quantity
    info["gpu_tdp_energy_kwh"] = None if spec is None else used * spec.tdp_w / 1000.0
    info["power_w"] = power_w
    if pool.ownership == "own" and nonzero(d.colocation_per_kw_month):
        items.append(colocation_line(
            pool.name, colo_hours, power_w, d.colocation_per_kw_month, cur,
            pool.start_month, pool.term_months))
    return _PricedPool(items, info, run_cost, line.quantity)


def _idle_line(pool: GpuPool, used: Value, unit_cost: Value, cur: str,
               warnings: list[str]) -> tuple[LineItem, Value, Value]:
    """The idle capacity of a pool held for a term: (line, capacity GPU-hours, utilisation)."""
    if pool.gpu_count is None or not nonzero(pool.gpu_count):
        raise InputError(_("pool {name!r}: a reserved term needs a GPU count").format(
            name=pool.name), code="term_without_gpu_count", key=f"pools.{pool.name}.gpu_count")
    assert pool.term_months is not None
    capacity = pool.gpu_count * pool.term_months * HOURS_PER_MONTH
    idle = np.maximum(capacity - used, 0.0)
    held_as = IDLE_RESERVED if pool.ownership == "rent" else IDLE_OWNED
    line = LineItem(
        "compute", line_name(held_as, pool.name), idle, _("GPU-hour"), unit_cost,
        idle * unit_cost, cur,
        _("{gpus} GPUs × {months} months × 730 h = {capacity} GPU-h held − {used} used = "
          "{idle} idle × {price}/GPU-h").format(
            gpus=q(pool.gpu_count), months=q(pool.term_months), capacity=q(capacity),
            used=q(used), idle=q(idle), price=m(unit_cost, cur)),
        f"pools.{pool.name}", pool.start_month, pool.term_months,
        kind="idle_capacity", pool=pool.name)
    util = used / capacity
    if is_scalar(util):
        if util > 1.0 + 1e-9:
            warnings.append(
                _("pool {name!r}: runs need {used} GPU-hours but the pool holds {capacity} "
                  "({util:.0%}); the excess is charged at the same rate").format(
                    name=pool.name, used=q(used), capacity=q(capacity), util=util))
        elif util < 0.5:
            warnings.append(
                _("pool {name!r}: mostly idle ({util:.0%} of {capacity} GPU-hours "
                  "used)").format(name=pool.name, util=util, capacity=q(capacity)))
    return line, capacity, util


def _run_warnings(run: TrainingRun, pool: GpuPool, spec: GpuSpec | None,
                  drivers: Drivers) -> list[str]:
    """A run that cannot fit on its pool; RL rollouts at the default decode MFU; attention that
    6·N·D leaves out at long sequences."""
    out: list[str] = []
    if spec is not None and spec.memory_gb and pool.gpu_count is not None \
            and is_scalar(pool.gpu_count) and is_scalar(run.params):
        fit = memory_fit(run, spec.memory_gb, pool.gpu_count, explain=False)
        if fit is not None and fit.fits is False:  # say how, only when it does not fit
            fit = memory_fit(run, spec.memory_gb, pool.gpu_count)
            text = None if fit is None else fit_warning(fit, pool.name, spec.key)
            if text is not None:
                out.append(text)
    if uses_default_rl_decode(run):
        out.append(rl_decode_warning(run.name))
    share = attention_share(run)
    if share is not None and run.gpu_hours is None and run.flops is None and is_scalar(share) \
            and share > ATTENTION_WARN_SHARE:
        out.append(_attention_warning(run, share, run_mfu(run, spec, drivers)[0]))
    return out


def _attention_warning(run: TrainingRun, share: Value, mfu: Value | None) -> str:
    seq = q(run.seq_len) if run.seq_len is not None else _("prompt + generated")
    head = _("run {name!r}: at {seq} tokens per sequence, attention adds {share:.0%} to the "
             "6 × N × D training FLOPs that MFU counts; ").format(name=run.name, seq=seq,
                                                                 share=share)
    if mfu is None:
        return head + _("lower the run's MFU by as much, or give its GPU-hours")
    return head + _("if {mfu} is the utilisation of all FLOPs, use an MFU of about {lower}, or "
                    "give the run's GPU-hours").format(mfu=pct(mfu), lower=pct(mfu / (1 + share)))


#: warn when training attention FLOPs exceed this share of 6·N·D (long-context training)
ATTENTION_WARN_SHARE = 0.10


def _sum_known(values: list[Value | None]) -> Value | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    total: Value = 0.0
    for v in known:
        total = total + v
    return total


def _metrics(finals: list[RunCompute], energy_kwh: Value, grid: Value) -> dict[str, Value]:
    walls = [rc.wall_clock_days for rc in finals]
    return {
        "flops": _sum_known([rc.flops * rc.count if rc.flops is not None else None
                             for rc in finals]),
        "tokens": _sum_known([rc.tokens * rc.count if rc.tokens is not None else None
                              for rc in finals]),
        "gpu_hours": _sum_known([rc.gpu_hours * rc.count for rc in finals]),
        "interruption_gpu_hours": _sum_known([rc.interruption_hours * rc.count
                                              for rc in finals]),
        "wall_clock_days": None if (not walls or any(w is None for w in walls))
        else _sum_known(walls),
        "mfu": _weighted_mfu(finals),
        "goodput": _goodput(finals),
        "energy_kwh": energy_kwh,
        "co2_kg": energy_kwh * grid,
    }


def _weighted_mfu(finals: list[RunCompute]) -> Value | None:
    """The final runs' MFU, weighted by their GPU-hours (one run: its own MFU)."""
    known = [rc for rc in finals if rc.mfu is not None]
    if len(known) <= 1:
        return known[0].mfu if known else None
    hours: Value = 0.0
    weighted: Value = 0.0
    for rc in known:
        hours = hours + rc.gpu_hours * rc.count
        weighted = weighted + rc.mfu * rc.gpu_hours * rc.count
    return weighted / hours


def _goodput(finals: list[RunCompute]) -> Value | None:
    """Useful GPU-hours ÷ GPU-hours including interruptions, over every final run."""
    if len(finals) <= 1:
        return finals[0].goodput if finals else None
    useful: Value = 0.0
    lost: Value = 0.0
    for rc in finals:
        useful = useful + rc.gpu_hours * rc.count
        lost = lost + rc.interruption_hours * rc.count
    return useful / (useful + lost)


def _run_info(rc: RunCompute) -> dict[str, Value]:
    return {
        "kind": rc.kind, "pool": rc.pool, "flops": rc.flops, "gpu_hours": rc.gpu_hours,
        "mfu": rc.mfu, "mfu_source": rc.mfu_source,
        "interruption_gpu_hours": rc.interruption_hours,
        "goodput": rc.goodput, "wall_clock_days": rc.wall_clock_days,
        "stage": rc.stage, "compute_flops": rc.compute_flops, "decode_flops": rc.decode_flops,
        "decode_mfu": rc.decode_mfu, "samples": rc.samples, "tokens": rc.tokens,
    }
