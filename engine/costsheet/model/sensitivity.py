"""Sensitivity: which inputs move the budget, one at a time.

:func:`tornado` moves each driver (and each input the Low/High scenarios override) to a low and a
high value, every other input at Base, and records the total (or a family, or a key figure) at
both ends; the bars are sorted by swing, largest first. Low and high come from the ``Low`` and
``High`` scenarios where they set the input, else Base ± 20% (configurable), clipped to where the
input makes sense (an MFU stays at or below 100%).

:func:`compare_scenarios` explains each scenario's difference from Base by swapping its overrides
in one at a time: the effect of one override is the total with only that override applied, minus
Base. What the effects do not add up to is the interaction of overrides applied together.

Both run the ordinary model on numpy arrays: every one-at-a-time point is one trial of a single
vectorised model call (inputs that are not plain numbers are computed on their own).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..catalog import Catalog
from ..errors import InputError, got_text
from ..i18n import N_, LazyMapping, _
from ..inputs import DRIVER_KEYS, FAMILIES, FAMILY_LABELS, Budget, Drivers
from .budget import budget_catalog, compute_budget, pool_for, run_named
from .items import BudgetResult, Value
from .montecarlo import valid_range
from .scenarios import _find, apply_overrides, apply_scenario, get_value, split_key
from .utilisation import mfu_at_precision, published_mfu

DEFAULT_SWING = 0.20
METRICS: tuple[str, ...] = ("gpu_hours", "wall_clock_days", "flops", "tokens", "energy_kwh",
                            "co2_kg", "cost_per_million_tokens")
TARGETS: tuple[str, ...] = ("total", *FAMILIES, *METRICS)
TARGET_LABELS: LazyMapping = LazyMapping({
    "total": N_("Total"), **{f: FAMILY_LABELS.msgid(f) for f in FAMILIES},
    "gpu_hours": N_("GPU-hours (final runs)"), "wall_clock_days": N_("Wall-clock days"),
    "flops": N_("Training FLOPs"), "tokens": N_("Tokens"), "energy_kwh": N_("Energy (kWh)"),
    "co2_kg": N_("CO2 (kg)"), "cost_per_million_tokens": N_("Cost per million tokens"),
})


def check_target(name: str) -> str:
    """A target name as :func:`measure` knows it (``total``, a family, a key figure)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = {"days": "wall_clock_days", "wall_clock": "wall_clock_days", "power": "power_facilities",
           "hardware": "compute", "cost": "total"}.get(key, key)
    if key not in TARGETS:
        raise InputError(_("unknown target {name!r}").format(name=name),
                         hint=_("use one of: {targets}").format(targets=", ".join(TARGETS)))
    return key


def measure(result: BudgetResult, target: str) -> Value:
    """The total, a family's amount or a key figure (``wall_clock_days``, ``gpu_hours``, …)."""
    if target == "total":
        return result.total
    if target in FAMILIES:
        return result.totals[target]
    value = result.metrics.get(target)
    if value is None:
        raise InputError(
            _("this budget has no {what}").format(what=TARGET_LABELS.get(target, target)),
            hint=_("wall-clock days need a GPU count on the final run's pool; tokens need "
                   "tokens"),
        )
    return value


def label_for(key: str) -> str:
    """A reader's name for an input key: ``mfu`` → 'Default MFU',
    ``pools.h800.price_per_gpu_hour`` → 'h800: Rental price'."""
    section, name, fname = split_key(key)
    from .. import inputs as _inp

    models: dict[str, type[BaseModel]] = {
        "drivers": Drivers, "pools": _inp.GpuPool, "runs": _inp.TrainingRun,
        "data": _inp.CostLine, "other": _inp.CostLine, "staff": _inp.StaffLine}
    model = models[section]
    info = model.model_fields.get(fname)
    extra = info.json_schema_extra if info is not None else None
    title = extra.get("title_text", fname) if isinstance(extra, dict) else fname
    return _(str(title)) if section == "drivers" else f"{name}: {_(str(title))}"


def numeric_driver_keys() -> list[str]:
    out = []
    for key in DRIVER_KEYS:
        try:
            valid_range(key)
        except InputError:
            continue
        out.append(key)
    return out


@dataclass(frozen=True)
class TornadoBar:
    """One input moved alone: its low and high values and the target at each."""

    key: str
    label: str
    base_value: float | None
    low_value: float
    high_value: float
    at_low: float
    at_high: float
    source: str  # where low/high came from: "Low/High scenarios", "±20%", "Low scenario, +20%"

    @property
    def swing(self) -> float:
        return abs(self.at_high - self.at_low)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "base_value": self.base_value,
                "low_value": self.low_value, "high_value": self.high_value,
                "at_low": self.at_low, "at_high": self.at_high, "swing": self.swing,
                "source": self.source}


@dataclass
class Tornado:
    """Bars sorted by swing (largest first); inputs that move nothing are last."""

    target: str
    base: float
    currency: str
    bars: list[TornadoBar]
    swing_fraction: float
    scenario: str = "Base"

    @property
    def moving(self) -> list[TornadoBar]:
        """The bars with a non-zero swing."""
        return [b for b in self.bars if b.swing > 0]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "base": self.base, "currency": self.currency,
                "scenario": self.scenario, "swing_fraction": self.swing_fraction,
                "bars": [b.to_dict() for b in self.bars]}


def _canon(key: str) -> str:
    section, name, fname = split_key(key)
    return fname if section == "drivers" else f"{section}.{name}.{fname}"


def _scenario_values(budget: Budget, scenario: str) -> dict[str, Any]:
    for name, overrides in budget.scenarios.items():
        if name.strip().lower() == scenario.lower():
            return {_canon(k): v for k, v in overrides.items()}
    return {}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, (str, bool)) or np.ndim(value) != 0:
        return None
    return float(value)


def _tidy(x: float) -> float:
    """0.28000000000000003 → 0.28: what ±20% of a typed number means, without float noise."""
    return float(f"{x:.12g}")


def _line_of(budget: Budget, key: str) -> tuple[str, int, str] | None:
    """Which input ``key`` sets: (section, line index, field); None when it names nothing."""
    try:
        section, name, fname = split_key(key)
        if section == "drivers":
            return section, 0, fname
        line = _find(budget, section, name, fname)
    except InputError:
        return None
    lines = getattr(budget, section)
    return section, next(i for i, ln in enumerate(lines) if ln is line), fname


def _one_at_a_time(
    budget: Budget,
    catalog: Catalog | None,
    scenario: str,
    points: list[tuple[str, Any]],
    value_of: Any,
) -> list[float]:
    """``value_of(result)`` with each ``(key, value)`` of ``points`` applied alone to ``budget``.

    Points that set a plain number over a plain number are trials of ONE vectorised model call
    (every other trial holds the Base value of that input); the rest are computed one by one.
    """
    out: list[float] = [math.nan] * len(points)
    arrays: dict[tuple[str, int, str], tuple[str, Any]] = {}
    batch: list[tuple[int, int]] = []  # (point, trial)
    singles: list[int] = []
    for i, (key, value) in enumerate(points):
        where = _line_of(budget, key)
        x = _number(value)
        base_x = _number(get_value(budget, key)) if where is not None else None
        if where is None or x is None or base_x is None:
            singles.append(i)
            continue
        if where not in arrays:
            arrays[where] = (key, [base_x])
        batch.append((i, len(batch)))
        arrays[where][1].append((len(batch) - 1, x))
    n = len(batch)
    if n:
        overrides: dict[str, Any] = {}
        for key, (base_x, *trials) in arrays.values():
            arr = np.full(n, base_x)
            for t, x in trials:
                arr[t] = x
            overrides[key] = arr
        res = compute_budget(apply_overrides(budget, overrides), catalog, scenario=scenario)
        values = np.broadcast_to(np.asarray(value_of(res), dtype=float), (n,))
        for i, t in batch:
            out[i] = float(values[t])
    for i in singles:
        key, value = points[i]
        res = compute_budget(apply_overrides(budget, {key: value}), catalog, scenario=scenario)
        out[i] = float(value_of(res))
    return out


def _published_mfu_band(budget: Budget, catalog: Catalog | None) -> tuple[float, float,
                                                                           float] | None:
    """(median, P10, P90) MFU of published runs for the first final run that takes the default.

    With a blank default MFU, moving the ``mfu`` driver moves every run that states neither an
    MFU nor GPU-hours; the ends are the published band of the first such final run's GPU (a
    budget mixing chip generations gets that run's band), restated for its precision.
    """
    cat = budget_catalog(budget, catalog)
    for run in budget.runs:
        if run.kind != "final" or run.mfu is not None or run.gpu_hours is not None:
            continue
        pool = pool_for(budget, run.pool, run_named(run.name))
        if pool.gpu_type is None:
            continue
        spec = cat.get(pool.gpu_type)
        est = published_mfu(spec)
        return tuple(mfu_at_precision(x, spec, run.precision)  # type: ignore[return-value]
                     for x in (est.point, est.p10, est.p90))
    return None


def tornado(
    budget: Budget,
    catalog: Catalog | None = None,
    *,
    target: str = "total",
    swing: float = DEFAULT_SWING,
    keys: list[str] | None = None,
    low_scenario: str = "Low",
    high_scenario: str = "High",
    scenario: str = "Base",
    base_result: BudgetResult | None = None,
) -> Tornado:
    """One-at-a-time sensitivity of ``target`` to every driver (or to ``keys``).

    Inputs the ``low_scenario``/``high_scenario`` override are added to the drivers. Each end
    comes from that scenario where it sets the input, else Base × (1 ∓ ``swing``), clipped to
    the input's valid range. Inputs with no Base value and no scenario values are skipped.
    ``base_result`` is ``scenario`` already computed, if at hand.
    """
    if not 0 < swing < 10:
        raise InputError(_("swing must be a fraction such as 0.2") + got_text(swing))
    target = check_target(target)
    base_budget = apply_scenario(budget, scenario)
    base_res = base_result or compute_budget(base_budget, catalog, scenario=scenario)
    base_val = float(measure(base_res, target))
    lows = _scenario_values(budget, low_scenario)
    highs = _scenario_values(budget, high_scenario)
    if keys is None:
        candidates = numeric_driver_keys()
        candidates += [k for k in [*lows, *highs] if k not in candidates]
    else:
        candidates = [_canon(k) for k in keys]
    seen: set[str] = set()
    pct = f"±{swing:.0%}"
    ends: list[tuple[str, float | None, float, float, str]] = []
    for key in candidates:
        if key in seen:
            continue
        seen.add(key)
        rng = valid_range(key)
        base_x = _number(get_value(base_budget, key))
        lo_x, hi_x = _number(lows.get(key)), _number(highs.get(key))
        band = _published_mfu_band(base_budget, catalog) if key == "mfu" and base_x is None \
            else None
        if band is not None:  # blank default MFU: published runs' median, P10 and P90
            base_x = band[0]
            lo_x = band[1] if lo_x is None else lo_x
            hi_x = band[2] if hi_x is None else hi_x
        if base_x is None and (lo_x is None or hi_x is None):
            continue
        if lo_x is None:
            lo_x = float(rng.clip(np.array([base_x * (1 - swing)]))[0])  # type: ignore[operator]
        if hi_x is None:
            hi_x = float(rng.clip(np.array([base_x * (1 + swing)]))[0])  # type: ignore[operator]
        own = (_("published P10"), _("published P90")) if band is not None else (
            f"-{swing:.0%}", f"+{swing:.0%}")
        src_low = _("{scenario} scenario").format(scenario=low_scenario) if key in lows \
            else own[0]
        src_high = _("{scenario} scenario").format(scenario=high_scenario) if key in highs \
            else own[1]
        if key in lows or key in highs:
            source = f"{src_low} / {src_high}"
        else:
            source = _("published runs' P10 / P90") if band is not None else pct
        ends.append((key, base_x, _tidy(lo_x), _tidy(hi_x), source))
    points = [(key, x) for key, _b, lo_x, hi_x, _s in ends for x in (lo_x, hi_x)]
    values = _one_at_a_time(base_budget, catalog, scenario, points,
                            lambda res: measure(res, target))
    bars: list[TornadoBar] = []
    for i, (key, base_x, lo_x, hi_x, source) in enumerate(ends):
        bars.append(TornadoBar(key, label_for(key), base_x, lo_x, hi_x, values[2 * i],
                               values[2 * i + 1], source))
    bars.sort(key=lambda b: (-b.swing, b.key))
    return Tornado(target, base_val, base_res.currency, bars, swing, scenario)


@dataclass(frozen=True)
class Attribution:
    """The effect of one override of a scenario, applied alone to Base."""

    key: str
    label: str
    base_value: Any
    value: Any
    effect: float

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "base_value": _plain(self.base_value),
                "value": _plain(self.value), "effect": self.effect}


@dataclass
class ScenarioComparison:
    """One scenario against Base: totals by family, the difference and what explains it."""

    name: str
    currency: str
    base_totals: dict[str, float]
    totals: dict[str, float]
    attributions: list[Attribution] = field(default_factory=list)

    @property
    def base_total(self) -> float:
        return math.fsum(self.base_totals.values())

    @property
    def total(self) -> float:
        return math.fsum(self.totals.values())

    @property
    def difference(self) -> float:
        return self.total - self.base_total

    @property
    def differences(self) -> dict[str, float]:
        return {f: self.totals[f] - self.base_totals[f] for f in FAMILIES}

    def top(self, n: int = 3) -> list[Attribution]:
        """The ``n`` overrides with the largest effect (by size), largest first."""
        return self.attributions[:n]

    @property
    def interaction(self) -> float:
        """The part of the difference that single overrides do not explain."""
        return self.difference - math.fsum(a.effect for a in self.attributions)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "currency": self.currency, "base_total": self.base_total,
                "total": self.total, "difference": self.difference,
                "base_totals": self.base_totals, "totals": self.totals,
                "differences": self.differences, "interaction": self.interaction,
                "attributions": [a.to_dict() for a in self.attributions]}


def _plain(v: Any) -> Any:
    return float(v) if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) else v


def compare_scenarios(
    budget: Budget,
    catalog: Catalog | None = None,
    names: list[str] | None = None,
    results: Mapping[str, BudgetResult] | None = None,
) -> list[ScenarioComparison]:
    """Every scenario (or ``names``) against Base, each override's effect found alone.

    ``results`` may hold scenarios already computed (``compute_budget`` of each scenario, by
    name, Base included) so they are not computed again. The overrides applied alone are the
    trials of one vectorised model call.
    """
    results = results or {}
    base = results.get("Base") or compute_budget(budget, catalog)
    base_totals = {f: float(v) for f, v in base.totals.items()}
    base_total = float(base.total)
    wanted = names if names is not None else [n for n in budget.scenario_names if n != "Base"]
    points = [(key, value) for name in wanted
              for key, value in budget.scenarios.get(name, {}).items()]
    effects = iter(_one_at_a_time(budget, catalog, "Base", points,
                                  lambda res: res.total))
    out: list[ScenarioComparison] = []
    for name in wanted:
        res = results.get(name) or compute_budget(apply_scenario(budget, name), catalog,
                                                  scenario=name)
        overrides = budget.scenarios.get(name, {})
        atts: list[Attribution] = []
        for key, value in overrides.items():
            alone_total = next(effects)
            try:
                base_value = get_value(budget, key)
            except InputError:
                base_value = None
            atts.append(Attribution(_canon(key), label_for(key), base_value, value,
                                    alone_total - base_total))
        atts.sort(key=lambda a: (-abs(a.effect), a.key))
        out.append(ScenarioComparison(name, base.currency, base_totals,
                                      {f: float(v) for f, v in res.totals.items()}, atts))
    return out


__all__ = [
    "DEFAULT_SWING", "TARGETS", "Attribution", "ScenarioComparison", "Tornado",
    "TornadoBar", "check_target", "compare_scenarios", "label_for", "measure", "tornado",
]
