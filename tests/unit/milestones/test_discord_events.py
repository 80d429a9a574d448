"""Discord scheduled events for Match Week, SOAP and Match Day: which are planned, made once per server against a
real (in-memory) database and a fake Discord, recovered after a crash without a second one, moved when an official
date replaces a projection, and stopped (with one DM) where the bot lacks Manage Events."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.content import Content
from bot.cycle import CycleCalendar, CycleFile, Milestone, MilestoneKind, MilestoneStatus, Source
from bot.db.connection import Connection
from bot.milestones.discord_event_plan import (
    DESCRIPTION_MAX,
    LOCATION_MAX,
    NAME_MAX,
    TARGET_KIND,
    EventPlan,
    EventsNotice,
    delivery_key,
    plan_discord_events,
)
from bot.milestones.discord_events import (
    MILESTONE_PASSED,
    NOT_WANTED,
    DiscordEventSync,
    EventGone,
    GuildReadiness,
    SyncFigures,
    sync_figures,
)
from bot.milestones.repository import MilestoneRepository
from bot.milestones.service import MilestoneService, build_milestone_service
from bot.scheduling.delivery import (
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    ProblemKind,
    delivery_nonce,
)
from bot.scheduling.pacing import RateBudget
from bot.scheduling.runner import Runner
from bot.scheduling.scheduler import JobScheduler
from bot.validation import UserInputError
from tests.unit.conftest import memory_or_postgres
from tests.unit.milestones.test_announcer import Clock, FakeDiscord

ADMIN = 5
BIG_KINDS = {MilestoneKind.MATCH_WEEK, MilestoneKind.SOAP_OPENS, MilestoneKind.MATCH_DAY}
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def titles(entry_id: str) -> str:
    return f"Entry {entry_id}"


@dataclass
class FakeEvent:
    id: int
    guild_id: int
    plan: EventPlan


@dataclass
class FakeEvents:
    """Implements EventGateway: a dict of events per server; servers can lack the permission or refuse later."""

    events: dict[int, FakeEvent] = field(default_factory=dict)
    creates: int = 0
    edits: int = 0
    finds: int = 0
    no_permission: set[int] = field(default_factory=set)
    gone: set[int] = field(default_factory=set)
    refuse: set[int] = field(default_factory=set)
    notices: list[EventsNotice] = field(default_factory=list)

    def readiness(self, guild_id: int) -> GuildReadiness:
        if guild_id in self.gone:
            return GuildReadiness.GONE
        return GuildReadiness.NO_PERMISSION if guild_id in self.no_permission else GuildReadiness.READY

    async def create(self, guild_id: int, plan: EventPlan) -> int:
        if guild_id in self.refuse:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, "403 50013 Missing Permissions")
        self.creates += 1
        event = FakeEvent(90_000 + len(self.events), guild_id, plan)
        self.events[event.id] = event
        return event.id

    async def edit(self, guild_id: int, event_id: int, plan: EventPlan) -> None:
        event = self.events.get(event_id)
        if event is None or event.guild_id != guild_id:
            raise EventGone("10070 Unknown Guild Scheduled Event")
        self.edits += 1
        event.plan = plan

    async def find(self, guild_id: int, name: str) -> int | None:
        self.finds += 1
        return next((e.id for e in self.events.values() if (e.guild_id, e.plan.name) == (guild_id, name)), None)

    async def notify(self, notice: EventsNotice) -> bool:
        self.notices.append(notice)
        return True

    def in_guild(self, guild_id: int) -> list[EventPlan]:
        return sorted((e.plan for e in self.events.values() if e.guild_id == guild_id), key=lambda p: p.start)


@dataclass
class Harness:
    service: MilestoneService
    events: FakeEvents
    clock: Clock
    scheduler: JobScheduler
    runner: Runner

    async def opt_in(self, guild_id: int, enabled: bool = True) -> None:
        await self.service.set_discord_events(guild_id, enabled)
        await self.scheduler.tasks.wait_idle()

    async def sweep(self, trigger: str = "sweep", scope: frozenset[int] | None = None) -> SyncFigures:
        return sync_figures(await self.runner.sweep(sync_of(self), trigger, scope=scope))


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """``conn`` in memory on SQLite: no test here opens the database a second time."""
    return await memory_or_postgres(backend, request)


def build_harness(conn: Connection, content: Content, events: FakeEvents, clock: Clock) -> Harness:
    """The feature wired as the bot wires it; built again over the same database and Discord, it is a restart."""
    scheduler = JobScheduler()
    runner = Runner(scheduler, DeliveryRepository(conn), RateBudget(50, 8))
    service = build_milestone_service(
        conn, content.calendar, titles, runner, FakeDiscord(), events, grace=timedelta(hours=6), clock=clock
    )
    return Harness(service, events, clock, scheduler, runner)


@pytest.fixture
async def harness(conn: Connection, content: Content) -> AsyncIterator[Harness]:
    built = build_harness(conn, content, FakeEvents(), Clock(NOW))
    try:
        yield built
    finally:
        await built.scheduler.shutdown()


async def subscribed(h: Harness, *guilds: int) -> None:
    for guild in guilds:
        await h.service.subscribe(guild, guild * 10, None, None, ADMIN + guild)


def sync_of(h: Harness) -> DiscordEventSync:
    sync = h.service.discord_events
    assert sync is not None
    return sync


async def rows(conn: Connection, sql: str, *args: object) -> list[tuple[object, ...]]:
    async with conn.execute(sql, args) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


# -- which events ---------------------------------------------------------------------------------------------------


def test_the_big_milestones_of_the_current_and_next_cycle_that_are_ahead(content: Content) -> None:
    calendar = content.calendar
    plans = plan_discord_events(calendar, NOW, titles)
    assert [p.uid for p in plans] == [
        "match-week-2027",
        "soap-opens-2027",
        "match-day-2027",
        "match-week-2028",
        "soap-opens-2028",
        "match-day-2028",
    ]
    for plan in plans:
        milestone = calendar.get(plan.match_year, plan.kind)
        assert milestone is not None and plan.start == milestone.at
        assert len(plan.name) <= NAME_MAX and len(plan.description) <= DESCRIPTION_MAX
        assert len(plan.location) <= LOCATION_MAX and plan.location.startswith("https://")
        assert plan.end > plan.start
        assert plan.projected and plan.description.startswith("Projected date")
    soap = plans[1]
    soap_ends = calendar.get(2027, MilestoneKind.SOAP_ENDS)
    assert soap_ends is not None and soap.end == soap_ends.at
    assert "09:00, 12:00, 15:00, 18:00" in soap.description
    match_day = plans[2]
    assert match_day.end == match_day.start + MilestoneKind.MATCH_DAY.info.duration
    assert "Match Day" in match_day.name and "(Match 2027)" in match_day.name


def test_passed_ones_are_left_out_and_official_dates_say_so(content: Content) -> None:
    calendar = content.calendar
    match_week = calendar.get(2026, MilestoneKind.MATCH_WEEK)
    match_day = calendar.get(2026, MilestoneKind.MATCH_DAY)
    assert match_week is not None and match_day is not None
    during = match_week.at + timedelta(days=2)  # Match Week 2026 is under way; SOAP has opened
    plans = plan_discord_events(calendar, during, titles)
    assert [p.uid for p in plans][:2] == ["match-day-2026", "match-week-2027"]
    assert plans[0].start == match_day.at and not plans[0].projected
    assert plans[0].description.startswith("Official date") and plans[0].location == match_day.source.url
    # An event about to start is not made (Discord refuses the past).
    assert "match-day-2026" not in {
        p.uid for p in plan_discord_events(calendar, match_day.at - timedelta(minutes=1), titles)
    }


# -- made once -------------------------------------------------------------------------------------------------------


async def test_each_event_is_made_once_per_server(harness: Harness, conn: Connection) -> None:
    h = harness
    await subscribed(h, 1, 2, 3)
    await h.opt_in(1)
    await h.opt_in(2)
    assert h.events.creates == 12
    expected = plan_discord_events(h.service.calendar, NOW, titles)
    assert h.events.in_guild(1) == expected and h.events.in_guild(2) == expected and h.events.in_guild(3) == []
    for _ in range(2):
        report = await h.sweep()
        assert (report.created, report.updated, report.unchanged) == (0, 0, 12)
    assert h.events.creates == 12 and h.events.edits == 0
    assert await rows(conn, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM milestone_discord_events") == [(12, 12)]
    statuses = await rows(
        conn, "SELECT status, COUNT(*) FROM deliveries WHERE target_kind = ? GROUP BY status", TARGET_KIND
    )
    assert statuses == [("sent", 12)]


async def test_only_subscribed_servers_and_only_when_switched_on(harness: Harness) -> None:
    h = harness
    with pytest.raises(UserInputError, match="/announcements setup"):
        await h.service.set_discord_events(7, True)
    await subscribed(h, 7)
    await h.opt_in(7)
    assert h.events.creates == 6
    await h.opt_in(7, enabled=False)
    # Switched off: nothing new (the next cycle's events, once ahead), nothing deleted.
    h.clock.now = datetime(2027, 7, 1, tzinfo=UTC)
    await h.sweep()
    assert h.events.creates == 6 and len(h.events.events) == 6
    await h.opt_in(7)
    assert h.events.creates == 9  # Match 2029's three; 2028's already exist
    assert [p.uid for p in h.events.in_guild(7)][-3:] == ["match-week-2029", "soap-opens-2029", "match-day-2029"]


async def test_a_crash_between_creating_and_recording_makes_no_second_event(harness: Harness) -> None:
    h = harness
    await subscribed(h, 1)
    plan = plan_discord_events(h.service.calendar, NOW, titles)[0]
    key = delivery_key(1, plan)
    # Before the crash: claimed, and the event was made in Discord, but the id was never recorded.
    await h.service.deliveries.claim(
        DeliveryRecord(key, key, 1, 0, TARGET_KIND, plan.uid, 0, plan.start, NOW, delivery_nonce(key)), NOW
    )
    made = await h.events.create(1, plan)
    h.clock.now += timedelta(seconds=30)  # restarted
    await h.opt_in(1)
    assert h.events.creates == 6 and h.events.finds == 1 and len(h.events.in_guild(1)) == 6
    assert [e.id for e in h.events.events.values() if e.plan.uid == plan.uid] == [made]
    link = (await h.service.repository.discord_event_links([1]))[(1, plan.uid)]
    assert link.event_id == made


class CrashBeforeLinking(Exception):
    """Stands for the process stopping after an event's id was recorded and before the event was linked."""


async def test_a_crash_between_recording_and_linking_is_linked_at_the_next_sweep(
    harness: Harness, conn: Connection, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    await subscribed(h, 1)

    async def crash(link: object, now: datetime) -> None:
        raise CrashBeforeLinking

    # The first run: every event is made and its id recorded, and the process "stops" before each link is written.
    monkeypatch.setattr(sync_of(h).repository, "save_discord_event_link", crash)
    await h.opt_in(1)
    monkeypatch.undo()
    assert h.events.creates == 6 and await h.service.repository.discord_event_links([1]) == {}
    recorded = dict(
        await rows(
            conn, "SELECT target_ref, message_id FROM deliveries WHERE target_kind = ? AND status = 'sent'", TARGET_KIND
        )
    )
    assert len(recorded) == 6
    await h.scheduler.shutdown()

    # The restart: the first sweep links every event from its recorded id, makes none again, and brings each up to
    # the current plan.
    h.clock.now += timedelta(minutes=1)
    restarted = build_harness(conn, content, h.events, h.clock)
    try:
        report = await restarted.sweep("start-up")
        assert (report.created, report.updated) == (0, 6) and h.events.creates == 6
        links = await restarted.service.repository.discord_event_links([1])
        assert {uid: link.event_id for (_, uid), link in links.items()} == recorded
        assert all(link.active and link.fingerprint for link in links.values())
        assert (await restarted.sweep()).updated == 0, "linked once, not at every sweep"

        # Linked, the event is moved when the official date replaces the projection, and still never made twice.
        projected = content.calendar.get(2027, MilestoneKind.MATCH_DAY)
        assert projected is not None and projected.is_projected
        moved_to = projected.at + timedelta(days=7)
        sync_of(restarted).calendar = with_official(content.calendar, MilestoneKind.MATCH_DAY, moved_to)
        report = await restarted.sweep()
        assert (report.created, report.updated) == (0, 1) and h.events.creates == 6
        match_day = h.events.events[int(str(recorded["match-day-2027"]))]
        assert match_day.plan.start == moved_to and not match_day.plan.projected
    finally:
        await restarted.scheduler.shutdown()


async def test_the_announcers_recovery_leaves_a_creation_claim_to_us(harness: Harness) -> None:
    h = harness
    await subscribed(h, 1)
    plans = plan_discord_events(h.service.calendar, NOW, titles)
    for plan, made_before_crash in ((plans[0], True), (plans[1], False)):
        key = delivery_key(1, plan)
        record = DeliveryRecord(key, key, 1, 0, TARGET_KIND, plan.uid, 0, plan.start, NOW, delivery_nonce(key))
        await h.service.deliveries.claim(record, NOW)
        if made_before_crash:
            await h.events.create(1, plan)
    h.clock.now += timedelta(seconds=30)
    # Both run at start-up; the announcer must not give up claims that are not announcements.
    await h.runner.sweep(h.service.announcer, "start-up")
    for plan in plans[:2]:
        pending = await h.service.deliveries.get(delivery_key(1, plan))
        assert pending is not None and pending.status is DeliveryStatus.CLAIMED
    await h.opt_in(1)
    assert h.events.creates == 6 and h.events.finds == 2
    assert [p.uid for p in h.events.in_guild(1)] == [p.uid for p in plans]
    for plan in plans:
        record = await h.service.deliveries.get(delivery_key(1, plan))
        assert record is not None and record.status is DeliveryStatus.SENT and record.message_id is not None


# -- projected -> official -------------------------------------------------------------------------------------------


def with_official(calendar: CycleCalendar, kind: MilestoneKind, at: datetime) -> CycleCalendar:
    source = Source("NRMP Main Residency Match calendar (2027)", "https://www.nrmp.org/match-calendars/")
    official = Milestone(kind, 2027, at, MilestoneStatus.OFFICIAL, source)
    files = [
        CycleFile(Path(f"match-{y}.yaml"), y, tuple(m for m in calendar.cycle(y) if not m.is_projected))
        for y in calendar.years_with_data
    ]
    files = [f for f in files if f.match_year != 2027]
    return CycleCalendar([*files, CycleFile(Path("match-2027.yaml"), 2027, (official,))], calendar.words)


async def test_an_official_date_moves_the_projected_event(harness: Harness, content: Content) -> None:
    h = harness
    await subscribed(h, 1, 2)
    await h.opt_in(1)
    await h.opt_in(2)
    projected = content.calendar.get(2027, MilestoneKind.MATCH_DAY)
    assert projected is not None and projected.is_projected
    moved_to = projected.at + timedelta(days=7)
    sync = sync_of(h)
    sync.calendar = with_official(content.calendar, MilestoneKind.MATCH_DAY, moved_to)
    report = await h.sweep()
    assert (report.created, report.updated) == (0, 2)
    assert h.events.creates == 12 and h.events.edits == 2
    for guild in (1, 2):
        match_day = next(p for p in h.events.in_guild(guild) if p.uid == "match-day-2027")
        assert match_day.start == moved_to and match_day.end == moved_to + MilestoneKind.MATCH_DAY.info.duration
        assert not match_day.projected and match_day.description.startswith("Official date")
        link = (await h.service.repository.discord_event_links([guild]))[(guild, "match-day-2027")]
        assert link.starts_at == moved_to and not link.projected
    assert (await h.sweep()).updated == 0  # edited once, not on every run


async def test_the_same_date_made_official_only_changes_the_description(harness: Harness, content: Content) -> None:
    h = harness
    await subscribed(h, 1)
    await h.opt_in(1)
    week = content.calendar.get(2027, MilestoneKind.MATCH_WEEK)
    assert week is not None
    sync = sync_of(h)
    sync.calendar = with_official(content.calendar, MilestoneKind.MATCH_WEEK, week.at)
    assert (await h.sweep()).updated == 1
    event = next(p for p in h.events.in_guild(1) if p.uid == "match-week-2027")
    assert event.start == week.at and event.description.startswith("Official date")


async def test_an_event_an_admin_deleted_is_not_made_again(harness: Harness, content: Content) -> None:
    h = harness
    await subscribed(h, 1)
    await h.opt_in(1)
    match_day = next(e for e in h.events.events.values() if e.plan.uid == "match-day-2027")
    del h.events.events[match_day.id]
    projected = content.calendar.get(2027, MilestoneKind.MATCH_DAY)
    assert projected is not None
    sync = sync_of(h)
    sync.calendar = with_official(content.calendar, MilestoneKind.MATCH_DAY, projected.at + timedelta(days=1))
    await h.sweep()
    await h.sweep()
    assert h.events.creates == 6 and "match-day-2027" not in {p.uid for p in h.events.in_guild(1)}
    link = (await h.service.repository.discord_event_links([1]))[(1, "match-day-2027")]
    assert not link.active


async def crashed_after_creating(h: Harness, guild_id: int, plan: EventPlan) -> int:
    """The state a crash between creating ``plan``'s event and recording it leaves: a claim, and the event."""
    key = delivery_key(guild_id, plan)
    await h.service.deliveries.claim(
        DeliveryRecord(key, key, guild_id, 0, TARGET_KIND, plan.uid, 0, plan.start, NOW, delivery_nonce(key)), NOW
    )
    return await h.events.create(guild_id, plan)


async def test_the_names_hold_the_kind_and_year_and_not_the_date(content: Content) -> None:
    # Recovery looks an event up by its name alone; that is only safe if no two planned events share a name and a
    # name survives a moved or confirmed date.
    plans = plan_discord_events(content.calendar, NOW, titles)
    assert len({p.name for p in plans}) == len(plans)
    match_day = content.calendar.get(2027, MilestoneKind.MATCH_DAY)
    assert match_day is not None
    moved = with_official(content.calendar, MilestoneKind.MATCH_DAY, match_day.at + timedelta(days=7))
    assert [p.name for p in plan_discord_events(moved, NOW, titles)] == [p.name for p in plans]


async def test_a_crash_then_a_moved_date_finds_the_first_event_and_moves_it(harness: Harness, content: Content) -> None:
    h = harness
    await subscribed(h, 1)
    before = next(p for p in plan_discord_events(content.calendar, NOW, titles) if p.uid == "match-day-2027")
    made = await crashed_after_creating(h, 1, before)
    # While the bot was down, the data file gave Match Day an official date a week later.
    moved_to = before.start + timedelta(days=7)
    sync = sync_of(h)
    sync.calendar = with_official(content.calendar, MilestoneKind.MATCH_DAY, moved_to)
    h.clock.now += timedelta(seconds=30)
    await h.opt_in(1)
    assert h.events.creates == 6 and [e.id for e in h.events.events.values() if e.plan.uid == before.uid] == [made]
    link = (await h.service.repository.discord_event_links([1]))[(1, before.uid)]
    assert link.event_id == made and link.fingerprint == ""  # what the found event says is unknown
    report = await h.sweep()
    assert (report.created, report.updated) == (0, 1)
    assert h.events.events[made].plan.start == moved_to and not h.events.events[made].plan.projected
    assert (await h.sweep()).updated == 0


async def test_a_crash_then_the_same_date_made_official_updates_the_found_event(
    harness: Harness, content: Content
) -> None:
    h = harness
    await subscribed(h, 1)
    before = next(p for p in plan_discord_events(content.calendar, NOW, titles) if p.uid == "match-week-2027")
    made = await crashed_after_creating(h, 1, before)
    sync = sync_of(h)
    sync.calendar = with_official(content.calendar, MilestoneKind.MATCH_WEEK, before.start)
    h.clock.now += timedelta(seconds=30)
    await h.opt_in(1)
    assert h.events.events[made].plan.description.startswith("Projected date")
    assert (await h.sweep()).updated == 1
    assert h.events.events[made].plan.description.startswith("Official date") and h.events.creates == 6


# -- claims nothing plans any more -----------------------------------------------------------------------------------


async def test_a_claim_for_a_milestone_that_passed_is_skipped(harness: Harness, conn: Connection) -> None:
    h = harness
    await subscribed(h, 1)
    await h.opt_in(1)
    # A claim left unfinished in 2026 for Match Day 2026, which no plan names any more.
    passed = next(p for p in plan_discord_events(h.service.calendar, datetime(2026, 1, 5, tzinfo=UTC), titles))
    assert passed.uid == "match-week-2026" and passed.start < NOW
    key = delivery_key(1, passed)
    await h.service.deliveries.claim(
        DeliveryRecord(key, key, 1, 0, TARGET_KIND, passed.uid, 0, passed.start, passed.start, delivery_nonce(key)),
        passed.start,
    )
    request = await h.sweep("opt-in 1", frozenset({1}))
    assert request.skipped == 0  # a run for one server cannot tell what the others plan: it leaves claims alone
    report = await h.sweep()
    assert report.skipped == 1 and h.events.creates == 6
    assert await rows(conn, "SELECT key, status, reason FROM deliveries WHERE status != 'sent'") == [
        (key, "skipped", MILESTONE_PASSED)
    ]
    assert await h.service.deliveries.claimed([TARGET_KIND]) == []


async def test_a_claim_given_up_while_switched_off_is_recovered_when_switched_on(
    harness: Harness, conn: Connection
) -> None:
    h = harness
    await subscribed(h, 1)
    plan = plan_discord_events(h.service.calendar, NOW, titles)[0]
    made = await crashed_after_creating(h, 1, plan)
    await h.sweep()  # events are off in server 1: nothing plans the claim
    given_up = await h.service.deliveries.get(delivery_key(1, plan))
    assert given_up is not None and given_up.status is DeliveryStatus.SKIPPED and given_up.reason == NOT_WANTED
    h.clock.now += timedelta(seconds=30)
    await h.opt_in(1)
    assert h.events.creates == 6 and [e.id for e in h.events.events.values() if e.plan.uid == plan.uid] == [made]
    record = await h.service.deliveries.get(delivery_key(1, plan))
    assert record is not None and record.status is DeliveryStatus.SENT and record.message_id == made
    assert (await h.service.repository.discord_event_links([1]))[(1, plan.uid)].event_id == made


async def test_a_full_sweep_over_more_servers_than_sqlite_binds_variables(harness: Harness, conn: Connection) -> None:
    h = harness
    # SQLite's own default is 32,766 variables per statement (this build allows more); a low limit keeps the test
    # small. aiosqlite has no setlimit: the call has to run on the connection's thread. (PostgreSQL's limit, 32,767
    # parameters, cannot be lowered: there the test is a full sweep over many servers.)
    limit = 500
    if isinstance(conn, aiosqlite.Connection):
        await conn._execute(conn._conn.setlimit, sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    many = range(10_000_000, 10_000_000 + limit + 100)
    stamp = "2026-12-01T10:00:00.000000+00:00"
    await conn.executemany(
        "INSERT INTO milestone_subscriptions (guild_id, channel_id, configured_by, active_since, created_at, "
        "updated_at) VALUES (?, 1, 1, ?, ?, ?)",
        [(g, stamp, stamp, stamp) for g in many],
    )
    await conn.executemany(
        "INSERT INTO milestone_discord_event_settings (guild_id, enabled, problem, updated_at) VALUES (?, 1, NULL, ?)",
        [(g, stamp) for g in many],
    )
    await conn.commit()
    h.events.gone.update(many)  # the bot is in none of them: nothing is sent, every server is still planned
    report = await h.sweep()
    assert report.servers == len(many) and report.skipped == len(many) * 6


# -- refused -----------------------------------------------------------------------------------------------------------


async def test_a_refusal_tells_nobody_by_id_once_its_moderator_deleted_their_data(
    harness: Harness, conn: Connection
) -> None:
    """configured_by is 0 after /mydata delete: the notice has no recipient (never user 0; the owner is told)."""
    h = harness
    await subscribed(h, 1)
    assert await MilestoneRepository(conn).unname(ADMIN + 1) == 1
    h.events.refuse.add(1)
    await h.opt_in(1)
    assert [(n.guild_id, n.recipients) for n in h.events.notices] == [(1, ())]


async def test_a_refusal_stops_that_server_only_and_tells_its_admin_once(harness: Harness, conn: Connection) -> None:
    h = harness
    await subscribed(h, 1, 2)
    h.events.refuse.add(1)  # the cache said yes, Discord says 403
    await h.opt_in(1)
    await h.opt_in(2)
    assert h.events.in_guild(1) == [] and len(h.events.in_guild(2)) == 6
    assert [(n.guild_id, n.recipients, len(n.names)) for n in h.events.notices] == [(1, (ADMIN + 1,), 6)]
    assert await rows(conn, "SELECT guild_id, problem FROM milestone_discord_event_settings ORDER BY guild_id") == [
        (1, "no-permission"),
        (2, None),
    ]
    await h.sweep()
    assert len(h.events.notices) == 1  # told once, not at every run
    # Announcements are not paused by it.
    subscription = await h.service.subscription(1)
    assert subscription is not None and subscription.active
    # Fixed, and switched on again: made now.
    h.events.refuse.clear()
    await h.opt_in(1)
    assert len(h.events.in_guild(1)) == 6


async def test_missing_permission_in_the_cache_makes_no_request(harness: Harness) -> None:
    h = harness
    await subscribed(h, 1)
    h.events.no_permission.add(1)
    await h.opt_in(1)
    assert h.events.creates == 0 and h.events.finds == 0 and len(h.events.notices) == 1
