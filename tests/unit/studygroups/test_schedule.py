"""When prompts and recaps are due: DST in both directions on three continents, zones without DST, odd
offsets, stable keys, the recap instant, and the grace window."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.studygroups.models import (
    ALL_DAYS,
    WEEKDAYS,
    GroupCreateOptions,
    GroupEditOptions,
    Schedule,
    StudyGroup,
    format_time_of_day,
    parse_time_of_day,
    parse_with_clock,
)
from bot.studygroups.schedule import (
    PROMPT_GRACE,
    RECAP_GRACE,
    IsoWeek,
    OccurrenceKind,
    due_between,
    is_wall_time_skipped,
    localize,
    next_occurrence,
    next_prompt,
    next_recap,
    prompt_key,
    prompt_on,
    prompts_between,
    recap_for,
    recap_instant,
    recap_key,
)
from bot.validation import UserInputError

CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def group(
    wall: dt.time = dt.time(20, 0),
    zone: str = "America/New_York",
    days: frozenset[int] = ALL_DAYS,
    *,
    group_id: int = 7,
    archived: bool = False,
) -> StudyGroup:
    return StudyGroup(
        id=group_id,
        guild_id=1,
        channel_id=2,
        name="Evening crew",
        schedule=Schedule(wall, zone, days),
        created_at=CREATED,
        archived_at=CREATED if archived else None,
    )


def prompt_instant(g: StudyGroup, day: dt.date) -> dt.datetime:
    occurrence = prompt_on(g, day)
    assert occurrence is not None
    return occurrence.due_at


# -- DST: spring forward (a skipped hour) and fall back (a repeated hour) ------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc", "shown_local"),
    [
        # New York, 8 March 2026: 02:00 EST -> 03:00 EDT. 02:30 does not exist: posted at 03:30 EDT.
        ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 30), dt.time(3, 30)),
        # London, 29 March 2026: 01:00 GMT -> 02:00 BST. 01:30 becomes 02:30 BST.
        ("Europe/London", dt.date(2026, 3, 29), dt.time(1, 30), utc(2026, 3, 29, 1, 30), dt.time(2, 30)),
        # Sydney, 4 October 2026: 02:00 AEST -> 03:00 AEDT. 02:30 becomes 03:30 AEDT (still 3 October in UTC).
        ("Australia/Sydney", dt.date(2026, 10, 4), dt.time(2, 30), utc(2026, 10, 3, 16, 30), dt.time(3, 30)),
    ],
)
def test_spring_forward_moves_a_skipped_prompt_forward_by_the_gap(
    zone: str, day: dt.date, wall: dt.time, expected_utc: dt.datetime, shown_local: dt.time
) -> None:
    g = group(wall, zone)
    assert is_wall_time_skipped(day, wall, zone)
    instant = prompt_instant(g, day)
    assert instant == expected_utc
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    assert local.date() == day and local.time() == shown_local
    # Same date, so the same key as any other day's prompt: posted once, not skipped, not moved to another
    # day.
    occurrence = prompt_on(g, day)
    assert occurrence is not None and occurrence.key == f"prompt:7:{day.isoformat()}"


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_utc"),
    [
        # New York, 1 November 2026: 01:30 happens at EDT and again at EST; the first one (EDT, UTC-4).
        ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
        # London, 25 October 2026: 01:30 BST first (UTC+1).
        ("Europe/London", dt.date(2026, 10, 25), dt.time(1, 30), utc(2026, 10, 25, 0, 30)),
        # Sydney, 5 April 2026: 02:30 AEDT first (UTC+11), i.e. 15:30 UTC the day before.
        ("Australia/Sydney", dt.date(2026, 4, 5), dt.time(2, 30), utc(2026, 4, 4, 15, 30)),
    ],
)
def test_fall_back_posts_a_repeated_time_once_at_its_first_occurrence(
    zone: str, day: dt.date, wall: dt.time, expected_utc: dt.datetime
) -> None:
    g = group(wall, zone)
    assert not is_wall_time_skipped(day, wall, zone)
    assert prompt_instant(g, day) == expected_utc
    # The wall time comes round again an hour later; there is still one prompt.
    around = prompts_between(g, expected_utc - dt.timedelta(hours=1), expected_utc + dt.timedelta(hours=3))
    assert [o.due_at for o in around] == [expected_utc]


@pytest.mark.parametrize(
    ("zone", "change", "short_day"),
    [
        ("America/New_York", dt.date(2026, 3, 8), True),
        ("America/New_York", dt.date(2026, 11, 1), False),
        ("Europe/London", dt.date(2026, 3, 29), True),
        ("Europe/London", dt.date(2026, 10, 25), False),
        ("Australia/Sydney", dt.date(2026, 10, 4), True),
        ("Australia/Sydney", dt.date(2026, 4, 5), False),
    ],
)
def test_daily_prompts_keep_their_local_time_through_a_dst_change(zone: str, change: dt.date, short_day: bool) -> None:
    g = group(dt.time(20, 0), zone)
    start = localize(change - dt.timedelta(days=3), dt.time(12, 0), zone)
    prompts = prompts_between(g, start, start + dt.timedelta(days=6))
    assert len(prompts) == 6
    tz = zoneinfo.ZoneInfo(zone)
    assert all(p.due_at.astimezone(tz).time() == dt.time(20, 0) for p in prompts)
    gaps = [b.due_at - a.due_at for a, b in itertools.pairwise(prompts)]
    odd = dt.timedelta(hours=23) if short_day else dt.timedelta(hours=25)
    assert gaps.count(odd) == 1
    assert gaps.count(dt.timedelta(hours=24)) == 4


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Asia/Kolkata", dt.time(14, 30)), ("Asia/Kathmandu", dt.time(14, 15))],
)
def test_zones_without_dst_prompt_at_the_same_utc_time_all_year(zone: str, expected: dt.time) -> None:
    g = group(dt.time(20, 0), zone)
    prompts = prompts_between(g, utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(prompts) == 365
    assert {p.due_at.timetz().replace(tzinfo=None) for p in prompts} == {expected}


ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Santiago",
]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
    weekdays=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    # Hypothesis takes naive bounds (timezones= makes the values aware).
    after=st.datetimes(
        min_value=dt.datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
)
def test_next_prompt_is_the_first_scheduled_instant_after(
    zone: str, hour: int, minute: int, weekdays: frozenset[int], after: dt.datetime
) -> None:
    wall = dt.time(hour, minute)
    g = group(wall, zone, weekdays)
    found = next_prompt(g, after)
    assert found is not None and found.due_at > after
    assert found.local_date.weekday() in weekdays
    assert found.key == prompt_key(g.id, found.local_date)
    local = found.due_at.astimezone(zoneinfo.ZoneInfo(zone))
    assert local.date() == found.local_date
    if not is_wall_time_skipped(found.local_date, wall, zone):
        assert local.time() == wall
    # Nothing of the schedule falls between ``after`` and the prompt found.
    day = after.astimezone(zoneinfo.ZoneInfo(zone)).date() - dt.timedelta(days=1)
    while day < found.local_date:
        if day.weekday() in weekdays:
            assert localize(day, wall, zone) <= after
        day += dt.timedelta(days=1)


def test_archived_groups_have_nothing_due() -> None:
    g = group(archived=True)
    assert next_prompt(g, CREATED) is None
    assert next_recap(g, CREATED) is None
    assert next_occurrence(g, CREATED) is None
    assert due_between(g, CREATED, CREATED + dt.timedelta(days=30)).due == ()


def test_weekday_selection() -> None:
    g = group(dt.time(7, 0), "Asia/Kolkata", frozenset({0, 2, 4}))
    prompts = prompts_between(g, utc(2026, 11, 22), utc(2026, 12, 6))  # Sunday to Sunday
    assert [p.local_date.strftime("%a %d") for p in prompts] == [
        "Mon 23",
        "Wed 25",
        "Fri 27",
        "Mon 30",
        "Wed 02",
        "Fri 04",
    ]


# -- keys ----------------------------------------------------------------------------------------------------


def test_keys_are_stable_and_use_the_group_s_local_date() -> None:
    # 20:00 in Kolkata on 22 November is 14:30 UTC the same day; 20:00 in Sydney is 09:00 UTC the same day;
    # 23:30 in Los Angeles is 07:30 UTC the next day: the key still has the local date.
    la = group(dt.time(23, 30), "America/Los_Angeles")
    occurrence = next_prompt(la, utc(2026, 11, 22, 12, 0))
    assert occurrence is not None
    assert occurrence.due_at == utc(2026, 11, 23, 7, 30)
    assert occurrence.key == "prompt:7:2026-11-22"
    assert prompt_key(7, dt.date(2026, 11, 22)) == occurrence.key
    assert recap_key(7, IsoWeek(2026, 5)) == "recap:7:2026-W05"
    # Editing the time after today's prompt keeps today's key: it is not posted twice.
    moved = group(dt.time(23, 45), "America/Los_Angeles")
    again = next_prompt(moved, utc(2026, 11, 22, 12, 0))
    assert again is not None and again.key == occurrence.key


def test_iso_week_53_and_the_new_year() -> None:
    week = IsoWeek.of(dt.date(2027, 1, 1))
    assert (week.year, week.week, str(week)) == (2026, 53, "2026-W53")
    assert week.monday == dt.date(2026, 12, 28) and week.sunday == dt.date(2027, 1, 3)
    assert week.next() == IsoWeek(2027, 1) and week.previous() == IsoWeek(2026, 52)
    assert recap_for(group(), week).key == "recap:7:2026-W53"


# -- the recap instant ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "days", "expected_local"),
    [
        (dt.time(20, 0), ALL_DAYS, dt.datetime(2026, 11, 29, 22, 0, tzinfo=KOLKATA)),  # daily 20:00: Sunday 22:00
        (dt.time(7, 0), ALL_DAYS, dt.datetime(2026, 11, 29, 20, 0, tzinfo=KOLKATA)),  # morning group: Sunday 20:00
        (dt.time(23, 30), ALL_DAYS, dt.datetime(2026, 11, 30, 1, 30, tzinfo=KOLKATA)),  # late group: Monday 01:30
        (dt.time(20, 0), WEEKDAYS, dt.datetime(2026, 11, 29, 20, 0, tzinfo=KOLKATA)),  # weekdays: Sunday 20:00
    ],
)
def test_recap_is_at_the_end_of_the_group_s_week(
    wall: dt.time, days: frozenset[int], expected_local: dt.datetime
) -> None:
    instant = recap_instant(Schedule(wall, "Asia/Kolkata", days), IsoWeek(2026, 48))
    assert instant == expected_local


def test_recap_on_a_dst_sunday() -> None:
    # London springs forward on Sunday 29 March 2026: 22:00 BST is 21:00 UTC.
    instant = recap_instant(Schedule(dt.time(20, 0), "Europe/London", ALL_DAYS), IsoWeek(2026, 13))
    assert instant == utc(2026, 3, 29, 21, 0)
    # New York falls back on Sunday 1 November 2026: 22:00 EST is 03:00 UTC on Monday.
    instant = recap_instant(Schedule(dt.time(20, 0), "America/New_York", ALL_DAYS), IsoWeek(2026, 44))
    assert instant == utc(2026, 11, 2, 3, 0)


def test_next_recap_of_a_late_group_can_fall_in_the_next_week() -> None:
    g = group(dt.time(23, 30), "Asia/Kolkata")
    # Monday 30 November 00:30 local: the recap of week 48 (Monday 01:30) is still ahead.
    after = localize(dt.date(2026, 11, 30), dt.time(0, 30), "Asia/Kolkata")
    recap = next_recap(g, after)
    assert recap is not None and recap.week == IsoWeek(2026, 48) and recap.kind is OccurrenceKind.RECAP
    assert recap.local_date == dt.date(2026, 11, 29)
    occurrence = next_occurrence(g, after)
    assert occurrence is not None and occurrence.kind is OccurrenceKind.RECAP


# -- due now, late, missed -----------------------------------------------------------------------------------


def test_due_between_splits_on_the_grace_window() -> None:
    g = group(dt.time(20, 0), "Asia/Kolkata")  # 14:30 UTC daily
    since = utc(2026, 11, 20, 12, 0)
    now = utc(2026, 11, 22, 15, 0)  # half an hour after Sunday's prompt
    work = due_between(g, since, now)
    assert [o.key for o in work.due] == ["prompt:7:2026-11-22"]
    assert [o.key for o in work.missed] == ["prompt:7:2026-11-20", "prompt:7:2026-11-21"]
    assert work.due[0].late(now)
    assert not work.due[0].missed(now)


def test_a_recap_may_be_late_by_a_day_a_prompt_by_an_hour() -> None:
    g = group(dt.time(20, 0), "Asia/Kolkata")
    recap = recap_for(g, IsoWeek(2026, 47))  # Sunday 22 November 22:00 IST = 16:30 UTC
    assert recap.due_at == utc(2026, 11, 22, 16, 30)
    assert dt.timedelta(hours=1) == PROMPT_GRACE and dt.timedelta(hours=24) == RECAP_GRACE
    # The bot was down from before Sunday's prompt until Monday morning.
    work = due_between(g, utc(2026, 11, 22, 14, 0), utc(2026, 11, 23, 5, 0))
    assert [o.key for o in work.due] == ["recap:7:2026-W47"]
    assert [o.key for o in work.missed] == ["prompt:7:2026-11-22"]
    assert work.due[0].late(utc(2026, 11, 23, 5, 0))
    # On time means not late.
    assert not recap.late(recap.due_at)
    assert due_between(g, utc(2026, 11, 23, 5, 0), utc(2026, 11, 23, 5, 0)) == due_between(
        g, utc(2026, 11, 24), utc(2026, 11, 23)
    )


# -- the check-in time as typed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20:00", dt.time(20, 0)),
        ("7:05", dt.time(7, 5)),
        (" 07:30 ", dt.time(7, 30)),
        ("20:00:30", dt.time(20, 0, 30)),
        ("9:05:07", dt.time(9, 5, 7)),
        ("23:59:59", dt.time(23, 59, 59)),
        ("00:00:00", dt.time(0, 0)),
    ],
)
def test_check_in_time_is_hh_mm_with_optional_seconds(typed: str, expected: dt.time) -> None:
    assert parse_time_of_day(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("20:00:60", "`20:00:60` is not a time of day. Use HH:MM on a 24-hour clock (HH:MM:SS also works)"),
        ("24:00:00", "`24:00:00` is not a time of day"),
        ("20:00:5", "Write the time as HH:MM on a 24-hour clock (HH:MM:SS also works)"),
        ("20:00:00:00", "Write the time as HH:MM"),
        ("8pm", "Use the 24-hour clock: `8pm` is `20:00`."),
        ("soon", "(you wrote `soon`)"),
    ],
)
def test_other_check_in_times_are_refused_saying_how_to_write_one(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_time_of_day(typed)


@given(st.times().map(lambda t: t.replace(microsecond=0)))
def test_a_stored_check_in_time_reads_back_the_same(wall: dt.time) -> None:
    text = format_time_of_day(wall)
    assert parse_time_of_day(text) == wall
    assert len(text) == (8 if wall.second else 5)


def test_create_and_edit_take_seconds_and_refuse_a_bad_time_as_a_user_error() -> None:
    now = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
    created = parse_with_clock(GroupCreateOptions, now, name="Crew", channel_id=2, checkin_time="06:15:45")
    assert created.checkin_time == dt.time(6, 15, 45)
    edited = parse_with_clock(GroupEditOptions, now, checkin_time="21:00:05")
    assert edited.checkin_time == dt.time(21, 0, 5)
    for model, fields in ((GroupCreateOptions, {"name": "Crew", "channel_id": 2}), (GroupEditOptions, {})):
        with pytest.raises(UserInputError, match=re.escape("HH:MM:SS also works")):
            parse_with_clock(model, now, checkin_time="20:00:99", **fields)
    # The seconds are part of the schedule: shown, and the prompt falls on them.
    group_ = group(dt.time(6, 15, 45), "UTC")
    assert group_.schedule.describe() == "daily at 06:15:45 (UTC)"
    assert prompt_instant(group_, dt.date(2026, 11, 16)) == dt.datetime(2026, 11, 16, 6, 15, 45, tzinfo=dt.UTC)
