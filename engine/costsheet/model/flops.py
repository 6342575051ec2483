"""FLOPs, GPU-hours and MFU: the three formulas that tie them together.

A leaf of ``costsheet.model``: ``compute`` (a run's GPU-hours) and ``utilisation`` (the MFU that
published runs imply) both use them, and ``compute`` uses ``utilisation``, so they live apart.
Every argument may be a float or a numpy array of Monte Carlo trials.
"""

from __future__ import annotations

from .items import Value

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
