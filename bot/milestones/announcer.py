"""Posting milestone announcements and server events on time, exactly once, after any restart.

Job granularity: **one job per due instant**, not one per (server, milestone, reminder). The instants are computed
from the database (``DeliveryPlanner``) for the next ``horizon`` and kept as APScheduler jobs with the id
``milestones:due:<instant>``; a job runs everything due at its instant, for every server, in one paced fan-out. With
2,000 servers on the default reminders that is one job per reminder instant instead of 2,000, the scheduler's
state stays tiny, and one fan-out can pace all sends under Discord's global limit. Rebuilding the jobs is
idempotent: at start-up, after every change (setup, resume, /event add or remove) and on each sweep.

Every run (a due instant, the start-up catch-up, the periodic sweep) works from the database, under one lock:

- plans due in the window with no delivery row are posted: on time if due at the job's instant, otherwise they
  were missed and go through the grace policy (``bot.scheduling.grace``): posted late within the window, with a
  "posted late" line, only the latest reminder of each occurrence; skipped and logged beyond it;
- claims left by a crash (or a transient failure) are sent again with the same nonce (``bot.scheduling.delivery``);
- a problem the server must fix pauses what it breaks and tells the admin (``pausing``); other servers go on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.milestones.announcements import Announcement, EntryTitles, announcement_for
from bot.milestones.models import Notice, PauseReason, PlannedDelivery, TargetKind
from bot.milestones.pausing import REASON_FOR_PROBLEM, pause_for_problem
from bot.milestones.planner import DeliveryPlanner
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import (
    Deliverer,
    DeliveryRepository,
    DeliveryStatus,
    Outcome,
    ProblemKind,
    find_by_reference,
)
from bot.scheduling.grace import triage_missed
from bot.scheduling.pacing import DEFAULT_CONCURRENCY, Pacer, fan_out
from bot.scheduling.retry import DEFAULT_FIRST_RETRY, RetryBackoff
from bot.scheduling.scheduler import JobScheduler

log = logging.getLogger(__name__)

JOB_PREFIX = "milestones:due:"
SWEEP_JOB = "milestones:sweep"
RETRY_JOB = "milestones:retry"
WATERMARK = "milestones"
LATE_AFTER = timedelta(minutes=1)
"""A claim retried later than this after its time says "posted late" if it has to be posted anew."""
ANNOUNCEMENT_KINDS = tuple(kind.value for kind in TargetKind)
"""The deliveries table's target kinds that are the announcer's (the Discord events and study groups have others)."""


class Messenger(Protocol):
    """What the announcer needs from Discord (implemented in ``cogs/milestones/messenger.py``)."""

    async def wait_until_ready(self) -> None: ...

    async def post(
        self, guild_id: int, channel_id: int, announcement: Announcement, *, nonce: str, role_required: bool
    ) -> int:
        """Post and return the message id. Raises DeliveryProblem (the server must fix something; with
        ``role_required``, a deleted role is one) or TransientDeliveryError (try later)."""
        ...

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: datetime) -> int | None:
        """A message of ours with this reference posted after ``since`` in the channel, if any."""
        ...

    async def notify(self, notice: Notice) -> bool:
        """Tell the server's admin (DM; the owner if that fails). False when nobody could be told."""
        ...


def job_id(instant: datetime) -> str:
    return f"{JOB_PREFIX}{instant.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"


@dataclass
class RunReport:
    trigger: str
    started_at: datetime
    planned: int = 0
    sent: int = 0
    late: int = 0
    recovered: int = 0
    already_done: int = 0
    failed: int = 0
    retry_later: int = 0
    skipped: int = 0
    held_back: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.trigger}: {self.sent} posted ({self.late} late, {self.recovered} recovered), "
            f"{self.already_done} already done, {self.skipped} skipped, {self.failed} failed, "
            f"{self.retry_later} to retry, {self.held_back} held back, in {self.seconds:.1f} s"
        )


class MilestoneAnnouncer:
    def __init__(
        self,
        planner: DeliveryPlanner,
        repository: MilestoneRepository,
        deliveries: DeliveryRepository,
        deliverer: Deliverer,
        scheduler: JobScheduler,
        entry_titles: EntryTitles,
        *,
        grace: timedelta,
        pacer: Pacer | None = None,
        workers: int = DEFAULT_CONCURRENCY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        horizon: timedelta = timedelta(days=3),
        sweep_every: timedelta = timedelta(minutes=10),
        sweep_margin: timedelta = timedelta(minutes=2),
        max_lookback: timedelta = timedelta(days=30),
        retry_first: timedelta = DEFAULT_FIRST_RETRY,
    ) -> None:
        self.planner = planner
        self.repository = repository
        self.deliveries = deliveries
        self.deliverer = deliverer
        self.scheduler = scheduler
        self.entry_titles = entry_titles
        self.grace = grace
        self.pacer = pacer or Pacer()
        self.workers = workers
        self.clock = clock
        self.horizon = horizon
        self.sweep_every = sweep_every
        self.sweep_margin = sweep_margin
        self.max_lookback = max_lookback
        # A delivery Discord refused for now (a 503, five 5xx in a row, a server unavailable during a reconnect) is
        # retried after retry_first, doubling up to sweep_every while failures go on; waiting for the sweep would
        # post it up to ten minutes late.
        self._backoff = RetryBackoff(scheduler, RETRY_JOB, self.retry, first=retry_first, cap=sweep_every)
        self.reports: deque[RunReport] = deque(maxlen=20)
        self._messenger: Messenger | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def attach(self, messenger: Messenger) -> None:
        """Give the announcer its way to Discord (the milestones cog does, when it loads)."""
        self._messenger = messenger

    @property
    def messenger(self) -> Messenger:
        if self._messenger is None:
            raise RuntimeError("no messenger attached: is the cogs.milestones extension loaded?")
        return self._messenger

    async def start(self) -> None:
        """Start the clock, rebuild the jobs from the database and catch up on what was missed (once ready)."""
        if self._messenger is None:  # fail at start-up, not at the first due instant
            raise RuntimeError("no messenger attached: is the cogs.milestones extension loaded?")
        self.scheduler.start()
        self.scheduler.every(SWEEP_JOB, self.sweep_every, self.sweep)
        await self.reschedule()
        self.scheduler.tasks.spawn(self.catch_up(), name="milestones:catch-up")

    async def reschedule(self) -> None:
        """One job per instant with something due in the next ``horizon``; stable ids, so this is idempotent."""
        if not self.scheduler.running:
            return
        now = self.clock()
        instants = await self.planner.instants_between(now, now + self.horizon)
        wanted = {job_id(instant): (instant, functools.partial(self.run_due, instant)) for instant in instants}
        self.scheduler.sync(JOB_PREFIX, wanted)

    def notify_later(self, notices: list[Notice]) -> None:
        """Send notices in the background (used by the cog's listeners, which must not wait on DMs)."""
        for notice in notices:
            self.scheduler.tasks.spawn(self._notify(notice), name=f"milestones:notify:{notice.guild_id}")

    # -- runs --------------------------------------------------------------------------------------------------------

    async def run_due(self, instant: datetime) -> RunReport:
        """The job of one instant: what is due at it is on time; anything older still pending is late."""
        return await self._run(f"due {instant.isoformat()}", until=instant + timedelta(microseconds=1), on_time=instant)

    async def catch_up(self) -> RunReport:
        """At start-up: everything due before now that was never posted (grace policy), and claims left by a crash."""
        return await self._run("start-up catch-up", until=self.clock(), on_time=None)

    async def sweep(self) -> RunReport:
        """Every ``sweep_every``: retries and anything a job missed; leaves the last minutes to their own jobs."""
        report = await self._run("sweep", until=self.clock() - self.sweep_margin, on_time=None)
        await self.reschedule()
        return report

    async def retry(self) -> RunReport:
        """Claims left by a transient failure (and anything a job missed), soon after the run that left them."""
        return await self._run("retry", until=self.clock() - self.sweep_margin, on_time=None)

    @property
    def retry_first(self) -> timedelta:
        """How soon after a run that left announcements to retry they are tried again (the backoff's start)."""
        return self._backoff.first

    def _plan_retry(self, report: RunReport) -> None:
        delay = self._backoff.after_run(report.retry_later)
        if delay is not None:
            log.info("%d announcement(s) refused for now by Discord; retrying in %s", report.retry_later, delay)

    async def _run(self, trigger: str, *, until: datetime, on_time: datetime | None) -> RunReport:
        messenger = self.messenger
        await messenger.wait_until_ready()
        async with self._lock:
            started = time.perf_counter()
            now = self.clock()
            report = RunReport(trigger, now)
            watermark = await self.deliveries.watermark(WATERMARK)
            lookback = now - self.grace if watermark is None else min(now - self.grace, watermark)
            lookback = max(lookback, now - self.max_lookback)
            planned = await self.planner.between(lookback, until)
            known = await self.deliveries.known_since(lookback, ANNOUNCEMENT_KINDS)
            pending = [p for p in planned if p.key not in known]
            on_time_items = [p for p in pending if on_time is not None and p.fire_at == on_time]
            missed = [p for p in pending if on_time is None or p.fire_at != on_time]
            delivered_latest: dict[str, datetime] = {}
            for group_key, fire_at, status in known.values():
                if status in (DeliveryStatus.SENT, DeliveryStatus.CLAIMED) and fire_at > delivered_latest.get(
                    group_key, datetime.min.replace(tzinfo=UTC)
                ):
                    delivered_latest[group_key] = fire_at
            for item in on_time_items:  # posted now, so an older missed reminder of the same occurrence is stale
                delivered_latest[item.group_key] = max(item.fire_at, delivered_latest.get(item.group_key, item.fire_at))
            triage = triage_missed(missed, now, self.grace, delivered_latest=delivered_latest)
            skipped_by_reason: dict[str, list[str]] = {}
            for item, reason in triage.skipped:
                await self.deliveries.skip(item.record(late=True), reason.value, now)
                skipped_by_reason.setdefault(reason.value, []).append(item.key)
                log.debug("skipped %s (due %s): %s", item.key, item.fire_at.isoformat(), reason.value)
            for reason_value, keys in skipped_by_reason.items():
                # One line per reason, not one per server: after an outage there can be thousands.
                log.warning(
                    "skipped %d announcement(s) missed while the bot was down (%s; grace %s), e.g. %s",
                    len(keys),
                    reason_value,
                    self.grace,
                    ", ".join(keys[:3]),
                )
            report.skipped = len(triage.skipped)
            recoveries = await self._recoveries(now, report)
            work = [(p, False) for p in on_time_items] + [(p, True) for p in triage.late] + recoveries
            report.planned = len(work)
            if work:
                await self._fan_out(work, report, now)
            if watermark is None or until > watermark:
                await self.deliveries.set_watermark(WATERMARK, min(until, now))
            report.seconds = time.perf_counter() - started
            self.reports.append(report)
            self._plan_retry(report)
            if work or report.skipped:
                log.info("announcements %s", report.summary())
            return report

    async def _recoveries(self, now: datetime, report: RunReport) -> list[tuple[PlannedDelivery, bool]]:
        """Claims not finished (a crash between sending and recording, or a transient failure): sent again with
        their nonce within the grace window, given up beyond it."""
        found: list[tuple[PlannedDelivery, bool]] = []
        for record in await self.deliveries.claimed(ANNOUNCEMENT_KINDS):
            if now - record.fire_at > self.grace:
                await self.deliveries.skip(record, "unconfirmed-beyond-grace", now)
                log.warning("gave up %s: claimed at %s and never confirmed", record.key, record.claimed_at)
                report.skipped += 1
                continue
            planned = await self.planner.rebuild(record)
            if planned is None:
                await self.deliveries.skip(record, "target-gone", now)
                report.skipped += 1
                continue
            # Usually the message went out and the nonce returns it; if it never did, it is posted now, late.
            found.append((planned, record.late or now - record.fire_at > LATE_AFTER))
        return found

    async def _fan_out(self, work: list[tuple[PlannedDelivery, bool]], report: RunReport, now: datetime) -> None:
        messenger = self.messenger
        broken_channels: set[tuple[int, int]] = set()
        broken_roles: set[int] = set()

        async def paced_lookup(guild_id: int, channel_id: int, reference: str, since: datetime) -> int | None:
            async with self.pacer.slot():
                return await messenger.find_posted(guild_id, channel_id, reference, since)

        find = find_by_reference(paced_lookup)

        async def deliver(item: tuple[PlannedDelivery, bool]) -> None:
            planned, late = item
            milestone = planned.kind is TargetKind.MILESTONE
            if (planned.guild_id, planned.channel_id) in broken_channels or (
                milestone and planned.guild_id in broken_roles
            ):
                report.held_back += 1  # paused a moment ago; nothing is recorded, resuming starts afresh
                return
            announcement = announcement_for(planned, self.entry_titles, late=late)

            async def send(nonce: str) -> int:
                async with self.pacer.slot():
                    return await messenger.post(
                        planned.guild_id, planned.channel_id, announcement, nonce=nonce, role_required=milestone
                    )

            result = await self.deliverer.deliver(planned.record(late=late), send, find)
            if result.outcome is Outcome.SENT:
                report.sent += 1
                report.late += int(late)
            elif result.outcome is Outcome.RECOVERED:
                report.sent += 1
                report.recovered += 1
            elif result.outcome is Outcome.ALREADY_DONE:
                report.already_done += 1
            elif result.outcome is Outcome.RETRY_LATER:
                report.retry_later += 1
            elif result.problem is not None:
                report.failed += 1
                report.problems.append(f"{planned.key}: {result.problem}")
                if result.problem.kind is ProblemKind.ROLE_GONE:
                    broken_roles.add(planned.guild_id)
                elif result.problem.kind is not ProblemKind.REJECTED:
                    broken_channels.add((planned.guild_id, planned.channel_id))
                await self._handle_problem(planned, result.problem.kind, now)

        await fan_out(work, deliver, workers=self.workers)

    async def _handle_problem(self, planned: PlannedDelivery, kind: ProblemKind, now: datetime) -> None:
        reason = REASON_FOR_PROBLEM.get(kind)
        if reason is None:
            log.error("Discord rejected %s; nothing paused. This is a bug of ours: see the error above.", planned.key)
            return
        notice = await pause_for_problem(
            self.repository,
            planned.guild_id,
            reason,
            now,
            channel_id=planned.channel_id,
            role_id=planned.role_id if reason is PauseReason.ROLE_GONE else None,
            also_tell=planned.notify_user_id,
        )
        if notice is not None:
            await self._notify(notice)

    async def _notify(self, notice: Notice) -> None:
        async with self.pacer.slot():
            told = await self.messenger.notify(notice)
        if not told:
            log.warning(
                "server %s: could not tell anyone that announcements are paused (%s); DMs closed?",
                notice.guild_id,
                notice.reason.value,
            )
