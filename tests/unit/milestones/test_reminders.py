"""Reminder offsets as admins type them (`7d,1d,0`, `2h`), and the messages for what cannot be read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.milestones.reminders import (
    MAX_REMINDERS,
    describe_reminders,
    format_reminders,
    parse_offset,
    parse_reminders,
)
from bot.validation import UserInputError

D, H, M = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d,1d,0", (7 * D, D, timedelta(0))),
        ("2h", (2 * H,)),
        ("0", (timedelta(0),)),
        ("1d12h", (D + 12 * H,)),
        ("30m", (30 * M,)),
        ("1h30m,15m", (H + 30 * M, 15 * M)),
        (" 0 , 1D , 7d ", (7 * D, D, timedelta(0))),  # spaces, capitals and any order
        ("1d;2h", (D, 2 * H)),
    ],
)
def test_reads_what_admins_type(text: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_reminders(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7x", "`7x` is not a reminder I understand"),
        ("d", "`d` is not a reminder I understand"),
        ("1 week", "`1 week` is not a reminder I understand"),
        ("-1d", "`-1d` is not a reminder I understand"),
        ("", "Give at least one reminder"),
        ("7d,,0", "empty reminder between two commas"),
        ("1d,24h", "`1d` is listed twice"),
        ("91d", "too far ahead: a reminder can be at most 90 days before"),
        ("1d,2d,3d,4d,5d,6d,7d", f"At most {MAX_REMINDERS} reminders"),
    ],
)
def test_bad_input_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(UserInputError) as caught:
        parse_reminders(text)
    assert message in str(caught.value)


def test_unreadable_offset_shows_the_accepted_forms() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_offset("soon")
    text = str(caught.value)
    assert "`7d,1d,0`" in text and "`2h`" in text and "`30m`" in text and "0 for the moment itself" in text


def test_described_for_people() -> None:
    assert describe_reminders(parse_reminders("7d,1d,0")) == "7 days before, 1 day before and when it happens"
    assert describe_reminders(parse_reminders("1d12h")) == "1 day 12 hours before"


offsets = st.lists(
    st.integers(min_value=0, max_value=90 * 24 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    min_size=1,
    max_size=MAX_REMINDERS,
    unique=True,
)


@given(offsets)
def test_format_and_parse_round_trip(values: list[timedelta]) -> None:
    text = format_reminders(values)
    assert parse_reminders(text) == tuple(sorted(values, reverse=True))
