"""Milestone announcements as plain values: subscriptions, server events and planned deliveries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.cycle import Milestone, MilestoneKind, Reminder
from bot.cycle.models import format_offset
from bot.scheduling.delivery import DeliveryRecord, delivery_nonce

log = logging.getLogger(__name__)


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class PauseReason(StrEnum):
    """Why a subscription or a server event is paused; the problems say how to fix them."""

    BY_ADMIN = "paused-by-admin"
    CHANNEL_GONE = "channel-gone"
    NO_PERMISSION = "no-permission"
    ROLE_GONE = "role-gone"
    SERVER_GONE = "server-gone"


class TargetKind(StrEnum):
    MILESTONE = "milestone"
    EVENT = "event"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A server's milestone announcements: where they go, whom they ping, and when."""

    guild_id: int
    channel_id: int
    role_id: int | None
    reminders: tuple[timedelta, ...] | None
    """Offsets before each milestone; None: each kind's own defaults."""
    status: Status
    paused_reason: PauseReason | None
    configured_by: int
    active_since: datetime
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE

    def offsets_for(self, kind: MilestoneKind) -> tuple[timedelta, ...]:
        return self.reminders if self.reminders is not None else kind.info.reminder_offsets


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """A server's own date (a mock exam, a webinar), announced like a milestone."""

    id: int
    guild_id: int
    channel_id: int
    title: str
    description: str
    starts_at: datetime
    zone: str
    reminders: tuple[timedelta, ...]
    status: Status
    paused_reason: PauseReason | None
    created_by: int
    created_at: datetime
    announce_from: datetime | None = None
    """Reminders due before this are not posted: when it was added, or last moved or given other reminders by
    /event edit (None: when it was added)."""
    ping: bool = True
    """Its reminders ping the server's announcement role (``/event add ping:``). Events added before the choice
    existed always did, so True stays their default."""

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE

    @property
    def reminders_from(self) -> datetime:
        return self.announce_from or self.created_at

    def fire_at(self, offset: timedelta) -> datetime:
        return self.starts_at - offset

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.zone))


def _compact(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """One message that should be posted: a reminder of a milestone or event, in one server's channel.

    ``key`` is the exactly-once key (server, target, occurrence, reminder); ``group_key`` the occurrence (all of its
    reminders in one server), which the grace policy uses to post only the latest missed reminder.
    """

    key: str
    group_key: str
    kind: TargetKind
    target_ref: str
    guild_id: int
    channel_id: int
    role_id: int | None
    offset: timedelta
    occurs_at: datetime
    fire_at: datetime
    notify_user_id: int | None
    milestone: Milestone | None = None
    event: ServerEvent | None = None

    @property
    def nonce(self) -> str:
        return delivery_nonce(self.key)

    @property
    def title(self) -> str:
        if self.milestone is not None:
            return self.milestone.title
        return self.event.title if self.event is not None else self.target_ref

    def record(self, *, late: bool) -> DeliveryRecord:
        return DeliveryRecord(
            key=self.key,
            group_key=self.group_key,
            guild_id=self.guild_id,
            channel_id=self.channel_id,
            target_kind=self.kind.value,
            target_ref=self.target_ref,
            offset_seconds=int(self.offset.total_seconds()),
            occurs_at=self.occurs_at,
            fire_at=self.fire_at,
            nonce=self.nonce,
            late=late,
        )


APPROXIMATE_KINDS = frozenset({MilestoneKind.INTERVIEW_SEASON_BEGINS, MilestoneKind.INTERVIEW_SEASON_ENDS})
"""Milestones with no date of their own (each program sets its interviews): their dates are approximate, and say so
in their title (a test keeps this set and the titles in step)."""
APPROXIMATE_POST_TIME = time(15, 0, tzinfo=UTC)
"""When an approximate milestone is announced on its date: 15:00 UTC is 10:00 or 11:00 in New York and 07:00 or 08:00
in California, 16:00-18:00 in Lagos and Cairo, 20:00 in Karachi, 20:30 in India and 21:00 in Dhaka, 23:00 in Manila:
the same date and waking hours from the US West Coast to South and Southeast Asia, where most members live. Its date
is all it has, so the US Eastern midnight it is anchored at (for the calendar) is no time to post: that is 10:30 in
the morning in India but the middle of the night for everyone in the Americas."""
MAX_POST_DELAY = timedelta(days=1)
"""An approximate milestone is announced less than a day after the instant it is anchored at."""


def is_approximate(milestone: Milestone) -> bool:
    return milestone.all_day and milestone.kind in APPROXIMATE_KINDS


def announced_at(milestone: Milestone) -> datetime:
    """When the milestone itself is announced ("Today: ..."); its reminders come their offset before this."""
    if is_approximate(milestone):
        return datetime.combine(milestone.local_date, APPROXIMATE_POST_TIME)
    return milestone.at


def reminder_fire_at(reminder: Reminder) -> datetime:
    return announced_at(reminder.milestone) - reminder.offset


def milestone_delivery(subscription: Subscription, reminder: Reminder) -> PlannedDelivery:
    """Key ``m:<server>:<Reminder.key>``, e.g. ``m:42:rol-deadline-2027:7d:20270304T0200Z``."""
    milestone = reminder.milestone
    guild = subscription.guild_id
    return PlannedDelivery(
        key=f"m:{guild}:{reminder.key}",
        group_key=f"m:{guild}:{milestone.uid}:{milestone.at:%Y%m%dT%H%MZ}",
        kind=TargetKind.MILESTONE,
        target_ref=milestone.uid,
        guild_id=guild,
        channel_id=subscription.channel_id,
        role_id=subscription.role_id,
        offset=reminder.offset,
        occurs_at=milestone.at,
        fire_at=reminder_fire_at(reminder),
        notify_user_id=subscription.configured_by,
        milestone=milestone,
    )


def event_delivery(event: ServerEvent, offset: timedelta, role_id: int | None) -> PlannedDelivery:
    """Key ``e:<server>:<event id>:<offset>:<start>``; the start is in the key so a moved event is announced anew."""
    occurrence = _compact(event.starts_at)
    return PlannedDelivery(
        key=f"e:{event.guild_id}:{event.id}:{format_offset(offset)}:{occurrence}",
        group_key=f"e:{event.guild_id}:{event.id}:{occurrence}",
        kind=TargetKind.EVENT,
        target_ref=str(event.id),
        guild_id=event.guild_id,
        channel_id=event.channel_id,
        role_id=role_id,
        offset=offset,
        occurs_at=event.starts_at,
        fire_at=event.starts_at - offset,
        notify_user_id=event.created_by,
        event=event,
    )


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a server admin must be told (by DM): what stopped and how to fix it."""

    guild_id: int
    recipients: tuple[int, ...]
    """Whom to tell first (the admin who configured it); the messenger falls back to the server owner."""
    reason: PauseReason
    channel_id: int | None = None
    role_id: int | None = None
    subscription_paused: bool = False
    events_paused: tuple[str, ...] = ()
    """Titles of the server events paused with it."""
