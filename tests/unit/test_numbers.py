"""Numbers as members type them: thousands separators against a decimal comma (bot/numbers.py's rules)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.numbers import parse_decimal, parse_whole


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1,5", Decimal("1.5")),
        ("2,75", Decimal("2.75")),
        ("0,500", Decimal("0.5")),
        (",5", Decimal("0.5")),
        ("2.5", Decimal("2.5")),
        ("3,000", Decimal(3000)),
        ("12,500,000", Decimal(12_500_000)),
        ("1.000.000", Decimal(1_000_000)),
        ("1,234.5", Decimal("1234.5")),
        ("1.234,5", Decimal("1234.5")),
        ("3 000", Decimal(3000)),
        ("3\u202f000", Decimal(3000)),
        ("3'000", Decimal(3000)),
        (" 40 ", Decimal(40)),
        ("-2", Decimal(-2)),
        ("1,5000", Decimal("1.5")),
    ],
)
def test_decimal_reading(typed: str, expected: Decimal) -> None:
    assert parse_decimal(typed) == expected


@pytest.mark.parametrize("typed", ["", "abc", "1,2,3", "1.2.3", "1..5", "1,,5", "1,234,5.6", "2.5.000", "1e9", "nan"])
def test_not_numbers(typed: str) -> None:
    assert parse_decimal(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3,000", 3000), ("245", 245), ("3 000", 3000), ("2.0", 2), ("1,5", None), ("2.5", None), ("3.000", None)],
)
def test_whole_numbers(typed: str, expected: int | None) -> None:
    # "3.000" is 3000 to some members and 3 to others: refused, so the form asks again instead of guessing.
    assert parse_whole(typed) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_any_english_grouped_integer_reads_back(number: int) -> None:
    assert parse_whole(f"{number:,}") == number
    assert parse_whole(str(number)) == number


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=99))
def test_a_decimal_comma_with_one_or_two_digits_is_a_decimal(whole: int, hundredths: int) -> None:
    assert parse_decimal(f"{whole},{hundredths:02d}") == Decimal(f"{whole}.{hundredths:02d}")
