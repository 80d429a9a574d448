"""Shared planning arithmetic for /timeline and /readiness: how long exams take, which Match years are realistic.

Every cycle date comes from ``bot.cycle.CycleCalendar``; this module only adds the applicant's own side (study time,
score waiting time) to those dates. The durations are planning estimates, not rules of any organisation, and the
texts that use them say so.
"""

from __future__ import annotations

import calendar
import calendar as _calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.cycle import NRMP_ZONE, CycleCalendar, Milestone, MilestoneKind, MilestoneStatus

log = logging.getLogger(__name__)

ET = ZoneInfo(NRMP_ZONE)

STEP1_PREP_MONTHS = 6
"""Dedicated study time for Step 1 from a standing start, a common planning figure for IMGs out of school."""
CK_PREP_MONTHS = 5
"""Study time for Step 2 CK after Step 1 (or from now when Step 1 is done)."""
RESULT_WAIT = timedelta(weeks=4)
"""USMLE results usually arrive within about four weeks (see the step-2-ck entry)."""
COMPRESSED_MONTHS = 12
"""Less than this from "no exam taken" to ERAS submission day is a compressed plan (the issue's rule)."""
USCE_TARGET_MONTHS = 3
"""Months of hands-on US clinical experience the assessment and planner aim for; see ``assessment`` for why."""
MAX_YEARS_AHEAD = 6
"""/timeline plans at most this many calendar years ahead of today."""


def local_today(now: datetime) -> date:
    """Today's date in US Eastern time, the zone every NRMP/AAMC date is set in."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(ET).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(day: date) -> date:
    return date(day.year, day.month, _calendar.monthrange(day.year, day.month)[1])


def milestone(calendar: CycleCalendar, match_year: int, kind: MilestoneKind) -> Milestone:
    """A milestone that always exists (every kind with a projection rule); AssertionError otherwise."""
    found = calendar.get(match_year, kind)
    if found is None:
        raise AssertionError(f"{kind.value} of Match {match_year} has no date (no rule and no data)")
    return found


def first_open_year(calendar: CycleCalendar, now: datetime) -> int:
    """The first Match a member can still enter at ``now``: the current cycle, or the next one once the current
    cycle's rank order list deadline has passed (after it nobody can join that Match)."""
    year = calendar.current_match_year(now)
    while milestone(calendar, year, MilestoneKind.ROL_DEADLINE).at <= now:
        year += 1
    return year


def max_plan_year(now: datetime) -> int:
    return local_today(now).year + MAX_YEARS_AHEAD


class ExamPlanKind(StrEnum):
    DONE = "done"
    PLANNED = "planned"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ExamPlan:
    """One exam as the member describes it: passed, planned for a month, or not planned yet."""

    kind: ExamPlanKind
    month: date | None = None
    """First day of the planned month (PLANNED only)."""

    def __post_init__(self) -> None:
        if (self.kind is ExamPlanKind.PLANNED) != (self.month is not None):
            raise ValueError("a planned exam needs a month, and only a planned exam has one")
        if self.month is not None and self.month.day != 1:
            raise ValueError("month must be the first day of the month")

    @classmethod
    def done(cls) -> ExamPlan:
        return cls(ExamPlanKind.DONE)

    @classmethod
    def planned(cls, month: date) -> ExamPlan:
        return cls(ExamPlanKind.PLANNED, month.replace(day=1))

    @classmethod
    def none(cls) -> ExamPlan:
        return cls(ExamPlanKind.NONE)

    @property
    def is_done(self) -> bool:
        return self.kind is ExamPlanKind.DONE

    @property
    def exam_by(self) -> date | None:
        """The last day of the planned month: plans are read as "by the end of that month"."""
        return month_end(self.month) if self.month is not None else None


@dataclass(frozen=True, slots=True)
class ExamOutlook:
    """When each exam would be taken and its result known, from today and the member's plan."""

    step1_exam: date | None
    """None when Step 1 is already passed."""
    step1_result: date
    ck_exam: date | None
    ck_result: date
    step1_estimated: bool
    """True when the Step 1 date is our estimate (no plan given), False for the member's own month."""
    ck_estimated: bool

    @property
    def results_by(self) -> date:
        return max(self.step1_result, self.ck_result)


def exam_outlook(today: date, step1: ExamPlan, step2ck: ExamPlan) -> ExamOutlook:
    """Forward estimate: the member's own months where given, otherwise study time from today.

    CK study starts after the Step 1 exam (not its result) when Step 1 is still ahead, the usual IMG sequence.
    """
    if step1.is_done:
        step1_exam, step1_result = None, today
    elif step1.exam_by is not None:
        step1_exam, step1_result = step1.exam_by, step1.exam_by + RESULT_WAIT
    else:
        step1_exam = add_months(today, STEP1_PREP_MONTHS)
        step1_result = step1_exam + RESULT_WAIT
    if step2ck.is_done:
        ck_exam, ck_result = None, today
    elif step2ck.exam_by is not None:
        ck_exam, ck_result = step2ck.exam_by, step2ck.exam_by + RESULT_WAIT
    else:
        ck_exam = add_months(step1_exam or today, CK_PREP_MONTHS)
        ck_result = ck_exam + RESULT_WAIT
    return ExamOutlook(
        step1_exam=step1_exam,
        step1_result=step1_result,
        ck_exam=ck_exam,
        ck_result=ck_result,
        step1_estimated=step1.kind is ExamPlanKind.NONE,
        ck_estimated=step2ck.kind is ExamPlanKind.NONE,
    )


def no_exam_taken(step1: ExamPlan, step2ck: ExamPlan) -> bool:
    return not step1.is_done and not step2ck.is_done


class Reach(StrEnum):
    """How a Match fits the exam plan. The one rule every /timeline path uses (``reach``):

    both exam results by the Match's ERAS submission day, so programs see the Step 2 CK score from the first day
    (and, with no exam passed yet, that day at least ``COMPRESSED_MONTHS`` away) is on time; results later than
    that but by its rank order list deadline, by which ECFMG must report both exams to the NRMP, is tight; a
    result after that deadline cannot reach it.
    """

    ON_TIME = "on time"
    TIGHT = "tight"
    TOO_LATE = "too late"


@dataclass(frozen=True, slots=True)
class MatchReach:
    """The verdict of ``reach`` for one Match, with the facts its explanation needs."""

    match_year: int
    reach: Reach
    outlook: ExamOutlook
    submission: Milestone
    rol: Milestone
    applications_closed: bool
    """ERAS submission day has passed: only members who already applied are still in this Match."""
    late_results: bool
    """A result comes after ERAS submission day."""
    short_runway: bool
    """No exam passed yet and ERAS submission day less than ``COMPRESSED_MONTHS`` away."""


def reach(calendar: CycleCalendar, now: datetime, match_year: int, step1: ExamPlan, step2ck: ExamPlan) -> MatchReach:
    """Where Match ``match_year`` stands with this exam plan (see ``Reach`` for the rule)."""
    submission = milestone(calendar, match_year, MilestoneKind.ERAS_SUBMISSION_OPENS)
    rol = milestone(calendar, match_year, MilestoneKind.ROL_DEADLINE)
    today = local_today(now)
    outlook = exam_outlook(today, step1, step2ck)
    closed = submission.at <= now
    late = outlook.results_by > submission.local_date
    short = no_exam_taken(step1, step2ck) and add_months(today, COMPRESSED_MONTHS) > submission.local_date
    if outlook.results_by > rol.local_date:
        verdict = Reach.TOO_LATE
    elif closed or late or short:
        verdict = Reach.TIGHT
    else:
        verdict = Reach.ON_TIME
    return MatchReach(match_year, verdict, outlook, submission, rol, closed, late, short)


def is_realistic(calendar: CycleCalendar, now: datetime, match_year: int, step1: ExamPlan, step2ck: ExamPlan) -> bool:
    """Can both exam results be in before ERAS submission day of ``match_year``, without a compressed plan?"""
    return reach(calendar, now, match_year, step1, step2ck).reach is Reach.ON_TIME


def earliest_year(
    calendar: CycleCalendar, now: datetime, step1: ExamPlan, step2ck: ExamPlan, at_least: Reach
) -> int | None:
    """The first Match year, from the first one still open, whose reach is ``at_least`` or better (a year whose
    applications have closed never counts as tight here: it is only for those who already applied); None when none
    is within the planning horizon (today's year + ``MAX_YEARS_AHEAD``)."""
    wanted = (Reach.ON_TIME,) if at_least is Reach.ON_TIME else (Reach.ON_TIME, Reach.TIGHT)
    for year in range(first_open_year(calendar, now), max_plan_year(now) + 1):
        found = reach(calendar, now, year, step1, step2ck)
        if found.reach in wanted and not found.applications_closed:
            return year
    return None


def earliest_realistic_year(calendar: CycleCalendar, now: datetime, step1: ExamPlan, step2ck: ExamPlan) -> int | None:
    """The first Match year, from the first one still open, for which ``is_realistic`` holds; None when none is
    within the planning horizon (today's year + ``MAX_YEARS_AHEAD``)."""
    return earliest_year(calendar, now, step1, step2ck, Reach.ON_TIME)


def result_text(outlook: ExamOutlook) -> str:
    """``your Step 2 CK result would come around December 2027 (about ... )``: which result comes last, and which of
    the planner's durations the estimate used (none when the member gave both months)."""
    last = "Step 2 CK" if outlook.ck_result >= outlook.step1_result else "Step 1"
    text = f"your {last} result would come around {format_month(outlook.results_by)}"
    if outlook.step1_estimated and outlook.ck_estimated:
        text += (
            f" (about {STEP1_PREP_MONTHS} months of study for Step 1 and {CK_PREP_MONTHS} for Step 2 CK, plus about "
            "four weeks for each result)"
        )
    elif outlook.step1_estimated or outlook.ck_estimated:
        exam, months = ("Step 1", STEP1_PREP_MONTHS) if outlook.step1_estimated else ("Step 2 CK", CK_PREP_MONTHS)
        text += f" (about {months} months of study for {exam}, plus about four weeks for its result)"
    return text


def tight_text(found: MatchReach, *, result_said: bool = False) -> str:
    """Why a tight Match is tight, in one sentence (no year suggestion: the caller adds the one it offers).
    ``result_said``: the text before it already said when the last result comes, so say "that result"."""
    year, submission = found.match_year, format_day(found.submission.local_date)
    rol = format_day(found.rol.local_date)
    if found.late_results:
        result = "that result would come" if result_said else result_text(found.outlook) + ","
        return (
            f"Match {year} is possible but tight: {result} after its ERAS submission day ({submission}) but before "
            f"its rank order list deadline ({rol}), so programs would first see your application without it."
        )
    return (
        f"Match {year} is possible but tight: both exams are still ahead and ERAS submission day ({submission}) is "
        f"less than {COMPRESSED_MONTHS} months away, so your plan works only if each exam goes as planned, with no "
        "time for a delay or a retake."
    )


def on_time_offer(calendar: CycleCalendar, year: int | None) -> str:
    """The sentence that offers the earliest on-time Match (or says there is none within the horizon)."""
    if year is None:
        return "No later Match within six years gives more room: move your exams earlier if you can."
    opening = milestone(calendar, year, MilestoneKind.ERAS_SUBMISSION_OPENS)
    projected = ", projected" if opening.status is MilestoneStatus.PROJECTED else ""
    return (
        f"The earliest Match with both results on your application is **Match {year}** (ERAS submission day "
        f"{format_day(opening.local_date)}{projected})."
    )


_MONTHS = tuple(calendar.month_name)[1:]  # English: the bot never calls setlocale()


def format_day(day: date) -> str:
    """``September 2, 2026``: spelled out (not locale-dependent ``%B``) for texts that cannot hold a timestamp."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_month(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def count(number: int, noun: str) -> str:
    """``1 month``, ``3 months``: readers of English as a second language trip over "month(s)"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
