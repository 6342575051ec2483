"""Flags → inputs: one training run described by a few arguments, as the pydantic inputs.

``costsheet estimate`` and ``costsheet solve`` (and :func:`costsheet.estimate`) describe a budget
with the same arguments: ``params``, ``tokens``, ``gpu``, ``gpu_count``, ``mfu``, ``price``,
``own``, ``gpu_price``, ... This module is the one translation from those values, as typed
(``'70B'``, ``'40%'``) or already numbers, to :class:`~costsheet.inputs.Drivers`, one
:class:`~costsheet.inputs.GpuPool`, one final :class:`~costsheet.inputs.TrainingRun` and, when
``staff`` and ``staff_salary`` are given, one :class:`~costsheet.inputs.StaffLine`.

Every problem is collected in one :class:`~costsheet.errors.Report`, named by the argument it
concerns (``gpu_price``, ``life_years``); the command line shows that name as its flag
(``--gpu-price``), see :func:`argument_for`. Nothing here knows click or spells a flag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .catalog import Catalog, GpuSpec, default_catalog
from .currencies import check_marks
from .errors import InputError, Report
from .i18n import _
from .inputs import Budget, Drivers, GpuPool, StaffLine, TrainingRun, validation_messages
from .model.chinchilla import TOKENS_PER_PARAM
from .model.solve import ComputeOptimalAnswer, biggest_run
from .units import UnitError, parse_count, parse_fraction, parse_money, parse_number

FLAG_POOL = "cluster"  # the pool of a budget described by flags (`costsheet solve`)
FLAG_RUN = "run"  # its final run

NUMBER_ARGS = ("params", "active_params", "tokens", "flops", "gpu_hours", "price", "gpu_price",
               "life_years", "term_months", "power_w", "pue", "kwh_price", "carbon",
               "server_premium", "experiments", "experiments_total", "staff", "staff_salary",
               "staff_months", "prompt_tokens", "generated_tokens", "teacher_params",
               "reward_model_params")
COUNT_ARGS = ("gpu_count", "prompts", "samples_per_prompt", "layers", "hidden_size", "seq_len")
FRACTION_ARGS = ("mfu", "networking_share", "decode_mfu")  # 0.19 or 19%; a bare 19 is refused
#: amounts of money: a currency mark typed with one must mean the arguments' currency
MONEY_ARGS = ("price", "gpu_price", "kwh_price", "staff_salary")
RUN_SIZE_ARGS = ("params", "tokens", "flops", "gpu_hours")  # any of them: there is a run
#: the run's training stage and what a stage other than pre-training takes (docs/model.md)
STAGE_ARGS = ("stage", "prompts", "samples_per_prompt", "prompt_tokens", "generated_tokens",
              "teacher_params", "reward_model_params", "decode_mfu", "layers", "hidden_size",
              "seq_len")

#: input field → the argument that sets it, per section of a budget described by arguments
DRIVER_ARGS: dict[str, str] = {
    "mfu": "mfu", "pue": "pue", "kwh_price": "kwh_price", "grid_kg_co2_per_kwh": "carbon",
    "depreciation_life_years": "life_years", "currency": "currency",
    "price_basis": "price_basis", "server_premium": "server_premium",
    "networking_share": "networking_share", "experiment_multiplier": "experiments",
    "experiments_total_multiple": "experiments_total",
}
POOL_ARGS: dict[str, str] = {
    "gpu_type": "gpu", "gpu_count": "gpu_count", "ownership": "own",
    "price_per_gpu_hour": "price", "purchase_price_per_gpu": "gpu_price",
    "term_months": "term_months", "power_w": "power_w", "currency": "currency",
}
RUN_ARGS: dict[str, str] = {
    "params": "params", "active_params": "active_params", "tokens": "tokens", "flops": "flops",
    "gpu_hours": "gpu_hours", "precision": "precision", **{a: a for a in STAGE_ARGS},
}
STAFF_ARGS: dict[str, str] = {
    "headcount": "staff", "annual_salary": "staff_salary", "months": "staff_months",
}
FLAG_STAFF = "staff"  # the role of the staff line arguments describe
_SECTION_ARGS = {"drivers": DRIVER_ARGS, "pools": POOL_ARGS, "runs": RUN_ARGS,
                 "staff": STAFF_ARGS}


def argument_for(key: str) -> str | None:
    """The argument that sets input ``key`` of a budget described by arguments, or None.

    ``drivers.grid_kg_co2_per_kwh`` → ``carbon``, ``pools.<pool>.price_per_gpu_hour`` →
    ``price``, ``runs.<run>.tokens`` → ``tokens``, ``staff.<role>.annual_salary`` →
    ``staff_salary``. Such a budget has one pool, one run and at most one staff line, so their
    names do not matter; a key of a whole line (``runs.<run>``) has no one argument.
    """
    section, _, rest = key.partition(".")
    field = rest.rpartition(".")[2] if section != "drivers" else rest
    if section not in _SECTION_ARGS or not field or (section != "drivers" and "." not in rest):
        return None
    return _SECTION_ARGS[section].get(field)


def _parser(name: str) -> Callable[[Any], Any] | None:
    if name in NUMBER_ARGS:
        return parse_number
    if name in COUNT_ARGS:
        return parse_count
    if name in FRACTION_ARGS:
        return parse_fraction
    return None


def parse_arguments(raw: Mapping[str, Any], report: Report,
                    currency: str | None = "USD") -> dict[str, Any]:
    """Numbers, counts and fractions as people type them → numbers; blanks → None.

    A value that does not parse is reported under its argument's name and left out (None), so
    that it is not reported twice. An amount of money (:data:`MONEY_ARGS`) typed with a currency
    mark that means another ``currency`` than the arguments' is refused the same way (``€2`` is
    never read as $2). Other arguments are passed through as given.
    """
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            out[name] = None
            continue
        if name in MONEY_ARGS:
            out[name] = _money(name, value, currency or "USD", report)
            continue
        parser = _parser(name)
        if parser is None:
            out[name] = value
            continue
        try:
            out[name] = parser(value)
        except UnitError as exc:
            out[name] = None
            report.add("", "", name, value, str(exc))
    return out


def _money(name: str, value: Any, currency: str, report: Report) -> float | None:
    """An amount of money in ``currency``, or None (reported)."""
    try:
        money = parse_money(value)
    except UnitError as exc:
        report.add("", "", name, value, str(exc), code=exc.code)
        return None
    problem = None if money.mark is None else check_marks({name: money.mark}, currency.upper(),
                                                          "arguments")
    if problem is not None:
        report.add("", "", name, value, problem.message, code=problem.code)
        return None
    return money.amount


def find_gpu(gpu: str | None, catalog: Catalog, report: Report) -> GpuSpec | None:
    """The catalog entry for ``gpu`` (None when not given, or unknown: then reported)."""
    if not gpu:
        return None
    try:
        return catalog.get(gpu)
    except InputError as exc:
        report.add("", "", "gpu", gpu, exc.message)
        return None


@dataclass
class FlagInputs:
    """The inputs that arguments describe: drivers, one pool, one (final) run, staff lines."""

    drivers: Drivers
    pool: GpuPool
    run: TrainingRun
    staff: list[StaffLine] = field(default_factory=list)

    def budget(self, *, with_run: bool = True) -> Budget:
        return Budget(drivers=self.drivers, pools=[self.pool],
                      runs=[self.run] if with_run else [], staff=self.staff)


def build_inputs(
    v: Mapping[str, Any],
    spec: GpuSpec | None,
    report: Report,
    *,
    own: bool = False,
    precision: str = "bf16",
    currency: str | None = "USD",
    pool_name: str = FLAG_POOL,
) -> FlagInputs | None:
    """Drivers, pool and run from parsed arguments ``v`` (see :func:`parse_arguments`).

    Problems are added to ``report`` under the argument's name; None when there are any.
    """
    _check_pairs(v, report)
    drivers = _build(Drivers, {
        "mfu": v.get("mfu"), "pue": v.get("pue"), "kwh_price": v.get("kwh_price"),
        "grid_kg_co2_per_kwh": v.get("carbon"),
        "depreciation_life_years": v.get("life_years"), "currency": currency,
        "price_basis": v.get("price_basis"), "server_premium": v.get("server_premium"),
        "networking_share": v.get("networking_share"),
        "experiment_multiplier": v.get("experiments"),
        "experiments_total_multiple": v.get("experiments_total"),
    }, report, DRIVER_ARGS)
    pool = _build(GpuPool, {
        "name": pool_name, "gpu_type": spec.key if spec else None,
        "gpu_count": v.get("gpu_count"), "ownership": "own" if own else "rent",
        "price_per_gpu_hour": v.get("price"), "purchase_price_per_gpu": v.get("gpu_price"),
        "term_months": v.get("term_months"), "power_w": v.get("power_w"),
        "currency": drivers.currency if drivers is not None else None,
    }, report, POOL_ARGS)
    run = _build(TrainingRun, {
        "name": FLAG_RUN, "pool": pool_name, "params": v.get("params"),
        "active_params": v.get("active_params"), "tokens": v.get("tokens"),
        "flops": v.get("flops"), "gpu_hours": v.get("gpu_hours"), "precision": precision,
        **{a: v.get(a) for a in STAGE_ARGS},
    }, report, RUN_ARGS)
    staff = _staff_lines(v, report)
    if drivers is None or pool is None or run is None or staff is None:
        return None
    return FlagInputs(drivers, pool, run, staff)


def _check_pairs(v: Mapping[str, Any], report: Report) -> None:
    """Arguments that go together, or not at all: experiments one way; staff with a salary."""
    if v.get("experiments") is not None and v.get("experiments_total") is not None:
        report.add("", "", "experiments_total", v["experiments_total"],
                   _("give the experiments either as a total multiple (all GPU-hours ÷ the final "
                     "run's, Epoch AI's way) or as the extra multiple (extra GPU-hours ÷ the "
                     "final run's), not both"))
    failed = {e.field for e in report.errors}  # given, but reported already
    if (v.get("staff") is None) != (v.get("staff_salary") is None):
        lacking = "staff" if v.get("staff") is None else "staff_salary"
        if lacking not in failed:
            report.add("", "", lacking, None,
                       _("is needed too: a staff line takes a headcount and an annual salary"))
    elif v.get("staff") is None and v.get("staff_months") is not None:
        report.add("", "", "staff_months", v["staff_months"],
                   _("is for a staff line: give staff and staff_salary too"))


def _staff_lines(v: Mapping[str, Any], report: Report) -> list[StaffLine] | None:
    """The one staff line ``staff`` people at ``staff_salary`` a year describe ([] without)."""
    if v.get("staff") is None or v.get("staff_salary") is None:
        return []
    line = _build(StaffLine, {
        "role": FLAG_STAFF, "headcount": v["staff"], "annual_salary": v["staff_salary"],
        "months": v.get("staff_months"),
    }, report, STAFF_ARGS)
    return None if line is None else [line]


def _build(model: type[BaseModel], values: dict[str, Any], report: Report,
           names: dict[str, str]) -> Any:
    try:
        return model(**{k: x for k, x in values.items() if x is not None})
    except ValidationError as exc:
        for loc, msg, value in validation_messages(exc):
            name = str(loc[0]) if loc else ""
            if not name and ":" in msg:  # a check across fields names its field first
                field_name, _, rest = msg.partition(":")
                if field_name.strip() in names:
                    name, msg = field_name.strip(), rest.strip()
            report.add("", "", names.get(name, name), value, msg)
        return None


def flag_budget(
    *,
    params: Any = None,
    active_params: Any = None,
    tokens: Any = None,
    flops: Any = None,
    gpu_hours: Any = None,
    gpu: str | None = None,
    gpu_count: Any = None,
    mfu: Any = None,
    price: Any = None,
    own: bool = False,
    gpu_price: Any = None,
    life_years: Any = None,
    term_months: Any = None,
    power_w: Any = None,
    pue: Any = None,
    kwh_price: Any = None,
    currency: str = "USD",
    precision: str = "bf16",
    catalog: Catalog | None = None,
    report: Report | None = None,
    **stage: Any,
) -> Budget:
    """A one-pool (``cluster``), one-final-run (``run``) budget from arguments as typed.

    ``stage`` holds the run's stage and its inputs (:data:`STAGE_ARGS`: ``stage="rl"``,
    ``prompts``, ``generated_tokens``, ...). The run is left out when none of ``params``,
    ``tokens``, ``flops``, ``gpu_hours`` is given. Every problem is reported at once (added to
    ``report`` when given), named by its argument.
    """
    report = report if report is not None else Report(source="arguments")
    unknown = sorted(set(stage) - set(STAGE_ARGS))
    if unknown:
        raise TypeError(f"flag_budget() got unexpected arguments: {', '.join(unknown)}")
    raw = dict(params=params, active_params=active_params, tokens=tokens, flops=flops,
               gpu_count=gpu_count, mfu=mfu, gpu_hours=gpu_hours, price=price,
               gpu_price=gpu_price, life_years=life_years, term_months=term_months,
               power_w=power_w, pue=pue, kwh_price=kwh_price, **stage)
    v = parse_arguments(raw, report, currency)
    spec = find_gpu(gpu, catalog or default_catalog(), report)
    inputs = build_inputs(v, spec, report, own=own, precision=precision, currency=currency)
    report.raise_if_errors()
    assert inputs is not None
    has_run = any(raw[k] not in (None, "") for k in RUN_SIZE_ARGS)
    return inputs.budget(with_run=has_run)


def biggest_run_from_arguments(
    money: Any,
    *,
    mfu: Any = None,
    precision: str | None = None,
    tokens_per_param: float = TOKENS_PER_PARAM,
    catalog: Catalog | None = None,
    **arguments: Any,
) -> ComputeOptimalAnswer:
    """:func:`~costsheet.model.solve.biggest_run` on the pool that ``arguments`` describe
    (``gpu``, ``price``, ``own``, ``gpu_price``, ``gpu_count``, ... as for
    :func:`flag_budget`). Problems with ``money`` and the arguments are reported together."""
    report = Report(source="arguments")
    if money is None or (isinstance(money, str) and not money.strip()):
        report.add("", "", "money", money, _("is required"))
    else:
        try:
            parse_number(money)
        except UnitError as exc:
            report.add("", "", "money", money, str(exc))
    budget = flag_budget(mfu=mfu, precision=precision or "bf16", catalog=catalog, report=report,
                         **arguments)
    return biggest_run(money, budget, pool=FLAG_POOL, mfu=mfu, precision=precision,
                       tokens_per_param=tokens_per_param, catalog=catalog)


__all__ = [
    "COUNT_ARGS", "DRIVER_ARGS", "FLAG_POOL", "FLAG_RUN", "FLAG_STAFF", "FRACTION_ARGS",
    "FlagInputs", "MONEY_ARGS", "NUMBER_ARGS", "POOL_ARGS", "RUN_ARGS", "STAFF_ARGS",
    "STAGE_ARGS", "argument_for",
    "biggest_run_from_arguments", "build_inputs", "find_gpu", "flag_budget", "parse_arguments",
]
