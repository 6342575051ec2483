"""Budget against actuals: per month and family, year to date, latest estimate, lines that moved.

Pure functions; the Actuals and FX sheets are read elsewhere.

Words and signs:

- *budget* is the scenario's timeline (cash view by default) in the reporting currency, every
  line converted at the budget rates (``Budget.fx_rates``).
- *actual* is what was booked, converted at the actual rates (one per currency, or one per
  currency and month).
- months up to the *as-of* month (default: the latest month with actuals) are actual, later months
  forecast.
- ``variance = actual − budget`` (positive: spent more than planned); ``variance % = variance /
  budget`` (blank when the budget is 0).
- the variance splits in two: ``fx_effect = actual − actual at budget rates`` (what the exchange
  rates moved) and ``real_variance = actual at budget rates − budget`` (what was really spent
  differently). They add up to the variance.
- *latest estimate* = actuals to date + budget of the months after the as-of month; it is set
  against the *full budget* (every month of the horizon).
- every actual is checked and booked first (:mod:`costsheet.model.booking`): a month outside
  the budget's months, a currency mark that contradicts the row, a row that names nothing are
  refused, all at once (:class:`ActualsError`); a row naming a pool or run is split across its
  lines; a row naming the reserve is paid from it.
- *the reserve* (expected-value lines such as the restart risk of a final run) is not cash: it
  is kept out of the months and out of the variance, and shown beside them. Actuals booked
  against it use it; once the run it covers has ended (its last month is closed) the rest is
  *released*; until then it is *not yet used*. The latest estimate is given without the reserve
  (per family) and with it (``total``: the reserve used and not yet used added), against the
  full budget with the whole reserve.
- a closed month with budget but no actuals for a family is a warning: the variance counts
  that budget as not spent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ..catalog import Catalog
from ..currencies import no_rate_message
from ..errors import InputError, closest, got_text
from ..i18n import N_, _, ngettext
from ..inputs import FAMILIES, FAMILY_LABELS, Budget
from ..inputs import ActualLine as ActualLine  # moved to inputs; still importable from here
from ..units import format_money
from .booking import (
    ActualProblem,
    ActualsError,
    Booked,
    ConvertedActual,
    Split,
    book_actuals,
    check_actuals,
)
from .labels import canonical_item
from .timeline import Horizon, HorizonSpec, Timeline, as_month, build_timeline, month_index

if TYPE_CHECKING:
    import pandas as pd


# ---------------------------------------------------------------------------------------------
# exchange rates


#: a currency that cannot be converted is one of the actuals' problems (names kept for callers)
FxProblem = ActualProblem
FxError = ActualsError


class FxRates:
    """Rates to the reporting currency: one per currency, and/or one per currency and month.

    ``rates`` maps a currency to a rate, or to ``{month: rate}``; a ``None`` month key is the
    currency's default for months without their own rate. The reporting currency is always 1.
    """

    def __init__(self, reporting: str, rates: Mapping[str, Any] | None = None):
        self.reporting = reporting.upper()
        self._rates: dict[str, dict[str | None, float]] = {}
        for cur, value in (rates or {}).items():
            if isinstance(value, Mapping):
                for mo, rate in value.items():
                    self.add(cur, mo, rate)
            else:
                self.add(cur, None, value)

    def add(self, currency: str, month: str | None, rate: float) -> None:
        mo = None if month is None else as_month(
            month, _("FX rate month for {currency}").format(currency=currency))
        rate = float(rate)
        if not rate > 0 or not math.isfinite(rate):
            raise InputError(_("FX rate for {currency}: must be a positive number").format(
                currency=currency) + got_text(rate))
        self._rates.setdefault(currency.upper(), {})[mo] = rate

    @classmethod
    def from_rows(cls, reporting: str,
                  rows: Iterable[tuple[str, str | None, float]]) -> FxRates:
        """From (currency, month or None, rate) rows, as an FX sheet lists them."""
        out = cls(reporting)
        for cur, mo, rate in rows:
            out.add(cur, mo, rate)
        return out

    @property
    def currencies(self) -> list[str]:
        return sorted({self.reporting, *self._rates})

    def months(self) -> list[tuple[str, str]]:
        """(currency, month) of every monthly rate."""
        return [(cur, mo) for cur, by_month in sorted(self._rates.items())
                for mo in sorted(m for m in by_month if m is not None)]

    def knows(self, currency: str) -> bool:
        return currency.upper() == self.reporting or currency.upper() in self._rates

    def lookup(self, currency: str, month: str | None = None) -> float | None:
        cur = currency.upper()
        if cur == self.reporting:
            return 1.0
        by_month = self._rates.get(cur)
        if by_month is None:
            return None
        if month is not None and month in by_month:
            return by_month[month]
        return by_month.get(None)

    def rate(self, currency: str, month: str | None = None) -> float:
        """The rate, or FxError naming the currency (and month) when there is none."""
        out = self.lookup(currency, month)
        if out is None:
            raise ActualsError([ActualProblem(None, "currency", currency,
                                              self.missing(currency, month), "no_fx_rate",
                                              month)], hint=_("add the rate on the FX sheet"))
        return out

    def missing(self, currency: str, month: str | None, what: str = "") -> str:
        """Why there is no rate; ``what`` is ``actual``, ``budget`` or empty."""
        if not self.knows(currency):
            text = {"actual": _("unknown currency {currency}: no actual rate to {reporting} "
                                "(known: {known})"),
                    "budget": _("unknown currency {currency}: no budget rate to {reporting} "
                                "(known: {known})")}.get(
                what, _("unknown currency {currency}: no rate to {reporting} (known: {known})"))
            return text.format(currency=currency, reporting=self.reporting,
                               known=", ".join(self.currencies))
        text = {"actual": _("no actual rate for {currency} in {month}"),
                "budget": _("no budget rate for {currency} in {month}")}.get(
            what, _("no rate for {currency} in {month}"))
        return text.format(currency=currency, month=month)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cur, by_month in sorted(self._rates.items()):
            if set(by_month) == {None}:
                out[cur] = by_month[None]
            else:
                out[cur] = {("default" if k is None else k): v
                            for k, v in sorted(by_month.items(), key=lambda kv: kv[0] or "")}
        return out


# ---------------------------------------------------------------------------------------------
# conversion of actuals


def _rate_problem(i: int, a: ActualLine, cur: str, fx: FxRates, what: str) -> ActualProblem:
    """No rate for an actual's currency: at its Currency cell, or at its amount when the
    currency came from the mark typed with the amount."""
    code = "unknown_currency" if not fx.knows(cur) else "no_month_rate"
    mark = a.currency_mark
    if mark is None:
        return ActualProblem(i, "currency", cur, fx.missing(cur, a.month, what), code, a.month)
    message = (no_rate_message(mark, cur, fx.reporting) if not fx.knows(cur)
               else fx.missing(cur, a.month, what))
    return ActualProblem(i, "amount", a.amount, message, code, a.month)


def convert_actuals(
    actuals: Sequence[ActualLine], budget_fx: FxRates, actual_fx: FxRates
) -> list[ConvertedActual]:
    """Each actual at its month's actual rate and at the budget rate; all problems at once."""
    out, problems = _convert(actuals, budget_fx, actual_fx)
    if problems:
        raise ActualsError(problems, hint=_("add the rate on the FX sheet"))
    return out


def _convert(actuals: Sequence[ActualLine], budget_fx: FxRates, actual_fx: FxRates
             ) -> tuple[list[ConvertedActual], list[ActualProblem]]:
    out: list[ConvertedActual] = []
    problems: list[ActualProblem] = []
    for i, a in enumerate(actuals):
        cur = (a.currency or budget_fx.reporting).upper()
        r_actual = actual_fx.lookup(cur, a.month)
        r_budget = budget_fx.lookup(cur, a.month)
        for rate, fx, what in ((r_actual, actual_fx, "actual"), (r_budget, budget_fx, "budget")):
            if rate is None:
                problems.append(_rate_problem(i, a, cur, fx, what))
                break
        else:
            assert r_actual is not None and r_budget is not None
            out.append(ConvertedActual(i, a.month, a.family, a.item, a.amount * r_actual,
                                       a.amount * r_budget, cur, a.note))
    return out, problems


# ---------------------------------------------------------------------------------------------
# variance


@dataclass(frozen=True)
class MonthFamilyRow:
    """One month and family: budget against actual (NaN actual and variances when forecast)."""

    month: str
    family: str
    status: str  # "actual" or "forecast"
    budget: float
    actual: float
    forecast: float
    variance: float
    variance_pct: float
    fx_effect: float
    real_variance: float


@dataclass(frozen=True)
class YtdRow:
    """Year to date for one family (or ``total``)."""

    family: str
    budget: float
    actual: float
    variance: float
    variance_pct: float
    fx_effect: float
    real_variance: float


@dataclass(frozen=True)
class LatestRow:
    """Latest estimate against the full budget for one family (or ``total``)."""

    family: str
    budget_to_date: float
    actual_to_date: float
    remaining_budget: float
    latest_estimate: float
    full_budget: float
    change: float
    change_pct: float


@dataclass(frozen=True)
class MoverRow:
    """One line's variance to date."""

    family: str
    item: str
    budget: float
    actual: float
    variance: float
    variance_pct: float
    fx_effect: float
    real_variance: float


@dataclass(frozen=True)
class ReserveRow:
    """An expected-value line held as a reserve (restart risk of one final run), to date.

    ``used``: actuals booked against it; once the run's last month (``ends``) is closed, what
    is left is ``released``; until then it is ``not_yet_used``. The latest estimate counts
    ``used + not_yet_used``.
    """

    item: str
    run: str | None
    budget: float
    used: float
    released: float
    not_yet_used: float
    ends: str

    @property
    def latest_estimate(self) -> float:
        return self.used + self.not_yet_used

    @property
    def status(self) -> str:
        if self.used >= self.budget and self.budget > 0:
            return "used up"
        return "released" if self.released else "held"


MONTHLY_COLUMNS: tuple[str, ...] = (
    "month", "family", "status", "budget", "actual", "forecast", "variance", "variance_pct",
    "fx_effect", "real_variance")
YTD_COLUMNS: tuple[str, ...] = (
    "budget", "actual", "variance", "variance_pct", "fx_effect", "real_variance")
LATEST_COLUMNS: tuple[str, ...] = (
    "budget_to_date", "actual_to_date", "remaining_budget", "latest_estimate", "full_budget",
    "change", "change_pct")
MOVERS_COLUMNS: tuple[str, ...] = (
    "family", "item", "budget", "actual", "variance", "variance_pct", "fx_effect",
    "real_variance")


@dataclass
class Variance:
    """Budget against actuals for one scenario, in the reporting currency.

    The tables are plain rows (no pandas): ``monthly_rows`` (one per month and family),
    ``ytd_rows`` and ``latest_rows`` (one per family, then ``total``), ``mover_rows``. The
    properties ``monthly``, ``ytd``, ``latest`` and ``movers`` give the same as pandas frames
    (pandas is imported only when one is asked for):

    ``monthly``: one row per month and family (columns month, family, status, budget, actual,
    forecast, variance, variance_pct, fx_effect, real_variance; actual and the variances are NaN
    for forecast months). ``ytd``: per family and ``total``, the calendar year of the as-of month
    up to it. ``latest``: per family and ``total``: budget_to_date, actual_to_date,
    remaining_budget, latest_estimate, full_budget, change, change_pct. ``movers``: the lines that
    moved most to date (family, item, budget, actual, variance, variance_pct, fx_effect,
    real_variance), biggest absolute variance first.
    """

    scenario: str
    view: str
    currency: str
    as_of: str | None
    months: list[str]
    monthly_rows: list[MonthFamilyRow]
    ytd_rows: list[YtdRow]
    latest_rows: list[LatestRow]
    mover_rows: list[MoverRow]
    actuals: list[ConvertedActual]  # as booked, to the as-of month: split parts, reserve uses
    timeline: Timeline
    warnings: list[str] = field(default_factory=list)
    reserve_rows: list[ReserveRow] = field(default_factory=list)
    splits: list[Split] = field(default_factory=list)

    def ytd_of(self, family: str) -> YtdRow:
        """The year-to-date row of a family or ``total``."""
        return _by_family(self.ytd_rows, family)

    def latest_of(self, family: str) -> LatestRow:
        """The latest-estimate row of a family or ``total``."""
        return _by_family(self.latest_rows, family)

    @property
    def forecast_by_family(self) -> dict[str, float]:
        """Latest estimate per family (actuals to date + remaining budget), without the
        reserve."""
        return {f: self.latest_of(f).latest_estimate for f in FAMILIES}

    @property
    def latest_estimate(self) -> float:
        """Actuals to date + remaining budget + the reserve still held (used + not yet used)."""
        return self.latest_of("total").latest_estimate

    @property
    def latest_estimate_without_reserve(self) -> float:
        return math.fsum(self.forecast_by_family.values())

    @property
    def reserve_not_yet_used(self) -> float:
        return math.fsum(r.not_yet_used for r in self.reserve_rows)

    def plan_rows(self) -> list[tuple[str, str, dict[str, float]]]:
        """(month, "actual" or "forecast", amount per family) for every month: what was booked
        in closed months, the budget in the others (the cash plan the Monthly sheet shows)."""
        by_month: dict[str, dict[str, float]] = {}
        status: dict[str, str] = {}
        for r in self.monthly_rows:
            by_month.setdefault(r.month, {})[r.family] = r.forecast
            status[r.month] = r.status
        return [(mo, status[mo], fams) for mo, fams in by_month.items()]

    @property
    def full_budget(self) -> float:
        return self.latest_of("total").full_budget

    @cached_property
    def monthly(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([astuple(r) for r in self.monthly_rows],
                            columns=list(MONTHLY_COLUMNS)).astype(_floats(MONTHLY_COLUMNS))

    @cached_property
    def ytd(self) -> pd.DataFrame:
        return _family_frame(self.ytd_rows, YTD_COLUMNS)

    @cached_property
    def latest(self) -> pd.DataFrame:
        return _family_frame(self.latest_rows, LATEST_COLUMNS)

    @cached_property
    def movers(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([astuple(r) for r in self.mover_rows],
                            columns=list(MOVERS_COLUMNS)).astype(_floats(MOVERS_COLUMNS))


def _floats(columns: Sequence[str]) -> dict[str, type]:
    return {k: float for k in columns if k not in ("month", "family", "status", "item")}


_Row = TypeVar("_Row", "YtdRow", "LatestRow")


def _by_family(rows: Sequence[_Row], family: str) -> _Row:
    for r in rows:
        if r.family == family:
            return r
    raise KeyError(family)


def _family_frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([[getattr(r, k) for k in columns] for r in rows],
                        index=pd.Index([r.family for r in rows], name="family"),
                        columns=list(columns), dtype=float)


def latest_actual_month(actuals: Sequence[ActualLine]) -> str | None:
    months = [a.month for a in actuals]
    return max(months, key=month_index) if months else None


def compute_variance(
    budget: Budget,
    actuals: Sequence[ActualLine | Mapping[str, Any]],
    *,
    as_of: str | None = None,
    actual_fx: FxRates | Mapping[str, Any] | None = None,
    scenario: str = "Base",
    view: str = "cash",
    horizon: HorizonSpec = None,
    catalog: Catalog | None = None,
    timeline: Timeline | None = None,
    top: int = 5,
) -> Variance:
    """Budget against actuals for one scenario (see the module doc for the words and signs).

    ``actual_fx``: the rates actuals convert at (None: the budget rates, so no FX effect).
    ``timeline``: a timeline already built for this scenario and view.
    """
    rows = [a if isinstance(a, ActualLine) else ActualLine.model_validate(a) for a in actuals]
    tl = timeline or build_timeline(budget, scenario=scenario, view=view, horizon=horizon,
                                    catalog=catalog)
    budget_fx = FxRates(tl.currency, budget.fx_rates)
    if actual_fx is None:
        act_fx = budget_fx
    elif isinstance(actual_fx, FxRates):
        act_fx = actual_fx
    else:
        act_fx = FxRates(tl.currency, actual_fx)
    booked, asof = _book(rows, tl, budget_fx, act_fx, as_of,
                         ([p.name for p in budget.pools], [r.name for r in budget.runs]))
    warnings = list(tl.warnings)

    def done(month: str) -> bool:
        return asof is not None and month_index(month) <= month_index(asof)

    later = len(rows) - len({a.index for a in booked.cash}
                            | {a.index for uses in booked.reserve.values() for a in uses})
    if later:
        warnings.append(ngettext(
            "{n} actual row after the as-of month {month} is not counted",
            "{n} actual rows after the as-of month {month} are not counted",
            later).format(n=later, month=asof))
    counted = booked.cash
    months = sorted({*tl.months, *(a.month for a in counted)}, key=month_index)
    budget_mf: dict[tuple[str, str], float] = defaultdict(float)
    for e in tl.entries:
        budget_mf[(e.month, e.family)] += e.amount
    act_mf: dict[tuple[str, str], list[ConvertedActual]] = defaultdict(list)
    for a in counted:
        act_mf[(a.month, str(a.family))].append(a)

    monthly = _monthly_rows(months, budget_mf, act_mf, done)
    warnings += _closed_without_actuals(monthly, act_mf, asof, tl.currency)
    warnings += [_("the FX rate for {currency} in {month} is not used: {month} is not one of "
                   "the budget's months ({start} to {end}); check the year").format(
        currency=cur, month=mo, start=tl.horizon.start, end=tl.horizon.end)
        for cur, mo in act_fx.months() if mo not in tl.horizon]
    reserve = _reserve_rows(tl, booked, asof)
    return Variance(
        scenario=tl.scenario, view=tl.view, currency=tl.currency, as_of=asof, months=months,
        monthly_rows=monthly, ytd_rows=_ytd(monthly, asof),
        latest_rows=_latest(monthly, reserve if tl.reserve else None),
        mover_rows=_movers(tl, counted, done, top, warnings),
        actuals=[*counted, *(a for uses in booked.reserve.values() for a in uses)],
        timeline=tl, warnings=warnings, reserve_rows=reserve, splits=booked.splits,
    )


def _book(rows: list[ActualLine], tl: Timeline, budget_fx: FxRates, act_fx: FxRates,
          as_of: str | None, groups: tuple[list[str], list[str]]) -> tuple[Booked, str | None]:
    """Every actual checked (marks, months, rates, what its Line item names; all problems at
    once, :class:`ActualsError`) and booked against the budget; and the as-of month."""
    currencies = {*budget_fx.currencies, *act_fx.currencies}
    rows, problems = check_actuals(rows, tl.currency, currencies, tl.horizon)
    converted, fx_problems = _convert(rows, budget_fx, act_fx)
    asof = _as_of(as_of, rows, tl.horizon)
    counted = {a.index for a in converted
               if asof is not None and month_index(a.month) <= month_index(asof)}
    booked = book_actuals(converted, tl, counted, *groups)
    problems = sorted([*problems, *fx_problems, *booked.problems],
                      key=lambda p: (p.index if p.index is not None else -1))
    if problems:
        raise ActualsError(problems, hint=_("fix these rows of the actuals"))
    return booked, asof


def _as_of(as_of: str | None, rows: Sequence[ActualLine], horizon: Horizon) -> str | None:
    """The as-of month given (one of the budget's months), else the latest month with actuals
    (inside the months: others are refused)."""
    if as_of is None:
        inside = [a for a in rows if a.month in horizon]
        return latest_actual_month(inside)
    asof = as_month(as_of, _("as-of month"))
    if asof not in horizon:
        raise InputError(
            _("the as-of month {month} is not one of the budget's months ({start} to "
              "{end})").format(month=asof, start=horizon.start, end=horizon.end),
            hint=_("give a month of the budget, or none: the latest month with actuals"),
            code="as_of_outside_budget", key="as_of")
    return asof


def _closed_without_actuals(monthly: list[MonthFamilyRow],
                            act_mf: Mapping[tuple[str, str], list[ConvertedActual]],
                            asof: str | None, currency: str) -> list[str]:
    """One warning per closed month with a family that has budget but no actuals."""
    missing: dict[str, list[tuple[str, float]]] = {}
    for r in monthly:
        if r.status == "actual" and abs(r.budget) >= 0.005 and not act_mf.get(
                (r.month, r.family)):
            missing.setdefault(r.month, []).append((r.family, r.budget))
    out = []
    for month, fams in missing.items():
        what = _(", ").join(_("{family} ({amount} budgeted)").format(
            family=FAMILY_LABELS[f], amount=format_money(b, currency)) for f, b in fams)
        out.append(_("{month} is closed (actuals to {as_of}) but has no actuals for {families}: "
                     "the variance counts that budget as not spent; book them, or close an "
                     "earlier month").format(month=month, as_of=asof, families=what))
    return out


def _reserve_rows(tl: Timeline, booked: Booked, asof: str | None) -> list[ReserveRow]:
    """Each reserve line to date: used (actuals booked against it), released once its run's
    last month is closed, else not yet used."""
    out = []
    for r in tl.reserve:
        used = math.fsum(a.amount for a in booked.reserve.get(r.item.item, []))
        left = max(r.amount - used, 0.0)
        closed = asof is not None and month_index(r.end) <= month_index(asof)
        out.append(ReserveRow(r.item.item, r.item.run, r.amount, used,
                              left if closed else 0.0, 0.0 if closed else left, r.end))
    return out


def _pct(variance: float, base: float) -> float:
    return variance / base if base else math.nan


def _monthly_rows(months: list[str], budget_mf: Mapping[tuple[str, str], float],
                  act_mf: Mapping[tuple[str, str], list[ConvertedActual]],
                  done: Callable[[str], bool]) -> list[MonthFamilyRow]:
    nan = math.nan
    out: list[MonthFamilyRow] = []
    for mo in months:
        for f in FAMILIES:
            b = budget_mf.get((mo, f), 0.0)
            if done(mo):
                acts = act_mf.get((mo, f), [])
                a = math.fsum(x.amount for x in acts)
                a_b = math.fsum(x.at_budget_rates for x in acts)
                out.append(MonthFamilyRow(mo, f, "actual", b, a, a, a - b, _pct(a - b, b),
                                          a - a_b, a_b - b))
            else:
                out.append(MonthFamilyRow(mo, f, "forecast", b, nan, b, nan, nan, nan, nan))
    return out


def _sums(rows: Iterable[Any], keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per family (every family, then ``total``): the math.fsum of each of ``keys``."""
    parts: dict[str, dict[str, list[float]]] = {f: {k: [] for k in keys} for f in FAMILIES}
    for r in rows:
        for k in keys:
            parts[r.family][k].append(getattr(r, k))
    out = {f: {k: math.fsum(v) for k, v in cols.items()} for f, cols in parts.items()}
    out["total"] = {k: math.fsum(out[f][k] for f in FAMILIES) for k in keys}
    return out


def _ytd(monthly: list[MonthFamilyRow], asof: str | None) -> list[YtdRow]:
    act = [r for r in monthly if r.status == "actual"
           and (asof is None or r.month[:4] == asof[:4])]
    sums = _sums(act, ("budget", "actual", "variance", "fx_effect", "real_variance"))
    return [YtdRow(f, s["budget"], s["actual"], s["variance"], _pct(s["variance"], s["budget"]),
                   s["fx_effect"], s["real_variance"]) for f, s in sums.items()]


@dataclass(frozen=True)
class _ToDate:
    family: str
    budget_to_date: float
    actual_to_date: float
    remaining_budget: float


def _latest(monthly: list[MonthFamilyRow],
            reserve: list[ReserveRow] | None = None) -> list[LatestRow]:
    """Per family, then ``reserve`` when the budget holds one (actual to date: used; remaining:
    not yet used; budget to date: the rest of it, used or released), then ``total`` (with the
    reserve). Every row: latest estimate = actual to date + remaining; full budget = budget to
    date + remaining."""
    parts = [_ToDate(r.family, r.budget, r.actual, 0.0) if r.status == "actual"
             else _ToDate(r.family, 0.0, 0.0, r.budget) for r in monthly]
    keys = ("budget_to_date", "actual_to_date", "remaining_budget")
    sums = _sums(parts, keys)
    if reserve is not None:
        total = sums.pop("total")
        held = math.fsum(r.not_yet_used for r in reserve)
        sums["reserve"] = {"budget_to_date": math.fsum(r.budget for r in reserve) - held,
                           "actual_to_date": math.fsum(r.used for r in reserve),
                           "remaining_budget": held}
        sums["total"] = {k: total[k] + sums["reserve"][k] for k in keys}
    out: list[LatestRow] = []
    for f, s in sums.items():
        btd, atd, rem = s["budget_to_date"], s["actual_to_date"], s["remaining_budget"]
        le, full = atd + rem, btd + rem
        out.append(LatestRow(f, btd, atd, rem, le, full, le - full, _pct(le - full, full)))
    return out


#: a family's actuals that name no line (all of them, or the others beside named lines)
ALL_LINES = {"compute": N_("All compute"), "data": N_("All data"), "staff": N_("All staff"),
             "power_facilities": N_("All power facilities"),
             "experiments": N_("All experiments")}
OTHER_LINES = {"compute": N_("Other compute lines"), "data": N_("Other data lines"),
               "staff": N_("Other staff lines"),
               "power_facilities": N_("Other power facilities lines"),
               "experiments": N_("Other experiments lines")}


def _movers(tl: Timeline, counted: list[ConvertedActual], done: Callable[[str], bool], top: int,
            warnings: list[str]) -> list[MoverRow]:
    """Variance to date per line, biggest first.

    In each family, actuals that name a line item are set against that line's budget (by name,
    case-insensitive); the family's other actuals against the budget of its other lines. So the
    lines of a family add up to the family's variance to date.
    """
    budget_line: dict[tuple[str, str], float] = defaultdict(float)
    names: dict[tuple[str, str], str] = {}
    for e in tl.entries:
        if done(e.month):
            key = (e.family, canonical_item(e.item).lower())  # a name in any language
            budget_line[key] += e.amount
            names.setdefault(key, e.item)
    itemised: dict[tuple[str, str], list[ConvertedActual]] = defaultdict(list)
    rest: dict[str, list[ConvertedActual]] = defaultdict(list)
    for a in counted:
        family = str(a.family)  # booked: every counted actual has its family
        if a.item:
            key = (family, canonical_item(a.item).lower())
            itemised[key].append(a)
            names.setdefault(key, a.item)
        else:
            rest[family].append(a)
    unmatched = sorted(names[k] for k in itemised if k not in budget_line)
    if unmatched:
        lines = sorted({e.item for e in tl.entries})
        shown = []
        for name in unmatched:
            near = closest(name, lines)
            shown.append(_("{name} (did you mean {near}?)").format(name=name, near=near)
                         if near else name)
        warnings.append(_("actuals name lines the budget does not have (compared against 0): "
                          "{lines}").format(lines=", ".join(shown)))
    records: list[MoverRow] = []

    def add(family: str, item: str, b: float, acts: list[ConvertedActual]) -> None:
        a = math.fsum(x.amount for x in acts)
        a_b = math.fsum(x.at_budget_rates for x in acts)
        if not b and not acts:
            return
        records.append(MoverRow(family, item, b, a, a - b, _pct(a - b, b), a - a_b, a_b - b))

    for key, acts in itemised.items():
        add(key[0], names[key], budget_line.get(key, 0.0), acts)
    for f in FAMILIES:
        others = math.fsum(v for k, v in budget_line.items() if k[0] == f and k not in itemised)
        has_items = any(k[0] == f for k in itemised)
        label = _(OTHER_LINES[f]) if has_items else _(ALL_LINES[f])
        add(f, label, others, rest.get(f, []))
    records.sort(key=lambda r: abs(r.variance), reverse=True)  # stable: ties keep their order
    return records[:top]
