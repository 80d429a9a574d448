"""The projection rules against every known date (pathway-facts.md) and as properties for 2020-2100."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cycle.models import NRMP_ZONE, MilestoneKind, MilestoneStatus, local_to_utc
from bot.cycle.rules import (
    FRIDAY,
    MONDAY,
    PROJECTED_KINDS,
    SUNDAY,
    THURSDAY,
    WEDNESDAY,
    first_weekday_on_or_after,
    last_weekday,
    match_day,
    nth_weekday,
    project,
    project_cycle,
)

ET = ZoneInfo(NRMP_ZONE)
K = MilestoneKind


def projected(year: int, kind: MilestoneKind) -> datetime:
    milestone = project(year, kind)
    assert milestone is not None
    return milestone.at


def et(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ET)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, date(2023, 3, 17)),
        (2024, date(2024, 3, 15)),
        (2025, date(2025, 3, 21)),
        (2026, date(2026, 3, 20)),
        (2027, date(2027, 3, 19)),
        (2028, date(2028, 3, 17)),
        (2029, date(2029, 3, 16)),
        (2030, date(2030, 3, 15)),
    ],
)
def test_match_day_is_third_friday_of_march_at_noon_et(year: int, expected: date) -> None:
    assert match_day(year) == expected
    assert projected(year, K.MATCH_DAY) == et(expected.year, 3, expected.day, 12)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, date(2023, 3, 1)),
        (2024, date(2024, 2, 28)),  # leap year: 16 days before Mar 15 crosses Feb 29
        (2025, date(2025, 3, 5)),
        (2026, date(2026, 3, 4)),
        (2027, date(2027, 3, 3)),  # reported by secondary sources for Match 2027
    ],
)
def test_rol_deadline_is_wednesday_16_days_before_match_day_at_9pm_et(year: int, expected: date) -> None:
    at = projected(year, K.ROL_DEADLINE)
    assert at == et(expected.year, expected.month, expected.day, 21)
    assert at.astimezone(ET).weekday() == WEDNESDAY
    # 9 p.m. EST is 02:00 UTC the next day: a naive "same date in UTC" assumption would be a day off.
    assert at == datetime.combine(expected + timedelta(days=1), time(2, 0), tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, date(2023, 2, 1)),  # Wednesday
        (2024, date(2024, 2, 1)),  # Thursday
        (2025, date(2025, 2, 3)),  # Feb 1 was a Saturday
        (2026, date(2026, 2, 2)),  # Feb 1 was a Sunday
        (2027, date(2027, 2, 1)),  # reported for Match 2027
    ],
)
def test_ranking_opens_first_weekday_on_or_after_feb_1_at_noon_et(year: int, expected: date) -> None:
    assert projected(year, K.RANKING_OPENS) == et(expected.year, 2, expected.day, 12)


@pytest.mark.parametrize(
    ("year", "opens", "submit", "review"),
    [
        (2026, date(2025, 6, 4), date(2025, 9, 3), date(2025, 9, 24)),
        (2027, date(2026, 6, 3), date(2026, 9, 2), date(2026, 9, 23)),
    ],
)
def test_eras_dates_first_wednesdays_and_three_weeks_later_at_9am_et(
    year: int, opens: date, submit: date, review: date
) -> None:
    assert projected(year, K.ERAS_SEASON_OPENS) == et(opens.year, opens.month, opens.day, 9)
    assert projected(year, K.ERAS_SUBMISSION_OPENS) == et(submit.year, submit.month, submit.day, 9)
    assert projected(year, K.ERAS_PROGRAM_REVIEW) == et(review.year, review.month, review.day, 9)
    assert projected(year, K.ERAS_SEASON_ENDS) == et(year, 5, 31, 17)


def test_nrmp_registration_opens_sept_15_noon_et_of_the_year_before() -> None:
    assert projected(2027, K.NRMP_REGISTRATION_OPENS) == datetime(2026, 9, 15, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, date(2025, 1, 31)),  # late fee after Jan 31 in the 2025 Match (pathway-facts.md section 4)
        (2026, date(2026, 1, 30)),
        (2027, date(2027, 1, 29)),  # reported for Match 2027 (section 10): not Jan 31, a Sunday
        (2028, date(2028, 1, 28)),
        (2031, date(2031, 1, 31)),
    ],
)
def test_nrmp_registration_deadline_is_the_last_friday_of_january(year: int, expected: date) -> None:
    deadline = project(year, K.NRMP_REGISTRATION_DEADLINE)
    assert deadline is not None
    # No published time: a date, shown as a date, anchored at 00:00 ET.
    assert deadline.all_day and deadline.local_date == expected and deadline.at == et(year, 1, expected.day)
    assert deadline.status is MilestoneStatus.PROJECTED
    assert deadline.source.url.startswith("https://www.nrmp.org/")
    assert "late fee" in deadline.note and "rank order list deadline" in deadline.note
    assert deadline.kb_entry == "nrmp-registration"


def test_match_2027_reported_dates_match_the_rules() -> None:
    # pathway-facts.md sections 9 and 10, Match 2027 as reported by secondary sources: every rule agrees.
    reported = {
        K.ERAS_SEASON_OPENS: et(2026, 6, 3, 9),
        K.ERAS_SUBMISSION_OPENS: et(2026, 9, 2, 9),
        K.NRMP_REGISTRATION_OPENS: et(2026, 9, 15, 12),
        K.ERAS_PROGRAM_REVIEW: et(2026, 9, 23, 9),
        K.NRMP_REGISTRATION_DEADLINE: et(2027, 1, 29),
        K.RANKING_OPENS: et(2027, 2, 1, 12),
        K.ROL_DEADLINE: et(2027, 3, 3, 21),
        K.MATCH_WEEK: et(2027, 3, 15, 10),
        K.SOAP_OPENS: et(2027, 3, 15, 11),
        K.SOAP_ROUND_1: et(2027, 3, 18, 9),
        K.SOAP_ROUND_4: et(2027, 3, 18, 18),
        K.SOAP_ENDS: et(2027, 3, 18, 21),
        K.MATCH_DAY: et(2027, 3, 19, 12),
        K.RESIDENCY_START: et(2027, 7, 1),
    }
    assert {kind: projected(2027, kind) for kind in reported} == reported


def test_match_week_2027_in_utc() -> None:
    # Mar 15 2027 is after DST began (Mar 14), so ET is UTC-4.
    assert projected(2027, K.MATCH_WEEK) == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    assert projected(2027, K.SOAP_OPENS) == datetime(2027, 3, 15, 15, 0, tzinfo=UTC)
    rounds = [projected(2027, k) for k in (K.SOAP_ROUND_1, K.SOAP_ROUND_2, K.SOAP_ROUND_3, K.SOAP_ROUND_4)]
    assert rounds == [datetime(2027, 3, 18, h, 0, tzinfo=UTC) for h in (13, 16, 19, 22)]
    assert projected(2027, K.SOAP_ENDS) == datetime(2027, 3, 19, 1, 0, tzinfo=UTC)  # Thu 21:00 EDT
    assert projected(2027, K.MATCH_DAY) == datetime(2027, 3, 19, 16, 0, tzinfo=UTC)


def test_ten_am_et_in_march_is_14_or_15_utc_depending_on_dst() -> None:
    # US DST began on Sunday 2026-03-08: before it, 10:00 ET is 15:00 UTC; after it, 14:00 UTC.
    assert local_to_utc(date(2026, 3, 2), time(10, 0), NRMP_ZONE) == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert local_to_utc(date(2026, 3, 16), time(10, 0), NRMP_ZONE) == datetime(2026, 3, 16, 14, 0, tzinfo=UTC)
    assert projected(2026, K.MATCH_WEEK) == datetime(2026, 3, 16, 14, 0, tzinfo=UTC)


def test_times_skipped_or_repeated_by_dst_are_refused() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        local_to_utc(date(2026, 3, 8), time(2, 30), NRMP_ZONE)
    with pytest.raises(ValueError, match="happens twice"):
        local_to_utc(date(2026, 11, 1), time(1, 30), NRMP_ZONE)


def test_date_only_milestones_are_all_day_at_midnight_et() -> None:
    start = project(2027, K.RESIDENCY_START)
    assert start is not None
    assert start.all_day and start.local_date == date(2027, 7, 1)
    # July 1 is the NRMP's standing rule, not a pattern: official in every Match year.
    assert (
        start.status is MilestoneStatus.OFFICIAL
        and start.source.url == "https://www.nrmp.org/residency/us-allopathic-senior/"
    )
    assert start.at == datetime(2027, 7, 1, 4, 0, tzinfo=UTC)
    assert start.end == datetime(2027, 7, 2, 4, 0, tzinfo=UTC)
    begins, ends = project(2027, K.INTERVIEW_SEASON_BEGINS), project(2027, K.INTERVIEW_SEASON_ENDS)
    assert begins is not None and ends is not None
    assert (begins.local_date, ends.local_date) == (date(2026, 10, 1), date(2027, 1, 31))
    assert begins.all_day and ends.all_day


def test_every_projection_is_marked_projected_and_cites_a_pattern_source() -> None:
    allowed_hosts = ("https://students-residents.aamc.org/", "https://www.nrmp.org/", "https://www.prnewswire.com/")
    for milestone in project_cycle(2027):
        # Residency start is the one rule that restates an NRMP rule (July 1 of the Match year), not a pattern.
        expected = MilestoneStatus.OFFICIAL if milestone.kind is K.RESIDENCY_START else MilestoneStatus.PROJECTED
        assert milestone.status is expected, milestone.kind
        assert milestone.source.url.startswith(allowed_hosts), milestone.source
        assert milestone.source.title and milestone.note


def test_kinds_without_a_pattern_are_not_projected() -> None:
    for kind in (K.ERAS_TOKEN_AVAILABLE, K.PATHWAYS_OPENS, K.PATHWAYS_DEADLINE):
        assert kind not in PROJECTED_KINDS
        assert project(2027, kind) is None
    assert set(PROJECTED_KINDS) | {K.ERAS_TOKEN_AVAILABLE, K.PATHWAYS_OPENS, K.PATHWAYS_DEADLINE} == set(K)


def test_years_outside_the_supported_range_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        project_cycle(1999)
    with pytest.raises(ValueError, match="outside"):
        project(2201, K.MATCH_DAY)


def test_weekday_helpers() -> None:
    assert nth_weekday(2026, 6, WEDNESDAY, 1) == date(2026, 6, 3)
    assert nth_weekday(2026, 3, FRIDAY, 3) == date(2026, 3, 20)
    assert nth_weekday(2026, 3, MONDAY, 1) == date(2026, 3, 2)  # March 2026 starts on a Sunday
    assert first_weekday_on_or_after(date(2025, 2, 1)) == date(2025, 2, 3)  # Saturday -> Monday
    assert first_weekday_on_or_after(date(2026, 2, 1)) == date(2026, 2, 2)  # Sunday -> Monday
    assert first_weekday_on_or_after(date(2024, 2, 1)) == date(2024, 2, 1)  # Thursday stays
    assert last_weekday(2027, 1, FRIDAY) == date(2027, 1, 29)
    assert last_weekday(2025, 1, FRIDAY) == date(2025, 1, 31)  # the month's last day is itself a Friday
    assert last_weekday(2026, 2, SUNDAY) == date(2026, 2, 22)


EXPECTED_SEQUENCE = [
    K.ERAS_SEASON_OPENS,
    K.ERAS_SUBMISSION_OPENS,
    K.NRMP_REGISTRATION_OPENS,
    K.ERAS_PROGRAM_REVIEW,
    K.INTERVIEW_SEASON_BEGINS,
    K.NRMP_REGISTRATION_DEADLINE,
    K.INTERVIEW_SEASON_ENDS,
    K.RANKING_OPENS,
    K.ROL_DEADLINE,
    K.MATCH_WEEK,
    K.SOAP_OPENS,
    K.SOAP_ROUND_1,
    K.SOAP_ROUND_2,
    K.SOAP_ROUND_3,
    K.SOAP_ROUND_4,
    K.SOAP_ENDS,
    K.MATCH_DAY,
    K.ERAS_SEASON_ENDS,
    K.RESIDENCY_START,
]

years = st.integers(min_value=2020, max_value=2100)


@settings(deadline=None)
@given(years)
def test_every_cycle_follows_the_same_strictly_chronological_sequence(year: int) -> None:
    cycle = project_cycle(year)
    assert [m.kind for m in cycle] == EXPECTED_SEQUENCE
    # Strictly increasing, except that two all-day milestones may share a day: the registration deadline and the
    # end of interview season both fall on Jan 31 when it is a Friday (2025, 2031), ordered by kind.
    for a, b in pairwise(cycle):
        assert a.at < b.at or (a.at == b.at and a.all_day and b.all_day and a.kind.order < b.kind.order), (a, b)
    assert all(m.match_year == year for m in cycle)
    first, last = cycle[0].local_at.date(), cycle[-1].local_at.date()
    assert date(year - 1, 6, 1) <= first and last == date(year, 7, 1)
    # The next cycle's ERAS season opens after this one's closes and before this residency starts.
    next_opens = projected(year + 1, K.ERAS_SEASON_OPENS)
    assert projected(year, K.ERAS_SEASON_ENDS) < next_opens < projected(year, K.RESIDENCY_START)


@settings(deadline=None)
@given(years)
def test_match_week_shape_for_any_year(year: int) -> None:
    by_kind = {m.kind: m for m in project_cycle(year)}
    day = by_kind[K.MATCH_DAY].local_at
    assert day.weekday() == FRIDAY and day.month == 3 and 15 <= day.day <= 21
    assert (day.hour, day.minute) == (12, 0)
    assert by_kind[K.MATCH_WEEK].local_at.weekday() == MONDAY
    assert by_kind[K.MATCH_WEEK].local_at == day.replace(hour=10) - timedelta(days=4)
    assert by_kind[K.ROL_DEADLINE].local_at.weekday() == WEDNESDAY
    assert by_kind[K.ROL_DEADLINE].local_at.date() == day.date() - timedelta(days=16)
    for kind in (K.SOAP_ROUND_1, K.SOAP_ROUND_2, K.SOAP_ROUND_3, K.SOAP_ROUND_4, K.SOAP_ENDS):
        assert by_kind[kind].local_at.weekday() == THURSDAY
        assert by_kind[kind].local_at.date() == day.date() - timedelta(days=1)
    opens = by_kind[K.RANKING_OPENS].local_at
    assert opens.month == 2 and 1 <= opens.day <= 3 and opens.weekday() < 5
    # Match Week always starts after the second Sunday of March, so it is always in daylight time (UTC-4).
    assert by_kind[K.MATCH_WEEK].at.hour == 14
    assert by_kind[K.ROL_DEADLINE].at.hour == 2  # 21:00 EST, before DST starts


@settings(deadline=None)
@given(years)
def test_eras_shape_for_any_year(year: int) -> None:
    by_kind = {m.kind: m for m in project_cycle(year)}
    opens = by_kind[K.ERAS_SEASON_OPENS].local_at
    submit = by_kind[K.ERAS_SUBMISSION_OPENS].local_at
    assert opens.weekday() == WEDNESDAY and opens.month == 6 and opens.day <= 7 and opens.year == year - 1
    assert submit.weekday() == WEDNESDAY and submit.month == 9 and submit.day <= 7
    assert by_kind[K.ERAS_PROGRAM_REVIEW].local_at == submit + timedelta(weeks=3)
