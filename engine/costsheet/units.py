"""Numbers as people type them: ``7B``, ``14.8T``, ``2.788M``, ``1,082,990``, ``$2.00``, ``40%``,
``90万``, full-width ``１２``.

Every parser raises :class:`UnitError` (a ``ValueError``) with a message that can be shown to a
finance user as it is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from .currencies import MARK_TEXTS, MarkError, mark_currencies
from .i18n import _
from .i18n import format_money as format_money
from .i18n import format_money_short as format_money_short
from .i18n import format_quantity as format_quantity

SUFFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "m": 1e6,  # "2.788m" is read as million; nobody budgets in milli-GPU-hours
    "M": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "B": 1e9,
    "bn": 1e9,
    "G": 1e9,
    "t": 1e12,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
}

CURRENCY_SIGNS = "$€£¥"

#: Chinese magnitude words (万 = 10^4, 亿 = 10^8) and the combinations people write.
CHINESE_MAGNITUDES: dict[str, float] = {
    "十": 1e1, "百": 1e2, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7,
    "亿": 1e8, "十亿": 1e9, "百亿": 1e10, "千亿": 1e11, "万亿": 1e12,
}

_MARK = "|".join(re.escape(m) for m in MARK_TEXTS) + r"|[A-Za-z]{3}(?![A-Za-z])"
_NUMBER = re.compile(
    rf"""^\s*
    (?P<sign>[-+]?)\s*
    (?:(?P<cur>{_MARK})\s*)?
    (?P<sign2>[-+]?)\s*
    (?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|\.\d+)
    (?P<exp>[eE][-+]?\d+)?
    \s*(?:(?P<suffix>mn|bn|[kKmMbBGtTPE])(?![A-Za-z])|(?P<zh>[十百千万亿]+))?
    \s*(?P<cur2>{_MARK})?
    \s*$""",
    re.VERBOSE,
)
_SPACED = re.compile(r"^[-+]?\d{1,3}(?: \d{3})+(?:[.,]\d+)?$")
_DECIMAL_COMMA = re.compile(
    r"^[-+]?(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d{1,2}|\d{1,3}(?:\.\d{3})+)$")


class UnitError(ValueError):
    """A value that cannot be read as the number, fraction or unit asked for.

    ``code`` names the problem in one word (``not_a_number``, ``percent_typed_as_number``, ...);
    see :mod:`costsheet.errors`.
    """

    def __init__(self, message: str, code: str = "invalid_value"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Money:
    """An amount as typed, with the currency mark it carried (``None`` when it had none)."""

    amount: float
    mark: str | None = None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def normalise_text(text: str) -> str:
    """Full-width digits and signs as ASCII (NFKC), the Unicode minus as ``-``, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u2212", "-").replace("_", "").strip()


def _why_not(text: str) -> UnitError:
    """The most helpful reason a text is not a number."""
    bare = re.sub(rf"^(?:{_MARK})\s*|\s*(?:{_MARK})$", "", text).strip()
    if _SPACED.match(bare):
        return UnitError(_("not a number: spaces between digit groups; write it without them "
                           "({bare}) or with commas").format(bare=bare.replace(" ", "")),
                         "spaced_digit_groups")
    if _DECIMAL_COMMA.match(bare):
        return UnitError(_("not a number: looks like a decimal comma (as in 1.024,5); "
                           "costsheet reads '.' as the decimal mark and ',' between thousands: "
                           "write 1024.5"), "decimal_comma")
    if re.search(r"[十百千万亿]", text):
        return UnitError(_("not a number: use 万, 亿 or one of {words} after the digits").format(
            words=", ".join(k for k in CHINESE_MAGNITUDES if len(k) > 1)), "unknown_magnitude")
    return UnitError(_("not a number"), "not_a_number")


def _read(value: Any) -> Money:
    """The amount and currency mark of a number or text; percent text is not handled here."""
    if _is_number(value):
        return Money(float(value))
    if not isinstance(value, str):
        raise UnitError(_("not a number"), "not_a_number")
    text = normalise_text(value)
    if not text:
        raise UnitError(_("is empty"), "empty")
    negative = text.startswith("(") and text.endswith(")")  # accounting style (1,234)
    m = _NUMBER.match(text[1:-1] if negative else text)
    if not m or (m.group("cur") and m.group("cur2")) or (m.group("sign") and m.group("sign2")):
        raise _why_not(text)
    mark = m.group("cur") or m.group("cur2")
    if mark is not None:
        try:
            mark_currencies(mark)
        except MarkError:
            raise UnitError(_("not a number"), "not_a_number") from None
    number = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
    zh = m.group("zh")
    if zh is not None and zh not in CHINESE_MAGNITUDES:
        raise _why_not(zh)
    number *= CHINESE_MAGNITUDES[zh] if zh else SUFFIXES[m.group("suffix") or ""]
    if negative or "-" in (m.group("sign"), m.group("sign2")):
        number = -number
    return Money(number, mark)


def _checked(number: float, allow_negative: bool) -> float:
    if not math.isfinite(number):
        raise UnitError(_("not a finite number"), "not_finite")
    if abs(number) > 1e40:
        raise UnitError(_("too large to be a real quantity"), "too_large")
    if number < 0 and not allow_negative:
        raise UnitError(_("must not be negative"), "negative")
    return number


def parse_number(value: Any, *, allow_negative: bool = False) -> float:
    """Read a number: a Python number, or text like ``7B``, ``1,082,990``, ``3.8e25``, ``$2``.

    Percent text (``40%``) is read as the fraction 0.4; ``90万`` is 900,000 and ``7千亿``
    700 billion; full-width digits are read as digits. Non-finite values are refused. A currency
    mark is accepted and dropped: use :func:`parse_money` where the mark matters.
    """
    if isinstance(value, str):
        text = normalise_text(value)
        if text.endswith("%"):
            if not text[:-1].strip():
                raise UnitError(_("not a number"), "not_a_number")
            return parse_number(text[:-1], allow_negative=allow_negative) / 100.0
    return _checked(_read(value).amount, allow_negative)


def parse_money(value: Any, *, allow_negative: bool = False) -> Money:
    """Read an amount of money and the currency mark typed with it (``¥900,000`` → 900000, ``¥``).

    A percentage is refused (an amount typed as ``12%`` is not 0.12 of a currency); the mark is
    kept so the caller can check it against the line's currency
    (:func:`costsheet.currencies.resolve_mark`).
    """
    if isinstance(value, str) and normalise_text(value).endswith("%"):
        raise UnitError(_("is a percentage, not an amount of money"), "percent_as_money")
    money = _read(value)
    return Money(_checked(money.amount, allow_negative), money.mark)


def parse_fraction(value: Any, *, max_value: float = 1.0) -> float:
    """Read a fraction: ``0.4`` or ``40%``. A bare ``40`` is refused with a clear message.

    ``max_value`` is the largest fraction that makes sense (1.0 for MFU or a share; larger for
    an overhead such as an employer burden of 130%).
    """
    if isinstance(value, str) and normalise_text(value).endswith("%"):
        number = parse_number(value)
    else:
        number = parse_number(value)
        if number > max_value:
            if 1 < number <= 100:
                raise UnitError(
                    _("looks like a percentage typed as {number}; write {number}% or "
                      "{fraction}").format(number=_fmt_plain(number),
                                           fraction=_fmt_plain(number / 100)),
                    "percent_typed_as_number",
                )
            raise UnitError(_("must be a fraction between 0 and {most}").format(
                most=_fmt_plain(max_value)), "not_a_fraction")
    if number > max_value:
        raise UnitError(_("must be at most {most}%").format(most=_fmt_plain(max_value * 100)),
                        "too_large")
    return number


def parse_count(value: Any) -> int:
    """A whole, non-negative number such as a GPU count (``2,048`` or ``2k``)."""
    number = parse_number(value)
    if abs(number - round(number)) > 1e-9:
        raise UnitError(_("must be a whole number"), "not_a_whole_number")
    return int(round(number))


def _fmt_plain(x: float) -> str:
    return f"{x:g}"
