"""Everything the Monthly, Variance and Refresh log sheets show, computed for one scenario.

:func:`plan_monthly` builds the cash and P&L timelines, the variance against actuals and the
next Refresh log row from the rows the log already holds; :mod:`costsheet.workbook.
monthly_sheets` renders the :class:`MonthlyPlan` and reads the log's earlier rows. The log is
append-only: its earlier rows are kept as read (header included; new columns only ever go to the
right) and one row is added, unless the inputs, the as-of month and the scenario are those of the
last row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..catalog import Catalog
from ..errors import InputError
from ..i18n import _, ngettext
from ..inputs import FAMILIES, Budget
from ..units import format_money
from .items import BudgetResult
from .refresh_log import (
    TIME,
    LogEntry,
    canonical_titles,
    describe_change,
    fingerprint,
    is_unchanged,
    log_header,
    make_entry,
    rows_as_dicts,
)
from .timeline import MonthRow, Timeline, as_month, build_timeline
from .variance import ActualLine, FxRates, Variance, compute_variance

__all__ = ["MonthlyPlan", "actual_rates", "plan_monthly"]


@dataclass
class MonthlyPlan:
    """Everything the monthly sheets show, computed before anything is written."""

    scenario: str
    currency: str
    timeline: Timeline  # cash view
    pnl: Timeline  # P&L view, same horizon
    variance: Variance
    fingerprint: str
    log_header: list[Any]
    log_rows: list[list[Any]]  # the earlier rows, exactly as read
    entry: LogEntry | None  # the row appended; None when unchanged
    unchanged: bool
    warnings: list[str] = field(default_factory=list)
    asked_as_of: str | None = None  # the as-of month asked for (None: the latest with actuals)

    @property
    def as_of(self) -> str | None:
        return self.variance.as_of

    def messages(self) -> list[str]:
        """What the terminal says about the refresh."""
        if self.unchanged:
            last = rows_as_dicts(self.log_header, self.log_rows[-1:])[0] if self.log_rows \
                else {}
            when = last.get(TIME) or _("the previous run")
            return [_("refresh log: inputs and as-of month unchanged since {when}; no row "
                      "added").format(when=when)]
        assert self.entry is not None
        lines = [_("refresh log: row {n} added").format(n=len(self.log_rows) + 1)]
        lines += describe_change(self.entry, _money_fn(self.currency))
        return lines

    def cash_rows(self) -> list[MonthRow]:
        """The Monthly sheet's cash plan: what was booked in closed months (the actuals), the
        budget in the others; per family, with the month's total and the running total."""
        out: list[MonthRow] = []
        cumulative = 0.0
        for month, _status, families in self.variance.plan_rows():
            fams = {f: families.get(f, 0.0) for f in FAMILIES}
            total = math.fsum(fams.values())
            cumulative += total
            out.append(MonthRow(month, fams, total, cumulative))
        return out

    @property
    def actuals_instead_of_budget(self) -> float:
        """What the closed months' actuals add to their budget (the variance to date)."""
        return math.fsum(r.variance for r in self.variance.monthly_rows
                         if r.status == "actual")

    def to_dict(self) -> dict[str, Any]:
        v = self.variance
        return {
            "scenario": self.scenario,
            "as_of": self.as_of,
            "fingerprint": self.fingerprint,
            "unchanged": self.unchanged,
            "log_rows": len(self.log_rows) + (0 if self.unchanged else 1),
            "latest_estimate": v.latest_estimate,
            "latest_estimate_without_reserve": v.latest_estimate_without_reserve,
            "reserve": self.timeline.reserve_total,
            "reserve_not_yet_used": v.reserve_not_yet_used,
            "full_budget": v.full_budget,
            "months_total": math.fsum(r.total for r in self.cash_rows()),
            "splits": len(v.splits),
        }


def _money_fn(currency: str) -> Callable[[float], str]:
    return lambda x: format_money(x, currency)


def actual_rates(reporting: str, budget_rates: Mapping[str, float],
                 monthly_fx: Mapping[str, Mapping[str, float]]) -> FxRates:
    """Rates actuals convert at: a currency's monthly rates, else its budget rate."""
    rates: dict[str, Any] = {c: r for c, r in budget_rates.items() if c not in monthly_fx}
    rates.update({c: dict(by_month) for c, by_month in monthly_fx.items()})
    return FxRates(reporting, rates)


def plan_monthly(
    budget: Budget,
    results: Mapping[str, BudgetResult],
    *,
    now: datetime,
    version: str,
    actuals: Sequence[ActualLine] = (),
    monthly_fx: Mapping[str, Mapping[str, float]] | None = None,
    log_header: Sequence[Any] = (),
    log_rows: Sequence[Sequence[Any]] = (),
    as_of: str | None = None,
    scenario: str | None = None,
    catalog: Catalog | None = None,
    reuse: MonthlyPlan | None = None,
) -> MonthlyPlan:
    """Timeline, variance and the next Refresh log row of ``scenario`` (default: the first).

    ``monthly_fx``: currency -> month -> actual rate (others convert at their budget rate);
    ``log_header`` and ``log_rows``: the Refresh log as it is; ``now``: the time of the run (its
    month starts the timeline when no input gives one). Raises InputError for an unknown
    scenario or an as-of month that is not one, and
    :class:`~costsheet.model.variance.FxError` for currencies that cannot be converted.
    ``reuse``: a plan of the same budget, actuals and rates made already (``check`` makes one
    before ``run`` writes): its timelines and variance are taken when its scenario and as-of
    month are the ones asked for.
    """
    sc = _scenario(results, scenario)
    asof = as_month(as_of, _("as-of month"), key="as_of") if as_of is not None else None
    lines = list(actuals)
    if reuse is not None and reuse.scenario == sc and reuse.asked_as_of == asof:
        tl, pnl, var = reuse.timeline, reuse.pnl, reuse.variance
        actual_fx = actual_rates(tl.currency, budget.fx_rates, monthly_fx or {})
    else:
        fallback = f"{now.year:04d}-{now.month:02d}"
        tl = build_timeline(budget, scenario=sc, view="cash", result=results[sc],
                            catalog=catalog, fallback_start=fallback)
        pnl = build_timeline(budget, scenario=sc, view="pnl", result=results[sc],
                             catalog=catalog, horizon=tl.horizon, fallback_start=fallback)
        actual_fx = actual_rates(tl.currency, budget.fx_rates, monthly_fx or {})
        var = compute_variance(budget, lines, as_of=asof, actual_fx=actual_fx, timeline=tl)
    fp = fingerprint(budget, lines, var.as_of, actual_fx)
    header, rows = canonical_titles(list(log_header)), [list(r) for r in log_rows]
    dict_rows = rows_as_dicts(header, rows)
    unchanged = is_unchanged(dict_rows, fp, var.as_of, sc)
    entry = None
    new_header = list(header)
    if not unchanged:
        entry = make_entry(
            now=now, as_of=var.as_of, version=version, fingerprint=fp, scenario=sc,
            currency=tl.currency, forecast=var.forecast_by_family,
            reserve=var.reserve_not_yet_used if tl.reserve else None,
            scenario_totals={n: float(r.total) for n, r in results.items()},
            previous_rows=dict_rows, view=tl.view,
            note=ngettext("{n} actual row", "{n} actual rows", len(lines)).format(n=len(lines))
            if lines else _("no actuals yet"))
        new_header = _header_after(header, entry)
    return MonthlyPlan(
        scenario=sc, currency=tl.currency, timeline=tl, pnl=pnl, variance=var,
        fingerprint=fp, log_header=new_header, log_rows=rows, entry=entry,
        unchanged=unchanged, warnings=list(var.warnings), asked_as_of=asof,
    )


def _scenario(results: Mapping[str, BudgetResult], scenario: str | None) -> str:
    """``scenario`` as the results name it (any case), default the first."""
    names = list(results)
    sc = scenario or (names[0] if names else "Base")
    if sc in results:
        return sc
    lower = {n.casefold(): n for n in names}
    if sc.casefold() not in lower:
        raise InputError(_("unknown scenario {name!r} (known: {known})").format(
            name=sc, known=", ".join(names)), key="scenario")
    return lower[sc.casefold()]


def _header_after(header: list[Any], entry: LogEntry) -> list[Any]:
    """The log header with ``entry``'s new titles at the right; the stored cells unchanged."""
    if not header:
        return log_header([], entry)
    titles = log_header([str(h) if h is not None else "" for h in header], entry)
    return [*header, *titles[len(header):]]
