"""The refresh log: one row per monthly refresh, append-only, and when a refresh changed nothing.

Pure functions: a fingerprint of the inputs, the next log row, its change against the previous
refresh of the same scenario (forecast over forecast, by family), and the "unchanged" test. The
sheet itself is read and written by the workbook layer, which keeps every earlier row's cell
values as they were and only appends.

A log row is a mapping from column title to a cell value (text or number, never a formula). The
fixed columns come first (:data:`FIXED_COLUMNS`); one ``Total: <scenario>`` column per scenario
follows, added at the right when a scenario first appears, so earlier rows never move.

Column titles are keys, in English (``Forecast: Data``); the sheet shows them in the run's
language (:func:`display_title`: ``预测：数据成本``), and a log written in any language is read
back to the keys (:func:`canonical_titles`), so a workbook keeps one log whatever language each
refresh spoke.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..i18n import N_, _, available_languages, use_language
from ..inputs import FAMILIES, FAMILY_LABELS, ActualLine, Budget
from .variance import FxRates

TIME = N_("Time")
AS_OF = N_("As of")
VERSION = N_("costsheet version")
FINGERPRINT = N_("Inputs fingerprint")
SCENARIO = N_("Scenario")
VIEW = N_("View")
CURRENCY = N_("Currency")
FORECAST_TOTAL = N_("Forecast total")
CHANGE_TOTAL = N_("Change total")
NOTE = N_("Note")
RESERVE = N_("Reserve not yet used")
TOTAL_PREFIX = "Total: "
#: the View column's words (the timeline's view names are keys)
VIEW_WORDS = {"cash": N_("cash"), "pnl": N_("P&L")}


def forecast_column(family: str) -> str:
    """The column's title, in English: titles are the log's keys (translated where shown)."""
    return f"Forecast: {FAMILY_LABELS.msgid(family)}"


def change_column(family: str) -> str:
    return f"Change: {FAMILY_LABELS.msgid(family)}"


FIXED_COLUMNS: tuple[str, ...] = (
    TIME, AS_OF, VERSION, FINGERPRINT, SCENARIO, VIEW, CURRENCY, FORECAST_TOTAL,
    *[forecast_column(f) for f in FAMILIES], CHANGE_TOTAL, *[change_column(f) for f in FAMILIES],
    NOTE,
)
#: columns a row has only sometimes (added at the right when first needed)
OPTIONAL_COLUMNS: tuple[str, ...] = (RESERVE,)


#: Significant digits of a number that count in the fingerprint: LibreOffice saves numbers with
#: 15 and Excel rounds what it is given to 15, so a re-save moves the 16th and 17th digits of a
#: value (2.583333333333333 becomes 2.58333333333333); 12 leaves room for how either rounds.
FINGERPRINT_DIGITS = 12
#: Two amounts of money are the same when they differ by less than half a cent, or by less than
#: a billionth of the amount (float sums of large totals are exact to about that).
MONEY_ABS_TOLERANCE = 0.005
MONEY_REL_TOLERANCE = 1e-9


def same_money(a: float, b: float) -> bool:
    """Whether two amounts are the same money (:data:`MONEY_ABS_TOLERANCE`, relative
    :data:`MONEY_REL_TOLERANCE`)."""
    return abs(a - b) <= max(MONEY_ABS_TOLERANCE, MONEY_REL_TOLERANCE * max(abs(a), abs(b)))


def _normalised(value: Any) -> Any:
    """``value`` with every float rounded to :data:`FINGERPRINT_DIGITS` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{FINGERPRINT_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def display_title(key: str) -> str:
    """A column's title in the current language (``Forecast: Data`` → ``预测：数据成本``)."""
    for f in FAMILIES:
        if key == forecast_column(f):
            return _("Forecast: {family}").format(family=FAMILY_LABELS[f])
        if key == change_column(f):
            return _("Change: {family}").format(family=FAMILY_LABELS[f])
    if key.startswith(TOTAL_PREFIX):
        return _("Total: {scenario}").format(scenario=key[len(TOTAL_PREFIX):])
    return _(key) if key in FIXED_COLUMNS or key in OPTIONAL_COLUMNS else key


def canonical_titles(titles: Sequence[Any]) -> list[Any]:
    """Titles as stored (in the language of the run that wrote them) → their keys; a title
    costsheet does not know is kept as it is (so is a blank)."""
    known: dict[str, str] = {}
    totals: list[tuple[str, str]] = []
    for lang in available_languages():
        with use_language(lang):
            for key in (*FIXED_COLUMNS, *OPTIONAL_COLUMNS):
                known.setdefault(display_title(key), key)
            head, _sep, tail = display_title(TOTAL_PREFIX + "\0").partition("\0")
            totals.append((head, tail))
    out: list[Any] = []
    for title in titles:
        text = str(title) if title is not None else None
        if text is None or text in known.values():
            out.append(title)
        elif text in known:
            out.append(known[text])
        else:
            total = next((text[len(h):len(text) - len(t)] for h, t in totals
                          if text.startswith(h) and text.endswith(t) and len(text) > len(h + t)),
                         None)
            out.append(TOTAL_PREFIX + total if total is not None else title)
    return out


def fingerprint(
    budget: Budget,
    actuals: Sequence[ActualLine] = (),
    as_of: str | None = None,
    actual_fx: FxRates | Mapping[str, Any] | None = None,
) -> str:
    """A stable hash of everything a refresh reads: the budget, actuals, actual rates, as-of.

    Same inputs → same fingerprint, in any process on any day (``sha256:`` + 16 hex digits).
    Numbers count to :data:`FINGERPRINT_DIGITS` significant digits: a workbook re-saved by
    LibreOffice or Excel with the same inputs keeps its fingerprint.
    """
    if isinstance(actual_fx, FxRates):
        fx: Any = actual_fx.to_dict()
    else:
        fx = dict(actual_fx) if actual_fx is not None else None
    payload = _normalised({
        "budget": _stable_dump(budget),
        "actuals": [json.loads(a.model_dump_json()) for a in actuals],
        "actual_fx": json.loads(json.dumps(fx, default=str)),
        "as_of": as_of,
    })
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _stable_dump(budget: Budget) -> dict[str, Any]:
    """The budget as JSON, leaving out fields added later (``quiet_if_missing`` in their field
    metadata) while they hold their default: a budget that does not use them keeps the
    fingerprint it had before they existed, so upgrading logs no change of inputs."""
    data: dict[str, Any] = json.loads(budget.model_dump_json())
    for section in ("drivers", "pools", "runs", "data", "staff", "other"):
        value = getattr(budget, section)
        lines = [value] if section == "drivers" else list(value)
        dumped = [data[section]] if section == "drivers" else data[section]
        for line, out in zip(lines, dumped, strict=True):
            for name, info in type(line).model_fields.items():
                extra = info.json_schema_extra
                value = getattr(line, name)
                if isinstance(extra, dict) and extra.get("quiet_if_missing") and (
                        value is None or isinstance(value, (str, int, float))) \
                        and value == info.default:
                    out.pop(name, None)
    return data


@dataclass
class LogEntry:
    """One refresh: when, as of which month, which inputs, the forecast and its change."""

    time: str
    as_of: str | None
    version: str
    fingerprint: str
    scenario: str
    view: str
    currency: str
    forecast: dict[str, float]  # latest estimate per family
    change: dict[str, float | None]  # against the previous refresh of the scenario; None: first
    scenario_totals: dict[str, float]  # the model's total of every scenario
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: the reserve for restart risk not yet used (None: the budget holds no reserve); the
    #: forecast by family leaves it out
    reserve: float | None = None

    @property
    def forecast_total(self) -> float:
        return math.fsum(self.forecast.values())

    @property
    def change_total(self) -> float | None:
        known = [v for v in self.change.values() if v is not None]
        return math.fsum(known) if len(known) == len(self.change) else None

    def cells(self) -> dict[str, Any]:
        """Column title → cell value (text or a number rounded to cents; None is a blank)."""
        out: dict[str, Any] = {
            TIME: self.time, AS_OF: self.as_of or "", VERSION: self.version,
            FINGERPRINT: self.fingerprint, SCENARIO: self.scenario,
            VIEW: _(VIEW_WORDS[self.view]) if self.view in VIEW_WORDS else self.view,
            CURRENCY: self.currency, FORECAST_TOTAL: _cents(self.forecast_total),
        }
        for f in FAMILIES:
            out[forecast_column(f)] = _cents(self.forecast.get(f, 0.0))
        out[CHANGE_TOTAL] = _cents(self.change_total)
        for f in FAMILIES:
            out[change_column(f)] = _cents(self.change.get(f))
        out[NOTE] = self.note
        if self.reserve is not None:
            out[RESERVE] = _cents(self.reserve)
        for name, total in self.scenario_totals.items():
            out[TOTAL_PREFIX + name] = _cents(total)
        return out


def _cents(x: float | None) -> float | None:
    return None if x is None else round(float(x), 2)


def format_time(now: datetime) -> str:
    """``2026-03-05 14:02 UTC`` (the zone's name when ``now`` is aware)."""
    text = now.strftime("%Y-%m-%d %H:%M:%S")
    zone = now.tzname() if now.tzinfo is not None else None
    return f"{text} {zone}" if zone else text


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def previous_row(rows: Sequence[Mapping[str, Any]], scenario: str) -> Mapping[str, Any] | None:
    """The latest earlier row of the same scenario (rows as column title → value), or None."""
    for row in rows[::-1]:
        if str(row.get(SCENARIO) or "") == scenario:
            return row
    return None


def is_unchanged(
    rows: Sequence[Mapping[str, Any]], fingerprint_: str, as_of: str | None, scenario: str
) -> bool:
    """True when the last row has the same inputs fingerprint, as-of month and scenario."""
    if not rows:
        return False
    last = rows[-1]
    return (
        str(last.get(FINGERPRINT) or "") == fingerprint_
        and str(last.get(AS_OF) or "") == (as_of or "")
        and str(last.get(SCENARIO) or "") == scenario
    )


def make_entry(
    *,
    now: datetime,
    as_of: str | None,
    version: str,
    fingerprint: str,
    scenario: str,
    currency: str,
    forecast: Mapping[str, float],
    scenario_totals: Mapping[str, float],
    previous_rows: Sequence[Mapping[str, Any]] = (),
    view: str = "cash",
    note: str = "",
    reserve: float | None = None,
) -> LogEntry:
    """The next log row; ``change`` is this forecast minus the previous refresh's, per family:
    the log keeps cents, so the forecast is compared in cents, and a difference within
    :func:`same_money` is no change (never a "−$0.00"). ``reserve``: the reserve not yet used,
    beside the forecast (None: there is none)."""
    prev = previous_row(previous_rows, scenario)
    change: dict[str, float | None] = {}
    for f in FAMILIES:
        before = _number(prev.get(forecast_column(f))) if prev is not None else None
        latest = round(float(forecast.get(f, 0.0)), 2)
        change[f] = None if before is None else (0.0 if same_money(latest, before)
                                                 else latest - before)
    return LogEntry(
        time=format_time(now), as_of=as_of, version=version, fingerprint=fingerprint,
        scenario=scenario, view=view, currency=currency,
        forecast={f: float(forecast.get(f, 0.0)) for f in FAMILIES}, change=change,
        scenario_totals={k: float(v) for k, v in scenario_totals.items()}, note=note,
        reserve=None if reserve is None else float(reserve),
    )


def log_header(existing: Sequence[str], entry: LogEntry) -> list[str]:
    """The header after appending ``entry``: the existing titles unchanged, new ones at the right.

    An empty log starts with :data:`FIXED_COLUMNS`.
    """
    header = [str(h) for h in existing] if existing else list(FIXED_COLUMNS)
    for key in entry.cells():
        if key not in header:
            header.append(key)
    return header


def row_values(header: Sequence[str], entry: LogEntry) -> list[Any]:
    """``entry``'s cell values in the order of ``header`` (blank where it has none)."""
    cells = entry.cells()
    return [cells.get(h) for h in header]


def rows_as_dicts(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of cell values → column title → value, for :func:`previous_row` and friends."""
    titles = [str(h) if h is not None else "" for h in header]
    return [{t: (row[i] if i < len(row) else None) for i, t in enumerate(titles) if t}
            for row in rows]


def describe_change(entry: LogEntry, money: Callable[[float], str]) -> list[str]:
    """Lines for the terminal: the forecast and what moved since the previous refresh.

    ``money`` formats an amount (e.g. ``lambda x: format_money(x, currency)``).
    """
    view = (_("cash view: owned hardware at its purchase price") if entry.view == "cash"
            else _("P&L view") if entry.view == "pnl" else entry.view)
    as_of = (_("actuals to {month}").format(month=entry.as_of) if entry.as_of
             else _("no actuals yet"))
    total = money(entry.forecast_total)
    if entry.reserve is None:
        lines = [_("forecast ({scenario}, {view}; {as_of}): {total}").format(
            scenario=entry.scenario, view=view, as_of=as_of, total=total)]
    else:
        lines = [_("forecast ({scenario}, {view}; {as_of}): {total} without the reserve; "
                   "reserve for restart risk not yet used: {reserve}").format(
            scenario=entry.scenario, view=view, as_of=as_of, total=total,
            reserve=money(entry.reserve))]
    if entry.change_total is None:
        lines.append(_("first refresh of this scenario in the log"))
        return lines
    moved = [(f, c) for f, c in entry.change.items() if c]
    if not moved:
        lines.append(_("no change in the forecast since the previous refresh"))
    for f, c in sorted(moved, key=lambda fc: -abs(fc[1] or 0.0)):
        sign = "+" if (c or 0.0) > 0 else "−"
        lines.append("  " + _("{family}: {change}").format(
            family=FAMILY_LABELS[f], change=f"{sign}{money(abs(c or 0.0))}"))
    return lines
