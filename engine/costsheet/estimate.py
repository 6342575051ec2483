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
from .flags import FlagInputs, build_inputs, find_gpu, parse_arguments
from .i18n import _
from .inputs import Drivers, GpuPool, TrainingRun
from .model.bounds import check_finite
from .model.budget import compute_budget
from .model.compute import average_power_w, gpu_hours_for_flops, run_mfu, training_flops
from .model.items import BudgetResult
from .model.power import energy_kwh as _energy_kwh
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
    result carries its P10-P90 band (``gpu_hours_range``, ``total_cost_range``).
    """
    report = Report(source="estimate")
    raw = dict(params=params, active_params=active_params, tokens=tokens, flops=flops,
               gpu_count=gpu_count, mfu=mfu, gpu_hours=gpu_hours, price=price,
               gpu_price=gpu_price, life_years=life_years, power_w=power_w, pue=pue,
               kwh_price=kwh_price, carbon=carbon, price_basis=price_basis,
               server_premium=server_premium, networking_share=networking_share,
               experiments=experiments, experiments_total=experiments_total, staff=staff,
               staff_salary=staff_salary, staff_months=staff_months)
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
    if v.get("gpu_hours") is None:  # the MFU used, resolved like every other default
        inputs["mfu"] = run_mfu(run, spec, drivers)[0]
    missing = _missing(v, spec, own, drivers.price_basis)
    if missing:
        return _partial(v, spec, drivers, pool, run, inputs, missing)
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
        gpu_tdp_energy_kwh=mt["gpu_tdp_energy_kwh"],
    )
    _add_band(est, built, cat, spec)
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
             basis: str = "on-demand") -> list[dict[str, Any]]:
    """What else is needed, each as {"args": [alternatives], "why": ...}."""
    missing: list[dict[str, Any]] = []

    def need(args: list[str], why: str) -> None:
        missing.append({"args": args, "why": why})

    has_flops = v.get("flops") is not None or (
        v.get("params") is not None and v.get("tokens") is not None)
    if v.get("gpu_hours") is None:
        if not has_flops:
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
