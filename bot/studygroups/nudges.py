"""Streak nudges: a DM to a member who asked for one, on an evening when their streak would break tonight.

``StudyGroupService.nudges_due`` says who is due (opted in, an active streak in a server, no check-in today and
no grace day left, between ``NUDGE_LOCAL_TIME`` and midnight in their zone). This module is the feed of those
nudges (``bot.scheduling.runner``), swept every ``POLL_EVERY`` and once at start-up:

- **One DM per member per local day**, whatever the number of servers whose streak is at risk (the DM lists
  them). The key is ``sg:nudge:{user_id}:{local date}``; a claim left by a crash is sent again with the same nonce
  (or found in the DM's history), so a restart never sends a second one.
- **Failures.** A member who does not accept DMs (Discord answers 403) or no longer exists gets their nudges
  turned off at once: the row is ``failed``, nothing is retried, and no DM is attempted on later days. A transient
  failure (Discord down) leaves the claim, retried alone (15 s, 30 s, ... up to the poll interval) while the nudge
  is still due at the latest poll; no other member's nudge waits for it.
- A claim that is no longer due (the member checked in, or their day ended) is recorded as skipped.

Nudge rows name a member (``target_ref`` is their id): /mydata export and delete cover them, and they are pruned
a few days after their day (``StudyGroupService.prune_nudge_records``).

No discord import: ``NudgeSender`` is implemented in ``bot/adapters/studygroup_posts.py`` and given here by
``bot/app.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.scheduling import (
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Feed,
    FeedPolicy,
    Hold,
    Item,
    Outcome,
    ProblemKind,
    Skip,
    SkipDelivery,
    Sweep,
    SweepReport,
    delivery_nonce,
    delivery_reference,
)
from bot.studygroups.models import StudyGroup
from bot.studygroups.repository import NUDGE_TARGET_KIND
from bot.studygroups.service import Nudge, StudyGroupService
from bot.studygroups.streaks import StreakStatus

log = logging.getLogger(__name__)

FEED = "nudges"
POLL_JOB = f"{FEED}:sweep"
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
    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        """DM the member (with links to check in); the message id. Raises DeliveryProblem/TransientDeliveryError."""
        ...

    async def find_nudge(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        """The id of a nudge DM sent to the member after ``since`` with this reference in its footer, if any."""
        ...


NO_LONGER_DUE = "no longer due (checked in, or the day is over)"
TURNED_OFF = "nudges turned off"


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


class NudgeDispatcher(Feed[MemberNudge]):
    name = FEED
    label = "streak nudges"
    kinds = (NUDGE_TARGET_KIND,)

    def __init__(
        self,
        service: StudyGroupService,
        deliveries: DeliveryRepository,
        sender: NudgeSender,
        *,
        poll_every: dt.timedelta = POLL_EVERY,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.service = service
        self.deliveries = deliveries
        self.sender = sender
        self.clock = clock or service.now
        # No watermark: who is due is worked out afresh at each poll. No grace: a nudge is due until the member's
        # midnight, which ``nudges_due`` already knows.
        self.policy = FeedPolicy(sweep_every=poll_every, watermark=False)
        self._due: dict[str, MemberNudge] = {}
        """The nudges due at the latest poll: a claim outside it is no longer due."""

    async def due_now(self) -> list[MemberNudge]:
        nudges = await self.service.nudges_due()
        groups = {}
        for nudge in nudges:
            found = await self.service.my_groups(nudge.guild_id, nudge.user_id)
            groups[(nudge.guild_id, nudge.user_id)] = found[:MAX_GROUP_LINKS]
        return member_nudges(nudges, groups)

    def _item(self, nudge: MemberNudge) -> Item[MemberNudge]:
        # A DM belongs to no server (guild 0: it stays out of every server's delivery status) and its channel is
        # opened when sending (channel 0).
        record = DeliveryRecord(
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
        return Item(nudge.key, nudge.due_at, nudge, record)

    async def due(self, sweep: Sweep) -> Sequence[Item[MemberNudge]]:
        due = await self.due_now()
        self._due = {nudge.key: nudge for nudge in due}
        sweep.notes["due"] = len(due)
        return [self._item(nudge) for nudge in due]

    async def recover(self, record: DeliveryRecord) -> Item[MemberNudge] | str:
        nudge = self._due.get(record.key)
        return self._item(nudge) if nudge is not None else NO_LONGER_DUE

    async def check(self, item: Item[MemberNudge]) -> Hold | Skip | None:
        # Who is due was worked out at the start of the poll, and sending to many members takes a while: one who
        # turned nudges off or deleted their data (/mydata delete) since then gets no DM, and no new row names them.
        if (await self.service.settings(item.payload.user_id)).nudge:
            return None
        existing = await self.deliveries.get(item.key)
        if existing is not None and existing.status is DeliveryStatus.CLAIMED:
            return Skip(TURNED_OFF)
        return Hold(TURNED_OFF)

    async def send(self, item: Item[MemberNudge], *, nonce: str, late: bool) -> int:
        if not (await self.service.settings(item.payload.user_id)).nudge:
            raise SkipDelivery(TURNED_OFF)  # turned off between the check and the send: the claim is given up
        return await self.sender.send_nudge(item.payload, nonce=nonce)

    async def find(self, item: Item[MemberNudge], record: DeliveryRecord) -> int | None:
        since = record.claimed_at or record.fire_at
        return await self.sender.find_nudge(item.payload.user_id, delivery_reference(record.nonce), since)

    async def settled(self, item: Item[MemberNudge], result: DeliveryResult) -> None:
        if result.outcome is not Outcome.FAILED:
            return
        problem = result.problem
        if problem is not None and problem.kind in UNREACHABLE:
            await self.service.stop_nudges(item.payload.user_id)
            log.warning("could not DM a streak nudge (%s); that member's nudges are now off", problem)
        else:
            log.error("a streak nudge DM was refused (%s); it is not retried today", problem)

    def summary(self, report: SweepReport) -> str | None:
        start_up = report.trigger == "start-up"
        if not (start_up or report.sent or report.failed or report.skipped):
            return None
        return (
            f"({report.trigger}): {report.notes.get('due', 0)} due, {len(report.sent)} sent, {len(report.failed)} "
            f"failed, {len(report.skipped)} skipped, {len(report.retry_later)} to retry"
        )
