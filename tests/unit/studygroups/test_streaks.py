"""Streaks: the grace rule against a brute-force oracle; local days across zones, DST, moves, midnight."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.studygroups.schedule import localize
from bot.studygroups.streaks import (
    NUDGE_LOCAL_TIME,
    local_day,
    longest_streak,
    nudge_instant,
    streak_status,
)

MONDAY = dt.date(2026, 11, 2)  # an ISO week starts here
DAY = dt.timedelta(days=1)


def days(*offsets: int, start: dt.date = MONDAY) -> list[dt.date]:
    return [start + dt.timedelta(days=o) for o in offsets]


# -- the oracle: the module docstring's definition, checked interval by interval -----------------------------


def _valid(checked: set[dt.date], first: dt.date, last: dt.date) -> bool:
    """Every missed day in [first, last] is forgiven: alone in its ISO week, and not after another one."""
    weeks: set[tuple[int, int]] = set()
    day = first
    previous_missed = False
    while day <= last:
        missed = day not in checked
        if missed:
            week = day.isocalendar()[:2]
            if previous_missed or week in weeks:
                return False
            weeks.add(week)
        previous_missed = missed
        day += DAY
    return True


def _count(checked: Iterable[dt.date], first: dt.date, last: dt.date) -> int:
    return sum(1 for d in checked if first <= d <= last)


def oracle_longest(checked: set[dt.date]) -> int:
    best = 0
    for a in checked:
        for b in checked:
            if a <= b and _valid(checked, a, b):
                best = max(best, _count(checked, a, b))
    return best


def oracle_current(checked: set[dt.date], today: dt.date) -> int:
    if not checked:
        return 0
    today = max(today, max(checked))
    last = max(checked)
    # Days after the last check-in up to yesterday are missed; today is pending.
    end = max(last, today - DAY)
    return max((_count(checked, a, last) for a in checked if _valid(checked, a, end)), default=0)


day_sets = st.sets(st.integers(min_value=0, max_value=45), max_size=40)
starts = st.dates(min_value=dt.date(2024, 12, 20), max_value=dt.date(2027, 1, 10))


@settings(max_examples=300, deadline=None)
@given(offsets=day_sets, start=starts, today_offset=st.integers(min_value=0, max_value=50))
def test_streaks_match_the_definition(offsets: set[int], start: dt.date, today_offset: int) -> None:
    checked = set(days(*offsets, start=start))
    today = start + dt.timedelta(days=today_offset)
    status = streak_status(checked, today)
    assert status.longest == oracle_longest(checked) == longest_streak(checked)
    assert status.current == oracle_current(checked, today)
    assert status.current <= status.longest
    effective_today = max([today, *checked])
    if status.current and not status.checked_in_today:
        tomorrow = oracle_current(checked, effective_today + DAY)
        assert status.at_risk == (tomorrow < status.current)
    else:
        assert not status.at_risk


@settings(max_examples=200, deadline=None)
@given(offsets=day_sets, start=starts, extra=st.integers(min_value=0, max_value=45))
def test_checking_in_never_shortens_the_longest_streak(offsets: set[int], start: dt.date, extra: int) -> None:
    checked = set(days(*offsets, start=start))
    assert longest_streak(checked | set(days(extra, start=start))) >= longest_streak(checked)


@settings(max_examples=100, deadline=None)
@given(length=st.integers(min_value=1, max_value=400), start=starts)
def test_every_day_is_a_streak_of_every_day(length: int, start: dt.date) -> None:
    checked = [start + dt.timedelta(days=i) for i in range(length)]
    status = streak_status(checked, checked[-1])
    assert status.current == status.longest == length
    assert status.checked_in_today and not status.at_risk and not status.grace_used_this_week


# -- the grace day -------------------------------------------------------------------------------------------


def test_one_missed_day_in_a_week_is_forgiven_but_not_counted() -> None:
    # Mon Tue (Wed missed) Thu Fri Sat Sun, and Monday of the next week.
    checked = days(0, 1, 3, 4, 5, 6, 7)
    status = streak_status(checked, MONDAY + 7 * DAY)
    assert status.current == 7
    assert status.started == MONDAY
    assert not status.grace_used_this_week  # the new week has its own grace


def test_two_missed_days_in_one_week_break_the_streak() -> None:
    # Mon (Tue missed) Wed Thu (Fri missed) Sat: the streak counts from Wednesday.
    checked = days(0, 2, 3, 5)
    status = streak_status(checked, MONDAY + 5 * DAY)
    assert status.current == 3
    assert status.started == MONDAY + 2 * DAY
    assert status.longest == 3


def test_the_module_docstring_example() -> None:
    # Mon ✓ Tue ✗ Wed ✓ Thu ✓ Fri ✗ -> 2 on Saturday; missing Sat and Sun too -> 0 on Monday.
    checked = days(0, 2, 3)
    assert streak_status(checked, MONDAY + 5 * DAY).current == 2
    assert streak_status(checked, MONDAY + 7 * DAY).current == 0
    assert streak_status(checked, MONDAY + 7 * DAY).longest == 3


def test_two_missed_days_in_a_row_across_weeks_break_the_streak() -> None:
    # ... Sat ✓, Sun ✗ (week 1), Mon ✗ (week 2), Tue ✓: each is its week's only miss, but they are adjacent.
    checked = days(0, 1, 2, 3, 4, 5, 8)
    status = streak_status(checked, MONDAY + 8 * DAY)
    assert status.current == 1
    assert status.longest == 6


def test_one_missed_day_every_week_keeps_the_streak_going() -> None:
    # Six days a week for ten weeks, always missing Wednesday.
    checked = [MONDAY + dt.timedelta(days=i) for i in range(70) if i % 7 != 2]
    status = streak_status(checked, checked[-1])
    assert status.current == status.longest == 60


def test_today_is_not_missed_until_it_is_over() -> None:
    checked = days(0, 1, 2)
    status = streak_status(checked, MONDAY + 3 * DAY)  # Thursday, no check-in yet
    assert status.current == 3 and not status.checked_in_today
    assert not status.at_risk  # missing Thursday would use the week's grace, not break the streak


def test_at_risk_after_yesterday_was_missed() -> None:
    checked = days(0, 1, 2)
    status = streak_status(checked, MONDAY + 4 * DAY)  # Thursday missed, today Friday
    assert status.current == 3
    assert status.grace_used_this_week
    assert status.at_risk


def test_at_risk_when_the_week_already_used_its_grace() -> None:
    checked = days(0, 2, 3)  # Tuesday missed
    status = streak_status(checked, MONDAY + 4 * DAY)  # Friday, not checked in yet
    assert status.current == 3 and status.grace_used_this_week and status.at_risk
    after = streak_status([*checked, MONDAY + 4 * DAY], MONDAY + 4 * DAY)
    assert after.current == 4 and not after.at_risk


def test_no_check_ins() -> None:
    status = streak_status([], MONDAY)
    assert (status.current, status.longest, status.at_risk, status.last_check_in) == (0, 0, False, None)


def test_a_broken_streak_is_zero_but_the_longest_is_remembered() -> None:
    checked = days(0, 1, 2, 3, 4)
    status = streak_status(checked, MONDAY + 20 * DAY)
    assert status.current == 0 and status.longest == 5 and not status.alive and not status.at_risk


def test_iso_week_53_and_new_year() -> None:
    # 2026 has an ISO week 53 (Mon 28 Dec - Sun 3 Jan 2027). One miss in it (Wed 30 Dec) and one in 2027-W01.
    start = dt.date(2026, 12, 28)
    checked = [start + dt.timedelta(days=i) for i in range(14) if i not in (2, 9)]
    assert streak_status(checked, checked[-1]).current == 12
    # Two misses inside week 53 (Tuesday 29 December and Friday 1 January): the streak counts from Wednesday.
    broken = [start + dt.timedelta(days=i) for i in range(7) if i not in (1, 4)]
    status = streak_status(broken, broken[-1])
    assert status.current == 4 and status.started == dt.date(2026, 12, 30)


# -- local days: zones, DST, zone changes, midnight ----------------------------------------------------------


def check_in_at(day: dt.date, wall: dt.time, zone: str) -> dt.date:
    """The day a check-in made at local ``wall`` on ``day`` belongs to (through a real UTC instant)."""
    return local_day(localize(day, wall, zone), zone)


def test_local_day_is_the_member_s_calendar_day() -> None:
    instant = dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)
    assert local_day(instant, "Asia/Kolkata") == dt.date(2026, 11, 23)  # 01:30 next day
    assert local_day(instant, "America/Los_Angeles") == dt.date(2026, 11, 22)  # 12:00
    assert local_day(instant, "Pacific/Kiritimati") == dt.date(2026, 11, 23)  # UTC+14
    assert local_day(instant, "Pacific/Pago_Pago") == dt.date(2026, 11, 22)  # UTC-11
    assert local_day(dt.datetime(2026, 11, 22, 18, 14, tzinfo=dt.UTC), "Asia/Kathmandu") == dt.date(2026, 11, 22)
    assert local_day(dt.datetime(2026, 11, 22, 18, 15, tzinfo=dt.UTC), "Asia/Kathmandu") == dt.date(2026, 11, 23)


def test_midnight_edges() -> None:
    zone = "Europe/London"
    before = dt.datetime(2026, 11, 22, 23, 59, 59, 999999, tzinfo=zoneinfo.ZoneInfo(zone))
    after = before + dt.timedelta(microseconds=1)
    assert local_day(before, zone) == dt.date(2026, 11, 22)
    assert local_day(after, zone) == dt.date(2026, 11, 23)
    # A check-in at 23:59:59 and the next at 00:00:00 are two consecutive days: a streak of 2 in one minute.
    checked = [local_day(before, zone), local_day(after, zone)]
    assert streak_status(checked, checked[-1]).current == 2


def test_naive_instants_are_refused() -> None:
    try:
        local_day(dt.datetime(2026, 11, 22, 12, 0), "UTC")  # noqa: DTZ001 (naive on purpose)
    except ValueError:
        return
    raise AssertionError("a naive datetime must be refused")


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(
        [
            "America/New_York",
            "Europe/London",
            "Australia/Sydney",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Pacific/Auckland",
        ]
    ),
    wall=st.sampled_from([dt.time(0, 0), dt.time(0, 30), dt.time(2, 30), dt.time(12, 0), dt.time(23, 59)]),
    start=st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 31)),
)
def test_a_check_in_every_local_day_is_an_unbroken_streak_across_dst(zone: str, wall: dt.time, start: dt.date) -> None:
    # 60 days always include a DST change in the zones that have one; 23- and 25-hour days must not matter.
    checked = [check_in_at(start + dt.timedelta(days=i), wall, zone) for i in range(60)]
    assert len(set(checked)) == 60
    status = streak_status(checked, checked[-1])
    assert status.current == status.longest == 60


def test_new_york_spring_forward_and_fall_back_days_count_once() -> None:
    zone = "America/New_York"
    # 8 March 2026 has 23 hours, 1 November 2026 has 25. A check-in at 23:30 every evening around both.
    for change in (dt.date(2026, 3, 8), dt.date(2026, 11, 1)):
        evenings = [change + dt.timedelta(days=i) for i in range(-2, 3)]
        checked = [check_in_at(d, dt.time(23, 30), zone) for d in evenings]
        assert checked == evenings
        assert streak_status(checked, checked[-1]).current == 5
    # The same UTC time every day (what a naive "every 24 hours" would do) drifts across local midnight.
    fixed = dt.datetime(2026, 3, 7, 4, 30, tzinfo=dt.UTC)  # 23:30 EST on Friday 6 March
    local = [local_day(fixed + dt.timedelta(days=i), zone) for i in range(4)]
    assert local == [dt.date(2026, 3, 6), dt.date(2026, 3, 7), dt.date(2026, 3, 9), dt.date(2026, 3, 10)]


def test_a_member_who_moves_keeps_past_days() -> None:
    # Checked in in Kolkata at 06:00 local on 2-4 November, then moved to New York and checked in on the 5th.
    kolkata = [check_in_at(dt.date(2026, 11, d), dt.time(6, 0), "Asia/Kolkata") for d in (2, 3, 4)]
    assert kolkata == [dt.date(2026, 11, d) for d in (2, 3, 4)]
    new_york = check_in_at(dt.date(2026, 11, 5), dt.time(21, 0), "America/New_York")
    status = streak_status(
        [*kolkata, new_york], local_day(dt.datetime(2026, 11, 6, 3, 0, tzinfo=dt.UTC), "America/New_York")
    )
    assert status.today == dt.date(2026, 11, 5)
    assert status.current == 4 and status.checked_in_today
    # Recomputing the old instants in the new zone would have put the first three on 1-3 November.
    assert [local_day(localize(d, dt.time(6, 0), "Asia/Kolkata"), "America/New_York") for d in kolkata] == [
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    ]


def test_moving_west_can_leave_a_day_that_is_tomorrow_here() -> None:
    # 01:00 on 10 November in Kolkata is still 9 November (14:30) in New York.
    instant = localize(dt.date(2026, 11, 10), dt.time(1, 0), "Asia/Kolkata")
    stored = local_day(instant, "Asia/Kolkata")
    today_new_york = local_day(instant + dt.timedelta(hours=1), "America/New_York")
    assert stored == dt.date(2026, 11, 10) and today_new_york == dt.date(2026, 11, 9)
    status = streak_status([dt.date(2026, 11, 9 - i) for i in range(1, 4)] + [stored], today_new_york)
    assert status.today == stored and status.checked_in_today
    assert status.current == 4  # 6, 7, 8 (9 forgiven), 10


def test_nudge_instant_is_the_member_s_evening_across_dst() -> None:
    assert dt.time(21, 0) == NUDGE_LOCAL_TIME
    assert nudge_instant(dt.date(2026, 3, 7), "America/New_York") == dt.datetime(2026, 3, 8, 2, 0, tzinfo=dt.UTC)
    assert nudge_instant(dt.date(2026, 3, 8), "America/New_York") == dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)
    assert nudge_instant(dt.date(2026, 3, 8), "Asia/Kathmandu") == dt.datetime(2026, 3, 8, 15, 15, tzinfo=dt.UTC)
