"""The cycle calendar: official dates from the data files, projected dates from the rules for everything else.

Which cycle is "now" (``current_match_year``): the Match Y cycle is current from the moment its ERAS season opens
(first Wednesday of June of Y-1, 9:00 ET) until the next season opens a year later. That is the cycle that is
accepting and processing applications, the one an applicant acts on. Cycles overlap for about a month: on
2027-06-10 the current cycle is Match 2028 (ERAS 2028 opened on June 2, 2027), while Match 2027 still has
residency start on July 1, 2027 ahead. ``upcoming`` and ``between`` therefore look at every cycle whose window
touches the time asked about, never at the current cycle alone, so nothing is skipped.

Timing conventions: a milestone is "upcoming" while ``now <= at``. All-day milestones are anchored at 00:00 in
their zone (US Eastern), so they stop being upcoming when that day starts in New York.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cycle.loader import CycleFile, cycle_window, load_cycle_dir
from bot.cycle.models import Milestone, MilestoneKind, Reminder
from bot.cycle.rules import MAX_MATCH_YEAR, MIN_MATCH_YEAR, PROJECTED_KINDS, project, project_cycle
from bot.cycle.words import KINDS_FILE, MilestoneWords, load_milestone_words
from bot.datafiles import DataFileError, DataProblem

log = logging.getLogger(__name__)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def _sort_key(milestone: Milestone) -> tuple[datetime, int, int]:
    return milestone.at, milestone.kind.order, milestone.match_year


class CycleCalendar:
    """Every milestone of every Match cycle, each with its words. Immutable after construction; each cycle is
    computed once."""

    def __init__(self, files: Iterable[CycleFile], words: MilestoneWords) -> None:
        missing = [kind.value for kind in MilestoneKind if kind not in words]
        if missing:
            raise ValueError(f"no words for milestone kind(s): {', '.join(missing)}")
        self.words = words
        self._files: dict[int, CycleFile] = {}
        for cycle_file in files:
            if cycle_file.match_year in self._files:
                raise ValueError(f"two data files for Match {cycle_file.match_year}")
            self._files[cycle_file.match_year] = cycle_file
        self._cycles: dict[int, tuple[Milestone, ...]] = {}
        differing = self.differences_from_rules()
        if differing:
            log.info(
                "data files move %d milestone(s) away from the projection rules: %s",
                len(differing),
                ", ".join(given.uid for given, _ in differing),
            )

    @classmethod
    def from_directory(cls, directory: Path) -> CycleCalendar:
        """Load ``directory/match-YYYY.yaml`` and the words in ``directory/milestone-kinds.yaml`` (normally
        ``settings.data_dir / "cycles"``); DataFileError listing the problems of every file on bad data."""
        problems: list[DataProblem] = []
        files: list[CycleFile] | None = None
        words: MilestoneWords | None = None
        try:
            files = load_cycle_dir(directory)
        except DataFileError as exc:
            problems.extend(exc.problems)
        try:
            words = load_milestone_words(directory / KINDS_FILE)
        except DataFileError as exc:
            problems.extend(exc.problems)
        if problems or files is None or words is None:
            raise DataFileError(problems)
        return cls(files, words)

    @property
    def years_with_data(self) -> tuple[int, ...]:
        """Match years that have a data file (other years are projected entirely)."""
        return tuple(sorted(self._files))

    def cycle(self, match_year: int) -> list[Milestone]:
        """All milestones of Match ``match_year`` in chronological order.

        A date in the data file (official, or reported and marked projected) replaces the rule's projection of the
        same kind; kinds without a rule (ERAS token, Pathways window) appear only when the file gives them.
        """
        cached = self._cycles.get(match_year)
        if cached is None:
            given = {m.kind: m for m in self._files[match_year].milestones} if match_year in self._files else {}
            projected = [m for m in project_cycle(match_year) if m.kind not in given]
            dated = sorted([*given.values(), *projected], key=_sort_key)
            cached = tuple(self._worded(m) for m in dated)
            self._cycles[match_year] = cached
        return list(cached)

    def get(self, match_year: int, kind: MilestoneKind) -> Milestone | None:
        """One milestone of one cycle; None only for kinds with no rule that the data file does not give."""
        return next((m for m in self.cycle(match_year) if m.kind is kind), None)

    def current_match_year(self, now: datetime) -> int:
        """The Match cycle accepting and processing applications at ``now``: the latest Y whose ERAS season opened.

        2026-11-22 -> 2027; 2027-03-20 -> 2027; 2027-06-10 -> 2028 (ERAS 2028 opened June 2, 2027); 2027-07-02 -> 2028.
        """
        now = _aware(now, "now")
        year = min(now.year + 1, MAX_MATCH_YEAR)
        while year > MIN_MATCH_YEAR and self._season_opens(year) > now:
            year -= 1
        return year

    def active_match_years(self, now: datetime) -> list[int]:
        """Cycles that have begun (ERAS season opened) and still have a milestone at or after ``now``, oldest first.

        Usually one; two between ERAS season opening in June and residency start on July 1 (e.g. 2027-06-10 ->
        [2027, 2028]).
        """
        now = _aware(now, "now")
        current = self.current_match_year(now)
        years = []
        for year in range(max(MIN_MATCH_YEAR, current - 2), current + 1):
            milestones = self.cycle(year)
            if self._season_opens(year) <= now and milestones and milestones[-1].at >= now:
                years.append(year)
        return years

    def upcoming(
        self, now: datetime, count: int = 5, kinds: Collection[MilestoneKind] | None = None
    ) -> list[Milestone]:
        """The next ``count`` milestones at or after ``now`` across every overlapping cycle, soonest first."""
        now = _aware(now, "now")
        if count <= 0:
            return []
        found: list[Milestone] = []
        for year in self._years_from(now.year, kinds):
            window_start = self._window_start(year)
            if len(found) >= count and found[count - 1].at < window_start:
                break  # this cycle and every later one start after the milestones already found
            found.extend(m for m in self.cycle(year) if m.at >= now and (kinds is None or m.kind in kinds))
            found.sort(key=_sort_key)
        return found[:count]

    def between(
        self, start: datetime, end: datetime, kinds: Collection[MilestoneKind] | None = None
    ) -> list[Milestone]:
        """Milestones with ``start <= at < end`` across all cycles, in chronological order."""
        start, end = _aware(start, "start"), _aware(end, "end")
        found = [
            m
            for year in range(max(MIN_MATCH_YEAR, start.year), min(MAX_MATCH_YEAR, end.year + 2) + 1)
            for m in self.cycle(year)
            if start <= m.at < end and (kinds is None or m.kind in kinds)
        ]
        return sorted(found, key=_sort_key)

    def reminders_between(
        self, start: datetime, end: datetime, kinds: Collection[MilestoneKind] | None = None
    ) -> list[Reminder]:
        """Every default reminder (``Milestone.reminders``) that falls in ``start <= fire_at < end``, in order.

        Use ``Reminder.key`` as the delivery idempotency key.
        """
        start, end = _aware(start, "start"), _aware(end, "end")
        longest = max((o for kind in MilestoneKind for o in kind.info.reminder_offsets), default=timedelta(0))
        reminders = [
            reminder
            for milestone in self.between(start, end + longest, kinds)
            for reminder in milestone.reminders()
            if start <= reminder.fire_at < end
        ]
        return sorted(reminders, key=lambda r: (r.fire_at, *_sort_key(r.milestone)))

    def differences_from_rules(self) -> list[tuple[Milestone, Milestone]]:
        """(from file, projected) pairs where a data file moves a milestone away from the rule's date and time.

        Empty for the shipped data; a non-empty result after adding an official date means the pattern changed
        and the rules (and the cycles projected from them) deserve a look.
        """
        pairs = []
        for year in sorted(self._files):
            for given in self._files[year].milestones:
                projected = project(year, given.kind)
                if projected is not None and (projected.at, projected.all_day) != (given.at, given.all_day):
                    pairs.append((self._worded(given), self._worded(projected)))
        return pairs

    def _worded(self, milestone: Milestone) -> Milestone:
        return replace(milestone, words=self.words[milestone.kind])

    def _season_opens(self, match_year: int) -> datetime:
        opens = self.get(match_year, MilestoneKind.ERAS_SEASON_OPENS)
        if opens is None:  # pragma: no cover - the kind always has a rule
            raise AssertionError("ERAS season opening has no projection rule")
        return opens.at

    @staticmethod
    def _window_start(match_year: int) -> datetime:
        first, _ = cycle_window(match_year)
        # A data file may use any zone (UTC-12 to UTC+14), so start the window a day early to be safe.
        return datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    def _years_from(self, first_year: int, kinds: Collection[MilestoneKind] | None) -> Iterator[int]:
        # No milestone of a cycle before ``first_year`` can still be ahead: each lies before August of its year.
        # Stop after the last data file when only data-file kinds are asked for, or at the supported maximum.
        projectable = kinds is None or any(kind in PROJECTED_KINDS for kind in kinds)
        last = MAX_MATCH_YEAR if projectable else max(self._files, default=first_year)
        yield from range(max(MIN_MATCH_YEAR, first_year), min(last, MAX_MATCH_YEAR) + 1)
