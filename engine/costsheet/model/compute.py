"""Compute: a run's FLOPs, MFU, GPU-hours and wall-clock time, and the price of a GPU-hour.

The FLOPs / GPU-hours / MFU formulas live in ``flops.py`` (re-exported here); a run that states
no MFU takes the published runs' median (``utilisation.py``); a run's stage decides which passes
count and which of them run at the decode MFU (``stages.py``).

Pure functions. Every numeric argument may be a float or a numpy array of Monte Carlo trials;
nothing here branches on a numeric value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..catalog import GpuSpec
from ..errors import InputError
from ..i18n import _
from ..inputs import HOURS_PER_YEAR, Drivers, GpuPool, TrainingRun, currency_note
from ..units import format_money
from .flops import SECONDS_PER_HOUR as SECONDS_PER_HOUR
from .flops import gpu_hours_for_flops as gpu_hours_for_flops
from .flops import implied_mfu as implied_mfu
from .flops import training_flops as training_flops
from .items import Value, is_scalar, m, q
from .stages import STAGE_LABELS, StageWork, default_decode_mfu, stage_work
from .utilisation import PublishedMfu, mfu_at_precision, published_mfu


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
    mfu_given: bool  # MFU was an input (the run's, the drivers' or published runs'), not implied
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
    mfu_source: str = ""  # "run", "drivers", "published" or "" (implied by given GPU-hours)
    published: PublishedMfu | None = None  # the estimate used when mfu_source is "published"


def run_mfu(run: TrainingRun, spec: GpuSpec | None,
            drivers: Drivers) -> tuple[Value | None, str, PublishedMfu | None]:
    """(MFU relative to the run's precision, where it came from, the published estimate used).

    The run's own MFU, else the drivers', else the median of published runs on the same chip
    generation (``costsheet.model.utilisation``), restated for the run's precision.
    """
    if run.mfu is not None:
        return run.mfu, "run", None
    if drivers.mfu is not None:
        return drivers.mfu, "drivers", None
    if spec is None:
        return None, "", None
    est = published_mfu(spec, run.active_params or run.params)
    return mfu_at_precision(est.point, spec, run.precision), "published", est


def run_compute(
    run: TrainingRun,
    pool: GpuPool,
    spec: GpuSpec | None,
    drivers: Drivers,
) -> RunCompute:
    """FLOPs and GPU-hours of one run on its pool's GPUs.

    A pre-training run (and mid-training, SFT) is one pass of 6·N·D at the run's MFU (its own,
    else the drivers', else the published runs' median: :func:`run_mfu`). Other stages add
    forward passes at the same MFU and generated tokens at the decode MFU (the run's own, else
    the stage's default: :func:`costsheet.model.stages.default_decode_mfu`); given GPU-hours
    are used as given, whatever the stage.
    """
    work = stage_work(run)
    flops = _run_flops(run, work)
    peak = spec.peak_flops(run.precision) if spec is not None else None
    decode_flops = None if work.plain else work.decode_flops
    dmfu = None
    if decode_flops is not None:
        dmfu = run.decode_mfu if run.decode_mfu is not None else default_decode_mfu(run.stage)
    published, source = None, ""
    if run.gpu_hours is not None:
        gpu_hours = run.gpu_hours
        basis = _("{hours} GPU-hours given").format(hours=q(gpu_hours))
        mfu_out = implied_mfu(flops, gpu_hours, peak) if flops is not None and peak else None
        mfu_given = False
        if not work.plain and flops is not None:
            basis += f" [{work.text()}]"
    elif flops is None:
        raise _missing_work(run, work)
    elif not peak:
        raise InputError(
            _("run {name!r}: needs a GPU type to turn FLOPs into GPU-hours").format(
                name=run.name),
            hint=_("give the pool a GPU type from the catalog, or give the run's GPU-hours"),
            code="no_gpu_type", key=f"pools.{pool.name}.gpu_type",
        )
    else:
        mfu, source, published = run_mfu(run, spec, drivers)
        if work.plain:
            gpu_hours = gpu_hours_for_flops(flops, peak, mfu)
            mfu_out, mfu_given = mfu, True
            basis = _flops_text(_("{flops} FLOP / ({peak} TFLOP/s {precision} × MFU {mfu} × "
                                  "3,600 s)"), flops, peak, run.precision, mfu)
        else:
            gpu_hours, basis = _staged_hours(work, peak, run.precision, mfu, dmfu)
            mfu_out = implied_mfu(flops, gpu_hours, peak)
            mfu_given = decode_flops is None
        if published is not None:
            basis += _("; MFU: {basis}").format(basis=published.basis)
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
        mfu_source=source,
        published=published,
    )


def _run_flops(run: TrainingRun, work: StageWork) -> Value | None:
    """The run's FLOPs: given, or 6·N·D for a plain training pass, else its stage's passes."""
    if not work.plain:
        return work.flops
    if run.flops is None and run.params is not None and run.tokens is not None:
        return training_flops(run.params, run.tokens, run.active_params)
    return run.flops


def _missing_work(run: TrainingRun, work: StageWork) -> InputError:
    """What a run lacks to count its FLOPs: the pre-training inputs, or its stage's."""
    if work.plain or run.stage in ("pretraining", "midtraining", "sft"):
        return InputError(
            _("run {name!r}: needs GPU-hours, or FLOPs, or parameters and tokens").format(
                name=run.name),
            hint=_("give params and tokens (e.g. 7B and 2T), flops, or gpu_hours"),
            code="run_without_work", key=f"runs.{run.name}",
        )
    return InputError(
        _("run {name!r}: a {stage} run needs GPU-hours, or {missing}").format(
            name=run.name, stage=STAGE_LABELS[run.stage], missing=work.missing),
        hint=_("see docs/model.md, Stages, for what each stage needs"),
        code="run_without_work", key=f"runs.{run.name}",
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
        texts.append(_flops_text(_("{flops} FLOP / ({peak} TFLOP/s {precision} × MFU {mfu} × "
                                   "3,600 s)"), compute, peak, precision, mfu))
    decode = work.decode_flops
    if decode is not None and decode_mfu is not None:
        hours = hours + gpu_hours_for_flops(decode, peak, decode_mfu)
        texts.append(_flops_text(_("{flops} FLOP generated / ({peak} TFLOP/s {precision} × "
                                   "decode MFU {mfu} × 3,600 s)"), decode, peak, precision,
                                 decode_mfu))
    return hours, " + ".join(texts) + f" [{work.text()}]"


def _flops_text(template: str, flops: Value, peak: float, precision: str, mfu: Value) -> str:
    return template.format(flops=q(flops), peak=q(peak / 1e12), precision=precision,
                           mfu=_pct(mfu))


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
            note = currency_note(pool)
            return GpuHourRate(pool.price_per_gpu_hour, cur,
                               _("rental price") + (f" {note}" if note else ""))
        price_basis = drivers.price_basis
        price, how = spec.rental_price(price_basis) if spec is not None else (None, "")
        if price is None:
            what = (_("pool {name!r}: no committed price per GPU-hour") if price_basis ==
                    "committed" else _("pool {name!r}: no rental price per GPU-hour"))
            raise InputError(
                what.format(name=pool.name)
                + (_(" for {gpu} in the catalog").format(gpu=spec.key) if spec is not None
                   else ""),
                hint=_("give the pool a price per GPU-hour, or use the on-demand price basis")
                if price_basis == "committed" else _("give the pool a price per GPU-hour"),
                code="no_rental_price", key=f"pools.{pool.name}.price_per_gpu_hour",
            )
        return GpuHourRate(price, "USD", how)
    if pool.purchase_price_per_gpu is not None:
        price, cur = pool.purchase_price_per_gpu, pool.currency or reporting_currency
        src = f" {currency_note(pool)}" if currency_note(pool) else ""
    elif spec is not None and spec.purchase_price_per_gpu is not None:
        price, cur = spec.purchase_price_per_gpu, "USD"
        src = _(" (catalog, {date})").format(date=spec.purchase_price_date)
    else:
        raise InputError(
            _("pool {name!r}: no purchase price per GPU").format(name=pool.name),
            hint=_("give the pool a purchase price per GPU"),
            code="no_purchase_price", key=f"pools.{pool.name}.purchase_price_per_gpu",
        )
    capex = price * drivers.server_premium / (1.0 - drivers.networking_share)
    life_h = drivers.depreciation_life_years * HOURS_PER_YEAR
    basis = _("{price}/GPU{source} × {premium} server premium / (1 − {networking} networking) "
              "/ ({years} years × 8,760 h)").format(
        price=format_money(price, cur) if np.ndim(price) == 0 else m(price, cur), source=src,
        premium=q(drivers.server_premium), networking=_pct(drivers.networking_share),
        years=q(drivers.depreciation_life_years))
    return GpuHourRate(capex / life_h, cur, basis, capex_per_gpu=capex)


def average_power_w(pool: GpuPool, spec: GpuSpec | None, drivers: Drivers) -> tuple[Value, str]:
    """Average power per GPU in W, including its share of the server."""
    if pool.power_w is not None:
        return pool.power_w, _("{watts} W given").format(watts=q(pool.power_w))
    if spec is None:
        raise InputError(
            _("pool {name!r}: no GPU type, so no power: give its average power in W").format(
                name=pool.name),
            hint=_("give the pool's average power per GPU in W, e.g. 1000"),
            code="no_power", key=f"pools.{pool.name}.power_w",
        )
    w = spec.tdp_w * spec.server_power_ratio * drivers.avg_power_draw
    return w, _("{tdp} W TDP × {ratio} server × {draw} average draw").format(
        tdp=q(spec.tdp_w), ratio=q(spec.server_power_ratio), draw=_pct(drivers.avg_power_draw))
