"""``estimate``: the cost of one training run from a handful of numbers (the CLI's and UDFs' core).

Every argument accepts what people type (``'671B'``, ``'40%'``, ``2.788e6``). Problems are
collected and raised together as an :class:`~costsheet.errors.InputError` whose report names each
argument. With too little to price the run, the result says what it could compute (e.g. FLOPs
from parameters and tokens) and lists in ``missing`` what else it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog import Catalog, GpuSpec, default_catalog
from .errors import Report
from .flags import STAGE_ARGS, FlagInputs, build_inputs, find_gpu, parse_arguments
from .i18n import _
from .inputs import Drivers, GpuPool, TrainingRun
from .model.bounds import check_finite
from .model.budget import compute_budget
from .model.compute import (
    average_power_w,
    gpu_hours_for_flops,
    run_compute,
    run_mfu,
    training_flops,
)
from .model.items import BudgetResult
from .model.memory import memory_fit
from .model.power import energy_kwh as _energy_kwh
from .model.stages import stage_work
from .model.utilisation import mfu_at_precision


@dataclass
class Estimate:
    """The result of :func:`estimate`. Money in ``currency``; ``None`` where not determined."""

    flops: float | None
    gpu_hours: float | None
    wall_clock_days: float | None
    compute_cost: float | None
    energy_kwh: float | None
    energy_cost: float | None
    co2_kg: float | None
    total_cost: float | None
    currency: str
    mfu: float | None
    inputs: dict[str, Any]
    missing: list[dict[str, Any]] = field(default_factory=list)
    families: dict[str, float] | None = None
    result: BudgetResult | None = None
    gpu_tdp_energy_kwh: float | None = None  # GPU-hours × GPU TDP: the model cards' convention
    mfu_basis: str = ""  # where the MFU came from, in words
    gpu_hours_range: list[float] | None = None  # P10-P90 band, only for an MFU from published runs
    total_cost_range: list[float] | None = None
    stage: str = "pretraining"
    decode_mfu: float | None = None  # the generating stages' utilisation while decoding
    min_gpus: float | None = None  # fewest GPUs of the type whose memory holds the run (inf: none)
    memory_basis: str = ""  # how min_gpus was found (docs/model.md, Will it fit)
    memory_not_counted: list[str] = field(default_factory=list)  # what min_gpus leaves out
    fits: bool | None = None  # on gpu_count GPUs; None without a count

    def to_dict(self) -> dict[str, Any]:
        out = {
            "flops": self.flops,
            "gpu_hours": self.gpu_hours,
            "wall_clock_days": self.wall_clock_days,
            "compute_cost": self.compute_cost,
            "energy_kwh": self.energy_kwh,
            "gpu_tdp_energy_kwh": self.gpu_tdp_energy_kwh,
            "energy_cost": self.energy_cost,
            "co2_kg": self.co2_kg,
            "total_cost": self.total_cost,
            "currency": self.currency,
            "mfu": self.mfu,
            "mfu_basis": self.mfu_basis,
            "stage": self.stage,
            "decode_mfu": self.decode_mfu,
            "min_gpus": _count(self.min_gpus),
            "fits": self.fits,
            "memory_basis": self.memory_basis,
            "memory_not_counted": self.memory_not_counted,
            "families": self.families,
            "inputs": self.inputs,
            "missing": self.missing,
        }
        for name in ("gpu_hours_range", "total_cost_range"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.result is not None:
            out["lines"] = [
                {k: v for k, v in it.as_row().items() if k not in ("start_month", "months")}
                for it in self.result.items
            ]
        return out


def _count(x: float | None) -> float | int | None:
    """A GPU count for JSON: whole numbers as ints; infinity (nothing fits) stays a float."""
    if x is None or not np.isfinite(x):
        return x
    return int(x)


def estimate(
    params: Any = None,
    tokens: Any = None,
    *,
    active_params: Any = None,
    flops: Any = None,
    gpu: str | None = None,
    gpu_count: Any = None,
    mfu: Any = None,
    gpu_hours: Any = None,
    price: Any = None,
    own: bool = False,
    gpu_price: Any = None,
    life_years: Any = None,
    power_w: Any = None,
    pue: Any = None,
    kwh_price: Any = None,
    carbon: Any = None,
    currency: str = "USD",
    precision: str = "bf16",
    catalog: Catalog | None = None,
    price_basis: str | None = None,
    server_premium: Any = None,
    networking_share: Any = None,
    experiments: Any = None,
    experiments_total: Any = None,
    staff: Any = None,
    staff_salary: Any = None,
    staff_months: Any = None,
    **stage: Any,
) -> Estimate:
    """Estimate one training run. See ``costsheet estimate --help`` for every argument.

    ``price`` is the rental price per GPU-hour (default: the catalog's price on ``price_basis``,
    on-demand or committed); ``own=True`` prices owned hardware from ``gpu_price`` (default:
    catalog) × ``server_premium`` / (1 - ``networking_share``), depreciated over ``life_years``;
    ``power_w`` is the average power per GPU including its server share; ``carbon`` is the
    grid's kg CO2 per kWh. ``experiments`` is sweeps and ablations as extra GPU-hours ÷ the
    final run's, ``experiments_total`` the same as Epoch AI writes it (total ÷ final); ``staff``
    people at ``staff_salary`` a year for ``staff_months`` (default 12). Without ``mfu`` and
    ``gpu_hours``, the MFU is the median of published runs on the GPU's generation and the
    result carries its P10-P90 band (``gpu_hours_range``, ``total_cost_range``). ``stage``
    holds the run's training stage and its inputs (``stage="rl"``, ``prompts``,
    ``samples_per_prompt``, ``generated_tokens``, ``decode_mfu``, ...:
    :data:`costsheet.flags.STAGE_ARGS`). With the GPU's memory known and parameters given,
    ``min_gpus`` is the fewest GPUs that hold the run (``fits``: on ``gpu_count`` of them).
    """
    unknown = sorted(set(stage) - set(STAGE_ARGS))
    if unknown:
        raise TypeError(f"estimate() got unexpected arguments: {', '.join(unknown)}")
    report = Report(source="estimate")
    raw = dict(params=params, active_params=active_params, tokens=tokens, flops=flops,
               gpu_count=gpu_count, mfu=mfu, gpu_hours=gpu_hours, price=price,
               gpu_price=gpu_price, life_years=life_years, power_w=power_w, pue=pue,
               kwh_price=kwh_price, carbon=carbon, price_basis=price_basis,
               server_premium=server_premium, networking_share=networking_share,
               experiments=experiments, experiments_total=experiments_total, staff=staff,
               staff_salary=staff_salary, staff_months=staff_months, **stage)
    v = parse_arguments(raw, report, currency)
    cat = catalog or default_catalog()
    spec = find_gpu(gpu, cat, report)
    built = build_inputs(v, spec, report, own=own, precision=precision, currency=currency,
                         pool_name="pool")
    _check_pricing(v, raw, spec, own, currency,
                   built.drivers.price_basis if built is not None else "on-demand", report)
    report.raise_if_errors()
    assert built is not None
    drivers, pool, run = built.drivers, built.pool, built.run
    inputs = _resolved_inputs(v, spec, drivers, pool, own, precision)
    inputs.update({a: (run.stage if a == "stage" else v.get(a)) for a in STAGE_ARGS})
    if v.get("gpu_hours") is None:  # the MFU used, resolved like every other default
        inputs["mfu"] = run_mfu(run, spec, drivers)[0]
    missing = _missing(v, spec, own, drivers.price_basis, run)
    if missing:
        return _with_memory(_partial(v, spec, drivers, pool, run, inputs, missing), run, spec,
                            v.get("gpu_count"))
    budget = built.budget()
    result = compute_budget(budget, cat)
    check_finite(budget, result)  # never an infinite or NaN figure
    fam = result.totals
    energy_cost = sum(it.amount for it in result.items if it.kind == "electricity")
    mt = result.metrics
    est = Estimate(
        flops=mt["flops"], gpu_hours=mt["gpu_hours"], wall_clock_days=mt["wall_clock_days"],
        compute_cost=fam["compute"], energy_kwh=mt["energy_kwh"], energy_cost=energy_cost,
        co2_kg=mt["co2_kg"], total_cost=result.total, currency=result.currency,
        mfu=mt["mfu"], inputs=inputs, missing=[], families=dict(fam), result=result,
        gpu_tdp_energy_kwh=mt["gpu_tdp_energy_kwh"], stage=run.stage,
        decode_mfu=_opt_float(result.runs[run.name].get("decode_mfu")),
    )
    _add_band(est, built, cat, spec)
    return _with_memory(est, run, spec, v.get("gpu_count"))


def _opt_float(x: Any) -> float | None:
    return None if x is None else float(x)


def _with_memory(est: Estimate, run: TrainingRun, spec: GpuSpec | None,
                 gpu_count: Any) -> Estimate:
    """The fewest GPUs of the run's type whose memory holds it (docs/model.md, Will it fit),
    and whether ``gpu_count`` of them do."""
    if spec is None or not spec.memory_gb:
        return est
    fit = memory_fit(run, spec.memory_gb, gpu_count)
    if fit is not None:
        est.min_gpus = float(fit.min_gpus)
        est.memory_basis = fit.basis
        est.memory_not_counted = list(fit.not_counted)
        est.fits = fit.fits
    return est


def _add_band(est: Estimate, built: FlagInputs, cat: Catalog, spec: GpuSpec | None) -> None:
    """The MFU's basis and, for an MFU from published runs, the P10-P90 band of the result.

    One model call with the run's MFU at the band's two ends: P90 gives the low GPU-hours and
    cost, P10 the high.
    """
    run = built.run
    _mfu, source, published = run_mfu(run, spec, built.drivers)
    if run.gpu_hours is not None:
        est.mfu_basis = _("implied by the given GPU-hours") if est.mfu is not None else ""
        return
    est.mfu_basis = _("given") if source in ("run", "drivers") else ""
    if published is None or spec is None:
        return
    est.mfu_basis = published.basis
    ends = np.array([mfu_at_precision(published.p90, spec, run.precision),
                     mfu_at_precision(published.p10, spec, run.precision)])
    budget = built.budget()
    banded = budget.model_copy(update={"runs": [run.model_copy(update={"mfu": ends})]})
    res = compute_budget(banded, cat)
    est.gpu_hours_range = [float(x) for x in np.broadcast_to(res.metrics["gpu_hours"], (2,))]
    if est.total_cost is not None:
        est.total_cost_range = [float(x) for x in np.broadcast_to(res.total, (2,))]


def _check_pricing(v: dict[str, Any], raw: dict[str, Any], spec: GpuSpec | None, own: bool,
                   currency: str | None, basis: str, report: Report) -> None:
    """A price for the other kind of ownership, or a catalog price in the wrong currency."""
    if not own and v.get("gpu_price") is not None:
        report.add("", "", "gpu_price", raw["gpu_price"], _("is for owned GPUs: add own"))
    if own and v.get("price") is not None:
        report.add("", "", "price", raw["price"], _("is a rental price: leave it out with own"))
    cur = str(currency or "USD").strip().upper()
    if spec is not None and cur != "USD" and len(cur) == 3:
        # the catalog's prices are in USD and estimate has no exchange rates
        name, given, known = (("gpu_price", v.get("gpu_price"), spec.purchase_price_per_gpu)
                              if own else ("price", v.get("price"), spec.rental_price(basis)[0]))
        if given is None and known is not None:
            report.add("", "", name, None,
                       _("is needed in {currency}: the catalog's prices are in USD").format(
                           currency=cur))


def _missing(v: dict[str, Any], spec: GpuSpec | None, own: bool,
             basis: str = "on-demand", run: TrainingRun | None = None) -> list[dict[str, Any]]:
    """What else is needed, each as {"args": [alternatives], "why": ...}."""
    missing: list[dict[str, Any]] = []

    def need(args: list[str], why: str) -> None:
        missing.append({"args": args, "why": why})

    stage = run.stage if run is not None else "pretraining"
    has_flops = v.get("flops") is not None or (
        v.get("params") is not None and v.get("tokens") is not None)
    if run is not None and stage != "pretraining":
        has_flops = stage_work(run).missing is None
    if v.get("gpu_hours") is None:
        if not has_flops and stage in STAGE_NEEDS:
            need([STAGE_NEEDS[stage], "gpu_hours"],
                 _("what the {stage} run computes").format(stage=stage))
        elif not has_flops:
            need(["params and tokens", "flops", "gpu_hours"], _("what the run computes"))
        if spec is None:
            need(["gpu", "gpu_hours"], _("to turn FLOPs into GPU-hours"))
    if spec is None and v.get("power_w") is None:
        need(["gpu", "power_w"], _("average power per GPU, for energy"))
    if own:
        if v.get("gpu_price") is None and (spec is None or spec.purchase_price_per_gpu is None):
            need(["gpu_price"], _("purchase price per GPU"))
    elif v.get("price") is None and (spec is None or spec.rental_price(basis)[0] is None):
        word = _("committed") if basis == "committed" else _("on-demand")
        need(["price"], _("rent per GPU-hour ({basis}; the catalog has none for {gpu})").format(
            basis=word, gpu=spec.key) if spec is not None
             else _("rent per GPU-hour ({basis})").format(basis=word))
    return missing


#: what a stage other than pre-training needs, besides GPU-hours (as arguments)
STAGE_NEEDS: dict[str, str] = {
    "rl": "params and prompts and generated_tokens",
    "synthetic_data": "params and prompts and generated_tokens",
    "evaluation": "params and prompts and generated_tokens",
    "distillation": "params and tokens and teacher_params",
    "preference": "params and tokens",
}


def _resolved_inputs(v: dict[str, Any], spec: GpuSpec | None, drivers: Drivers, pool: GpuPool,
                     own: bool, precision: str) -> dict[str, Any]:
    price = v.get("price")
    if price is None and not own and spec is not None:
        price = spec.rental_price(drivers.price_basis)[0]
    gpu_price = v.get("gpu_price")
    if gpu_price is None and own and spec is not None:
        gpu_price = spec.purchase_price_per_gpu
    power = v.get("power_w")
    if power is None and spec is not None:
        power = average_power_w(pool, spec, drivers)[0]
    return {
        "params": v.get("params"), "active_params": v.get("active_params"),
        "tokens": v.get("tokens"), "flops": v.get("flops"),
        "gpu": spec.key if spec else None, "gpu_count": v.get("gpu_count"),
        "mfu": drivers.mfu, "price_basis": drivers.price_basis, "precision": precision,
        "peak_flops": spec.peak_flops(precision) if spec else None,
        "gpu_hours": v.get("gpu_hours"), "own": own,
        "price_per_gpu_hour": price if not own else None,
        "gpu_price": gpu_price if own else None,
        "server_premium": drivers.server_premium if own else None,
        "networking_share": drivers.networking_share if own else None,
        "life_years": drivers.depreciation_life_years if own else None,
        "experiments": drivers.extra_experiments,
        "experiments_total": drivers.experiments_total_multiple,
        "staff": v.get("staff"), "staff_salary": v.get("staff_salary"),
        "staff_months": v.get("staff_months"),
        "power_w": power, "pue": drivers.pue, "kwh_price": drivers.kwh_price,
        "carbon": drivers.grid_kg_co2_per_kwh, "currency": drivers.currency,
    }


def _partial(v: dict[str, Any], spec: GpuSpec | None, drivers: Drivers, pool: GpuPool,
             run: TrainingRun, inputs: dict[str, Any], missing: list[dict[str, Any]]) -> Estimate:
    if run.stage != "pretraining":
        return _partial_stage(spec, drivers, pool, run, inputs, missing)
    flops = v.get("flops")
    if flops is None and v.get("params") is not None and v.get("tokens") is not None:
        flops = training_flops(v["params"], v["tokens"], v.get("active_params"))
    gpu_hours = v.get("gpu_hours")
    mfu, source, published = run_mfu(run, spec, drivers)
    band = None
    basis = ""
    if gpu_hours is None and flops is not None and spec is not None:
        peak = spec.peak_flops(run.precision)
        gpu_hours = gpu_hours_for_flops(flops, peak, mfu)
        basis = "given" if source in ("run", "drivers") else ""
        if published is not None:
            band = [float(gpu_hours_for_flops(flops, peak,
                                              mfu_at_precision(m, spec, run.precision)))
                    for m in (published.p90, published.p10)]
            basis = published.basis
    kwh = co2 = None
    if gpu_hours is not None and inputs.get("power_w") is not None:
        kwh = _energy_kwh(gpu_hours, inputs["power_w"], drivers.pue)
        co2 = kwh * drivers.grid_kg_co2_per_kwh
    wall = None
    if gpu_hours is not None and v.get("gpu_count"):
        wall = gpu_hours / (v["gpu_count"] * 24.0)
    return Estimate(
        flops=flops, gpu_hours=gpu_hours, wall_clock_days=wall, compute_cost=None,
        energy_kwh=kwh, energy_cost=None, co2_kg=co2, total_cost=None,
        currency=drivers.currency or "USD",
        mfu=mfu if gpu_hours is not None and v.get("gpu_hours") is None else None,
        inputs=inputs, missing=missing,
        gpu_tdp_energy_kwh=None if gpu_hours is None or spec is None else
        gpu_hours * spec.tdp_w / 1000.0,
        mfu_basis=basis,
        gpu_hours_range=band,
    )


def _partial_stage(spec: GpuSpec | None, drivers: Drivers, pool: GpuPool, run: TrainingRun,
                   inputs: dict[str, Any], missing: list[dict[str, Any]]) -> Estimate:
    """A stage other than pre-training without a price: its FLOPs and, with a GPU type, its
    GPU-hours (compute-bound passes at MFU, generated tokens at the decode MFU)."""
    work = stage_work(run)
    rc = None
    if spec is not None and (run.gpu_hours is not None or work.missing is None):
        rc = run_compute(run, pool, spec, drivers)
    gpu_hours = None if rc is None else float(rc.gpu_hours)
    wall = None
    if gpu_hours is not None and pool.gpu_count:
        wall = gpu_hours / (pool.gpu_count * 24.0)
    return Estimate(
        flops=None if work.flops is None else float(work.flops), gpu_hours=gpu_hours,
        wall_clock_days=wall, compute_cost=None, energy_kwh=None, energy_cost=None,
        co2_kg=None, total_cost=None, currency=drivers.currency or "USD",
        mfu=None if rc is None or rc.mfu is None else float(rc.mfu), inputs=inputs,
        missing=missing, stage=run.stage,
        decode_mfu=None if rc is None or rc.decode_mfu is None else float(rc.decode_mfu),
        mfu_basis="" if rc is None or rc.published is None else rc.published.basis,
    )
