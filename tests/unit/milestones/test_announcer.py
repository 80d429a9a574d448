"""The announcer (a feed of the scheduling runner) against a real (in-memory) database, the real cycle calendar and
a fake Discord: one job per due instant fanning out to every server, exactly once, the grace policy after downtime,
problems that pause one server and tell its admin, and claims left by a crash sent again with their nonce."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.content import Content
from bot.cycle import MilestoneKind
from bot.db.connection import Connection
from bot.milestones.announcements import Announcement
from bot.milestones.announcer import RETRY_JOB, MilestoneAnnouncer, job_id
from bot.milestones.discord_event_plan import EventPlan, EventsNotice
from bot.milestones.discord_events import GuildReadiness
from bot.milestones.models import Notice, PauseReason, Status
from bot.milestones.repository import MilestoneRepository
from bot.milestones.service import MilestoneService, build_milestone_service
from bot.scheduling.delivery import (
    DeliveryProblem,
    DeliveryRepository,
    DeliveryStatus,
    ProblemKind,
    TransientDeliveryError,
    delivery_nonce,
)
from bot.scheduling.pacing import RateBudget
from bot.scheduling.runner import Runner, SweepReport
from bot.scheduling.scheduler import JobScheduler
from tests.unit.conftest import memory_or_postgres

GRACE = timedelta(hours=6)
ADMIN = 5


@dataclass
class Post:
    guild_id: int
    channel_id: int
    announcement: Announcement
    nonce: str
    message_id: int


class FakeDiscord:
    """Implements the announcer's Messenger: records posts, honours nonces like enforce_nonce, can break a channel."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.by_nonce: dict[str, int] = {}
        self.notices: list[Notice] = []
        self.broken: dict[int, ProblemKind] = {}

    async def post(
        self, guild_id: int, channel_id: int, announcement: Announcement, *, nonce: str, role_required: bool
    ) -> int:
        if channel_id in self.broken:
            raise DeliveryProblem(self.broken[channel_id], "test")
        if nonce not in self.by_nonce:
            self.by_nonce[nonce] = 10_000 + len(self.by_nonce)
            self.posts.append(Post(guild_id, channel_id, announcement, nonce, self.by_nonce[nonce]))
        return self.by_nonce[nonce]

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: datetime) -> int | None:
        return None

    async def notify(self, notice: Notice) -> bool:
        self.notices.append(notice)
        return True


class NoEvents:
    """An EventGateway for tests that never switch Discord events on."""

    def readiness(self, guild_id: int) -> GuildReadiness:
        return GuildReadiness.GONE

    async def create(self, guild_id: int, plan: EventPlan) -> int:
        raise AssertionError("no Discord events in this test")

    async def edit(self, guild_id: int, event_id: int, plan: EventPlan) -> None:
        raise AssertionError("no Discord events in this test")

    async def find(self, guild_id: int, name: str) -> int | None:
        return None

    async def notify(self, notice: EventsNotice) -> bool:
        return True


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    service: MilestoneService
    discord: FakeDiscord
    clock: Clock
    scheduler: JobScheduler
    runner: Runner

    @property
    def announcer(self) -> MilestoneAnnouncer:
        return self.service.announcer

    async def run(self, trigger: str = "sweep") -> SweepReport:
        """What a due instant's timer, the sweep or the start-up catch-up runs."""
        return await self.runner.sweep(self.announcer, trigger)


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """``conn`` in memory on SQLite: no test here opens the database a second time."""
    return await memory_or_postgres(backend, request)


@pytest.fixture
async def harness(conn: Connection, content: Content) -> AsyncIterator[Harness]:
    rol = content.calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    clock = Clock(rol.at - timedelta(days=30))
    scheduler = JobScheduler()
    runner = Runner(scheduler, DeliveryRepository(conn), RateBudget(per_second=50, concurrency=8))
    discord = FakeDiscord()
    service = build_milestone_service(
        conn,
        content.calendar,
        lambda entry_id: f"Entry {entry_id}",
        runner,
        discord,
        NoEvents(),
        grace=GRACE,
        clock=clock,
    )
    try:
        yield Harness(service, discord, clock, scheduler, runner)
    finally:
        await scheduler.shutdown()


def rol_at(content: Content) -> datetime:
    rol = content.calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    return rol.at


async def subscribe(h: Harness, guilds: range, *, role: int | None = None) -> None:
    for guild in guilds:
        await h.service.subscribe(guild, guild * 10, role, None, ADMIN)


async def test_one_due_instant_posts_to_every_server_once(harness: Harness, content: Content) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 51), role=99)
    h.clock.now = deadline - timedelta(hours=3)
    assert len((await h.run()).sent) == 50  # the "3 hours before" reminder
    h.discord.posts.clear()
    h.clock.now = deadline
    report = await h.run()
    assert len(report.sent) == 50 and report.late == []
    assert sorted(p.guild_id for p in h.discord.posts) == list(range(1, 51))
    post = h.discord.posts[0]
    assert post.announcement.headline.startswith("Now: Rank order list (ROL) certification deadline")
    assert post.announcement.late_due_at is None and post.announcement.role_id == 99
    assert post.announcement.checklist and post.announcement.kb_entry_title == "Entry rol-deadline"
    again = await h.run()
    assert again.sent == [] and len(h.discord.posts) == 50


async def test_an_on_time_reminder_supersedes_a_missed_earlier_one(harness: Harness, content: Content) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 2))
    h.clock.now = deadline  # the "3 hours before" job never ran (the bot was down then)
    report = await h.run()
    assert len(report.sent) == 1 and len(report.skipped) == 1 and report.late == []
    assert h.discord.posts[0].announcement.headline.startswith("Now:")


async def test_a_job_is_kept_per_instant_not_per_server(harness: Harness, content: Content) -> None:
    h = harness
    h.clock.now = rol_at(content) - timedelta(days=2)
    await subscribe(h, range(1, 201))
    h.scheduler.start()
    await h.runner.reschedule(h.announcer)
    planned = await h.service.planner.between(h.clock.now, h.clock.now + h.announcer.horizon)
    instants = {p.fire_at for p in planned}
    assert len(planned) == 200 * len(instants)
    assert h.scheduler.job_ids("milestones:due:") == {job_id(i) for i in instants}
    await h.runner.reschedule(h.announcer)  # rebuilding is idempotent
    assert len(h.scheduler.job_ids("milestones:due:")) == len(instants)


async def test_after_a_long_outage_only_the_latest_reminder_is_posted_late(harness: Harness, content: Content) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 4))
    await h.service.deliveries.set_watermark("milestones", deadline - timedelta(days=8))  # down for 8 days
    h.clock.now = deadline + timedelta(hours=2)
    report = await h.run("start-up")
    rol_posts = [p for p in h.discord.posts if "Rank order list" in p.announcement.title]
    assert len(rol_posts) == 3  # one per server: the "at the deadline" reminder, posted late
    assert all(p.announcement.late_due_at == deadline for p in rol_posts)
    assert all(p.announcement.headline.startswith("Reminder:") for p in rol_posts)
    assert report.late == report.sent
    skipped = await h.service.deliveries.known_since(deadline - timedelta(days=8), ["milestone"])
    rol_skipped = [k for k, (_, _, s) in skipped.items() if "rol-deadline" in k and s is DeliveryStatus.SKIPPED]
    assert len(rol_skipped) == 3 * 3  # the 7d, 1d and 3h reminders of each server: superseded


async def test_beyond_the_grace_window_nothing_is_posted(
    harness: Harness, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 3))
    await h.service.deliveries.set_watermark("milestones", deadline - timedelta(hours=1))
    h.clock.now = deadline + GRACE + timedelta(minutes=1)
    with caplog.at_level(logging.INFO, logger="bot.scheduling.runner"):
        await h.run("start-up")
    assert not [p for p in h.discord.posts if "Rank order list" in p.announcement.title]
    assert "beyond-grace" in caplog.text


async def test_subscribing_never_posts_what_was_due_before(harness: Harness, content: Content) -> None:
    h, deadline = harness, rol_at(content)
    h.clock.now = deadline + timedelta(minutes=5)
    await subscribe(h, range(1, 2))
    await h.run("start-up")
    assert h.discord.posts == []


async def test_a_pause_notice_never_names_a_moderator_who_deleted_their_data(
    harness: Harness, conn: Connection, content: Content
) -> None:
    """After /mydata delete the subscription's configured_by is 0: no DM to user 0 (the owner is told instead)."""
    h = harness
    await subscribe(h, range(2, 3))
    assert await MilestoneRepository(conn).unname(ADMIN) == 1
    h.discord.broken[20] = ProblemKind.NO_PERMISSION
    h.clock.now = rol_at(content)
    await h.run()
    [notice] = h.discord.notices
    assert notice.guild_id == 2 and notice.recipients == ()


async def test_a_broken_channel_pauses_that_server_only_and_its_admin_is_told_once(
    harness: Harness, content: Content
) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 4))
    # Server 2 also has its own event in the same channel at the same instant: still one notice.
    await h.service.add_event(2, 20, "Mock exam", "2027-03-04", "02:00", "UTC", None, "0", 77)
    h.discord.broken[20] = ProblemKind.NO_PERMISSION
    h.clock.now = deadline
    report = await h.run()
    assert sorted(p.guild_id for p in h.discord.posts) == [1, 3]
    assert len(report.failed) >= 1
    assert len(h.discord.notices) == 1
    notice = h.discord.notices[0]
    assert notice.guild_id == 2 and notice.reason is PauseReason.NO_PERMISSION and notice.recipients[0] == ADMIN
    assert notice.subscription_paused and notice.events_paused == ("Mock exam",)
    paused = await h.service.subscription(2)
    assert paused is not None and paused.status is Status.PAUSED
    # Fixed and resumed: active from now, nothing from the pause is posted afterwards.
    del h.discord.broken[20]
    await h.service.resume(2)
    await h.run()
    assert sorted(p.guild_id for p in h.discord.posts) == [1, 3]


async def test_a_claim_left_by_a_crash_is_sent_again_with_its_nonce(harness: Harness, content: Content) -> None:
    h, deadline = harness, rol_at(content)
    await subscribe(h, range(1, 2))
    h.clock.now = deadline
    planned = [p for p in await h.service.planner.between(deadline, deadline + timedelta(seconds=1))]
    assert len(planned) == 1
    # The previous process claimed, posted, and died before recording.
    await h.service.deliveries.claim(planned[0].record(late=False), deadline)
    h.discord.by_nonce[delivery_nonce(planned[0].key)] = 4242
    h.clock.now = deadline + timedelta(seconds=30)
    report = await h.run("start-up")
    assert len(report.recovered) == 1 and h.discord.posts == []
    stored = await h.service.deliveries.get(planned[0].key)
    assert stored is not None and stored.status is DeliveryStatus.SENT and stored.message_id == 4242


async def test_a_channel_deleted_while_running_pauses_and_notifies(harness: Harness) -> None:
    h = harness
    await subscribe(h, range(1, 2))
    notice = await h.service.channel_deleted(1, 10)
    assert notice is not None and notice.reason is PauseReason.CHANNEL_GONE and notice.subscription_paused
    assert await h.service.channel_deleted(1, 10) is None  # already paused: nobody is told twice
    assert await h.service.channel_deleted(1, 999) is None  # a channel we never used


class FlakyDiscord(FakeDiscord):
    """Discord refusing the first `failures` posts for now (a 503, or five 5xx in a row inside discord.py)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def post(
        self, guild_id: int, channel_id: int, announcement: Announcement, *, nonce: str, role_required: bool
    ) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise TransientDeliveryError("Discord answered 503")
        return await super().post(guild_id, channel_id, announcement, nonce=nonce, role_required=role_required)


async def test_a_transient_failure_is_retried_soon_with_backoff_not_at_the_next_sweep(
    harness: Harness, content: Content
) -> None:
    h, deadline = harness, rol_at(content)
    flaky = FlakyDiscord(failures=2)
    h.announcer.messenger = flaky
    h.scheduler.start()
    await subscribe(h, range(1, 2))
    h.clock.now = deadline + timedelta(seconds=30)
    first = await h.run("start-up")
    assert len(first.retry_later) == 1 and flaky.posts == []
    retry_at = h.scheduler.next_run(RETRY_JOB)
    first_retry = h.announcer.policy.retry_first
    assert first_retry is not None
    assert retry_at is not None and retry_at - h.scheduler.now() <= first_retry
    assert len((await h.runner.run_retries(h.announcer, now=retry_at)).retry_later) == 1
    # Still failing: the next try waits twice as long (up to the sweep interval).
    later = h.scheduler.next_run(RETRY_JOB)
    assert later is not None and later - h.scheduler.now() > first_retry
    done = await h.runner.run_retries(h.announcer, now=later)
    assert (len(done.sent), len(done.recovered), len(done.retry_later)) == (1, 1, 0)
    assert len(flaky.posts) == 1
    assert await h.service.deliveries.claimed(["milestone", "event"]) == []
