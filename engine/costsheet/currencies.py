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

from collections.abc import Collection
from functools import lru_cache

from .i18n import _

__all__ = ["DOLLARS", "YEN_YUAN", "MarkError", "iso_codes", "mark_currencies", "resolve_mark"]

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
