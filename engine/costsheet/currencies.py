"""Currency marks typed in number cells: ``¥900,000``, ``€180``, ``US$ 2.50``, ``90万元``.

A mark is read, never dropped: :func:`mark_currencies` says which ISO currencies a mark can mean,
and :func:`resolve_mark` decides which one it means on a given line, or refuses.

The rule for ambiguous marks (documented in ``docs/template.md``):

* a mark that names one currency (``€``, ``£``, ``CN¥``, ``RMB``, ``元``, ``US$``, ``円``, any ISO
  code such as ``JPY``) means that currency;
* ``$`` can be any dollar, ``¥`` the yuan or the yen. On a line whose Currency cell is filled,
  the mark must be one of the currencies it can mean (``$`` on a CAD line is CAD; ``$`` on an EUR
  line is an error). On a line whose Currency cell is blank, the mark means the reporting
  currency when it can, else the only one of its currencies that the FX sheet lists; else ``$``
  means USD (the international convention) and ``¥`` is refused: costsheet asks for the Currency
  cell rather than guess between yuan and yen.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .i18n import N_, _

__all__ = ["DOLLARS", "YEN_YUAN", "MarkError", "MarkProblem", "check_marks", "currency_of_marks",
           "iso_codes", "mark_currencies", "meaning", "no_rate_message", "resolve_mark"]

DOLLARS = ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD", "MXN")
YEN_YUAN = ("CNY", "JPY")

#: Marks that name one currency (upper-cased for lookup) or a family of them.
_MARKS: dict[str, tuple[str, ...]] = {
    "$": DOLLARS,
    "US$": ("USD",), "U$S": ("USD",), "USD$": ("USD",),
    "C$": ("CAD",), "CA$": ("CAD",), "CAN$": ("CAD",),
    "A$": ("AUD",), "AU$": ("AUD",),
    "NZ$": ("NZD",), "HK$": ("HKD",), "S$": ("SGD",), "SG$": ("SGD",),
    "NT$": ("TWD",), "MX$": ("MXN",),
    "¥": YEN_YUAN, "￥": YEN_YUAN,
    "CN¥": ("CNY",), "RMB": ("CNY",), "元": ("CNY",), "人民币": ("CNY",),
    "JP¥": ("JPY",), "円": ("JPY",), "日元": ("JPY",),
    "€": ("EUR",), "£": ("GBP",), "₩": ("KRW",), "₹": ("INR",), "₽": ("RUB",),
    "CHF": ("CHF",), "FR.": ("CHF",),
}

#: Every mark the number reader recognises, longest first (so ``US$`` wins over ``$``).
MARK_TEXTS = tuple(sorted(_MARKS, key=len, reverse=True))


class MarkError(ValueError):
    """A currency mark that conflicts with the line's currency or cannot be resolved."""


def mark_currencies(mark: str) -> tuple[str, ...]:
    """The ISO currencies ``mark`` can mean: a symbol, a name such as ``RMB``, or an ISO code."""
    text = mark.strip()
    found = _MARKS.get(text) or _MARKS.get(text.upper())
    if found:
        return found
    if len(text) == 3 and text.isascii() and text.isalpha() and text.upper() in iso_codes():
        return (text.upper(),)
    raise MarkError(_("not a currency: {mark!r}").format(mark=mark))


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    """ISO 4217 currency codes, from CLDR (Babel; loaded on first use)."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _names(codes: Collection[str]) -> str:
    codes = list(codes)
    if len(codes) == 1:
        return codes[0]
    return _("{some} or {last}").format(some=", ".join(codes[:-1]), last=codes[-1])


def resolve_mark(mark: str, line_currency: str | None, reporting: str,
                 fx_currencies: Collection[str] = ()) -> str:
    """The ISO currency ``mark`` means on a line (see the module's rule), or :class:`MarkError`.

    ``line_currency`` is the line's Currency cell (None when blank), ``reporting`` the workbook's
    reporting currency, ``fx_currencies`` the currencies the FX sheet gives rates for.
    """
    can = mark_currencies(mark)
    if line_currency:
        if line_currency.upper() in can:
            return line_currency.upper()
        raise MarkError(
            _("written in {mark} ({means}) but the line's currency is {currency}; write the "
              "amount in {currency} or change the line's currency").format(
                mark=mark, means=_names(can) if len(can) <= 2 else _("a dollar"),
                currency=line_currency.upper()))
    if len(can) == 1:
        return can[0]
    if reporting.upper() in can:
        return reporting.upper()
    listed = [c for c in can if c in {f.upper() for f in fx_currencies}]
    if len(listed) == 1:
        return listed[0]
    if mark.strip() == "$":
        return "USD"
    raise MarkError(
        _("{mark} can mean {currencies}; fill the line's Currency cell (e.g. {example}) so "
          "costsheet does not guess").format(mark=mark, currencies=_names(can), example=can[0]))


# ---------------------------------------------------------------------------------------------
# the marks of one line: checked against its currency, or giving it one


def meaning(mark: str) -> str:
    """What a mark means, in words: ``EUR``, ``CNY or JPY``, ``a dollar (USD, CAD, AUD, …)``."""
    can = mark_currencies(mark)
    if len(can) <= 2:
        return _names(can)
    return _("a dollar ({examples}, …)").format(examples=", ".join(can[:3]))


@dataclass(frozen=True)
class MarkProblem:
    """A currency mark that cannot be read as the line's currency: the field it is in, a
    message for a finance reader, and its code."""

    field: str
    message: str
    code: str


#: where a line's currency comes from, for the messages: its own Currency cell ("line"), the
#: reporting currency (the drivers), USD (the GPU catalog), or the arguments' currency (flags)
CONFLICT_MESSAGES = {
    "line": N_("{mark} means {meant}, but this line is in {currency}: type the amount in "
               "{currency}, or change the line's Currency cell"),
    "reporting": N_("{mark} means {meant}, but the drivers are in the reporting currency "
                    "{currency}: type the amount in {currency}"),
    "usd": N_("{mark} means {meant}, but GPU catalog prices are in USD: type the price in USD"),
    "arguments": N_("{mark} means {meant}, but the amounts are in {currency}: type the amount "
                    "in {currency}, or set the currency to the one {mark} means"),
}


def _mixed(mark: str, other_mark: str, other: str) -> str:
    return _("{mark} and the {other_mark} typed in {other} mean different currencies: type "
             "every amount of one line in one currency").format(
        mark=mark, other_mark=other_mark, other=other)


def check_marks(marks: Mapping[str, str], currency: str | None,
                rule: str = "line") -> MarkProblem | None:
    """The first mark (by field, in order) that cannot be read on a line in ``currency``.

    ``marks`` maps each amount field to the mark typed with it. With a ``currency`` (the line's
    Currency cell, the reporting currency of the drivers, USD for the catalog: ``rule`` says
    which, for the message), every mark must be able to mean it; without one, the marks must at
    least be able to mean one same currency (``$`` and ``US$`` can; ``€`` and ``$`` cannot).
    """
    if currency:
        for field_name, mark in marks.items():
            if currency.upper() not in mark_currencies(mark):
                return MarkProblem(field_name, _(CONFLICT_MESSAGES[rule]).format(
                    mark=mark, meant=meaning(mark), currency=currency.upper()),
                    "currency_mark_conflict")
        return None
    common: set[str] | None = None
    first: tuple[str, str] | None = None
    for field_name, mark in marks.items():
        can = set(mark_currencies(mark))
        if common is not None and first is not None and not common & can:
            return MarkProblem(field_name, _mixed(mark, first[1], first[0]),
                               "mixed_currency_marks")
        common = can if common is None else common & can
        first = first or (field_name, mark)
    return None


def currency_of_marks(marks: Mapping[str, str], reporting: str,
                      fx_currencies: Collection[str] = ()) -> tuple[str | None, MarkProblem | None]:
    """The currency the marks typed in a line's amounts give it when its Currency cell is blank
    (the module's rule, :func:`resolve_mark`), or the problem: an ambiguous ``¥``, or two marks
    that mean different currencies. ``(None, None)`` when there are no marks."""
    found: dict[str, str] = {}
    for field_name, mark in marks.items():
        try:
            cur = resolve_mark(mark, None, reporting, fx_currencies)
        except MarkError:
            can = mark_currencies(mark)
            return None, MarkProblem(field_name, _(
                "{mark} can mean {meant}: fill the line's Currency cell (for example "
                "{example}) so costsheet does not guess").format(
                mark=mark, meant=meaning(mark), example=can[0]), "ambiguous_currency_mark")
        for other, other_cur in found.items():
            if other_cur != cur:
                return None, MarkProblem(field_name, _mixed(mark, marks[other], other),
                                         "mixed_currency_marks")
        found[field_name] = cur
    return (next(iter(found.values())) if found else None), None


def no_rate_message(mark: str, currency: str, reporting: str) -> str:
    """The message for an amount whose mark gives its line a currency with no FX rate."""
    if mark.strip().upper() == currency:
        text = _("the amount is in {currency}, and there is no exchange rate from {currency} "
                 "to {reporting}: add {currency} on the FX sheet, or type the amount in "
                 "{reporting}")
    else:
        text = _("{mark} means {currency}, and there is no exchange rate from {currency} to "
                 "{reporting}: add {currency} on the FX sheet, or type the amount in "
                 "{reporting}")
    return text.format(mark=mark, currency=currency, reporting=reporting)
