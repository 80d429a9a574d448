"""Streak nudges by DM: one per member per local day across servers, exactly once across restarts; a member who
cannot get DMs has their nudges turned off with no retries; the records are exported, deleted and pruned."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.db.connection import Connection
from bot.scheduling import (
    DeliveryProblem,
    DeliveryRepository,
    DeliveryStatus,
    JobScheduler,
    ProblemKind,
    RateBudget,
    Runner,
    SweepReport,
    TransientDeliveryError,
    delivery_reference,
)
from bot.studygroups.models import CheckInEntry, GroupCreateOptions, MemberSettingsOptions, parse_with_clock
from bot.studygroups.nudges import POLL_JOB, MemberNudge, NudgeDispatcher, nudge_delivery_key
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from bot.validation import UserInputError
from tests.unit.conftest import memory_or_postgres

GUILD, OTHER_GUILD = 1183449152834830386, 1098765432109876543
CHANNEL, OTHER_CHANNEL = 1183449153304596563, 1098765432109876601
ALICE, BOB, CAROL = 402117894126911488, 402117894126911499, 402117894126911500
# Monday 23 November 2026, 05:00 UTC: 10:30 in Kolkata.
MONDAY = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
# Wednesday 25 November, 15:40 UTC: 21:10 in Kolkata. Alice checked in on Monday only: Tuesday was missed (the
# week's grace day), so missing Wednesday too would end her streak.
WEDNESDAY_EVENING = dt.datetime(2026, 11, 25, 15, 40, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class FakeDMs:
    """Discord's DMs as the dispatcher sees them: nonces remembered (a resend returns the first message),
    members who refuse DMs (403), and a history searchable by the ``ref`` in each footer."""

    sent: list[MemberNudge] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)
    transient_failures: int = 0
    by_reference: dict[str, int] = field(default_factory=dict)
    attempts: int = 0

    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        self.attempts += 1
        if self.transient_failures:
            self.transient_failures -= 1
            raise TransientDeliveryError("Discord answered 503")
        if nudge.user_id in self.closed:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, "403 50007 Cannot send messages to this user")
        reference = delivery_reference(nonce)
        if reference not in self.by_reference:
            self.sent.append(nudge)
            self.by_reference[reference] = 5000 + len(self.sent)
        return self.by_reference[reference]

    async def find_nudge(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        return self.by_reference.get(reference)


@dataclass
class Setup:
    conn: Connection
    clock: Clock
    service: StudyGroupService
    deliveries: DeliveryRepository
    dms: FakeDMs
    dispatcher: NudgeDispatcher
    runner: Runner

    async def run(self) -> SweepReport:
        """A poll: the feed's sweep."""
        return await self.runner.sweep(self.dispatcher)

    async def restarted(self) -> SweepReport:
        """A poll by a new dispatcher and runner on the same database: what a restart of the bot builds."""
        dispatcher = NudgeDispatcher(self.service, self.deliveries, self.dms)
        runner = Runner(JobScheduler(), self.deliveries, RateBudget(50, 8))
        runner.add(dispatcher)
        return await runner.sweep(dispatcher, "start-up")


def due(report: SweepReport) -> int:
    return report.notes["due"]


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """These tests never reopen the database (a restart is a new dispatcher and runner on the same one)."""
    return await memory_or_postgres(backend, request)


@pytest.fixture
async def setup(conn: Connection) -> AsyncIterator[Setup]:
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    deliveries = DeliveryRepository(conn)
    dms = FakeDMs()
    dispatcher = NudgeDispatcher(service, deliveries, dms)
    runner = Runner(JobScheduler(), deliveries, RateBudget(50, 8))
    runner.add(dispatcher)
    try:
        yield Setup(conn, clock, service, deliveries, dms, dispatcher, runner)
    finally:
        await runner.scheduler.shutdown()


def entry() -> CheckInEntry:
    return CheckInEntry.model_validate({"studied": "UWorld renal block"})


async def group(service: StudyGroupService, clock: Clock, guild_id: int, channel_id: int, name: str) -> None:
    options = parse_with_clock(GroupCreateOptions, clock(), name=name, channel_id=channel_id, timezone="Asia/Kolkata")
    await service.create_group(guild_id, options, creator_id=ALICE)


async def settings(setup: Setup, user_id: int, **options: Any) -> None:
    await setup.service.update_settings(
        user_id, parse_with_clock(MemberSettingsOptions, setup.clock(), timezone="Asia/Kolkata", **options)
    )


async def at_risk(setup: Setup, *users: int, guilds: tuple[tuple[int, int], ...] = ((GUILD, CHANNEL),)) -> None:
    """Each user checks in on Monday in every given server; on Wednesday evening each streak is at risk."""
    setup.clock.now = MONDAY
    for guild_id, channel_id in guilds:
        await group(setup.service, setup.clock, guild_id, channel_id, f"Crew {guild_id % 1000}")
        for user in users:
            await setup.service.check_in(guild_id, user, entry(), channel_id=channel_id)
    setup.clock.now = WEDNESDAY_EVENING


async def rows(conn: Connection) -> dict[str, tuple[str, int, str]]:
    async with conn.execute(
        "SELECT key, status, guild_id, target_ref FROM deliveries WHERE target_kind = 'studygroup-nudge'"
    ) as cursor:
        return {r[0]: (r[1], r[2], r[3]) for r in await cursor.fetchall()}


async def test_one_dm_per_member_per_day_even_with_two_servers_at_risk(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await at_risk(setup, ALICE, guilds=((GUILD, CHANNEL), (OTHER_GUILD, OTHER_CHANNEL)))

    report = await setup.run()

    key = nudge_delivery_key(ALICE, dt.date(2026, 11, 25))
    assert report.sent == [key] and due(report) == 1
    [nudge] = setup.dms.sent
    assert {s.guild_id for s in nudge.servers} == {GUILD, OTHER_GUILD}
    assert all(s.streak.current == 1 and s.streak.at_risk for s in nudge.servers)
    # One link per group the member is in, to the group's channel.
    assert {g.channel_id for s in nudge.servers for g in s.groups} == {CHANNEL, OTHER_CHANNEL}
    # The row names no server (a DM belongs to none), so no server's delivery status lists it.
    assert await rows(setup.conn) == {key: ("sent", 0, str(ALICE))}

    # Every later poll that evening, and a restart, finds it sent.
    setup.clock.now += dt.timedelta(minutes=10)
    assert (await setup.run()).sent == []
    assert (await setup.restarted()).sent == []
    assert len(setup.dms.sent) == 1 and setup.dms.attempts == 1


async def test_no_nudge_without_opting_in_or_when_not_at_risk(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await settings(setup, BOB)  # a zone, no nudges
    await at_risk(setup, ALICE, BOB)
    # Before 21:00 in Kolkata nothing is due.
    setup.clock.now = WEDNESDAY_EVENING.replace(hour=15, minute=29)
    assert due(await setup.run()) == 0
    # Alice checks in on Wednesday afternoon: her streak is safe, so nothing at 21:10 either.
    await setup.service.check_in(GUILD, ALICE, entry(), channel_id=CHANNEL)
    setup.clock.now = WEDNESDAY_EVENING
    report = await setup.run()
    assert due(report) == 0 and setup.dms.sent == []


async def test_a_member_who_refuses_dms_gets_nudges_turned_off_and_no_retries(setup: Setup) -> None:
    await settings(setup, CAROL, nudge=True)
    await at_risk(setup, CAROL)
    setup.dms.closed.add(CAROL)

    report = await setup.run()

    key = nudge_delivery_key(CAROL, dt.date(2026, 11, 25))
    assert [k for k, _ in report.failed] == [key]
    assert (await setup.service.settings(CAROL)).nudge is False
    assert (await rows(setup.conn))[key][0] == "failed"
    # No retry: not at the next poll, not after a restart, not the next evening (her streak is at risk again).
    setup.clock.now += dt.timedelta(minutes=10)
    assert due(await setup.run()) == 0
    assert due(await setup.restarted()) == 0
    setup.clock.now += dt.timedelta(days=1)
    assert due(await setup.run()) == 0
    assert setup.dms.attempts == 1


async def test_settings_say_when_the_bot_switched_nudges_off_until_the_member_changes_them(setup: Setup) -> None:
    await settings(setup, CAROL, nudge=True)
    fresh = await setup.service.settings(CAROL)
    assert fresh.nudge and fresh.nudges_stopped_at is None and not fresh.in_a_group
    await at_risk(setup, CAROL)
    assert (await setup.service.settings(CAROL)).in_a_group
    setup.dms.closed.add(CAROL)

    await setup.run()
    stopped = await setup.service.settings(CAROL)
    assert not stopped.nudge and stopped.nudges_stopped_at == WEDNESDAY_EVENING

    # Her own change, even "off" again, clears it: the reminders are off because she said so now.
    setup.clock.now += dt.timedelta(hours=1)
    await settings(setup, CAROL, nudge=False)
    assert (await setup.service.settings(CAROL)).nudges_stopped_at is None
    exported = await setup.service.export_user_data(CAROL)
    assert exported["studygroup_settings"]["streak_nudges_stopped_at"] is None


async def test_a_transient_failure_is_retried_at_the_next_poll_once(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await at_risk(setup, ALICE)
    setup.dms.transient_failures = 1

    first = await setup.run()
    key = nudge_delivery_key(ALICE, dt.date(2026, 11, 25))
    assert first.retry_later == [key] and (await rows(setup.conn))[key][0] == "claimed"
    assert (await setup.service.settings(ALICE)).nudge is True

    setup.clock.now += dt.timedelta(minutes=10)
    second = await setup.run()
    assert second.sent == [key] and len(setup.dms.sent) == 1


async def test_a_claim_left_by_a_crash_is_found_or_sent_again_never_twice(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await at_risk(setup, ALICE)
    key = nudge_delivery_key(ALICE, dt.date(2026, 11, 25))
    await setup.run()
    # The process died after Discord accepted the DM and before the row said so.
    await setup.conn.execute("UPDATE deliveries SET status = 'claimed', message_id = NULL WHERE key = ?", (key,))
    await setup.conn.commit()

    # Long after Discord forgot the nonce: the DM is found in the history by its reference.
    setup.clock.now += dt.timedelta(minutes=30)
    report = await setup.restarted()
    assert report.sent == [key] and len(setup.dms.sent) == 1
    record = await setup.deliveries.get(key)
    assert record is not None and record.status is DeliveryStatus.SENT and record.message_id == 5001


async def test_a_claim_no_longer_due_is_skipped(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await at_risk(setup, ALICE)
    setup.dms.transient_failures = 1
    await setup.run()
    key = nudge_delivery_key(ALICE, dt.date(2026, 11, 25))
    # She checks in before the retry: nothing to remind her of any more.
    await setup.service.check_in(GUILD, ALICE, entry(), channel_id=CHANNEL)
    report = await setup.run()
    assert report.skipped == [(key, "no longer due (checked in, or the day is over)")] and setup.dms.sent == []
    assert (await rows(setup.conn))[key][0] == "skipped"


async def test_records_are_exported_deleted_and_pruned(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await settings(setup, BOB, nudge=True)
    await at_risk(setup, ALICE, BOB)
    await setup.run()
    assert len(await rows(setup.conn)) == 2

    exported = await setup.service.export_user_data(ALICE)
    assert [(n["local_date"], n["status"]) for n in exported["studygroup_streak_nudges"]] == [("2026-11-25", "sent")]
    assert str(BOB) not in str(exported)

    counts = await setup.service.delete_user_data(ALICE)
    assert counts["studygroup_nudges"] == 1
    assert [v[2] for v in (await rows(setup.conn)).values()] == [str(BOB)]

    # Bob's record is forgotten once his day is long over.
    assert await setup.service.prune_nudge_records(WEDNESDAY_EVENING + dt.timedelta(days=2)) == 0
    assert await setup.service.prune_nudge_records(WEDNESDAY_EVENING + dt.timedelta(days=3, minutes=1)) == 1
    assert await rows(setup.conn) == {}


@dataclass
class DeletingDMs(FakeDMs):
    """While the first DM goes out, other members act: one deletes their data, one turns nudges off."""

    service: StudyGroupService | None = None
    clock: Clock | None = None
    deleting: int = 0
    switching_off: int = 0

    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        if self.service is not None and self.clock is not None and not self.sent:
            await self.service.delete_user_data(self.deleting)
            await self.service.update_settings(
                self.switching_off, parse_with_clock(MemberSettingsOptions, self.clock(), nudge=False)
            )
        return await super().send_nudge(nudge, nonce=nonce)


async def test_a_member_who_leaves_nudges_mid_run_gets_no_dm_and_no_row(setup: Setup) -> None:
    for user in (ALICE, BOB, CAROL):
        await settings(setup, user, nudge=True)
    await at_risk(setup, ALICE, BOB, CAROL)
    dms = DeletingDMs(service=setup.service, clock=setup.clock, deleting=BOB, switching_off=CAROL)
    dispatcher = NudgeDispatcher(setup.service, setup.deliveries, dms)
    # One member at a time: the others wait in the queue while Alice's DM goes out (Alice, the lowest id, first).
    runner = Runner(JobScheduler(), setup.deliveries, RateBudget(50, 8), concurrency=1)
    runner.add(dispatcher)
    report = await runner.sweep(dispatcher)

    assert due(report) == 3 and [n.user_id for n in dms.sent] == [ALICE]
    assert report.sent == [nudge_delivery_key(ALICE, dt.date(2026, 11, 25))]
    assert [v[2] for v in (await rows(setup.conn)).values()] == [str(ALICE)]


async def test_start_polls_under_a_stable_id_and_catches_up_at_once(setup: Setup) -> None:
    await settings(setup, ALICE, nudge=True)
    await at_risk(setup, ALICE)
    scheduler = setup.runner.scheduler
    await setup.runner.start()
    await setup.runner.start()
    assert scheduler.job_ids("nudges:") == {POLL_JOB}
    await scheduler.tasks.wait_idle()
    assert len(setup.dms.sent) == 1


async def test_turning_nudges_on_needs_a_zone(setup: Setup) -> None:
    with pytest.raises(UserInputError, match="nudges: on"):
        await setup.service.update_settings(ALICE, parse_with_clock(MemberSettingsOptions, setup.clock(), nudge=True))
    # Neither option is no mistake (/settings then shows the settings): nothing to save.
    nothing = parse_with_clock(MemberSettingsOptions, setup.clock())
    assert nothing.timezone is None and nothing.nudge is None
