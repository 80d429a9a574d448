"""Study-group prompts and recaps (a feed of the scheduling runner): posted on time and once, late within the grace
window, else skipped; a prompt Discord refused for now retried alone with backoff."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.db.connection import Connection
from bot.db.timestamps import utc_now
from bot.scheduling import (
    TEST_CLOCK_OFFSET_ENV,
    DeliveryRepository,
    DeliveryStatus,
    JobScheduler,
    OffsetClock,
    RateBudget,
    Runner,
    SweepReport,
    TransientDeliveryError,
    clock_from_env,
    delivery_reference,
)
from bot.studygroups import schedule as timing
from bot.studygroups.dispatch import RETRY_JOB, StudyGroupDispatcher
from bot.studygroups.models import CheckInEntry, GroupCreateOptions, GroupEditOptions, StudyGroup, parse_with_clock
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from tests.unit.conftest import memory_or_postgres

GUILD, CHANNEL, ALICE = 1183449152834830386, 1183449153304596563, 402117894126911488
MONDAY = dt.datetime(2026, 11, 16, 19, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = MONDAY

    def __call__(self) -> dt.datetime:
        return self.now


class Crashed(BaseException):
    """The process died right after Discord accepted the message (like IMGBOT_TEST_CRASH_AFTER_SEND)."""


@dataclass
class FakeSender:
    """Discord as the dispatcher sees it: a channel history searchable by the `ref` in each footer, and nonces
    remembered (a resend with a known nonce returns the first message) unless ``nonces_forgotten``."""

    prompts: list[tuple[str, bool, str]] = field(default_factory=list)
    recaps: list[tuple[WeeklyRecap, bool]] = field(default_factory=list)
    failures: int = 0
    """The next this many prompt posts are refused for now (a 503 that discord.py does not retry)."""
    crash_after_next_post: bool = False
    nonces_forgotten: bool = False
    history: dict[str, int] = field(default_factory=dict)
    """reference shown in the footer -> message id."""
    lookups: list[tuple[int, int, str, dt.datetime]] = field(default_factory=list)

    async def post_prompt(self, group: StudyGroup, occurrence: timing.Occurrence, *, late: bool, nonce: str) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise TransientDeliveryError("Discord answered 503")
        reference = delivery_reference(nonce)
        if reference in self.history and not self.nonces_forgotten:
            return self.history[reference]
        self.prompts.append((occurrence.key, late, nonce))
        self.history[reference] = 1000 + len(self.prompts)
        if self.crash_after_next_post:
            self.crash_after_next_post = False
            raise Crashed
        return self.history[reference]

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int:
        self.recaps.append((recap, late))
        return 2000 + len(self.recaps)

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: dt.datetime) -> int | None:
        self.lookups.append((guild_id, channel_id, reference, since))
        return self.history.get(reference)


@dataclass
class Setup:
    conn: Connection
    clock: Clock
    service: StudyGroupService
    dispatcher: StudyGroupDispatcher
    sender: FakeSender
    group: StudyGroup
    runner: Runner

    async def run(self) -> SweepReport:
        """A sweep of the dispatcher's feed (what a timer, the periodic sweep or the start-up catch-up runs)."""
        return await self.runner.sweep(self.dispatcher)

    async def retry(self, after: dt.timedelta) -> SweepReport:
        """What the retry job does when it fires ``after`` from now (the feed's clock moves with it)."""
        self.clock.now += after
        return await self.runner.run_retries(self.dispatcher, now=self.runner.scheduler.now() + after)


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """These tests never reopen the database."""
    return await memory_or_postgres(backend, request)


@pytest.fixture
async def setup(conn: Connection) -> AsyncIterator[Setup]:
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    sender = FakeSender()
    dispatcher = StudyGroupDispatcher(service, sender, clock=clock)
    runner = Runner(JobScheduler(), DeliveryRepository(conn), RateBudget(50, 8))
    runner.add(dispatcher)
    options = parse_with_clock(
        GroupCreateOptions, clock(), name="Evening crew", channel_id=CHANNEL, checkin_time="20:00", timezone="UTC"
    )
    created = await service.create_group(GUILD, options, creator_id=ALICE)
    setup = Setup(conn, clock, service, dispatcher, sender, created.group, runner)
    # The bot was running when the group was created: nothing is due yet, and the watermark is set.
    assert (await setup.run()).sent == []
    try:
        yield setup
    finally:
        await runner.scheduler.shutdown()


async def statuses(conn: Connection) -> dict[str, tuple[str, str, int]]:
    async with conn.execute("SELECT key, status, target_kind, late FROM deliveries") as cursor:
        return {row[0]: (row[1], row[2], row[3]) for row in await cursor.fetchall()}


async def test_a_prompt_is_posted_on_time_exactly_once(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    report = await setup.run()
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    assert report.sent == [key]
    assert [(k, late) for k, late, _ in setup.sender.prompts] == [(f"prompt:{setup.group.id}:2026-11-16", False)]
    # A second run (the sweep, or a timer firing twice) posts nothing more.
    setup.clock.now += dt.timedelta(minutes=5)
    assert (await setup.run()).sent == []
    assert len(setup.sender.prompts) == 1
    assert await statuses(setup.conn) == {key: ("sent", "studygroup-prompt", 0)}


async def test_a_time_moved_later_after_today_s_prompt_shows_tomorrow_s_as_the_next(setup: Setup) -> None:
    """One prompt a day: after today's went out at 20:00, moving the time to 22:00 posts nothing more today, so
    /studygroup info and the edit's reply name tomorrow's 22:00, the prompt that really comes."""
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    assert len((await setup.run()).sent) == 1
    setup.clock.now = MONDAY.replace(hour=21)
    edit = parse_with_clock(GroupEditOptions, setup.clock(), checkin_time="22:00")
    edited = await setup.service.edit_group(GUILD, setup.group.id, edit)
    tomorrow = MONDAY.replace(day=17, hour=22)
    assert (edited.next_prompt_at, edited.today_done) == (tomorrow, True)
    assert (await setup.service.info(GUILD, setup.group.id)).next_prompt_at == tomorrow
    # What the scheduler really does at 22:00 today: nothing (the display now agrees with it).
    setup.clock.now = MONDAY.replace(hour=22, second=5)
    assert (await setup.run()).sent == [] and len(setup.sender.prompts) == 1
    setup.clock.now = tomorrow.replace(second=5)
    assert (await setup.run()).sent == [f"sg:prompt:{setup.group.id}:2026-11-17"]
    # Before today's prompt went out, a later time today is the next one, and the reply says nothing more.
    setup.clock.now = MONDAY.replace(day=18, hour=19)
    moved = await setup.service.edit_group(
        GUILD, setup.group.id, parse_with_clock(GroupEditOptions, setup.clock(), checkin_time="23:00")
    )
    assert (moved.next_prompt_at, moved.today_done) == (MONDAY.replace(day=18, hour=23), False)


async def test_a_prompt_within_the_hour_is_posted_late_and_one_beyond_it_is_skipped(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, minute=40)
    await setup.run()
    assert [late for _, late, _ in setup.sender.prompts] == [True]
    # The bot is down from 20:41 until Tuesday 21:30: Tuesday's 20:00 prompt is 90 minutes old, so it is skipped.
    setup.clock.now = MONDAY.replace(day=17, hour=21, minute=30)
    report = await setup.run()
    assert report.sent == [] and len(setup.sender.prompts) == 1
    tuesday = f"sg:prompt:{setup.group.id}:2026-11-17"
    assert report.skipped == [(tuesday, "missed beyond the grace window")]
    assert (await statuses(setup.conn))[tuesday][0] == "skipped"


async def test_a_transient_failure_is_retried_with_the_same_nonce(setup: Setup) -> None:
    setup.sender.failures = 1
    setup.clock.now = MONDAY.replace(hour=20, second=1)
    report = await setup.run()
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    assert report.retry_later == [key] and setup.sender.prompts == []
    assert (await statuses(setup.conn))[key][0] == DeliveryStatus.CLAIMED
    setup.clock.now += dt.timedelta(minutes=5)
    report = await setup.run()
    assert report.sent == [key]
    async with setup.conn.execute("SELECT nonce FROM deliveries WHERE key = ?", (key,)) as cursor:
        (nonce,) = await cursor.fetchone()  # type: ignore[misc]
    assert setup.sender.prompts[0][2] == nonce


def assert_retry_armed(scheduler: JobScheduler, before: dt.datetime, delay: dt.timedelta) -> None:
    """The retry job runs `delay` after the attempt that armed it (which ended between `before` and now)."""
    run_at = scheduler.next_run(RETRY_JOB)
    assert run_at is not None, "no retry armed"
    assert before + delay <= run_at <= scheduler.now() + delay


async def test_a_transient_failure_is_retried_15_s_later_then_with_backoff_not_at_the_sweep(setup: Setup) -> None:
    """A group alone at its time: nothing else would run before the 5-minute sweep. Each retry below is what the
    armed retry job does when it fires; the dispatcher's clock is moved by the delay the job was armed with."""
    scheduler = setup.runner.scheduler
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    scheduler.start()
    setup.sender.failures = 2
    setup.clock.now = MONDAY.replace(hour=20, second=1)
    before = scheduler.now()
    first = await setup.run()
    assert first.retry_later == [key] and setup.sender.prompts == []
    assert_retry_armed(scheduler, before, dt.timedelta(seconds=15))
    assert setup.runner.retries_pending == 1

    before = scheduler.now()
    second = await setup.retry(dt.timedelta(seconds=15))
    assert second.retry_later == [key] and setup.sender.prompts == []
    assert_retry_armed(scheduler, before, dt.timedelta(seconds=30))  # still refused: twice as long

    third = await setup.retry(dt.timedelta(seconds=30))
    assert third.sent == [key] and third.retry_later == []
    # 46 s after its time: on time (not "posted late"), once, with the claim's nonce.
    [(occurrence_key, late, nonce)] = setup.sender.prompts
    assert occurrence_key == key.removeprefix("sg:") and not late
    assert (await statuses(setup.conn))[key] == ("sent", "studygroup-prompt", 0)
    async with setup.conn.execute("SELECT nonce FROM deliveries WHERE key = ?", (key,)) as cursor:
        assert tuple(await cursor.fetchone() or ()) == (nonce,)
    assert setup.runner.retries_pending == 0 and scheduler.next_run(RETRY_JOB) is None

    # A sweep later posts nothing more.
    setup.clock.now += dt.timedelta(seconds=60)
    assert (await setup.run()).sent == [] and len(setup.sender.prompts) == 1

    # Tuesday's prompt is refused once: retried 15 s later again, not 60 (each item's backoff is its own).
    setup.sender.failures = 1
    setup.clock.now = MONDAY.replace(day=17, hour=20, second=1)
    before = scheduler.now()
    assert (await setup.run()).retry_later == [f"sg:prompt:{setup.group.id}:2026-11-17"]
    assert_retry_armed(scheduler, before, dt.timedelta(seconds=15))


async def test_the_backoff_stops_at_the_sweep_interval(setup: Setup) -> None:
    scheduler = setup.runner.scheduler
    scheduler.start()
    setup.sender.failures = 100  # Discord refusing for a long while
    setup.clock.now = MONDAY.replace(hour=20, second=1)
    armed = []
    before = scheduler.now()
    assert (await setup.run()).retry_later != []
    for _ in range(7):
        run_at = scheduler.next_run(RETRY_JOB)
        assert run_at is not None and run_at >= before
        delay = run_at - before
        armed.append(round(delay.total_seconds()))
        before = scheduler.now()
        if len(armed) < 7:
            assert (await setup.retry(delay)).retry_later != []
    assert armed == [15, 30, 60, 120, 240, 300, 300]
    assert setup.dispatcher.policy.sweep_every == dt.timedelta(minutes=5) and setup.sender.prompts == []
    assert scheduler.job_ids(RETRY_JOB) == {RETRY_JOB}


async def test_a_run_with_nothing_to_retry_arms_no_retry(setup: Setup) -> None:
    scheduler = setup.runner.scheduler
    scheduler.start()
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    assert len((await setup.run()).sent) == 1
    assert scheduler.next_run(RETRY_JOB) is None


async def test_one_group_refused_for_now_holds_back_no_other(setup: Setup) -> None:
    """Four groups due the same minute; one channel refuses (a long 429) for a while: the other three are posted
    by the same sweep, and only the refused one is retried."""
    others = []
    for n in range(3):
        options = parse_with_clock(
            GroupCreateOptions,
            setup.clock(),
            name=f"Crew {n}",
            channel_id=CHANNEL + 1 + n,
            checkin_time="20:00",
            timezone="UTC",
        )
        others.append((await setup.service.create_group(GUILD, options, creator_id=ALICE)).group)
    setup.runner.scheduler.start()
    setup.sender.failures = 1  # the first post of the sweep: whichever group's it is
    setup.clock.now = MONDAY.replace(hour=20, second=1)
    report = await setup.run()
    assert len(report.sent) == 3 and len(report.retry_later) == 1
    assert setup.runner.retries_pending == 1
    done = await setup.retry(dt.timedelta(seconds=15))
    assert done.sent == report.retry_later and len(setup.sender.prompts) == 4


async def test_the_weekly_recap_is_posted_when_someone_checked_in(setup: Setup) -> None:
    setup.clock.now = MONDAY.replace(hour=20, minute=10)
    await setup.service.check_in(GUILD, ALICE, CheckInEntry(studied="UWorld renal", questions=40), group=setup.group.id)
    # Sunday 22:00 UTC: a daily 20:00 group's recap (two hours after the week's last prompt).
    setup.clock.now = dt.datetime(2026, 11, 22, 22, 0, 30, tzinfo=dt.UTC)
    report = await setup.run()
    recap_key = f"sg:recap:{setup.group.id}:2026-W47"
    assert recap_key in report.sent
    [(recap, late)] = setup.sender.recaps
    assert recap.check_ins == 1 and recap.questions == 40 and not late
    assert (await statuses(setup.conn))[recap_key] == ("sent", "studygroup-recap", 0)


async def test_a_week_without_check_ins_gets_no_recap(setup: Setup) -> None:
    setup.clock.now = dt.datetime(2026, 11, 22, 22, 0, 30, tzinfo=dt.UTC)
    report = await setup.run()
    assert setup.sender.recaps == []
    assert (f"sg:recap:{setup.group.id}:2026-W47", "no check-ins that week") in report.skipped


async def test_an_archived_group_gets_nothing(setup: Setup) -> None:
    await setup.service.archive_group(GUILD, setup.group.id)
    setup.clock.now = MONDAY.replace(hour=20, second=5)
    assert (await setup.run()).sent == []
    assert setup.sender.prompts == []


# -- a crash between sending and recording -------------------------------------------------------------------


async def crash_while_posting_monday_prompt(setup: Setup) -> str:
    setup.sender.crash_after_next_post = True
    setup.clock.now = MONDAY.replace(hour=20, second=2)
    await setup.run()  # the "crash" ends only the item's task here; the process would have died
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    assert (await statuses(setup.conn))[key][0] == DeliveryStatus.CLAIMED
    assert len(setup.sender.prompts) == 1
    return key


async def test_after_a_crash_an_old_claim_is_found_in_the_channel_history_not_posted_again(setup: Setup) -> None:
    key = await crash_while_posting_monday_prompt(setup)
    # Back ten minutes later: Discord no longer remembers the nonce, so the channel's history is searched.
    setup.sender.nonces_forgotten = True
    setup.clock.now = MONDAY.replace(hour=20, minute=10)
    report = await setup.run()
    assert report.sent == [key] and len(setup.sender.prompts) == 1
    async with setup.conn.execute("SELECT nonce, claimed_at FROM deliveries WHERE key = ?", (key,)) as cursor:
        nonce, claimed_at = await cursor.fetchone()  # type: ignore[misc]
    [(guild, channel, reference, since)] = setup.sender.lookups
    assert (guild, channel, reference) == (GUILD, CHANNEL, delivery_reference(nonce))
    assert since == MONDAY.replace(hour=20, second=2) == dt.datetime.fromisoformat(claimed_at)
    async with setup.conn.execute("SELECT status, message_id FROM deliveries WHERE key = ?", (key,)) as cursor:
        assert tuple(await cursor.fetchone() or ()) == ("sent", 1001)


async def test_after_a_quick_restart_the_nonce_alone_is_trusted(setup: Setup) -> None:
    key = await crash_while_posting_monday_prompt(setup)
    setup.clock.now = MONDAY.replace(hour=20, second=40)
    report = await setup.run()
    # Within Discord's nonce memory: no history read; the resend returned the first message.
    assert report.sent == [key] and setup.sender.lookups == [] and len(setup.sender.prompts) == 1
    async with setup.conn.execute("SELECT status, message_id FROM deliveries WHERE key = ?", (key,)) as cursor:
        assert tuple(await cursor.fetchone() or ()) == ("sent", 1001)


async def test_an_old_claim_that_never_reached_discord_is_posted_once_marked_late(setup: Setup) -> None:
    key = f"sg:prompt:{setup.group.id}:2026-11-16"
    # Claimed, then the process died before Discord accepted anything.
    setup.sender.crash_after_next_post = True
    setup.clock.now = MONDAY.replace(hour=20, second=2)
    await setup.run()
    setup.sender.history.clear()
    setup.sender.prompts.clear()
    setup.clock.now = MONDAY.replace(hour=20, minute=30)
    report = await setup.run()
    assert report.sent == [key] and len(setup.sender.lookups) == 1
    assert [(k, late) for k, late, _ in setup.sender.prompts] == [(f"prompt:{setup.group.id}:2026-11-16", True)]


async def test_timers_are_armed_on_the_real_clock_when_the_dispatcher_s_clock_is_moved(setup: Setup) -> None:
    scheduler = setup.runner.scheduler
    scheduler.start()
    try:
        setup.clock.now = MONDAY.replace(hour=19, minute=59, second=50)
        real_before = scheduler.now()
        await setup.runner.reschedule(setup.dispatcher)
        [job] = scheduler.job_ids("sg:at:")
        run_at = scheduler.next_run(job)
        assert run_at is not None
        # Monday's prompt is 10 s ahead on the dispatcher's clock, so its timer is 10 s ahead on the real one.
        assert real_before + dt.timedelta(seconds=10) <= run_at <= scheduler.now() + dt.timedelta(seconds=10)
        assert job.endswith(str(int(MONDAY.replace(hour=20).timestamp())))
    finally:
        await scheduler.shutdown()


def test_the_clock_test_hook_is_off_unless_set_and_says_so_when_it_is(caplog: pytest.LogCaptureFixture) -> None:
    assert clock_from_env({}) is utc_now
    assert clock_from_env({TEST_CLOCK_OFFSET_ENV: "  "}) is utc_now
    with caplog.at_level(logging.WARNING, logger="bot.scheduling.clock"):
        moved = clock_from_env({TEST_CLOCK_OFFSET_ENV: "3600.5"})
    assert moved == OffsetClock(dt.timedelta(seconds=3600.5))
    ahead = moved() - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=3599) < ahead <= dt.timedelta(seconds=3601)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert TEST_CLOCK_OFFSET_ENV in caplog.text and "never set it in production" in caplog.text
    with pytest.raises(ValueError, match=TEST_CLOCK_OFFSET_ENV):
        clock_from_env({TEST_CLOCK_OFFSET_ENV: "an hour"})
