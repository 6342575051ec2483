"""The language people read: message catalogs (gettext), the current language, CLDR formatting.

Every user-visible string goes through :func:`_` (or :func:`ngettext` for a count), written in
English in the code; the catalogs under ``costsheet/locale/<lang>/LC_MESSAGES/costsheet.mo``
translate it (``make messages`` extracts, updates and compiles them with Babel; docs/TEAM.md).
A third language is a catalog file, not a code change.

The current language is a context variable: the CLI sets it for the length of a command
(``--lang``, the workbook's remembered language, or the environment's locale); a library caller
sets it with ``with use_language("zh"): ...``. Unset, the library speaks English. Text is
translated when it is made, so a message built inside ``use_language("zh")`` stays Chinese.

Module-level constants are marked with :func:`N_` (a no-op the extractor sees) and translated
where they are used, or wrapped as :func:`lazy` / :class:`LazyMapping`, which translate each time
they are read.

Numbers and money for people (terminal, Basis text, messages) are formatted here from CLDR data
(Babel): :func:`format_money`, :func:`format_quantity`, :func:`format_number`; Excel number
formats come from the same symbols (:func:`costsheet.workbook.sheetkit.money_format`). Babel is
imported on first use, never at import time: the Excel functions (``costsheet.udfs``) import this
module and must stay light.
"""

from __future__ import annotations

import gettext as _gettext
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

DOMAIN = "costsheet"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: the source language: every msgid is English, so English needs no catalog
SOURCE_LANGUAGE = "en"

_language: ContextVar[str | None] = ContextVar("costsheet_language", default=None)


# ---------------------------------------------------------------------------------------------
# which language


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """English and every language with a compiled catalog (``locale/<lang>/LC_MESSAGES``)."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return (SOURCE_LANGUAGE, *(lang for lang in found if lang != SOURCE_LANGUAGE))


def normalise_language(text: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``zh_Hans`` → ``zh``; ``C``/``POSIX``/unknown → None.

    Only languages with a catalog (and English) are returned.
    """
    if not text:
        return None
    code = text.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].strip().lower()
    return code if code in available_languages() else None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of the environment's locale, in gettext's order: ``LANGUAGE`` (a
    colon-separated list), ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; the first variable that is set
    decides (``LANG=zh_CN.UTF-8`` → ``zh``; ``C.UTF-8`` → None, i.e. English)."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if not value:
            continue
        for part in value.split(":"):
            lang = normalise_language(part)
            if lang is not None:
                return lang
        if var != "LANGUAGE":  # gettext: the first of LC_ALL, LC_MESSAGES, LANG that is set
            return None
    return None


def get_language() -> str:
    """The current language: the one set by :func:`use_language`/:func:`set_language`, or
    English."""
    return _language.get() or SOURCE_LANGUAGE


def explicit_language() -> str | None:
    """The language a caller set, or None when nobody did (the library then speaks English)."""
    return _language.get()


def check_language(lang: str) -> str:
    """``lang`` normalised (``zh_CN`` → ``zh``), or ValueError naming the known languages."""
    found = normalise_language(lang)
    if found is None:
        raise ValueError(_("unknown language {lang!r} (known: {known})").format(
            lang=lang, known=", ".join(available_languages())))
    return found


def set_language(lang: str | None) -> Token[str | None]:
    """Set the current language (None: unset); returns the token :func:`reset_language` takes."""
    return _language.set(None if lang is None else check_language(lang))


def reset_language(token: Token[str | None]) -> None:
    _language.reset(token)


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """``with use_language("zh"):`` everything made inside speaks Chinese (None: no change)."""
    if lang is None:
        yield get_language()
        return
    token = set_language(lang)
    try:
        yield get_language()
    finally:
        _language.reset(token)


# ---------------------------------------------------------------------------------------------
# the catalogs


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: none, every msgid is its own translation)."""
    if lang == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """``message`` (English, a literal the extractor finds) in the current language."""
    if not message:  # gettext("") is the catalog's header
        return message
    return translations(get_language()).gettext(message)


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang``, whatever the current language."""
    if not message:
        return message
    return translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` (``{n} problem`` / ``{n} problems``) in the current language."""
    return translations(get_language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart from the same English by ``context``."""
    return translations(get_language()).pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction without translating it (translate where it is used)."""
    return message


class LazyText:
    """A module-level message translated each time it is read (``str(text)``, ``format``)."""

    __slots__ = ("msgid",)

    def __init__(self, msgid: str):
        self.msgid = msgid

    def __str__(self) -> str:
        return _(self.msgid)

    def __repr__(self) -> str:
        return f"lazy({self.msgid!r})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def format(self, *args: Any, **kwargs: Any) -> str:
        return str(self).format(*args, **kwargs)

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, LazyText)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __len__(self) -> int:
        return len(str(self))


def lazy(message: str) -> LazyText:
    """A module-level constant translated when read, not when the module is imported."""
    return LazyText(message)


class LazyMapping(Mapping[str, str]):
    """A constant mapping of keys to messages, each translated when looked up.

    ``FAMILY_LABELS["data"]`` is "Data" in English and "数据成本" in Chinese; ``.msgid(key)`` is
    the English.
    """

    def __init__(self, messages: Mapping[str, str]):
        self._messages = dict(messages)

    def __getitem__(self, key: str) -> str:
        return _(self._messages[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def msgid(self, key: str) -> str:
        return self._messages[key]

    def __repr__(self) -> str:
        return f"LazyMapping({self._messages!r})"


# ---------------------------------------------------------------------------------------------
# numbers for people, from CLDR (Babel, imported on first use)


@cache
def babel_locale(lang: str) -> Any:
    """The Babel ``Locale`` of a language code (``zh`` → Simplified Chinese)."""
    from babel import Locale

    return Locale.parse(lang)


@cache
def _money_pattern(lang: str, decimals: int) -> Any:
    """The locale's standard currency pattern with ``decimals`` fraction digits."""
    from babel.numbers import parse_pattern

    loc = babel_locale(lang)
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    pattern.frac_prec = (decimals, decimals)
    return pattern


#: English signs as costsheet has always written them (CLDR ``en`` for USD, EUR, GBP and JPY;
#: ``¥`` for CNY too, as English-language finance writing does); other currencies in English
#: are written ``12.00 CHF``. Every other language follows CLDR (Babel).
EN_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}


#: From here on, numbers are shown as 1.234e21 in every language: no budget reaches it, and
#: Babel's decimal rounding (28 digits) raises on the largest.
HUGE = 1e18


def _not_finite(x: float) -> str:
    """``inf``, ``-inf`` or ``nan``, in every language: CLDR has no form for them (Babel raises),
    and the text that shows them is refused before anyone reads it
    (:mod:`costsheet.model.bounds`)."""
    return str(float(x))


def money_decimals(amount: float) -> int:
    """Cents under 1,000; whole units above (a budget line, not a till receipt)."""
    return 2 if abs(amount) < 1000 else 0


def format_money(amount: float, currency: str = "USD", *, decimals: int | None = None) -> str:
    """An amount with its currency as people of the current language write it: ``$4,642,965``,
    ``¥1,234``, ``€12.50``, ``12.00 CHF`` in English; CLDR's form elsewhere (Chinese:
    ``US$4,642,965``, ``¥1,234``, ``€12.50``, ``CHF 12.00``).
    """
    if not math.isfinite(amount):
        return _not_finite(amount)
    d = money_decimals(amount) if decimals is None else decimals
    lang = get_language()
    if lang == SOURCE_LANGUAGE:  # English without Babel (the Excel functions format money too)
        body = f"{abs(amount):,.{d}f}"
        neg = "-" if amount < 0 else ""
        sign = EN_SYMBOLS.get(currency)
        return f"{neg}{sign}{body}" if sign else f"{neg}{body} {currency}"
    if abs(amount) >= HUGE:  # beyond what Babel's decimal rounding holds (it raises)
        return f"{amount:.4g} {currency}".replace("e+", "e")
    return str(_money_pattern(lang, d).apply(amount, babel_locale(lang), currency=currency,
                                             currency_digits=False))


def format_money_short(amount: float, currency: str = "USD") -> str:
    """Money to three significant figures, for a sentence: ``$4.64M``, ``$464k`` in English;
    CLDR's compact form elsewhere (Chinese: ``US$464.3万``)."""
    if not math.isfinite(amount) or abs(amount) >= HUGE:
        return format_money(amount, currency)
    lang = get_language()
    if lang != SOURCE_LANGUAGE:
        from babel.numbers import format_compact_currency

        return str(format_compact_currency(amount, currency, locale=babel_locale(lang),
                                           fraction_digits=2))
    r = float(f"{abs(amount):.3g}")
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if r >= div:
            body = f"{r / div:#.3g}".rstrip(".") + suffix
            sign = EN_SYMBOLS.get(currency)
            neg = "-" if amount < 0 else ""
            return f"{neg}{sign}{body}" if sign else f"{neg}{body} {currency}"
    return format_money(amount, currency)


def format_number(x: float, decimals: int = 0) -> str:
    """A plain number with the locale's grouping and decimal mark: ``1,082,990``."""
    if not math.isfinite(x):
        return _not_finite(x)
    if get_language() == SOURCE_LANGUAGE:
        return f"{x:,.{decimals}f}"
    if abs(x) >= HUGE:
        return f"{x:.4g}".replace("e+", "e")
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(x, format=pattern, locale=babel_locale(get_language())))


def _significant(x: float, digits: int = 4) -> float:
    if x == 0:
        return 0.0
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def format_quantity(x: float) -> str:
    """Short human form of a count: ``2.788M``, ``14.8T``, ``37B``, ``2,048`` in English;
    CLDR's short form elsewhere (``278.8万``, ``14.8万亿``, ``370亿``)."""
    if not math.isfinite(x):
        return _not_finite(x)
    ax = abs(x)
    if ax >= 1e15 or (0 < ax < 1e-3):
        return f"{x:.4g}".replace("e+", "e")
    lang = get_language()
    if lang == SOURCE_LANGUAGE:
        for div, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
            if ax >= div:
                return f"{x / div:,.4g}{suf}"
        if ax >= 100 or float(x).is_integer():
            return f"{x:,.0f}"
        return f"{x:,.4g}"
    from babel.numbers import format_compact_decimal, format_decimal

    loc = babel_locale(lang)
    if ax >= 1e6:
        return str(format_compact_decimal(_significant(x), locale=loc, fraction_digits=3))
    if ax >= 100 or float(x).is_integer():
        return str(format_decimal(x, format="#,##0", locale=loc))
    return str(format_decimal(_significant(x), format="#,##0.###", locale=loc))


def format_percent(x: float, decimals: int = 1) -> str:
    """A fraction as a percentage: ``22.5%``."""
    if not math.isfinite(x):
        return _not_finite(x)
    if get_language() == SOURCE_LANGUAGE:
        return f"{x:.{decimals}%}"
    from babel.numbers import format_percent as babel_percent

    pattern = "0" + ("." + "0" * decimals if decimals else "") + "%"
    return str(babel_percent(x, format=pattern, locale=babel_locale(get_language())))



# ---------------------------------------------------------------------------------------------
# text in columns (terminal tables, sheet widths): CJK characters take two columns


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or an Excel column: wide (CJK) characters count 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns (``<`` left, ``>`` right)."""
    fill = " " * max(0, width - text_width(text))
    return text + fill if align == "<" else fill + text


__all__ = [
    "DOMAIN", "EN_SYMBOLS", "LOCALE_DIR", "SOURCE_LANGUAGE", "LazyMapping", "LazyText", "N_",
    "_", "available_languages", "babel_locale", "check_language",
    "explicit_language", "format_money", "format_number", "format_percent", "format_quantity",
    "get_language", "gettext_in", "language_from_environment", "lazy", "money_decimals",
    "ngettext", "normalise_language", "pad", "pgettext", "reset_language", "set_language",
    "text_width", "translations", "use_language",
]
