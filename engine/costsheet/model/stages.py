"""Training stages: the FLOPs of pre-training, post-training, distillation and data generation.

A run's ``stage`` decides how its FLOPs are counted (docs/model.md, *Stages*). Every stage splits
its work into *compute-bound* FLOPs, turned into GPU-hours at the run's MFU (training passes,
and forward passes over sequences already known: prefill, log-probabilities, a teacher or a
reward model reading tokens), and *decode* FLOPs, generated one token at a time, which are
memory-bound and turned into GPU-hours at the much lower decode utilisation.

Pure functions. Numeric inputs may be floats or numpy arrays of Monte Carlo trials; nothing here
branches on a numeric value (only on which inputs are given).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..i18n import N_, LazyMapping, _
from ..inputs import TrainingRun
from .items import Value, q

if TYPE_CHECKING:
    from .items import BudgetResult

#: FLOPs per active parameter per token: forward + backward (training), forward (inference)
TRAIN_FLOPS_PER_PARAM = 6.0
FORWARD_FLOPS_PER_PARAM = 2.0
#: attention FLOPs per token per layer per unit of width per token of context, forward pass
#: (QK^T and the attention-weighted sum of V, 2 FLOPs per multiply-add each: PaLM, App. B)
ATTENTION_FLOPS = 4.0
#: RL (GRPO/PPO): besides the update, the old policy and the reference model each read every
#: update token once (log-probabilities for the ratio and the KL term), as verl runs it
RL_LOGPROB_PASSES = 2
#: decode utilisation of synthetic data and evaluation when a run gives none: DeepSeek's
#: published V3/R1 serving throughput on H800, 14.8k output tokens/s per 8-GPU node = 2 x 37B x
#: 1,850 / 989.4 TFLOP/s = 13.8% of the BF16 peak (15.5% counting attention at its mean
#: 4,989-token context); docs/model.md
DEFAULT_DECODE_MFU = 0.14
#: decode utilisation of RL rollouts when a run gives none, derived from one published run:
#: DeepSeek-R1-Zero's 101,376 H800 GPU-hours for 10,400 steps x 32 questions x 16 outputs =
#: 5,324,800 rollouts (Nature 2025, Supplementary B.4.4), less its policy update at the
#: published Hopper median MFU, leaves 1.08% for rollouts of the mean length assumed below (read
#: off Figure 1b), rounded down to 1% (more GPU-hours, not fewer); docs/model.md, *Decode
#: utilisation*
DEFAULT_RL_DECODE_MFU = 0.01
RL_ASSUMED_MEAN_TOKENS = 8_000
#: what the same published hours imply at mean lengths of 5K and 20K generated tokens
RL_RANGE_TOKENS = (5_000, 20_000)
RL_DECODE_MFU_RANGE = (0.006, 0.043)


def default_decode_mfu(stage: str) -> float:
    """The decode MFU of a run that gives none: RL rollouts' own, else the serving figure."""
    return DEFAULT_RL_DECODE_MFU if stage == "rl" else DEFAULT_DECODE_MFU


def rl_decode_warning(run_name: str) -> str:
    """The Checks warning for an RL run left at the default rollout utilisation: where the
    default comes from and how wide its uncertainty is."""
    low, high = RL_DECODE_MFU_RANGE
    return _(
        "run {name!r}: rollouts at the default RL decode MFU of {mfu:.1%}, derived from one "
        "published run (DeepSeek-R1-Zero: 101K H800 GPU-hours for 5.3M rollouts) at an assumed "
        "mean length of {assumed:.0f}K tokens; mean lengths of {short:.0f}K-{long:.0f}K imply "
        "{low:.1%}-{high:.1%}, so the rollouts could take from {least:.2f}× to {most:.1f}× the "
        "GPU-hours shown: set the run's decode MFU from your own rollout throughput, or give "
        "its GPU-hours").format(
        name=run_name, mfu=DEFAULT_RL_DECODE_MFU, assumed=RL_ASSUMED_MEAN_TOKENS / 1000,
        short=RL_RANGE_TOKENS[0] / 1000, long=RL_RANGE_TOKENS[1] / 1000, low=low, high=high,
        least=DEFAULT_RL_DECODE_MFU / high, most=DEFAULT_RL_DECODE_MFU / low)


#: training stages as people read them (translated when looked up)
STAGE_LABELS: LazyMapping = LazyMapping({
    "pretraining": N_("Pre-training"),
    "midtraining": N_("Mid-training"),
    "sft": N_("SFT"),
    "preference": N_("Preference tuning"),
    "rl": N_("RL"),
    "distillation": N_("Distillation"),
    "synthetic_data": N_("Synthetic data"),
    "evaluation": N_("Evaluation"),
})
#: the split a summary shows: pre-training vs post-training vs data generation vs evaluation
STAGE_GROUPS: dict[str, str] = {
    "pretraining": "pre-training",
    "midtraining": "pre-training",
    "sft": "post-training",
    "preference": "post-training",
    "rl": "post-training",
    "distillation": "post-training",
    "synthetic_data": "data generation",
    "evaluation": "evaluation",
}
TRAINING_ONLY = ("pretraining", "midtraining", "sft")
GENERATING = ("rl", "synthetic_data", "evaluation")


@dataclass
class FlopPart:
    """One pass of a stage: its FLOPs and the formula a reader can redo.

    ``label`` is English (translated when shown); ``formula`` is text, or a function that
    writes it (formatted only when a basis is shown).
    """

    label: str
    flops: Value
    decode: bool  # generated token by token (decode utilisation), else compute-bound (MFU)
    formula: str | Callable[[], str]

    def text(self) -> str:
        formula = self.formula() if callable(self.formula) else self.formula
        return f"{_(self.label)} {formula} = {q(self.flops)}"


@dataclass
class StageWork:
    """What a run's stage computes: its passes, training tokens and generated samples.

    ``missing`` says what is lacking to count the FLOPs (None when they can be counted).
    """

    stage: str
    parts: list[FlopPart] = field(default_factory=list)
    training_tokens: Value | None = None
    samples: Value | None = None
    missing: str | None = None

    @property
    def compute_flops(self) -> Value | None:
        return _sum([p.flops for p in self.parts if not p.decode])

    @property
    def decode_flops(self) -> Value | None:
        return _sum([p.flops for p in self.parts if p.decode])

    @property
    def flops(self) -> Value | None:
        return _sum([p.flops for p in self.parts]) if self.missing is None else None

    @property
    def plain(self) -> bool:
        """One training pass of 6·N·D (or given FLOPs): the pre-training formula, unchanged."""
        return self.stage in TRAINING_ONLY and len(self.parts) <= 1

    def text(self) -> str:
        return "; ".join(p.text() for p in self.parts)


def _sum(values: list[Value]) -> Value | None:
    if not values:
        return None
    total: Value = 0.0
    for v in values:
        total = total + v
    return total


def active(run: TrainingRun) -> Value | None:
    """Parameters active per token: the MoE's active parameters, else all of them."""
    return run.active_params if run.active_params is not None else run.params


def inference_flops(params: Value, tokens: Value) -> Value:
    """Inference FLOPs ≈ 2 × N_active × tokens (a forward pass, attention not counted)."""
    return FORWARD_FLOPS_PER_PARAM * params * tokens


def has_shape(run: TrainingRun) -> bool:
    """Layers and hidden size given: the attention term can be counted."""
    return run.layers is not None and run.hidden_size is not None


def generation_parts(run: TrainingRun, n: Value, samples: Value) -> list[FlopPart]:
    """Prefill (compute-bound) and decode of ``samples`` samples by the run's own model.

    Per sample: prefill 2·N·P (+ 2·L·h·P², attention over the growing prompt) and decode 2·N·G
    (+ 4·L·h·(P + G/2)·G, each token attending to the prompt and half the answer on average).
    """
    g = run.generated_tokens
    p = run.prompt_tokens
    parts: list[FlopPart] = []
    shape = has_shape(run)
    if p is not None:
        flops = FORWARD_FLOPS_PER_PARAM * n * p * samples
        formula = _("2 × {n} × {samples} samples × {prompt} prompt tokens").format(
            n=q(n), samples=q(samples), prompt=q(p))
        if shape:
            lh = run.layers * run.hidden_size  # type: ignore[operator]
            flops = flops + 0.5 * ATTENTION_FLOPS * lh * p * p * samples
            formula += _(" + attention 2 × {layers} layers × {hidden} × {prompt}² × "
                         "{samples}").format(layers=q(run.layers), hidden=q(run.hidden_size),
                                             prompt=q(p), samples=q(samples))
        parts.append(FlopPart(N_("prefill"), flops, False, formula))
    ctx = (0.0 if p is None else p) + 0.5 * g  # type: ignore[operator]
    per_token: Value = FORWARD_FLOPS_PER_PARAM * n
    formula = f"2 × {q(n)}"
    if shape:
        lh = run.layers * run.hidden_size  # type: ignore[operator]
        per_token = per_token + ATTENTION_FLOPS * lh * ctx
        formula = _("(2 × {n} + attention 4 × {layers} layers × {hidden} × {context} mean "
                    "context)").format(n=q(n), layers=q(run.layers), hidden=q(run.hidden_size),
                                       context=q(ctx))
    parts.append(FlopPart(N_("decode"), per_token * g * samples, True,
                          _("{formula} × {samples} samples × {generated} generated "
                            "tokens").format(formula=formula, samples=q(samples),
                                             generated=q(g))))
    return parts


def sample_tokens(run: TrainingRun) -> Value:
    """Tokens of one sample: its prompt (0 when not given) and what was generated."""
    prompt = 0.0 if run.prompt_tokens is None else run.prompt_tokens
    return prompt + run.generated_tokens  # type: ignore[operator]


def _judge_part(run: TrainingRun, samples: Value) -> list[FlopPart]:
    if run.reward_model_params is None:
        return []
    seq = sample_tokens(run)
    return [FlopPart(
        N_("reward model"), inference_flops(run.reward_model_params, seq * samples), False,
        _("2 × {n} × {samples} samples × {tokens} tokens").format(
            n=q(run.reward_model_params), samples=q(samples), tokens=q(seq)))]


def _training_part(run: TrainingRun, n: Value | None, tokens: Value | None,
                   label: str = N_("training")) -> FlopPart | None:
    if run.flops is not None:
        return FlopPart(label, run.flops, False, _("given"))
    if n is None or tokens is None:
        return None
    return FlopPart(label, TRAIN_FLOPS_PER_PARAM * n * tokens, False,
                    lambda: _("6 × {n} × {tokens} tokens").format(n=q(n), tokens=q(tokens)))


def stage_work(run: TrainingRun) -> StageWork:
    """The passes of ``run``'s stage and their FLOPs (docs/model.md, *Stages*)."""
    stage = run.stage
    n = active(run)
    d = run.tokens
    work = StageWork(stage)
    if stage in GENERATING:
        return _generating_work(run, n)
    work.training_tokens = d
    train = _training_part(run, n, d)
    if train is None:
        work.missing = _("GPU-hours, or FLOPs, or parameters and tokens")
        return work
    work.parts.append(train)
    if stage == "preference":
        if n is None or d is None:
            work.missing = _("parameters and tokens (the reference model reads every token)")
            return work
        work.parts.append(FlopPart(N_("reference model"), inference_flops(n, d), False,
                                   _("2 × {n} × {tokens} tokens").format(n=q(n), tokens=q(d))))
    elif stage == "distillation":
        if run.teacher_params is None or d is None:
            work.missing = _("the teacher's parameters and the tokens it reads")
            return work
        work.parts.append(FlopPart(N_("teacher forward"),
                                   inference_flops(run.teacher_params, d), False,
                                   _("2 × {n} × {tokens} tokens").format(
                                       n=q(run.teacher_params), tokens=q(d))))
    return work


def _generating_work(run: TrainingRun, n: Value | None) -> StageWork:
    stage = run.stage
    work = StageWork(stage)
    if run.prompts is None or run.generated_tokens is None or n is None:
        work.missing = _("parameters, prompts and generated tokens per sample (samples per "
                         "prompt: 1 unless given)")
        if stage == "rl":
            work.training_tokens = run.tokens
        return work
    samples = run.prompts * run.samples_per_prompt
    work.samples = samples
    work.parts.extend(generation_parts(run, n, samples))
    work.parts.extend(_judge_part(run, samples))
    if stage != "rl":
        return work
    if run.tokens is not None:
        update, formula = run.tokens, _("{tokens} tokens").format(tokens=q(run.tokens))
    else:
        seq = sample_tokens(run)
        update = samples * seq
        formula = _("{samples} samples × {tokens} tokens").format(samples=q(samples),
                                                                tokens=q(seq))
    work.training_tokens = update
    if run.flops is not None:
        work.parts.append(FlopPart(N_("policy update"), run.flops, False, _("given")))
    else:
        work.parts.append(FlopPart(N_("policy update"), TRAIN_FLOPS_PER_PARAM * n * update,
                                   False, f"6 × {q(n)} × {formula}"))
    work.parts.append(FlopPart(
        N_("log-probabilities"), RL_LOGPROB_PASSES * inference_flops(n, update), False,
        _("{passes} passes (old policy, reference) × 2 × {n} × {formula}").format(
            passes=RL_LOGPROB_PASSES, n=q(n), formula=formula)))
    return work


def attention_share(run: TrainingRun) -> Value | None:
    """Training attention FLOPs as a share of 6·N per token: 12·L·h·s / (6·N) = 2·L·h·s / N.

    PaLM's MFU counts 6N + 12·L·h·s per token; costsheet's MFU, like the published MFUs its
    default comes from, counts 6N only. None when the shape or sequence length is unknown.
    """
    n = active(run)
    seq: Value | None = run.seq_len
    if seq is None and run.stage == "rl" and run.generated_tokens is not None:
        seq = sample_tokens(run)
    if n is None or seq is None or not has_shape(run):
        return None
    return 2.0 * run.layers * run.hidden_size * seq / n  # type: ignore[operator]


def stage_totals(result: BudgetResult) -> dict[str, Value]:
    """Amount per stage (every stage present, zero when unused), plus ``"other"``: pool lines
    (idle capacity, electricity, colocation), data, staff and other lines. Lines are placed by
    their ``stage`` (set on every line of a run: its GPU-hours, interruptions, sweeps and
    restart risk), never by their text."""
    out: dict[str, Value] = {s: 0.0 for s in STAGE_LABELS}
    out["other"] = 0.0
    for it in result.items:
        stage = it.stage or "other"
        out[stage] = out[stage] + it.amount
    return out
