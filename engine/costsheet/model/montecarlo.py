"""Monte Carlo: uncertain inputs as distributions, the budget as a distribution of totals.

Each uncertain input (a driver key such as ``mfu`` or an input key such as
``pools.h800.price_per_gpu_hour``) gets a :class:`Distribution`. :func:`simulate` draws every
trial up front from one seeded generator, puts the draws into the budget as numpy arrays (see
:func:`costsheet.model.scenarios.apply_overrides`) and runs the ordinary model once per chunk of
trials: no Python loop per trial. The same seed gives the same result whatever the chunk size.

Draws are clipped to the range where the input makes sense (see :func:`valid_range`): MFU to
(0, 1] (the lower end is 0.001), fractions to [0, 1] (overheads to [0, 10]), PUE and the server
premium to >= 1, the networking share below 1, counts to whole numbers >= 1, and every other
number (prices, quantities, tokens) to >= 0. A distribution whose tail crosses such an edge piles
a little probability on the edge; widen or reshape it if that matters.

Restart risk (``drivers.restart_probability``) is drawn as a Bernoulli trial: in each trial the
final run either fails (and ``restart_share_lost`` of it is redone) or it does not, so rare failed
runs show up in the tail instead of being smeared as an expected cost over every trial. When the
probability itself is uncertain, it is drawn first and the Bernoulli trial uses that draw.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from .. import inputs as _inp
from ..catalog import Catalog
from ..errors import InputError, got_text
from ..i18n import _
from ..inputs import FAMILIES, Budget
from ..units import UnitError, parse_number
from .bounds import check_simulation, finite
from .budget import compute_budget
from .items import BudgetResult
from .scenarios import apply_overrides, apply_scenario, get_value, split_key
from .utilisation import split_lognormal_draws, split_lognormal_mean, split_lognormal_values

KINDS: tuple[str, ...] = ("fixed", "uniform", "triangular", "pert", "normal", "lognormal",
                          "bernoulli")
PERCENTILES: tuple[int, ...] = (10, 50, 80, 90)
Z90 = 1.6448536269514722  # the normal's 95th percentile: a 90% interval is mean ± Z90 × sd
DEFAULT_TRIALS = 10_000
DEFAULT_SEED = 20250101
RESTART_KEY = "restart_probability"
MFU_FLOOR = 1e-3
RANK_SAMPLE = 100_000  # rank correlations use the first 100,000 trials (rho ± ~0.003)
CHUNK_TRIALS = 100_000


# ---------------------------------------------------------------------------------------------
# Distributions


@dataclass(frozen=True)
class Distribution:
    """One uncertain input. Build it with the class methods, or :func:`make_distribution`.

    ``params`` by kind: fixed (value), uniform (low, high), triangular and pert (low, mode, high),
    normal (mean, sd), lognormal (median, sigma of the logarithm: log X ~ N(log median, sigma)),
    bernoulli (p); and, for costsheet's own defaults only (not on the Uncertainty sheet),
    split_lognormal (median, sigma below, sigma above: the published runs' MFU, see
    :meth:`costsheet.model.utilisation.PublishedMfu.draw`).
    """

    kind: str
    params: tuple[float, ...]
    text: str = ""  # how it was written, for display (e.g. "0.35 to 0.45")
    #: split_lognormal inputs with the same tag are drawn from the same normal deviates (the
    #: published MFU of several runs: each at the same percentile of its own band in a trial)
    shared: str = ""

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def fixed(cls, value: float) -> Distribution:
        return cls("fixed", (float(value),))

    @classmethod
    def uniform(cls, low: float, high: float) -> Distribution:
        _order(low, high)
        return cls("uniform", (float(low), float(high)))

    @classmethod
    def triangular(cls, low: float, mode: float, high: float) -> Distribution:
        _order(low, mode, high)
        return cls("triangular", (float(low), float(mode), float(high)))

    @classmethod
    def pert(cls, low: float, mode: float, high: float) -> Distribution:
        _order(low, mode, high)
        return cls("pert", (float(low), float(mode), float(high)))

    @classmethod
    def normal(cls, mean: float, sd: float) -> Distribution:
        if sd < 0:
            raise InputError("normal: " + _("the standard deviation must not be negative"))
        return cls("normal", (float(mean), float(sd)))

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> Distribution:
        if median <= 0:
            raise InputError("lognormal: " + _("the median must be positive"))
        if sigma < 0:
            raise InputError("lognormal: " + _("sigma must not be negative"))
        return cls("lognormal", (float(median), float(sigma)))

    @classmethod
    def lognormal_mean_sd(cls, mean: float, sd: float) -> Distribution:
        """A lognormal with this mean and standard deviation (of the value itself)."""
        if mean <= 0:
            raise InputError("lognormal: " + _("the mean must be positive"),
                             code="out_of_range", key="mean")
        if sd < 0:
            raise InputError("lognormal: " + _("the standard deviation must not be negative"))
        s2 = math.log1p((sd / mean) ** 2)
        return cls("lognormal", (mean * math.exp(-s2 / 2.0), math.sqrt(s2)))

    @classmethod
    def bernoulli(cls, p: float) -> Distribution:
        if not 0.0 <= p <= 1.0:
            raise InputError("bernoulli: " + _("the probability must be between 0 and 1"))
        return cls("bernoulli", (float(p),))

    @classmethod
    def split_lognormal(cls, median: float, sigma_low: float, sigma_high: float,
                        text: str = "", shared: str = "") -> Distribution:
        """A two-piece lognormal: median × exp(sigma × z), its own sigma each side."""
        if median <= 0 or sigma_low < 0 or sigma_high < 0:
            raise InputError(_("split lognormal: needs a positive median and sigmas >= 0"))
        return cls("split_lognormal", (float(median), float(sigma_low), float(sigma_high)), text,
                   shared)

    @classmethod
    def interval(cls, low: float, high: float, text: str = "") -> Distribution:
        """A 90% interval: 5% of draws fall below ``low`` and 5% above ``high``.

        Lognormal when both ends are positive (right-skewed, never negative), else normal.
        """
        _order(low, high)
        text = text or f"{low:g} to {high:g}"
        if low > 0:
            sigma = (math.log(high) - math.log(low)) / (2.0 * Z90)
            return cls("lognormal", (math.sqrt(low) * math.sqrt(high), sigma), text)
        return cls("normal", ((low + high) / 2.0, (high - low) / (2.0 * Z90)), text)

    # -- properties ---------------------------------------------------------------------------
    @property
    def degenerate(self) -> bool:
        """True when every draw is the same number (returned exactly, without rounding)."""
        p = self.params
        if self.kind == "fixed":
            return True
        if self.kind in ("uniform", "triangular", "pert"):
            return p[0] == p[-1]
        if self.kind in ("normal", "lognormal"):
            return p[1] == 0.0
        if self.kind == "split_lognormal":
            return p[1] == p[2] == 0.0
        return p[0] in (0.0, 1.0)

    @property
    def constant(self) -> float:
        """The value of a degenerate distribution."""
        return self.params[0]

    def mean(self) -> float:
        p = self.params
        if self.kind in ("fixed", "bernoulli"):
            return p[0]
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2.0
        if self.kind == "triangular":
            return (p[0] + p[1] + p[2]) / 3.0
        if self.kind == "pert":
            return (p[0] + 4.0 * p[1] + p[2]) / 6.0
        if self.kind == "normal":
            return p[0]
        if self.kind == "split_lognormal":
            return split_lognormal_mean(*p)
        return p[0] * math.exp(p[1] ** 2 / 2.0)

    def median(self) -> float:
        """The analytic median (PERT: the usual (low + 4 mode + high) / 6 approximation)."""
        p = self.params
        if self.kind in ("fixed", "normal"):
            return p[0]
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2.0
        if self.kind == "triangular":
            a, c, b = p
            if b == a:
                return a
            if c >= (a + b) / 2.0:
                return a + math.sqrt((b - a) * (c - a) / 2.0)
            return b - math.sqrt((b - a) * (b - c) / 2.0)
        if self.kind == "pert":
            return self.mean()
        if self.kind in ("lognormal", "split_lognormal"):
            return p[0]
        return 1.0 if p[0] > 0.5 else 0.0

    def describe(self) -> str:
        if self.text:
            return self.text
        p = self.params
        if self.kind == "lognormal":
            return _("lognormal(median {median:.4g}, sigma {sigma:.4g})").format(median=p[0],
                                                                                 sigma=p[1])
        if self.kind == "split_lognormal":
            return _("split lognormal(median {median:.4g}, sigma {low:.4g} / {high:.4g})").format(
                median=p[0], low=p[1], high=p[2])
        return f"{self.kind}({', '.join(f'{x:.4g}' for x in p)})"

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws as a float array."""
        if self.degenerate:
            return np.full(n, self.constant, dtype=float)
        p = self.params
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], n)
        if self.kind == "triangular":
            return rng.triangular(p[0], p[1], p[2], n)
        if self.kind == "pert":
            a, c, b = p
            alpha = 1.0 + 4.0 * (c - a) / (b - a)
            beta = 1.0 + 4.0 * (b - c) / (b - a)
            return a + (b - a) * rng.beta(alpha, beta, n)
        if self.kind == "normal":
            return rng.normal(p[0], p[1], n)
        if self.kind == "lognormal":
            return p[0] * np.exp(rng.normal(0.0, p[1], n))
        if self.kind == "split_lognormal":
            return split_lognormal_draws(rng, p[0], p[1], p[2], n)
        return (rng.random(n) < p[0]).astype(float)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": list(self.params), "text": self.describe(),
                "mean": self.mean(), "median": self.median()}


def _order(*values: float) -> None:
    for v in values:
        if not math.isfinite(v):
            raise InputError(_("distribution parameters must be finite numbers"))
    if any(a > b for a, b in zip(values, values[1:], strict=False)):
        raise InputError(
            _("distribution parameters are out of order: need low <= mode <= high")
            if len(values) == 3 else
            _("distribution parameters are out of order: need low <= high"),
            code="out_of_order", key="low")


_INTERVAL = re.compile(r"^\s*(.+?)\s*(?:\bto\b|\.\.|–|—|~)\s*(.+?)\s*$", re.IGNORECASE)


def is_interval_text(value: Any) -> bool:
    """True for text like ``0.35 to 0.45``, ``35%..45%``, ``$1.80 – $2.40``."""
    return isinstance(value, str) and _INTERVAL.match(value) is not None


def parse_interval(text: str) -> Distribution:
    """``'0.35 to 0.45'`` → the 90%-interval distribution (see :meth:`Distribution.interval`).

    Ends accept what number cells accept (``40%``, ``$2``, ``1.5M``); a leading minus is allowed.
    Raises :class:`~costsheet.units.UnitError` with a message for the cell.
    """
    m = _INTERVAL.match(str(text))
    if not m:
        raise UnitError(_("not a range: write it as LOW to HIGH, e.g. 0.35 to 0.45"))
    try:
        low = parse_number(m.group(1), allow_negative=True)
        high = parse_number(m.group(2), allow_negative=True)
    except UnitError as exc:
        raise UnitError(_("range end: {problem}").format(problem=exc)) from None
    if low > high:
        raise UnitError(_("range is reversed: write the low end first"))
    return Distribution.interval(low, high, text=str(text).strip())


def make_distribution(
    kind: str,
    *,
    value: float | None = None,
    low: float | None = None,
    mode: float | None = None,
    high: float | None = None,
    mean: float | None = None,
    sd: float | None = None,
    p: float | None = None,
) -> Distribution:
    """A distribution from named parameters (what an Uncertainty sheet row holds).

    fixed: value · uniform: low, high · triangular / pert: low, mode, high · normal: mean, sd,
    or low, high as a 90% interval · lognormal: low, high as a 90% interval, or mean, sd ·
    bernoulli: p. Raises :class:`InputError` naming what is missing.
    """
    k = kind.strip().lower().replace("-", "").replace(" ", "")
    k = {"beta-pert": "pert", "betapert": "pert", "gaussian": "normal", "triangle": "triangular",
         "constant": "fixed", "log-normal": "lognormal"}.get(k, k)

    def need(**kw: float | None) -> None:
        missing = [name for name, v in kw.items() if v is None]
        if missing:
            named = next((m for m in missing if m in ("low", "mode", "high", "mean", "sd")), None)
            raise InputError(_("{kind} needs {missing}").format(kind=k, missing=", ".join(missing)),
                             code="missing_parameter", key=named)

    if k == "fixed":
        need(value=value if value is not None else mean if mean is not None else mode)
        return Distribution.fixed(next(v for v in (value, mean, mode) if v is not None))
    if k == "uniform":
        need(low=low, high=high)
        return Distribution.uniform(low, high)  # type: ignore[arg-type]
    if k in ("triangular", "pert"):
        need(low=low, mode=mode, high=high)
        ctor = Distribution.triangular if k == "triangular" else Distribution.pert
        return ctor(low, mode, high)  # type: ignore[arg-type]
    if k == "normal":
        if mean is not None and sd is not None:
            return Distribution.normal(mean, sd)
        need(low=low, high=high)
        _order(low, high)  # type: ignore[arg-type]
        return Distribution("normal", ((low + high) / 2.0, (high - low) / (2.0 * Z90)))  # type: ignore[operator]
    if k == "lognormal":
        if mean is not None and sd is not None:
            return Distribution.lognormal_mean_sd(mean, sd)
        need(low=low, high=high)
        if low <= 0:  # type: ignore[operator]
            raise InputError(_("lognormal needs a positive low end (use normal for ranges that "
                               "include zero)"), code="out_of_range", key="low")
        d = Distribution.interval(low, high)  # type: ignore[arg-type]
        return Distribution("lognormal", d.params)
    if k == "bernoulli":
        need(p=p if p is not None else value)
        return Distribution.bernoulli(p if p is not None else value)  # type: ignore[arg-type]
    raise InputError(_("unknown distribution {kind!r} (known: {known})").format(
        kind=kind, known=", ".join(KINDS)), code="unknown_distribution", key="distribution")


# ---------------------------------------------------------------------------------------------
# Valid ranges


@dataclass(frozen=True)
class ValidRange:
    low: float
    high: float
    whole: bool = False  # counts: rounded to whole numbers

    def clip(self, x: np.ndarray) -> np.ndarray:
        """``x`` clipped in place (whole numbers rounded) and returned."""
        x = np.asarray(x, dtype=float)
        if self.whole:
            np.rint(x, out=x)
        np.maximum(x, self.low, out=x)
        if math.isfinite(self.high):
            np.minimum(x, self.high, out=x)
        return x


def _validator(alias: Any) -> Any:
    return typing.get_args(alias)[-1]


_FRACTIONS = {id(_validator(a)) for a in (_inp.Fraction, _inp.OptFraction)}
_OVERHEADS = {id(_validator(a)) for a in (_inp.Overhead, _inp.OptOverhead)}
_COUNTS = {id(_validator(a)) for a in (_inp.Count, _inp.OptCount)}
_NUMBERS = {id(_validator(a)) for a in (_inp.Number, _inp.OptNumber, _inp.Money,
                                         _inp.OptMoney)} | _FRACTIONS | _OVERHEADS | _COUNTS


def valid_range(key: str) -> ValidRange:
    """Where a numeric input makes sense, read from the pydantic field that holds it.

    Raises :class:`InputError` for keys that are not numeric inputs (``currency``, ``name``).
    """
    section, _name, fname = split_key(key)
    models: dict[str, type[BaseModel]] = {
        "drivers": _inp.Drivers, "pools": _inp.GpuPool, "runs": _inp.TrainingRun,
        "data": _inp.CostLine, "other": _inp.CostLine, "staff": _inp.StaffLine}
    model = models[section]
    info = model.model_fields.get(fname)
    if info is None:
        raise InputError(f"{key}: " + _("no such input (fields: {fields})").format(
            fields=", ".join(model.model_fields)))
    ids = {id(m) for m in info.metadata}
    if not ids & _NUMBERS:
        raise InputError(f"{key}: " + _("not a numeric input, so it cannot be uncertain or "
                                        "varied"))
    low, high, whole = 0.0, math.inf, bool(ids & _COUNTS)
    if ids & _FRACTIONS:
        high = 1.0
    elif ids & _OVERHEADS:
        high = 10.0
    for m in info.metadata:
        if isinstance(m, Ge):
            low = max(low, float(cast(float, m.ge)))
        elif isinstance(m, Gt):
            low = max(low, float(cast(float, m.gt)) + (1.0 if whole else 1e-9))
        elif isinstance(m, Le):
            high = min(high, float(cast(float, m.le)))
        elif isinstance(m, Lt):
            high = min(high, float(cast(float, m.lt)) - 1e-9)
    if fname == "mfu":
        low = max(low, MFU_FLOOR)
    if fname in ("gpu_count", "count", "depreciation_life_years"):
        low = max(low, 1.0 if whole else 1e-3)
    return ValidRange(low, high, whole)


# ---------------------------------------------------------------------------------------------
# Simulation


@dataclass(frozen=True)
class Stats:
    mean: float
    p10: float
    p50: float
    p80: float
    p90: float
    sd: float
    min: float
    max: float

    def to_dict(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in
                ("mean", "p10", "p50", "p80", "p90", "sd", "min", "max")}


@dataclass(frozen=True)
class Contribution:
    """How much of the spread of the total one uncertain input explains.

    ``rank_correlation`` is Spearman's rho between the input's draws and the total; ``share`` is
    rho² normalised so the shares of all inputs add up to 1 (the usual "contribution to
    variance" of risk tools; an approximation that ignores interactions).
    """

    key: str
    rank_correlation: float
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "rank_correlation": self.rank_correlation, "share": self.share}


@dataclass
class RiskResult:
    """The result of :func:`simulate`: ``trials`` totals and the amounts of every family."""

    trials: int
    seed: int | None
    currency: str
    total: np.ndarray
    families: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray | None]
    draws: dict[str, np.ndarray]
    uncertainties: dict[str, Distribution]
    base: BudgetResult
    scenario: str = "Base"
    rank_sample: int = RANK_SAMPLE
    _sorted: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def sorted(self, name: str = "total") -> np.ndarray:
        """The trials of ``total`` or of a family, in increasing order (cached)."""
        if name not in self._sorted:
            arr = self.total if name == "total" else self.families[name]
            self._sorted[name] = np.sort(arr)
        return self._sorted[name]

    def percentile(self, q: float, name: str = "total") -> float:
        """The ``q``-th percentile (0-100), linear interpolation as numpy's default."""
        return _pct_sorted(self.sorted(name), q)

    def stats(self, name: str = "total") -> Stats:
        arr = self.total if name == "total" else self.families[name]
        srt = self.sorted(name)
        p10, p50, p80, p90 = (_pct_sorted(srt, q) for q in PERCENTILES)
        lo, hi = float(srt[0]), float(srt[-1])
        mean = min(max(float(arr.mean()), lo), hi)  # summation rounding never leaves [min, max]
        return Stats(mean, p10, p50, p80, p90, float(arr.std()) if hi > lo else 0.0, lo, hi)

    @property
    def summary(self) -> dict[str, Stats]:
        """Stats of the total and of every family, in that order."""
        return {"total": self.stats("total"), **{f: self.stats(f) for f in FAMILIES}}

    def contributions(self) -> list[Contribution]:
        """Each uncertain input's share of the spread of the total, largest first."""
        n = min(self.trials, self.rank_sample)
        mid = (n + 1) / 2.0  # the mean of ranks 1..n, ties averaged or not
        t = rank(self.total[:n]) - mid
        tt = float(np.dot(t, t))
        rhos: dict[str, float] = {}
        for key, arr in self.draws.items():
            x = arr[:n]
            if tt == 0.0 or x.min() == x.max():
                rhos[key] = 0.0
                continue
            r = rank(x) - mid
            rhos[key] = float(np.dot(r, t)) / math.sqrt(float(np.dot(r, r)) * tt)
        denom = sum(r * r for r in rhos.values())
        out = [Contribution(k, r, (r * r / denom) if denom > 0 else 0.0) for k, r in rhos.items()]
        return sorted(out, key=lambda c: -c.share)

    def histogram(self, bins: int = 30, name: str = "total") -> tuple[np.ndarray, np.ndarray]:
        """(edges, counts): ``bins`` equal-width bins from the smallest to the largest trial."""
        srt = self.sorted(name)
        lo, hi = float(srt[0]), float(srt[-1])
        if hi <= lo:
            hi = lo + max(abs(lo) * 1e-6, 1.0)
        edges = np.linspace(lo, hi, bins + 1)
        idx = np.searchsorted(srt, edges[1:-1], side="left")
        counts = np.diff(np.concatenate(([0], idx, [srt.size])))
        return edges, counts

    def s_curve(self, points: int = 101, name: str = "total") -> list[tuple[float, float]]:
        """(value, probability the outcome is at most that value), from P0 to P100."""
        srt = self.sorted(name)
        qs = np.linspace(0.0, 100.0, points)
        return [(_pct_sorted(srt, q), q / 100.0) for q in qs]

    def to_dict(self, bins: int = 30) -> dict[str, Any]:
        edges, counts = self.histogram(bins)
        return {
            "trials": self.trials,
            "seed": self.seed,
            "scenario": self.scenario,
            "currency": self.currency,
            "deterministic_total": float(self.base.total),
            "stats": {k: v.to_dict() for k, v in self.summary.items()},
            "uncertainties": {k: d.to_dict() for k, d in self.uncertainties.items()},
            "contributions": [c.to_dict() for c in self.contributions()],
            "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
            "s_curve": [{"value": v, "probability": p} for v, p in self.s_curve(21)],
        }


def _pct_sorted(srt: np.ndarray, q: float) -> float:
    pos = (srt.size - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, srt.size - 1)
    frac = pos - lo
    return float(srt[lo] + (srt[hi] - srt[lo]) * frac)


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as Spearman's rho needs)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    order = np.argsort(x)  # tie order does not matter: tied values share their average rank
    xs = x[order]
    new_group = np.empty(n, dtype=bool)
    if n:
        new_group[0] = True
        np.not_equal(xs[1:], xs[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n)  # exclusive
    avg = (starts + ends + 1) / 2.0  # mean of 1-based ranks start+1 .. end
    group = np.cumsum(new_group) - 1
    out = np.empty(n, dtype=float)
    out[order] = avg[group]
    return out


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b)) / den if den > 0 else 0.0


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation of two samples (0 when either is constant)."""
    return _corr(rank(x), rank(y))


def check_uncertainties(
    budget: Budget, uncertainties: Mapping[str, Distribution]
) -> dict[str, Distribution]:
    """Resolve keys (``drivers.mfu`` → ``mfu``) and check each names a numeric input."""
    out: dict[str, Distribution] = {}
    for key, dist in uncertainties.items():
        section, name, fname = split_key(key)
        canon = fname if section == "drivers" else f"{section}.{name}.{fname}"
        valid_range(canon)
        if section != "drivers":
            get_value(budget, canon)  # raises for an unknown pool / run / line
        if canon in out:
            raise InputError(f"{canon}: " + _("given twice"))
        out[canon] = dist
    return out


def draw(
    budget: Budget,
    uncertainties: Mapping[str, Distribution],
    trials: int,
    seed: int | None,
    *,
    restart_draws: bool = True,
) -> dict[str, np.ndarray]:
    """Every trial's inputs: ``{key: array of trials}``, clipped to valid ranges.

    Keys are drawn in a fixed order (the order given) from one generator, so a seed reproduces
    them. With ``restart_draws`` and a non-zero restart probability, ``restart_probability``
    becomes a 0/1 Bernoulli draw per trial.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    shared: dict[str, np.ndarray] = {}  # tag → its normal deviates, drawn once
    for key, dist in uncertainties.items():
        if dist.shared and dist.kind == "split_lognormal" and not dist.degenerate:
            z = shared.get(dist.shared)
            if z is None:
                z = shared[dist.shared] = rng.standard_normal(trials)
            out[key] = valid_range(key).clip(split_lognormal_values(z, *dist.params))
            continue
        out[key] = valid_range(key).clip(dist.sample(rng, trials))
    if restart_draws:
        p = out.get(RESTART_KEY, budget.drivers.restart_probability)
        if np.any(np.asarray(p) > 0):
            u = rng.random(trials)
            out[RESTART_KEY] = (u < p).astype(float)
    return out


def simulate(
    budget: Budget,
    uncertainties: Mapping[str, Distribution] | None = None,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = DEFAULT_SEED,
    *,
    catalog: Catalog | None = None,
    scenario: str = "Base",
    restart_draws: bool = True,
    chunk_trials: int = CHUNK_TRIALS,
    progress: Callable[[int], None] | None = None,
    rank_sample: int = RANK_SAMPLE,
    base_result: BudgetResult | None = None,
) -> RiskResult:
    """Run the budget ``trials`` times with its uncertain inputs drawn from their distributions.

    Vectorised: each chunk of up to ``chunk_trials`` trials is one call of
    :func:`~costsheet.model.budget.compute_budget` on arrays. ``progress(n)`` is called after
    each chunk with the number of trials done in it. The scenario's overrides are applied
    first; uncertainties then replace the values they name. ``base_result`` is ``scenario``
    already computed, if at hand.
    """
    if trials < 1:
        raise InputError(_("trials must be at least 1") + got_text(trials))
    if chunk_trials < 1:
        raise InputError("chunk_trials: " + _("must be at least 1"))
    base_budget = apply_scenario(budget, scenario)
    dists = check_uncertainties(base_budget, uncertainties or {})
    check_simulation(trials, len(dists))
    base = base_result or compute_budget(base_budget, catalog, scenario=scenario)
    draws = draw(base_budget, dists, trials, seed, restart_draws=restart_draws)
    if RESTART_KEY in draws and RESTART_KEY not in dists:
        dists[RESTART_KEY] = Distribution.bernoulli(float(base_budget.drivers.restart_probability))
    total = np.empty(trials)
    families = {f: np.empty(trials) for f in FAMILIES}
    metric_names = ("gpu_hours", "wall_clock_days", "energy_kwh", "co2_kg")
    metrics: dict[str, np.ndarray | None] = {k: np.empty(trials) for k in metric_names}
    for start in range(0, trials, chunk_trials):
        stop = min(start + chunk_trials, trials)
        n = stop - start
        chunk = {k: v[start:stop] for k, v in draws.items()}
        res = compute_budget(apply_overrides(base_budget, chunk), catalog, scenario=scenario) \
            if chunk else base
        for f in FAMILIES:
            families[f][start:stop] = np.broadcast_to(res.totals[f], (n,))
        total[start:stop] = np.broadcast_to(res.total, (n,))
        for k in metric_names:
            v = res.metrics.get(k)
            arr = metrics[k]
            if v is None or arr is None:
                metrics[k] = None
            else:
                arr[start:stop] = np.broadcast_to(v, (n,))
        if progress is not None:
            progress(n)
    _check_finite_trials(total, dists)
    return RiskResult(
        trials=trials, seed=seed, currency=base.currency, total=total, families=families,
        metrics=metrics, draws=draws, uncertainties=dists, base=base, scenario=scenario,
        rank_sample=rank_sample,
    )


def _check_finite_trials(total: np.ndarray, dists: Mapping[str, Distribution]) -> None:
    """A trial whose total overflows is refused, naming the uncertain inputs (never a NaN or an
    infinite percentile on the Risk sheet)."""
    if finite(total):
        return
    keys = list(dists)
    bad = int(np.count_nonzero(~np.isfinite(total)))
    raise InputError(
        _("Monte Carlo: {bad} of {trials} trials give a total that is not a finite number; the "
          "ranges of the uncertain inputs reach values where a cost overflows").format(
            bad=f"{bad:,}", trials=f"{total.size:,}"),
        code="not_finite", key=keys[0] if keys else None, related=tuple(keys[1:]),
        hint=_("narrow the ranges on the Uncertainty sheet (or in the drivers' cells)"))


__all__ = [
    "DEFAULT_SEED", "DEFAULT_TRIALS", "KINDS", "Contribution", "Distribution",
    "RiskResult", "Stats", "ValidRange", "check_uncertainties", "draw", "is_interval_text",
    "make_distribution", "parse_interval", "rank", "simulate", "spearman", "valid_range",
]
