"""Members leaving a server: the retention job (a worker of the scheduling runner) deletes their data there once the
server's period is over, runs under one stable job id and once at start-up, and a member who comes back first
keeps everything."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db.connection import Connection
from bot.db.timestamps import to_db
from bot.privacy import privacy_sections
from bot.scheduling import DeliveryRecord, DeliveryRepository, JobScheduler, RateBudget, Runner, Worker, delivery_nonce
from bot.scheduling.pacing import DISCORD_GLOBAL_PER_SECOND, Pacer
from bot.studygroups.models import (
    CheckInEntry,
    GroupCreateOptions,
    MemberSettingsOptions,
    RetentionOptions,
    parse_with_clock,
)
from bot.studygroups.nudges import nudge_delivery_key
from bot.studygroups.reconcile import (
    MAX_IDS_PER_LOOKUP,
    RECONCILE_EVERY,
    RECONCILE_JOB,
    MemberLookupError,
    MemberReconciler,
    RosterChanges,
    ServerStatus,
    lookup_batches,
    roster_changes,
)
from bot.studygroups.repository import NUDGE_TARGET_KIND, StudyGroupRepository
from bot.studygroups.retention import PURGE_EVERY, PURGE_JOB, RetentionPurger
from bot.studygroups.service import MemberRoster, StudyGroupService
from tests.unit.conftest import memory_or_postgres

GUILD, CHANNEL = 1183449152834830386, 1183449153304596563
ALICE, BOB = 402117894126911488, 402117894126911499
START = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """``conn`` in memory on SQLite: no test here opens the database a second time."""
    return await memory_or_postgres(backend, request)


async def count(conn: Connection, sql: str, *args: object) -> int:
    async with conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def test_purge_runs_at_start_and_under_one_job_and_deletes_after_the_period(
    conn: Connection,
) -> None:
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    options = parse_with_clock(GroupCreateOptions, clock(), name="Crew", channel_id=CHANNEL, timezone="UTC")
    await service.create_group(GUILD, options, creator_id=ALICE)
    await service.set_retention(GUILD, parse_with_clock(RetentionOptions, clock(), days=2))
    await service.update_settings(BOB, parse_with_clock(MemberSettingsOptions, clock(), timezone="UTC", nudge=True))
    for user in (ALICE, BOB):
        await service.check_in(GUILD, user, CheckInEntry.model_validate({"studied": "renal"}), channel_id=CHANNEL)
    # Bob was nudged once; that record names him too.
    key = nudge_delivery_key(BOB, clock().date())
    await DeliveryRepository(conn).claim(
        DeliveryRecord(
            key, f"sg-nudge:{BOB}", 0, 0, NUDGE_TARGET_KIND, str(BOB), 0, clock(), clock(), delivery_nonce(key)
        ),
        clock(),
    )
    await service.member_left(GUILD, BOB)
    await service.member_left(GUILD, ALICE)
    clock.now += dt.timedelta(days=1)
    assert await service.member_returned(GUILD, ALICE) == 1

    clock.now += dt.timedelta(days=1, minutes=1)  # Bob's two days are over while the bot was down
    scheduler = JobScheduler()
    purger = RetentionPurger(service)
    # Nobody with data is in the server any more as far as the daily member check is concerned, except Alice.
    runner = workers(
        conn, scheduler, purger, MemberReconciler(service, FakeDirectory({GUILD: {ALICE}}), instant_pacer())
    )
    try:
        await runner.start()
        await runner.start()
        assert scheduler.job_ids("sg:purge") == {PURGE_JOB}
        next_run = scheduler.next_run(PURGE_JOB)
        assert next_run is not None and next_run - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
        await scheduler.tasks.wait_idle()  # the start-up catch-up run
    finally:
        await scheduler.shutdown()

    for table in ("study_checkins", "study_group_members", "study_member_settings", "study_departures"):
        assert await count(conn, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", BOB) == 0, table
    assert await count(conn, "SELECT COUNT(*) FROM deliveries WHERE target_ref = ?", str(BOB)) == 0
    # Alice came back in time: her check-in and her group are still there.
    assert (await service.progress(GUILD, ALICE)).days == 1
    assert len(await service.my_groups(GUILD, ALICE)) == 1
    # Running again deletes nothing twice.
    again = await purger.run()
    assert again.purge.members == 0 and again.nudge_records_forgotten == 0


async def test_members_who_never_used_study_groups_leave_and_join_without_a_trace(conn: Connection) -> None:
    service = StudyGroupService(StudyGroupRepository(conn), Clock())
    assert await service.member_left(GUILD, ALICE) == 0
    assert await service.member_returned(GUILD, ALICE) == 0
    assert await count(conn, "SELECT COUNT(*) FROM study_departures") == 0


def test_privacy_states_the_servers_retention_or_the_default() -> None:
    in_dm = dict(privacy_sections(None))["How long"]
    assert "the server's retention period (30 days unless the server changed it)" in in_dm
    assert "this server's retention period: **7 days**" in dict(privacy_sections(7))["How long"]
    assert "**1 day**" in dict(privacy_sections(1))["How long"]
    assert "**0 days**, so soon after you leave" in dict(privacy_sections(0))["How long"]
    assert all(len(body) <= 1024 for days in (None, 0, 365) for _, body in privacy_sections(days))


# -- members who left or came back while the bot was offline (bot/studygroups/reconcile.py) ------------------------


class FakeDirectory:
    """A MemberDirectory over a plain table of who is in which server; records what was asked."""

    def __init__(self, servers: dict[int, set[int]], *, unavailable: frozenset[int] = frozenset()) -> None:
        self.servers = servers
        self.unavailable = unavailable
        self.confirmed_gone: set[int] = set()
        self.failing: set[int] = set()
        self.lookups: list[tuple[int, tuple[int, ...]]] = []
        self.removal_checks: list[int] = []

    def server_status(self, guild_id: int) -> ServerStatus:
        if guild_id in self.unavailable:
            return ServerStatus.UNAVAILABLE
        return ServerStatus.AVAILABLE if guild_id in self.servers else ServerStatus.NOT_LISTED

    async def confirm_removed(self, guild_id: int) -> bool:
        self.removal_checks.append(guild_id)
        return guild_id in self.confirmed_gone

    async def present_members(self, guild_id: int, user_ids: Sequence[int]) -> set[int]:
        assert 1 <= len(user_ids) <= MAX_IDS_PER_LOOKUP
        self.lookups.append((guild_id, tuple(user_ids)))
        if guild_id in self.failing:
            raise MemberLookupError("timed out")
        return set(user_ids) & self.servers[guild_id]


OTHER_GUILD, OTHER_CHANNEL = 1183449152834830999, 1183449153304596999
CAROL = 402117894126911777


async def sample_service(conn: Connection, clock: Clock) -> StudyGroupService:
    """Alice and Bob check in to a group of GUILD; Carol joined a group of OTHER_GUILD."""
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    for guild, channel in ((GUILD, CHANNEL), (OTHER_GUILD, OTHER_CHANNEL)):
        options = parse_with_clock(GroupCreateOptions, clock(), name="Crew", channel_id=channel, timezone="UTC")
        await service.create_group(guild, options, creator_id=ALICE)
    for user in (ALICE, BOB):
        await service.check_in(GUILD, user, CheckInEntry.model_validate({"studied": "renal"}), channel_id=CHANNEL)
    await service.join(OTHER_GUILD, CAROL, "Crew")
    return service


def workers(conn: Connection, scheduler: JobScheduler, purger: RetentionPurger, reconciler: MemberReconciler) -> Runner:
    """The two jobs as bot/app.py registers them."""
    runner = Runner(scheduler, DeliveryRepository(conn), RateBudget())
    runner.add_worker(Worker(PURGE_JOB, PURGE_EVERY, purger.run, needs_ready=False))
    runner.add_worker(Worker(RECONCILE_JOB, RECONCILE_EVERY, reconciler.run))
    return runner


def instant_pacer() -> Pacer:
    async def no_sleep(_: float) -> None:
        return None

    return Pacer(DISCORD_GLOBAL_PER_SECOND, 2, sleep=no_sleep)


def test_roster_changes_compares_belief_with_presence() -> None:
    roster = MemberRoster(GUILD, members=(1, 2, 3), departed=(4, 5))
    assert roster_changes(roster, {1, 3, 5, 6}) == RosterChanges(left=(2,), returned=(5,))
    assert roster_changes(roster, set()) == RosterChanges(left=(1, 2, 3), returned=())
    assert roster_changes(MemberRoster(GUILD, (), ()), {1}) == RosterChanges((), ())


@given(st.lists(st.integers(min_value=1, max_value=10**18), unique=True, max_size=450), st.integers(1, 120))
def test_lookup_batches_ask_about_everyone_once_within_the_limit(ids: list[int], size: int) -> None:
    batches = lookup_batches(ids, size)
    assert [user for batch in batches for user in batch] == ids
    assert all(1 <= len(batch) <= size for batch in batches)
    assert len(batches) == -(-len(ids) // size)


async def test_reconcile_ends_the_groups_of_members_who_left_while_offline(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    await service.leave(GUILD, ALICE, "Crew")  # left the group herself: her check-in is still data to watch over
    assert await service.member_roster(GUILD) == MemberRoster(GUILD, members=tuple(sorted((ALICE, BOB))), departed=())
    directory = FakeDirectory({GUILD: {BOB}, OTHER_GUILD: {CAROL}})
    reconciler = MemberReconciler(service, directory, instant_pacer())

    clock.now += dt.timedelta(hours=5)
    report = await reconciler.run()

    assert (report.servers, report.members_checked, report.lookups, report.left, report.returned) == (2, 3, 2, 1, 0)
    assert sorted(directory.lookups) == sorted([(GUILD, tuple(sorted((ALICE, BOB)))), (OTHER_GUILD, (CAROL,))])
    assert await count(conn, "SELECT COUNT(*) FROM study_departures WHERE user_id = ?", ALICE) == 1
    async with conn.execute("SELECT left_at FROM study_departures WHERE user_id = ?", (ALICE,)) as cursor:
        row = await cursor.fetchone()
    # The retention counts from when it was noticed, never from an earlier guess.
    assert row is not None and row[0] == to_db(clock.now)
    assert await service.member_roster(GUILD) == MemberRoster(GUILD, members=(BOB,), departed=(ALICE,))
    assert len(await service.my_groups(GUILD, BOB)) == 1
    # The next run changes nothing: Alice's departure stands, nobody else moved.
    again = await reconciler.run()
    assert (again.left, again.returned) == (0, 0)


async def test_reconcile_gives_groups_back_to_members_who_returned_while_offline(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    await service.member_left(GUILD, BOB)
    assert await service.my_groups(GUILD, BOB) == ()
    reconciler = MemberReconciler(service, FakeDirectory({GUILD: {ALICE, BOB}, OTHER_GUILD: {CAROL}}), instant_pacer())

    report = await reconciler.run()

    assert (report.left, report.returned) == (0, 1)
    assert await count(conn, "SELECT COUNT(*) FROM study_departures") == 0
    assert len(await service.my_groups(GUILD, BOB)) == 1
    # Nothing is purged for him later.
    clock.now += dt.timedelta(days=60)
    assert (await service.purge_expired()).members == 0


async def test_a_server_the_bot_was_removed_from_counts_as_everyone_leaving(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    await service.set_retention(GUILD, parse_with_clock(RetentionOptions, clock(), days=3))
    directory = FakeDirectory({OTHER_GUILD: {CAROL}})
    directory.confirmed_gone.add(GUILD)
    reconciler = MemberReconciler(service, directory, instant_pacer())

    report = await reconciler.run()

    assert (report.servers_gone, report.left, report.servers_skipped) == (1, 2, 0)
    assert directory.removal_checks == [GUILD]
    assert all(guild != GUILD for guild, _ in directory.lookups)
    assert await service.member_roster(GUILD) == MemberRoster(GUILD, members=(), departed=tuple(sorted((ALICE, BOB))))
    # The server's own retention applies: deleted after three days, not before.
    clock.now += dt.timedelta(days=3) - dt.timedelta(minutes=1)
    assert (await service.purge_expired()).members == 0
    clock.now += dt.timedelta(minutes=2)
    assert (await service.purge_expired()).members == 2
    assert await count(conn, "SELECT COUNT(*) FROM study_checkins WHERE guild_id = ?", GUILD) == 0
    assert len(await service.my_groups(OTHER_GUILD, CAROL)) == 1


async def test_uncertain_answers_change_nothing(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    # GUILD is missing from the bot's list but Discord does not confirm the removal; OTHER_GUILD's lookup fails.
    directory = FakeDirectory({OTHER_GUILD: set()})
    directory.failing.add(OTHER_GUILD)
    reconciler = MemberReconciler(service, directory, instant_pacer())
    report = await reconciler.run()
    assert (report.servers_skipped, report.left, report.servers_gone) == (2, 0, 0)

    # An outage (the server is listed but unavailable) is not asked about at all.
    outage = FakeDirectory({GUILD: set(), OTHER_GUILD: set()}, unavailable=frozenset({GUILD, OTHER_GUILD}))
    reconciler.directory = outage
    report = await reconciler.run()
    assert (report.servers_skipped, report.left, outage.lookups) == (2, 0, [])
    assert await count(conn, "SELECT COUNT(*) FROM study_departures") == 0
    assert len(await service.my_groups(OTHER_GUILD, CAROL)) == 1


async def test_large_rosters_are_asked_about_in_batches_of_at_most_100(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    crowd = [ALICE + 1000 + n for n in range(230)]
    for user in crowd:
        await service.join(GUILD, user, "Crew")
    gone = set(crowd[::7])
    directory = FakeDirectory({GUILD: {ALICE, BOB, *crowd} - gone, OTHER_GUILD: {CAROL}})
    reconciler = MemberReconciler(service, directory, instant_pacer())

    report = await reconciler.run()

    assert [len(ids) for guild, ids in directory.lookups if guild == GUILD] == [100, 100, 32]
    assert report.left == len(gone)
    assert set((await service.member_roster(GUILD)).departed) == gone


async def test_reconciler_runs_after_ready_and_daily_under_one_job(conn: Connection) -> None:
    clock = Clock()
    service = await sample_service(conn, clock)
    scheduler = JobScheduler()
    directory = FakeDirectory({GUILD: {ALICE}, OTHER_GUILD: {CAROL}})
    runner = workers(conn, scheduler, RetentionPurger(service), MemberReconciler(service, directory, instant_pacer()))
    try:
        await runner.start()
        await runner.start()
        assert scheduler.job_ids("sg:") == {PURGE_JOB, RECONCILE_JOB}
        next_run = scheduler.next_run(RECONCILE_JOB)
        assert next_run is not None
        assert dt.timedelta(hours=23) < next_run - dt.datetime.now(dt.UTC) <= RECONCILE_EVERY
        await scheduler.tasks.wait_idle()  # the catch-up runs of both jobs
    finally:
        await scheduler.shutdown()
    assert await service.member_roster(GUILD) == MemberRoster(GUILD, members=(ALICE,), departed=(BOB,))


async def test_the_pacer_spaces_lookups_so_many_servers_never_burst(conn: Connection) -> None:
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    guilds = [GUILD + n for n in range(12)]
    for n, guild in enumerate(guilds):
        options = parse_with_clock(GroupCreateOptions, clock(), name="Crew", channel_id=CHANNEL + n, timezone="UTC")
        await service.create_group(guild, options, creator_id=ALICE)
        await service.join(guild, ALICE, "Crew")
    moments: list[float] = []
    fake_time = [0.0]

    async def sleep(seconds: float) -> None:
        fake_time[0] += seconds

    class Timed(FakeDirectory):
        async def present_members(self, guild_id: int, user_ids: Sequence[int]) -> set[int]:
            moments.append(fake_time[0])
            return await super().present_members(guild_id, user_ids)

    pacer = Pacer(2.0, 2, clock=lambda: fake_time[0], sleep=sleep)
    reconciler = MemberReconciler(service, Timed({guild: {ALICE} for guild in guilds}), pacer)
    await reconciler.run()
    assert len(moments) == 12
    assert all(later - earlier >= 0.5 - 1e-9 for earlier, later in itertools.pairwise(sorted(moments)))
