"""The Uncertainty sheet, and ranges typed in driver cells: the inputs of the Monte Carlo run.

The Uncertainty sheet is optional. It has the layout of the other table sheets (title, intro,
keys in row 3, labels in row 4, units in row 5, one line per row from row 6)::

    input                           distribution  low    most_likely  high   mean  sd    note
    mfu                             pert          30%    40%          45%
    pools.h800.price_per_gpu_hour   triangular    1.80   2.00         2.80
    experiment_multiplier           lognormal     0.2                 1.0

``input`` is a driver key or an input key (``section.name.field``); ``distribution`` one of fixed,
uniform, triangular, PERT, normal, lognormal, bernoulli; the parameters it needs are listed in
:func:`costsheet.model.montecarlo.make_distribution` (normal and lognormal take low and high as a
90% interval, or mean and sd). Every problem is reported with its ``Uncertainty!Cell``.

A driver's Base cell may also hold a range such as ``0.35 to 0.45``: a 90% interval
(lognormal when both ends are positive, else normal). The deterministic scenarios use its
midpoint; the Monte Carlo run draws from the interval. :func:`driver_interval` is what the
reader calls for such a cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..currencies import check_marks
from ..errors import CostsheetError, Report
from ..i18n import N_, _
from ..inputs import Budget, Drivers, UncertaintyRow, kind_of, money_fields
from ..model.montecarlo import (
    KINDS,
    Distribution,
    is_interval_text,
    make_distribution,
    parse_interval,
    valid_range,
)
from ..model.scenarios import get_value, split_key
from ..units import UnitError, parse_fraction, parse_money, parse_number
from .tables import Book, Row, TableSpec, read_table, validate_row
from .template import SHEETS

__all__ = [
    "COLUMNS", "UNCERTAINTY_SHEET", "UncertaintyRead", "driver_interval", "is_interval_text",
    "read_uncertainty", "uncertainties_from",
]

UNCERTAINTY_SHEET = "Uncertainty"
PARAMS = ("low", "most_likely", "high", "mean", "sd")


def _columns() -> tuple[tuple[str, str, str, str, str], ...]:
    out = []
    for key, info in UncertaintyRow.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out.append((key, str(extra["title_text"]), str(extra["unit"]), str(extra["help"]),
                    kind_of(info).name))
    return tuple(out)


#: (key, label, unit, help, kind) of each column, in sheet order (from
#: :class:`~costsheet.inputs.UncertaintyRow`).
COLUMNS: tuple[tuple[str, str, str, str, str], ...] = _columns()
CHOICES: tuple[str, ...] = KINDS


@dataclass
class UncertaintyRead:
    """What :func:`read_uncertainty` found: ``{input key: distribution}`` and the problems."""

    uncertainties: dict[str, Distribution] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    cells: dict[str, str] = field(default_factory=dict)  # key → "Uncertainty!A7"
    present: bool = False  # the workbook has an Uncertainty sheet


def driver_interval(value: Any, currency: str | None = None
                    ) -> tuple[Distribution, float] | None:
    """For a driver cell: ``'0.35 to 0.45'`` → (its 90%-interval distribution, midpoint 0.40);
    None for anything that is not range text. Raises :class:`UnitError` for a bad range, or
    (for an amount of money in the reporting ``currency``) a mark that means another currency."""
    if not is_interval_text(value):
        return None
    if currency is not None:
        from ..model.montecarlo import _INTERVAL

        m = _INTERVAL.match(str(value))
        for end in (m.groups()[:2] if m else ()):
            problem = mark_problem(end, currency, "reporting")
            if problem is not None:
                raise problem
    dist = parse_interval(str(value))
    lo, hi = _ends(str(value))
    return dist, (lo + hi) / 2.0


def mark_problem(value: Any, currency: str, rule: str = "line") -> UnitError | None:
    """A currency mark typed with an amount that means another currency than ``currency`` (the
    input's; ``rule`` says whose, for the message); None when there is none or it fits."""
    if not isinstance(value, str):
        return None
    try:
        mark = parse_money(value, allow_negative=True).mark
    except UnitError:
        return None
    problem = None if mark is None else check_marks({"value": mark}, currency, rule)
    return None if problem is None else UnitError(problem.message, problem.code)


def money_currency(budget: Budget, key: str) -> tuple[str, str] | None:
    """(currency, rule) of an input that is an amount of money (``kwh_price``: the reporting
    currency; ``pools.h800.price_per_gpu_hour``: the pool's), else None."""
    section, name, fname = split_key(key)
    if section == "drivers":
        return (budget.currency, "reporting") if fname in money_fields(Drivers) else None
    line = next(ln for ln in getattr(budget, section)
                if str(getattr(ln, "role" if section == "staff" else "name")).lower()
                == str(name).lower())
    if fname not in money_fields(type(line)):
        return None
    return (getattr(line, "currency", None) or budget.currency), "line"


def _ends(text: str) -> tuple[float, float]:
    from ..model.montecarlo import _INTERVAL

    m = _INTERVAL.match(text)
    assert m is not None
    return (parse_number(m.group(1), allow_negative=True),
            parse_number(m.group(2), allow_negative=True))


def _canon(key: str) -> str:
    section, name, fname = split_key(key)
    return fname if section == "drivers" else f"{section}.{name}.{fname}"


def read_uncertainty(source: Path | str | Book, budget: Budget,
                     invalid: Mapping[str, set[str]] | None = None) -> UncertaintyRead:
    """Read the Uncertainty sheet (if the workbook has one) against ``budget``.

    ``source`` is the workbook's path, or its sheets as the budget reader read them
    (``ReadResult.book``). Never changes the file. Every bad cell is an error in ``report``
    with its Sheet!Cell; a workbook without the sheet gives an empty result. ``invalid``: the
    names of lines with problems of their own, by section (``{"*"}``: the section's sheet is
    missing), which ``budget`` lacks: an input of theirs is not reported again.
    """
    if isinstance(source, Book):
        out = UncertaintyRead(report=Report(source=str(source.path)))
        book = source.reporting_to(out.report)
    else:
        out = UncertaintyRead(report=Report(source=str(source)))
        book = Book.open(Path(source), [UNCERTAINTY_SHEET], out.report)
    out.present = book.grid(UNCERTAINTY_SHEET) is not None
    table = read_table(book, TableSpec.of(SHEETS["uncertainty"])) if out.present else None
    seen: dict[str, str] = {}
    for row in table.rows if table else []:
        if "input" in row.bad or "distribution" in row.bad:
            continue
        unc = validate_row(book, UncertaintyRow, row)
        if not isinstance(unc, UncertaintyRow):
            continue
        key = _input_key(out.report, row, unc, seen, budget, invalid or {})
        if key is None:
            continue
        dist = _distribution(out.report, row, unc, key, money_currency(budget, key))
        if dist is None:
            continue
        seen[key] = row.ref("input")
        out.uncertainties[key] = dist
        out.cells[key] = row.ref("input")
    return out


def _input_key(rep: Report, row: Row, unc: UncertaintyRow, seen: dict[str, str],
               budget: Budget, invalid: Mapping[str, set[str]]) -> str | None:
    """The canonical key of the row's input (checked against the budget), or None."""
    if unc.input is None:
        rep.add(row.sheet, row.cells["input"], "input", None, _("is required"), code="required")
        return None
    try:
        key = _canon(unc.input)
        valid_range(key)
        if "." in key:
            get_value(budget, key)
    except CostsheetError as exc:
        parts = str(unc.input).split(".")
        gone = invalid.get(parts[0], set()) if len(parts) >= 3 else set()
        if "*" in gone or ".".join(parts[1:-1]).lower() in gone:
            return None  # its line (or sheet) has problems of its own, reported already
        rep.add(row.sheet, row.cells["input"], "input", row.get("input"), exc.message,
                code=exc.code)
        return None
    if key in seen:
        rep.add(row.sheet, row.cells["input"], "input", row.get("input"),
                _("given twice (also {where})").format(where=seen[key]), code="given_twice")
        return None
    return key


def _distribution(rep: Report, row: Row, unc: UncertaintyRow, key: str,
                  money: tuple[str, str] | None = None) -> Distribution | None:
    """The row's distribution, its parameters read as the input they describe (an amount of
    money: a mark typed with it must mean the input's currency, ``money``); or None."""
    kind = unc.distribution
    if kind is None:
        rep.add(row.sheet, row.cells.get("distribution", row.first), "distribution", None,
                _("is required: one of {choices}").format(choices=", ".join(CHOICES)),
                code="required")
        return None
    fraction = valid_range(key).high <= 1.0
    params: dict[str, float] = {}
    bad = False
    for k in PARAMS:
        v = getattr(unc, k)
        if v is None or k in row.bad:
            bad = bad or k in row.bad
            continue
        try:
            prob = kind.lower() == "bernoulli" and k == "mean"
            problem = None if money is None or k == "sd" else mark_problem(v, *money)
            if problem is not None:
                raise problem
            params[k] = parse_fraction(v) if (fraction or prob) else parse_number(
                v, allow_negative=True)
        except UnitError as exc:
            rep.add(row.sheet, row.cells[k], k, v, str(exc), code=exc.code)
            bad = True
    if bad:
        return None
    try:
        return make_distribution(
            kind, value=params.get("most_likely"), low=params.get("low"),
            mode=params.get("most_likely"), high=params.get("high"), mean=params.get("mean"),
            sd=params.get("sd"), p=params.get("mean"))
    except CostsheetError as exc:
        where = {"mode": "most_likely"}.get(exc.key or "", exc.key or "distribution")
        rep.add(row.sheet, row.cells.get(where, row.first), where, row.get(where),
                exc.message, code=exc.code)
        return None


SCENARIO_RANGE_NOTE = N_(  # English; translated where it is shown
    "No Uncertainty rows or driver ranges were given, so every input that the scenarios move is "
    "drawn between its lowest and highest scenario value (triangular, most likely at Base).")


def scenario_uncertainties(budget: Budget) -> dict[str, Distribution]:
    """The default when a workbook states no uncertainty of its own.

    Every numeric input that some scenario overrides (a driver such as ``mfu`` or an input key
    such as ``pools.h800.price_per_gpu_hour``) becomes triangular(lowest, Base, highest) over
    Base and the scenarios' values; an input every scenario leaves at Base stays fixed.
    """
    values: dict[str, list[float]] = {}
    for overrides in budget.scenarios.values():
        for key, value in overrides.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.setdefault(key, []).append(float(value))
    out: dict[str, Distribution] = {}
    for key, seen in values.items():
        base = get_value(budget, key)
        if not isinstance(base, (int, float)) or isinstance(base, bool):
            continue  # an input that is blank in Base has no "most likely" value
        low, high = min(*seen, float(base)), max(*seen, float(base))
        if low < high:
            out[key] = Distribution.triangular(low, float(base), high)
    return out


def uncertainties_from(
    intervals: Mapping[str, tuple[str, str]], sheet: UncertaintyRead
) -> dict[str, Distribution]:
    """Driver ranges (``{key: (text, cell)}``) and Uncertainty rows together; a key given in
    both is an error at its Uncertainty cell (added to ``sheet.report``)."""
    out: dict[str, Distribution] = {}
    for key, (text, _cell) in intervals.items():
        out[key] = parse_interval(text)
    for key, dist in sheet.uncertainties.items():
        if key in out:
            cell = sheet.cells[key]
            sh, _sep, c = cell.partition("!")
            sheet.report.add(sh, c, "input", key,
                             _("also given as a range in {where}; keep one").format(
                                 where=intervals[key][1]))
            continue
        out[key] = dist
    return out
