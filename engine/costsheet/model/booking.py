"""How each actual is booked against the budget: checked, then set against a line, a family, the
lines of a pool or run (split pro rata), or the reserve.

Pure functions over the actuals (:class:`~costsheet.inputs.ActualLine`), converted to the
reporting currency elsewhere (:mod:`costsheet.model.variance`), and a scenario's
:class:`~costsheet.model.timeline.Timeline`.

The rules (``docs/monthly-refresh.md`` says the same to users):

- *Checked first, all problems at once* (:func:`check_actuals`): a currency mark typed with an
  amount must mean the row's currency (a blank Currency cell takes the currency the mark means,
  by the documented rule of :mod:`costsheet.currencies`); the month must be one of the budget's
  months; a row needs a family unless its *Line item* names a budget line, a pool or a run.
- *A line*: a *Line item* that names a budget line (as the Line items sheet writes it, any case)
  is set against that line (its family when the row's is blank).
- *A pool or a run*: a *Line item* that names a GPU pool (or a training run) is split across the
  lines that pool (or run) carries in the budget, in proportion to their budgeted amounts in the
  row's month (only the lines of the row's family, when it names one). A month in which they
  have no budget splits by their budget over all months, and the split says so. One invoice for
  a reserved pool thus lands on the final run, the sweeps, the interruptions and the idle
  capacity as the budget planned them, and the variance of each is what was really spent
  differently.
- *The reserve*: a *Line item* that names an expected-value line (``Restart risk (expected):
  main``), or just ``reserve`` or ``contingency``, is paid from the reserve, not from the cash
  plan (the latter goes to the reserve whose run ends first).
- Otherwise the row counts against its family.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError, Report, closest
from ..i18n import N_, _
from ..inputs import FAMILY_LABELS, ActualLine, with_marked_currency
from ..units import UnitError
from .labels import canonical_item
from .timeline import Horizon, ReserveLine, Timeline

__all__ = ["RESERVE_WORDS", "ActualProblem", "ActualsError", "Booked", "ConvertedActual",
           "Split", "SplitPart", "book_actuals", "check_actuals"]

#: words a *Line item* may use for "paid from the reserve" (and the word in the run's language)
RESERVE_WORDS = ("reserve", "contingency")
#: what a *Line item* can name besides a line, in words
GROUP_WORDS = {"pool": N_("pool"), "run": N_("run")}


@dataclass(frozen=True)
class ActualProblem:
    """An actual that cannot be used: its row (``index``; None for an FX rate), the field at
    fault, the value, a message for a finance reader and a code. ``month``: an FX problem's."""

    index: int | None
    field: str
    value: Any
    message: str
    code: str = "invalid_value"
    month: str | None = None

    @property
    def currency(self) -> str:
        """The currency an FX problem is about (its value)."""
        return str(self.value)


class ActualsError(InputError):
    """Actuals that cannot be used, all at once; ``problems`` say which rows (by index).

    The workbook layer places each problem at its Actuals (or FX) cell; the report holds one
    entry per problem, field ``actuals[<index>].<field>``.
    """

    def __init__(self, problems: Sequence[ActualProblem], hint: str | None = None):
        report = Report()
        for p in problems:
            where = "" if p.index is None else f"actuals[{p.index}]."
            report.add("", "", f"{where}{p.field}", p.value, p.message, code=p.code)
        first = problems[0].message
        more = _(" (and {n} more)").format(n=len(problems) - 1) if len(problems) > 1 else ""
        super().__init__(f"{first}{more}", hint=hint or _("fix these rows of the actuals"),
                         report=report, code=problems[0].code)
        self.problems = list(problems)


@dataclass(frozen=True)
class ConvertedActual:
    """An actual in the reporting currency at actual rates and at budget rates."""

    index: int
    month: str
    family: str | None
    item: str | None
    amount: float  # at actual rates
    at_budget_rates: float
    currency: str
    note: str | None

    @property
    def fx_effect(self) -> float:
        return self.amount - self.at_budget_rates


# ---------------------------------------------------------------------------------------------
# checks


def check_actuals(rows: Sequence[ActualLine], reporting: str, fx_currencies: Collection[str],
                  horizon: Horizon) -> tuple[list[ActualLine], list[ActualProblem]]:
    """The rows with the currencies their marks mean, and every problem of marks and months."""
    out: list[ActualLine] = []
    problems: list[ActualProblem] = []
    for i, row in enumerate(rows):
        try:
            row = with_marked_currency(row, reporting, fx_currencies)
        except UnitError as exc:
            name, _sep, message = str(exc).partition(": ")
            problems.append(ActualProblem(i, name, getattr(row, name, None), message, exc.code))
        if row.month not in horizon:
            problems.append(ActualProblem(
                i, "month", row.month,
                _("{month} is not one of the budget's months ({start} to {end}): check the "
                  "year, or move the budget's Start month (Drivers) if the cost is real").format(
                    month=row.month, start=horizon.start, end=horizon.end),
                "month_outside_budget"))
        out.append(row)
    return out, problems


# ---------------------------------------------------------------------------------------------
# booking


@dataclass(frozen=True)
class SplitPart:
    """One budget line's share of a split actual."""

    family: str
    item: str
    share: float
    amount: float


@dataclass(frozen=True)
class Split:
    """An actual booked under a pool's or run's name, split across its lines."""

    index: int
    month: str
    group: str  # the pool or run named
    what: str  # "pool" or "run"
    amount: float
    parts: list[SplitPart]
    by_all_months: bool  # nothing budgeted in the row's month: split by all months' budget

    @property
    def basis(self) -> str:
        """``by the pool's budget in 2026-02`` (or over all months, saying why)."""
        if self.what == "run":
            if self.by_all_months:
                return _("by the run's budget over all months (it has none in {month})").format(
                    month=self.month)
            return _("by the run's budget in {month}").format(month=self.month)
        if self.by_all_months:
            return _("by the pool's budget over all months (it has none in {month})").format(
                month=self.month)
        return _("by the pool's budget in {month}").format(month=self.month)


@dataclass
class Booked:
    """Actuals set against the budget: ``cash`` (each with the family and line it counts for),
    the ``reserve`` uses (by reserve line item), the ``splits`` made, and the line names that
    match nothing (compared against 0)."""

    cash: list[ConvertedActual] = field(default_factory=list)
    reserve: dict[str, list[ConvertedActual]] = field(default_factory=dict)
    splits: list[Split] = field(default_factory=list)
    problems: list[ActualProblem] = field(default_factory=list)


class _Names:
    """What a *Line item* can name: a line, a pool, a run, a reserve line."""

    def __init__(self, tl: Timeline, pools: Collection[str], runs: Collection[str]):
        self.lines: dict[str, tuple[str, str]] = {}  # casefold item → (family, item)
        self.pools: dict[str, str] = {_key(p): p for p in pools}
        self.runs: dict[str, str] = {_key(r): r for r in runs}
        for e in [*tl.entries, *tl.outside]:
            self.lines.setdefault(_item_key(e.item), (e.family, e.item))
            if e.pool:
                self.pools.setdefault(_key(e.pool), e.pool)
            if e.run:
                self.runs.setdefault(_key(e.run), e.run)
        self.reserve: dict[str, ReserveLine] = {_item_key(r.item.item): r for r in tl.reserve}

    def all(self) -> list[str]:
        return [*(item for _, item in self.lines.values()), *self.pools.values(),
                *self.runs.values()]


def _key(text: str) -> str:
    return text.strip().casefold()


def _item_key(text: str) -> str:
    """A line's name as a key, whatever its language (``采购：x`` is ``Purchase: x``)."""
    return canonical_item(text).casefold()


def book_actuals(converted: Sequence[ConvertedActual], tl: Timeline, counted: Collection[int],
                 pools: Collection[str] = (), runs: Collection[str] = ()) -> Booked:
    """Set each actual against the budget (the module's rules). ``counted``: the indexes of the
    actuals up to the as-of month (the others are only checked); ``pools``, ``runs``: the
    budget's, which a *Line item* may name (those the timeline's lines carry are known too)."""
    names = _Names(tl, pools, runs)
    budgets = _group_budgets(tl)
    out = Booked()
    first_reserve = sorted(tl.reserve, key=lambda r: (r.end, r.item.item))
    for a in converted:
        target = _target(a, names, out.problems)
        if target is None or a.index not in counted:
            continue
        what, name = target
        if what == "reserve":
            item = name or (first_reserve[0].item.item if first_reserve else "")
            out.reserve.setdefault(item, []).append(a)
        elif what in ("pool", "run"):
            split = _split(a, what, name, budgets, out.problems)
            if split is not None:
                out.splits.append(split)
                out.cash.extend(_parts(a, split))
        elif what == "line":
            out.cash.append(replace(a, family=name[0], item=name[1]))
        else:
            out.cash.append(a)
    return out


def _target(a: ConvertedActual, names: _Names, problems: list[ActualProblem]) -> Any:
    """What an actual is set against: ``("line", (family, item))``, ``("pool", name)``,
    ``("run", name)``, ``("reserve", item or "")``, ``("family", None)``; None (a problem)."""
    item = a.item.strip() if a.item else ""
    k, line_key = _key(item), _item_key(item)
    if item and line_key in names.reserve:
        return "reserve", names.reserve[line_key].item.item
    if item and (k in RESERVE_WORDS or k == _key(_("reserve"))) and names.reserve:
        return "reserve", ""
    if item and line_key in names.lines:
        family, line = names.lines[line_key]
        return "line", (a.family or family, line)
    if item and k in names.pools:
        return "pool", names.pools[k]
    if item and k in names.runs:
        return "run", names.runs[k]
    if a.family is not None:
        return "family", None
    near = closest(item, names.all()) if item else None
    if item and near:
        message = _("names no budget line, pool or run: did you mean {near}? Fill the Family "
                    "cell to count it against a family").format(near=near)
        problems.append(ActualProblem(a.index, "item", item, message, "unknown_line"))
    elif item:
        problems.append(ActualProblem(
            a.index, "item", item, _("names no budget line, pool or run: fill the Family cell "
                                     "to count it against a family"), "unknown_line"))
    else:
        problems.append(ActualProblem(
            a.index, "family", None, _("is required: name the family, or name a budget line, "
                                       "pool or run in Line item"), "required"))
    return None


_Budgets = dict[tuple[str, str, str], dict[tuple[str, str], float]]


def _group_budgets(tl: Timeline) -> _Budgets:
    """(pool or run, its name, month or "") → (family, item) → budget; "" is all months."""
    out: _Budgets = defaultdict(lambda: defaultdict(float))
    for e in tl.entries:
        for what, name in (("pool", e.pool), ("run", e.run)):
            if name:
                out[(what, name, e.month)][(e.family, e.item)] += e.amount
                out[(what, name, "")][(e.family, e.item)] += e.amount
    return out


def _split(a: ConvertedActual, what: str, name: str, budgets: _Budgets,
           problems: list[ActualProblem]) -> Split | None:
    """``a`` split across the lines of pool or run ``name`` (of ``a.family`` when given)."""
    for month, by_all in ((a.month, False), ("", True)):
        lines = {k: v for k, v in budgets.get((what, name, month), {}).items()
                 if (a.family is None or k[0] == a.family) and v > 0}
        total = math.fsum(lines.values())
        if total > 0:
            parts = [SplitPart(f, item, v / total, a.amount * v / total)
                     for (f, item), v in lines.items()]
            return Split(a.index, a.month, name, what, a.amount, parts, by_all)
    if a.family:
        message = _("names {what} {name}, which has nothing budgeted for {family} to split it "
                    "across: name a line or a family instead").format(
            what=_(GROUP_WORDS[what]), name=name, family=FAMILY_LABELS[a.family])
    else:
        message = _("names {what} {name}, which has nothing budgeted to split it across: name "
                    "a line or a family instead").format(what=_(GROUP_WORDS[what]), name=name)
    problems.append(ActualProblem(a.index, "item", a.item, message, "nothing_to_split"))
    return None


def _parts(a: ConvertedActual, split: Split) -> list[ConvertedActual]:
    return [replace(a, family=p.family, item=p.item, amount=a.amount * p.share,
                    at_budget_rates=a.at_budget_rates * p.share) for p in split.parts]
