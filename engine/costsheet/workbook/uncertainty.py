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

from ..errors import CostsheetError, Report
from ..inputs import Budget
from ..model.montecarlo import (
    KINDS,
    Distribution,
    is_interval_text,
    make_distribution,
    parse_interval,
    valid_range,
)
from ..model.scenarios import get_value, split_key
from ..units import UnitError, parse_fraction, parse_number

__all__ = [
    "COLUMNS", "UNCERTAINTY_SHEET", "UncertaintyRead", "driver_interval", "is_interval_text",
    "read_uncertainty", "uncertainties_from",
]

UNCERTAINTY_SHEET = "Uncertainty"
KEY_ROW_MAX = 10  # the key row is looked for in the first rows

#: (key, label, unit, help, kind) of each column, in sheet order.
COLUMNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("input", "Input", "key",
     "A driver key (mfu, kwh_price, ...) or an input key such as "
     "pools.h800.price_per_gpu_hour (section.name.field).", "text"),
    ("distribution", "Distribution", "",
     "fixed, uniform, triangular, pert, normal, lognormal or bernoulli.", "choice"),
    ("low", "Low", "as the input",
     "uniform, triangular, pert: the lowest value; normal, lognormal: the 5th percentile.",
     "number"),
    ("most_likely", "Most likely", "as the input",
     "triangular, pert: the most likely value; fixed: the value.", "number"),
    ("high", "High", "as the input",
     "uniform, triangular, pert: the highest value; normal, lognormal: the 95th percentile.",
     "number"),
    ("mean", "Mean", "as the input",
     "normal, lognormal: the mean (with sd, instead of low and high); bernoulli: the "
     "probability.", "number"),
    ("sd", "Std. dev.", "as the input", "normal, lognormal: the standard deviation.", "number"),
    ("note", "Note", "", "Where the range comes from.", "text"),
)
CHOICES: tuple[str, ...] = KINDS


@dataclass
class UncertaintyRead:
    """What :func:`read_uncertainty` found: ``{input key: distribution}`` and the problems."""

    uncertainties: dict[str, Distribution] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    cells: dict[str, str] = field(default_factory=dict)  # key → "Uncertainty!A7"
    present: bool = False  # the workbook has an Uncertainty sheet


def driver_interval(value: Any) -> tuple[Distribution, float] | None:
    """For a driver cell: ``'0.35 to 0.45'`` → (its 90%-interval distribution, midpoint 0.40);
    None for anything that is not range text. Raises :class:`UnitError` for a bad range."""
    if not is_interval_text(value):
        return None
    dist = parse_interval(str(value))
    lo, hi = _ends(str(value))
    return dist, (lo + hi) / 2.0


def _ends(text: str) -> tuple[float, float]:
    from ..model.montecarlo import _INTERVAL

    m = _INTERVAL.match(text)
    assert m is not None
    return (parse_number(m.group(1), allow_negative=True),
            parse_number(m.group(2), allow_negative=True))


def _canon(key: str) -> str:
    section, name, fname = split_key(key)
    return fname if section == "drivers" else f"{section}.{name}.{fname}"


def _find_key_row(rows: list[tuple[Any, ...]]) -> tuple[int, dict[str, int]] | None:
    keys = {k for k, *_ in COLUMNS}
    for r, row in enumerate(rows[:KEY_ROW_MAX], start=1):
        found = {str(v).strip().lower(): c for c, v in enumerate(row, start=1)
                 if v is not None and str(v).strip().lower() in keys}
        if "input" in found and "distribution" in found:
            return r, found
    return None


def read_uncertainty(path: Path | str, budget: Budget) -> UncertaintyRead:
    """Read the Uncertainty sheet of ``path`` (if it has one) against ``budget``.

    Never changes the file. Every bad cell is an error in ``report`` with its Sheet!Cell; a
    workbook without the sheet gives an empty result.
    """
    from openpyxl.utils import get_column_letter

    from .readonly_workbook import open_read_only

    out = UncertaintyRead(report=Report(source=str(path)))
    wb = open_read_only(Path(path), data_only=True)
    try:
        name = next((n for n in wb.sheetnames if n.strip().lower() == "uncertainty"), None)
        if name is None:
            return out
        out.present = True
        ws = wb[name]
        ws.reset_dimensions()
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    rep = out.report
    found = _find_key_row(rows)
    if found is None:
        rep.add(name, "A3", "input", None,
                "missing key row: expected the keys input, distribution, low, most_likely, "
                "high, mean, sd above the first line (copy the top rows from a new template)")
        return out
    key_row, cols = found
    seen: dict[str, str] = {}
    for r in range(key_row + 3, len(rows) + 1):  # keys, labels, units, then lines
        row = rows[r - 1]

        def raw(key: str, row: tuple[Any, ...] = row) -> Any:
            c = cols.get(key)
            if c is None or c > len(row):
                return None
            v = row[c - 1]
            return None if v is None or (isinstance(v, str) and not v.strip()) else v

        def ref(key: str, r: int = r) -> str:
            return f"{get_column_letter(cols.get(key, 1))}{r}"

        values = {k: raw(k) for k, *_ in COLUMNS if k != "note"}
        if all(v is None for v in values.values()):
            continue
        key_text, kind = values["input"], values["distribution"]
        if key_text is None:
            rep.add(name, ref("input"), "input", None, "is required")
            continue
        try:
            key = _canon(str(key_text).strip())
            rng = valid_range(key)
            if "." in key:
                get_value(budget, key)
        except CostsheetError as exc:
            rep.add(name, ref("input"), "input", key_text, exc.message)
            continue
        if key in seen:
            rep.add(name, ref("input"), "input", key_text, f"given twice (also {seen[key]})")
            continue
        if kind is None:
            rep.add(name, ref("distribution"), "distribution", None,
                    f"is required: one of {', '.join(CHOICES)}")
            continue
        fraction = rng.high <= 1.0
        params: dict[str, float] = {}
        bad = False
        for k in ("low", "most_likely", "high", "mean", "sd"):
            v = values[k]
            if v is None:
                continue
            try:
                prob = str(kind).strip().lower() == "bernoulli" and k == "mean"
                params[k] = parse_fraction(v) if (fraction or prob) else parse_number(
                    v, allow_negative=True)
            except UnitError as exc:
                rep.add(name, ref(k), k, v, str(exc))
                bad = True
        if bad:
            continue
        try:
            dist = make_distribution(
                str(kind), value=params.get("most_likely"), low=params.get("low"),
                mode=params.get("most_likely"), high=params.get("high"),
                mean=params.get("mean"), sd=params.get("sd"), p=params.get("mean"))
        except CostsheetError as exc:
            where = "distribution" if "unknown distribution" in exc.message else _blame(
                exc.message, params)
            rep.add(name, ref(where), where, values.get(where), exc.message)
            continue
        seen[key] = f"{name}!{ref('input')}"
        out.uncertainties[key] = dist
        out.cells[key] = f"{name}!{ref('input')}"
    return out


def _blame(message: str, params: Mapping[str, float]) -> str:
    """The column a distribution's complaint is about (the first one it names)."""
    for k in ("low", "mode", "high", "mean", "sd"):
        if k in message:
            return "most_likely" if k == "mode" else k
    return "distribution"


SCENARIO_RANGE_NOTE = (
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
            sh, _, c = cell.partition("!")
            sheet.report.add(sh, c, "input", key,
                             f"also given as a range in {intervals[key][1]}; keep one")
            continue
        out[key] = dist
    return out
