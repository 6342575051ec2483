"""The inputs of a training budget, as pydantic models: one model per input sheet.

Every numeric field accepts what people type: ``7B``, ``14.8T``, ``2.788M``, ``1,082,990``,
``$2.00``; every fraction field accepts ``0.4`` or ``40%`` and refuses ``40`` with a message that
says so. Field names carry their units (``price_per_gpu_hour``, ``power_w``, ``kwh_price``,
``bf16_dense_tflops``).

These models are the single description of the inputs: the Excel template and the reader are
generated from them. Each field's type declares how it is typed in a cell (:class:`Kind`:
number, count, fraction, month, currency, choice, text); titles, units, help text and the
template's column hints live in ``json_schema_extra`` (:func:`doc`).

Sheets and their models: Drivers → :class:`Drivers`, Pools → :class:`GpuPool`, Runs →
:class:`TrainingRun`, Data and Other → :class:`CostLine`, Staff → :class:`StaffLine`, GPU catalog
→ :class:`GpuCatalogRow`, FX → :class:`FxRow`, Overrides → :class:`OverrideRow`, Uncertainty →
:class:`UncertaintyRow`, Actuals → :class:`ActualLine`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from .currencies import check_marks, currency_of_marks
from .i18n import N_, LazyMapping, _
from .units import UnitError, parse_count, parse_fraction, parse_money, parse_number

FAMILIES: tuple[str, ...] = ("compute", "data", "staff", "power_facilities", "experiments")
#: the five cost families as people read them (translated when looked up: 数据成本, ...)
FAMILY_LABELS: LazyMapping = LazyMapping({
    "compute": N_("Hardware / compute"),
    "data": N_("Data"),
    "staff": N_("R&D staff"),
    "power_facilities": N_("Power and facilities"),
    "experiments": N_("Experiments and failures"),
})
HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12  # 730
TFLOPS = 1e12

#: ISO 4217 codes in use (widely quoted non-ISO ones are deliberately absent).
ISO_CURRENCIES: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNH CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


@dataclass(frozen=True)
class Kind:
    """How a field is typed in a cell, declared on its type: the template's column kind.

    ``number``, ``count``, ``fraction``, ``month``, ``currency``, ``choice`` (the values of its
    ``Literal``, or a list the template gives) or ``text``.
    """

    name: str


KINDS: tuple[str, ...] = ("number", "count", "fraction", "month", "currency", "choice", "text")


@dataclass(frozen=True)
class IsMoney:
    """Declares a number field an amount of money (on its type, beside its :class:`Kind`): the
    currency mark typed with it is kept (:class:`_Priced`)."""


MONEY = IsMoney()


_MONEY_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}


def money_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that hold an amount of money, in order."""
    found = _MONEY_FIELDS.get(model)
    if found is None:
        found = _MONEY_FIELDS[model] = tuple(
            name for name, f in model.model_fields.items()
            if any(isinstance(m, IsMoney) for m in f.metadata))
    return found


def kind_of(field: Any) -> Kind:
    """The :class:`Kind` a model field declares (a pydantic ``FieldInfo``); TypeError if none."""
    for meta in field.metadata:
        if isinstance(meta, Kind):
            return meta
    raise TypeError(f"field of type {field.annotation!r} declares no Kind")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _required() -> UnitError:
    return UnitError(_("is required"), "required")


def _number(value: Any) -> Any:
    if _blank(value):
        raise _required()
    return parse_number(value)


def _opt_number(value: Any) -> Any:
    return None if _blank(value) else parse_number(value)


def _positive(value: Any) -> Any:
    number = _number(value)
    if number <= 0:
        raise UnitError(_("must be more than 0"), "not_positive")
    return number


def _signed_number(value: Any) -> float:
    if _blank(value):
        raise _required()
    return parse_number(value, allow_negative=True)


def _money(value: Any) -> Any:
    if _blank(value):
        raise _required()
    return parse_money(value).amount


def _opt_money(value: Any) -> Any:
    return None if _blank(value) else parse_money(value).amount


def _signed_money(value: Any) -> float:
    if _blank(value):
        raise _required()
    return parse_money(value, allow_negative=True).amount


def _fraction(max_value: float) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if _blank(value):
            raise _required()
        return parse_fraction(value, max_value=max_value)

    return parse


def _opt_fraction(max_value: float) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        return None if _blank(value) else parse_fraction(value, max_value=max_value)

    return parse


def _count(value: Any) -> Any:
    if _blank(value):
        raise _required()
    return parse_count(value)


def _opt_count(value: Any) -> Any:
    return None if _blank(value) else parse_count(value)


def _opt_text(value: Any) -> Any:
    if _blank(value):
        return None
    return str(value).strip()


def _req(value: Any) -> Any:
    if _blank(value):
        raise _required()
    return value


def _aliases(value: Any) -> Any:
    """``'H100-SXM; H100 80GB'`` (a cell) or a list → a tuple of names; blank → None."""
    if _blank(value):
        return None
    if isinstance(value, str):
        return tuple(a.strip() for a in value.split(";") if a.strip())
    return tuple(str(a).strip() for a in value)


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
        raise UnitError(_("not a month: write it as YYYY-MM, e.g. 2026-01"), "not_a_month")
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def _req_month(value: Any) -> str:
    out = parse_month(value)
    if out is None:
        raise _required()
    return out


def _currency(value: Any) -> Any:
    if _blank(value):
        return None
    text = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise UnitError(_("not a currency code: use a three-letter ISO code such as USD, EUR, "
                          "CNY"), "not_a_currency_code")
    return text


def _iso_currency(examples: str, *, three_letters: bool = True) -> Callable[[Any], Any]:
    """A currency that must be an ISO 4217 code; ``examples`` end the message."""

    def parse(value: Any) -> Any:
        if _blank(value):
            return None
        text = _currency(value) if three_letters else str(value).strip().upper()
        if text not in ISO_CURRENCIES:
            raise UnitError(_("unknown currency code (use an ISO code such as {examples})").format(
                examples=examples), "unknown_currency")
        return text

    return parse


def _choice(options: dict[str, str]) -> Callable[[Any], Any]:
    """Accept any of the spellings in ``options`` (case-insensitive) → canonical value."""

    def parse(value: Any) -> Any:
        if _blank(value):
            return None
        key = re.sub(r"[\s_\-/]+", "", str(value)).lower()
        if key in options:
            return options[key]
        canon = sorted(set(options.values()))
        raise UnitError(_("must be one of {choices}").format(choices=", ".join(canon)),
                        "not_a_choice")

    return parse


Number = Annotated[float, Kind("number"), BeforeValidator(_number)]
OptNumber = Annotated[float | None, Kind("number"), BeforeValidator(_opt_number)]
PositiveNumber = Annotated[float, Kind("number"), BeforeValidator(_positive)]
SignedNumber = Annotated[float, Kind("number"), BeforeValidator(_signed_number)]
#: amounts of money: a currency mark typed with one (``€2.50``, ``¥90万``) is kept on the line
#: (:class:`_Priced`), never dropped; a percentage is refused
Money = Annotated[float, Kind("number"), MONEY, BeforeValidator(_money)]
OptMoney = Annotated[float | None, Kind("number"), MONEY, BeforeValidator(_opt_money)]
SignedMoney = Annotated[float, Kind("number"), MONEY, BeforeValidator(_signed_money)]
Count = Annotated[int, Kind("count"), BeforeValidator(_count)]
OptCount = Annotated[int | None, Kind("count"), BeforeValidator(_opt_count)]
Fraction = Annotated[float, Kind("fraction"), BeforeValidator(_fraction(1.0))]
OptFraction = Annotated[float | None, Kind("fraction"), BeforeValidator(_opt_fraction(1.0))]
# an overhead may exceed 100% (e.g. 130%)
Overhead = Annotated[float, Kind("fraction"), BeforeValidator(_fraction(10.0))]
OptOverhead = Annotated[float | None, Kind("fraction"), BeforeValidator(_opt_fraction(10.0))]
Month = Annotated[str | None, Kind("month"), BeforeValidator(parse_month)]
RequiredMonth = Annotated[str, Kind("month"), BeforeValidator(_req_month)]
#: a three-letter code (actuals: an unknown one is reported against the FX sheet's rates)
Currency = Annotated[str | None, Kind("currency"), BeforeValidator(_currency)]
#: the currency of an input line: an ISO 4217 code
LineCurrency = Annotated[str | None, Kind("currency"),
                         BeforeValidator(_iso_currency("EUR, CNY"))]
ReportingCurrency = Annotated[str | None, Kind("currency"),
                              BeforeValidator(_iso_currency("USD, EUR, CNY"))]
FxCurrency = Annotated[str, Kind("currency"), BeforeValidator(_req),
                       BeforeValidator(_iso_currency("EUR, CNY, GBP", three_letters=False))]
Text = Annotated[str | None, Kind("text"), BeforeValidator(_opt_text)]
RequiredText = Annotated[str, Kind("text"), BeforeValidator(_req), BeforeValidator(_opt_text)]
Name = Annotated[str, Kind("text")]
Aliases = Annotated[tuple[str, ...] | None, Kind("text"), BeforeValidator(_aliases)]
#: a cell read as it is: its parsing depends on another cell (the input it sets)
RawNumber = Annotated[Any, Kind("number")]
ChoiceText = Annotated[str | None, Kind("choice"), BeforeValidator(_opt_text)]

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

Ownership = Annotated[Literal["rent", "own"], Kind("choice"),
                      BeforeValidator(_choice(OWNERSHIP))]
RunKind = Annotated[Literal["final", "experiment"], Kind("choice"),
                    BeforeValidator(_choice(RUN_KINDS))]
Precision = Annotated[Literal["bf16", "fp8"], Kind("choice"),
                      BeforeValidator(_choice(PRECISIONS))]
StageName = Literal["pretraining", "midtraining", "sft", "preference", "rl", "distillation",
                    "synthetic_data", "evaluation"]
#: every training stage, in the order of a programme (``TrainingRun.stage``, ``LineItem.stage``)
STAGE_NAMES: tuple[str, ...] = get_args(StageName)
Stage = Annotated[StageName, Kind("choice"), BeforeValidator(_choice(STAGES))]
Sharding = Annotated[Literal["none", "zero1", "zero2", "zero3"], Kind("choice"),
                     BeforeValidator(_choice(SHARDINGS))]
Optimizer = Annotated[Literal["adam", "adam_8bit", "sgd"], Kind("choice"),
                      BeforeValidator(_choice(OPTIMIZERS))]
Recompute = Annotated[Literal["none", "selective", "full"], Kind("choice"),
                      BeforeValidator(_choice(RECOMPUTES))]
PriceBasis = Annotated[Literal["on-demand", "committed"], Kind("choice"),
                       BeforeValidator(_choice(PRICE_BASES))]
Family = Annotated[
    Literal["compute", "data", "staff", "power_facilities", "experiments"],
    Kind("choice"), BeforeValidator(_choice(FAMILY_CHOICES)),
]
OptFamily = Annotated[
    Literal["compute", "data", "staff", "power_facilities", "experiments"] | None,
    Kind("choice"), BeforeValidator(_choice(FAMILY_CHOICES)),
]


def doc(title: str, unit: str = "", help: str = "", **extra: Any) -> dict[str, Any]:
    """Template metadata for a field: its visible label, unit and help text.

    ``extra`` holds column hints: ``heading=True`` for a column that only names or comments a
    line (a row with nothing else filled is skipped), ``width`` for the template's minimum
    column width.
    """
    return {"json_schema_extra": {"title_text": title, "unit": unit, "help": help, **extra}}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _typed_marks(model: type[BaseModel], data: Any) -> dict[str, str]:
    """The currency mark typed with each amount of money in ``data`` (a mapping of a line)."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for name in money_fields(model):
        value = data.get(name)
        if isinstance(value, str):
            try:
                mark = parse_money(value, allow_negative=True).mark
            except UnitError:
                continue  # the field's own validator reports it
            if mark:
                out[name] = mark
    return out


class _Priced(_Model):
    """A line with amounts of money: the currency mark typed with each one is kept.

    A mark is checked against the line's currency (:func:`costsheet.currencies.check_marks`):
    its Currency cell when filled (``CURRENCY_RULE = "line"``), the reporting currency for the
    drivers, USD for the GPU catalog; a line whose Currency cell is blank takes the currency
    its marks mean in the budget it belongs to (:func:`with_marked_currency`, the documented rule
    for ``$`` and ``¥``).
    """

    CURRENCY_RULE: typing.ClassVar[str] = "line"
    _marks: dict[str, str] = PrivateAttr(default_factory=dict)
    #: the mark that gave a line with a blank Currency cell its currency (for the Basis text)
    _currency_mark: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_marks(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        marks = _typed_marks(cls, data)
        obj = handler(data)
        if marks:
            obj._marks = {**obj._marks, **marks}
            problem = check_marks(obj._marks, obj.fixed_currency, cls.CURRENCY_RULE)
            if problem is not None:
                raise UnitError(f"{problem.field}: {problem.message}", problem.code)
        return obj

    @property
    def fixed_currency(self) -> str | None:
        """The currency the line is in whatever its marks: its Currency cell (None if blank)."""
        value = getattr(self, "currency", None)
        return None if value is None else str(value)

    @property
    def marks(self) -> dict[str, str]:
        """Field → the currency mark typed with its amount (``{"unit_cost": "€"}``)."""
        return dict(self._marks)

    @property
    def currency_mark(self) -> str | None:
        """The mark that gave this line its currency (its Currency cell was blank), or None."""
        return self._currency_mark


_P = typing.TypeVar("_P", bound=_Priced)


def marked_currency(line: _Priced, reporting: str,
                    fx_currencies: Collection[str] = ()) -> str | None:
    """The currency the marks typed in ``line``'s amounts give it when its Currency cell is
    blank (None: no marks, or a filled cell); :class:`UnitError` (``field: message``) when a
    mark is ambiguous (``¥`` with neither the reporting currency nor one FX rate to tell) or two
    marks disagree."""
    if not line.marks or line.fixed_currency:
        return None
    currency, problem = currency_of_marks(line.marks, reporting, fx_currencies)
    if problem is not None:
        raise UnitError(f"{problem.field}: {problem.message}", problem.code)
    return currency


def with_marked_currency(line: _P, reporting: str, fx_currencies: Collection[str] = ()) -> _P:
    """``line`` with the currency its marks mean (a copy; the same line when they mean the
    reporting currency, or when it has no marks or its own Currency cell)."""
    currency = marked_currency(line, reporting, fx_currencies)
    if currency is None or currency == reporting.upper():
        return line
    out = line.model_copy(update={"currency": currency})
    out._currency_mark = next(m for m in line.marks.values())
    return out


def currency_note(line: Any) -> str:
    """``(EUR from the € typed with the amount)`` for a line whose currency came from a mark."""
    mark = getattr(line, "currency_mark", None)
    if not mark:
        return ""
    return _("({currency} from the {mark} typed with the amount)").format(
        currency=line.currency, mark=mark)


class Drivers(_Priced):
    """Assumptions that apply across the budget, one value per scenario.

    Its amounts of money (electricity, colocation) are in the reporting currency: a mark typed
    with one must mean it.
    """

    CURRENCY_RULE: typing.ClassVar[str] = "reporting"

    mfu: OptFraction = Field(None, gt=0, **doc(
        N_("Default MFU"), N_("fraction"),
        N_("Model FLOPs utilisation: achieved / peak dense BF16 throughput. Blank: the median of "
        "published runs on the same chip generation (A100-class 38%, H100-class 22%; "
        "`costsheet runs`).")))
    pue: Number = Field(1.2, ge=1.0, **doc(
        N_("PUE"), N_("ratio"), N_("Facility power / IT power (power usage effectiveness), >= 1.")))
    avg_power_draw: Fraction = Field(0.75, **doc(
        N_("Average power draw"), N_("fraction"),
        N_("Average draw of a server as a share of its peak (GPU TDP x server-to-GPU ratio).")))
    kwh_price: Money = Field(0.08, **doc(
        N_("Electricity price"), N_("per kWh"),
        N_("Price of one kWh; charged only for owned hardware.")))
    grid_kg_co2_per_kwh: Number = Field(0.40, **doc(
        N_("Grid carbon intensity"), N_("kg CO2/kWh"),
        N_("Emissions per kWh of the grid that powers it.")))
    depreciation_life_years: Number = Field(4.0, gt=0, **doc(
        N_("Depreciation life"), N_("years"), N_("Useful life of owned hardware, straight-line.")))
    server_premium: Number = Field(1.6, ge=1.0, **doc(
        N_("Server premium"), N_("x GPU price"),
        N_("Server cost per GPU as a multiple of the GPU's price (CPUs, memory, chassis).")))
    networking_share: Fraction = Field(0.19, lt=1.0, **doc(
        N_("Networking share"), N_("fraction"),
        N_("Interconnect as a share of the whole cluster's cost.")))
    colocation_per_kw_month: Money = Field(0.0, **doc(
        N_("Colocation price"), N_("per kW-month"),
        N_("Datacenter space and cooling per kW of IT load per month, for owned hardware.")))
    experiment_multiplier: Number = Field(0.0, **doc(
        N_("Experiments multiple"), N_("x final run"),
        N_("Sweeps and ablations as a multiple of the final runs' GPU-hours: the EXTRA GPU-hours "
        "÷ the final run's (Epoch AI's 2.2 total is 1.2 here).")))
    interruption_rate_per_1000_gpu_days: Number = Field(0.0, **doc(
        N_("Interruption rate"), N_("per 1,000 GPU-days"),
        N_("Job interruptions per 1,000 GPU-days (Llama 3 405B: about 0.47).")))
    checkpoint_interval_hours: Number = Field(1.0, **doc(
        N_("Checkpoint interval"), N_("hours"),
        N_("Time between checkpoints; half of it is lost per interruption.")))
    restart_hours: Number = Field(0.5, **doc(
        N_("Restart time"), N_("hours"),
        N_("Time to restart the whole job after an interruption.")))
    restart_probability: Fraction = Field(0.0, **doc(
        N_("Restart risk"), N_("probability"),
        N_("Chance the final run diverges or fails and part of it must be redone.")))
    restart_share_lost: Fraction = Field(0.5, **doc(
        N_("Share lost on restart"), N_("fraction"),
        N_("Share of the final run redone when it fails.")))
    staff_burden: Overhead = Field(0.30, **doc(
        N_("Staff burden"), N_("fraction of salary"),
        N_("Employer costs on top of salary (taxes, benefits, equipment), e.g. 30%.")))
    currency: ReportingCurrency = Field("USD", **doc(
        N_("Reporting currency"), N_("ISO code"),
        N_("Currency of every total (USD, EUR, CNY, ...).")))
    start_month: Month = Field(None, **doc(
        N_("Start month"), N_("YYYY-MM"), N_("First month of the budget horizon.")))
    experiments_total_multiple: OptNumber = Field(None, ge=1.0, **doc(
        N_("Experiments, total multiple"), N_("x final run"),
        N_("Epoch AI's convention: ALL GPU-hours of the programme ÷ the final run's (e.g. 2.2). "
        "Blank: use Experiments multiple. 2.2 here equals 1.2 there."),
        quiet_if_missing=True))
    price_basis: PriceBasis = Field("on-demand", **doc(
        N_("Catalog price basis"), "",
        N_("Which catalog rental price a pool with no price uses: on-demand, or committed "
        "(multi-year commitment; only some GPUs have one)."), quiet_if_missing=True))

    @model_validator(mode="after")
    def _default_currency(self) -> Drivers:
        if self.currency is None:
            self.currency = "USD"
        return self

    @property
    def fixed_currency(self) -> str | None:
        return self.currency or "USD"

    @property
    def extra_experiments(self) -> Any:
        """Sweeps and ablations as EXTRA GPU-hours ÷ the final run's, whichever way given.

        Giving both is refused where the budget is computed (``compute_budget``), naming both.
        """
        if self.experiments_total_multiple is not None:
            return self.experiments_total_multiple - 1.0
        return self.experiment_multiplier


DRIVER_KEYS: tuple[str, ...] = tuple(Drivers.model_fields)


class GpuPool(_Priced):
    """A set of GPUs of one type, rented or owned."""

    name: Name = Field(..., min_length=1, **doc(
        N_("Pool"), "", N_("A short unique name, e.g. h800-main."), heading=True))
    gpu_type: Text = Field(None, **doc(
        N_("GPU type"), "", N_("A GPU from the catalog (H100, H800, A100, B200, MI300X, ...).")))
    gpu_count: OptCount = Field(None, **doc(N_("GPUs"), N_("count"),
        N_("How many GPUs the pool has.")))
    ownership: Ownership = Field("rent", **doc(N_("Rent or own"), "", N_("rent or own.")))
    price_per_gpu_hour: OptMoney = Field(None, **doc(
        N_("Rental price"), N_("per GPU-hour"),
        N_("Renting: price of one GPU-hour (blank: the catalog's on-demand price).")))
    purchase_price_per_gpu: OptMoney = Field(None, **doc(
        N_("Purchase price"), N_("per GPU"),
        N_("Owning: price of one GPU (blank: the catalog's price). Server premium and networking "
        "are added from the drivers.")))
    term_months: OptNumber = Field(None, gt=0, **doc(
        N_("Reserved term"), N_("months"),
        N_("Held for this many months and billed for all of them whatever the use (reserved "
        "rental, or owned capacity). Blank: billed for the GPU-hours used (on-demand).")))
    power_w: OptNumber = Field(None, **doc(
        N_("Average power"), N_("W per GPU"),
        N_("Average power per GPU including its share of the server (blank: TDP x server ratio x "
        "average draw).")))
    start_month: Month = Field(None, **doc(N_("Start month"), N_("YYYY-MM"),
        N_("When the pool starts.")))
    currency: LineCurrency = Field(None, **doc(
        N_("Currency"), N_("ISO code"), N_("Blank: reporting currency.")))

    @model_validator(mode="after")
    def _name(self) -> GpuPool:
        self.name = str(self.name).strip()
        return self


class TrainingRun(_Model):
    """One training run: the final run, or a listed experiment."""

    name: Name = Field(..., min_length=1, **doc(N_("Run"), "",
        N_("A short unique name."), heading=True))
    kind: RunKind = Field("final", **doc(
        N_("Kind"), "", N_("final (the run you ship) or experiment (an ablation or test run).")))
    pool: Text = Field(None, **doc(N_("Pool"), "",
        N_("The GPU pool it runs on (blank: the only pool).")))
    params: OptNumber = Field(None, gt=0, **doc(
        N_("Parameters"), N_("count"), N_("Total parameters, e.g. 671B.")))
    active_params: OptNumber = Field(None, gt=0, **doc(
        N_("Active parameters"), N_("count"),
        N_("Parameters active per token (MoE), e.g. 37B. Blank: all.")))
    tokens: OptNumber = Field(None, gt=0, **doc(N_("Tokens"), N_("count"),
        N_("Training tokens, e.g. 14.8T.")))
    flops: OptNumber = Field(None, gt=0, **doc(
        N_("Training FLOPs"), N_("FLOP"), N_("Blank: 6 x active parameters x tokens.")))
    mfu: OptFraction = Field(None, gt=0, **doc(
        N_("MFU"), N_("fraction"), N_("Blank: the drivers' default MFU.")))
    precision: Precision = Field("bf16", **doc(
        N_("Precision"), "", N_("bf16 or fp8: which peak throughput MFU refers to.")))
    gpu_hours: OptNumber = Field(None, gt=0, **doc(
        N_("GPU-hours"), N_("GPU-hours"),
        N_("Given GPU-hours override the FLOPs / throughput estimate.")))
    count: Count = Field(1, ge=1, **doc(N_("Repeats"), N_("count"),
        N_("Experiments: how many such runs.")))
    start_month: Month = Field(None, **doc(N_("Start month"), N_("YYYY-MM"),
        N_("When the run starts.")))
    stage: Stage = Field("pretraining", **doc(
        N_("Stage"), "",
        N_("pretraining (blank), midtraining, sft, preference, rl, distillation, synthetic_data "
        "or evaluation: which FLOPs formula applies (docs/model.md)."), quiet_if_missing=True))
    # -- what a stage generates (rl, synthetic_data, evaluation) and the other models it runs
    prompts: OptCount = Field(None, gt=0, **doc(
        N_("Prompts"), N_("count"),
        N_("RL, synthetic data, evaluation: prompts over the whole run (RL: steps x prompts per "
        "step), e.g. 332.8K."), quiet_if_missing=True))
    samples_per_prompt: Count = Field(1, ge=1, **doc(
        N_("Samples per prompt"), N_("count"),
        N_("Completions generated for each prompt (GRPO group size, e.g. 16)."),
        quiet_if_missing=True))
    prompt_tokens: OptNumber = Field(None, ge=0, **doc(
        N_("Prompt tokens"), N_("tokens per sample"),
        N_("Mean prompt length read before generating (prefill). Blank: 0."),
        quiet_if_missing=True))
    generated_tokens: OptNumber = Field(None, gt=0, **doc(
        N_("Generated tokens"), N_("tokens per sample"),
        N_("Mean tokens generated per sample (rollout, synthetic example, benchmark answer)."),
        quiet_if_missing=True))
    teacher_params: OptNumber = Field(None, gt=0, **doc(
        N_("Teacher parameters"), N_("count"),
        N_("Distillation: active parameters of the teacher, run forward over the student's "
        "tokens."), quiet_if_missing=True))
    reward_model_params: OptNumber = Field(None, gt=0, **doc(
        N_("Reward model parameters"), N_("count"),
        N_("RL, synthetic data, evaluation: active parameters of a reward model or judge that "
        "reads every sample. Blank: rule-based rewards, no model."), quiet_if_missing=True))
    decode_mfu: OptFraction = Field(None, gt=0, **doc(
        N_("Decode MFU"), N_("fraction"),
        N_("Utilisation while generating tokens (memory-bound). Blank: RL 1% (from "
        "DeepSeek-R1-Zero's published GPU-hours; 0.6-4.3% by its rollout length), synthetic "
        "data and evaluation 14% (DeepSeek's published H800 serving throughput)."),
        quiet_if_missing=True))
    # -- will it fit: the model's shape and how it is spread over the pool's GPUs
    layers: OptCount = Field(None, gt=0, **doc(
        N_("Layers"), N_("count"), N_("Transformer layers (config.json num_hidden_layers)."),
        quiet_if_missing=True))
    hidden_size: OptCount = Field(None, gt=0, **doc(
        N_("Hidden size"), N_("count"), N_("Model width (config.json hidden_size), e.g. 16,384."),
        quiet_if_missing=True))
    attention_heads: OptCount = Field(None, gt=0, **doc(
        N_("Attention heads"), N_("count"), N_("Query heads (config.json num_attention_heads)."),
        quiet_if_missing=True))
    kv_heads: OptCount = Field(None, gt=0, **doc(
        N_("KV heads"), N_("count"),
        N_("Key/value heads (grouped-query attention). Blank: as many as attention heads."),
        quiet_if_missing=True))
    seq_len: OptCount = Field(None, gt=0, **doc(
        N_("Sequence length"), N_("tokens"),
        N_("Training sequence length, for activation memory. Blank: activations not counted "
        "(RL: prompt + generated tokens)."), quiet_if_missing=True))
    micro_batch: Count = Field(1, ge=1, **doc(
        N_("Micro-batch"), N_("sequences"), N_("Sequences per GPU in one forward/backward pass."),
        quiet_if_missing=True))
    recompute: Recompute = Field("full", **doc(
        N_("Recomputation"), "",
        N_("Activation recomputation: full (least memory), selective or none."),
        quiet_if_missing=True))
    sharding: Sharding = Field("zero3", **doc(
        N_("Sharding"), "",
        N_("How weights, gradients and optimizer states are split over the pool's GPUs: zero3 "
        "(FSDP full shard), zero2, zero1 or none (every GPU holds a copy)."),
        quiet_if_missing=True))
    tensor_parallel: OptCount = Field(None, gt=0, **doc(
        N_("Tensor parallel"), N_("GPUs"),
        N_("GPUs that split each layer. Blank: 8 (one NVLink server), or fewer on a smaller "
        "pool."), quiet_if_missing=True))
    optimizer: Optimizer = Field("adam", **doc(
        N_("Optimizer"), "",
        N_("adam (mixed precision, 12 bytes of states per parameter), adam_8bit (6) or sgd (8)."),
        quiet_if_missing=True))
    concurrent_sequences: OptCount = Field(None, gt=0, **doc(
        N_("Concurrent sequences"), N_("sequences"),
        N_("Sequences generated at once, for KV-cache memory. Blank: samples per prompt."),
        quiet_if_missing=True))

    @field_validator("active_params")
    @classmethod
    def _not_above_params(cls, active: float | None, info: ValidationInfo) -> float | None:
        params = info.data.get("params")
        if active is not None and params is not None and active > params:
            raise UnitError(_("more active parameters than parameters"), "active_above_total")
        return active

    @model_validator(mode="after")
    def _check(self) -> TrainingRun:
        """Checks across fields, each reported at the field it names (``field: message``)."""
        if self.kv_heads is not None and self.attention_heads is not None:
            if self.kv_heads > self.attention_heads:
                field = "kv_heads"
                raise UnitError(f"{field}: " + _("more key/value heads than attention heads"),
                                "kv_above_attention_heads")
        for name, stages in STAGE_FIELDS.items():
            value = getattr(self, name)
            given = value != 1 if name == "samples_per_prompt" else value is not None
            if given and self.stage not in stages:
                raise UnitError(
                    f"{name}: " + _("applies to {stages} runs, not to a {stage} run; set the "
                                    "run's stage or clear the cell").format(
                        stages=", ".join(stages), stage=self.stage),
                    "not_for_this_stage")
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


class CostLine(_Priced):
    """A priced line: quantity x unit cost (x months) (x (1 + overhead)).

    Used for data (datasets, crawling, storage, labelling, processing) and for facilities and
    other lines of any family.
    """

    name: Name = Field(..., min_length=1, **doc(N_("Item"), "", N_("What it is."), heading=True))
    family: Family = Field("data", **doc(
        N_("Family"), "", N_("compute, data, staff, power_facilities or experiments.")))
    kind: Text = Field(None, **doc(
        N_("Kind"), "", N_("e.g. dataset, crawl, storage, labelling, processing, datacenter.")))
    quantity: Number = Field(1.0, **doc(N_("Quantity"), "",
        N_("How many units (e.g. 120 TB, 50k items).")))
    unit: Text = Field(None, **doc(N_("Unit"), "",
        N_("The unit of the quantity (TB, item, hour, ...).")))
    unit_cost: Money = Field(..., **doc(N_("Unit cost"), N_("per unit"), N_("Price of one unit.")))
    months: OptNumber = Field(None, **doc(
        N_("Months"), N_("months"),
        N_("For monthly prices (storage per TB-month): how many months.")))
    overhead: Overhead = Field(0.0, **doc(
        N_("Overhead"), N_("fraction"), N_("Added on top, e.g. 15% QA on labelling.")))
    start_month: Month = Field(None, **doc(N_("Start month"), N_("YYYY-MM"),
        N_("When it is paid.")))
    currency: LineCurrency = Field(None, **doc(
        N_("Currency"), N_("ISO code"), N_("Blank: reporting currency.")))


class StaffLine(_Priced):
    """A role: headcount x annual salary x (1 + burden) x allocation x months / 12."""

    role: Name = Field(..., min_length=1, **doc(
        N_("Role"), "", N_("e.g. research scientist."), heading=True))
    headcount: Number = Field(..., **doc(N_("Headcount"), N_("people"),
        N_("How many people (may be 0.5).")))
    annual_salary: Money = Field(..., **doc(
        N_("Annual salary"), N_("per year"), N_("Base salary per person.")))
    burden: OptOverhead = Field(None, **doc(
        N_("Burden"), N_("fraction"),
        N_("Employer costs on top of salary (blank: the drivers' default).")))
    allocation: Fraction = Field(1.0, **doc(
        N_("Allocation"), N_("fraction"), N_("Share of their time on this model.")))
    months: Number = Field(12.0, **doc(N_("Months"), N_("months"), N_("Months on this budget.")))
    start_month: Month = Field(None, **doc(N_("Start month"), N_("YYYY-MM"), N_("First month.")))
    currency: LineCurrency = Field(None, **doc(
        N_("Currency"), N_("ISO code"), N_("Blank: reporting currency.")))


class GpuCatalogRow(_Priced):
    """A GPU type of the catalog: a row of the GPU catalog sheet, or of ``data/gpus.csv``.

    On the sheet a row overrides an existing type (blank cells keep the catalog's values) or
    adds one. Throughput is in TFLOP/s, as datasheets print it. Python mappings written before
    the names were unified (``bf16_flops``/``bf16_dense_flops`` in FLOP/s) are still accepted.
    """

    key: Name = Field(..., min_length=1, **doc(
        N_("GPU type"), "", N_("Catalog key: an existing type (its values are overridden) or a new "
        "one (added)."), heading=True, width=14))
    aliases: Aliases = Field(None, **doc(N_("Aliases"), "", N_("Other names, separated by ';'."),
                                         width=18))
    name: Text = Field(None, **doc(N_("Full name"), "", N_("The full name."), width=22))
    vendor: Text = Field(None, **doc(N_("Vendor"), "", N_("e.g. NVIDIA, AMD."), width=10))
    memory_gb: OptNumber = Field(None, **doc(N_("Memory"), N_("GB"), N_("Memory per GPU.")))
    bf16_dense_tflops: OptNumber = Field(None, **doc(
        N_("BF16 peak"), N_("TFLOP/s"), N_("Peak dense BF16 throughput. Required for a new type."),
        old_keys=("bf16_flops",)))
    fp8_dense_tflops: OptNumber = Field(None, **doc(
        N_("FP8 peak"), N_("TFLOP/s"), N_("Peak dense FP8 throughput (blank: no FP8)."),
        old_keys=("fp8_flops",)))
    tdp_w: OptNumber = Field(None, **doc(
        N_("TDP"), N_("W"), N_("GPU thermal design power. Required for a new type.")))
    server_power_ratio: OptNumber = Field(None, **doc(
        N_("Server power ratio"), N_("x"), N_("Server power / sum of GPU TDPs.")))
    purchase_price_per_gpu: OptMoney = Field(None, **doc(
        N_("Purchase price"), N_("USD per GPU"), N_("Price of one GPU, in USD.")))
    purchase_price_date: Text = Field(None, **doc(
        N_("Purchase price date"), N_("YYYY-MM"), N_("When the price was seen."), width=12))
    purchase_price_source: Text = Field(None, **doc(
        N_("Purchase price source"), "", N_("Where the price comes from."), width=24))
    price_per_gpu_hour: OptMoney = Field(None, **doc(
        N_("Rental price"), N_("USD per GPU-hour"), N_("On-demand price of one GPU-hour, in USD."),
        width=18))
    price_date: Text = Field(None, **doc(
        N_("Rental price date"), N_("YYYY-MM"), N_("When the price was seen."), width=12))
    price_source: Text = Field(None, **doc(
        N_("Rental price source"), "", N_("Where the price comes from."), width=24))
    spec_source: Text = Field(None, **doc(
        N_("Spec source"), "", N_("Where the throughput and power come from."), sheet=False))
    generation: Text = Field(None, **doc(
        N_("Generation"), "",
        N_("Chip generation (Ampere, Hopper, TPU v4, ...): groups published runs "
        "for the default MFU."), sheet=False))
    price_basis: Text = Field(None, **doc(
        N_("Rental price basis"), "",
        N_("What the rental price is: on-demand, assumed or estimate."),
        sheet=False))
    committed_price_per_gpu_hour: OptMoney = Field(None, **doc(
        N_("Committed price"), N_("USD per GPU-hour"),
        N_("Price of one GPU-hour on a multi-year commitment, in USD."), sheet=False))
    committed_price_term: Text = Field(None, **doc(
        N_("Committed term"), "", N_("The commitment, e.g. 3 years."), sheet=False))
    committed_price_date: Text = Field(None, **doc(
        N_("Committed price date"), N_("YYYY-MM"), N_("When the price was seen."), sheet=False))
    committed_price_source: Text = Field(None, **doc(
        N_("Committed price source"), "", N_("Where the price comes from."), sheet=False))

    CURRENCY_RULE: typing.ClassVar[str] = "usd"

    @property
    def fixed_currency(self) -> str | None:
        return "USD"

    #: keys of Python mappings written before the names were unified, in FLOP/s
    OLD_FLOPS_KEYS: typing.ClassVar[dict[str, str]] = {
        "bf16_flops": "bf16_dense_tflops", "bf16_dense_flops": "bf16_dense_tflops",
        "fp8_flops": "fp8_dense_tflops", "fp8_dense_flops": "fp8_dense_tflops"}

    @model_validator(mode="before")
    @classmethod
    def _old_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not any(k in data for k in cls.OLD_FLOPS_KEYS):
            return data
        data = dict(data)
        for old, new in cls.OLD_FLOPS_KEYS.items():
            if old not in data:
                continue
            value = data.pop(old)
            if new in data:
                raise UnitError(f"{old}: " + _("give {new} (TFLOP/s) only").format(new=new),
                                "given_twice")
            data[new] = None if _blank(value) else parse_number(value) / TFLOPS
        return data

    @model_serializer(mode="wrap")
    def _set_values(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Only the values a row sets (blank cells keep the catalog's)."""
        return {k: v for k, v in handler(self).items() if v is not None}


class FxRow(_Model):
    """A row of the FX sheet: a currency's budget rate (blank month) or one month's actual rate."""

    currency: FxCurrency = Field(..., **doc(
        N_("Currency"), N_("ISO code"),
        N_("Three-letter ISO code, e.g. CNY."), heading=True, width=11))
    rate: PositiveNumber = Field(..., **doc(
        N_("Rate"), N_("reporting per unit"),
        N_("Units of the reporting currency for one unit of this currency."), width=20))
    month: Month = Field(None, **doc(
        N_("Month"), N_("YYYY-MM"),
        N_("Blank: the budget rate. A month: the actual rate of that month, for the Actuals sheet "
        "(a currency with monthly rows needs one per month of actuals)."), width=11))
    note: Text = Field(None, **doc(
        N_("Note"), "", N_("Date and source of the rate."), heading=True, width=30))


class OverrideRow(_Model):
    """A row of the Overrides sheet: one input's value in one scenario.

    ``value`` is read as typed: it is parsed as the input it sets (a fraction for ``mfu``, a
    count for ``gpu_count``, ...), which only the whole budget knows.
    """

    scenario: RequiredText = Field(..., **doc(
        N_("Scenario"), "", N_("A scenario column name on the Drivers sheet, e.g. High."),
        heading=True, width=12))
    key: RequiredText = Field(..., **doc(
        N_("Input key"), N_("key"),
        N_("e.g. pools.h800.price_per_gpu_hour or runs.final.tokens (section.name.field)."),
        width=40))
    value: RawNumber = Field(..., **doc(
        N_("Value"), "",
        N_("The value in that scenario, typed as on the input sheet (2.80, 14.8T, 35%)."),
        width=12))
    note: Text = Field(None, **doc(N_("Note"), "", N_("Why."), heading=True, width=40))

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, value: Any) -> Any:
        return _req(value)


class UncertaintyRow(_Model):
    """A row of the Uncertainty sheet: an input key, a distribution and its parameters.

    The parameters are read as typed: they are parsed as the input they describe (a fraction
    for ``mfu``), which only the whole budget knows (:mod:`costsheet.workbook.uncertainty`).
    """

    input: Text = Field(None, **doc(
        N_("Input"), N_("key"),
        N_("A driver key (mfu, kwh_price, ...) or an input key such as "
        "pools.h800.price_per_gpu_hour (section.name.field)."), width=36))
    distribution: ChoiceText = Field(None, **doc(
        N_("Distribution"), "",
        N_("fixed, uniform, triangular, pert, normal, lognormal or bernoulli."), width=14))
    low: RawNumber = Field(None, **doc(
        N_("Low"), N_("as the input"),
        N_("uniform, triangular, pert: the lowest value; normal, lognormal: the 5th percentile.")))
    most_likely: RawNumber = Field(None, **doc(
        N_("Most likely"), N_("as the input"),
        N_("triangular, pert: the most likely value; fixed: the "
        "value.")))
    high: RawNumber = Field(None, **doc(
        N_("High"), N_("as the input"),
        N_("uniform, triangular, pert: the highest value; normal, lognormal: the 95th "
           "percentile.")))
    mean: RawNumber = Field(None, **doc(
        N_("Mean"), N_("as the input"),
        N_("normal, lognormal: the mean (with sd, instead of low and high); bernoulli: the "
        "probability.")))
    sd: RawNumber = Field(None, **doc(
        N_("Std. dev."), N_("as the input"), N_("normal, lognormal: the standard deviation.")))
    note: Text = Field(None, **doc(N_("Note"), "", N_("Where the range comes from."), heading=True,
                                   width=30))


FAMILY_FIELD = "family: "  # a whole-row check names its field before the message


class ActualLine(_Priced):
    """One booked amount: a month, a family (optionally a line item), an amount and currency."""

    month: RequiredMonth = Field(..., **doc(
        N_("Month"), N_("YYYY-MM"),
        N_("The month the cost belongs to (invoice or booking month).")))
    family: OptFamily = Field(None, **doc(
        N_("Family"), "", N_("compute, data, staff, power_facilities or experiments (blank when "
                             "the line item names a line, a pool or a run).")))
    item: Text = Field(None, **doc(
        N_("Line item"), "",
        N_("Optional: the budget line it pays for (its name on the Line items sheet), a GPU "
           "pool or run (split across its lines), or reserve.")))
    amount: SignedMoney = Field(..., **doc(
        N_("Amount"), "", N_("What was booked, in its currency; a credit is negative.")))
    currency: Currency = Field(None, **doc(
        N_("Currency"), N_("ISO code"), N_("Blank: the reporting currency.")))
    note: Text = Field(None, **doc(N_("Note"), "", N_("Invoice number, supplier, comment."),
                                   heading=True))

    @model_validator(mode="after")
    def _family_or_item(self) -> ActualLine:
        if self.family is None and self.item is None:
            raise UnitError(FAMILY_FIELD + _("is required (or name a budget line, pool or run "
                                             "in Line item)"), "required")
        return self


#: the input sections whose lines have amounts of money and a Currency cell
PRICED_SECTIONS: tuple[str, ...] = ("pools", "data", "staff", "other")


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
    gpu_catalog: list[GpuCatalogRow] = Field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = Field(default_factory=dict)
    fx_rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("fx_rates")
    @classmethod
    def _fx_codes(cls, rates: dict[str, float]) -> dict[str, float]:
        for code in rates:
            if code not in ISO_CURRENCIES:
                raise UnitError(_("unknown currency code {code!r} (use an ISO code such as EUR, "
                                  "CNY, GBP)").format(code=code), "unknown_currency")
        return rates

    @model_validator(mode="after")
    def _currencies_from_marks(self) -> Budget:
        """A line with a blank Currency cell takes the currency its marks mean (``€180`` on a
        data line of a USD budget is EUR 180, converted at the FX rate): the documented rule
        for ``$`` and ``¥`` (:mod:`costsheet.currencies`); ambiguous or mixed marks are refused,
        named by the line's key."""
        fx = tuple(self.fx_rates)
        for section in PRICED_SECTIONS:
            lines = getattr(self, section)
            resolved = []
            for line in lines:
                try:
                    resolved.append(with_marked_currency(line, self.currency, fx))
                except UnitError as exc:
                    name = line.role if section == "staff" else line.name
                    raise UnitError(f"{section}.{name}.{exc}", exc.code) from None
            if any(a is not b for a, b in zip(lines, resolved, strict=True)):
                setattr(self, section, resolved)
        return self

    @model_validator(mode="after")
    def _unique(self) -> Budget:
        for attr, label in (("pools", N_("duplicate pool name {name!r}")),
                            ("runs", N_("duplicate run name {name!r}"))):
            seen: set[str] = set()
            for item in getattr(self, attr):
                key = item.name.lower()
                if key in seen:
                    raise UnitError(f"{attr}: " + _(label).format(name=item.name),
                                    "duplicate_name")
                seen.add(key)
        return self

    @property
    def currency(self) -> str:
        return self.drivers.currency or "USD"

    @property
    def scenario_names(self) -> list[str]:
        return ["Base", *[s for s in self.scenarios if s != "Base"]]


class Problem(NamedTuple):
    """One problem pydantic found, in plain words: where, what, the value, and its code."""

    loc: tuple[Any, ...]
    message: str
    value: Any
    code: str


_CODES = {"missing": "required", "extra_forbidden": "unknown_field",
          "literal_error": "not_a_choice", "greater_than": "out_of_range",
          "greater_than_equal": "out_of_range", "less_than": "out_of_range",
          "less_than_equal": "out_of_range", "string_too_short": "required"}


#: pydantic's own checks, in costsheet's words (a parser's UnitError brings its own message)
_PYDANTIC_MESSAGES = {
    "missing": N_("is required"),
    "string_too_short": N_("is required"),
    "extra_forbidden": N_("is not a known field"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be greater than or equal to {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be less than or equal to {le}"),
    "literal_error": N_("must be {expected}"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "string_type": N_("must be text"),
}


def _pydantic_message(kind: str, ctx: dict[str, Any], msg: str) -> str:
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return msg.replace("Input should be", "must be")
    values = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in ctx.items()
              if k in ("gt", "ge", "lt", "le", "expected")}
    if "expected" in values:
        values["expected"] = str(values["expected"]).replace(" or ", _(" or "))
    try:
        return _(template).format(**values)
    except (KeyError, IndexError):
        return msg.replace("Input should be", "must be")


def validation_problems(exc: ValidationError) -> list[Problem]:
    """Each problem pydantic found as a :class:`Problem` (message in plain words, with a code:
    the :class:`UnitError`'s own, or one for pydantic's checks)."""
    out = []
    for err in exc.errors(include_url=False):
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        msg = _pydantic_message(err["type"], err.get("ctx") or {}, msg)
        cause = (err.get("ctx") or {}).get("error")
        code = getattr(cause, "code", None) or _CODES.get(err["type"], "invalid_value")
        loc, value = tuple(err["loc"]), err.get("input")
        # a whole-model check says "field: message": locate it on that field, not the model
        head, sep, rest = msg.partition(": ")
        if sep and isinstance(value, dict) and head in value:
            loc, msg, value = (*loc, head), rest, value[head]
        out.append(Problem(loc, msg, value, code))
    return out


def validation_messages(exc: ValidationError) -> list[tuple[tuple[Any, ...], str, Any]]:
    """(location, message, input) for each problem pydantic found, in plain words."""
    return [(p.loc, p.message, p.value) for p in validation_problems(exc)]
