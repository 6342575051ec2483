"""Will it fit: the GPU memory a run needs, and the fewest GPUs of its pool that hold it.

Training (mixed precision, after the ZeRO paper, Rajbhandari et al. 2020, §3 and Figure 1):
every parameter needs 2 bytes of BF16 weights, 2 of gradients and K of optimizer states (Adam:
an FP32 master copy, momentum and variance, K = 12: 16 bytes a parameter before sharding). ZeRO
stage 1 splits the optimizer states over the GPUs, stage 2 the gradients too, stage 3 (FSDP
full shard) the weights as well; tensor parallelism splits whatever is not sharded. Activations
follow Korthikanti et al. 2022 (Reducing Activation Recomputation in Large Transformer Models,
Table 2, with sequence parallelism): per layer s·b·h·(34 + 5·a·s/h) / t bytes without
recomputation, 34·s·b·h / t with selective recomputation (or FlashAttention, which never stores
the attention scores), 2·s·b·h / t with full recomputation plus one layer rematerialised at a
time. Inference: the weights (2 bytes a parameter in BF16, 1 in FP8) and the KV cache,
2 × layers × KV heads × head size × bytes × context × concurrent sequences.

Every number is a lower bound of what a real job needs: no framework workspace, no memory
fragmentation, no logits or embeddings buffers. So "does not fit" is a fact; "fits" is a
necessary condition only.

Pure and array-safe: numeric inputs may be numpy arrays of Monte Carlo trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..i18n import _
from ..inputs import TrainingRun
from .items import Value, is_scalar, q
from .stages import GENERATING, sample_tokens

WEIGHT_BYTES = 2.0  # BF16 working weights (FP8 training keeps BF16/FP32 copies too)
GRADIENT_BYTES = 2.0
#: optimizer states per parameter, K in the ZeRO paper: FP32 master copy 4 + states
OPTIMIZER_BYTES: dict[str, float] = {
    "adam": 12.0,  # master 4 + momentum 4 + variance 4 (ZeRO paper, K = 12)
    "adam_8bit": 6.0,  # master 4 + two 8-bit states (Dettmers et al. 2022)
    "sgd": 8.0,  # master 4 + momentum 4
}
REFERENCE_BYTES = 2.0  # a frozen BF16 reference policy (preference tuning, RL)
ACTIVATION_BYTES_PER_LAYER = 34.0  # × s·b·h (Korthikanti et al. 2022, 16-bit activations)
SCORE_BYTES = 5.0  # × a·s² · b per layer: attention scores, softmax and dropout mask
FULL_RECOMPUTE_BYTES = 2.0  # × s·b·h per layer: only each layer's input is kept
DEFAULT_TENSOR_PARALLEL = 8  # one NVLink server (Megatron-LM keeps tensor parallelism inside it)
GB = 1e9


def _bytes(x: Value) -> str:
    """1.12e12 → '1.12 TB' (decimal units, as GPU makers state memory)."""
    if not is_scalar(x):
        arr = np.asarray(x, dtype=float)
        return f"{_bytes(float(arr.min()))}..{_bytes(float(arr.max()))}"
    v = float(x)
    if v >= 1e12:
        return f"{v / 1e12:,.3g} TB"
    if v >= 1e9:
        return f"{v / 1e9:,.4g} GB"
    return f"{v / 1e6:,.4g} MB"


def state_bytes_per_param(optimizer: str = "adam") -> float:
    """Weights + gradients + optimizer states per parameter: 16 for mixed-precision Adam."""
    return WEIGHT_BYTES + GRADIENT_BYTES + OPTIMIZER_BYTES[optimizer]


def training_states(
    params: Value, sharding: str = "zero3", optimizer: str = "adam", reference: bool = False
) -> tuple[Value, Value]:
    """(bytes split only by tensor parallelism, bytes split over every GPU) for the states.

    none: every GPU group keeps (2 + 2 + K)·Ψ; zero1 shards the K·Ψ optimizer states, zero2
    the gradients too, zero3 (FSDP) everything. A frozen reference model adds 2·Ψ, sharded like
    the weights.
    """
    k = OPTIMIZER_BYTES[optimizer]
    kept = {"none": WEIGHT_BYTES + GRADIENT_BYTES + k, "zero1": WEIGHT_BYTES + GRADIENT_BYTES,
            "zero2": WEIGHT_BYTES, "zero3": 0.0}[sharding]
    split = state_bytes_per_param(optimizer) - kept
    if reference:
        if sharding == "zero3":
            split += REFERENCE_BYTES
        else:
            kept += REFERENCE_BYTES
    return kept * params, split * params


def activation_bytes(
    seq_len: Value, hidden: Value, layers: Value, micro_batch: Value = 1,
    recompute: str = "full", heads: Value | None = None,
) -> Value:
    """Activation memory of one micro-batch over all layers, before tensor parallelism splits it.

    Korthikanti et al. 2022: with pipeline parallelism the first stage still holds about all
    layers' worth (it keeps p micro-batches of L/p layers), so pipelining does not reduce it.
    """
    sbh = seq_len * micro_batch * hidden
    if recompute == "full":
        return FULL_RECOMPUTE_BYTES * sbh * layers + ACTIVATION_BYTES_PER_LAYER * sbh
    per_layer = ACTIVATION_BYTES_PER_LAYER * sbh
    if recompute == "none":
        if heads is None:
            raise ValueError("recompute none needs the attention heads (attention scores)")
        per_layer = per_layer + SCORE_BYTES * heads * seq_len * seq_len * micro_batch
    return per_layer * layers


def kv_cache_bytes(
    layers: Value, hidden: Value, context: Value, sequences: Value,
    heads: Value | None = None, kv_heads: Value | None = None, bytes_per_value: float = 2.0,
) -> Value:
    """K and V of every layer for ``sequences`` sequences of ``context`` tokens.

    Per token: 2 × layers × KV heads × head size (hidden / heads) × bytes; without grouped-query
    attention (no KV heads given) KV heads × head size is the hidden size.
    """
    width = hidden if kv_heads is None or heads is None else kv_heads * hidden / heads
    return 2.0 * layers * width * bytes_per_value * context * sequences


def weight_bytes(params: Value, precision: str = "bf16") -> Value:
    """Inference weights: 2 bytes a parameter in BF16, 1 in FP8."""
    return params * (1.0 if precision == "fp8" else 2.0)


def _ceil(x: Value) -> Value:
    return np.ceil(np.asarray(x, dtype=float) * (1.0 - 1e-12))


def training_per_gpu(
    kept: Value, split: Value, activations: Value, gpus: Value, tensor_parallel: Value
) -> Value:
    """Bytes on each GPU: (kept + activations) / t + split / GPUs.

    t = min(tensor parallel, GPUs): a pool smaller than the tensor-parallel size splits by all.
    """
    if isinstance(tensor_parallel, (int, float)) and isinstance(gpus, (int, float)):
        t: Value = min(tensor_parallel, gpus)
    else:
        t = np.minimum(tensor_parallel, gpus)
    return (kept + activations) / t + split / gpus


def min_gpus_training(
    kept: Value, split: Value, activations: Value, gpu_bytes: Value, tensor_parallel: Value
) -> Value:
    """Fewest GPUs whose memory holds the training job (inf when no count does).

    Below the tensor-parallel size T every GPU holds 1/N of everything: N ≥ total / memory. From
    T up, N ≥ split / (memory − (kept + activations) / T), impossible when the kept part alone
    overflows a GPU.
    """
    if all(isinstance(x, (int, float)) for x in (kept, split, activations, gpu_bytes,
                                                 tensor_parallel)):
        t_ = float(tensor_parallel)
        small_ = max(math.ceil((kept + activations + split) / gpu_bytes * (1 - 1e-12)), 1)
        if small_ < t_:
            return float(small_)
        room_ = gpu_bytes - (kept + activations) / t_
        if room_ <= 0:
            return math.inf
        return float(max(t_, math.ceil(split / room_ * (1 - 1e-12))))
    t = np.asarray(tensor_parallel, dtype=float)
    small = np.maximum(_ceil((kept + activations + split) / gpu_bytes), 1.0)
    room = gpu_bytes - (kept + activations) / t
    with np.errstate(divide="ignore", invalid="ignore"):
        big = np.where(room > 0, np.maximum(t, _ceil(split / np.where(room > 0, room, 1.0))),
                       np.inf)
    out = np.where(small < t, small, big)
    return float(out) if np.ndim(out) == 0 else out


def min_gpus_inference(total_bytes: Value, gpu_bytes: Value) -> Value:
    """Fewest GPUs that hold the weights and KV cache of one inference replica."""
    out = np.maximum(_ceil(total_bytes / gpu_bytes), 1.0)
    return float(out) if np.ndim(out) == 0 else out


@dataclass
class MemoryFit:
    """What one run needs in memory and the fewest GPUs of ``gpu_memory_gb`` that hold it.

    ``min_gpus`` is the larger of the training and inference minimums (an RL run does both on
    the same GPUs); ``per_gpu_bytes`` is the training need per GPU at ``gpu_count`` GPUs.
    ``basis`` says how, ``not_counted`` what the estimate leaves out for lack of inputs.
    """

    run: str
    gpu_memory_gb: float
    min_gpus: Value
    training_min_gpus: Value | None = None
    inference_min_gpus: Value | None = None
    training_bytes: Value | None = None  # states + activations, whole job
    inference_bytes: Value | None = None  # weights + KV cache, one replica
    per_gpu_bytes: Value | None = None
    gpu_count: Value | None = None
    basis: str = ""
    not_counted: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool | None:
        """False when the pool has fewer GPUs than the minimum; None when it cannot be told."""
        if self.gpu_count is None or not is_scalar(self.gpu_count) or not is_scalar(
                self.min_gpus):
            return None
        return bool(float(self.gpu_count) >= float(self.min_gpus))


def _training(run: TrainingRun, gpu_bytes: float, gpus: Value | None, notes: list[str],
              explain: bool = True) -> tuple[Value, Value, Value, str]:
    """(min GPUs, whole-job bytes, per-GPU bytes at ``gpus`` or None, basis) of training."""
    psi = run.params
    reference = run.stage in ("preference", "rl")
    kept, split = training_states(psi, run.sharding, run.optimizer, reference)
    per_param = state_bytes_per_param(run.optimizer) + (REFERENCE_BYTES if reference else 0.0)
    seq: Value | None = run.seq_len
    if seq is None and run.stage == "rl" and run.generated_tokens is not None:
        seq = sample_tokens(run)
    acts: Value = 0.0
    act_txt = ""
    if seq is None or run.layers is None or run.hidden_size is None:
        notes.append(_("activations (give layers, hidden size and sequence length)"))
    elif run.recompute == "none" and run.attention_heads is None:
        notes.append(_("activations (recompute none needs the attention heads)"))
    else:
        acts = activation_bytes(seq, run.hidden_size, run.layers, run.micro_batch,
                                run.recompute, run.attention_heads)
        if explain:
            act_txt = _(" + activations {size} ({recompute} recomputation, {seq} tokens × "
                        "{batch} sequences × {hidden} × {layers} layers)").format(
                size=_bytes(acts), recompute=run.recompute, seq=q(seq),
                batch=q(run.micro_batch), hidden=q(run.hidden_size), layers=q(run.layers))
    tp = run.tensor_parallel if run.tensor_parallel is not None else DEFAULT_TENSOR_PARALLEL
    need = min_gpus_training(kept, split, acts, gpu_bytes, tp)
    states = kept + split
    per_gpu = None if gpus is None else training_per_gpu(kept, split, acts, gpus, tp)
    if not explain:
        return need, states + acts, per_gpu, ""
    ref = _(" with the reference model") if reference else ""
    basis = _("{bytes:g} bytes/parameter × {params} = {size} of weights, gradients and "
              "{optimizer} states{reference}{activations}; {sharding} sharding, tensor parallel "
              "{tp}").format(bytes=per_param, params=q(psi), size=_bytes(states),
                             optimizer=run.optimizer, reference=ref, activations=act_txt,
                             sharding=run.sharding, tp=q(tp))
    if per_gpu is not None:
        basis += _(": {size} per GPU on {gpus} GPUs").format(size=_bytes(per_gpu), gpus=q(gpus))
    return need, states + acts, per_gpu, basis


def _inference(run: TrainingRun, gpu_bytes: float, notes: list[str],
               explain: bool = True) -> tuple[Value, Value, str]:
    """(min GPUs, bytes of one replica, basis) of generating the run's samples."""
    w = weight_bytes(run.params, run.precision)
    basis = _("weights {size} ({precision})").format(size=_bytes(w), precision=run.precision) \
        if explain else ""
    total = w
    if run.layers is None or run.hidden_size is None or run.generated_tokens is None or (
            run.kv_heads is not None and run.attention_heads is None):
        notes.append(_("KV cache (give layers, hidden size and attention heads)"))
    else:
        seqs = (run.concurrent_sequences if run.concurrent_sequences is not None
                else run.samples_per_prompt)
        ctx = sample_tokens(run)
        kv = kv_cache_bytes(run.layers, run.hidden_size, ctx, seqs, run.attention_heads,
                            run.kv_heads, 1.0 if run.precision == "fp8" else 2.0)
        total = w + kv
        if explain:
            basis += _(" + KV cache {size} ({sequences} sequences × {tokens} tokens)").format(
                size=_bytes(kv), sequences=q(seqs), tokens=q(ctx))
    return min_gpus_inference(total, gpu_bytes), total, basis


def memory_fit(
    run: TrainingRun, gpu_memory_gb: float, gpu_count: Value | None = None,
    explain: bool = True,
) -> MemoryFit | None:
    """The memory ``run`` needs on GPUs of ``gpu_memory_gb`` and the fewest that hold it.

    None when the run gives no parameter count (nothing to weigh). ``explain=False`` leaves
    ``basis`` empty (the numbers only, for a quick check of many runs).
    """
    if run.params is None:
        return None
    gpu_bytes = gpu_memory_gb * GB
    notes: list[str] = []
    fit = MemoryFit(run.name, gpu_memory_gb, 0.0, gpu_count=gpu_count)
    texts = []
    mins: list[Value] = []
    if run.stage not in ("synthetic_data", "evaluation"):
        need, total, per_gpu, basis = _training(run, gpu_bytes, gpu_count, notes, explain)
        fit.training_min_gpus, fit.training_bytes, fit.per_gpu_bytes = need, total, per_gpu
        texts.append(_("training: {basis}").format(basis=basis))
        mins.append(need)
    if run.stage in GENERATING:
        need, total, basis = _inference(run, gpu_bytes, notes, explain)
        fit.inference_min_gpus, fit.inference_bytes = need, total
        texts.append(_("generation: {basis}").format(basis=basis))
        mins.append(need)
    out = mins[0]
    for m in mins[1:]:
        out = max(out, m) if is_scalar(out) and is_scalar(m) else np.maximum(out, m)
    fit.min_gpus = float(out) if is_scalar(out) else out
    fit.basis = "; ".join(texts)
    fit.not_counted = notes
    return fit


def min_gpus(run: TrainingRun, gpu_memory_gb: float) -> Value | None:
    """The fewest GPUs of ``gpu_memory_gb`` that hold ``run`` (inf: none do), for `estimate`."""
    fit = memory_fit(run, gpu_memory_gb, explain=False)
    return None if fit is None else fit.min_gpus


def fit_warning(fit: MemoryFit, pool: str, gpu_type: str) -> str | None:
    """The Checks warning when the pool has fewer GPUs than the run needs, else None."""
    if fit.fits is not False:
        return None
    need = float(fit.min_gpus)
    if np.isinf(need):
        head = _("run {run!r} cannot fit on {gpu} GPUs of {memory:g} GB at any count with its "
                 "sharding and tensor parallelism (shard the states with zero3 or raise tensor "
                 "parallelism)").format(run=fit.run, gpu=gpu_type, memory=fit.gpu_memory_gb)
    else:
        head = _("run {run!r} does not fit on pool {pool!r}: it needs at least {need} {gpu} "
                 "GPUs of {memory:g} GB, the pool has {has}").format(
            run=fit.run, pool=pool, need=f"{need:,.0f}", gpu=gpu_type,
            memory=fit.gpu_memory_gb, has=f"{float(fit.gpu_count):,.0f}")  # type: ignore[arg-type]
    tail = _("; not counted: {items}").format(items=_(", ").join(fit.not_counted)) \
        if fit.not_counted else ""
    return f"{head} ({fit.basis}{tail})"
