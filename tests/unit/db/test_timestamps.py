"""bot/db/timestamps.py: one text form for every stored moment, in which text order is time order."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db.timestamps import as_utc, from_db, from_db_or_none, to_db, utc_now

CANONICAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
# Offsets from -14:00 to +14:00 in whole minutes (Python allows up to a day; real zones stay within this).
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
# Away from the ends of datetime's range, so that moving to UTC never overflows. Hypothesis wants naive bounds.
MOMENTS = st.datetimes(
    min_value=dt.datetime(1971, 1, 1),  # noqa: DTZ001 (Hypothesis bounds are naive)
    max_value=dt.datetime(9998, 12, 31),  # noqa: DTZ001 (Hypothesis bounds are naive)
    timezones=OFFSETS,
)


def test_the_stored_form_is_utc_with_microseconds_even_when_they_are_zero() -> None:
    whole_second = dt.datetime(2026, 3, 9, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1, minutes=30)))
    assert to_db(whole_second) == "2026-03-09T09:00:00.000000+00:00"
    assert from_db("2026-03-09T09:00:00.000000+00:00") == whole_second
    assert from_db("2026-03-09T09:00:00.000000+00:00").tzinfo is dt.UTC


def test_naive_times_are_refused_both_ways() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_db(dt.datetime(2026, 3, 9, 9, 0))  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(ValueError, match="naive"):
        from_db("2026-03-09T09:00:00.000000")
    with pytest.raises(ValueError, match="naive"):
        as_utc(dt.datetime(2026, 3, 9, 9, 0))  # noqa: DTZ001 (naive on purpose)


def test_a_column_that_may_be_null() -> None:
    assert from_db_or_none(None) is None
    assert from_db_or_none("2026-03-09T09:00:00.000001+00:00") == dt.datetime(2026, 3, 9, 9, 0, 0, 1, tzinfo=dt.UTC)


def test_the_real_clock_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is dt.UTC
    assert CANONICAL.match(to_db(now))


@settings(max_examples=200, deadline=None)
@given(MOMENTS)
def test_every_moment_comes_back_as_the_same_instant_in_the_one_form(moment: dt.datetime) -> None:
    text = to_db(moment)
    assert CANONICAL.match(text), text
    assert from_db(text) == moment
    assert to_db(from_db(text)) == text


@settings(max_examples=200, deadline=None)
@given(MOMENTS, MOMENTS)
def test_comparing_the_text_compares_the_instants(a: dt.datetime, b: dt.datetime) -> None:
    # What SQL relies on: ORDER BY, < and > on the columns without parsing them.
    assert (to_db(a) < to_db(b)) == (a < b)
    assert (to_db(a) == to_db(b)) == (a == b)
