"""Goal seek: the input that hits a target, and the biggest compute-optimal run a budget buys.

:func:`goal_seek` varies one driver or input key until the total, a family or a key figure
(``wall_clock_days``, ``gpu_hours``, …) reaches a target: "what price per GPU-hour makes renting
cost the same as owning", "how many GPUs finish in 60 days", "what MFU keeps the total under
$5M". It runs the real model: a grid of candidate values in one vectorised call brackets the
answer, then repeated finer grids narrow the bracket (a vectorised bisection) until the answer is
exact to about 1e-12. A target the input cannot reach in its allowed range is an
:class:`~costsheet.errors.InputError` that says what range the target does cover.

:func:`biggest_run` spends money on a pool's GPU-hours and sizes the model compute-optimally
(Chinchilla: N = sqrt(FLOPs / 120), D = 20 N; see :mod:`costsheet.model.chinchilla`), then feeds
the run back through the model to check it spends the money.

Pure: a :class:`~costsheet.inputs.Budget` in, an answer out. The budget a command line describes
with flags is built by :mod:`costsheet.flags`; reading a workbook is the CLI's business. Errors
about one argument carry it as ``key`` (``vary``, ``low``, ``target``, ``pool``, ``money``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..errors import InputError, Report, got_text
from ..i18n import _, pad, text_width
from ..inputs import FAMILIES, Budget, TrainingRun
from ..units import UnitError, format_money, format_quantity, parse_fraction, parse_number
from .budget import budget_catalog, compute_budget, make_fx, pool_for
from .chinchilla import TOKENS_PER_PARAM, compute_optimal_for_budget
from .compute import gpu_hour_rate
from .montecarlo import valid_range
from .scenarios import apply_overrides, apply_scenario, get_value, split_key
from .sensitivity import TARGET_LABELS, check_target, label_for, measure
from .utilisation import mfu_at_precision, published_mfu

GRID_POINTS = 257
REFINE_POINTS = 65
REFINE_ROUNDS = 8
OWNERSHIP_WORDS = {"own": "own", "owned": "own", "owning": "own", "buy": "own",
                   "rent": "rent", "rented": "rent", "renting": "rent", "cloud": "rent"}

# ---------------------------------------------------------------------------------------------
# Targets and keys


@dataclass(frozen=True)
class Target:
    """What to hit: ``metric`` (total, a family, a key figure) ``relation`` ``goal``."""

    metric: str
    relation: str  # "=", "<=" or ">="
    goal: float
    goal_text: str  # as given: "5M", "Own" (a scenario), "own" (switch to owned hardware)

    def describe(self, currency: str) -> str:
        return f"{TARGET_LABELS[self.metric].lower()} {self.relation} " \
               f"{_fmt(self.metric, self.goal, currency)}"


_TARGET = re.compile(r"^\s*([A-Za-z_ \-]+?)\s*(<=|>=|=|<|>|≤|≥)\s*(.+?)\s*$")


def parse_target(
    text: str, budget: Budget, catalog: Catalog | None = None, scenario: str = "Base"
) -> Target:
    """``total=5M``, ``wall_clock_days=60``, ``total<=$5M``, ``compute=Own`` → a :class:`Target`.

    The goal is a number, a scenario's value of the same metric (``total=Own``), or ``own`` /
    ``rent``: the same budget with every pool owned (or rented).
    """
    m = _TARGET.match(text or "")
    if not m:
        raise InputError(_("{text!r} is not METRIC=VALUE").format(text=text), key="target",
                         hint=_("e.g. {example}").format(
                             example="total=5M, wall_clock_days=60, 'total<=5M'"))
    metric = check_target(m.group(1))
    relation = {"<": "<=", "≤": "<=", ">": ">=", "≥": ">="}.get(m.group(2), m.group(2))
    goal_text = m.group(3)
    try:
        goal = parse_number(goal_text, allow_negative=True)
    except UnitError:
        goal = _goal_from_budget(goal_text, metric, budget, catalog, scenario)
    return Target(metric, relation, float(goal), goal_text)


def _goal_from_budget(
    text: str, metric: str, budget: Budget, catalog: Catalog | None, scenario: str
) -> float:
    for name in budget.scenario_names:
        if name.lower() == text.strip().lower():
            return float(measure(compute_budget(apply_scenario(budget, name), catalog), metric))
    word = OWNERSHIP_WORDS.get(text.strip().lower())
    if word is not None:
        b = apply_scenario(budget, scenario)
        b = apply_overrides(b, {f"pools.{p.name}.ownership": word for p in b.pools})
        return float(measure(compute_budget(b, catalog), metric))
    known = ", ".join(budget.scenario_names)
    raise InputError(
        _("value {text!r} is not a number, a scenario ({known}), own or rent").format(
            text=text, known=known),
        key="target", hint=_("e.g. total=5M, or total=own (the cost of owning the same GPUs)"))


def resolve_key(budget: Budget, vary: str) -> str:
    """An input key, with short names for one-pool / one-final-run budgets.

    ``price`` → ``pools.<pool>.price_per_gpu_hour``, ``gpu_price`` → its purchase price,
    ``gpu_count``/``gpus`` → the final run's pool's GPU count, ``tokens``/``params`` → the final
    run's; ``mfu`` → the final run's own MFU when it has one, else the driver.
    """
    alias = vary.strip().lower().replace("-", "_")
    finals = [r for r in budget.runs if r.kind == "final"]
    run = finals[0] if len(finals) == 1 else None
    if alias in ("price", "price_per_gpu_hour", "rent", "gpu_price", "purchase_price",
                 "purchase_price_per_gpu", "gpu_count", "gpus"):
        pool = pool_for(budget, run.pool if run else None, vary, key="vary")
        fname = {"gpus": "gpu_count", "gpu_count": "gpu_count", "gpu_price":
                 "purchase_price_per_gpu", "purchase_price": "purchase_price_per_gpu",
                 "purchase_price_per_gpu": "purchase_price_per_gpu"}.get(alias,
                                                                         "price_per_gpu_hour")
        return f"pools.{pool.name}.{fname}"
    if alias in ("tokens", "params", "active_params", "flops"):
        if run is None:
            raise InputError(f"{vary}: " + _("name the run (runs.<name>.{field}); there are "
                                             "{n} final runs").format(field=alias,
                                                                      n=len(finals)),
                             key="vary")
        return f"runs.{run.name}.{alias}"
    if alias == "mfu" and run is not None and run.mfu is not None:
        return f"runs.{run.name}.mfu"
    section, name, fname = split_key(vary.strip())
    key = fname if section == "drivers" else f"{section}.{name}.{fname}"
    valid_range(key)
    if section != "drivers":
        get_value(budget, key)
    return key


def _fmt(metric: str, value: float, currency: str) -> str:
    if metric == "total" or metric in FAMILIES or metric == "cost_per_million_tokens":
        return format_money(value, currency)
    if metric == "wall_clock_days":
        return _("{days} days").format(days=f"{value:,.1f}")
    return format_quantity(value)


def fmt_input(key: str, value: float, currency: str) -> str:
    """An input's value as a reader would write it (MFU 43.2%, $2.15/GPU-h, 2,048 GPUs)."""
    fname = split_key(key)[2]
    rng = valid_range(key)
    if rng.whole:
        return f"{value:,.0f}"
    if rng.high <= 10.0 and fname not in ("pue", "server_premium", "experiment_multiplier"):
        return f"{value:.2%}"
    if "price" in fname or "cost" in fname or "salary" in fname:
        return format_money(value, currency)
    return format_quantity(value) if abs(value) >= 1000 else f"{value:.6g}"


# ---------------------------------------------------------------------------------------------
# Goal seek


@dataclass
class GoalSeekAnswer:
    """The value of ``key`` that makes ``target`` true, and the model's value there."""

    key: str
    label: str
    target: Target
    value: float  # the answer (whole inputs: rounded to the side that meets the target)
    exact_value: float  # the continuous solution before rounding
    achieved: float  # the target metric with the input at ``value``
    base_value: float | None
    base_achieved: float | None
    low: float
    high: float
    direction: str  # "at least" / "at most" / "" (for "=" targets)
    whole: bool
    currency: str
    scenario: str = "Base"

    @property
    def statement(self) -> str:
        x = fmt_input(self.key, self.value, self.currency)
        metric = TARGET_LABELS[self.target.metric].lower()
        got = _fmt(self.target.metric, self.achieved, self.currency)
        goal = _fmt(self.target.metric, self.target.goal, self.currency)
        if not _is_number(self.target.goal_text):
            goal += f", {self.target.goal_text}"
        values = {"label": self.label, "x": x, "metric": metric, "got": got, "goal": goal}
        if self.target.relation == "=":
            return _("{label} = {x} gives {metric} {got} (target {goal})").format(**values)
        text = {("at most", "<="): _("{label} of at most {x} keeps the {metric} at or under "
                                    "{goal} ({got} there)"),
                ("at least", "<="): _("{label} of at least {x} keeps the {metric} at or under "
                                     "{goal} ({got} there)"),
                ("at most", ">="): _("{label} of at most {x} keeps the {metric} at or over "
                                    "{goal} ({got} there)"),
                ("at least", ">="): _("{label} of at least {x} keeps the {metric} at or over "
                                     "{goal} ({got} there)")}[(self.direction,
                                                              self.target.relation)]
        return text.format(**values)

    def lines(self) -> list[str]:
        """The answer for a terminal."""
        cur = self.currency
        out = [self.statement, ""]
        rows = [(_("Input"), f"{self.label} ({self.key})")]
        if self.base_value is not None:
            rows.append((_("Base value"), fmt_input(self.key, self.base_value, cur)))
        rows.append((_("Answer"), fmt_input(self.key, self.value, cur)
                     + (_("  (exactly {value})").format(value=f"{self.exact_value:,.2f}")
                        if self.whole else "")))
        metric = TARGET_LABELS[self.target.metric]
        if self.base_achieved is not None:
            rows.append((_("{metric} at Base").format(metric=metric),
                         _fmt(self.target.metric, self.base_achieved, cur)))
        rows.append((_("{metric} at answer").format(metric=metric),
                     _fmt(self.target.metric, self.achieved, cur)))
        rows.append((_("Searched"), _("{low} to {high}").format(
            low=fmt_input(self.key, self.low, cur), high=fmt_input(self.key, self.high, cur))))
        return out + table_lines(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": self.label, "target": self.target.metric,
            "relation": self.target.relation, "goal": self.target.goal,
            "goal_text": self.target.goal_text, "value": self.value,
            "exact_value": self.exact_value, "achieved": self.achieved,
            "base_value": self.base_value, "base_achieved": self.base_achieved,
            "search_low": self.low, "search_high": self.high, "direction": self.direction,
            "whole": self.whole, "currency": self.currency, "scenario": self.scenario,
            "statement": self.statement,
        }


def _is_number(text: str) -> bool:
    try:
        parse_number(text, allow_negative=True)
    except UnitError:
        return False
    return True


def _default_range(key: str, base_value: float | None) -> tuple[float, float]:
    rng = valid_range(key)
    low = rng.low
    if math.isfinite(rng.high):
        return low, rng.high
    if not base_value:
        return low, 1e6
    return low, max(base_value * 1000.0, low + 1.0)


def _grid(low: float, high: float, n: int) -> np.ndarray:
    lin = np.linspace(low, high, n)
    if high > 0 and (low <= 0 or high / low > 100):
        start = max(low, high * 1e-9) if low > 0 else high * 1e-9
        lin = np.union1d(lin, np.geomspace(start, high, n))
    return lin


def goal_seek(
    budget: Budget,
    target: str | Target,
    vary: str,
    *,
    low: Any = None,
    high: Any = None,
    scenario: str = "Base",
    catalog: Catalog | None = None,
) -> GoalSeekAnswer:
    """The value of input ``vary`` (a key or short name, see :func:`resolve_key`) that makes
    ``target`` (``'total=5M'``, ``'wall_clock_days<=60'``, …) true, searched in
    [``low``, ``high``] (default: the input's valid range, or up to 1,000 × its Base value)."""
    b = apply_scenario(budget, scenario)
    cat = budget_catalog(b, catalog)
    tgt = target if isinstance(target, Target) else parse_target(target, budget, cat, scenario)
    key = resolve_key(b, vary)
    rng = valid_range(key)
    raw_base = get_value(b, key)
    base_value = None if raw_base is None else float(raw_base)
    base_res = compute_budget(b, cat, scenario=scenario)
    try:
        base_achieved: float | None = float(measure(base_res, tgt.metric))
    except InputError:  # e.g. no wall-clock days before a GPU count is found
        base_achieved = None
    pool_name = split_key(key)[1]
    if base_value is None and pool_name is not None and key.endswith(".price_per_gpu_hour"):
        base_value = float(base_res.pools[pool_name]["price_per_gpu_hour"])
    lo_d, hi_d = _default_range(key, base_value)
    low, high = _bound(low, "low"), _bound(high, "high")
    lo = max(rng.low, lo_d if low is None else float(low))
    hi = min(rng.high, hi_d if high is None else float(high))
    if not lo < hi:
        raise InputError(f"{vary}: " + _("empty search range {low:g} to {high:g}").format(
            low=lo, high=hi), key="vary")

    def f(xs: np.ndarray) -> np.ndarray:
        res = compute_budget(apply_overrides(b, {key: xs}), cat, scenario=scenario)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(measure(res, tgt.metric), dtype=float),
                                   xs.shape) - tgt.goal

    xs = _grid(lo, hi, GRID_POINTS)
    vals = f(xs)
    bracket = _first_crossing(xs, vals)
    if bracket is None:
        finite = vals[np.isfinite(vals)] + tgt.goal
        span = (_("it ranges from {low} to {high}").format(
            low=_fmt(tgt.metric, float(finite.min()), base_res.currency),
            high=_fmt(tgt.metric, float(finite.max()), base_res.currency))
            if finite.size else _("the model gives no finite value"))
        raise InputError(
            _("cannot reach {target} by varying {label} ({key}) between {low} and {high}: "
              "{span}").format(target=tgt.describe(base_res.currency), label=label_for(key),
                               key=key, low=fmt_input(key, lo, base_res.currency),
                               high=fmt_input(key, hi, base_res.currency), span=span),
            hint=_("choose another input to vary, or widen the search with low and high"))
    a, c = bracket
    for _round in range(REFINE_ROUNDS):
        if c - a <= 1e-13 * max(abs(a), abs(c), 1e-300):
            break
        pts = np.linspace(a, c, REFINE_POINTS)
        sub = _first_crossing(pts, f(pts))
        if sub is None:
            break
        a, c = sub
    fa, fc = f(np.array([a, c]))
    exact = a if fa == 0 else c if fc == 0 else a + (c - a) * (-fa) / (fc - fa)
    slope = float(np.sign(fc - fa))
    direction = ""
    if tgt.relation != "=":
        at_most = (slope > 0) == (tgt.relation == "<=")
        direction = "at most" if at_most else "at least"
    value = exact
    if rng.whole:
        value = _whole(exact, f, tgt.relation, direction)
    achieved = float(f(np.array([value]))[0] + tgt.goal)
    return GoalSeekAnswer(
        key=key, label=label_for(key), target=tgt, value=float(value), exact_value=float(exact),
        achieved=achieved, base_value=base_value, base_achieved=base_achieved, low=lo, high=hi,
        direction=direction, whole=rng.whole, currency=base_res.currency, scenario=scenario)


def _first_crossing(xs: np.ndarray, vals: np.ndarray) -> tuple[float, float] | None:
    ok = np.isfinite(vals)
    zero = np.flatnonzero(ok & (vals == 0))
    s = np.sign(vals)
    change = np.flatnonzero(ok[:-1] & ok[1:] & (s[:-1] * s[1:] < 0))
    cands = []
    if zero.size:
        cands.append((int(zero[0]), True))
    if change.size:
        cands.append((int(change[0]), False))
    if not cands:
        return None
    i, is_zero = min(cands)
    if is_zero:
        return float(xs[i]), float(xs[i])
    return float(xs[i]), float(xs[i + 1])


def _whole(exact: float, f: Any, relation: str, direction: str) -> float:
    """Round a count to the whole number on the side that meets the target."""
    lo, hi = math.floor(exact), math.ceil(exact)
    if lo == hi:
        return float(lo)
    if relation != "=":
        return float(hi if direction == "at least" else lo)
    vals = f(np.array([float(lo), float(hi)]))  # goal-relative: <= 0 means at or under
    under = [x for x, v in zip((lo, hi), vals, strict=True) if v <= 0]
    if under:
        return float(min(under, key=lambda x: abs(x - exact)))
    return float(lo if abs(vals[0]) <= abs(vals[1]) else hi)


# ---------------------------------------------------------------------------------------------
# Biggest compute-optimal run


@dataclass
class ComputeOptimalAnswer:
    """The compute-optimal run that spends ``money`` on one pool's GPU-hours."""

    money: float
    currency: str
    pool: str
    gpu: str
    ownership: str
    price_per_gpu_hour: float
    price_basis: str
    mfu: float
    precision: str
    peak_flops: float
    tokens_per_param: float
    params: float
    tokens: float
    flops: float
    gpu_hours: float
    gpu_count: int | None
    wall_clock_days: float | None
    model_run_cost: float  # the final run's compute, fed back through the model
    model_total: float  # everything the one-run budget costs (power, interruptions, ...)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def lines(self) -> list[str]:
        """The answer for a terminal."""
        cur = self.currency
        head = _("{money} buys a compute-optimal run of {params} parameters on {tokens} tokens "
                 "({ratio:g} tokens per parameter)").format(
            money=format_money(self.money, cur), params=format_quantity(self.params),
            tokens=format_quantity(self.tokens), ratio=self.tokens_per_param)
        ownership = _("own") if self.ownership == "own" else _("rent")
        rows = [
            ("GPU", _("{gpu} ({ownership}, pool {pool})").format(
                gpu=self.gpu, ownership=ownership, pool=self.pool)),
            (_("Price per GPU-hour"), f"{format_money(self.price_per_gpu_hour, cur)} "
                                      f"({self.price_basis})"),
            ("MFU", _("{mfu:.1%} of {peak} TFLOP/s {precision}").format(
                mfu=self.mfu, peak=f"{self.peak_flops / 1e12:,.0f}", precision=self.precision)),
            (_("GPU-hours"), format_quantity(self.gpu_hours)),
            (_("Training FLOPs"), f"{self.flops:.4g}"),
            (_("Parameters"), format_quantity(self.params)),
            (_("Tokens"), format_quantity(self.tokens)),
        ]
        if self.wall_clock_days is not None:
            rows.append((_("Wall-clock days"), _("{days} ({gpus} GPUs)").format(
                days=f"{self.wall_clock_days:,.1f}", gpus=f"{self.gpu_count:,}")))
        rows.append((_("Run compute (model)"), format_money(self.model_run_cost, cur)))
        if abs(self.model_total - self.model_run_cost) > 0.005:
            rows.append((_("With power, failures"), format_money(self.model_total, cur)))
        return [head, ""] + table_lines(rows)


def biggest_run(
    money: Any,
    budget: Budget,
    *,
    pool: str | None = None,
    mfu: Any = None,
    tokens_per_param: float = TOKENS_PER_PARAM,
    precision: str | None = None,
    catalog: Catalog | None = None,
) -> ComputeOptimalAnswer:
    """The biggest compute-optimal run ``money`` buys on a pool of ``budget``.

    ``pool`` names one of its pools (blank: the only one or the final run's) and the budget's
    drivers apply. ``mfu`` defaults to the pool's final run's MFU, else the drivers', else the
    median of published runs on the pool's chip generation. (A pool described by arguments:
    :func:`costsheet.flags.biggest_run_from_arguments`.)
    """
    report = Report(source="solve")
    amount = _parse(parse_number, "money", money, report)
    mfu_v = None if mfu in (None, "") else _parse(parse_fraction, "mfu", mfu, report)
    report.raise_if_errors()
    cat = budget_catalog(budget, catalog)
    finals = [r for r in budget.runs if r.kind == "final"]
    if pool is None and len(budget.pools) != 1 and len(finals) == 1:
        pool = finals[0].pool
    p = pool_for(budget, pool, "", key="pool")
    run0 = next((r for r in finals if (r.pool or p.name).lower() == p.name.lower()), None)
    if p.gpu_type is None:
        raise InputError(_("pool {name!r}: needs a GPU type to turn money into FLOPs").format(
            name=p.name), key=f"pools.{p.name}.gpu_type")
    spec = cat.get(p.gpu_type)
    prec = precision or (run0.precision if run0 else "bf16")
    u = mfu_v if mfu_v is not None else (
        run0.mfu if run0 is not None and run0.mfu is not None else budget.drivers.mfu)
    if u is None:  # no MFU stated anywhere: published runs on this GPU's generation (#11)
        u = mfu_at_precision(published_mfu(spec).point, spec, prec)
    rate = gpu_hour_rate(p, spec, budget.drivers, budget.currency)
    fx_rate, _note = make_fx(budget)(rate.currency)
    price = float(rate.rate) * fx_rate
    peak = spec.peak_flops(prec)
    co = compute_optimal_for_budget(amount, price, peak, u, tokens_per_param)
    check = budget.model_copy(update={
        "pools": [p.model_copy(update={"term_months": None})],
        "runs": [TrainingRun(name="compute-optimal", pool=p.name, params=float(co.params),
                             tokens=float(co.tokens), mfu=u, precision=prec)],
        "data": [], "staff": [], "other": [], "scenarios": {}})
    res = compute_budget(check, cat)
    run_cost = math.fsum(float(it.amount) for it in res.items
                         if it.kind == "final_run" and it.run == "compute-optimal")
    return ComputeOptimalAnswer(
        money=amount, currency=budget.currency, pool=p.name, gpu=spec.key, ownership=p.ownership,
        price_per_gpu_hour=price, price_basis=rate.basis, mfu=float(u), precision=prec,
        peak_flops=peak, tokens_per_param=tokens_per_param, params=float(co.params),
        tokens=float(co.tokens), flops=float(co.flops), gpu_hours=float(co.gpu_hours),
        gpu_count=p.gpu_count, wall_clock_days=_opt(res.metrics.get("wall_clock_days")),
        model_run_cost=run_cost, model_total=float(res.total))


def table_lines(rows: list[tuple[str, str]]) -> list[str]:
    """``  label  value`` lines with the values aligned (CJK labels: two columns a character)."""
    width = max(text_width(k) for k, _v in rows)
    return [f"  {pad(k, width)}  {v}" for k, v in rows]


def _opt(x: Any) -> float | None:
    return None if x is None else float(x)


def _parse(parser: Any, name: str, value: Any, report: Report) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        report.add("", "", name, value, _("is required"))
        return None
    try:
        return parser(value)
    except UnitError as exc:
        report.add("", "", name, value, str(exc))
        return None


def _bound(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return parse_number(value, allow_negative=True)
    except UnitError as exc:
        raise InputError(f"{exc}{got_text(value)}", key=name) from None


__all__ = [
    "ComputeOptimalAnswer", "GoalSeekAnswer", "Target", "biggest_run", "goal_seek",
    "parse_target", "resolve_key",
]
