"""Streaks over a member's local calendar days, with one forgiven missed day per ISO week (pure functions).

**Days.** A check-in belongs to the member's own calendar day in the zone they had *when they checked in*
(``local_day``); that date is stored with the check-in and never recomputed, so a member who moves from
Kolkata to New York keeps every past day as it was. "Today" is the current date in their current zone. After a
move west a stored day can be later than today in the new zone; such a day counts as today (it already
happened).

**Streak.** A streak is a run of consecutive calendar days that starts and ends with a check-in day, in which
every day without a check-in (a *missed* day) is *forgiven*. A missed day is forgiven when

1. it is the only missed day of its ISO week (Monday to Sunday) inside the run, and
2. the day before it is not missed either (two missed days in a row, e.g. Sunday and Monday, are never
   forgiven even though they fall in different weeks).

The streak's length is the number of check-in days in the run: a forgiven day keeps the streak alive but does
not add to it. Today never counts as missed until it is over.

- The **current** streak is the longest such run that ends with the latest check-in, where the days since then
  (up to yesterday) are missed days subject to the same rules. When one of those days cannot be forgiven, the
  run that contains it is no longer possible and the streak counts from the first check-in after the
  conflicting missed day, which is 0 when there is none. Example: Mon ✓ Tue ✗ Wed ✓ Thu ✓ Fri ✗ gives 2 on
  Saturday (Tue and Fri fall in one week, so the streak counts from Wednesday); missing both Sat and Sun gives
  0 on Monday.
- The **longest** streak is the longest such run ever.
- **At risk** (for the opt-in nudge): the member has not checked in today, has a streak, and that streak would
  be shorter tomorrow if today stays missed (today would be the week's second missed day, or yesterday was
  missed).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from bot.studygroups.schedule import localize

log = logging.getLogger(__name__)

NUDGE_LOCAL_TIME = dt.time(21, 0)
"""A member whose streak is at risk is nudged at this time of their evening (3 hours before it ends)."""
_ONE_DAY = dt.timedelta(days=1)


def local_day(instant: dt.datetime, zone: str) -> dt.date:
    """The calendar day of ``instant`` in ``zone`` (the day a check-in made then belongs to)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass aware instants")
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).date()


def _week(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso.year, iso.week)


class _Window:
    """The longest valid run ending at the day last added, maintained while walking forward day by day.

    The start of the best run ending at day E never moves backwards as E grows (adding days only adds
    constraints), so one forward pass finds the best run ending at every day.
    """

    def __init__(self, days: list[dt.date]) -> None:
        self._days = days  # sorted check-in days, for counting
        self.start: dt.date | None = None
        self._gaps: dict[tuple[int, int], dt.date] = {}
        self._previous_missed = False

    def add_check_in(self, day: dt.date) -> None:
        if self.start is None:
            self.start = day
            self._gaps.clear()
        self._previous_missed = False

    def add_missed(self, day: dt.date) -> None:
        if self.start is None:
            self._previous_missed = True
            return
        if self._previous_missed:
            # Two missed days in a row: no run can contain both, and a run must start with a check-in.
            self.start = None
            self._gaps.clear()
        else:
            earlier = self._gaps.get(_week(day))
            if earlier is not None:
                # The second missed day of the week: the run now starts at the first check-in after the first
                # one.
                self.start = self._first_check_in_after(earlier)
                self._gaps = {w: d for w, d in self._gaps.items() if d > earlier}
            self._gaps[_week(day)] = day
        self._previous_missed = True

    def _first_check_in_after(self, day: dt.date) -> dt.date:
        index = bisect.bisect_right(self._days, day)
        return self._days[index]  # exists: the day after a forgiven gap is a check-in inside the run

    def length(self, end: dt.date) -> int:
        """Check-in days in [start, end]."""
        if self.start is None:
            return 0
        return bisect.bisect_right(self._days, end) - bisect.bisect_left(self._days, self.start)

    def gap_in_week_of(self, day: dt.date) -> bool:
        return self.start is not None and _week(day) in self._gaps


def longest_streak(days: Iterable[dt.date]) -> int:
    """The longest streak ever (see the module docstring)."""
    ordered = sorted(set(days))
    if not ordered:
        return 0
    window = _Window(ordered)
    checked = set(ordered)
    best = 0
    day = ordered[0]
    while day <= ordered[-1]:
        if day in checked:
            window.add_check_in(day)
            best = max(best, window.length(day))
        else:
            window.add_missed(day)
        day += _ONE_DAY
    return best


@dataclass(frozen=True)
class StreakStatus:
    today: dt.date
    current: int
    """Check-in days in the live streak; 0 when there is none."""
    longest: int
    checked_in_today: bool
    last_check_in: dt.date | None
    started: dt.date | None
    """The first check-in day of the live streak."""
    grace_used_this_week: bool
    """The live streak already has a forgiven day in this ISO week (another missed day would end it)."""
    at_risk: bool
    """Not checked in today, and the streak would be shorter tomorrow if today stays missed."""

    @property
    def alive(self) -> bool:
        return self.current > 0


def streak_status(days: Iterable[dt.date], today: dt.date) -> StreakStatus:
    """The member's streak as of their local ``today`` from the set of their check-in days."""
    ordered = sorted(set(days))
    if not ordered:
        return StreakStatus(today, 0, 0, False, None, None, False, False)
    # A day stored in an earlier zone can be "tomorrow" here after moving west: it happened, so it is today.
    today = max(today, ordered[-1])
    checked = set(ordered)
    window = _Window(ordered)
    best = 0
    day = ordered[0]
    while day < today:
        if day in checked:
            window.add_check_in(day)
            best = max(best, window.length(day))
        else:
            window.add_missed(day)
        day += _ONE_DAY
    checked_today = today in checked
    if checked_today:
        window.add_check_in(today)
        best = max(best, window.length(today))
    current = window.length(today)
    started = window.start if current else None
    grace_used = current > 0 and window.gap_in_week_of(today)
    at_risk = False
    if current and not checked_today:
        # Tomorrow's view: today missed. Any change of start shortens the streak.
        before = window.start
        window.add_missed(today)
        at_risk = window.start != before
    return StreakStatus(
        today=today,
        current=current,
        longest=best,
        checked_in_today=checked_today,
        last_check_in=ordered[-1],
        started=started,
        grace_used_this_week=grace_used,
        at_risk=at_risk,
    )


def nudge_instant(today: dt.date, zone: str, at: dt.time = NUDGE_LOCAL_TIME) -> dt.datetime:
    """When to nudge a member whose streak is at risk today: ``at`` on their local ``today``, in UTC."""
    return localize(today, at, zone)
