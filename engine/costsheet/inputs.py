"""The inputs of a training budget, as pydantic models.

Every numeric field accepts what people type: ``7B``, ``14.8T``, ``2.788M``, ``1,082,990``,
``$2.00``; every fraction field accepts ``0.4`` or ``40%`` and refuses ``40`` with a message that
says so. Field names carry their units (``price_per_gpu_hour``, ``power_w``, ``kwh_price``).

These models are the single description of the inputs: the Excel template and the reader are
generated from them (field titles, help text and units live in ``json_schema_extra``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .units import UnitError, parse_count, parse_fraction, parse_number

FAMILIES: tuple[str, ...] = ("compute", "data", "staff", "power_facilities", "experiments")
FAMILY_LABELS: dict[str, str] = {
    "compute": "Hardware / compute",
    "data": "Data",
    "staff": "R&D staff",
    "power_facilities": "Power and facilities",
    "experiments": "Experiments and failures",
}
HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12  # 730


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> Any:
    if _blank(value):
        raise UnitError("is required")
    return parse_number(value)


def _opt_number(value: Any) -> Any:
    return None if _blank(value) else parse_number(value)


def _fraction(max_value: float):
    def parse(value: Any) -> Any:
        if _blank(value):
            raise UnitError("is required")
        return parse_fraction(value, max_value=max_value)

    return parse


def _opt_fraction(max_value: float):
    def parse(value: Any) -> Any:
        return None if _blank(value) else parse_fraction(value, max_value=max_value)

    return parse


def _count(value: Any) -> Any:
    if _blank(value):
        raise UnitError("is required")
    return parse_count(value)


def _opt_count(value: Any) -> Any:
    return None if _blank(value) else parse_count(value)


def _opt_text(value: Any) -> Any:
    if _blank(value):
        return None
    return str(value).strip()


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: Any) -> str | None:
    """``2026-01``, ``2026-1``, a date or datetime → ``'2026-01'``; blank → None."""
    if _blank(value):
        return None
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    m = _MONTH.match(text) or re.match(r"^(\d{4})-(\d{1,2})-\d{1,2}(?:[ T].*)?$", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UnitError("not a month: write it as YYYY-MM, e.g. 2026-01")
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def _currency(value: Any) -> Any:
    if _blank(value):
        return None
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise UnitError("not a currency code: use a three-letter ISO code such as USD, EUR, CNY")
    return text


def _choice(options: dict[str, str]):
    """Accept any of the spellings in ``options`` (case-insensitive) → canonical value."""

    def parse(value: Any) -> Any:
        if _blank(value):
            return None
        key = re.sub(r"[\s_\-/]+", "", str(value)).lower()
        if key in options:
            return options[key]
        canon = sorted(set(options.values()))
        raise UnitError(f"must be one of {', '.join(canon)}")

    return parse


Number = Annotated[float, BeforeValidator(_number)]
OptNumber = Annotated[float | None, BeforeValidator(_opt_number)]
Count = Annotated[int, BeforeValidator(_count)]
OptCount = Annotated[int | None, BeforeValidator(_opt_count)]
Fraction = Annotated[float, BeforeValidator(_fraction(1.0))]
OptFraction = Annotated[float | None, BeforeValidator(_opt_fraction(1.0))]
Overhead = Annotated[float, BeforeValidator(_fraction(10.0))]  # may exceed 100% (e.g. 130%)
OptOverhead = Annotated[float | None, BeforeValidator(_opt_fraction(10.0))]
Month = Annotated[str | None, BeforeValidator(parse_month)]
Currency = Annotated[str | None, BeforeValidator(_currency)]
Text = Annotated[str | None, BeforeValidator(_opt_text)]

OWNERSHIP = {"rent": "rent", "rented": "rent", "rental": "rent", "cloud": "rent",
             "own": "own", "owned": "own", "buy": "own", "bought": "own", "purchase": "own",
             "租": "rent", "租赁": "rent", "自有": "own", "购买": "own"}
RUN_KINDS = {"final": "final", "finalrun": "final", "main": "final", "pretraining": "final",
             "experiment": "experiment", "ablation": "experiment", "sweep": "experiment",
             "最终": "final", "实验": "experiment"}
PRICE_BASES = {"ondemand": "on-demand", "committed": "committed", "reserved": "committed",
               "按需": "on-demand", "承诺": "committed", "预留": "committed"}
PRECISIONS = {"bf16": "bf16", "fp16": "bf16", "16bit": "bf16", "fp8": "fp8", "8bit": "fp8"}
FAMILY_CHOICES = {
    **{f.replace("_", ""): f for f in FAMILIES},
    "hardware": "compute", "hardwarecompute": "compute", "gpu": "compute",
    "power": "power_facilities", "facilities": "power_facilities",
    "powerandfacilities": "power_facilities", "people": "staff", "rd": "staff",
    "experiment": "experiments", "failures": "experiments",
    "experimentsandfailures": "experiments",
    "硬件": "compute", "算力": "compute", "数据": "data", "人力": "staff",
    "电力": "power_facilities", "实验": "experiments",
}

#: training stages (blank = pre-training, so workbooks written before stages read as before)
STAGES = {
    "pretraining": "pretraining", "pretrain": "pretraining", "pretrained": "pretraining",
    "midtraining": "midtraining", "midtrain": "midtraining", "longcontext": "midtraining",
    "contextextension": "midtraining", "longcontextextension": "midtraining",
    "continuedpretraining": "midtraining", "annealing": "midtraining",
    "sft": "sft", "supervisedfinetuning": "sft", "finetuning": "sft",
    "instructiontuning": "sft",
    "preference": "preference", "preferencetuning": "preference", "dpo": "preference",
    "rl": "rl", "reinforcementlearning": "rl", "grpo": "rl", "ppo": "rl", "rlvr": "rl",
    "rlhf": "rl",
    "distillation": "distillation", "distill": "distillation", "kd": "distillation",
    "syntheticdata": "synthetic_data", "synthetic": "synthetic_data",
    "datageneration": "synthetic_data", "syntheticdatageneration": "synthetic_data",
    "evaluation": "evaluation", "eval": "evaluation", "evals": "evaluation",
    "benchmark": "evaluation", "benchmarks": "evaluation",
    "预训练": "pretraining", "中期训练": "midtraining", "长上下文": "midtraining",
    "长上下文扩展": "midtraining", "监督微调": "sft", "偏好": "preference",
    "偏好优化": "preference", "强化学习": "rl", "蒸馏": "distillation",
    "合成数据": "synthetic_data", "数据生成": "synthetic_data", "评测": "evaluation",
    "评估": "evaluation",
}
#: how training states are sharded across the pool (ZeRO stage; FSDP full shard = zero3)
SHARDINGS = {"none": "none", "0": "none", "zero0": "none", "ddp": "none", "replicated": "none",
             "1": "zero1", "zero1": "zero1", "2": "zero2", "zero2": "zero2",
             "shardgradop": "zero2", "3": "zero3", "zero3": "zero3", "fsdp": "zero3",
             "fullshard": "zero3", "不分片": "none"}
OPTIMIZERS = {"adam": "adam", "adamw": "adam", "adam8bit": "adam_8bit",
              "adamw8bit": "adam_8bit", "8bitadam": "adam_8bit", "sgd": "sgd",
              "sgdmomentum": "sgd", "momentum": "sgd"}
RECOMPUTES = {"none": "none", "no": "none", "off": "none", "selective": "selective",
              "full": "full", "all": "full", "不重算": "none", "选择性": "selective",
              "完全": "full", "全部": "full"}

Ownership = Annotated[Literal["rent", "own"], BeforeValidator(_choice(OWNERSHIP))]
RunKind = Annotated[Literal["final", "experiment"], BeforeValidator(_choice(RUN_KINDS))]
Precision = Annotated[Literal["bf16", "fp8"], BeforeValidator(_choice(PRECISIONS))]
StageName = Literal["pretraining", "midtraining", "sft", "preference", "rl", "distillation",
                    "synthetic_data", "evaluation"]
#: every training stage, in the order of a programme (``TrainingRun.stage``, ``LineItem.stage``)
STAGE_NAMES: tuple[str, ...] = get_args(StageName)
Stage = Annotated[StageName, BeforeValidator(_choice(STAGES))]
Sharding = Annotated[Literal["none", "zero1", "zero2", "zero3"],
                     BeforeValidator(_choice(SHARDINGS))]
Optimizer = Annotated[Literal["adam", "adam_8bit", "sgd"], BeforeValidator(_choice(OPTIMIZERS))]
Recompute = Annotated[Literal["none", "selective", "full"],
                      BeforeValidator(_choice(RECOMPUTES))]
PriceBasis = Annotated[Literal["on-demand", "committed"], BeforeValidator(_choice(PRICE_BASES))]
Family = Annotated[
    Literal["compute", "data", "staff", "power_facilities", "experiments"],
    BeforeValidator(_choice(FAMILY_CHOICES)),
]


def doc(title: str, unit: str = "", help: str = "", **extra: Any) -> dict[str, Any]:
    """Template metadata for a field: its visible label, unit and help text."""
    return {"json_schema_extra": {"title_text": title, "unit": unit, "help": help, **extra}}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Drivers(_Model):
    """Assumptions that apply across the budget, one value per scenario."""

    mfu: OptFraction = Field(None, gt=0, **doc(
        "Default MFU", "fraction",
        "Model FLOPs utilisation: achieved / peak dense BF16 throughput. Blank: the median of "
        "published runs on the same chip generation (A100-class 38%, H100-class 22%; "
        "`costsheet runs`)."))
    pue: Number = Field(1.2, ge=1.0, **doc(
        "PUE", "ratio", "Facility power / IT power (power usage effectiveness), >= 1."))
    avg_power_draw: Fraction = Field(0.75, **doc(
        "Average power draw", "fraction",
        "Average draw of a server as a share of its peak (GPU TDP x server-to-GPU ratio)."))
    kwh_price: Number = Field(0.08, **doc(
        "Electricity price", "per kWh", "Price of one kWh; charged only for owned hardware."))
    grid_kg_co2_per_kwh: Number = Field(0.40, **doc(
        "Grid carbon intensity", "kg CO2/kWh", "Emissions per kWh of the grid that powers it."))
    depreciation_life_years: Number = Field(4.0, gt=0, **doc(
        "Depreciation life", "years", "Useful life of owned hardware, straight-line."))
    server_premium: Number = Field(1.6, ge=1.0, **doc(
        "Server premium", "x GPU price",
        "Server cost per GPU as a multiple of the GPU's price (CPUs, memory, chassis)."))
    networking_share: Fraction = Field(0.19, lt=1.0, **doc(
        "Networking share", "fraction", "Interconnect as a share of the whole cluster's cost."))
    colocation_per_kw_month: Number = Field(0.0, **doc(
        "Colocation price", "per kW-month",
        "Datacenter space and cooling per kW of IT load per month, for owned hardware."))
    experiment_multiplier: Number = Field(0.0, **doc(
        "Experiments multiple", "x final run",
        "Sweeps and ablations as a multiple of the final runs' GPU-hours: the EXTRA GPU-hours "
        "÷ the final run's (Epoch AI's 2.2 total is 1.2 here)."))
    interruption_rate_per_1000_gpu_days: Number = Field(0.0, **doc(
        "Interruption rate", "per 1,000 GPU-days",
        "Job interruptions per 1,000 GPU-days (Llama 3 405B: about 0.47)."))
    checkpoint_interval_hours: Number = Field(1.0, **doc(
        "Checkpoint interval", "hours",
        "Time between checkpoints; half of it is lost per interruption."))
    restart_hours: Number = Field(0.5, **doc(
        "Restart time", "hours", "Time to restart the whole job after an interruption."))
    restart_probability: Fraction = Field(0.0, **doc(
        "Restart risk", "probability",
        "Chance the final run diverges or fails and part of it must be redone."))
    restart_share_lost: Fraction = Field(0.5, **doc(
        "Share lost on restart", "fraction", "Share of the final run redone when it fails."))
    staff_burden: Overhead = Field(0.30, **doc(
        "Staff burden", "fraction of salary",
        "Employer costs on top of salary (taxes, benefits, equipment), e.g. 30%."))
    currency: Currency = Field("USD", **doc(
        "Reporting currency", "ISO code", "Currency of every total (USD, EUR, CNY, ...)."))
    start_month: Month = Field(None, **doc(
        "Start month", "YYYY-MM", "First month of the budget horizon."))
    experiments_total_multiple: OptNumber = Field(None, ge=1.0, **doc(
        "Experiments, total multiple", "x final run",
        "Epoch AI's convention: ALL GPU-hours of the programme ÷ the final run's (e.g. 2.2). "
        "Blank: use Experiments multiple. 2.2 here equals 1.2 there.",
        quiet_if_missing=True))
    price_basis: PriceBasis = Field("on-demand", **doc(
        "Catalog price basis", "",
        "Which catalog rental price a pool with no price uses: on-demand, or committed "
        "(multi-year commitment; only some GPUs have one).", quiet_if_missing=True))

    @model_validator(mode="after")
    def _default_currency(self) -> Drivers:
        if self.currency is None:
            self.currency = "USD"
        return self

    @property
    def extra_experiments(self) -> Any:
        """Sweeps and ablations as EXTRA GPU-hours ÷ the final run's, whichever way given.

        Giving both is refused where the budget is computed (``compute_budget``), naming both.
        """
        if self.experiments_total_multiple is not None:
            return self.experiments_total_multiple - 1.0
        return self.experiment_multiplier


DRIVER_KEYS: tuple[str, ...] = tuple(Drivers.model_fields)


class GpuPool(_Model):
    """A set of GPUs of one type, rented or owned."""

    name: str = Field(..., min_length=1, **doc("Pool", "", "A short unique name, e.g. h800-main."))
    gpu_type: Text = Field(None, **doc(
        "GPU type", "", "A GPU from the catalog (H100, H800, A100, B200, MI300X, ...)."))
    gpu_count: OptCount = Field(None, **doc("GPUs", "count", "How many GPUs the pool has."))
    ownership: Ownership = Field("rent", **doc("Rent or own", "", "rent or own."))
    price_per_gpu_hour: OptNumber = Field(None, **doc(
        "Rental price", "per GPU-hour",
        "Renting: price of one GPU-hour (blank: the catalog's on-demand price)."))
    purchase_price_per_gpu: OptNumber = Field(None, **doc(
        "Purchase price", "per GPU",
        "Owning: price of one GPU (blank: the catalog's price). Server premium and networking "
        "are added from the drivers."))
    term_months: OptNumber = Field(None, gt=0, **doc(
        "Reserved term", "months",
        "Held for this many months and billed for all of them whatever the use (reserved "
        "rental, or owned capacity). Blank: billed for the GPU-hours used (on-demand)."))
    power_w: OptNumber = Field(None, **doc(
        "Average power", "W per GPU",
        "Average power per GPU including its share of the server (blank: TDP x server ratio x "
        "average draw)."))
    start_month: Month = Field(None, **doc("Start month", "YYYY-MM", "When the pool starts."))
    currency: Currency = Field(None, **doc("Currency", "ISO code", "Blank: reporting currency."))

    @model_validator(mode="after")
    def _name(self) -> GpuPool:
        self.name = str(self.name).strip()
        return self


class TrainingRun(_Model):
    """One training run: the final run, or a listed experiment."""

    name: str = Field(..., min_length=1, **doc("Run", "", "A short unique name."))
    kind: RunKind = Field("final", **doc(
        "Kind", "", "final (the run you ship) or experiment (an ablation or test run)."))
    pool: Text = Field(None, **doc("Pool", "", "The GPU pool it runs on (blank: the only pool)."))
    params: OptNumber = Field(None, gt=0, **doc(
        "Parameters", "count", "Total parameters, e.g. 671B."))
    active_params: OptNumber = Field(None, gt=0, **doc(
        "Active parameters", "count", "Parameters active per token (MoE), e.g. 37B. Blank: all."))
    tokens: OptNumber = Field(None, gt=0, **doc("Tokens", "count", "Training tokens, e.g. 14.8T."))
    flops: OptNumber = Field(None, gt=0, **doc(
        "Training FLOPs", "FLOP", "Blank: 6 x active parameters x tokens."))
    mfu: OptFraction = Field(None, gt=0, **doc(
        "MFU", "fraction", "Blank: the drivers' default MFU."))
    precision: Precision = Field("bf16", **doc(
        "Precision", "", "bf16 or fp8: which peak throughput MFU refers to."))
    gpu_hours: OptNumber = Field(None, gt=0, **doc(
        "GPU-hours", "GPU-hours", "Given GPU-hours override the FLOPs / throughput estimate."))
    count: Count = Field(1, ge=1, **doc("Repeats", "count", "Experiments: how many such runs."))
    start_month: Month = Field(None, **doc("Start month", "YYYY-MM", "When the run starts."))
    stage: Stage = Field("pretraining", **doc(
        "Stage", "",
        "pretraining (blank), midtraining, sft, preference, rl, distillation, synthetic_data "
        "or evaluation: which FLOPs formula applies (docs/model.md).", quiet_if_missing=True))
    # -- what a stage generates (rl, synthetic_data, evaluation) and the other models it runs
    prompts: OptCount = Field(None, gt=0, **doc(
        "Prompts", "count",
        "RL, synthetic data, evaluation: prompts over the whole run (RL: steps x prompts per "
        "step), e.g. 332.8K.", quiet_if_missing=True))
    samples_per_prompt: Count = Field(1, ge=1, **doc(
        "Samples per prompt", "count",
        "Completions generated for each prompt (GRPO group size, e.g. 16).",
        quiet_if_missing=True))
    prompt_tokens: OptNumber = Field(None, ge=0, **doc(
        "Prompt tokens", "tokens per sample",
        "Mean prompt length read before generating (prefill). Blank: 0.",
        quiet_if_missing=True))
    generated_tokens: OptNumber = Field(None, gt=0, **doc(
        "Generated tokens", "tokens per sample",
        "Mean tokens generated per sample (rollout, synthetic example, benchmark answer).",
        quiet_if_missing=True))
    teacher_params: OptNumber = Field(None, gt=0, **doc(
        "Teacher parameters", "count",
        "Distillation: active parameters of the teacher, run forward over the student's "
        "tokens.", quiet_if_missing=True))
    reward_model_params: OptNumber = Field(None, gt=0, **doc(
        "Reward model parameters", "count",
        "RL, synthetic data, evaluation: active parameters of a reward model or judge that "
        "reads every sample. Blank: rule-based rewards, no model.", quiet_if_missing=True))
    decode_mfu: OptFraction = Field(None, gt=0, **doc(
        "Decode MFU", "fraction",
        "Utilisation while generating tokens (memory-bound). Blank: RL 1% (from "
        "DeepSeek-R1-Zero's published GPU-hours; 0.6-4.3% by its rollout length), synthetic "
        "data and evaluation 14% (DeepSeek's published H800 serving throughput).",
        quiet_if_missing=True))
    # -- will it fit: the model's shape and how it is spread over the pool's GPUs
    layers: OptCount = Field(None, gt=0, **doc(
        "Layers", "count", "Transformer layers (config.json num_hidden_layers).",
        quiet_if_missing=True))
    hidden_size: OptCount = Field(None, gt=0, **doc(
        "Hidden size", "count", "Model width (config.json hidden_size), e.g. 16,384.",
        quiet_if_missing=True))
    attention_heads: OptCount = Field(None, gt=0, **doc(
        "Attention heads", "count", "Query heads (config.json num_attention_heads).",
        quiet_if_missing=True))
    kv_heads: OptCount = Field(None, gt=0, **doc(
        "KV heads", "count",
        "Key/value heads (grouped-query attention). Blank: as many as attention heads.",
        quiet_if_missing=True))
    seq_len: OptCount = Field(None, gt=0, **doc(
        "Sequence length", "tokens",
        "Training sequence length, for activation memory. Blank: activations not counted "
        "(RL: prompt + generated tokens).", quiet_if_missing=True))
    micro_batch: Count = Field(1, ge=1, **doc(
        "Micro-batch", "sequences", "Sequences per GPU in one forward/backward pass.",
        quiet_if_missing=True))
    recompute: Recompute = Field("full", **doc(
        "Recomputation", "",
        "Activation recomputation: full (least memory), selective or none.",
        quiet_if_missing=True))
    sharding: Sharding = Field("zero3", **doc(
        "Sharding", "",
        "How weights, gradients and optimizer states are split over the pool's GPUs: zero3 "
        "(FSDP full shard), zero2, zero1 or none (every GPU holds a copy).",
        quiet_if_missing=True))
    tensor_parallel: OptCount = Field(None, gt=0, **doc(
        "Tensor parallel", "GPUs",
        "GPUs that split each layer. Blank: 8 (one NVLink server), or fewer on a smaller "
        "pool.", quiet_if_missing=True))
    optimizer: Optimizer = Field("adam", **doc(
        "Optimizer", "",
        "adam (mixed precision, 12 bytes of states per parameter), adam_8bit (6) or sgd (8).",
        quiet_if_missing=True))
    concurrent_sequences: OptCount = Field(None, gt=0, **doc(
        "Concurrent sequences", "sequences",
        "Sequences generated at once, for KV-cache memory. Blank: samples per prompt.",
        quiet_if_missing=True))

    @model_validator(mode="after")
    def _check(self) -> TrainingRun:
        if self.active_params is not None and self.params is not None:
            if self.active_params > self.params:
                raise ValueError("active_params: more active parameters than parameters")
        if self.kv_heads is not None and self.attention_heads is not None:
            if self.kv_heads > self.attention_heads:
                raise ValueError("kv_heads: more key/value heads than attention heads")
        for name, stages in STAGE_FIELDS.items():
            value = getattr(self, name)
            given = value != 1 if name == "samples_per_prompt" else value is not None
            if given and self.stage not in stages:
                raise ValueError(
                    f"{name}: applies to {', '.join(stages)} runs, not to a "
                    f"{self.stage} run; set the run's stage or clear the cell")
        return self


#: inputs that only some stages use: giving one to another stage is refused, not ignored
GENERATING_STAGES = ("rl", "synthetic_data", "evaluation")
TRAINING_STAGES = ("pretraining", "midtraining", "sft", "preference", "rl", "distillation")
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "prompts": GENERATING_STAGES,
    "samples_per_prompt": GENERATING_STAGES,
    "prompt_tokens": GENERATING_STAGES,
    "generated_tokens": GENERATING_STAGES,
    "decode_mfu": GENERATING_STAGES,
    "concurrent_sequences": GENERATING_STAGES,
    "reward_model_params": GENERATING_STAGES,
    "teacher_params": ("distillation",),
    "tokens": TRAINING_STAGES,
    "flops": TRAINING_STAGES,
}


class CostLine(_Model):
    """A priced line: quantity x unit cost (x months) (x (1 + overhead)).

    Used for data (datasets, crawling, storage, labelling, processing) and for facilities and
    other lines of any family.
    """

    name: str = Field(..., min_length=1, **doc("Item", "", "What it is."))
    family: Family = Field("data", **doc(
        "Family", "", "compute, data, staff, power_facilities or experiments."))
    kind: Text = Field(None, **doc(
        "Kind", "", "e.g. dataset, crawl, storage, labelling, processing, datacenter."))
    quantity: Number = Field(1.0, **doc("Quantity", "", "How many units (e.g. 120 TB, 50k items)."))
    unit: Text = Field(None, **doc("Unit", "", "The unit of the quantity (TB, item, hour, ...)."))
    unit_cost: Number = Field(..., **doc("Unit cost", "per unit", "Price of one unit."))
    months: OptNumber = Field(None, **doc(
        "Months", "months", "For monthly prices (storage per TB-month): how many months."))
    overhead: Overhead = Field(0.0, **doc(
        "Overhead", "fraction", "Added on top, e.g. 15% QA on labelling."))
    start_month: Month = Field(None, **doc("Start month", "YYYY-MM", "When it is paid."))
    currency: Currency = Field(None, **doc("Currency", "ISO code", "Blank: reporting currency."))


class StaffLine(_Model):
    """A role: headcount x annual salary x (1 + burden) x allocation x months / 12."""

    role: str = Field(..., min_length=1, **doc("Role", "", "e.g. research scientist."))
    headcount: Number = Field(..., **doc("Headcount", "people", "How many people (may be 0.5)."))
    annual_salary: Number = Field(..., **doc(
        "Annual salary", "per year", "Base salary per person."))
    burden: OptOverhead = Field(None, **doc(
        "Burden", "fraction", "Employer costs on top of salary (blank: the drivers' default)."))
    allocation: Fraction = Field(1.0, **doc(
        "Allocation", "fraction", "Share of their time on this model."))
    months: Number = Field(12.0, **doc("Months", "months", "Months on this budget."))
    start_month: Month = Field(None, **doc("Start month", "YYYY-MM", "First month."))
    currency: Currency = Field(None, **doc("Currency", "ISO code", "Blank: reporting currency."))


class Budget(_Model):
    """A whole training budget: drivers, pools, runs, data, staff and other lines."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str = "budget"
    drivers: Drivers = Field(default_factory=Drivers)
    pools: list[GpuPool] = Field(default_factory=list)
    runs: list[TrainingRun] = Field(default_factory=list)
    data: list[CostLine] = Field(default_factory=list)
    staff: list[StaffLine] = Field(default_factory=list)
    other: list[CostLine] = Field(default_factory=list)
    gpu_catalog: list[dict[str, Any]] = Field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = Field(default_factory=dict)
    fx_rates: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> Budget:
        for attr, label in (("pools", "pool"), ("runs", "run")):
            seen: set[str] = set()
            for item in getattr(self, attr):
                key = item.name.lower()
                if key in seen:
                    raise ValueError(f"{attr}: duplicate {label} name {item.name!r}")
                seen.add(key)
        return self

    @property
    def currency(self) -> str:
        return self.drivers.currency or "USD"

    @property
    def scenario_names(self) -> list[str]:
        return ["Base", *[s for s in self.scenarios if s != "Base"]]


def validation_messages(exc: ValidationError) -> list[tuple[tuple[Any, ...], str, Any]]:
    """(location, message, input) for each problem pydantic found, in plain words."""
    out = []
    for err in exc.errors(include_url=False):
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field"
        msg = msg.replace("Input should be", "must be")
        loc, value = tuple(err["loc"]), err.get("input")
        # a whole-model check says "field: message": locate it on that field, not the model
        head, sep, rest = msg.partition(": ")
        if sep and isinstance(value, dict) and head in value:
            loc, msg, value = (*loc, head), rest, value[head]
        out.append((loc, msg, value))
    return out
