"""When a study group's prompts and weekly recap are due, as UTC instants with stable keys (pure functions).

The delivery machinery (bot/scheduling) asks "what is due between the last time I looked and now", delivers
each occurrence once by its key, and skips what is older than the grace window instead of posting it late.

Decisions, all in the group's zone:

- **Prompts** are at ``local_time`` on each scheduled weekday. The key is ``prompt:{group_id}:{local date}``:
  one prompt per group per local day, so editing the time after today's prompt went out does not post it
  again.
- **Spring forward** (a local time that does not exist that day, e.g. 02:30 in New York on the second Sunday
  of March): the prompt is moved forward by the length of the gap, to 03:30, the instant a clock that did not
  jump would have shown 02:30. It is never skipped and never moved to the previous day.
- **Fall back** (a local time that happens twice, e.g. 01:30 in New York on the first Sunday of November): the
  first occurrence (the daylight-saving one). Once, because the key is per date.
- **The weekly recap** covers an ISO week (Monday to Sunday, by each member's own calendar day) and is due at
  ``max(Sunday 20:00, the week's last prompt + 2 h)``: at the end of the group's week, but never before the
  members had a couple of hours to answer the last prompt (a daily 20:00 group gets its recap on Sunday at
  22:00; a 07:00 group at Sunday 20:00; a 23:30 group on Monday at 01:30). Check-ins arriving after the recap
  still count for streaks and /progress, just not in that recap. The key is
  ``recap:{group_id}:{iso_year}-W{week:02d}``.
- **Grace**: a prompt is posted up to ``PROMPT_GRACE`` (1 hour) late and skipped after that: "what did you get
  done today?" an evening later is noise. A recap is still worth reading a day late (``RECAP_GRACE``); the
  sender should say it is late.
- **Nudges** are not scheduled here: ``nudges`` polls for them and keys one DM per member and local day
  ``sg:nudge:{user_id}:{local date}`` (``nudges.nudge_delivery_key``). The key holds a user id, so a member's
  nudge rows are exported and deleted with their data (bot/privacy.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from bot.studygroups.models import Schedule, StudyGroup

log = logging.getLogger(__name__)

PROMPT_GRACE = dt.timedelta(hours=1)
RECAP_GRACE = dt.timedelta(hours=24)
RECAP_EARLIEST = dt.time(20, 0)
"""The recap is never before Sunday at this local time."""
RECAP_AFTER_LAST_PROMPT = dt.timedelta(hours=2)
"""...and never sooner than this after the week's last prompt."""


class OccurrenceKind(StrEnum):
    PROMPT = "prompt"
    RECAP = "recap"


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, day: dt.date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def days(self) -> tuple[dt.date, ...]:
        start = self.monday
        return tuple(start + dt.timedelta(days=i) for i in range(7))

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + dt.timedelta(days=7))

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - dt.timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True)
class Occurrence:
    """One thing to deliver: a prompt for ``local_date`` or the recap of ``week``."""

    kind: OccurrenceKind
    key: str
    group_id: int
    due_at: dt.datetime
    local_date: dt.date
    """The group's local date of the prompt, or the Sunday that ends the recap's week."""
    week: IsoWeek

    @property
    def grace(self) -> dt.timedelta:
        return PROMPT_GRACE if self.kind is OccurrenceKind.PROMPT else RECAP_GRACE

    def missed(self, now: dt.datetime) -> bool:
        """True when it is too late to deliver: skip it (and record that) rather than post it late."""
        return now > self.due_at + self.grace

    def late(self, now: dt.datetime) -> bool:
        """Due but delivered after its time (within the grace): the message should say it is late."""
        return self.due_at < now <= self.due_at + self.grace and now - self.due_at > dt.timedelta(minutes=1)


# -- keys ----------------------------------------------------------------------------------------------------

DELIVERY_KEY_PREFIX = "sg:"
"""Before an occurrence's key in the delivery journal (``bot/scheduling``): ``sg:prompt:{group_id}:{date}``."""


def delivery_key(occurrence: Occurrence) -> str:
    """The occurrence's row in the delivery journal: once it has one, it is posted (or skipped) and never again."""
    return f"{DELIVERY_KEY_PREFIX}{occurrence.key}"


def prompt_key(group_id: int, local_date: dt.date) -> str:
    return f"prompt:{group_id}:{local_date.isoformat()}"


def recap_key(group_id: int, week: IsoWeek) -> str:
    return f"recap:{group_id}:{week}"


# -- wall clock to instants ----------------------------------------------------------------------------------


def localize(day: dt.date, wall: dt.time, zone: str | zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of ``wall`` on ``day`` in ``zone``: a skipped time moves forward by the gap, a repeated
    time is its first occurrence (see the module docstring)."""
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    naive = dt.datetime.combine(day, wall.replace(tzinfo=None, fold=0))
    # fold=0 means "the offset before the transition": for a repeated time that is the first occurrence, and
    # for a skipped time it lands exactly the gap's length after the wall time (02:30 EST = 03:30 EDT).
    return naive.replace(tzinfo=tz).astimezone(dt.UTC)


def local_date(instant: dt.datetime, zone: str | zoneinfo.ZoneInfo) -> dt.date:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass aware instants")
    tz = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    return instant.astimezone(tz).date()


def is_wall_time_skipped(day: dt.date, wall: dt.time, zone: str) -> bool:
    """True when ``wall`` does not exist on ``day`` in ``zone`` (a spring-forward gap)."""
    instant = localize(day, wall, zone)
    back = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return (back.date(), back.time().replace(tzinfo=None)) != (day, wall.replace(tzinfo=None))


# -- prompts -------------------------------------------------------------------------------------------------


def prompt_on(group: StudyGroup, day: dt.date) -> Occurrence | None:
    """The prompt of ``group`` on its local ``day``, or None when that weekday has no prompt."""
    schedule = group.schedule
    if day.weekday() not in schedule.weekdays:
        return None
    return Occurrence(
        OccurrenceKind.PROMPT,
        prompt_key(group.id, day),
        group.id,
        localize(day, schedule.local_time, schedule.zone),
        day,
        IsoWeek.of(day),
    )


def prompts_after(group: StudyGroup, after: dt.datetime) -> Iterator[Occurrence]:
    """The group's prompts strictly after ``after``, in order, forever (archived groups have none)."""
    if not group.active:
        return
    day = local_date(after, group.schedule.zone) - dt.timedelta(days=1)
    while True:
        occurrence = prompt_on(group, day)
        if occurrence is not None and occurrence.due_at > after:
            yield occurrence
        day += dt.timedelta(days=1)


def next_prompt(group: StudyGroup, after: dt.datetime) -> Occurrence | None:
    """The first prompt strictly after ``after``; None for an archived group."""
    return next(prompts_after(group, after), None)


def prompts_between(group: StudyGroup, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """Prompts due in ``(start, end]``."""
    found = []
    for occurrence in prompts_after(group, start):
        if occurrence.due_at > end:
            break
        found.append(occurrence)
    return found


# -- recaps --------------------------------------------------------------------------------------------------


def last_prompt_of_week(schedule: Schedule, week: IsoWeek) -> dt.datetime:
    last_weekday = max(schedule.weekdays)
    return localize(dt.date.fromisocalendar(week.year, week.week, last_weekday + 1), schedule.local_time, schedule.zone)


def recap_instant(schedule: Schedule, week: IsoWeek) -> dt.datetime:
    """When the recap of ``week`` is due (see the module docstring)."""
    earliest = localize(week.sunday, RECAP_EARLIEST, schedule.zone)
    return max(earliest, last_prompt_of_week(schedule, week) + RECAP_AFTER_LAST_PROMPT)


def recap_for(group: StudyGroup, week: IsoWeek) -> Occurrence:
    return Occurrence(
        OccurrenceKind.RECAP,
        recap_key(group.id, week),
        group.id,
        recap_instant(group.schedule, week),
        week.sunday,
        week,
    )


def recaps_after(group: StudyGroup, after: dt.datetime) -> Iterator[Occurrence]:
    if not group.active:
        return
    # The recap of the previous week can still be ahead (a Monday 01:30 recap), so start one week back.
    week = IsoWeek.of(local_date(after, group.schedule.zone)).previous()
    while True:
        occurrence = recap_for(group, week)
        if occurrence.due_at > after:
            yield occurrence
        week = week.next()


def next_recap(group: StudyGroup, after: dt.datetime) -> Occurrence | None:
    """The first recap strictly after ``after``; None for an archived group."""
    return next(recaps_after(group, after), None)


def next_occurrence(group: StudyGroup, after: dt.datetime) -> Occurrence | None:
    """The group's next prompt or recap after ``after`` (the earlier of the two), for arming a timer."""
    candidates = [o for o in (next_prompt(group, after), next_recap(group, after)) if o is not None]
    return min(candidates, key=lambda o: (o.due_at, o.kind.value)) if candidates else None


@dataclass(frozen=True)
class DueWork:
    """``due``: deliver now, oldest first; ``missed``: beyond the grace, skip (never post late)."""

    due: tuple[Occurrence, ...]
    missed: tuple[Occurrence, ...]


def due_between(group: StudyGroup, since: dt.datetime, now: dt.datetime) -> DueWork:
    """Prompts and recaps due in ``(since, now]``, split by whether they are still within their grace window.

    ``since`` is when the caller last looked (e.g. the last delivery, or the bot's last heartbeat before a
    restart); already-delivered keys are the caller's to filter out.
    """
    if now <= since:
        return DueWork((), ())
    found = prompts_between(group, since, now)
    for occurrence in recaps_after(group, since):
        if occurrence.due_at > now:
            break
        found.append(occurrence)
    found.sort(key=lambda o: (o.due_at, o.kind.value))
    due = tuple(o for o in found if not o.missed(now))
    missed = tuple(o for o in found if o.missed(now))
    return DueWork(due, missed)
