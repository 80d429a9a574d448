"""The weekly recap of a study group, computed from its check-ins (pure).

Who checked in and on how many days, the group's totals of questions and hours, the three longest streaks
among the members who checked in, and one encouraging line. Members who did not check in are never named: the
recap is built from check-ins only, so there is nobody else it could name. A week without any check-in gives
an empty recap that is not posted (``should_post``): silence is kinder than announcing that nobody studied.

Each member's week is their own: a check-in counts for the ISO week of its local date, in the member's zone.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.studygroups.models import CheckIn, format_hours
from bot.studygroups.schedule import IsoWeek

log = logging.getLogger(__name__)

TOP_STREAKS = 3
MIN_STREAK_SHOWN = 2
"""A one-day streak is just a check-in; the streak list starts at two days."""
BIG_WEEK_QUESTIONS = 500
BIG_WEEK_MINUTES = 40 * 60

# Encouragement by kind of week; one line is picked deterministically from the group and the week, so a recap
# rebuilt after a restart says the same thing.
LINES: dict[str, tuple[str, ...]] = {
    "everyone": (
        "Everyone showed up this week. That is what a study group is for. 💪",
        "A full house this week: every member checked in. Keep carrying each other.",
        "All hands on deck this week. Consistency like this is how exams are passed.",
    ),
    "big": (
        "That is a serious week of work. Rest well, then go again.",
        "Huge effort this week. Remember to sleep: memory is built at night too.",
        "Big numbers this week. Every question is one fewer surprise on exam day.",
    ),
    "steady": (
        "Every check-in counts. See you next week!",
        "Small steps, every week: that is how the long road gets shorter.",
        "Progress logged, week done. Be proud of the days you showed up.",
        "Another week closer to Match Day. Keep going, together.",
        "Studying alone is hard; you did not do it alone this week.",
    ),
}


@dataclass(frozen=True)
class MemberWeek:
    user_id: int
    days: int
    """Local days with a check-in this week, in this group."""
    questions: int
    minutes: int


@dataclass(frozen=True)
class StreakEntry:
    user_id: int
    days: int


@dataclass(frozen=True)
class ExamsAhead:
    """Members of the group with an exam soon, counted only for those who opted in for the server (``/mydates
    share-in-recaps``); ``named`` are those who also chose to be named, the only ones the recap names
    (``bot.ui.studygroups.exams_ahead_line``)."""

    members: int
    named: tuple[int, ...]
    days: int


@dataclass(frozen=True)
class WeeklyRecap:
    group_id: int
    week: IsoWeek
    members: tuple[MemberWeek, ...]
    """Only members who checked in, most days first."""
    check_ins: int
    questions: int
    minutes: int
    average_percent: int | None
    """Percent correct over the week, weighted by questions where given; None when nobody gave one."""
    top_streaks: tuple[StreakEntry, ...]
    line: str
    exams_ahead: ExamsAhead | None = None
    """Set when the recap is posted, if members opted in to be counted (``StudyGroupDispatcher``)."""

    @property
    def active_members(self) -> int:
        return len(self.members)

    @property
    def should_post(self) -> bool:
        return self.check_ins > 0

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def summary(self) -> str:
        """``4 members checked in 17 times: 640 questions, 21.5 h.`` (no names)."""
        people = "1 member" if self.active_members == 1 else f"{self.active_members} members"
        times = "once" if self.check_ins == 1 else f"{self.check_ins} times"
        parts = []
        if self.questions:
            parts.append("1 question" if self.questions == 1 else f"{self.questions:,} questions")
        if self.minutes:
            parts.append(format_hours(self.minutes))
        tail = f": {', '.join(parts)}." if parts else "."
        return f"{people} checked in {times}{tail}"


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def average_percent(check_ins: Iterable[CheckIn]) -> int | None:
    """Questions-weighted percent correct; the plain mean when no questions were given with them."""
    weighted = [(c.percent_correct, c.questions) for c in check_ins if c.percent_correct is not None]
    if not weighted:
        return None
    total_questions = sum(q for _, q in weighted if q)
    if total_questions:
        return _round(Decimal(sum(p * q for p, q in weighted if q)) / Decimal(total_questions))
    return _round(Decimal(sum(p for p, _ in weighted)) / Decimal(len(weighted)))


def choose_line(group_id: int, week: IsoWeek, kind: str) -> str:
    """One line of ``LINES[kind]``, the same for the same group and week (no randomness, no ``hash()``)."""
    lines = LINES[kind]
    return lines[zlib.crc32(f"{group_id}:{week}".encode()) % len(lines)]


def build_recap(
    group_id: int,
    week: IsoWeek,
    check_ins: Iterable[CheckIn],
    streaks: Mapping[int, int],
    *,
    member_count: int | None = None,
) -> WeeklyRecap:
    """The recap of ``week`` from the group's check-ins (others are ignored) and members' current streaks.

    ``streaks`` maps user ids to current streak lengths; only members who checked in this week are looked up.
    ``member_count`` (current members) only decides whether the "everyone showed up" line applies.
    """
    first, last = week.monday, week.sunday
    mine = [c for c in check_ins if c.group_id == group_id and first <= c.local_date <= last]
    per_member: dict[int, list[CheckIn]] = {}
    for check_in in mine:
        per_member.setdefault(check_in.user_id, []).append(check_in)
    members = tuple(
        sorted(
            (
                MemberWeek(
                    user_id,
                    len({c.local_date for c in items}),
                    sum(c.questions or 0 for c in items),
                    sum(c.minutes or 0 for c in items),
                )
                for user_id, items in per_member.items()
            ),
            key=lambda m: (-m.days, -m.questions, -m.minutes, m.user_id),
        )
    )
    streak_entries = sorted(
        (StreakEntry(m.user_id, streaks.get(m.user_id, 0)) for m in members),
        key=lambda s: (-s.days, s.user_id),
    )
    top = tuple(s for s in streak_entries if s.days >= MIN_STREAK_SHOWN)[:TOP_STREAKS]
    questions = sum(m.questions for m in members)
    minutes = sum(m.minutes for m in members)
    if member_count is not None and member_count > 1 and len(members) >= member_count:
        kind = "everyone"
    elif questions >= BIG_WEEK_QUESTIONS or minutes >= BIG_WEEK_MINUTES:
        kind = "big"
    else:
        kind = "steady"
    return WeeklyRecap(
        group_id=group_id,
        week=week,
        members=members,
        check_ins=len(mine),
        questions=questions,
        minutes=minutes,
        average_percent=average_percent(mine),
        top_streaks=top,
        line=choose_line(group_id, week, kind),
    )
