"""Reminders of members' own dates by DM: a feed of the scheduling runner (``bot.scheduling.runner``).

Nothing is stored as a schedule: the dates are the truth, and the reminders due in a window are computed from them
(``plan_reminders``), as announcements are from subscriptions and server events. The runner does the rest the same
way as for announcements:

- **exactly once**: one delivery key per date and reminder (``md:{user}:{date}:{offset seconds}``), claimed before
  the DM is sent with that key's nonce; a claim left by a crash is looked for in the DMs by the ``ref`` in the
  footer, and sent again (same nonce) only when it is surely not there;
- **the announcements' late policy**: after downtime, a reminder that fell due within the grace window
  (``DELIVERY_GRACE_HOURS``) is sent, only the latest one of each date (``policy.supersede``); older ones are
  skipped and logged; one sent more than two minutes after its time says it is late;
- **timers**: one job per due instant of the next ``horizon`` (``mydates:due:<instant>``), re-armed after each sweep
  and whenever a member adds or removes a date.

A member whose DM Discord refuses (50007: they do not accept DMs from the bot, or share no server with it) has their
reminders paused (``my_dates_dm_pauses``): later ones are skipped, not tried, until they next use /mydates, which
tells them once and resumes them. A reminder of a date removed meanwhile is skipped.

No discord import: ``ReminderSender`` is implemented in ``bot/ui/mydates.py`` and given here by ``bot/app.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.milestones.reminders import MAX_OFFSET
from bot.mydates.models import MyDate
from bot.mydates.repository import REMINDER_TARGET_KIND, MyDatesRepository
from bot.scheduling import (
    FIRST_RETRY,
    DeliveryRecord,
    DeliveryResult,
    Feed,
    FeedPolicy,
    Hold,
    Item,
    Outcome,
    ProblemKind,
    Skip,
    Sweep,
    delivery_nonce,
    delivery_reference,
)

log = logging.getLogger(__name__)

FEED = "mydates"
JOB_PREFIX = "mydates:due:"
KEY_PREFIX = "md:"
HORIZON = dt.timedelta(days=3)
"""Timers are armed this far ahead; the sweep every ``SWEEP_EVERY`` re-arms them (and catches anything between)."""
SWEEP_EVERY = dt.timedelta(minutes=10)
UNREACHABLE = frozenset({ProblemKind.NO_PERMISSION, ProblemKind.CHANNEL_GONE})
"""A 403 (50007: the member does not accept DMs from the bot) or a 404 (the user is gone): reminders pause."""
REMOVED = "the date was removed"
PAUSED = "reminders paused: the member's DMs are closed to the bot"


def reminder_key(user_id: int, date_id: int, offset: dt.timedelta) -> str:
    return f"{KEY_PREFIX}{user_id}:{date_id}:{int(offset.total_seconds())}"


def parse_reminder_key(key: str) -> tuple[int, int, dt.timedelta] | None:
    """``md:{user}:{date}:{seconds}`` -> (user id, date id, offset); None for a key that is not one."""
    parts = key.removeprefix(KEY_PREFIX).split(":") if key.startswith(KEY_PREFIX) else []
    if len(parts) != 3 or not all(part.isdecimal() for part in parts):
        return None
    return int(parts[0]), int(parts[1]), dt.timedelta(seconds=int(parts[2]))


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder DM of one date."""

    date: MyDate
    offset: dt.timedelta

    @property
    def fire_at(self) -> dt.datetime:
        return self.date.starts_at - self.offset

    @property
    def key(self) -> str:
        return reminder_key(self.date.user_id, self.date.id, self.offset)

    @property
    def group_key(self) -> str:
        """The date: of several of its reminders missed while the bot was down, only the latest is sent."""
        return f"{KEY_PREFIX}{self.date.user_id}:{self.date.id}"

    def record(self) -> DeliveryRecord:
        # A DM belongs to no server (guild 0: out of every server's delivery status) and its channel is opened when
        # sending (channel 0); the member is named in target_ref, which /mydata export and delete cover.
        return DeliveryRecord(
            key=self.key,
            group_key=self.group_key,
            guild_id=0,
            channel_id=0,
            target_kind=REMINDER_TARGET_KIND,
            target_ref=str(self.date.user_id),
            offset_seconds=int(self.offset.total_seconds()),
            occurs_at=self.date.starts_at,
            fire_at=self.fire_at,
            nonce=delivery_nonce(self.key),
        )


def plan_reminders(dates: Iterable[MyDate], start: dt.datetime, end: dt.datetime) -> list[PlannedReminder]:
    """Reminders with ``start <= fire_at < end``, in time order. A reminder whose time had already passed when its
    date was added is never planned (adding a date tomorrow with ``7d`` sends no "7 days before" today)."""
    planned = [
        PlannedReminder(date, offset)
        for date in dates
        for offset in date.reminders
        if start <= date.starts_at - offset < end and date.starts_at - offset >= date.created_at
    ]
    planned.sort(key=lambda p: (p.fire_at, p.date.user_id, p.key))
    return planned


def job_id(instant: dt.datetime) -> str:
    return f"{JOB_PREFIX}{instant.astimezone(dt.UTC):%Y%m%dT%H%M%S.%fZ}"


class ReminderSender(Protocol):
    async def send_reminder(self, reminder: PlannedReminder, *, late: bool, nonce: str) -> int:
        """DM the member; the message id. Raises DeliveryProblem (403/404: they cannot be DMed) or
        TransientDeliveryError."""
        ...

    async def find_reminder(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        """The id of a reminder DM sent to the member after ``since`` with this reference in its footer, if any."""
        ...


class MyDateReminders(Feed[PlannedReminder]):
    name = FEED
    label = "date reminders"
    kinds = (REMINDER_TARGET_KIND,)
    timer_prefix = JOB_PREFIX

    def __init__(
        self,
        repository: MyDatesRepository,
        sender: ReminderSender,
        *,
        grace: dt.timedelta,
        clock: Callable[[], dt.datetime],
        sweep_every: dt.timedelta = SWEEP_EVERY,
        horizon: dt.timedelta = HORIZON,
        retry_first: dt.timedelta = FIRST_RETRY,
    ) -> None:
        self.repository = repository
        self.sender = sender
        self.clock = clock
        self.horizon = horizon
        # The announcements' policy (bot/milestones/announcer.py): the grace window is planned again on every sweep,
        # and of a date's reminders missed while the bot was down only the latest is sent.
        self.policy = FeedPolicy(
            sweep_every=sweep_every, grace=grace, rescan=grace, supersede=True, retry_first=retry_first
        )

    async def between(self, start: dt.datetime, end: dt.datetime) -> list[PlannedReminder]:
        # A reminder is at most MAX_OFFSET before its date: dates starting up to that far after the window matter.
        return plan_reminders(await self.repository.starting_between(start, end + MAX_OFFSET), start, end)

    def _item(self, reminder: PlannedReminder) -> Item[PlannedReminder]:
        return Item(reminder.key, reminder.fire_at, reminder, reminder.record(), group_key=reminder.group_key)

    async def due(self, sweep: Sweep) -> Sequence[Item[PlannedReminder]]:
        planned = await self.between(sweep.since, sweep.until + dt.timedelta(microseconds=1))
        sweep.notes["due"] = len(planned)
        return [self._item(reminder) for reminder in planned]

    async def wakeups(self, now: dt.datetime) -> Mapping[str, dt.datetime]:
        return {job_id(r.fire_at): r.fire_at for r in await self.between(now, now + self.horizon)}

    async def recover(self, record: DeliveryRecord) -> Item[PlannedReminder] | str:
        parsed = parse_reminder_key(record.key)
        date = await self.repository.get(parsed[1]) if parsed is not None else None
        if parsed is None or date is None or date.user_id != parsed[0]:
            return REMOVED
        return self._item(PlannedReminder(date, parsed[2]))

    async def check(self, item: Item[PlannedReminder]) -> Hold | Skip | None:
        # What is due was worked out when the sweep began: the date may have been removed since, or the member's
        # DMs found closed by an earlier reminder (then nothing is tried until they use /mydates again).
        date = item.payload.date
        current = await self.repository.get(date.id)
        if current is None or current.user_id != date.user_id:
            return Skip(REMOVED)
        if await self.repository.pause_of(date.user_id) is not None:
            return Skip(PAUSED)
        return None

    async def send(self, item: Item[PlannedReminder], *, nonce: str, late: bool) -> int:
        return await self.sender.send_reminder(item.payload, late=late, nonce=nonce)

    async def find(self, item: Item[PlannedReminder], record: DeliveryRecord) -> int | None:
        since = record.claimed_at or record.fire_at
        return await self.sender.find_reminder(item.payload.date.user_id, delivery_reference(record.nonce), since)

    async def settled(self, item: Item[PlannedReminder], result: DeliveryResult) -> None:
        if result.outcome is not Outcome.FAILED:
            return
        problem = result.problem
        date = item.payload.date
        if problem is not None and problem.kind in UNREACHABLE:
            await self.repository.pause(date.user_id, date.name, self.clock())
            log.warning(
                "could not DM a date reminder (%s); that member's reminders are paused until they use /mydates",
                problem,
            )
        else:
            log.error("a date reminder DM was refused (%s); it is not retried", problem)
