"""StudyGroupService against a real temporary SQLite database: groups, membership, check-ins and streaks,
progress, settings, nudges, recaps, members leaving and coming back, and the options' messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.db.connection import Connection, write_transaction
from bot.db.postgres import PgConnection
from bot.studygroups.models import (
    WEEKDAYS,
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    RetentionOptions,
    parse_with_clock,
)
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.schedule import IsoWeek
from bot.studygroups.service import ProgressAccess, StudyGroupService, progress_access
from bot.ui.errors import describe_user_error
from bot.validation import Refusal, UserInputError

GUILD, OTHER_GUILD = 100, 200
CHANNEL, OTHER_CHANNEL, THIRD_CHANNEL = 10, 20, 30
ALICE, BOB, CAROL = 1001, 1002, 1003
# Sunday 22 November 2026, 12:00 UTC: 17:30 in Kolkata, 07:00 in New York.
START = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def service(conn: Connection, clock: Clock) -> StudyGroupService:
    return StudyGroupService(StudyGroupRepository(conn), clock)


def create(clock: Clock, **options: Any) -> GroupCreateOptions:
    options.setdefault("name", "Step 2 CK evening crew")
    options.setdefault("channel_id", CHANNEL)
    return parse_with_clock(GroupCreateOptions, clock(), **options)


def entry(studied: str = "UWorld cardio block", **fields: Any) -> CheckInEntry:
    return CheckInEntry.model_validate({"studied": studied, **fields})


async def set_zone(service: StudyGroupService, clock: Clock, user_id: int, zone: str, **extra: Any) -> None:
    await service.update_settings(user_id, parse_with_clock(MemberSettingsOptions, clock(), timezone=zone, **extra))


# -- options -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"checkin_time": "8pm"}, "Use the 24-hour clock: `8pm` is `20:00`."),
        ({"checkin_time": "8:30 pm"}, "`8:30pm` is `20:30`"),
        ({"checkin_time": "25:00"}, "not a time of day"),
        ({"checkin_time": "evening"}, "HH:MM on a 24-hour clock"),
        ({"timezone": "IST"}, "Did you mean `Asia/Kolkata`"),
        ({"timezone": "UTC+5:45"}, "`Asia/Kathmandu`"),
        ({"timezone": "Pakistan"}, "is a country; pick the zone of your city. Did you mean `Asia/Karachi`?"),
        ({"timezone": "Amercia/New_Yrok"}, "`America/New_York`"),
        ({"days": "funday"}, "I don't understand the day `funday`"),
        ({"days": "mon-fry"}, "I don't understand the days `mon-fry`"),
        ({"name": "   "}, "Give the group a name with words"),
        ({"name": "<@123> crew"}, "cannot contain mentions"),
        ({"name": "x" * 51}, "Keep the group name to 50 characters"),
    ],
)
def test_create_options_explain_mistakes(clock: Clock, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserInputError) as caught:
        create(clock, **options)
    assert message in str(caught.value)


def test_create_options_accept_friendly_input(clock: Clock) -> None:
    parsed = create(clock, checkin_time="7:05", timezone="kolkata", days="Mon, Wed and Fri")
    assert parsed.checkin_time == dt.time(7, 5)
    assert parsed.timezone == "Asia/Kolkata"
    assert parsed.days == frozenset({0, 2, 4})
    assert create(clock, days="fri-mon").days == frozenset({4, 5, 6, 0})
    assert create(clock, days="weekdays").days == WEEKDAYS
    assert create(clock, timezone="Asia/Calcutta").timezone == "Asia/Kolkata"
    defaults = create(clock)
    assert (defaults.checkin_time, defaults.timezone, len(defaults.days)) == (dt.time(20, 0), None, 7)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"studied": "  "}, "Tell us what you studied"),
        ({"studied": "x" * 1001}, "keep it to 1000 characters"),
        ({"questions": "lots"}, "Questions done: a whole number from 0 to 10,000"),
        ({"questions": "10001"}, "from 0 to 10,000"),
        ({"percent_correct": "120"}, "Percent correct: a number from 0 to 100"),
        # A fraction as a calculator shows it: asked, not stored as 1 %.
        ({"percent_correct": "0.5"}, "Percent correct: `0.5` is less than 1 %. For 50 %, type `50`"),
        ({"percent_correct": "0,75"}, "`0,75` is less than 1 %. For 75 %, type `75`"),
        ({"hours": "25"}, "Hours: a number from 0 to 24"),
        ({"hours": "1:75"}, "Hours: a number from 0 to 24"),
        ({"hours": "-1"}, "Hours: a number from 0 to 24"),
        ({"blockers": "y" * 1001}, "Blockers: please keep it to 1000 characters"),
    ],
)
def test_check_in_fields_explain_mistakes(fields: dict[str, Any], message: str) -> None:
    raw = {"studied": "Cardio", **fields}
    with pytest.raises(UserInputError) as caught:
        parse_with_clock(CheckInEntry, START, **raw)
    assert message in str(caught.value)


def test_check_in_fields_are_forgiving() -> None:
    parsed = parse_with_clock(
        CheckInEntry,
        START,
        studied=" UWorld\n\n\n\nrenal ",
        questions="40 Qs",
        percent_correct="72.5%",
        hours="1,5",
    )
    assert parsed.studied == "UWorld\n\nrenal"
    assert (parsed.questions, parsed.percent_correct, parsed.minutes) == (40, 73, 90)
    assert parse_with_clock(CheckInEntry, START, studied="a", hours="2:30").minutes == 150
    assert parse_with_clock(CheckInEntry, START, studied="a", hours="45 min").minutes == 45
    assert parse_with_clock(CheckInEntry, START, studied="a", hours="1.33").minutes == 80
    empty = parse_with_clock(CheckInEntry, START, studied="a", questions="", percent_correct=" ", hours="", blockers="")
    assert (empty.questions, empty.percent_correct, empty.minutes, empty.blockers) == (None, None, None, None)


# -- groups --------------------------------------------------------------------------------------------------


async def test_create_uses_the_creator_s_zone_or_utc(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    assert created.zone_defaulted and created.group.schedule.zone == "UTC"
    assert created.next_prompt_at == dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)
    await set_zone(service, clock, BOB, "Asia/Kolkata")
    second = await service.create_group(
        GUILD, create(clock, name="Morning", channel_id=OTHER_CHANNEL, checkin_time="07:00"), creator_id=BOB
    )
    assert second.group.schedule.zone == "Asia/Kolkata" and second.zone_defaulted
    assert second.next_prompt_at == dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
    assert second.group.schedule.describe() == "daily at 07:00 (Asia/Kolkata)"


async def test_names_and_channels_are_unique_among_active_groups(service: StudyGroupService, clock: Clock) -> None:
    first = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    with pytest.raises(UserInputError, match="already a group called"):
        await service.create_group(
            GUILD, create(clock, name="STEP 2 CK  evening crew", channel_id=OTHER_CHANNEL), creator_id=ALICE
        )
    with pytest.raises(UserInputError, match="already posts in that channel"):
        await service.create_group(GUILD, create(clock, name="Other"), creator_id=ALICE)
    # Another server may use the same name.
    await service.create_group(OTHER_GUILD, create(clock, channel_id=THIRD_CHANNEL), creator_id=ALICE)
    # Archiving frees the name and the channel, and keeps the group for its history.
    await service.archive_group(GUILD, first.group.name)
    again = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    assert again.group.id != first.group.id
    info = await service.info(GUILD, str(first.group.id))
    assert not info.group.active and info.next_prompt_at is None


async def test_edit_changes_only_what_is_given(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock, timezone="Europe/London"), creator_id=ALICE)
    edited = (
        await service.edit_group(
            GUILD,
            created.group.name,
            parse_with_clock(GroupEditOptions, clock(), checkin_time="21:15", days="weekdays"),
        )
    ).group
    assert edited.schedule.local_time == dt.time(21, 15)
    assert edited.schedule.zone == "Europe/London" and edited.schedule.weekdays == WEEKDAYS
    assert edited.name == created.group.name and edited.channel_id == CHANNEL
    renamed = (
        await service.edit_group(
            GUILD, str(created.group.id), parse_with_clock(GroupEditOptions, clock(), name="Night owls")
        )
    ).group
    assert renamed.name == "Night owls"
    with pytest.raises(UserInputError, match="Tell me what to change"):
        parse_with_clock(GroupEditOptions, clock())


async def test_join_leave_list_and_unknown_groups(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    joined = await service.join(GUILD, BOB, created.group.name)
    assert joined.joined
    assert not (await service.join(GUILD, BOB, str(created.group.id))).joined
    listed = await service.list_groups(GUILD, BOB)
    assert [(s.group.name, s.members, s.is_member) for s in listed] == [("Step 2 CK evening crew", 1, True)]
    await service.leave(GUILD, BOB, created.group.name)
    with pytest.raises(UserInputError, match="You are not in"):
        await service.leave(GUILD, BOB, created.group.name)
    with pytest.raises(UserInputError, match="There is no study group called"):
        await service.join(GUILD, BOB, "Nope")
    # A group of another server is not reachable by id.
    with pytest.raises(UserInputError, match="There is no study group"):
        await service.join(OTHER_GUILD, BOB, str(created.group.id))
    await service.archive_group(GUILD, created.group.name)
    with pytest.raises(UserInputError, match="archived"):
        await service.join(GUILD, BOB, str(created.group.id))
    choices = await service.group_choices(GUILD, "")
    assert choices == ()


# -- check-ins and streaks -----------------------------------------------------------------------------------


async def test_check_in_records_the_member_s_local_day_and_updates_it(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock, timezone="America/New_York"), creator_id=ALICE)
    await set_zone(service, clock, BOB, "Asia/Kolkata")
    clock.now = dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York, 01:30 on the 23rd in Kolkata
    receipt = await service.check_in(GUILD, BOB, entry(questions="40"), channel_id=CHANNEL)
    assert receipt.group.id == created.group.id
    assert receipt.joined and not receipt.updated and not receipt.zone_is_default
    assert receipt.check_in.local_date == dt.date(2026, 11, 23) and receipt.zone == "Asia/Kolkata"
    assert receipt.streak.current == 1 and receipt.streak.checked_in_today
    clock.advance(hours=2)
    second = await service.check_in(GUILD, BOB, entry("Renal, corrected", questions="60"), group=created.group.name)
    assert second.updated and not second.joined
    assert second.check_in.studied == "Renal, corrected" and second.check_in.questions == 60
    progress = await service.progress(GUILD, BOB)
    assert (progress.check_ins, progress.days, progress.questions) == (1, 1, 60)
    # A member without a zone checks in on the group's zone.
    carol = await service.check_in(GUILD, CAROL, entry(), group=str(created.group.id))
    assert carol.zone_is_default and carol.zone == "America/New_York"
    assert carol.check_in.local_date == dt.date(2026, 11, 22)


async def test_streak_grows_day_by_day_with_a_grace_day(service: StudyGroupService, clock: Clock) -> None:
    await service.create_group(GUILD, create(clock, timezone="Asia/Kolkata"), creator_id=ALICE)
    await set_zone(service, clock, BOB, "Asia/Kolkata")
    clock.now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 19:30 in Kolkata
    streaks = []
    for day in range(7):
        if day == 3:  # Thursday missed: forgiven
            clock.advance(days=1)
            continue
        receipt = await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
        streaks.append(receipt.streak.current)
        clock.advance(days=1)
    assert streaks == [1, 2, 3, 4, 5, 6]
    progress = await service.progress(GUILD, BOB)  # Monday 30th, not checked in yet
    assert progress.streak.current == 6 and progress.streak.longest == 6 and not progress.streak.at_risk
    assert progress.zone == "Asia/Kolkata" and progress.zone_is_set
    assert progress.last7[-1].day == dt.date(2026, 11, 30)
    assert "7 days   █ █ · █ █ █ ·\n         T W T F S S M" in progress.chart.text  # today still open


async def test_check_in_needs_a_group(service: StudyGroupService, clock: Clock) -> None:
    with pytest.raises(UserInputError, match="not in a study group here yet"):
        await service.check_in(GUILD, BOB, entry())
    await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await service.create_group(GUILD, create(clock, name="Second", channel_id=OTHER_CHANNEL), creator_id=ALICE)
    await service.join(GUILD, BOB, "Second")
    only = await service.check_in(GUILD, BOB, entry())
    assert only.group.name == "Second"
    await service.join(GUILD, BOB, "Step 2 CK evening crew")
    with pytest.raises(UserInputError, match="several groups"):
        await service.check_in(GUILD, BOB, entry())
    group, today = await service.todays_check_in(GUILD, BOB, channel_id=OTHER_CHANNEL)
    assert group.name == "Second" and today is not None and today.studied == "UWorld cardio block"


async def test_a_member_who_changes_zone_keeps_past_days(service: StudyGroupService, clock: Clock) -> None:
    await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await set_zone(service, clock, BOB, "Asia/Kolkata")
    clock.now = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)  # 06:00 on Monday 23rd in Kolkata
    for _ in range(3):
        await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
        clock.advance(days=1)
    await set_zone(service, clock, BOB, "America/New_York")
    clock.now = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # 21:00 on Thursday 26th in New York
    receipt = await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    assert receipt.check_in.local_date == dt.date(2026, 11, 26)
    assert receipt.streak.current == 4
    progress = await service.progress(GUILD, BOB)
    assert [p.day.day for p in progress.last7 if p.checked_in] == [23, 24, 25, 26]


async def test_archived_groups_take_no_check_ins(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    await service.archive_group(GUILD, created.group.name)
    # The member is told what to do instead: there is no open group here, so ask a moderator.
    with pytest.raises(Refusal) as closed:
        await service.check_in(GUILD, BOB, entry(), group=str(created.group.id))
    assert "no open group now: ask a moderator" in str(closed.value), closed.value
    # With open groups, they are named, with how to join one.
    await service.create_group(GUILD, create(clock, name="Morning crew", channel_id=OTHER_CHANNEL), creator_id=ALICE)
    with pytest.raises(Refusal) as named:
        await service.check_in(GUILD, BOB, entry(), group=str(created.group.id))
    assert 'Open groups here: "Morning crew"; join one with `/studygroup join`' in str(named.value), named.value
    assert "ask a moderator" in str(named.value)
    # Archiving it again says so, rather than a puzzling "closed".
    with pytest.raises(Refusal, match=r'"Step 2 CK evening crew" is already archived since 2026-11-22\.'):
        await service.archive_group(GUILD, str(created.group.id))
    # A moderator editing it is told how to bring it back, not a member's way out.
    with pytest.raises(Refusal, match=r"is archived\. `/studygroup-admin unarchive` brings it back; then edit it\."):
        await service.edit_group(
            GUILD, str(created.group.id), parse_with_clock(GroupEditOptions, clock(), name="Renamed crew")
        )
    # History stays: progress still counts the day.
    assert (await service.progress(GUILD, BOB)).days == 1


async def test_an_archived_group_comes_back_with_its_members_and_history(
    service: StudyGroupService, clock: Clock
) -> None:
    created = await service.create_group(GUILD, create(clock, timezone="UTC"), creator_id=ALICE)
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    await service.archive_group(GUILD, created.group.id)
    clock.advance(days=3)
    assert [g.id for g in await service.archived_group_choices(GUILD, "step")] == [created.group.id]
    assert await service.archived_group_choices(GUILD, "nothing like it") == ()

    back = await service.unarchive_group(GUILD, str(created.group.id))
    assert back.group.active and back.group.channel_id == CHANNEL and back.members == 1
    assert back.next_prompt_at is not None and back.next_prompt_at > clock()
    assert await service.archived_group_choices(GUILD, "") == ()
    assert (await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)).group.id == created.group.id
    assert (await service.progress(GUILD, BOB)).days == 2
    with pytest.raises(UserInputError, match="is not archived"):
        await service.unarchive_group(GUILD, created.group.id)


async def test_unarchiving_never_takes_an_active_group_s_name_or_channel(
    service: StudyGroupService, clock: Clock
) -> None:
    old = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await service.archive_group(GUILD, old.group.id)
    # Archiving freed the name and the channel; both were taken again.
    twin = await service.create_group(GUILD, create(clock, channel_id=OTHER_CHANNEL), creator_id=ALICE)
    with pytest.raises(UserInputError, match="An active group is called"):
        await service.unarchive_group(GUILD, old.group.id)
    await service.edit_group(GUILD, twin.group.id, parse_with_clock(GroupEditOptions, clock(), name="Night shift"))
    await service.create_group(GUILD, create(clock, name="Morning crew"), creator_id=ALICE)  # in CHANNEL
    with pytest.raises(UserInputError, match=r"Give `channel:`"):
        await service.unarchive_group(GUILD, old.group.id)
    moved = await service.unarchive_group(GUILD, old.group.id, channel_id=THIRD_CHANNEL)
    assert moved.group.active and moved.group.channel_id == THIRD_CHANNEL
    with pytest.raises(UserInputError, match="no study group called"):
        await service.unarchive_group(OTHER_GUILD, old.group.id)


# -- info, recaps, nudges ------------------------------------------------------------------------------------


async def test_info_and_weekly_recap(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock, timezone="UTC"), creator_id=ALICE)
    for user in (ALICE, BOB, CAROL):
        await service.join(GUILD, user, created.group.name)
    clock.now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # Monday of week 48
    for day in range(3):
        await service.check_in(GUILD, ALICE, entry(questions=40, hours="1.5"), channel_id=CHANNEL)
        if day == 0:
            await service.check_in(GUILD, BOB, entry(questions=10), channel_id=CHANNEL)
        clock.advance(days=1)
    info = await service.info(GUILD, created.group.name)
    assert set(info.member_ids) == {ALICE, BOB, CAROL}
    assert info.this_week.week == IsoWeek(2026, 48)
    assert [(m.user_id, m.days) for m in info.this_week.members] == [(ALICE, 3), (BOB, 1)]
    recap = await service.weekly_recap(created.group.id, IsoWeek(2026, 48))
    assert recap.questions == 130 and recap.minutes == 270 and recap.check_ins == 4
    assert CAROL not in {m.user_id for m in recap.members} | {s.user_id for s in recap.top_streaks}
    assert [(s.user_id, s.days) for s in recap.top_streaks] == [(ALICE, 3)]
    assert len(await service.active_groups()) == 1


async def test_nudges_only_when_the_streak_would_break(service: StudyGroupService, clock: Clock) -> None:
    await service.create_group(GUILD, create(clock), creator_id=ALICE)
    with pytest.raises(UserInputError, match="Set your time zone too"):
        await service.update_settings(BOB, parse_with_clock(MemberSettingsOptions, clock(), nudge=True))
    await set_zone(service, clock, BOB, "Asia/Kolkata", nudge=True)
    await set_zone(service, clock, CAROL, "Asia/Kolkata")  # no nudges for Carol
    clock.now = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)  # Monday 10:30 in Kolkata
    for _ in range(3):  # Monday to Wednesday
        await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
        await service.check_in(GUILD, CAROL, entry(), channel_id=CHANNEL)
        clock.advance(days=1)
    # Thursday evening: missing Thursday would only use the grace day.
    clock.now = dt.datetime(2026, 11, 26, 16, 0, tzinfo=dt.UTC)  # 21:30 in Kolkata
    assert await service.nudges_due() == ()
    # Friday, after Thursday was missed: at 20:59 not yet, at 21:00 the nudge is due, after midnight it is
    # gone.
    clock.now = dt.datetime(2026, 11, 27, 15, 29, tzinfo=dt.UTC)
    assert await service.nudges_due() == ()
    clock.now = dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC)
    nudges = await service.nudges_due()
    assert [(n.guild_id, n.user_id, n.local_date, n.streak.current) for n in nudges] == [
        (GUILD, BOB, dt.date(2026, 11, 27), 3)
    ]
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    assert await service.nudges_due() == ()


class CountingRepository(StudyGroupRepository):
    """The real repository, counting how often a member's whole check-in history is read."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.history_reads = 0

    async def check_in_days(self, guild_id: int, user_id: int) -> list[dt.date]:
        self.history_reads += 1
        return await super().check_in_days(guild_id, user_id)


async def test_nudges_read_no_history_outside_the_members_evening(conn: Connection, clock: Clock) -> None:
    repository = CountingRepository(conn)
    service = StudyGroupService(repository, clock)
    await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await set_zone(service, clock, BOB, "Asia/Kolkata", nudge=True)
    await set_zone(service, clock, CAROL, "America/New_York", nudge=True)
    clock.now = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
    for _ in range(3):  # Monday to Wednesday; Thursday missed (the grace day), so Friday's streak is at risk
        await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
        await service.check_in(GUILD, CAROL, entry(), channel_id=CHANNEL)
        clock.advance(days=1)
    repository.history_reads = 0
    clock.now = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)  # 15:30 in Kolkata, 05:00 in New York
    assert await service.nudges_due() == ()
    assert repository.history_reads == 0
    clock.now = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)  # 21:30 in Kolkata, 11:00 in New York
    assert [n.user_id for n in await service.nudges_due()] == [BOB]
    assert repository.history_reads == 1  # Bob's only


LATEST_CHECK_IN = "SELECT * FROM study_checkins WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1"


async def test_a_members_latest_check_in_is_read_through_an_index(conn: Connection) -> None:
    # The nudge poll asks it for every member with nudges on and no zone set, every ten minutes (migration 0010).
    if isinstance(conn, PgConnection):
        # PostgreSQL's planner reads a table this small whole; with that choice taken away, the plan says whether
        # the index can serve the query and its order (no Sort step).
        async with write_transaction(conn):
            await conn.execute("SET LOCAL enable_seqscan = off")
            async with conn.execute(f"EXPLAIN {LATEST_CHECK_IN}", (BOB,)) as cursor:
                plan = " | ".join(str(row[0]) for row in await cursor.fetchall())
        assert "Index Scan Backward using study_checkins_user_latest" in plan and "Sort" not in plan, plan
        return
    async with conn.execute(f"EXPLAIN QUERY PLAN {LATEST_CHECK_IN}", (BOB,)) as cursor:
        plan = " | ".join(str(row[3]) for row in await cursor.fetchall())
    assert "USING INDEX study_checkins_user_latest (user_id=?)" in plan and "TEMP B-TREE" not in plan


# -- leaving the server, retention, coming back --------------------------------------------------------------


async def test_member_left_then_purged_after_retention(
    service: StudyGroupService, clock: Clock, conn: Connection
) -> None:
    created = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await service.create_group(OTHER_GUILD, create(clock, channel_id=THIRD_CHANNEL), creator_id=ALICE)
    await set_zone(service, clock, BOB, "Europe/London")
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    await service.check_in(OTHER_GUILD, BOB, entry(), channel_id=THIRD_CHANNEL)
    await service.set_retention(GUILD, parse_with_clock(RetentionOptions, clock(), days="7"))
    assert await service.retention_days(GUILD) == 7 and await service.retention_days(OTHER_GUILD) == 30

    assert await service.member_left(GUILD, BOB, clock()) == 1
    info = await service.info(GUILD, created.group.name)
    assert BOB not in info.member_ids
    assert (await service.purge_expired(clock() + dt.timedelta(days=6, hours=23))).members == 0
    report = await service.purge_expired(clock() + dt.timedelta(days=7))
    assert report.members == 1
    assert report.deleted == {
        "studygroup_checkins": 1,
        "studygroup_memberships": 1,
        "studygroup_departures": 1,
    }
    assert (await service.progress(GUILD, BOB)).days == 0
    # The other server's data and the member's own settings stay: they still have groups elsewhere.
    assert (await service.progress(OTHER_GUILD, BOB)).days == 1
    assert (await service.settings(BOB)).zone == "Europe/London"

    # Leaving the last server removes the settings too once that server's 30 days have passed.
    await service.member_left(OTHER_GUILD, BOB, clock())
    report = await service.purge_expired(clock() + dt.timedelta(days=30))
    assert report.deleted["studygroup_settings"] == 1
    async with conn.execute("SELECT COUNT(*) FROM study_member_settings WHERE user_id = ?", (BOB,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0


async def test_member_who_returns_keeps_everything(service: StudyGroupService, clock: Clock) -> None:
    created = await service.create_group(GUILD, create(clock), creator_id=ALICE)
    left_by_choice = await service.create_group(
        GUILD, create(clock, name="Second", channel_id=OTHER_CHANNEL), creator_id=ALICE
    )
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    await service.join(GUILD, BOB, left_by_choice.group.name)
    await service.leave(GUILD, BOB, left_by_choice.group.name)
    await service.member_left(GUILD, BOB, clock())
    clock.advance(days=20)
    assert await service.member_returned(GUILD, BOB) == 1  # back in the group leaving the server ended
    assert (await service.purge_expired(clock() + dt.timedelta(days=365))).members == 0
    assert [g.id for g in await service.my_groups(GUILD, BOB)] == [created.group.id]
    assert (await service.progress(GUILD, BOB)).days == 1


async def test_returning_without_the_event_is_noticed_on_check_in(service: StudyGroupService, clock: Clock) -> None:
    await service.create_group(GUILD, create(clock), creator_id=ALICE)
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    await service.member_left(GUILD, BOB, clock())
    clock.advance(days=1)
    # The bot missed the join event, but a member who checks in is evidently back.
    await service.check_in(GUILD, BOB, entry(), channel_id=CHANNEL)
    assert (await service.purge_expired(clock() + dt.timedelta(days=100))).members == 0
    assert (await service.progress(GUILD, BOB)).days == 2


def test_retention_option_bounds(clock: Clock) -> None:
    with pytest.raises(UserInputError, match="0 to 365 days"):
        parse_with_clock(RetentionOptions, clock(), days=400)
    assert parse_with_clock(RetentionOptions, clock(), days=0).days == 0


# -- who may see whose /progress -------------------------------------------------------------------------------

DAVE = 1004


@pytest.mark.parametrize(
    ("asker", "target", "asker_groups", "target_groups", "manages", "expected"),
    [
        (ALICE, ALICE, [], [], False, ProgressAccess.OWN),
        (ALICE, ALICE, [1], [1], True, ProgressAccess.OWN),
        (ALICE, BOB, [1, 2], [2, 3], False, ProgressAccess.GROUP_MATE),
        # A moderator in a group with the member is a group mate there: that is the reason shown.
        (ALICE, BOB, [2], [2], True, ProgressAccess.GROUP_MATE),
        (ALICE, BOB, [1], [2], True, ProgressAccess.MODERATOR),
        (ALICE, BOB, [], [], True, ProgressAccess.MODERATOR),
        (ALICE, BOB, [1], [2], False, None),
        (ALICE, BOB, [], [1], False, None),
        (ALICE, BOB, [1], [], False, None),
    ],
)
def test_progress_access_rule(
    asker: int,
    target: int,
    asker_groups: list[int],
    target_groups: list[int],
    manages: bool,
    expected: ProgressAccess | None,
) -> None:
    assert progress_access(asker, target, asker_groups, target_groups, asker_manages_server=manages) is expected


async def test_progress_of_another_member_needs_a_shared_active_group_or_manage_server(
    service: StudyGroupService, clock: Clock
) -> None:
    evening = (await service.create_group(GUILD, create(clock), creator_id=ALICE)).group
    morning = (
        await service.create_group(GUILD, create(clock, name="Morning", channel_id=OTHER_CHANNEL), creator_id=1)
    ).group
    await service.check_in(GUILD, ALICE, entry(questions="40"), group=evening.id)
    await service.check_in(GUILD, BOB, entry(questions="25"), group=evening.id)
    await service.check_in(GUILD, CAROL, entry(), group=morning.id)
    await service.join(GUILD, DAVE, str(morning.id))  # in a group, never checked in

    mate = await service.progress_for(GUILD, ALICE, BOB, target_name="Bob")
    assert mate.access is ProgressAccess.GROUP_MATE and [g.name for g in mate.shared_groups] == [evening.name]
    assert mate.progress.user_id == BOB and mate.progress.questions == 25

    # Not in a group of Alice's: refused, with the same words whether or not the member has check-ins.
    refusals = []
    for target in (CAROL, DAVE, 9999):
        with pytest.raises(UserInputError) as refused:
            await service.progress_for(GUILD, ALICE, target, target_name="Someone")
        refusals.append(str(refused.value))
    assert len(set(refusals)) == 1 and "members of your own study groups" in refusals[0]

    # A moderator sees any member who checked in, and is told when there is nothing to see.
    seen = await service.progress_for(GUILD, ALICE, CAROL, target_name="Carol", asker_manages_server=True)
    assert seen.access is ProgressAccess.MODERATOR and seen.shared_groups == () and seen.progress.check_ins == 1
    with pytest.raises(Refusal, match='"Dave" has no study-group check-ins in this server yet') as nothing:
        await service.progress_for(GUILD, ALICE, DAVE, target_name="Dave", asker_manages_server=True)
    assert nothing.value.fields == {"name": "Dave"}  # the screen shows the name (bot.ui.errors.user_message)
    # Carol and Dave share the morning group: Dave may look at Carol's.
    assert (await service.progress_for(GUILD, DAVE, CAROL, target_name="Carol")).access is ProgressAccess.GROUP_MATE

    # Bots and people outside the server get their own answer, before any rule.
    with pytest.raises(UserInputError, match="is a bot"):
        await service.progress_for(GUILD, ALICE, 42, target_name="ImgBot", target_is_bot=True)
    with pytest.raises(UserInputError, match="not a member of this server"):
        await service.progress_for(GUILD, ALICE, BOB, target_name="Bob", target_in_server=False)
    # One's own is always there (the cog answers it as /progress without user:).
    own = await service.progress_for(GUILD, ALICE, ALICE, target_name="Alice")
    assert own.access is ProgressAccess.OWN and own.progress.questions == 40
    # Names are quoted safely in what the member is shown (the screen formats them: bot.ui.errors).
    with pytest.raises(UserInputError) as pinged:
        await service.progress_for(GUILD, ALICE, 42, target_name="@everyone <@1>", target_is_bot=True)
    shown = describe_user_error(pinged.value)
    assert shown is not None and "@everyone" not in shown and "<@1>" not in shown


async def test_group_mates_stop_seeing_progress_when_a_group_is_left_or_archived(
    service: StudyGroupService, clock: Clock
) -> None:
    evening = (await service.create_group(GUILD, create(clock), creator_id=ALICE)).group
    await service.check_in(GUILD, ALICE, entry(), group=evening.id)
    await service.check_in(GUILD, BOB, entry(), group=evening.id)
    assert (await service.progress_for(GUILD, ALICE, BOB, target_name="Bob")).access is ProgressAccess.GROUP_MATE
    await service.leave(GUILD, BOB, evening.name)
    with pytest.raises(UserInputError, match="members of your own study groups"):
        await service.progress_for(GUILD, ALICE, BOB, target_name="Bob")
    await service.join(GUILD, BOB, evening.name)
    await service.archive_group(GUILD, evening.name)
    with pytest.raises(UserInputError, match="members of your own study groups"):
        await service.progress_for(GUILD, ALICE, BOB, target_name="Bob")
    # Another server's groups never count here.
    other = (await service.create_group(OTHER_GUILD, create(clock, channel_id=THIRD_CHANNEL), creator_id=ALICE)).group
    await service.join(OTHER_GUILD, ALICE, str(other.id))
    await service.join(OTHER_GUILD, BOB, str(other.id))
    with pytest.raises(UserInputError, match="members of your own study groups"):
        await service.progress_for(GUILD, ALICE, BOB, target_name="Bob")
