"""Numbers as people type them: ``7B``, ``14.8T``, ``2.788M``, ``1,082,990``, ``$2.00``, ``40%``.

Every parser raises :class:`UnitError` (a ``ValueError``) with a message that can be shown to a
finance user as it is.
"""

from __future__ import annotations

import math
import re
from typing import Any

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

_NUMBER = re.compile(
    r"""^\s*
    (?P<sign>[-+]?)\s*
    (?P<cur>[A-Z]{3}\s+|[$€£¥])?\s*
    (?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)
    (?P<exp>[eE][-+]?\d+)?
    \s*(?P<suffix>[kKmMbBGtTPE]|mn|bn)?
    \s*(?P<cur2>\s[A-Z]{3})?
    \s*$""",
    re.VERBOSE,
)


class UnitError(ValueError):
    """A value that cannot be read as the number, fraction or unit asked for.

    ``code`` names the problem in one word (``not_a_number``, ``percent_typed_as_number``, ...);
    see :mod:`costsheet.errors`.
    """

    def __init__(self, message: str, code: str = "invalid_value"):
        super().__init__(message)
        self.code = code


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_number(value: Any, *, allow_negative: bool = False) -> float:
    """Read a number: a Python number, or text like ``7B``, ``1,082,990``, ``3.8e25``, ``$2``.

    Percent text (``40%``) is read as the fraction 0.4. Non-finite values are refused.
    """
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", " ").replace("_", "")
        if not text:
            raise UnitError("is empty", "empty")
        if text.endswith("%"):
            number = parse_number(text[:-1], allow_negative=allow_negative) / 100.0
            return number
        m = _NUMBER.match(text)
        if not m:
            raise UnitError("not a number", "not_a_number")
        number = float(m.group("num").replace(",", "") + (m.group("exp") or ""))
        number *= SUFFIXES[m.group("suffix") or ""]
        if m.group("sign") == "-":
            number = -number
    else:
        raise UnitError("not a number", "not_a_number")
    if not math.isfinite(number):
        raise UnitError("not a finite number", "not_finite")
    if abs(number) > 1e40:
        raise UnitError("too large to be a real quantity", "too_large")
    if number < 0 and not allow_negative:
        raise UnitError("must not be negative", "negative")
    return number


def parse_fraction(value: Any, *, max_value: float = 1.0) -> float:
    """Read a fraction: ``0.4`` or ``40%``. A bare ``40`` is refused with a clear message.

    ``max_value`` is the largest fraction that makes sense (1.0 for MFU or a share; larger for
    an overhead such as an employer burden of 130%).
    """
    if isinstance(value, str) and value.strip().endswith("%"):
        number = parse_number(value)
    else:
        number = parse_number(value)
        if number > max_value:
            if 1 < number <= 100:
                raise UnitError(
                    f"looks like a percentage typed as {_fmt_plain(number)}; "
                    f"write {_fmt_plain(number)}% or {_fmt_plain(number / 100)}",
                    "percent_typed_as_number",
                )
            raise UnitError(f"must be a fraction between 0 and {_fmt_plain(max_value)}",
                            "not_a_fraction")
    if number > max_value:
        raise UnitError(f"must be at most {_fmt_plain(max_value * 100)}%", "too_large")
    return number


def parse_count(value: Any) -> int:
    """A whole, non-negative number such as a GPU count (``2,048`` or ``2k``)."""
    number = parse_number(value)
    if abs(number - round(number)) > 1e-9:
        raise UnitError("must be a whole number", "not_a_whole_number")
    return int(round(number))


def _fmt_plain(x: float) -> str:
    return f"{x:g}"


def format_quantity(x: float) -> str:
    """Short human form: 2.788M, 14.8T, 37B, 2,048."""
    ax = abs(x)
    if ax >= 1e15:
        return f"{x:.4g}".replace("e+", "e")
    for div, suf in ( (1e12, "T"), (1e9, "B"), (1e6, "M")):
        if ax >= div:
            return f"{x / div:,.4g}{suf}"
    if ax >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.4g}"


def format_money(x: float, currency: str = "USD") -> str:
    signs = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥"}
    sign = signs.get(currency)
    decimals = 2 if abs(x) < 1000 else 0
    body = f"{abs(x):,.{decimals}f}"
    neg = "-" if x < 0 else ""
    return f"{neg}{sign}{body}" if sign else f"{neg}{body} {currency}"
