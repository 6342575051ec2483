"""Spread a budget over months: the monthly view of one scenario, in cash or P&L terms.

Pure functions over a :class:`~costsheet.inputs.Budget` and its
:class:`~costsheet.model.items.BudgetResult`; no workbook here.

How a line is placed in time:

- A line starts in its ``start_month``; a line without one starts at the horizon start.
- A line with ``months`` (staff, storage, a reserved or owned pool's term, a run's wall-clock
  time) is spread evenly over that many months from its start; a fractional last month gets its
  fraction (2.5 months → weights 1, 1, 0.5 of 2.5). A line with no months, or one month or less,
  is one-off: all of it in its start month.
- Runs' months come from their wall-clock days (``compute_budget`` puts them on the line).
- A pool's electricity and colocation lines without months (an on-demand pool) follow the span
  of the runs that use the pool.
- A reserved rented pool (one with ``term_months``) is billed for its term whatever the use, so
  every GPU-hour line of it (its runs, sweeps, interruptions and idle capacity) is spread evenly
  over the term from the pool's start month, as the invoices come.

Owned hardware has two views:

- ``cash``: the purchase (capex per GPU × GPU count, in the reporting currency) is paid in the
  pool's start month; the model's depreciation lines for the pool (its runs' GPU-hours and its idle
  capacity) are left out.
- ``pnl``: the model's depreciation lines for the pool are replaced by straight-line depreciation
  over the hardware's life (capex / life months, every month from the pool's start), split between
  families in the proportion the model charges them; only months inside the horizon are shown.

Expected-value lines (the restart risk of a final run, :data:`~costsheet.model.items.
RESERVE_KINDS`) are not cash: they are held beside the months as ``Timeline.reserve`` (one
:class:`ReserveLine` each, with the months of the run it covers), never spread over them.

The *view total* is the model's total without the reserve, with each owned pool's depreciation
lines replaced by the purchase (cash) or by the whole straight-line depreciation over the life
(P&L). The months inside the horizon hold ``Timeline.total``; what falls outside (before the
start, after the end) is ``Timeline.outside_total``; the two add up to ``Timeline.view_total``.
``Timeline.reconciliation()`` goes from the model's total to ``Timeline.total`` step by step.

The default horizon runs from ``Drivers.start_month`` (or, when blank, the earliest start of any
line) to the last month any line of the model touches (a pool's term, a run's end, staff months,
a purchase month); the life of owned hardware beyond that is not part of it. So in the P&L view
an owned pool held for a term (``term_months``) that defines the horizon is charged exactly what
the model charges; the cash view with the default horizon sums to its view total.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..catalog import Catalog
from ..errors import InputError, Report, got_text
from ..i18n import N_, LazyMapping, _
from ..inputs import FAMILIES, Budget, Drivers, GpuPool, parse_month
from ..units import UnitError
from .budget import budget_catalog, compute_budget, make_fx
from .compute import gpu_hour_rate
from .costlines import FxRate
from .items import GPU_HOUR_KINDS, RESERVE_KINDS, BudgetResult, LineItem, is_scalar, m, q
from .labels import DEPRECIATION, PURCHASE, line_name
from .scenarios import apply_scenario

if TYPE_CHECKING:
    import pandas as pd

View = Literal["cash", "pnl"]
VIEWS: tuple[str, ...] = ("cash", "pnl")
VIEW_LABELS: LazyMapping = LazyMapping({
    "cash": N_("Cash (owned hardware as its purchase)"),
    "pnl": N_("P&L (owned hardware as straight-line depreciation)"),
})
_EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# months


def month_index(month: str) -> int:
    """``'2026-03'`` → a month count (year × 12 + month − 1) that orders and subtracts."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_at(index: int) -> str:
    """The inverse of :func:`month_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    return month_at(month_index(month) + n)


def month_range(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end``, both included (empty when end is before start)."""
    return [month_at(i) for i in range(month_index(start), month_index(end) + 1)]


def as_month(value: object, what: str = "month", *, key: str | None = None) -> str:
    """A month as typed (``2026-3``, a date) → ``'2026-03'``; InputError naming ``what``, or,
    given ``key`` (the argument the month came from), carrying it for the caller to name."""
    prefix = "" if key else f"{what}: "
    try:
        out = parse_month(value)
    except UnitError as exc:
        raise InputError(f"{prefix}{exc}{got_text(value)}", key=key) from None
    if out is None:
        raise InputError(prefix + _("is required") if not key
                         else _("{what} is required").format(what=what), key=key)
    return out


def spread_weights(months: float | None) -> list[float]:
    """Share of a line in each of its months; sums to 1. One-off (None or ≤ 1) → ``[1.0]``."""
    if months is None or not math.isfinite(months) or months <= 1.0 + _EPS:
        return [1.0]
    n = math.ceil(months - _EPS)
    return [min(1.0, months - k) / months for k in range(n)]


def spread(amount: float, start_month: str, months: float | None) -> dict[str, float]:
    """``amount`` spread evenly over ``months`` months from ``start_month`` (see module doc)."""
    return {
        add_months(start_month, k): amount * w for k, w in enumerate(spread_weights(months))
    }


@dataclass(frozen=True)
class Horizon:
    """The months a timeline shows: ``start`` to ``end``, both included."""

    start: str
    end: str

    def __post_init__(self) -> None:
        if month_index(self.end) < month_index(self.start):
            raise InputError(_("horizon ends ({end}) before it starts ({start})").format(
                end=self.end, start=self.start))

    @property
    def months(self) -> list[str]:
        return month_range(self.start, self.end)

    def __len__(self) -> int:
        return month_index(self.end) - month_index(self.start) + 1

    def __contains__(self, month: object) -> bool:
        if not isinstance(month, str):
            return False
        return month_index(self.start) <= month_index(month) <= month_index(self.end)

    @classmethod
    def of(cls, start: str, months: int) -> Horizon:
        """``months`` months from ``start``."""
        if months < 1:
            raise InputError(_("a horizon needs at least one month") + got_text(months))
        return cls(start, add_months(start, months - 1))


HorizonSpec = Horizon | tuple[str, str] | int | None


# ---------------------------------------------------------------------------------------------
# owned hardware


@dataclass
class OwnedHardware:
    """An owned pool, as the cash and P&L views see it (amounts in the reporting currency)."""

    pool: str
    start_month: str | None
    gpu_count: int
    capex_per_gpu: float
    capex: float  # capex_per_gpu × gpu_count: the purchase
    life_months: float
    monthly_depreciation: float  # capex / life months
    charged: float  # what the model charges for it (depreciation per GPU-hour, idle included)
    family_shares: dict[str, float]  # how the model's charge splits between families
    basis: str


#: lines priced per pool but not in GPU-hours: placed over the months the pool's runs use
POOL_KINDS = frozenset({"electricity", "colocation"})


def pool_of_item(item: LineItem) -> str | None:
    """The pool whose GPU-hours a line prices (run, interruption, sweep or idle line), or None.

    Electricity and colocation lines (kWh, kW-months) are not GPU-hour lines and give None.
    """
    return item.pool if item.kind in GPU_HOUR_KINDS else None


def owned_hardware(
    budget: Budget, result: BudgetResult, catalog: Catalog | None = None
) -> tuple[list[OwnedHardware], list[str]]:
    """Every owned pool with a GPU count: its purchase, depreciation and the model's charge.

    ``budget`` is the scenario's budget (overrides applied). Owned pools without a GPU count
    cannot be bought; they are left as the model charges them, with a warning.
    """
    cat = budget_catalog(budget, catalog)
    d = budget.drivers
    fx = make_fx(budget)
    charged: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for it in result.items:
        pool_name = pool_of_item(it)
        if pool_name is not None:
            charged[pool_name][it.family] += float(it.amount)
    out: list[OwnedHardware] = []
    warnings: list[str] = []
    for pool in budget.pools:
        if pool.ownership != "own":
            continue
        if not pool.gpu_count:
            warnings.append(
                _("pool {name!r}: owned but no GPU count, so no purchase; the timeline keeps "
                  "the model's depreciation per GPU-hour").format(name=pool.name))
            continue
        out.append(_owned(pool, cat, d, fx, budget.currency, charged.get(pool.name, {})))
    return out, warnings


def _owned(pool: GpuPool, cat: Catalog, d: Drivers, fx: FxRate, currency: str,
           charged: dict[str, float]) -> OwnedHardware:
    spec = cat.get(pool.gpu_type) if pool.gpu_type else None
    rate = gpu_hour_rate(pool, spec, d, currency)
    fx_rate, _note = fx(rate.currency)
    assert rate.capex_per_gpu is not None  # an owned pool's rate is its depreciation
    capex_per_gpu = float(rate.capex_per_gpu) * fx_rate
    count = int(pool.gpu_count or 0)
    capex = capex_per_gpu * count
    life_months = float(d.depreciation_life_years) * 12.0
    total = sum(charged.values())
    shares = ({f: v / total for f, v in charged.items() if v} if total
              else {"compute": 1.0})
    return OwnedHardware(
        pool=pool.name, start_month=pool.start_month, gpu_count=count,
        capex_per_gpu=capex_per_gpu, capex=capex, life_months=life_months,
        monthly_depreciation=capex / life_months, charged=total, family_shares=shares,
        basis=_("{gpus} GPUs × {price} capex per GPU [{basis}]").format(
            gpus=q(count), price=m(capex_per_gpu, currency), basis=rate.basis),
    )


# ---------------------------------------------------------------------------------------------
# the timeline


@dataclass(frozen=True)
class MonthlyAmount:
    """One line's amount in one month (reporting currency); ``kind``, ``pool`` and ``run`` are
    its line's (:class:`~costsheet.model.items.LineItem`), so an invoice booked under a pool's
    name can be split across the lines of that pool."""

    month: str
    family: str
    item: str
    source: str
    amount: float
    kind: str = ""
    pool: str | None = None
    run: str | None = None


@dataclass(frozen=True)
class ReserveLine:
    """An expected-value line (restart risk) held as a reserve beside the monthly plan: the
    months of the run it covers, ``start`` to ``end``; after ``end`` its unused rest is
    released (:mod:`costsheet.model.variance`)."""

    item: LineItem
    start: str
    end: str

    @property
    def amount(self) -> float:
        return float(self.item.amount)


@dataclass(frozen=True)
class Reconciling:
    """One step from the model's total to a timeline's total inside its months."""

    label: str
    amount: float


@dataclass(frozen=True)
class MonthRow:
    """One month of a timeline: the amount per family (every family), total and running total."""

    month: str
    families: dict[str, float]
    total: float
    cumulative: float


@dataclass(frozen=True)
class LineRow:
    """One line of a timeline: its amount per month inside the horizon and their total."""

    family: str
    item: str
    source: str
    by_month: dict[str, float]
    total: float


@dataclass
class Timeline:
    """A scenario spread over months in one view (``cash`` or ``pnl``).

    ``lines`` are the view's line items (the model's, with owned hardware replaced); ``entries``
    their monthly amounts inside the horizon, ``outside`` those before or after it.
    """

    scenario: str
    view: str
    currency: str
    horizon: Horizon
    lines: list[LineItem]
    entries: list[MonthlyAmount]
    outside: list[MonthlyAmount]
    owned: list[OwnedHardware]
    model_total: float
    warnings: list[str] = field(default_factory=list)
    reserve: list[ReserveLine] = field(default_factory=list)

    @property
    def reserve_total(self) -> float:
        """Expected-value lines held beside the months (not cash): the model counts them."""
        return math.fsum(r.amount for r in self.reserve)

    def reconciliation(self) -> list[Reconciling]:
        """How the model's total becomes this view's total inside the horizon, step by step:
        ``model_total + sum(step.amount) == total``. The reserve is held beside the months;
        amounts outside the months are not in them; each owned pool is its purchase (cash) or
        its straight-line depreciation inside the months (P&L) instead of the model's charge."""
        steps: list[Reconciling] = []
        if self.reserve:
            steps.append(Reconciling(
                _("reserve for restart risk, held beside the monthly plan"),
                -self.reserve_total))
        owned = {o.pool: o for o in self.owned}
        outside_owned: dict[str, float] = defaultdict(float)
        outside_rest = 0.0
        for e in self.outside:
            if e.pool in owned and e.kind in ("purchase", "depreciation"):
                outside_owned[e.pool] += e.amount
            else:
                outside_rest += e.amount
        if outside_rest:
            steps.append(Reconciling(_("amounts that fall outside the budget's months"),
                                     -outside_rest))
        for name, o in owned.items():
            view = math.fsum(float(it.amount) for it in self.lines
                             if it.pool == name and it.kind in ("purchase", "depreciation"))
            inside = view - outside_owned.get(name, 0.0)
            steps.append(Reconciling(_owned_label(self.view, o), inside - o.charged))
        return steps

    @property
    def months(self) -> list[str]:
        return self.horizon.months

    @property
    def total(self) -> float:
        """Everything inside the horizon."""
        return math.fsum(e.amount for e in self.entries)

    @property
    def outside_total(self) -> float:
        return math.fsum(e.amount for e in self.outside)

    @property
    def view_total(self) -> float:
        """The model's total with owned hardware as purchase (cash) or whole depreciation (P&L),
        without the reserve (:attr:`reserve_total`)."""
        return math.fsum(float(it.amount) for it in self.lines)

    def by_month_family(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = defaultdict(float)
        for e in self.entries:
            out[(e.month, e.family)] += e.amount
        return dict(out)

    def rows(self) -> list[MonthRow]:
        """One row per month of the horizon: per family, total and cumulative (no pandas)."""
        cells = self.by_month_family()
        out: list[MonthRow] = []
        cumulative = 0.0
        for mo in self.months:
            families = {f: cells.get((mo, f), 0.0) for f in FAMILIES}
            total = math.fsum(families.values())
            cumulative += total
            out.append(MonthRow(mo, families, total, cumulative))
        return out

    def line_rows(self) -> list[LineRow]:
        """One row per line (family, item, source) with its amount per month (no pandas)."""
        cells: dict[tuple[str, str, str], dict[str, float]] = {}
        for e in self.entries:
            row = cells.setdefault((e.family, e.item, e.source), {})
            row[e.month] = row.get(e.month, 0.0) + e.amount
        return [LineRow(f, item, src, by_month, math.fsum(by_month.values()))
                for (f, item, src), by_month in cells.items()]

    def frame(self) -> pd.DataFrame:
        """Months × families, plus ``total`` and ``cumulative`` (index: ``'YYYY-MM'``).

        A pandas view of :meth:`rows`; pandas is imported here only.
        """
        import pandas as pd

        rows = self.rows()
        data = [[*(r.families[f] for f in FAMILIES), r.total, r.cumulative] for r in rows]
        return pd.DataFrame(data, index=pd.Index([r.month for r in rows], name="month"),
                            columns=[*FAMILIES, "total", "cumulative"], dtype=float)

    def line_frame(self) -> pd.DataFrame:
        """One row per line (family, item, source), one column per month, and ``total``.

        A pandas view of :meth:`line_rows`; pandas is imported here only.
        """
        import pandas as pd

        rows = self.line_rows()
        months = self.months
        index = pd.MultiIndex.from_arrays(
            [[r.family for r in rows], [r.item for r in rows], [r.source for r in rows]],
            names=["family", "item", "source"])
        return pd.DataFrame([[*(r.by_month.get(mo, 0.0) for mo in months), r.total]
                             for r in rows], index=index, columns=[*months, "total"],
                            dtype=float)


def _owned_label(view: str, o: OwnedHardware) -> str:
    if view == "cash":
        if o.start_month:
            return _("{pool}: bought in {month} (the purchase instead of the model's "
                     "depreciation)").format(pool=o.pool, month=o.start_month)
        return _("{pool}: bought in the first month (the purchase instead of the model's "
                 "depreciation)").format(pool=o.pool)
    return _("of which depreciation of {pool} after the project's term, inside the budget's "
             "months").format(pool=o.pool)


def build_timeline(
    budget: Budget,
    *,
    scenario: str = "Base",
    view: str = "cash",
    horizon: HorizonSpec = None,
    catalog: Catalog | None = None,
    result: BudgetResult | None = None,
    fallback_start: str | None = None,
) -> Timeline:
    """Spread one scenario of ``budget`` over months, in the ``cash`` or ``pnl`` view.

    ``horizon``: None (from the drivers' start month, or the earliest start, to the last month a
    line touches), a number of months from that start, a ``(start, end)`` pair or a
    :class:`Horizon`. ``result`` may be passed when the scenario was already computed.
    ``fallback_start``: the start when no month is given anywhere (else that is an InputError).
    """
    if view not in VIEWS:
        raise InputError(_("unknown view {view!r} (known: {known})").format(
            view=view, known=", ".join(VIEWS)))
    sb = apply_scenario(budget, scenario)
    if result is None:
        result = compute_budget(sb, catalog, scenario)
    for it in result.items:
        if not is_scalar(it.amount):
            raise InputError(_("the monthly timeline needs one value per input, not Monte "
                               "Carlo trials"))
    owned, warnings = owned_hardware(sb, result, catalog)
    owned_names = {o.pool for o in owned}

    model_items = list(result.items)
    spans = _pool_spans(model_items, result)
    default_start = (sb.drivers.start_month or _earliest_start(model_items, owned)
                     or fallback_start)
    if default_start is None:
        raise InputError(
            _("no month to start the timeline from"),
            hint=_("set the Start month on the Drivers sheet (YYYY-MM)"),
        )
    held = {p.name: (p.start_month or default_start, float(p.term_months))
            for p in sb.pools if p.term_months is not None and p.ownership == "rent"}
    placed = [_placed(it, spans, held, result, default_start) for it in model_items]
    hz = _horizon(horizon, default_start, placed, owned)
    if horizon is None and sb.drivers.start_month is not None:
        _refuse_early_starts(sb, model_items, placed, owned, sb.drivers.start_month)

    lines: list[LineItem] = []
    entries: list[MonthlyAmount] = []
    outside: list[MonthlyAmount] = []

    reserve: list[ReserveLine] = []

    def put(it: LineItem, start: str, months: float | None) -> None:
        lines.append(it)
        for mo, amount in spread(float(it.amount), start, months).items():
            e = MonthlyAmount(mo, it.family, it.item, it.source, amount, it.kind, it.pool,
                              it.run)
            (entries if mo in hz else outside).append(e)

    for it, (start, months) in zip(model_items, placed, strict=True):
        if pool_of_item(it) in owned_names:
            continue  # replaced below
        if it.kind in RESERVE_KINDS:  # a reserve, not cash: held beside the months
            reserve.append(ReserveLine(it, start, add_months(
                start, len(spread_weights(months)) - 1)))
            continue
        put(it, start, months)
    for o in owned:
        start = o.start_month or hz.start
        if view == "cash":
            put(LineItem("compute", line_name(PURCHASE, o.pool), o.gpu_count,
                         "GPU", o.capex_per_gpu,
                         o.capex, result.currency, o.basis, f"pools.{o.pool}", start, None,
                         kind="purchase", pool=o.pool),
                start, None)
        else:
            for family in FAMILIES:
                share = o.family_shares.get(family, 0.0)
                if not share:
                    continue
                put(LineItem(
                    family, line_name(DEPRECIATION, o.pool), o.gpu_count, "GPU",
                    o.capex_per_gpu * share, o.capex * share, result.currency,
                    _("{basis} / {months} months straight-line").format(
                        basis=o.basis, months=q(o.life_months))
                    + (_(" × {share:.1%} share").format(share=share) if share < 1.0 else ""),
                    f"pools.{o.pool}", start, o.life_months, kind="depreciation", pool=o.pool),
                    start, o.life_months)
    if outside:
        before = sum(1 for e in outside if month_index(e.month) < month_index(hz.start))
        if before:
            warnings.append(_("{n} monthly amounts fall before the horizon start {start}").format(
                n=before, start=hz.start))
    warnings += _long_gaps(entries, hz)
    return Timeline(
        scenario=scenario, view=view, currency=result.currency, horizon=hz, lines=lines,
        entries=entries, outside=outside, owned=owned, model_total=float(result.total),
        warnings=warnings, reserve=reserve,
    )


def monthly_frame(
    budget: Budget,
    *,
    scenario: str = "Base",
    view: str = "cash",
    horizon: HorizonSpec = None,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Months × families for one scenario, with ``total`` and ``cumulative`` columns."""
    return build_timeline(
        budget, scenario=scenario, view=view, horizon=horizon, catalog=catalog
    ).frame()


#: months with nothing budgeted, in a row, after which a start month looks like a mistyped year
GAP_MONTHS = 12


def _start_key(budget: Budget, it: LineItem) -> str:
    """The input that sets a model line's start month: its run's, else its pool's, else its
    line's (``runs.main.start_month``)."""
    if it.run is not None:
        run = next((r for r in budget.runs if r.name == it.run), None)
        if run is not None and (run.start_month is not None or it.pool is None):
            return f"runs.{run.name}.start_month"
    if it.pool is not None:
        return f"pools.{it.pool}.start_month"
    return f"{it.source}.start_month"


def _refuse_early_starts(budget: Budget, items: list[LineItem],
                         placed: list[tuple[str, float | None]], owned: list[OwnedHardware],
                         start: str) -> None:
    """A line (or an owned pool) that starts before the Drivers' start month would fall outside
    the monthly plan: an InputError naming each such start month's input (``report``)."""
    found: dict[str, str] = {}
    for it, (month, _months) in zip(items, placed, strict=True):
        if month_index(month) < month_index(start):
            found.setdefault(_start_key(budget, it), month)
    for o in owned:
        if o.start_month is not None and month_index(o.start_month) < month_index(start):
            found.setdefault(f"pools.{o.pool}.start_month", o.start_month)
    if not found:
        return
    report = Report()
    for key, month in found.items():
        report.add("", "", key, month, _early_message(month, start), code="start_before_budget")
    key, month = next(iter(found.items()))
    raise InputError(_early_message(month, start), report=report, code="start_before_budget",
                     key=key, hint=_("check the year, or move the Drivers' Start month earlier"))


def _early_message(month: str, start: str) -> str:
    return _("starts in {month}, before the budget's first month {start} (Drivers): its cost "
             "would fall outside the monthly plan; check the year, or move the Start month on "
             "the Drivers sheet earlier").format(month=month, start=start)


def _long_gaps(entries: list[MonthlyAmount], hz: Horizon) -> list[str]:
    """A warning for each run of :data:`GAP_MONTHS` or more empty months followed by spending
    (a start month typed with the wrong year leaves such a gap)."""
    spent = {e.month for e in entries if abs(e.amount) > 0}
    out: list[str] = []
    gap: list[str] = []
    for mo in hz.months:
        if mo in spent:
            if len(gap) >= GAP_MONTHS and month_index(gap[0]) > month_index(hz.start):
                out.append(_("nothing is budgeted from {first} to {last} ({n} months), then "
                             "spending starts again in {month}: check the year of the start "
                             "months").format(first=gap[0], last=gap[-1], n=len(gap), month=mo))
            gap = []
        else:
            gap.append(mo)
    return out


def _pool_spans(items: list[LineItem], result: BudgetResult) -> dict[str, tuple[str, float]]:
    """Per pool: (first month, months) covering every GPU-hour line with a start month."""
    lo: dict[str, int] = {}
    hi: dict[str, float] = {}
    for it in items:
        pool = pool_of_item(it)
        if pool is None or it.start_month is None or it.kind == "idle_capacity":
            continue
        s = month_index(it.start_month)
        e = s + max(it.months or 1.0, 1.0)
        lo[pool] = min(lo.get(pool, s), s)
        hi[pool] = max(hi.get(pool, e), e)
    return {p: (month_at(lo[p]), hi[p] - lo[p]) for p in lo}


def _placed(it: LineItem, spans: dict[str, tuple[str, float]],
            held: dict[str, tuple[str, float]], result: BudgetResult, default_start: str
            ) -> tuple[str, float | None]:
    """Start month and months of a model line (see the module doc)."""
    pool = pool_of_item(it)
    if pool is not None and pool in held:
        return held[pool]
    if it.months is None and it.kind in POOL_KINDS and it.pool is not None:
        span = spans.get(it.pool)
        if span is not None:
            return span
    return it.start_month or default_start, it.months


def _earliest_start(items: list[LineItem], owned: list[OwnedHardware]) -> str | None:
    starts = [it.start_month for it in items if it.start_month]
    starts += [o.start_month for o in owned if o.start_month]
    return min(starts, key=month_index) if starts else None


def _horizon(spec: HorizonSpec, start: str, placed: list[tuple[str, float | None]],
             owned: list[OwnedHardware]) -> Horizon:
    if isinstance(spec, Horizon):
        return spec
    if isinstance(spec, tuple):
        return Horizon(as_month(spec[0], "horizon start"), as_month(spec[1], "horizon end"))
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Horizon.of(start, spec)
    if spec is not None:
        raise InputError(_("horizon: give a number of months or (start, end)")
                         + got_text(spec))
    last = month_index(start)
    for s, months in placed:
        last = max(last, month_index(s) + len(spread_weights(months)) - 1)
    for o in owned:
        if o.start_month:
            last = max(last, month_index(o.start_month))
    return Horizon(start, month_at(last))
