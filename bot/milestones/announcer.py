"""Milestone announcements and server events: the feed (``bot.scheduling.runner``) that posts them.

What is due comes from the database (``DeliveryPlanner``): every reminder of every active subscription and server
event. The runner does the rest (when, exactly once, grace, late-at-send, retries, isolation per server); this
module says what an item is, how it is posted and found again, and what a server problem means:

- **Timers: one per due instant**, not one per (server, milestone, reminder): the instants of the next ``horizon``
  are kept as jobs ``milestones:due:<instant>``; each runs a sweep, which posts everything due, for every server.
  With 2,000 servers on the default reminders that is one job per reminder instant instead of 2,000.
- **Grace**: after downtime, what fell due within ``grace`` is posted late ("posted late"), only the latest
  reminder of each occurrence (``policy.supersede``); older ones are skipped and logged.
- **Problems**: a deleted channel or role, or a missing permission, pauses what it breaks in that server and tells
  its admin by DM (``pausing``); the server's other posts of the moment are not even tried; other servers go on.

No discord import: ``Messenger`` is implemented in ``bot/adapters/announcements.py`` and given here by
``bot/app.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.db.timestamps import Clock, utc_now
from bot.milestones.announcements import Announcement, EntryTitles, announcement_for
from bot.milestones.models import Notice, PauseReason, PlannedDelivery, TargetKind
from bot.milestones.pausing import REASON_FOR_PROBLEM, pause_for_problem
from bot.milestones.planner import DeliveryPlanner
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import (
    DeliveryProblem,
    DeliveryRecord,
    DeliveryResult,
    Outcome,
    ProblemKind,
    delivery_reference,
)
from bot.scheduling.pacing import RateBudget
from bot.scheduling.runner import FIRST_RETRY, Feed, FeedPolicy, Item, Sweep

log = logging.getLogger(__name__)

FEED = "milestones"
JOB_PREFIX = "milestones:due:"
RETRY_JOB = f"{FEED}:retry"
WATERMARK = FEED
TARGET_GONE = "target-gone"
ANNOUNCEMENT_KINDS = tuple(kind.value for kind in TargetKind)
"""The deliveries table's target kinds that are the announcer's (the Discord events and study groups have others)."""


class Messenger(Protocol):
    """What the announcer needs from Discord (implemented in ``bot/adapters/announcements.py``)."""

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


class MilestoneAnnouncer(Feed[PlannedDelivery]):
    name = FEED
    label = "announcements"
    kinds = ANNOUNCEMENT_KINDS
    timer_prefix = JOB_PREFIX

    def __init__(
        self,
        planner: DeliveryPlanner,
        repository: MilestoneRepository,
        messenger: Messenger,
        entry_titles: EntryTitles,
        *,
        grace: timedelta,
        budget: RateBudget,
        clock: Clock = utc_now,
        horizon: timedelta = timedelta(days=3),
        sweep_every: timedelta = timedelta(minutes=10),
        max_lookback: timedelta = timedelta(days=30),
        retry_first: timedelta = FIRST_RETRY,
    ) -> None:
        self.planner = planner
        self.repository = repository
        self.messenger = messenger
        self.entry_titles = entry_titles
        self.grace = grace
        self.budget = budget
        self.clock = clock
        self.horizon = horizon
        # The whole grace window is planned again on every sweep (``rescan``): a reminder is cheap to recompute, and
        # the deliveries table says which are done.
        self.policy = FeedPolicy(
            sweep_every=sweep_every,
            grace=grace,
            rescan=grace,
            max_lookback=max_lookback,
            supersede=True,
            retry_first=retry_first,
        )
        self._broken_channels: set[tuple[int, int]] = set()
        self._broken_roles: set[int] = set()

    # -- the feed ----------------------------------------------------------------------------------------------------

    def _item(self, planned: PlannedDelivery) -> Item[PlannedDelivery]:
        return Item(planned.key, planned.fire_at, planned, planned.record(late=False), group_key=planned.group_key)

    async def due(self, sweep: Sweep) -> Sequence[Item[PlannedDelivery]]:
        planned = await self.planner.between(sweep.since, sweep.until + timedelta(microseconds=1))
        return [self._item(p) for p in planned]

    async def recover(self, record: DeliveryRecord) -> Item[PlannedDelivery] | str:
        planned = await self.planner.rebuild(record)
        return TARGET_GONE if planned is None else self._item(planned)

    async def wakeups(self, now: datetime) -> Mapping[str, datetime]:
        return {job_id(instant): instant for instant in await self.planner.instants_between(now, now + self.horizon)}

    async def send(self, item: Item[PlannedDelivery], *, nonce: str, late: bool) -> int:
        planned = item.payload
        milestone = planned.kind is TargetKind.MILESTONE
        # Found broken a moment ago (its server is paused now): not tried again.
        if (planned.guild_id, planned.channel_id) in self._broken_channels:
            raise DeliveryProblem(ProblemKind.CHANNEL_GONE, "paused a moment ago: the channel could not be used")
        if milestone and planned.guild_id in self._broken_roles:
            raise DeliveryProblem(ProblemKind.ROLE_GONE, "paused a moment ago: the role is gone")
        announcement = announcement_for(planned, self.entry_titles, late=late)
        return await self.messenger.post(
            planned.guild_id, planned.channel_id, announcement, nonce=nonce, role_required=milestone
        )

    async def find(self, item: Item[PlannedDelivery], record: DeliveryRecord) -> int | None:
        since = record.claimed_at or record.fire_at
        return await self.messenger.find_posted(
            record.guild_id, record.channel_id, delivery_reference(record.nonce), since
        )

    async def settled(self, item: Item[PlannedDelivery], result: DeliveryResult) -> None:
        problem = result.problem
        if result.outcome is not Outcome.FAILED or problem is None or "paused a moment ago" in problem.detail:
            return
        planned = item.payload
        if problem.kind is ProblemKind.ROLE_GONE:
            self._broken_roles.add(planned.guild_id)
        elif problem.kind is not ProblemKind.REJECTED:
            self._broken_channels.add((planned.guild_id, planned.channel_id))
        await self._handle_problem(planned, problem.kind)

    def resumed(self, guild_id: int) -> None:
        """The server's admin resumed the announcements: what broke is fixed (or will be found broken again)."""
        self._broken_channels = {(g, c) for g, c in self._broken_channels if g != guild_id}
        self._broken_roles.discard(guild_id)

    # -- problems ----------------------------------------------------------------------------------------------------

    async def _handle_problem(self, planned: PlannedDelivery, kind: ProblemKind) -> None:
        reason = REASON_FOR_PROBLEM.get(kind)
        if reason is None:
            log.error("Discord rejected %s; nothing paused. This is a bug of ours: see the error above.", planned.key)
            return
        notice = await pause_for_problem(
            self.repository,
            planned.guild_id,
            reason,
            self.clock(),
            channel_id=planned.channel_id,
            role_id=planned.role_id if reason is PauseReason.ROLE_GONE else None,
            also_tell=planned.notify_user_id,
        )
        if notice is not None:
            await self.notify(notice)

    async def notify(self, notice: Notice) -> None:
        """DM the server's admin (a turn of the rate budget, like every scheduled request)."""
        async with self.budget.slot():
            told = await self.messenger.notify(notice)
        if not told:
            log.warning(
                "server %s: could not tell anyone that announcements are paused (%s); DMs closed?",
                notice.guild_id,
                notice.reason.value,
            )
