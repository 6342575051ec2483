"""A budget's own figures placed among published training runs (``costsheet runs --compare``).

Three figures of the budget's main final pre-training run (the one with the most GPU-hours;
published runs are pre-training, so post-training and data-generation stages are left out):
its MFU, its price per GPU-hour and its compute cost per million training tokens, each with the
share of published runs on similar hardware (the same chip generation, or every run when fewer than
``MIN_GROUP_RUNS`` share it) that lie below it. Few published runs state a cost, and the note
says how few. Pure: takes a budget and its computed result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog
from ..i18n import N_, _, format_money
from ..inputs import Budget
from ..reference_runs import load_reference_runs
from .budget import budget_catalog, pool_for, run_named
from .items import BudgetResult, is_scalar
from .stages import STAGE_GROUPS
from .utilisation import MIN_GROUP_RUNS, POOLED, calibration_runs, share_below


@dataclass(frozen=True)
class Placement:
    """One figure of the budget among published values of the same figure."""

    metric: str  # "mfu", "price_per_gpu_hour", "cost_per_million_tokens"
    label: str
    value: float | None
    peers: tuple[tuple[str, float], ...]  # (run model, value)
    group: str
    unit: str = ""

    @property
    def share_below(self) -> float | None:
        if self.value is None or not self.peers:
            return None
        return share_below(self.value, [v for _, v in self.peers])

    def sentence(self) -> str:
        """``your 45% MFU is above 90% of published Hopper runs (18 of 20)``."""
        label = _(self.label)
        if self.value is None:
            return _("{label}: not computed for this budget").format(label=label)
        if not self.peers:
            return _("your {label} {value}: no published run to compare").format(
                label=label, value=self._fmt(self.value))
        share = self.share_below or 0.0
        below = round(share * len(self.peers))
        text = (_("your {value} {label} is above {share:.0%} of published runs ({below} of {n} "
                  "lower)") if self.group == POOLED else
                _("your {value} {label} is above {share:.0%} of published {group} runs ({below} "
                  "of {n} lower)"))
        return text.format(value=self._fmt(self.value), label=label, share=share, group=self.group,
                           below=below, n=len(self.peers))

    def _fmt(self, x: float) -> str:
        if self.metric == "mfu":
            return f"{x:.0%}"
        return format_money(x, "USD", decimals=2) + _(self.unit)

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": _(self.label), "value": self.value,
                "share_below": self.share_below, "group": self.group,
                "peers": [{"model": m, "value": v} for m, v in self.peers],
                "sentence": self.sentence()}


@dataclass(frozen=True)
class RunsComparison:
    run: str
    gpu: str
    generation: str
    currency: str
    placements: tuple[Placement, ...]
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "gpu": self.gpu, "generation": self.generation,
                "currency": self.currency, "placements": [p.to_dict() for p in self.placements],
                "notes": list(self.notes)}


def _pretraining(stage: object) -> bool:
    """Pre-training or mid-training: what published runs' GPU-hours cover."""
    return STAGE_GROUPS.get(str(stage or "pretraining")) == "pre-training"


def _main_final_run(budget: Budget, result: BudgetResult) -> str:
    finals = [(name, info) for name, info in result.runs.items()
              if info["kind"] == "final" and _pretraining(info.get("stage"))]
    if not finals:
        raise ValueError(_("the budget has no final pre-training run to compare (published "
                           "runs are pre-training)"))
    return max(finals, key=lambda item: float(item[1]["gpu_hours"]))[0]


def _pretraining_tokens(budget: Budget, result: BudgetResult) -> float | None:
    """Tokens of the final pre-training and mid-training runs (None when one is unknown)."""
    total = 0.0
    for run in budget.runs:
        info = result.runs[run.name]
        if info["kind"] != "final" or not _pretraining(info.get("stage")):
            continue
        tokens = info.get("tokens")
        if tokens is None or not is_scalar(tokens):
            return None
        total += float(tokens) * run.count
    return total or None


def compare_with_published(budget: Budget, result: BudgetResult,
                           catalog: Catalog | None = None) -> RunsComparison:
    """Place the main final run's MFU, $/GPU-hour and compute cost per M tokens among runs."""
    cat = budget_catalog(budget, catalog)
    name = _main_final_run(budget, result)
    run = next(r for r in budget.runs if r.name == name)
    pool = pool_for(budget, run.pool, run_named(name))
    spec = cat.get(pool.gpu_type) if pool.gpu_type else None
    generation = spec.generation if spec is not None else ""
    calib = calibration_runs(catalog=cat)
    same = [c for c in calib if generation and c.generation == generation]
    group = generation if len(same) >= MIN_GROUP_RUNS else POOLED
    peers = same if group != POOLED else calib
    info = result.runs[name]
    mfu = info["mfu"] if is_scalar(info["mfu"]) else None
    if mfu is not None and spec is not None:  # published MFUs are relative to the BF16 peak
        mfu = float(mfu) * spec.peak_flops(run.precision) / spec.peak_flops("bf16")
    placements = [Placement("mfu", "MFU", None if mfu is None else float(mfu),
                            tuple((c.run.model, c.mfu) for c in peers), group)]
    notes = [_("MFU of published runs: 6 x active parameters x tokens / (their GPU-hours x 3,600 "
               "x peak BF16); {n} runs on {group}.").format(
        n=len(peers), group=group if group != POOLED else _("any GPU"))]
    # (model, cost in USD, GPU-hours, tokens) of the runs that publish a cost
    costed = [(r.model, r.cost_usd, r.gpu_hours, r.tokens) for r in load_reference_runs()
              if r.cost_usd is not None and r.tokens]
    usd = budget.currency == "USD"
    rate = result.pools.get(pool.name, {}).get("price_per_gpu_hour")
    final_compute = sum(float(it.amount) for it in result.items
                        if it.kind == "final_run" and _pretraining(it.stage)
                        and is_scalar(it.amount))
    tokens = _pretraining_tokens(budget, result)
    placements.append(Placement(
        "price_per_gpu_hour", N_("price per GPU-hour"),
        float(rate) if usd and rate is not None and is_scalar(rate) else None,
        tuple((model, cost / hours) for model, cost, hours, _t in costed), POOLED,
        N_("/GPU-h")))
    placements.append(Placement(
        "cost_per_million_tokens", N_("compute cost per million tokens"),
        final_compute / (tokens / 1e6) if usd and tokens else None,
        tuple((model, cost / (toks / 1e6)) for model, cost, _h, toks in costed), POOLED,
        N_("/M tokens")))
    notes.append(_("Only {n} published runs state a cost ({costs}): GPU-hours x a rental rate "
                   "the authors assumed, compute only; the budget's figure is its final "
                   "pre-training runs' own GPU-hours x their price (no idle capacity, "
                   "interruptions or experiments) over their tokens.").format(
        n=len(costed), costs=", ".join(f"{model} {format_money(cost, 'USD')}"
                                       for model, cost, _h, _t in costed)))
    if not usd:
        notes.append(_("The budget is in {currency}; published costs are in USD, so money is "
                       "not compared.").format(currency=budget.currency))
    return RunsComparison(name, spec.key if spec else "", generation, budget.currency,
                          tuple(placements), tuple(notes))
