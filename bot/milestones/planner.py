"""What should be posted when: planned deliveries derived from the database and the cycle calendar.

Nothing is stored as a schedule: subscriptions and server events are the truth, and the deliveries due in any
window are computed from them on demand (at start-up, at each due instant, on each sweep). A subscription only
gets reminders due at or after its ``active_since``; an event only those due at or after it was added (and after its
server's announcements were last resumed: ``/announcements pause`` holds the server's events too).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.cycle import CycleCalendar, Milestone, MilestoneKind, Reminder
from bot.cycle.rules import MAX_MATCH_YEAR, MIN_MATCH_YEAR
from bot.milestones.models import (
    MAX_POST_DELAY,
    PauseReason,
    PlannedDelivery,
    ServerEvent,
    Subscription,
    event_delivery,
    milestone_delivery,
    reminder_fire_at,
)
from bot.milestones.reminders import MAX_OFFSET
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import DeliveryRecord

log = logging.getLogger(__name__)

_LONGEST_DEFAULT = max(o for kind in MilestoneKind for o in kind.info.reminder_offsets)


def plan_milestones(
    subscriptions: Iterable[Subscription], calendar: CycleCalendar, start: datetime, end: datetime
) -> list[PlannedDelivery]:
    """Milestone reminders of active subscriptions with ``start <= fire_at < end``."""
    by_reminders: dict[tuple[timedelta, ...] | None, list[Subscription]] = defaultdict(list)
    for subscription in subscriptions:
        if subscription.active:
            by_reminders[subscription.reminders].append(subscription)
    planned: list[PlannedDelivery] = []
    # Servers sharing a reminder setting (usually all: the defaults) share the milestone arithmetic.
    for reminders, group in by_reminders.items():
        longest = max(reminders, default=timedelta(0)) if reminders is not None else _LONGEST_DEFAULT
        due: list[Reminder] = []
        # An approximate milestone is announced up to a day after the instant it is anchored at (announced_at).
        for milestone in calendar.between(start - MAX_POST_DELAY, end + longest):
            offsets = reminders if reminders is not None else milestone.reminder_offsets
            due.extend(
                reminder
                for reminder in (Reminder(milestone, offset) for offset in offsets)
                if start <= reminder_fire_at(reminder) < end
            )
        for subscription in group:
            planned.extend(
                milestone_delivery(subscription, reminder)
                for reminder in due
                if reminder_fire_at(reminder) >= subscription.active_since
            )
    return planned


def plan_events(
    events: Iterable[ServerEvent],
    roles: Mapping[int, int | None],
    start: datetime,
    end: datetime,
    posted: Mapping[int, Collection[timedelta]] | None = None,
    *,
    held: Collection[int] = (),
    since: Mapping[int, datetime] | None = None,
) -> list[PlannedDelivery]:
    """Reminders of active server events with ``start <= fire_at < end``; ``roles``: server -> role to ping (used
    only for the events added with ``ping``).

    A reminder is due only from when the event was added or last moved (``reminders_from``: one whose time had
    passed by then was never due), and once per event: ``posted`` (event id -> offsets) holds those already posted
    for an earlier time of an event that /event edit moved. ``held``: servers whose admin paused their announcements
    (``/announcements pause`` stops their events too); ``since``: server -> when its announcements were (re)started,
    so what fell due while they were paused is not posted after ``/announcements resume``, as for milestones."""
    planned = []
    for event in events:
        if not event.active or event.guild_id in held:
            continue
        done = posted.get(event.id, ()) if posted is not None else ()
        resumed_at = since.get(event.guild_id) if since is not None else None
        role = roles.get(event.guild_id) if event.ping else None
        for offset in event.reminders:
            fire_at = event.fire_at(offset)
            if not (start <= fire_at < end and fire_at >= event.reminders_from and offset not in done):
                continue
            if resumed_at is not None and fire_at < resumed_at:
                continue
            planned.append(event_delivery(event, offset, role))
    return planned


def held_by_admin(subscriptions: Iterable[Subscription]) -> set[int]:
    """Servers whose announcements an admin paused: none of their posts go out, server events included. (A pause for
    a broken channel or role stops only what uses it: events elsewhere keep being posted.)"""
    return {s.guild_id for s in subscriptions if not s.active and s.paused_reason is PauseReason.BY_ADMIN}


def milestone_by_uid(calendar: CycleCalendar, uid: str) -> Milestone | None:
    """``rol-deadline-2027`` -> that milestone, or None for an id that names none."""
    kind_value, _, year_text = uid.rpartition("-")
    try:
        kind, year = MilestoneKind(kind_value), int(year_text)
    except ValueError:
        return None
    if not MIN_MATCH_YEAR <= year <= MAX_MATCH_YEAR:
        return None
    return calendar.get(year, kind)


class DeliveryPlanner:
    def __init__(self, calendar: CycleCalendar, repository: MilestoneRepository) -> None:
        self.calendar = calendar
        self.repository = repository

    async def between(self, start: datetime, end: datetime) -> list[PlannedDelivery]:
        """Every delivery due in ``start <= fire_at < end``, in time order."""
        subscriptions = await self.repository.subscriptions(active_only=False)
        events = await self.repository.active_events_starting(start, end + MAX_OFFSET)
        posted = await self.repository.posted_event_reminders(events)
        planned = plan_milestones(subscriptions, self.calendar, start, end)
        planned += plan_events(
            events,
            {s.guild_id: s.role_id for s in subscriptions if s.active},
            start,
            end,
            posted,
            held=held_by_admin(subscriptions),
            since={s.guild_id: s.active_since for s in subscriptions},
        )
        planned.sort(key=lambda p: (p.fire_at, p.guild_id, p.key))
        return planned

    async def instants_between(self, start: datetime, end: datetime) -> set[datetime]:
        return {planned.fire_at for planned in await self.between(start, end)}

    async def upcoming_for(self, guild_id: int, now: datetime, count: int) -> list[PlannedDelivery]:
        """The server's next ``count`` deliveries (milestones and events) from ``now``."""
        subscription = await self.repository.subscription(guild_id)
        active = subscription is not None and subscription.active
        role = subscription.role_id if subscription is not None and active else None
        events = [e for e in await self.repository.events_of(guild_id, since=now) if e.active]
        posted = await self.repository.posted_event_reminders(events)
        found = plan_events(
            events,
            {guild_id: role},
            now,
            now + timedelta(days=3 * 366),
            posted,
            held=held_by_admin([subscription] if subscription is not None else []),
        )
        if subscription is not None and active:
            milestones: list[PlannedDelivery] = []
            start = now
            # Widen the window until enough are found; any 45 days of a cycle hold a few milestones.
            while len(milestones) < count and start < now + timedelta(days=400):
                end = start + timedelta(days=45)
                milestones += plan_milestones([subscription], self.calendar, start, end)
                start = end
            found += milestones
        found.sort(key=lambda p: (p.fire_at, p.key))
        return found[:count]

    async def rebuild(self, record: DeliveryRecord) -> PlannedDelivery | None:
        """The plan behind a delivery row (to send a claim left by a crash again); None when its target is gone
        or has moved (a moved target has new keys and is planned anew)."""
        offset = timedelta(seconds=record.offset_seconds)
        subscription = await self.repository.subscription(record.guild_id)
        role_id = subscription.role_id if subscription is not None and subscription.active else None
        if record.target_kind == "milestone":
            milestone = milestone_by_uid(self.calendar, record.target_ref)
            if milestone is None or milestone.at != record.occurs_at or subscription is None:
                return None
            planned = milestone_delivery(subscription, Reminder(milestone, offset))
        else:
            try:
                event = await self.repository.event(record.guild_id, int(record.target_ref))
            except ValueError:
                return None
            if event is None or event.starts_at != record.occurs_at:
                return None
            planned = event_delivery(event, offset, role_id)
        if planned.key != record.key:
            return None
        # The row says where it was claimed for; a retry must go to the same channel to meet its nonce.
        return replace(planned, channel_id=record.channel_id)
