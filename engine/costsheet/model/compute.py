"""Compute: training FLOPs, GPU-hours, wall-clock time and the price of a GPU-hour.

Pure functions. Every numeric argument may be a float or a numpy array of Monte Carlo trials;
nothing here branches on a numeric value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..catalog import GpuSpec
from ..errors import InputError
from ..inputs import HOURS_PER_YEAR, Drivers, GpuPool, TrainingRun
from ..units import format_money
from .items import Value, is_scalar, m, q
from .stages import DEFAULT_DECODE_MFU, STAGE_LABELS, StageWork, stage_work

SECONDS_PER_HOUR = 3600.0


def training_flops(params: Value, tokens: Value, active_params: Value | None = None) -> Value:
    """Training FLOPs ≈ 6 × N_active × D (forward and backward pass, dense transformer)."""
    n = params if active_params is None else active_params
    return 6.0 * n * tokens


def gpu_hours_for_flops(flops: Value, peak_flops: Value, mfu: Value) -> Value:
    """GPU-hours = FLOPs / (peak dense FLOP/s × MFU × 3600)."""
    return flops / (peak_flops * mfu * SECONDS_PER_HOUR)


def implied_mfu(flops: Value, gpu_hours: Value, peak_flops: Value) -> Value:
    """The MFU that FLOPs and GPU-hours imply: FLOPs / (GPU-hours × 3600 × peak)."""
    return flops / (gpu_hours * SECONDS_PER_HOUR * peak_flops)


def interruption_overhead(drivers: Drivers, gpu_count: Value) -> Value:
    """Extra GPU-hours per useful GPU-hour lost to interruptions.

    With r interruptions per 1,000 GPU-days on a job of G GPUs, each losing (half a checkpoint
    interval + restart time) h of the whole job: lost / useful = r × G × h / 24,000.
    """
    lost_h = drivers.checkpoint_interval_hours / 2.0 + drivers.restart_hours
    return drivers.interruption_rate_per_1000_gpu_days * gpu_count * lost_h / 24_000.0


@dataclass
class RunCompute:
    """What one run needs: FLOPs, useful GPU-hours, interruption overhead, wall-clock days."""

    name: str
    kind: str
    pool: str
    count: int
    tokens: Value | None
    flops: Value | None
    gpu_hours: Value  # useful GPU-hours of one repeat
    mfu: Value | None  # used to derive GPU-hours, or implied by given GPU-hours
    mfu_given: bool
    interruption_hours: Value  # extra GPU-hours lost to interruptions (final runs)
    goodput: Value
    wall_clock_days: Value | None
    basis: str
    start_month: str | None
    stage: str = "pretraining"
    compute_flops: Value | None = None  # FLOPs at the run's MFU (training, forward passes)
    decode_flops: Value | None = None  # FLOPs generated token by token, at the decode MFU
    decode_mfu: Value | None = None
    samples: Value | None = None  # samples generated (rl, synthetic data, evaluation)


def run_compute(
    run: TrainingRun,
    pool: GpuPool,
    spec: GpuSpec | None,
    drivers: Drivers,
) -> RunCompute:
    """FLOPs and GPU-hours of one run on its pool's GPUs.

    A pre-training run (and mid-training, SFT) is one pass of 6·N·D at the run's MFU. Other
    stages add forward passes at the same MFU and generated tokens at the decode MFU
    (:mod:`costsheet.model.stages`); given GPU-hours are used as given, whatever the stage.
    """
    work = stage_work(run)
    if work.plain:
        flops = run.flops
        if flops is None and run.params is not None and run.tokens is not None:
            flops = training_flops(run.params, run.tokens, run.active_params)
    else:
        flops = work.flops
    peak = spec.peak_flops(run.precision) if spec is not None else None
    mfu = run.mfu if run.mfu is not None else drivers.mfu
    decode_flops = None if work.plain else work.decode_flops
    dmfu = None
    if decode_flops is not None:
        dmfu = run.decode_mfu if run.decode_mfu is not None else DEFAULT_DECODE_MFU
    if run.gpu_hours is not None:
        gpu_hours = run.gpu_hours
        basis = f"{q(gpu_hours)} GPU-hours given"
        mfu_out = implied_mfu(flops, gpu_hours, peak) if flops is not None and peak else None
        mfu_given = False
        if not work.plain and flops is not None:
            basis += f" [{work.text()}]"
    elif flops is None:
        if work.plain or run.stage in ("pretraining", "midtraining", "sft"):
            raise InputError(
                f"run {run.name!r}: needs GPU-hours, or FLOPs, or parameters and tokens",
                hint="give params and tokens (e.g. 7B and 2T), flops, or gpu_hours",
            )
        raise InputError(
            f"run {run.name!r}: a {STAGE_LABELS[run.stage]} run needs GPU-hours, or "
            f"{work.missing}",
            hint="see docs/model.md, Stages, for what each stage needs",
        )
    elif not peak:
        raise InputError(
            f"run {run.name!r}: needs a GPU type to turn FLOPs into GPU-hours",
            hint="give the pool a GPU type from the catalog, or give the run's GPU-hours",
        )
    elif work.plain:
        gpu_hours = gpu_hours_for_flops(flops, peak, mfu)
        mfu_out, mfu_given = mfu, True
        basis = (
            f"{q(flops)} FLOP / ({q(peak / 1e12)} TFLOP/s {run.precision} × MFU {_pct(mfu)} "
            f"× 3,600 s)"
        )
    else:
        gpu_hours, basis = _staged_hours(work, peak, run.precision, mfu, dmfu)
        mfu_out = implied_mfu(flops, gpu_hours, peak)
        mfu_given = decode_flops is None
    count = pool.gpu_count
    if run.kind == "final" and count is not None:
        overhead = interruption_overhead(drivers, count)
    else:
        overhead = 0.0 * gpu_hours
    interruption_hours = gpu_hours * overhead
    goodput = 1.0 / (1.0 + overhead)
    wall = None
    if count is not None and (not is_scalar(count) or count):  # arrays: trials, never 0
        wall = (gpu_hours + interruption_hours) / (count * 24.0)
    return RunCompute(
        name=run.name,
        kind=run.kind,
        pool=pool.name,
        count=run.count,
        tokens=run.tokens if work.plain else work.training_tokens,
        flops=flops,
        gpu_hours=gpu_hours,
        mfu=mfu_out,
        mfu_given=mfu_given,
        interruption_hours=interruption_hours,
        goodput=goodput,
        wall_clock_days=wall,
        basis=basis,
        start_month=run.start_month or pool.start_month,
        stage=run.stage,
        compute_flops=work.compute_flops if not work.plain else flops,
        decode_flops=decode_flops,
        decode_mfu=dmfu,
        samples=work.samples,
    )


def _staged_hours(
    work: StageWork, peak: float, precision: str, mfu: Value, decode_mfu: Value | None
) -> tuple[Value, str]:
    """GPU-hours of a stage's compute-bound FLOPs at MFU plus its generated FLOPs at the
    decode MFU, and the basis that shows both and the passes behind them."""
    hours: Value = 0.0
    texts = []
    compute = work.compute_flops
    if compute is not None:
        hours = hours + gpu_hours_for_flops(compute, peak, mfu)
        texts.append(f"{q(compute)} FLOP / ({q(peak / 1e12)} TFLOP/s {precision} × MFU "
                     f"{_pct(mfu)} × 3,600 s)")
    decode = work.decode_flops
    if decode is not None and decode_mfu is not None:
        hours = hours + gpu_hours_for_flops(decode, peak, decode_mfu)
        texts.append(f"{q(decode)} FLOP generated / ({q(peak / 1e12)} TFLOP/s {precision} × "
                     f"decode MFU {_pct(decode_mfu)} × 3,600 s)")
    return hours, " + ".join(texts) + f" [{work.text()}]"


def _pct(x: Value) -> str:
    from .items import pct

    return pct(x)


@dataclass
class GpuHourRate:
    """The price of one GPU-hour on a pool, in the pool's currency, and how it was found."""

    rate: Value
    currency: str
    basis: str
    capex_per_gpu: Value | None = None  # owned: GPU × server premium / (1 − networking share)


def gpu_hour_rate(
    pool: GpuPool, spec: GpuSpec | None, drivers: Drivers, reporting_currency: str
) -> GpuHourRate:
    """Rental price per GPU-hour, or owned hardware's straight-line depreciation per GPU-hour.

    Owned: capex per GPU = purchase price × server premium / (1 − networking share), spread
    evenly over the useful life (life years × 8,760 h).
    """
    if pool.ownership == "rent":
        if pool.price_per_gpu_hour is not None:
            cur = pool.currency or reporting_currency
            return GpuHourRate(pool.price_per_gpu_hour, cur, "rental price")
        if spec is None or spec.price_per_gpu_hour is None:
            raise InputError(
                f"pool {pool.name!r}: no rental price per GPU-hour",
                hint="give the pool a price per GPU-hour",
            )
        return GpuHourRate(
            spec.price_per_gpu_hour, "USD",
            f"catalog on-demand price ({spec.price_source}, {spec.price_date})",
        )
    if pool.purchase_price_per_gpu is not None:
        price, cur, src = pool.purchase_price_per_gpu, pool.currency or reporting_currency, ""
    elif spec is not None and spec.purchase_price_per_gpu is not None:
        price, cur = spec.purchase_price_per_gpu, "USD"
        src = f" (catalog, {spec.purchase_price_date})"
    else:
        raise InputError(
            f"pool {pool.name!r}: no purchase price per GPU",
            hint="give the pool a purchase price per GPU",
        )
    capex = price * drivers.server_premium / (1.0 - drivers.networking_share)
    life_h = drivers.depreciation_life_years * HOURS_PER_YEAR
    basis = (
        f"{format_money(price, cur) if np.ndim(price) == 0 else m(price, cur)}/GPU{src} "
        f"× {q(drivers.server_premium)} server premium / (1 − {_pct(drivers.networking_share)} "
        f"networking) / ({q(drivers.depreciation_life_years)} years × 8,760 h)"
    )
    return GpuHourRate(capex / life_h, cur, basis, capex_per_gpu=capex)


def average_power_w(pool: GpuPool, spec: GpuSpec | None, drivers: Drivers) -> tuple[Value, str]:
    """Average power per GPU in W, including its share of the server."""
    if pool.power_w is not None:
        return pool.power_w, f"{q(pool.power_w)} W given"
    if spec is None:
        raise InputError(
            f"pool {pool.name!r}: no GPU type, so no power: give its average power in W",
            hint="give power_w (e.g. --power-w 1000)",
        )
    w = spec.tdp_w * spec.server_power_ratio * drivers.avg_power_draw
    return w, (
        f"{q(spec.tdp_w)} W TDP × {q(spec.server_power_ratio)} server × "
        f"{_pct(drivers.avg_power_draw)} average draw"
    )
