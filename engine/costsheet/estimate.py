"""``estimate``: the cost of one training run from a handful of numbers (the CLI's and UDFs' core).

Every argument accepts what people type (``'671B'``, ``'40%'``, ``2.788e6``). Problems are
collected and raised together as an :class:`~costsheet.errors.InputError` whose report names each
argument. With too little to price the run, the result says what it could compute (e.g. FLOPs
from parameters and tokens) and lists in ``missing`` what else it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog, GpuSpec, default_catalog
from .errors import Report
from .flags import build_inputs, find_gpu, parse_arguments
from .inputs import Drivers, GpuPool, TrainingRun
from .model.budget import compute_budget
from .model.compute import average_power_w, gpu_hours_for_flops, training_flops
from .model.items import BudgetResult
from .model.power import energy_kwh as _energy_kwh


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

    def to_dict(self) -> dict[str, Any]:
        out = {
            "flops": self.flops,
            "gpu_hours": self.gpu_hours,
            "wall_clock_days": self.wall_clock_days,
            "compute_cost": self.compute_cost,
            "energy_kwh": self.energy_kwh,
            "energy_cost": self.energy_cost,
            "co2_kg": self.co2_kg,
            "total_cost": self.total_cost,
            "currency": self.currency,
            "mfu": self.mfu,
            "families": self.families,
            "inputs": self.inputs,
            "missing": self.missing,
        }
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
) -> Estimate:
    """Estimate one training run. See ``costsheet estimate --help`` for every argument.

    ``price`` is the rental price per GPU-hour (default: the catalog's on-demand price);
    ``own=True`` prices owned hardware from ``gpu_price`` (default: catalog) depreciated over
    ``life_years``; ``power_w`` is the average power per GPU including its server share;
    ``carbon`` is the grid's kg CO2 per kWh.
    """
    report = Report(source="estimate")
    raw = dict(params=params, active_params=active_params, tokens=tokens, flops=flops,
               gpu_count=gpu_count, mfu=mfu, gpu_hours=gpu_hours, price=price,
               gpu_price=gpu_price, life_years=life_years, power_w=power_w, pue=pue,
               kwh_price=kwh_price, carbon=carbon)
    v = parse_arguments(raw, report)
    cat = catalog or default_catalog()
    spec = find_gpu(gpu, cat, report)
    _check_pricing(v, raw, spec, own, currency, report)
    built = build_inputs(v, spec, report, own=own, precision=precision, currency=currency,
                         pool_name="pool")
    report.raise_if_errors()
    assert built is not None
    drivers, pool, run = built.drivers, built.pool, built.run
    inputs = _resolved_inputs(v, spec, drivers, pool, own, precision)
    missing = _missing(v, spec, own)
    if missing:
        return _partial(v, spec, drivers, pool, run, inputs, missing)
    result = compute_budget(built.budget(), cat)
    fam = result.totals
    energy_cost = sum(it.amount for it in result.items if it.kind == "electricity")
    mt = result.metrics
    return Estimate(
        flops=mt["flops"], gpu_hours=mt["gpu_hours"], wall_clock_days=mt["wall_clock_days"],
        compute_cost=fam["compute"], energy_kwh=mt["energy_kwh"], energy_cost=energy_cost,
        co2_kg=mt["co2_kg"], total_cost=result.total, currency=result.currency,
        mfu=mt["mfu"], inputs=inputs, missing=[], families=dict(fam), result=result,
    )


def _check_pricing(v: dict[str, Any], raw: dict[str, Any], spec: GpuSpec | None, own: bool,
                   currency: str | None, report: Report) -> None:
    """A price for the other kind of ownership, or a catalog price in the wrong currency."""
    if not own and v.get("gpu_price") is not None:
        report.add("", "", "gpu_price", raw["gpu_price"], "is for owned GPUs: add own")
    if own and v.get("price") is not None:
        report.add("", "", "price", raw["price"], "is a rental price: leave it out with own")
    cur = str(currency or "USD").strip().upper()
    if spec is not None and cur != "USD" and len(cur) == 3:
        # the catalog's prices are in USD and estimate has no exchange rates
        name, given, known = (("gpu_price", v.get("gpu_price"), spec.purchase_price_per_gpu)
                              if own else ("price", v.get("price"), spec.price_per_gpu_hour))
        if given is None and known is not None:
            report.add("", "", name, None,
                       f"is needed in {cur}: the catalog's prices are in USD")


def _missing(v: dict[str, Any], spec: GpuSpec | None, own: bool) -> list[dict[str, Any]]:
    """What else is needed, each as {"args": [alternatives], "why": ...}."""
    missing: list[dict[str, Any]] = []

    def need(args: list[str], why: str) -> None:
        missing.append({"args": args, "why": why})

    has_flops = v.get("flops") is not None or (
        v.get("params") is not None and v.get("tokens") is not None)
    if v.get("gpu_hours") is None:
        if not has_flops:
            need(["params and tokens", "flops", "gpu_hours"], "what the run computes")
        if spec is None:
            need(["gpu", "gpu_hours"], "to turn FLOPs into GPU-hours")
    if spec is None and v.get("power_w") is None:
        need(["gpu", "power_w"], "average power per GPU, for energy")
    if own:
        if v.get("gpu_price") is None and (spec is None or spec.purchase_price_per_gpu is None):
            need(["gpu_price"], "purchase price per GPU")
    elif v.get("price") is None and (spec is None or spec.price_per_gpu_hour is None):
        need(["price"], "rent per GPU-hour")
    return missing


def _resolved_inputs(v: dict[str, Any], spec: GpuSpec | None, drivers: Drivers, pool: GpuPool,
                     own: bool, precision: str) -> dict[str, Any]:
    price = v.get("price")
    if price is None and not own and spec is not None:
        price = spec.price_per_gpu_hour
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
        "mfu": drivers.mfu, "precision": precision,
        "peak_flops": spec.peak_flops(precision) if spec else None,
        "gpu_hours": v.get("gpu_hours"), "own": own,
        "price_per_gpu_hour": price if not own else None,
        "gpu_price": gpu_price if own else None,
        "server_premium": drivers.server_premium if own else None,
        "networking_share": drivers.networking_share if own else None,
        "life_years": drivers.depreciation_life_years if own else None,
        "power_w": power, "pue": drivers.pue, "kwh_price": drivers.kwh_price,
        "carbon": drivers.grid_kg_co2_per_kwh, "currency": drivers.currency,
    }


def _partial(v: dict[str, Any], spec: GpuSpec | None, drivers: Drivers, pool: GpuPool,
             run: TrainingRun, inputs: dict[str, Any], missing: list[dict[str, Any]]) -> Estimate:
    flops = v.get("flops")
    if flops is None and v.get("params") is not None and v.get("tokens") is not None:
        flops = training_flops(v["params"], v["tokens"], v.get("active_params"))
    gpu_hours = v.get("gpu_hours")
    if gpu_hours is None and flops is not None and spec is not None:
        gpu_hours = gpu_hours_for_flops(flops, spec.peak_flops(run.precision), drivers.mfu)
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
        currency=drivers.currency or "USD", mfu=drivers.mfu if gpu_hours is not None else None,
        inputs=inputs, missing=missing,
    )
