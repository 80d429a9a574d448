"""What an announcement says, as plain values; ``bot/ui/milestones.py`` turns it into an embed.

An announcement tells an applicant what happens, when (a moment for timed milestones; a date for all-day ones, so
nobody sees it on the wrong day in their own zone), whether the date is official or projected, what to do now (the
kind's checklist) and which /topic entry to read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.cycle import NRMP_ZONE, Milestone, MilestoneStatus
from bot.milestones.events import MAX_DESCRIPTION, MAX_TITLE
from bot.milestones.models import PlannedDelivery, ServerEvent, TargetKind, is_approximate
from bot.milestones.reminders import describe_duration
from bot.scheduling.delivery import delivery_reference
from bot.text import quote_user_text

log = logging.getLogger(__name__)

EntryTitles = Callable[[str], str | None]
"""Knowledge entry id -> its title (None when the entry is missing)."""

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def spell_date(day: date) -> str:
    """``Wednesday, July 1, 2027``, independent of the process locale."""
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def zone_label(zone: str) -> str:
    return "US Eastern time" if zone == NRMP_ZONE else zone


@dataclass(frozen=True, slots=True)
class Announcement:
    kind: TargetKind
    headline: str
    """E.g. ``In 7 days: Rank order list (ROL) certification deadline``."""
    title: str
    at: datetime
    """UTC; shown as a Discord timestamp unless ``all_day``."""
    all_day: bool
    local_text: str
    """The date (all-day) or date and time in the target's own zone, e.g. ``Wednesday, March 3, 2027, 21:00 US
    Eastern time``."""
    status: MilestoneStatus | None = None
    approximate: bool = False
    """The milestone has no date of its own (``models.is_approximate``): the post says so."""
    match_year: int | None = None
    checklist: tuple[str, ...] = ()
    kb_entry_id: str | None = None
    kb_entry_title: str | None = None
    details: str = ""
    """The event's description (made safe to post, like its title: ``moderator_text``), or the milestone's note."""
    source_title: str | None = None
    source_url: str | None = None
    late_due_at: datetime | None = None
    """Set when posted late: when it was due."""
    preview: bool = False
    reference: str | None = None
    """Shown in the footer; finds the message again after a crash (``delivery_reference``)."""
    role_id: int | None = None
    """The only role the message may ping (never when previewing)."""


def _local_text(moment: datetime, zone: str, all_day: bool) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    if all_day:
        return spell_date(local.date())
    clock = f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"
    return f"{spell_date(local.date())}, {clock} {zone_label(zone)}"


def _headline(title: str, offset: timedelta, *, all_day: bool, event: bool, late: bool, preview: bool) -> str:
    if preview:
        return f"Preview: {title}"
    if late:
        return f"Reminder: {title}"
    if offset <= timedelta(0):
        if event:
            return f"Starting now: {title}"
        return f"Today: {title}" if all_day else f"Now: {title}"
    return f"In {describe_duration(offset)}: {title}"


def milestone_announcement(
    milestone: Milestone,
    entry_titles: EntryTitles,
    *,
    offset: timedelta = timedelta(0),
    late_due_at: datetime | None = None,
    preview: bool = False,
    reference: str | None = None,
    role_id: int | None = None,
) -> Announcement:
    return Announcement(
        kind=TargetKind.MILESTONE,
        headline=_headline(
            f"{milestone.title} (Match {milestone.match_year})",
            offset,
            all_day=milestone.all_day,
            event=False,
            late=late_due_at is not None,
            preview=preview,
        ),
        title=milestone.title,
        at=milestone.at,
        all_day=milestone.all_day,
        local_text=_local_text(milestone.at, milestone.zone, milestone.all_day),
        status=milestone.status,
        approximate=is_approximate(milestone),
        match_year=milestone.match_year,
        checklist=milestone.checklist,
        kb_entry_id=milestone.kb_entry,
        kb_entry_title=entry_titles(milestone.kb_entry),
        details=milestone.note,
        source_title=milestone.source.title,
        source_url=milestone.source.url,
        late_due_at=late_due_at,
        preview=preview,
        reference=reference,
        role_id=None if preview else role_id,
    )


def moderator_text(text: str, limit: int) -> str:
    """An event's title or description as a moderator typed it, safe to post: one line, no markdown, and no mention
    left to render (Discord shows ``<@123>`` in an embed title as "@unknown-user" even though it pings nobody)."""
    return quote_user_text(text, limit)


def event_announcement(
    event: ServerEvent,
    *,
    offset: timedelta = timedelta(0),
    late_due_at: datetime | None = None,
    preview: bool = False,
    reference: str | None = None,
    role_id: int | None = None,
) -> Announcement:
    title = moderator_text(event.title, MAX_TITLE)
    return Announcement(
        kind=TargetKind.EVENT,
        headline=_headline(title, offset, all_day=False, event=True, late=late_due_at is not None, preview=preview),
        title=title,
        at=event.starts_at,
        all_day=False,
        local_text=_local_text(event.starts_at, event.zone, False),
        details=moderator_text(event.description, MAX_DESCRIPTION),
        late_due_at=late_due_at,
        preview=preview,
        reference=reference,
        role_id=None if preview else role_id,
    )


def announcement_for(planned: PlannedDelivery, entry_titles: EntryTitles, *, late: bool) -> Announcement:
    """The message for one planned delivery (``late``: posted after its time, by a catch-up)."""
    late_due_at = planned.fire_at if late else None
    reference = delivery_reference(planned.nonce)
    if planned.milestone is not None:
        return milestone_announcement(
            planned.milestone,
            entry_titles,
            offset=planned.offset,
            late_due_at=late_due_at,
            reference=reference,
            role_id=planned.role_id,
        )
    if planned.event is None:
        raise ValueError(f"planned delivery {planned.key} has neither a milestone nor an event")
    return event_announcement(
        planned.event, offset=planned.offset, late_due_at=late_due_at, reference=reference, role_id=planned.role_id
    )
