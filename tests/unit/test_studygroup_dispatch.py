"""Study-group prompts and recaps: posted on time and once, late within the grace window, else skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiosqlite
import pytest

from bot.db.connection import open_database
from bot.scheduling import Deliverer, DeliveryRepository, DeliveryStatus, JobScheduler, TransientDeliveryError
from bot.studygroups import schedule as timing
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.models import CheckInEntry, GroupCreateOptions, StudyGroup, parse_with_clock
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService

GUILD, CHANNEL, ALICE = 1183449152834830386, 1183449153304596563, 402117894126911488
MONDAY = dt.datetime(2026, 11, 16, 19, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class FakeSender:
    prompts: list[tuple[str, bool, str]] = field(default_factory=list)
    recaps: list[tuple[WeeklyRecap, bool]] = field(default_factory=list)
    fail_next: bool = False

    async def wait_until_ready(self) -> None:
        return None

    async def post_prompt(self, group: StudyGroup, occurrence: timing.Occurrence, *, late: bool, nonce: str) -> int:
        if self.fail_next:
            self.fail_next = False
            raise TransientDeliveryError("Discord answered 503")
        self.prompts.append((occurrence.key, late, nonce))
        return 1000 + len(self.prompts)

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int:
        self.recaps.append((recap, late))
        return 2000 + len(self.recaps)


@dataclass
class Setup:
    conn: aiosqlite.Connection
    clock: Clock
    service: StudyGroupService
    dispatcher: StudyGroupDispatcher
    sender: FakeSender
    group: StudyGroup


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    conn = await open_database(":memory:")
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    deliveries = DeliveryRepository(conn)
    dispatcher = StudyGroupDispatcher(
        service, deliveries, Deliverer(deliveries, clock=clock), JobScheduler(), clock=clock
    )
    sender = FakeSender()
    dispatcher.attach(sender)
    options = parse_with_clock(
        GroupCreateOptions, clock(), name="Evening crew", channel_id=CHANNEL, checkin_time="20:00", timezone="UTC"
    )
    created = await service.create_group(GUILD, options, creator_id=ALICE)
    # The bot was running when the group was created: nothing is due yet, and the watermark is set.
    assert (await dispatcher.run()).sent == []
    try:
        yield Setup(conn, clock, service, dispatcher, sender, created.group)
    finally:
        await conn.close()


async def statuses(conn: aiosqlite.Connection) -> dict[str, tuple[str, str, int]]:
    async with conn.execute("SELECT key, status, target_kind, late FROM deliveries") as cursor:
        return {row[0]: (row[1], row[2], row[3]) for row in await cursor.fetchall()}


async def test_a_prompt_is_posted_on_time_exactly_once(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    report = await setup.dispatcher.run()
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    assert report.sent == [key]
    assert [(k, late) for k, late, _ in setup.sender.prompts] == [(f"prompt:{setup.group.id}:2026-11-16", False)]
    # A second run (the sweep, or a timer firing twice) posts nothing more.
    setup.clock.now += dt.timedelta(minutes=5)
    assert (await setup.dispatcher.run()).sent == []
    assert len(setup.sender.prompts) == 1
    assert await statuses(setup.conn) == {key: ("sent", "studygroup-prompt", 0)}


async def test_a_prompt_within_the_hour_is_posted_late_and_one_beyond_it_is_skipped(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, minute=40)
    await setup.dispatcher.run()
    assert [late for _, late, _ in setup.sender.prompts] == [True]
    # The bot is down from 20:41 until Tuesday 21:30: Tuesday's 20:00 prompt is 90 minutes old, so it is skipped.
    setup.clock.now = MONDAY.replace(day=17, hour=21, minute=30)
    report = await setup.dispatcher.run()
    assert report.sent == [] and len(setup.sender.prompts) == 1
    tuesday = f"sg:prompt:{setup.group.id}:2026-11-17"
    assert report.skipped == [(tuesday, "missed beyond the grace window")]
    assert (await statuses(setup.conn))[tuesday][0] == "skipped"


async def test_a_transient_failure_is_retried_with_the_same_nonce(setup: Setup) -> None:
    setup.sender.fail_next = True
    setup.clock.now = MONDAY.replace(hour=20, second=1)
    report = await setup.dispatcher.run()
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    assert report.retry_later == [key] and setup.sender.prompts == []
    assert (await statuses(setup.conn))[key][0] == DeliveryStatus.CLAIMED
    setup.clock.now += dt.timedelta(minutes=5)
    report = await setup.dispatcher.run()
    assert report.sent == [key]
    async with setup.conn.execute("SELECT nonce FROM deliveries WHERE key = ?", (key,)) as cursor:
        (nonce,) = await cursor.fetchone()  # type: ignore[misc]
    assert setup.sender.prompts[0][2] == nonce


async def test_the_weekly_recap_is_posted_when_someone_checked_in(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, minute=10)
    await setup.service.check_in(GUILD, ALICE, CheckInEntry(studied="UWorld renal", questions=40), group=setup.group.id)
    # Sunday 22:00 UTC: a daily 20:00 group's recap (two hours after the week's last prompt).
    setup.clock.now = dt.datetime(2026, 11, 22, 22, 0, 30, tzinfo=dt.UTC)
    report = await setup.dispatcher.run()
    recap_key = f"sg:recap:{setup.group.id}:2026-W47"
    assert recap_key in report.sent
    [(recap, late)] = setup.sender.recaps
    assert recap.check_ins == 1 and recap.questions == 40 and not late
    assert (await statuses(setup.conn))[recap_key] == ("sent", "studygroup-recap", 0)


async def test_a_week_without_check_ins_gets_no_recap(setup: Setup) -> None:
    setup.clock.now = dt.datetime(2026, 11, 22, 22, 0, 30, tzinfo=dt.UTC)
    report = await setup.dispatcher.run()
    assert setup.sender.recaps == []
    assert (f"sg:recap:{setup.group.id}:2026-W47", "no check-ins that week") in report.skipped


async def test_an_archived_group_gets_nothing(setup: Setup) -> None:
    await setup.service.archive_group(GUILD, setup.group.id)
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    assert (await setup.dispatcher.run()).sent == []
    assert setup.sender.prompts == []
