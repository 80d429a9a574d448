"""Streak nudges: a DM to a member who asked for one, on an evening when their streak would break tonight.

``StudyGroupService.nudges_due`` says who is due (opted in, an active streak in a server, no check-in today and
no grace day left, between ``NUDGE_LOCAL_TIME`` and midnight in their zone). This module delivers those nudges
through bot/scheduling's exactly-once machinery, polled every ``POLL_EVERY`` and once at start-up:

- **One DM per member per local day**, whatever the number of servers whose streak is at risk (the DM lists
  them). The key is ``sg:nudge:{user_id}:{local date}``; a claim left by a crash is sent again with the same nonce
  (or found in the DM's history), so a restart never sends a second one.
- **Failures.** A member who does not accept DMs (Discord answers 403) or no longer exists gets their nudges
  turned off at once: the row is ``failed``, nothing is retried, and no DM is attempted on later days. A transient
  failure (Discord down) leaves the claim for the next poll, while the nudge is still due. Deliberately no
  ``RetryBackoff`` (unlike prompts and announcements): a nudge has hours until the member's midnight, so the next
  poll is soon enough, and a poll recomputes every member's streak, too heavy to repeat every 15 s in an outage.
- A claim that is no longer due (the member checked in, or their day ended) is recorded as skipped.

Nudge rows name a member (``target_ref`` is their id): /mydata export and delete cover them, and they are pruned
a few days after their day (``StudyGroupService.prune_nudge_records``).

No discord import: the cog attaches a ``NudgeSender`` that turns a ``MemberNudge`` into a DM.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.scheduling import (
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    JobScheduler,
    Outcome,
    ProblemKind,
    delivery_nonce,
    delivery_reference,
)
from bot.studygroups.models import StudyGroup
from bot.studygroups.repository import NUDGE_TARGET_KIND
from bot.studygroups.service import Nudge, StudyGroupService
from bot.studygroups.streaks import StreakStatus

log = logging.getLogger(__name__)

POLL_JOB = "sg:nudges"
POLL_EVERY = dt.timedelta(minutes=10)
"""Nudges go out at most this long after the member's local nudge time (three hours before their midnight)."""
KEY_PREFIX = "sg:nudge:"
MAX_GROUP_LINKS = 5
UNREACHABLE = frozenset({ProblemKind.NO_PERMISSION, ProblemKind.CHANNEL_GONE})
"""Problems that mean the member cannot get DMs from the bot: their nudges are turned off."""


def nudge_delivery_key(user_id: int, local_date: dt.date) -> str:
    return f"{KEY_PREFIX}{user_id}:{local_date.isoformat()}"


@dataclass(frozen=True)
class StreakAtRisk:
    """One server in which the member's streak breaks tonight, and their groups there (links to check in)."""

    guild_id: int
    streak: StreakStatus
    groups: tuple[StudyGroup, ...]


@dataclass(frozen=True)
class MemberNudge:
    user_id: int
    local_date: dt.date
    due_at: dt.datetime
    servers: tuple[StreakAtRisk, ...]

    @property
    def key(self) -> str:
        return nudge_delivery_key(self.user_id, self.local_date)


class NudgeSender(Protocol):
    async def wait_until_ready(self) -> None: ...

    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        """DM the member (with links to check in); the message id. Raises DeliveryProblem/TransientDeliveryError."""
        ...

    async def find_nudge(self, user_id: int, reference: str) -> int | None:
        """The id of a nudge DM already sent to the member with this reference in its footer, if any."""
        ...


@dataclass
class NudgeReport:
    due: int = 0
    """Members due a nudge today (including those already sent theirs)."""
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    turned_off: list[int] = field(default_factory=list)


def member_nudges(due: tuple[Nudge, ...], groups: dict[tuple[int, int], tuple[StudyGroup, ...]]) -> list[MemberNudge]:
    """Fold the per-server nudges into one per member and local day (``groups``: (guild, user) -> groups)."""
    folded: dict[tuple[int, dt.date], list[Nudge]] = {}
    for nudge in due:
        folded.setdefault((nudge.user_id, nudge.local_date), []).append(nudge)
    result = []
    for (user_id, day), nudges in sorted(folded.items()):
        nudges.sort(key=lambda n: (-n.streak.current, n.guild_id))
        servers = tuple(StreakAtRisk(n.guild_id, n.streak, groups.get((n.guild_id, user_id), ())) for n in nudges)
        result.append(MemberNudge(user_id, day, min(n.due_at for n in nudges), servers))
    return result


class NudgeDispatcher:
    def __init__(
        self,
        service: StudyGroupService,
        deliveries: DeliveryRepository,
        deliverer: Deliverer,
        scheduler: JobScheduler,
        *,
        poll_every: dt.timedelta = POLL_EVERY,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.service = service
        self.deliveries = deliveries
        self.deliverer = deliverer
        self.scheduler = scheduler
        self.poll_every = poll_every
        self._clock = clock or service.now
        self._sender: NudgeSender | None = None
        self._lock = asyncio.Lock()

    def attach(self, sender: NudgeSender) -> None:
        self._sender = sender

    @property
    def sender(self) -> NudgeSender:
        if self._sender is None:
            raise RuntimeError("no nudge sender attached: is the cogs.studygroups extension loaded?")
        return self._sender

    async def start(self) -> None:
        """Poll every ``poll_every`` (a stable job id, so starting twice changes nothing) and once now."""
        _ = self.sender  # fail at start-up, not at the first nudge
        self.scheduler.start()
        self.scheduler.every(POLL_JOB, self.poll_every, self.run)
        self.scheduler.tasks.spawn(self.run(at_start=True), name="studygroups:nudges-catch-up")

    async def due(self) -> list[MemberNudge]:
        nudges = await self.service.nudges_due()
        groups = {}
        for nudge in nudges:
            found = await self.service.my_groups(nudge.guild_id, nudge.user_id)
            groups[(nudge.guild_id, nudge.user_id)] = found[:MAX_GROUP_LINKS]
        return member_nudges(nudges, groups)

    async def run(self, *, at_start: bool = False) -> NudgeReport:
        """Send every nudge due now that was not sent yet; record claims that are no longer due as skipped."""
        await self.sender.wait_until_ready()
        async with self._lock:
            report = NudgeReport()
            due = await self.due()
            report.due = len(due)
            for nudge in due:
                await self._deliver(nudge, report)
            wanted = {n.key for n in due}
            now = self._clock()
            for record in await self.deliveries.claimed([NUDGE_TARGET_KIND]):
                if record.key not in wanted:
                    await self.deliveries.skip(record, "no longer due (checked in, or the day is over)", now)
                    report.skipped.append(record.key)
        if at_start or report.sent or report.failed or report.skipped:
            log.info(
                "streak nudges%s: %d due, %d sent, %d failed, %d skipped, %d to retry",
                " (start-up)" if at_start else "",
                report.due,
                len(report.sent),
                len(report.failed),
                len(report.skipped),
                len(report.retry_later),
            )
        return report

    def _record(self, nudge: MemberNudge) -> DeliveryRecord:
        # A DM belongs to no server (guild 0: it stays out of every server's delivery status) and its channel is
        # opened when sending (channel 0).
        return DeliveryRecord(
            key=nudge.key,
            group_key=f"sg-nudge:{nudge.user_id}",
            guild_id=0,
            channel_id=0,
            target_kind=NUDGE_TARGET_KIND,
            target_ref=str(nudge.user_id),
            offset_seconds=0,
            occurs_at=nudge.due_at,
            fire_at=nudge.due_at,
            nonce=delivery_nonce(nudge.key),
        )

    async def _deliver(self, nudge: MemberNudge, report: NudgeReport) -> None:
        existing = await self.deliveries.get(nudge.key)
        if existing is not None and existing.status is not DeliveryStatus.CLAIMED:
            return
        # Who is due was worked out at the start of the run, and sending to many members takes a while: one who
        # turned nudges off or deleted their data (/mydata delete) since then gets no DM, and no new row names them.
        if not (await self.service.settings(nudge.user_id)).nudge:
            if existing is not None:
                await self.deliveries.skip(existing, "nudges turned off", self._clock())
                report.skipped.append(nudge.key)
            return
        sender = self.sender

        async def send(nonce: str) -> int:
            return await sender.send_nudge(nudge, nonce=nonce)

        async def find(record: DeliveryRecord) -> int | None:
            return await sender.find_nudge(nudge.user_id, delivery_reference(record.nonce))

        result = await self.deliverer.deliver(self._record(nudge), send, find)
        if result.outcome in (Outcome.SENT, Outcome.RECOVERED):
            report.sent.append(nudge.key)
        elif result.outcome is Outcome.RETRY_LATER:
            report.retry_later.append(nudge.key)
        elif result.outcome is Outcome.FAILED:
            report.failed.append(nudge.key)
            await self._failed(nudge, result.problem, report)

    async def _failed(self, nudge: MemberNudge, problem: DeliveryProblem | None, report: NudgeReport) -> None:
        if problem is not None and problem.kind in UNREACHABLE:
            turned_off = await self.service.stop_nudges(nudge.user_id)
            if turned_off:
                report.turned_off.append(nudge.user_id)
            log.warning("could not DM a streak nudge (%s); that member's nudges are now off", problem)
        else:
            log.error("a streak nudge DM was refused (%s); it is not retried today", problem)
