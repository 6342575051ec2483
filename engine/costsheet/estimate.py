"""``estimate``: the cost of one training run from a handful of numbers (the CLI's and UDFs' core).

Every argument accepts what people type (``'671B'``, ``'40%'``, ``2.788e6``). Problems are
collected and raised together as an :class:`~costsheet.errors.InputError` whose report names each
argument. With too little to price the run, the result says what it could compute (e.g. FLOPs
from parameters and tokens) and lists in ``missing`` what else it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .catalog import Catalog, GpuSpec, default_catalog
from .errors import InputError, Report
from .inputs import Budget, Drivers, GpuPool, TrainingRun, validation_messages
from .model.budget import compute_budget
from .model.compute import average_power_w, gpu_hours_for_flops, training_flops
from .model.items import BudgetResult
from .model.power import energy_kwh as _energy_kwh
from .units import UnitError, parse_count, parse_fraction, parse_number


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


_NUMBER_ARGS = ("params", "active_params", "tokens", "flops", "gpu_hours", "price",
                "gpu_price", "life_years", "power_w", "pue", "kwh_price", "carbon")


def _parse_all(raw: dict[str, Any], report: Report) -> dict[str, Any]:
    parsers: dict[str, Callable[[Any], Any]] = {name: parse_number for name in _NUMBER_ARGS}
    parsers["gpu_count"] = parse_count
    parsers["mfu"] = parse_fraction
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            out[name] = None
            continue
        parser = parsers.get(name)
        if parser is None:
            out[name] = value
            continue
        try:
            out[name] = parser(value)
        except UnitError as exc:
            report.add("", "", name, value, str(exc))
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
    v = _parse_all(raw, report)
    cat = catalog or default_catalog()
    spec: GpuSpec | None = None
    if gpu:
        try:
            spec = cat.get(gpu)
        except InputError as exc:
            report.add("", "", "gpu", gpu, exc.message)
    if not own and v.get("gpu_price") is not None:
        report.add("", "", "gpu_price", gpu_price, "is for owned GPUs: add own")
    if own and v.get("price") is not None:
        report.add("", "", "price", price, "is a rental price: leave it out with own")
    cur = str(currency or "USD").strip().upper()
    if spec is not None and cur != "USD" and len(cur) == 3:
        # the catalog's prices are in USD and estimate has no exchange rates
        name, given, known = (("gpu_price", v.get("gpu_price"), spec.purchase_price_per_gpu)
                              if own else ("price", v.get("price"), spec.price_per_gpu_hour))
        if given is None and known is not None:
            report.add("", "", name, None,
                       f"is needed in {cur}: the catalog's prices are in USD")

    driver_values = {
        "mfu": v.get("mfu"), "pue": v.get("pue"), "kwh_price": v.get("kwh_price"),
        "grid_kg_co2_per_kwh": v.get("carbon"), "depreciation_life_years": v.get("life_years"),
        "currency": currency,
    }
    drivers = _build(Drivers, {k: x for k, x in driver_values.items() if x is not None}, report,
                     {"grid_kg_co2_per_kwh": "carbon", "depreciation_life_years": "life_years"})
    run = _build(TrainingRun, {
        "name": "run", "params": v.get("params"), "active_params": v.get("active_params"),
        "tokens": v.get("tokens"), "flops": v.get("flops"), "gpu_hours": v.get("gpu_hours"),
        "precision": precision,
    }, report)
    report.raise_if_errors(hint="run `costsheet estimate --help` for the accepted forms")
    assert drivers is not None and run is not None

    pool = GpuPool(
        name="pool", gpu_type=spec.key if spec else None, gpu_count=v.get("gpu_count"),
        ownership="own" if own else "rent", price_per_gpu_hour=v.get("price"),
        purchase_price_per_gpu=v.get("gpu_price"), power_w=v.get("power_w"),
        currency=drivers.currency,
    )
    inputs = _resolved_inputs(v, spec, drivers, pool, own, precision)
    missing = _missing(v, spec, own)
    if missing:
        return _partial(v, spec, drivers, pool, run, inputs, missing)
    budget = Budget(drivers=drivers, pools=[pool], runs=[run])
    result = compute_budget(budget, cat)
    fam = result.totals
    energy_cost = sum(it.amount for it in result.items if it.kind == "electricity")
    mt = result.metrics
    return Estimate(
        flops=mt["flops"], gpu_hours=mt["gpu_hours"], wall_clock_days=mt["wall_clock_days"],
        compute_cost=fam["compute"], energy_kwh=mt["energy_kwh"], energy_cost=energy_cost,
        co2_kg=mt["co2_kg"], total_cost=result.total, currency=result.currency,
        mfu=mt["mfu"], inputs=inputs, missing=[], families=dict(fam), result=result,
    )


def _build(model: Any, values: dict[str, Any], report: Report,
           names: dict[str, str] | None = None) -> Any:
    try:
        return model(**values)
    except ValidationError as exc:
        for loc, msg, value in validation_messages(exc):
            name = str(loc[0]) if loc else ""
            name = (names or {}).get(name, name)
            report.add("", "", name, value, msg)
        return None


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
