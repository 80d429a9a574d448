"""The backward timeline planner behind /timeline: from a target Match back to today.

The plan mixes two kinds of items:

- **cycle milestones** (ERAS season, submission day, NRMP registration and its deadline, program review,
  interviews, ranking, the ROL deadline, Match Week, SOAP, Match Day, July 1), taken unchanged from
  ``bot.cycle.CycleCalendar`` with their official/projected status. No cycle date is computed here.
- **personal targets** (exams, OET and Pathway, ECFMG certificate, US clinical experience and letters, token, visa
  paperwork), counted back from those milestones with the planning estimates in ``planning``, status ``target``;
  or ``done`` for what the member has already finished.

Nothing is scheduled before today except done items (which carry no date): a target that should already have
happened is moved to today. Whether the exams fit the Match is one verdict (``planning.reach``: on time, tight or
too late), said in one warning, the same rule that refuses a Match out of reach. Cycle milestones that have already
passed are left out. Times are UTC inside; the cog shows timed items as Discord timestamps and all-day items as dates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from bot.cycle import CalendarItem, CycleCalendar, Milestone, MilestoneKind, MilestoneStatus, to_ics
from bot.cycle.models import NRMP_ZONE, local_to_utc
from bot.readiness.options import TimelineOptions
from bot.readiness.planning import (
    CK_PREP_MONTHS,
    ET,
    STEP1_PREP_MONTHS,
    USCE_TARGET_MONTHS,
    ExamPlan,
    ExamPlanKind,
    Reach,
    add_months,
    count,
    earliest_realistic_year,
    exam_outlook,
    first_open_year,
    format_day,
    format_month,
    local_today,
    max_plan_year,
    milestone,
    on_time_offer,
    reach,
    result_text,
    tight_text,
)

log = logging.getLogger(__name__)

K = MilestoneKind

DEFAULT_UID_DOMAIN = "timeline.img-pathway-bot.invalid"
"""Domain part of .ics UIDs; ``.invalid`` can never belong to anyone else, so the UIDs stay globally unique."""

# How long before ERAS submission day each personal target should be done. These are planning margins (score
# reporting, letter writing, document checks), not dates of any organisation; the cycle dates they count back from
# come from the calendar.
CK_EXAM_LEAD = timedelta(weeks=9)
"""Step 2 CK about nine weeks before submission: four weeks for the score, the rest as slack for a reschedule."""
USCE_END_LEAD = timedelta(weeks=6)
"""Finish US clinical experience about six weeks before submission, so letter writers have time."""
LETTERS_LEAD = timedelta(weeks=1)
TOKEN_LEAD = timedelta(weeks=4)
ECFMG_CERTIFICATE_LEAD = timedelta(weeks=12)
"""Certificate in hand about 12 weeks before July 1: a J-1 DS-2019 needs it, and ECFMG asks 4-6 weeks for that."""

# The cycle milestones a plan shows, in cycle order. SOAP's later rounds, SOAP end and the ERAS season end are left
# out: a plan is about what to do, and the first offer round stands for the others.
PLAN_MILESTONES: tuple[MilestoneKind, ...] = (
    K.ERAS_SEASON_OPENS,
    K.ERAS_TOKEN_AVAILABLE,
    K.PATHWAYS_OPENS,
    K.ERAS_SUBMISSION_OPENS,
    K.NRMP_REGISTRATION_OPENS,
    K.ERAS_PROGRAM_REVIEW,
    K.INTERVIEW_SEASON_BEGINS,
    K.NRMP_REGISTRATION_DEADLINE,
    K.INTERVIEW_SEASON_ENDS,
    K.PATHWAYS_DEADLINE,
    K.RANKING_OPENS,
    K.ROL_DEADLINE,
    K.MATCH_WEEK,
    K.SOAP_OPENS,
    K.SOAP_ROUND_1,
    K.MATCH_DAY,
    K.RESIDENCY_START,
)


class PlanStatus(StrEnum):
    OFFICIAL = "official"
    """A date published by NRMP / AAMC / ECFMG."""
    PROJECTED = "projected"
    """A cycle date projected from past cycles until an official one is entered."""
    TARGET = "target"
    """A personal target counted back from the cycle dates (or the member's own planned month)."""
    DONE = "done"
    """Already finished; has no date."""


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One line of the plan.

    ``at`` is UTC (None only for done items). All-day items are anchored at 00:00 US Eastern like all-day
    milestones: show them as a date (``day``), never as a clock time.
    """

    key: str
    title: str
    at: datetime | None
    all_day: bool
    status: PlanStatus
    entry_id: str | None
    note: str = ""
    uid: str = ""
    """Stable .ics UID (local part): the milestone's own uid, or ``timeline-<year>-<key>`` for targets."""
    milestone: Milestone | None = field(default=None, compare=False, repr=False)

    @property
    def day(self) -> date | None:
        """The date in US Eastern time (the date to show for all-day items)."""
        return self.at.astimezone(ET).date() if self.at is not None else None

    @property
    def is_done(self) -> bool:
        return self.status is PlanStatus.DONE


@dataclass(frozen=True)
class TimelinePlan:
    match_year: int
    generated_at: datetime
    items: tuple[PlanItem, ...]
    """Done items first, then everything else in date order."""
    warnings: tuple[str, ...]
    earliest_realistic_year: int | None
    """The first Match the exam plan reaches on time (``Reach.ON_TIME``; None: none within six years). It can be
    earlier than, equal to or later than ``match_year``; the cog offers it when this plan is tight."""
    reach: Reach = Reach.ON_TIME
    """How ``match_year`` fits the exam plan; the plan's one verdict (see ``planning.Reach``)."""

    @property
    def compressed(self) -> bool:
        return bool(self.warnings)

    def get(self, key: str) -> PlanItem | None:
        return next((item for item in self.items if item.key == key), None)


class _Builder:
    """Collects items for one plan; every personal target goes through ``target`` so none lands before today."""

    def __init__(self, match_year: int, now: datetime) -> None:
        self.match_year = match_year
        self.now = now
        self.today = local_today(now)
        self.items: list[PlanItem] = []
        self.warnings: list[str] = []

    def done(self, key: str, title: str, entry_id: str, note: str = "") -> None:
        self.items.append(PlanItem(key, title, None, False, PlanStatus.DONE, entry_id, note, uid=""))

    def target(self, key: str, title: str, day: date, entry_id: str, note: str = "") -> date:
        """Add an all-day target on ``day``, or today if ``day`` has passed; returns the day used."""
        if day < self.today:
            day = self.today
        at = local_to_utc(day, None, NRMP_ZONE)
        self.items.append(
            PlanItem(
                key,
                title,
                at,
                True,
                PlanStatus.TARGET,
                entry_id,
                note,
                uid=f"timeline-{self.match_year}-{key}",
            )
        )
        return day

    def milestone(self, found: Milestone, note: str = "") -> bool:
        """Add a cycle milestone unless it has passed; returns whether it was added."""
        if found.at < self.now:
            return False
        status = PlanStatus.OFFICIAL if found.status is MilestoneStatus.OFFICIAL else PlanStatus.PROJECTED
        text = " ".join(part for part in (found.note, note) if part)
        self.items.append(
            PlanItem(
                found.kind.value,
                found.title,
                found.at,
                found.all_day,
                status,
                found.kb_entry,
                text,
                uid=found.uid,
                milestone=found,
            )
        )
        return True

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def plan_timeline(
    match_year: int,
    now: datetime,
    calendar: CycleCalendar,
    step1: ExamPlan | None = None,
    step2ck: ExamPlan | None = None,
    usce_months: int | None = None,
) -> TimelinePlan:
    """Plan backwards from Match ``match_year`` to ``now`` (aware). Pure: same inputs, same plan.

    ``match_year`` must be enterable at ``now`` (``TimelineOptions.parse`` checks that with a friendly message);
    a year outside ``first_open_year``..``today + 6`` raises ValueError here.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    now = now.astimezone(UTC)
    first, last = first_open_year(calendar, now), max_plan_year(now)
    if not first <= match_year <= last:
        raise ValueError(f"Match {match_year} cannot be planned at {now:%Y-%m-%d}: choose {first}-{last}")
    step1 = step1 or ExamPlan.none()
    step2ck = step2ck or ExamPlan.none()
    plan = _Builder(match_year, now)

    def cycle(kind: MilestoneKind) -> Milestone:
        return milestone(calendar, match_year, kind)

    submission = cycle(K.ERAS_SUBMISSION_OPENS)
    submission_day = submission.local_date
    rol_day = cycle(K.ROL_DEADLINE).local_date
    verdict = reach(calendar, now, match_year, step1, step2ck)
    earliest = earliest_realistic_year(calendar, now, step1, step2ck)
    later = f"Match {earliest}" if earliest is not None else "a later Match"
    # Mid-cycle (applications already in): what is left is ranking, Match Week and, for anyone without them yet,
    # exams and the Pathway reported by the ROL deadline. Application preparation has no date left to give.
    mid_cycle = submission.at < now
    if mid_cycle:
        plan.warn(
            f"ERAS submission day for Match {match_year} ({format_day(submission_day)}) has passed. If you applied, "
            "the plan shows what is still ahead. If you have not, a new application now rarely gets interviews: "
            f"plan for {later} instead."
        )

    # One verdict for the whole plan, from the same rule that refuses a Match out of reach (``planning.Reach``),
    # so a plan never says both "here is your plan" and "you cannot reach it".
    if verdict.reach is Reach.TOO_LATE:
        # Only for direct callers: TimelineOptions refuses such a Match before it is planned.
        plan.warn(
            f"Match {match_year} cannot be reached with this exam plan: {result_text(verdict.outlook)}, after its "
            f"rank order list deadline ({format_day(rol_day)}), by which ECFMG must report both exams to the NRMP. "
            + on_time_offer(calendar, earliest)
        )
    elif verdict.reach is Reach.TIGHT and not mid_cycle:
        plan.warn(f"{tight_text(verdict)} {on_time_offer(calendar, earliest)}")

    _exams(plan, step1, step2ck, submission_day)
    _ecfmg(plan, calendar, match_year, submission_day)
    if not mid_cycle:
        _usce_and_letters(plan, usce_months, submission_day)
        if calendar.get(match_year, K.ERAS_TOKEN_AVAILABLE) is None:
            plan.target(
                "eras-token",
                "Have your ERAS token from ECFMG",
                submission_day - TOKEN_LEAD,
                "eras-token",
                "IMGs get the token from ECFMG in MyIntealth and need it to register in MyERAS. ECFMG has not "
                "announced this season's release date; request it early in the season.",
            )
    elif usce_months is not None and usce_months > 0:
        plan.done("usce", f"US clinical experience ({count(usce_months, 'month')})", "usce-overview")
    for kind in PLAN_MILESTONES:
        found = calendar.get(match_year, kind)
        if found is not None:
            extra = ""
            if kind is K.ROL_DEADLINE:
                extra = "ECFMG must report your exams, Pathway and OET to the NRMP by this deadline."
            plan.milestone(found, extra)
    match_day = cycle(K.MATCH_DAY).local_date
    plan.target(
        "visa-paperwork",
        "Start visa paperwork with your program",
        match_day + timedelta(days=3),
        "visa-overview",
        "J-1 through ECFMG's sponsorship program (ECFMG asks 4-6 weeks once every document is in) or H-1B through "
        "your hospital. Confirm the details with your program and, for an H-1B, an immigration attorney.",
    )

    items = sorted(
        plan.items,
        key=lambda item: (
            item.at is not None,
            item.at or now,
            item.milestone.kind.order if item.milestone else -1,
        ),
    )
    log.debug("planned Match %d at %s: %d items, %d warnings", match_year, now, len(items), len(plan.warnings))
    return TimelinePlan(
        match_year=match_year,
        generated_at=now,
        items=tuple(items),
        warnings=tuple(plan.warnings),
        earliest_realistic_year=earliest,
        reach=verdict.reach,
    )


def plan_from_options(options: TimelineOptions, now: datetime, calendar: CycleCalendar) -> TimelinePlan:
    return plan_timeline(options.match_year, now, calendar, options.step1, options.step2ck, options.usce_months)


def _exams(plan: _Builder, step1: ExamPlan, step2ck: ExamPlan, submission_day: date) -> None:
    """The exam targets. Whether their dates fit the Match is the plan's one verdict (``reach``), not said here."""
    today = plan.today
    outlook = exam_outlook(today, step1, step2ck)
    # Backward targets: the latest dates that still get the CK score onto the application by submission day.
    ck_target = submission_day - CK_EXAM_LEAD
    step1_target = add_months(ck_target, -CK_PREP_MONTHS)
    if step2ck.month is not None:
        # The member's own CK month wins: Step 1 (if not planned) is then due before it.
        step1_target = min(step1_target, step2ck.month - timedelta(days=1))
    step1_study = add_months(step1_target, -STEP1_PREP_MONTHS)

    step1_exam_day: date | None = None
    if step1.kind is ExamPlanKind.DONE:
        plan.done("step-1", "USMLE Step 1 passed", "step-1")
    elif step1.kind is ExamPlanKind.PLANNED:
        assert step1.exam_by is not None and step1.month is not None
        step1_exam_day = plan.target(
            "step-1",
            f"Take USMLE Step 1 (your plan: {format_month(step1.month)})",
            step1.exam_by,
            "step-1",
            "Pass/fail. Results usually come within about four weeks.",
        )
    else:
        plan.target(
            "step-1-study",
            "Start studying for USMLE Step 1",
            step1_study,
            "step-1",
            f"About {STEP1_PREP_MONTHS} months of study is a common plan; adjust to your practice exam scores.",
        )
        assert outlook.step1_exam is not None
        step1_exam_day = plan.target(
            "step-1",
            "Take USMLE Step 1",
            max(step1_target, outlook.step1_exam),
            "step-1",
            "Pass/fail. Results usually come within about four weeks.",
        )

    if step2ck.kind is ExamPlanKind.DONE:
        plan.done("step-2-ck", "USMLE Step 2 CK passed", "step-2-ck")
        return
    if step2ck.kind is ExamPlanKind.PLANNED:
        assert step2ck.exam_by is not None and step2ck.month is not None
        ck_day = plan.target(
            "step-2-ck",
            f"Take USMLE Step 2 CK (your plan: {format_month(step2ck.month)})",
            step2ck.exam_by,
            "step-2-ck-timing",
            "Scores usually come within about four weeks.",
        )
        if step1_exam_day is not None and step1_exam_day > ck_day:
            plan.warn(
                "This plan has Step 2 CK before Step 1. USMLE allows it, but most IMGs take Step 1 first; check that "
                "the order is what you want."
            )
        return
    if step1.is_done:
        plan.target(
            "step-2-ck-study",
            "Start studying for USMLE Step 2 CK",
            add_months(ck_target, -CK_PREP_MONTHS),
            "step-2-ck-timing",
            f"About {CK_PREP_MONTHS} months of study is a common plan; take it when practice exams say ready.",
        )
    assert outlook.ck_exam is not None
    earliest_ck = outlook.ck_exam if step1_exam_day is None else max(outlook.ck_exam, step1_exam_day)
    plan.target(
        "step-2-ck",
        "Take USMLE Step 2 CK",
        max(ck_target, earliest_ck),
        "step-2-ck-timing",
        "Aim to have the score on your application on submission day; scores usually take about four weeks.",
    )


def _ecfmg(plan: _Builder, calendar: CycleCalendar, match_year: int, submission_day: date) -> None:
    pathways_opens = calendar.get(match_year, K.PATHWAYS_OPENS)
    pathways_deadline = calendar.get(match_year, K.PATHWAYS_DEADLINE)
    season_day = milestone(calendar, match_year, K.ERAS_SEASON_OPENS).local_date
    plan.target(
        "oet",
        "Pass OET Medicine",
        pathways_opens.local_date if pathways_opens is not None else season_day,
        "oet-medicine",
        "Every ECFMG Pathway needs it (350 in listening, reading and speaking, 300 in writing, in one sitting). "
        "Not needed if you passed the old Step 2 CS.",
    )
    if pathways_deadline is None:
        plan.target(
            "pathway",
            "Apply for your ECFMG Pathway",
            submission_day,
            "ecfmg-pathways",
            f"ECFMG has not announced the Pathways dates for Match {match_year}. Apply as soon as the window "
            "opens: ECFMG must report that you meet the requirement to the NRMP by the rank order list deadline.",
        )
    residency_day = milestone(calendar, match_year, K.RESIDENCY_START).local_date
    plan.target(
        "ecfmg-certificate",
        "ECFMG certificate in hand",
        residency_day - ECFMG_CERTIFICATE_LEAD,
        "ecfmg-certification",
        "You do not need it to match, but you need it to start training, and a J-1 needs it first.",
    )


def _usce_and_letters(plan: _Builder, usce_months: int | None, submission_day: date) -> None:
    usce_end = submission_day - USCE_END_LEAD
    if usce_months is not None and usce_months >= USCE_TARGET_MONTHS:
        plan.done("usce", f"US clinical experience ({count(usce_months, 'month')})", "usce-overview")
        letters_from = plan.today
    else:
        remaining = USCE_TARGET_MONTHS - (usce_months or 0)
        start = add_months(usce_end, -remaining)
        if usce_months is not None and start < plan.today:
            end_if_now = add_months(plan.today, remaining)
            if end_if_now > submission_day - LETTERS_LEAD:
                plan.warn(
                    f"Compressed plan: {count(remaining, 'month')} more of US clinical experience starting now "
                    f"would end after ERAS submission day ({format_day(submission_day)}), too late for letters "
                    "from them."
                )
            usce_end = max(usce_end, end_if_now)
        have = f"you have {count(usce_months, 'month')}; " if usce_months else ""
        plan.target(
            "usce-start",
            f"Start US clinical experience ({count(remaining, 'month')} to go)",
            start,
            "finding-usce",
            f"Hands-on rotations count most; {have}about {USCE_TARGET_MONTHS} months is a common aim. "
            "Book early, and avoid paid offers that sound too good.",
        )
        letters_from = plan.target(
            "usce-end",
            "Finish US clinical experience and ask for letters",
            usce_end,
            "letters-of-recommendation",
            "Ask the US physicians who supervised you near the end of each rotation, while they remember you.",
        )
    plan.target(
        "letters",
        "US letters uploaded to the ERAS letter portal",
        max(letters_from, submission_day - LETTERS_LEAD),
        "letter-portal",
        "Writers upload through the AAMC letter portal; you then assign the letters to each program.",
    )


def plan_to_ics(plan: TimelinePlan, *, uid_domain: str = DEFAULT_UID_DOMAIN, dtstamp: datetime | None = None) -> bytes:
    """The plan as an .ics file: cycle milestones with their usual text and reminders, targets as all-day events.

    Done items have no date and are left out. Milestone UIDs equal the cycle calendar's (``rol-deadline-2027``), so
    importing both files updates events instead of duplicating them.
    """
    entries: list[CalendarItem | Milestone] = []
    for item in plan.items:
        if item.at is None:
            continue
        if item.milestone is not None:
            entries.append(item.milestone)
            continue
        day = item.day
        assert day is not None
        description = "\n".join(
            part
            for part in (
                item.note,
                "A personal target from /timeline, counted back from the Match calendar. Adjust it to your own plan.",
            )
            if part
        )
        entries.append(
            CalendarItem(
                uid=item.uid,
                title=item.title,
                start=day,
                end=day + timedelta(days=1),
                all_day=True,
                description=description,
                alarms=(timedelta(days=7),),
            )
        )
    return to_ics(entries, f"My Match {plan.match_year} plan", uid_domain, dtstamp=dtstamp or plan.generated_at)
