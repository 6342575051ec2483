"""Utilisation (MFU) from published runs: the default when a run states no MFU, with a range.

Every run of ``data/reference_runs.csv`` that enters the statistics implies an MFU: its training
FLOPs (6 × active parameters × tokens) over its GPU-hours × 3,600 × the accelerator's peak dense
BF16 FLOP/s from the GPU catalog. A new run's MFU is predicted from the runs on the same chip
generation (A100-class runs on A100s, H100-class on H100s and H800s): the group's median, with
the band from its 10th to its 90th percentile as a prediction for one more run (order statistics
at p × (n + 1), the Weibull plotting positions). A generation with fewer than ``MIN_GROUP_RUNS``
runs (TPUs, B200, MI300X) uses every run.

The grouping was chosen by leave-one-out error over the dataset (``leave_one_out``; figures in
``docs/model.md`` and ``bench/fidelity.py``): grouping by generation beat one pooled statistic, by
dense vs MoE, by generation and model size, and a log-linear fit on model size.

Pure functions; nothing here reads a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..catalog import Catalog, GpuSpec, default_catalog
from ..i18n import _
from ..reference_runs import ReferenceRun, load_reference_runs
from .flops import gpu_hours_for_flops, implied_mfu, training_flops

MIN_GROUP_RUNS = 5
LOW_Q, HIGH_Q = 0.10, 0.90
Z90 = 1.2815515655446004  # standard normal quantile at 0.90
POOLED = "all accelerators"

Key = Callable[[str, float, bool], object]


def _size_bin(params: float) -> str:
    return "<10B" if params < 10e9 else ("10-100B" if params < 100e9 else ">=100B")


#: candidate groupings (generation, active parameters, MoE?) → group key; "generation" is used
GROUPINGS: dict[str, Key] = {
    "pooled": lambda gen, n, moe: POOLED,
    "architecture": lambda gen, n, moe: "MoE" if moe else "dense",
    "generation": lambda gen, n, moe: gen,
    "generation and architecture": lambda gen, n, moe: (gen, "MoE" if moe else "dense"),
    "generation and size": lambda gen, n, moe: (gen, _size_bin(n)),
}
CHOSEN_GROUPING = "generation"


@dataclass(frozen=True)
class CalibrationRun:
    """A published run that enters the statistics, with its generation and implied MFU."""

    run: ReferenceRun
    generation: str
    peak_flops: float  # BF16 dense, per accelerator
    flops: float
    mfu: float

    @property
    def id(self) -> str:
        return self.run.id

    @property
    def params(self) -> float:
        return float(self.run.params_for_flops or 0.0)


def run_implied_mfu(run: ReferenceRun, catalog: Catalog | None = None) -> float | None:
    """6 × N_active × D / (GPU-hours × 3,600 × the accelerator's BF16 dense peak), or None."""
    n, d = run.params_for_flops, run.tokens
    if n is None or d is None:
        return None
    spec = (catalog or default_catalog()).get(run.accelerator)
    return float(implied_mfu(training_flops(n, d), run.gpu_hours, spec.peak_flops("bf16")))


def calibration_runs(runs: Iterable[ReferenceRun] | None = None,
                     catalog: Catalog | None = None) -> list[CalibrationRun]:
    """The runs marked for the statistics that imply an MFU (parameters and tokens known)."""
    cat = catalog or default_catalog()
    out = []
    for run in load_reference_runs() if runs is None else runs:
        mfu = run_implied_mfu(run, cat)
        if not run.in_statistics or mfu is None:
            continue
        spec = cat.get(run.accelerator)
        n = float(run.params_for_flops or 0.0)
        out.append(CalibrationRun(run, spec.generation or spec.key, spec.peak_flops("bf16"),
                                  float(training_flops(n, run.tokens or 0.0)), mfu))
    return out


def predictive_quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile for one more draw: order statistic at q × (n + 1), clipped to the sample."""
    return float(np.quantile(np.asarray(values, dtype=float), q, method="weibull"))


@dataclass(frozen=True)
class PublishedMfu:
    """MFU predicted from published runs: point (median), P10-P90 band, and what it rests on."""

    point: float
    p10: float
    p90: float
    group: str  # the generation whose runs were used, or "all accelerators"
    generation: str  # the generation asked for
    run_ids: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return len(self.run_ids)

    @property
    def pooled(self) -> bool:
        return self.group == POOLED

    @property
    def basis(self) -> str:
        """In words: ``median MFU of 20 published Hopper runs (P10 13.9%, P90 34.5%)``."""
        if self.pooled:
            where = _("all {n} published runs (fewer than {least} on {generation})").format(
                n=self.n, least=MIN_GROUP_RUNS,
                generation=self.generation or _("this accelerator"))
        else:
            where = _("{n} published {generation} runs").format(n=self.n, generation=self.group)
        return _("median MFU of {where}, P10 {p10:.1%}, P90 {p90:.1%}").format(
            where=where, p10=self.p10, p90=self.p90)

    def split_lognormal(self) -> tuple[float, float, float]:
        """(mu, sigma below, sigma above): a two-piece lognormal through P10, median and P90.

        The published spread is not symmetric on a log scale (H100-class: 10.9% / 22.4% /
        34.4%), so each side gets its own sigma: exp(mu + sigma × z), z standard normal.
        """
        mu = math.log(self.point)
        low = (mu - math.log(self.p10)) / Z90
        high = (math.log(self.p90) - mu) / Z90
        return mu, max(low, 1e-9), max(high, 1e-9)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """MFU trials for a Monte Carlo from ``split_lognormal()``, clipped to (0, 1]."""
        mu, low, high = self.split_lognormal()
        z = rng.standard_normal(size)
        return np.clip(np.exp(mu + z * np.where(z < 0, low, high)), 1e-6, 1.0)

    def to_dict(self) -> dict[str, object]:
        return {"point": self.point, "p10": self.p10, "p90": self.p90, "group": self.group,
                "generation": self.generation, "runs": list(self.run_ids),
                "basis": self.basis}


def _estimate(pool: Sequence[CalibrationRun], group: str, generation: str) -> PublishedMfu:
    values = [c.mfu for c in pool]
    return PublishedMfu(point=float(np.median(values)),
                        p10=predictive_quantile(values, LOW_Q),
                        p90=predictive_quantile(values, HIGH_Q),
                        group=group, generation=generation,
                        run_ids=tuple(c.id for c in pool))


def _group_estimate(calib: Sequence[CalibrationRun], key: Key, generation: str,
                    params: float, moe: bool) -> PublishedMfu:
    want = key(generation, params, moe)
    same = [c for c in calib if key(c.generation, c.params, c.run.moe) == want]
    if len(same) >= MIN_GROUP_RUNS:
        label = want if isinstance(want, str) else " / ".join(map(str, want))  # type: ignore
        return _estimate(same, label, generation)
    return _estimate(calib, POOLED, generation)


def published_mfu(gpu: str | GpuSpec, params_active: float | None = None, moe: bool = False, *,
                  catalog: Catalog | None = None, runs: Iterable[ReferenceRun] | None = None,
                  grouping: str = CHOSEN_GROUPING) -> PublishedMfu:
    """The MFU to assume for a run on ``gpu`` that states none: point and P10-P90 band.

    ``params_active`` and ``moe`` describe the model; the chosen grouping (by chip generation)
    does not use them, the other candidate ``GROUPINGS`` do. MFU is relative to the BF16 peak.
    """
    cat = catalog or default_catalog()
    spec = gpu if isinstance(gpu, GpuSpec) else cat.get(gpu)
    calib = calibration_runs(runs, cat)
    if not calib:
        raise ValueError("no published runs to derive an MFU from")
    return _group_estimate(calib, GROUPINGS[grouping], spec.generation or spec.key,
                           float(params_active or 0.0), moe)


def mfu_at_precision(mfu_bf16: float, spec: GpuSpec, precision: str) -> float:
    """An MFU relative to the BF16 peak, restated against ``precision``'s peak (FP8: halved)."""
    return mfu_bf16 * spec.peak_flops("bf16") / spec.peak_flops(precision)


# ---------------------------------------------------------------------------------------------
# How well it predicts: leave one out


@dataclass(frozen=True)
class LooPrediction:
    id: str
    model: str
    generation: str
    gpu_hours: float  # published
    predicted_gpu_hours: float
    low_gpu_hours: float  # at the P90 MFU
    high_gpu_hours: float  # at the P10 MFU
    group: str

    @property
    def error(self) -> float:
        """(predicted - published) / published."""
        return self.predicted_gpu_hours / self.gpu_hours - 1.0

    @property
    def inside(self) -> bool:
        return self.low_gpu_hours <= self.gpu_hours <= self.high_gpu_hours

    @property
    def band_ratio(self) -> float:
        return self.high_gpu_hours / self.low_gpu_hours


@dataclass(frozen=True)
class LooResult:
    grouping: str
    predictions: tuple[LooPrediction, ...]

    @property
    def n(self) -> int:
        return len(self.predictions)

    @property
    def median_abs_error(self) -> float:
        return float(np.median([abs(p.error) for p in self.predictions]))

    @property
    def median_error(self) -> float:
        return float(np.median([p.error for p in self.predictions]))

    @property
    def share_inside(self) -> float:
        return sum(p.inside for p in self.predictions) / self.n

    @property
    def median_band_ratio(self) -> float:
        return float(np.median([p.band_ratio for p in self.predictions]))


def leave_one_out(grouping: str = CHOSEN_GROUPING, *, catalog: Catalog | None = None,
                  runs: Iterable[ReferenceRun] | None = None) -> LooResult:
    """Predict each run's GPU-hours from all the other runs, as a new user's run would be."""
    calib = calibration_runs(runs, catalog)
    key = GROUPINGS[grouping]
    out = []
    for i, c in enumerate(calib):
        others = calib[:i] + calib[i + 1:]
        est = _group_estimate(others, key, c.generation, c.params, c.run.moe)
        out.append(LooPrediction(
            id=c.id, model=c.run.model, generation=c.generation, gpu_hours=c.run.gpu_hours,
            predicted_gpu_hours=float(gpu_hours_for_flops(c.flops, c.peak_flops, est.point)),
            low_gpu_hours=float(gpu_hours_for_flops(c.flops, c.peak_flops, est.p90)),
            high_gpu_hours=float(gpu_hours_for_flops(c.flops, c.peak_flops, est.p10)),
            group=est.group))
    return LooResult(grouping, tuple(out))


def share_below(value: float, values: Sequence[float]) -> float:
    """Share of ``values`` below ``value`` (equal to 1e-9 relative counts as not below)."""
    if not values:
        return math.nan
    return sum(v < value and not math.isclose(v, value, rel_tol=1e-9) for v in values) / len(
        values)
