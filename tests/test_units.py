"""Numbers as people type them: 7B, 14.8T, 2.788M, 1,082,990, 3.8e25, $2, 40%."""

from __future__ import annotations

import math

import pytest
from costsheet.units import (
    UnitError,
    format_money,
    format_quantity,
    parse_count,
    parse_fraction,
    parse_number,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7B", 7e9),
        ("671B", 671e9),
        ("14.8T", 14.8e12),
        ("2.788M", 2.788e6),
        ("2.788m", 2.788e6),  # nobody budgets in milli-GPU-hours
        ("1,082,990", 1_082_990),
        ("3.8e25", 3.8e25),
        ("3.8E25", 3.8e25),
        ("$2", 2.0),
        ("$2.00", 2.0),
        ("€1.50", 1.5),
        ("EUR 3", 3.0),
        ("3 EUR", 3.0),
        ("2k", 2000.0),
        ("1.5bn", 1.5e9),
        ("30.84M", 30.84e6),
        (" 2,048 ", 2048.0),
        ("2\u00a0048", None),  # a non-breaking space inside a number is not a thousands mark
        ("1_000", 1000.0),
        (".5", 0.5),
        ("40%", 0.4),
        ("12.5%", 0.125),
        (42, 42.0),
        (0.4, 0.4),
    ],
)
def test_parse_number_accepts_what_people_type(text: object, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(UnitError):
            parse_number(text)
        return
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "not a number"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("-5", "must not be negative"),
        ("1,2345", "not a number"),  # a misplaced thousands separator
        ("7 billion", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a number"),
        (float("inf"), "not a finite number"),
        (float("nan"), "not a finite number"),
        (True, "not a number"),
        (None, "not a number"),
        ("1e41", "too large"),
    ],
)
def test_parse_number_refuses_with_a_message(text: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_number(text)


def test_unit_error_is_a_value_error() -> None:
    assert issubclass(UnitError, ValueError)


def test_negative_numbers_only_when_allowed() -> None:
    assert parse_number("-5", allow_negative=True) == -5.0
    assert parse_number("-1.5M", allow_negative=True) == -1.5e6


@pytest.mark.parametrize(("text", "expected"), [(0.4, 0.4), ("0.4", 0.4), ("40%", 0.4),
                                                 ("100%", 1.0), (1, 1.0), (0, 0.0)])
def test_parse_fraction(text: object, expected: float) -> None:
    assert parse_fraction(text) == pytest.approx(expected)


def test_fraction_typed_as_a_percentage_says_so() -> None:
    with pytest.raises(UnitError) as info:
        parse_fraction("40")
    assert str(info.value) == "looks like a percentage typed as 40; write 40% or 0.4"
    with pytest.raises(UnitError, match="looks like a percentage typed as 32.5"):
        parse_fraction(32.5)


def test_fraction_limits() -> None:
    with pytest.raises(UnitError, match="must be at most 100%"):
        parse_fraction("150%")
    with pytest.raises(UnitError, match="between 0 and 1"):
        parse_fraction(400)
    # an overhead may exceed 100%: a burden of 130% is 1.3
    assert parse_fraction("130%", max_value=10) == pytest.approx(1.3)
    assert parse_fraction(1.3, max_value=10) == pytest.approx(1.3)
    with pytest.raises(UnitError, match="between 0 and 10"):
        parse_fraction(1500, max_value=10)


def test_parse_count() -> None:
    assert parse_count("2,048") == 2048
    assert parse_count("2k") == 2000
    assert parse_count(16384.0) == 16384
    with pytest.raises(UnitError, match="whole number"):
        parse_count("2.5")
    with pytest.raises(UnitError, match="negative"):
        parse_count("-1")


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.788e6, "2.788M"), (14.8e12, "14.8T"), (37e9, "37B"), (2048, "2,048"),
     (3.8e25, "3.8e25"), (3.2856e24, "3.286e24"), (0.5, "0.5"), (150, "150")],
)
def test_format_quantity(value: float, text: str) -> None:
    assert format_quantity(value) == text


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [(5_576_000, "USD", "$5,576,000"), (2, "USD", "$2.00"), (1.5, "EUR", "€1.50"),
     (1_000_000, "CNY", "¥1,000,000"), (12, "CHF", "12.00 CHF"), (-2500, "USD", "-$2,500")],
)
def test_format_money(value: float, currency: str, text: str) -> None:
    assert format_money(value, currency) == text


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=1.0, max_value=1e30, allow_nan=False, allow_infinity=False))
def test_formatted_quantities_read_back(value: float) -> None:
    """What the model writes in a basis text reads back: 4 significant digits, or to the unit."""
    back = parse_number(format_quantity(value))
    assert abs(back - value) <= max(5e-4 * value, 0.5)
    assert math.isclose(back, value, rel_tol=5e-3)
