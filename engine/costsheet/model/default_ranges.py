"""The ranges that come with costsheet's published defaults: the Summary's band, the Monte Carlo's
default distributions.

Two inputs take a default from published evidence when a run leaves them blank, and both come
with a range:

* **MFU**: a run that states none (and whose budget has no default MFU on the Drivers sheet)
  takes the median implied MFU of published runs on its chip generation, with their P10-P90 as
  the range (:mod:`costsheet.model.utilisation`);
* **RL decode MFU**: an RL run that states none takes 1%, derived from DeepSeek-R1-Zero, with
  0.6%-4.3% as the range (:mod:`costsheet.model.stages`, docs/model.md).

:func:`published_band` gives the budget's GPU-hours and total with every run on the published
MFU at the band's two ends (the P90 MFU gives the low end, the P10 the high end): what the
Summary shows next to the point estimate. :func:`default_uncertainties` gives the Monte Carlo
distributions of those inputs when the workbook states none of its own: the published MFU as the
two-piece lognormal through P10, median and P90 (``PublishedMfu.draw``; every such run drawn at
the same percentile of its own band in a trial), the RL decode MFU as PERT(0.6%, 1%, 4.3%).
A stated input (an Uncertainty row, a range in a driver cell) always wins.

Pure functions; nothing here reads a workbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..catalog import Catalog, GpuSpec
from ..i18n import _
from ..inputs import Budget, TrainingRun
from .budget import budget_catalog, compute_budget, pool_for
from .items import BudgetResult
from .montecarlo import Distribution
from .scenarios import apply_overrides
from .stages import DEFAULT_RL_DECODE_MFU, RL_DECODE_MFU_RANGE, uses_default_rl_decode
from .utilisation import PublishedMfu, mfu_at_precision, published_mfu

__all__ = [
    "DefaultRanges", "PublishedBand", "PublishedRun", "band_note", "default_uncertainties",
    "published_band", "published_runs",
]

#: the tag under which every run's published MFU is drawn from the same normal deviates
SHARED_MFU = "published MFU"


@dataclass(frozen=True)
class PublishedRun:
    """A run whose MFU is the published runs' median: its GPU, precision and the estimate."""

    run: TrainingRun
    spec: GpuSpec
    estimate: PublishedMfu

    @property
    def factor(self) -> float:
        """From an MFU of the BF16 peak to one of the run's precision (FP8: about 0.5)."""
        return mfu_at_precision(1.0, self.spec, self.run.precision)

    @property
    def ends(self) -> tuple[float, float]:
        """The run's MFU at the published P90 and P10 (low GPU-hours, high GPU-hours)."""
        return self.estimate.p90 * self.factor, self.estimate.p10 * self.factor


def published_runs(budget: Budget, result: BudgetResult,
                   catalog: Catalog | None = None) -> list[PublishedRun]:
    """The runs of ``budget`` (one scenario, computed as ``result``) whose MFU came from
    published runs: they state no MFU, the drivers give none and they have no GPU-hours."""
    cat = budget_catalog(budget, catalog)
    out = []
    for run in budget.runs:
        info = result.runs.get(run.name, {})
        if info.get("mfu_source") != "published":
            continue
        pool = pool_for(budget, run.pool, f"run {run.name!r}")
        if pool.gpu_type is None:
            continue
        spec = cat.get(pool.gpu_type)
        out.append(PublishedRun(run, spec, published_mfu(spec, run.active_params or run.params)))
    return out


def _groups(runs: list[PublishedRun]) -> list[PublishedMfu]:
    """The distinct estimates the runs rest on, in the order first met."""
    out: list[PublishedMfu] = []
    for r in runs:
        if all(e.group != r.estimate.group for e in out):
            out.append(r.estimate)
    return out


def describe_groups(estimates: list[PublishedMfu]) -> str:
    """``H100-class GPUs`` or ``H100-class GPUs and A100-class GPUs``."""
    return _(" and ").join(e.class_label for e in estimates)


@dataclass(frozen=True)
class PublishedBand:
    """GPU-hours (final runs) and total of one scenario with every run on the published MFU at
    its published P90 (``low``) and P10 (``high``)."""

    scenario: str
    runs: tuple[PublishedRun, ...]
    gpu_hours: tuple[float, float] | None  # None: no final run
    total: tuple[float, float]

    @property
    def estimates(self) -> list[PublishedMfu]:
        return _groups(list(self.runs))

    @property
    def label(self) -> str:
        """What the band is: ``published runs on H100-class GPUs: P10–P90``."""
        return _("published runs on {chips}: P10–P90").format(
            chips=describe_groups(self.estimates))

    def note(self) -> str:
        """The sentence that explains the band: which runs, which MFUs."""
        return band_note([self])

    def to_dict(self) -> dict[str, object]:
        return {"scenario": self.scenario, "label": self.label,
                "runs": [r.run.name for r in self.runs],
                "mfu": [e.to_dict() for e in self.estimates],
                "gpu_hours": None if self.gpu_hours is None else list(self.gpu_hours),
                "total": list(self.total)}


def band_note(bands: list[PublishedBand]) -> str:
    """One sentence for the bands of several scenarios: the runs that state no MFU (in any of
    them), the published MFUs they take, what low and high mean."""
    runs: list[str] = []
    estimates: list[PublishedMfu] = []
    for band in bands:
        runs += [r.run.name for r in band.runs if r.run.name not in runs]
        estimates += [e for e in band.estimates if all(e.group != x.group for x in estimates)]
    names = ", ".join(repr(n) for n in runs)
    mfus = "; ".join(_("{chips}: median {median:.1%}, P10 {p10:.1%}, P90 {p90:.1%} of {n} "
                       "runs").format(chips=e.class_label, median=e.point, p10=e.p10,
                                      p90=e.p90, n=e.n) for e in estimates)
    return _("No MFU is stated for {runs}, so the median implied MFU of published runs is used "
             "({mfus}). Low: every such run at the P90 MFU; high: at the P10. State an MFU on "
             "the Runs sheet to replace it.").format(runs=names, mfus=mfus)


def published_band(budget: Budget, result: BudgetResult,
                   catalog: Catalog | None = None) -> PublishedBand | None:
    """The band of ``budget`` (one scenario, already computed as ``result``), or None when no
    run takes the published MFU. One model call, the two ends as two trials."""
    runs = published_runs(budget, result, catalog)
    if not runs:
        return None
    overrides = {f"runs.{r.run.name}.mfu": np.array(r.ends) for r in runs}
    res = compute_budget(apply_overrides(budget, overrides), catalog, scenario=result.scenario)
    total = np.broadcast_to(np.asarray(res.total, dtype=float), (2,))
    hours = res.metrics.get("gpu_hours")
    band_hours = None
    if hours is not None:
        h = np.broadcast_to(np.asarray(hours, dtype=float), (2,))
        band_hours = (float(h[0]), float(h[1]))
    return PublishedBand(result.scenario, tuple(runs), band_hours,
                         (float(total[0]), float(total[1])))


@dataclass
class DefaultRanges:
    """The Monte Carlo's default distributions, by input key, and a sentence for each kind."""

    uncertainties: dict[str, Distribution] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _mfu_distribution(r: PublishedRun) -> Distribution:
    e = r.estimate
    mu_median, low, high = e.point * r.factor, *e.split_lognormal()[1:]
    text = _("published runs on {chips}: P10 {p10:.1%}, median {median:.1%}, P90 "
             "{p90:.1%}").format(chips=e.class_label, p10=e.p10 * r.factor, median=mu_median,
                                 p90=e.p90 * r.factor)
    return Distribution.split_lognormal(mu_median, low, high, text=text, shared=SHARED_MFU)


def rl_decode_distribution() -> Distribution:
    """PERT(0.6%, 1%, 4.3%): what DeepSeek-R1-Zero's hours imply at mean rollouts of 5K-20K
    tokens, most likely the default."""
    low, high = RL_DECODE_MFU_RANGE
    return Distribution("pert", (low, DEFAULT_RL_DECODE_MFU, high), _(
        "RL decode default: PERT {low:.1%} / {mode:.1%} / {high:.1%} (DeepSeek-R1-Zero, mean "
        "rollouts of 5K-20K tokens)").format(low=low, mode=DEFAULT_RL_DECODE_MFU, high=high))


def default_uncertainties(budget: Budget, result: BudgetResult,
                          stated: Mapping[str, Distribution],
                          catalog: Catalog | None = None) -> DefaultRanges:
    """The distributions of the published defaults that ``budget`` (Base, computed as
    ``result``) uses and ``stated`` (canonical keys) does not cover."""
    out = DefaultRanges()
    if "mfu" not in stated:  # an uncertain default MFU on the Drivers sheet moves every run
        runs = [r for r in published_runs(budget, result, catalog)
                if f"runs.{r.run.name}.mfu" not in stated]
        for r in runs:
            out.uncertainties[f"runs.{r.run.name}.mfu"] = _mfu_distribution(r)
        if runs:
            names = ", ".join(repr(r.run.name) for r in runs)
            out.notes.append(_(
                "MFU of {runs} (no MFU stated): drawn from the published runs on {chips} "
                "(two-piece lognormal through their P10, median and P90; all such runs at the "
                "same percentile in a trial). An Uncertainty row for mfu or runs.<name>.mfu "
                "replaces it.").format(runs=names, chips=describe_groups(_groups(runs))))
    rl = [run for run in budget.runs if uses_default_rl_decode(run)
          and f"runs.{run.name}.decode_mfu" not in stated]
    for run in rl:
        out.uncertainties[f"runs.{run.name}.decode_mfu"] = rl_decode_distribution()
    if rl:
        low, high = RL_DECODE_MFU_RANGE
        out.notes.append(_(
            "Rollout decode MFU of {runs} (none stated): drawn from PERT({low:.1%}, "
            "{mode:.1%}, {high:.1%}), the range DeepSeek-R1-Zero's published hours imply "
            "(docs/model.md). An Uncertainty row for runs.<name>.decode_mfu replaces "
            "it.").format(runs=", ".join(repr(r.name) for r in rl), low=low,
                          mode=DEFAULT_RL_DECODE_MFU, high=high))
    return out
