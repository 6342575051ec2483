"""Compute-optimal ("Chinchilla") model size: how many parameters and tokens a budget buys.

Hoffmann et al. (2022) found that, for a fixed compute budget C, loss is lowest when a dense
model of N parameters is trained on about D = 20·N tokens. With C = 6·N·D (see
:func:`costsheet.model.compute.training_flops`) that gives

    N = sqrt(C / (6 · 20)) = sqrt(C / 120),   D = 20 · N.

A money budget becomes FLOPs through the same arithmetic as the rest of the model:
GPU-hours = budget / price per GPU-hour, and FLOPs = GPU-hours × peak FLOP/s × MFU × 3,600 (the
inverse of :func:`costsheet.model.compute.gpu_hours_for_flops`).

Pure functions. Every numeric argument may be a float or a numpy array (of Monte Carlo trials,
or of a worksheet column); nothing here branches on a numeric value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compute import SECONDS_PER_HOUR, training_flops
from .items import Value

TOKENS_PER_PARAM = 20.0
"""Chinchilla's compute-optimal ratio of training tokens to parameters."""

FLOPS_PER_PARAM_TOKEN = training_flops(1.0, 1.0)
"""FLOPs per parameter per token of the model's training-FLOPs rule (6: forward + backward)."""


def flops_for_gpu_hours(gpu_hours: Value, peak_flops: Value, mfu: Value) -> Value:
    """FLOPs that GPU-hours deliver: GPU-hours × peak FLOP/s × MFU × 3,600.

    The inverse of :func:`~costsheet.model.compute.gpu_hours_for_flops`.
    """
    return gpu_hours * peak_flops * mfu * SECONDS_PER_HOUR


def optimal_params_tokens(
    flops: Value, tokens_per_param: Value = TOKENS_PER_PARAM
) -> tuple[Value, Value]:
    """Compute-optimal (parameters, tokens) for a FLOP budget.

    N = sqrt(C / (6 · r)) and D = r · N, where r is ``tokens_per_param`` (20 for Chinchilla),
    so that ``training_flops(N, D) == C``.
    """
    params = np.sqrt(flops / (FLOPS_PER_PARAM_TOKEN * tokens_per_param))
    return params, tokens_per_param * params


@dataclass(frozen=True)
class ComputeOptimal:
    """What a budget buys when spent compute-optimally. Fields are floats or arrays alike."""

    params: Value
    tokens: Value
    flops: Value
    gpu_hours: Value


def compute_optimal_for_budget(
    budget: Value,
    price_per_gpu_hour: Value,
    peak_flops: Value,
    mfu: Value,
    tokens_per_param: Value = TOKENS_PER_PARAM,
) -> ComputeOptimal:
    """Spend ``budget`` on GPU-hours at ``price_per_gpu_hour`` and size the model for them.

    GPU-hours = budget / price; FLOPs = GPU-hours × peak × MFU × 3,600;
    N = sqrt(FLOPs / (6 · r)); D = r · N. Training N on D tokens at that price and MFU costs
    exactly ``budget`` (up to rounding).
    """
    gpu_hours = budget / price_per_gpu_hour
    flops = flops_for_gpu_hours(gpu_hours, peak_flops, mfu)
    params, tokens = optimal_params_tokens(flops, tokens_per_param)
    return ComputeOptimal(params=params, tokens=tokens, flops=flops, gpu_hours=gpu_hours)
