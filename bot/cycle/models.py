"""What a Match cycle is made of: the milestone kinds, the rules of each kind, and dated milestones.

A *Match cycle* is named by its Match year Y: "Match 2027" runs from the ERAS 2027 season opening (June 2026)
to residency start (July 1, 2027). Every milestone belongs to exactly one cycle, so ERAS 2027 events belong to
Match 2027 even though they happen in 2026.

Pure data: no I/O, no discord. The dates themselves come from ``rules`` (projections) and ``loader`` (data files),
the words an applicant reads (title, checklist) from ``data/cycles/milestone-kinds.yaml`` (``words``);
``calendar.CycleCalendar`` combines them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

NRMP_ZONE = "America/New_York"
"""All NRMP, AAMC and ECFMG times are US Eastern; this is the zone of every projected milestone."""


class MilestoneKind(StrEnum):
    """Every milestone of a Match cycle. The value is the stable slug used in data files, job ids and UIDs.

    Members are declared in the order they normally happen; ``calendar`` uses that order to break ties between
    milestones at the same instant, so keep it chronological when adding one.
    """

    ERAS_SEASON_OPENS = "eras-season-opens"
    ERAS_TOKEN_AVAILABLE = "eras-token-available"
    PATHWAYS_OPENS = "pathways-opens"
    ERAS_SUBMISSION_OPENS = "eras-submission-opens"
    NRMP_REGISTRATION_OPENS = "nrmp-registration-opens"
    ERAS_PROGRAM_REVIEW = "eras-program-review"
    INTERVIEW_SEASON_BEGINS = "interview-season-begins"
    NRMP_REGISTRATION_DEADLINE = "nrmp-registration-deadline"
    INTERVIEW_SEASON_ENDS = "interview-season-ends"
    PATHWAYS_DEADLINE = "pathways-deadline"
    RANKING_OPENS = "ranking-opens"
    ROL_DEADLINE = "rol-deadline"
    MATCH_WEEK = "match-week"
    SOAP_OPENS = "soap-opens"
    SOAP_ROUND_1 = "soap-round-1"
    SOAP_ROUND_2 = "soap-round-2"
    SOAP_ROUND_3 = "soap-round-3"
    SOAP_ROUND_4 = "soap-round-4"
    SOAP_ENDS = "soap-ends"
    MATCH_DAY = "match-day"
    ERAS_SEASON_ENDS = "eras-season-ends"
    RESIDENCY_START = "residency-start"

    @property
    def info(self) -> KindInfo:
        """Knowledge entry, reminder offsets and event length of this kind (its words are in the data file)."""
        return KIND_INFO[self]

    @property
    def order(self) -> int:
        """Position in the usual sequence of a cycle (declaration order)."""
        return _KIND_ORDER[self]


class MilestoneStatus(StrEnum):
    """Whether a date was published by NRMP / AAMC / ECFMG, or is our best estimate until it is."""

    OFFICIAL = "official"
    PROJECTED = "projected"


@dataclass(frozen=True, slots=True)
class KindInfo:
    """The rules of a milestone kind: the knowledge entry it points readers to, when reminders go out, and how long
    its calendar event lasts. What it says to an applicant is in ``KindWords``."""

    kb_entry: str
    reminder_offsets: tuple[timedelta, ...]
    duration: timedelta = timedelta(minutes=30)
    """Length of the calendar event for timed milestones (an .ics event needs one); all-day ones last one day."""


@dataclass(frozen=True, slots=True)
class KindWords:
    """What a milestone kind says to an applicant, from ``data/cycles/milestone-kinds.yaml`` (``words``). Plain
    English for readers of English as a second language; never a time, because the dated ``Milestone`` carries it."""

    title: str
    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a date comes from: a primary page for official dates, the pattern pages for projections."""

    title: str
    url: str


def local_to_utc(day: date, at: time | None, zone: str) -> datetime:
    """The UTC instant of a local date and wall-clock time (00:00 when ``at`` is None) in an IANA zone.

    Raises ValueError for a wall-clock time that does not exist (skipped by a DST change) or happens twice
    (repeated by one): a deadline must never silently move by an hour.
    """
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, at or time(0, 0))
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # zoneinfo resolves a skipped time by moving it; a real one survives the round trip unchanged.
        if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            raise ValueError(f"{wall:%Y-%m-%d %H:%M} does not exist in {zone} (skipped by a daylight-saving change)")
        raise ValueError(f"{wall:%Y-%m-%d %H:%M} happens twice in {zone} (daylight-saving change); pick another")
    return first.astimezone(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"milestone time must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Milestone:
    """One dated event of one Match cycle.

    ``at`` is always UTC. It was derived from a local date (and time) in ``zone``; ``local_at`` gives that back.
    All-day milestones (a date without a published time, e.g. residency start on July 1) are anchored at 00:00
    local time in ``zone``: they count as "passed" from the start of that day in US Eastern time. Show them as a
    date (``local_date``), never as a clock time or a Discord timestamp, so no reader sees them on the wrong day.

    ``words`` (title and checklist) come from the data file; ``CycleCalendar`` gives them to every milestone it hands
    out. The rules and the cycle files only date a kind, so the milestones they build have none yet.
    """

    kind: MilestoneKind
    match_year: int
    at: datetime
    status: MilestoneStatus
    source: Source
    note: str = ""
    all_day: bool = False
    zone: str = NRMP_ZONE
    # Not compared: the words follow from the kind, and a milestone is the same date whether or not it has them yet.
    words: KindWords | None = field(default=None, repr=False, compare=False)
    _local: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        at = _utc(self.at)
        object.__setattr__(self, "at", at)
        local = at.astimezone(ZoneInfo(self.zone))
        if self.all_day and (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            raise ValueError(f"all-day milestone {self.kind} must be at 00:00 {self.zone}, got {local.isoformat()}")
        object.__setattr__(self, "_local", local)

    @property
    def info(self) -> KindInfo:
        return self.kind.info

    @property
    def title(self) -> str:
        return self._words().title

    @property
    def checklist(self) -> tuple[str, ...]:
        return self._words().checklist

    def _words(self) -> KindWords:
        if self.words is None:
            raise LookupError(f"milestone {self.uid} has no words: take milestones from a CycleCalendar")
        return self.words

    @property
    def kb_entry(self) -> str:
        return self.kind.info.kb_entry

    @property
    def reminder_offsets(self) -> tuple[timedelta, ...]:
        return self.kind.info.reminder_offsets

    @property
    def is_projected(self) -> bool:
        return self.status is MilestoneStatus.PROJECTED

    @property
    def uid(self) -> str:
        """Stable id of this milestone across restarts and data edits, e.g. ``rol-deadline-2027``."""
        return f"{self.kind.value}-{self.match_year}"

    @property
    def local_at(self) -> datetime:
        """The same instant in the milestone's own zone (US Eastern for NRMP/AAMC/ECFMG)."""
        return self._local

    @property
    def local_date(self) -> date:
        """The calendar date in the milestone's own zone; the date to show for all-day milestones."""
        return self._local.date()

    @property
    def end(self) -> datetime:
        """When the calendar event ends (UTC): the next local midnight for all-day ones, else ``at + duration``."""
        if self.all_day:
            next_day = datetime.combine(self.local_date + timedelta(days=1), self._local.timetz())
            return next_day.replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)
        return self.at + self.kind.info.duration

    def reminders(self) -> list[Reminder]:
        """One reminder per default offset of this kind, earliest first."""
        offsets = sorted(self.kind.info.reminder_offsets, reverse=True)
        return [Reminder(milestone=self, offset=offset) for offset in offsets]


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder ``offset`` before a milestone (offset 0 = at the time)."""

    milestone: Milestone
    offset: timedelta

    @property
    def fire_at(self) -> datetime:
        return self.milestone.at - self.offset

    @property
    def key(self) -> str:
        """Idempotency key for delivery, e.g. ``rol-deadline-2027:7d:20270304T0200Z``.

        It contains the milestone's instant on purpose: when an official date replaces a different projected
        one, the reminders for the new date get new keys and are sent again, as a correction should be. A change
        of status alone (projected -> official, same instant) keeps the key, so nothing is sent twice.
        """
        return f"{self.milestone.uid}:{format_offset(self.offset)}:{self.milestone.at:%Y%m%dT%H%MZ}"


def format_offset(offset: timedelta) -> str:
    """``7d``, ``3h``, ``30m``, ``1d12h`` or ``0``: a short, stable label for a reminder offset."""
    seconds = int(offset.total_seconds())
    if seconds < 0:
        raise ValueError(f"reminder offsets are durations before the milestone, got {offset!r}")
    if seconds == 0:
        return "0"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return "".join(parts)


_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_NOW = timedelta(0)

# SOAP offer rounds are four separate kinds rather than one milestone with rounds: each has its own exact time and
# two-hour answer window, so announcements can post at each round and the .ics shows four 2-hour events. Consumers
# that want one "SOAP offer rounds" line can use SOAP_ROUND_1 and read the round times from the other three.
# Titles and checklists are words, in data/cycles/milestone-kinds.yaml.
KIND_INFO: Mapping[MilestoneKind, KindInfo] = {
    MilestoneKind.ERAS_SEASON_OPENS: KindInfo(
        kb_entry="eras-overview",
        reminder_offsets=(_WEEK, _DAY, _NOW),
    ),
    MilestoneKind.ERAS_TOKEN_AVAILABLE: KindInfo(
        kb_entry="eras-token",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.PATHWAYS_OPENS: KindInfo(
        kb_entry="pathways-deadlines",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.ERAS_SUBMISSION_OPENS: KindInfo(
        kb_entry="eras-submission",
        reminder_offsets=(_WEEK, _DAY, _NOW),
    ),
    MilestoneKind.NRMP_REGISTRATION_OPENS: KindInfo(
        kb_entry="nrmp-registration",
        reminder_offsets=(_DAY, _NOW),
    ),
    MilestoneKind.ERAS_PROGRAM_REVIEW: KindInfo(
        kb_entry="eras-submission",
        reminder_offsets=(_WEEK, _DAY, _NOW),
    ),
    MilestoneKind.INTERVIEW_SEASON_BEGINS: KindInfo(
        kb_entry="interview-season",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.NRMP_REGISTRATION_DEADLINE: KindInfo(
        kb_entry="nrmp-registration",
        reminder_offsets=(_WEEK, _DAY, _NOW),
    ),
    MilestoneKind.INTERVIEW_SEASON_ENDS: KindInfo(
        kb_entry="interview-season",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.PATHWAYS_DEADLINE: KindInfo(
        kb_entry="pathways-deadlines",
        reminder_offsets=(timedelta(days=30), _WEEK, _DAY, _NOW),
    ),
    MilestoneKind.RANKING_OPENS: KindInfo(
        kb_entry="rank-order-list",
        reminder_offsets=(_DAY, _NOW),
    ),
    MilestoneKind.ROL_DEADLINE: KindInfo(
        kb_entry="rol-deadline",
        reminder_offsets=(_WEEK, _DAY, timedelta(hours=3), _NOW),
    ),
    MilestoneKind.MATCH_WEEK: KindInfo(
        kb_entry="match-week",
        reminder_offsets=(_DAY, _NOW),
        duration=timedelta(hours=1),
    ),
    MilestoneKind.SOAP_OPENS: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.SOAP_ROUND_1: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_DAY, _NOW),
        duration=timedelta(hours=2),
    ),
    MilestoneKind.SOAP_ROUND_2: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_NOW,),
        duration=timedelta(hours=2),
    ),
    MilestoneKind.SOAP_ROUND_3: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_NOW,),
        duration=timedelta(hours=2),
    ),
    MilestoneKind.SOAP_ROUND_4: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_NOW,),
        duration=timedelta(hours=2),
    ),
    MilestoneKind.SOAP_ENDS: KindInfo(
        kb_entry="soap",
        reminder_offsets=(_NOW,),
    ),
    MilestoneKind.MATCH_DAY: KindInfo(
        kb_entry="match-day",
        reminder_offsets=(_DAY, _NOW),
        duration=timedelta(hours=1),
    ),
    MilestoneKind.ERAS_SEASON_ENDS: KindInfo(
        kb_entry="eras-overview",
        reminder_offsets=(_WEEK, _NOW),
    ),
    MilestoneKind.RESIDENCY_START: KindInfo(
        kb_entry="residency-start",
        reminder_offsets=(timedelta(days=30), _WEEK, _NOW),
    ),
}

_KIND_ORDER: Mapping[MilestoneKind, int] = {kind: index for index, kind in enumerate(MilestoneKind)}
