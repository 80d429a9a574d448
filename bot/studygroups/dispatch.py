"""Posting study groups' prompts and weekly recaps on time, exactly once, through bot/scheduling.

The database is the truth: each run asks ``schedule.due_between`` what fell due since the last run (a watermark in
``bot_meta``), delivers each occurrence by its key with the claim -> send with nonce -> record protocol, and records
what is beyond its grace window as skipped instead of posting it (a prompt more than an hour late is noise). A claim
left by a crash is first looked for in the channel's recent history by the ``ref`` in its footer once it is older
than Discord's nonce memory, and sent again with the same nonce otherwise (``bot.scheduling.delivery``). Timers are
only a wake-up call: one APScheduler job per group at its next prompt or recap, rebuilt after every run, plus a
sweep for anything a timer missed. A run that leaves a delivery Discord refused for the moment (a 503, a dropped
connection) runs again 15 s later, then after 30 s, 1 min, ... up to the sweep interval (``RetryBackoff``): a prompt
is only worth posting within the hour, and a group alone at its time would otherwise wait for the sweep.

No discord import: the cog attaches a ``PromptSender`` that turns a group and an occurrence into a message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.scheduling import (
    DEFAULT_FIRST_RETRY,
    Deliverer,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    JobScheduler,
    Outcome,
    RetryBackoff,
    delivery_nonce,
    find_by_reference,
)
from bot.studygroups import schedule as timing
from bot.studygroups.models import StudyGroup
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.service import StudyGroupService

log = logging.getLogger(__name__)

JOB_PREFIX = "sg:at:"
SWEEP_JOB = "sg:sweep"
RETRY_JOB = "sg:retry"
WATERMARK = "studygroups"
KEY_PREFIX = "sg:"
KINDS = {timing.OccurrenceKind.PROMPT: "studygroup-prompt", timing.OccurrenceKind.RECAP: "studygroup-recap"}
MAX_LOOKBACK = dt.timedelta(days=2)
"""Older than the longest grace (a recap's day): after a long outage only recent occurrences are even recorded."""
NO_CHECK_INS = "no check-ins that week"


class PromptSender(Protocol):
    async def wait_until_ready(self) -> None: ...

    async def post_prompt(self, group: StudyGroup, occurrence: timing.Occurrence, *, late: bool, nonce: str) -> int:
        """Post the prompt (with its Check in button); the message id. Raises DeliveryProblem/TransientDeliveryError."""
        ...

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int: ...

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: dt.datetime) -> int | None:
        """A message of ours showing ``ref {reference}`` posted in the channel after ``since``, if any (read from
        its recent history; only for a claim left by a crash)."""
        ...


@dataclass
class DispatchReport:
    sent: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)


def delivery_key(occurrence: timing.Occurrence) -> str:
    return f"{KEY_PREFIX}{occurrence.key}"


def job_id(group: StudyGroup, occurrence: timing.Occurrence) -> str:
    # The due instant is in the id: after an edit the same occurrence has a new time, so the old job is replaced.
    return f"{JOB_PREFIX}{group.id}:{occurrence.key}:{int(occurrence.due_at.timestamp())}"


class StudyGroupDispatcher:
    def __init__(
        self,
        service: StudyGroupService,
        deliveries: DeliveryRepository,
        deliverer: Deliverer,
        scheduler: JobScheduler,
        *,
        sweep_every: dt.timedelta = dt.timedelta(minutes=5),
        retry_first: dt.timedelta = DEFAULT_FIRST_RETRY,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.service = service
        self.deliveries = deliveries
        self.deliverer = deliverer
        self.scheduler = scheduler
        self.sweep_every = sweep_every
        self._clock = clock or service.now
        # Relative to the scheduler's real clock, like every timer: a moved feature clock does not shift it.
        self.backoff = RetryBackoff(scheduler, RETRY_JOB, self.run, first=retry_first, cap=sweep_every)
        self._sender: PromptSender | None = None
        self._lock = asyncio.Lock()

    def attach(self, sender: PromptSender) -> None:
        self._sender = sender

    @property
    def sender(self) -> PromptSender:
        if self._sender is None:
            raise RuntimeError("no prompt sender attached: is the cogs.studygroups extension loaded?")
        return self._sender

    async def start(self) -> None:
        """Arm the timers and catch up on what fell due while the bot was down (once it is connected)."""
        _ = self.sender  # fail at start-up, not at the first prompt
        self.scheduler.start()
        self.scheduler.every(SWEEP_JOB, self.sweep_every, self.run)
        await self.reschedule()
        self.scheduler.tasks.spawn(self.run(), name="studygroups:catch-up")

    async def reschedule(self) -> None:
        """One job per active group at its next prompt or recap; call after creating, editing or archiving one."""
        if not self.scheduler.running:
            return
        now = self._clock()
        # Timers run on the scheduler's real clock, and ours may be moved (a test hook, bot.scheduling.clock): each
        # is armed as far from the real now as it is due from ours. In production the two are the same clock.
        shift = self.scheduler.now() - now
        wanted = {}
        for group in await self.service.active_groups():
            occurrence = timing.next_occurrence(group, now)
            if occurrence is not None:
                wanted[job_id(group, occurrence)] = (occurrence.due_at + shift, self.run)
        self.scheduler.sync(JOB_PREFIX, wanted)

    async def run(self) -> DispatchReport:
        """Deliver everything due since the last run (within its grace), skip what is older; then re-arm."""
        await self.sender.wait_until_ready()
        async with self._lock:
            report = await self._run()
            retry_in = self.backoff.after_run(len(report.retry_later))
        await self.reschedule()
        if retry_in is not None:
            log.info(
                "%d study-group message(s) refused for now by Discord; retrying in %s",
                len(report.retry_later),
                retry_in,
            )
        if report.sent or report.skipped or report.failed:
            log.info(
                "study-group deliveries: %d sent, %d skipped, %d failed, %d to retry",
                len(report.sent),
                len(report.skipped),
                len(report.failed),
                len(report.retry_later),
            )
        return report

    async def _run(self) -> DispatchReport:
        report = DispatchReport()
        now = self._clock()
        watermark = await self.deliveries.watermark(WATERMARK)
        since = now - MAX_LOOKBACK if watermark is None else max(watermark, now - MAX_LOOKBACK)
        seen: set[str] = set()
        for group in await self.service.active_groups():
            work = timing.due_between(group, since, now)
            # A group created (or moved to a time) just after its slot does not get that slot's prompt late.
            for occurrence in (o for o in work.due + work.missed if o.due_at < group.created_at):
                seen.add(delivery_key(occurrence))
            for occurrence in (o for o in work.missed if o.due_at >= group.created_at):
                seen.add(delivery_key(occurrence))
                await self._skip(group, occurrence, "missed beyond the grace window", now, report)
            for occurrence in (o for o in work.due if o.due_at >= group.created_at):
                seen.add(delivery_key(occurrence))
                await self._deliver(group, occurrence, now, report)
        await self._recover(seen, now, report)
        await self.deliveries.set_watermark(WATERMARK, now)
        return report

    async def _recover(self, seen: set[str], now: dt.datetime, report: DispatchReport) -> None:
        """Claims of ours left by a crash or a transient failure: send again (same nonce) or give up after grace."""
        for record in await self.deliveries.claimed(list(KINDS.values())):
            if record.key in seen:
                continue
            group = await self.service.get_group(int(record.target_ref))
            occurrence = _occurrence_of(record, group) if group is not None else None
            if group is None or occurrence is None or not group.active:
                await self.deliveries.skip(record, "the study group is gone or archived", now)
                report.skipped.append((record.key, "archived"))
            elif occurrence.missed(now):
                await self.deliveries.skip(record, "missed beyond the grace window", now)
                report.skipped.append((record.key, "beyond grace"))
            else:
                await self._deliver(group, occurrence, now, report)

    def _record(self, group: StudyGroup, occurrence: timing.Occurrence, now: dt.datetime) -> DeliveryRecord:
        key = delivery_key(occurrence)
        return DeliveryRecord(
            key=key,
            group_key=f"{KEY_PREFIX}{group.id}",
            guild_id=group.guild_id,
            channel_id=group.channel_id,
            target_kind=KINDS[occurrence.kind],
            target_ref=str(group.id),
            offset_seconds=0,
            occurs_at=occurrence.due_at,
            fire_at=occurrence.due_at,
            nonce=delivery_nonce(key),
            late=occurrence.late(now),
        )

    async def _skip(
        self, group: StudyGroup, occurrence: timing.Occurrence, reason: str, now: dt.datetime, report: DispatchReport
    ) -> None:
        existing = await self.deliveries.get(delivery_key(occurrence))
        # A row that is already finished stays as it is (a sent prompt must not be rewritten as skipped).
        if existing is not None and existing.status is not DeliveryStatus.CLAIMED:
            return
        await self.deliveries.skip(self._record(group, occurrence, now), reason, now)
        report.skipped.append((delivery_key(occurrence), reason))

    async def _deliver(
        self, group: StudyGroup, occurrence: timing.Occurrence, now: dt.datetime, report: DispatchReport
    ) -> None:
        record = self._record(group, occurrence, now)
        existing = await self.deliveries.get(record.key)
        if existing is not None and existing.status is not DeliveryStatus.CLAIMED:
            return
        late = occurrence.late(now)
        sender = self.sender
        if occurrence.kind is timing.OccurrenceKind.RECAP:
            recap = await self.service.weekly_recap(group.id, occurrence.week)
            if not recap.should_post:
                await self._skip(group, occurrence, NO_CHECK_INS, now, report)
                return

            async def send(nonce: str) -> int:
                return await sender.post_recap(group, recap, late=late, nonce=nonce)

        else:

            async def send(nonce: str) -> int:
                return await sender.post_prompt(group, occurrence, late=late, nonce=nonce)

        result = await self.deliverer.deliver(record, send, find_by_reference(sender.find_posted))
        if result.outcome in (Outcome.SENT, Outcome.RECOVERED):
            report.sent.append(record.key)
        elif result.outcome is Outcome.FAILED:
            log.warning("study group %d: could not post %s: %s", group.id, record.key, result.problem)
            report.failed.append(record.key)
        elif result.outcome is Outcome.RETRY_LATER:
            report.retry_later.append(record.key)


def _occurrence_of(record: DeliveryRecord, group: StudyGroup) -> timing.Occurrence | None:
    """Rebuild a claimed row's occurrence from its key (``sg:prompt:{id}:{date}`` or ``sg:recap:{id}:{week}``)."""
    kind, _, rest = record.key.removeprefix(KEY_PREFIX).partition(":")
    _, _, when = rest.partition(":")
    try:
        if kind == timing.OccurrenceKind.PROMPT:
            return timing.prompt_on(group, dt.date.fromisoformat(when))
        if kind == timing.OccurrenceKind.RECAP:
            year, week = when.split("-W")
            return timing.recap_for(group, timing.IsoWeek(int(year), int(week)))
    except ValueError:
        log.warning("a claimed study-group delivery has a key I cannot read: %s", record.key)
    return None
