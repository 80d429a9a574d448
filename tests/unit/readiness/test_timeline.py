"""/timeline: option checks, the backward plan from the real cycle calendar, warnings, .ics, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from bot.content import Content
from bot.cycle import CycleCalendar, MilestoneKind, MilestoneStatus
from bot.readiness.options import TimelineOptions, UnreachableMatchError
from bot.readiness.planning import (
    ExamPlan,
    Reach,
    add_months,
    earliest_realistic_year,
    first_open_year,
    is_realistic,
    local_today,
    max_plan_year,
    reach,
)
from bot.readiness.timeline import PlanStatus, TimelinePlan, plan_from_options, plan_timeline, plan_to_ics
from bot.validation import UserInputError

ET = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
K = MilestoneKind


def parse(calendar: CycleCalendar, now: datetime = NOW, **options: object) -> TimelineOptions:
    return TimelineOptions.parse(calendar, now, **options)  # type: ignore[arg-type]


def message(calendar: CycleCalendar, now: datetime = NOW, **options: object) -> str:
    with pytest.raises(UserInputError) as caught:
        parse(calendar, now, **options)
    return str(caught.value)


# -- options --------------------------------------------------------------------------------------------------


def test_match_year_bounds(calendar: CycleCalendar) -> None:
    assert message(calendar, match_year=1999) == (
        "Match 1999 is in the past. The next Match you can still enter is Match 2027."
    )
    assert message(calendar, match_year=2099) == "Plan at most 6 years ahead: try 2027–2032."
    assert message(calendar, match_year=2026) == (
        "Match 2026 is in the past. The next Match you can still enter is Match 2027."
    )
    assert parse(calendar, match_year=2027, step1="done", step2ck="done").match_year == 2027
    assert parse(calendar, match_year=2032).match_year == 2032
    assert message(calendar, match_year=2033) == "Plan at most 6 years ahead: try 2027–2032."


def test_after_the_rol_deadline_the_current_match_is_closed(calendar: CycleCalendar) -> None:
    # 2027-03-10: Match Week is next week, but the ROL deadline (Mar 3, 9 p.m. ET) has passed.
    now = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    assert message(calendar, now, match_year=2027) == (
        "It is too late to enter Match 2027: its rank order list deadline passed on March 3, 2027. "
        "The next Match you can still enter is Match 2028."
    )
    # After Match Day it is simply in the past.
    later = datetime(2027, 4, 2, tzinfo=UTC)
    assert message(calendar, later, match_year=2027).startswith("Match 2027 is in the past.")


def test_exam_options(calendar: CycleCalendar) -> None:
    options = parse(calendar, match_year=2029, step1="Passed", step2ck="2027-11", usce_months=2)
    assert options.step1 == ExamPlan.done()
    assert options.step2ck == ExamPlan.planned(date(2027, 11, 1))
    assert parse(calendar, match_year=2029, step1=" done ", step2ck="2027/6").step2ck.month == date(2027, 6, 1)
    assert parse(calendar, match_year=2029, step1="2026-11").step1.month == date(2026, 11, 1)  # this month is fine
    assert "2025-03" not in message(calendar, match_year=2029, step1="2025-03")
    assert message(calendar, match_year=2029, step1="2025-03") == (
        "Step 1: March 2025 is in the past. If you have passed it, write done; otherwise give the month you plan "
        "to take it."
    )
    assert "YYYY-MM" in message(calendar, match_year=2029, step2ck="May 2027")
    assert "13 is not a month" in message(calendar, match_year=2029, step2ck="2027-13")
    assert message(calendar, match_year=2028, step2ck="2029-01") == (
        "Step 2 CK in January 2029 is after Match 2028. Plan it earlier, or choose a later Match year."
    )
    assert "from 0 to 60" in message(calendar, match_year=2029, usce_months=61)
    assert "from 0 to 60" in message(calendar, match_year=2029, usce_months=-1)


DEC_6 = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
"""The issue's "today": Match 2027 interviews are under way, its ERAS submission day (Sept 2, 2026) has passed."""


def unreachable(calendar: CycleCalendar, now: datetime = DEC_6, **options: object) -> UnreachableMatchError:
    with pytest.raises(UnreachableMatchError) as caught:
        parse(calendar, now, **options)
    return caught.value


def test_a_match_the_exams_cannot_reach_is_refused_with_the_earliest_realistic_one(calendar: CycleCalendar) -> None:
    error = unreachable(calendar, match_year=2027)
    assert str(error) == (
        "Match 2027 is not reachable any more. Its applications went in from ERAS submission day (September 2, "
        "2026), and with no exam passed yet your Step 2 CK result would come around December 2027 (about 6 months "
        "of study for Step 1 and 5 for Step 2 CK, plus about four weeks for each result). That is after its rank "
        "order list deadline (March 3, 2027), by which ECFMG must report both exams to the NRMP, and after Match "
        "Day (March 19, 2027). Match 2028 is possible but tight: that result would come after its ERAS submission "
        "day (September 1, 2027) but before its rank order list deadline (March 1, 2028), so programs would first "
        "see your application without it. The earliest Match with both results on your application is **Match "
        "2029** (ERAS submission day September 6, 2028, projected)."
    )
    # The offers are the planner's own years: the first on time, and the tight one before it (a December 2027
    # result is in time for the Match 2028 rank order list deadline, so 2028 is never called out of reach).
    assert error.earliest == 2029 == earliest_realistic_year(calendar, DEC_6, ExamPlan.none(), ExamPlan.none())
    assert error.tight == 2028
    assert reach(calendar, DEC_6, 2028, ExamPlan.none(), ExamPlan.none()).reach is Reach.TIGHT
    assert (error.match_year, error.step1, error.step2ck) == (2027, ExamPlan.none(), ExamPlan.none())
    assert parse(calendar, DEC_6, match_year=2029).match_year == 2029
    # Step 1 passed: CK (five months from now, four weeks for the score) still misses the ROL deadline.
    passed_step1 = unreachable(calendar, match_year=2027, step1="done", usce_months=2)
    assert passed_step1.earliest == 2028 and passed_step1.tight is None and passed_step1.usce_months == 2
    assert "around June 2027 (about 5 months of study for Step 2 CK, plus about four weeks for its result)" in str(
        passed_step1
    )
    # The member's own months count the same way: CK in January 2027 is reported by Feb 28, before Mar 3.
    assert parse(calendar, DEC_6, match_year=2027, step1="done", step2ck="2027-01").match_year == 2027
    assert unreachable(calendar, match_year=2027, step1="done", step2ck="2027-02").earliest == 2028
    # Both exams passed: nothing to reach, the plan shows what is left of the cycle.
    assert parse(calendar, DEC_6, match_year=2027, step1="done", step2ck="done").match_year == 2027
    # The suggestion never goes beyond the horizon: none within six years says so instead.
    far = unreachable(calendar, match_year=2032, step1="2032-12", step2ck="2032-12")
    assert far.earliest is None and far.tight is None and "no Match up to 2032 leaves time" in str(far)
    # Only a tight year within the horizon: it is offered, and the message still says how to get more room.
    late = unreachable(calendar, match_year=2031, step1="done", step2ck="2031-10")
    assert (late.earliest, late.tight) == (None, 2032)
    assert str(late).endswith(
        "Match 2032 is possible but tight: that result would come after its ERAS submission day (September 3, 2031) "
        "but before its rank order list deadline (March 3, 2032), so programs would first see your application "
        "without it. No later Match within six years gives more room: move your exams earlier if you can."
    )
    # A message a member reads, not a validation dump, and no plan with exam dates after the Match.
    assert "Value error" not in str(error) and "[type=" not in str(error)


DEC_7 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
"""The usability test's "today"."""


def verdict_of(calendar: CycleCalendar, **options: object) -> tuple[str, tuple[str, ...]]:
    """What /timeline answers: ("refused", (message,)) or (the plan's reach, its warnings)."""
    try:
        parsed = parse(calendar, DEC_7, **options)
    except UnreachableMatchError as error:
        return "refused", (str(error),)
    plan = plan_from_options(parsed, DEC_7, calendar)
    return plan.reach.value, plan.warnings


def test_one_rule_for_the_usability_tests_four_cases(calendar: CycleCalendar) -> None:
    # Step 1 passed, CK June 2027: both results before ERAS submission day (Sept 1, 2027): on time, no warning.
    assert verdict_of(calendar, match_year=2028, step1="done", step2ck="2027-06") == ("on time", ())
    # Same CK month, Step 1 this month: reachable, tight for one reason (no exam passed, submission day under 12
    # months away), said once; no "compressed" and "too close" side by side.
    reach_, warnings = verdict_of(calendar, match_year=2028, step1="2026-12", step2ck="2027-06")
    assert reach_ == "tight" and len(warnings) == 1
    assert warnings[0].startswith("Match 2028 is possible but tight: both exams are still ahead")
    assert "**Match 2029**" in warnings[0]
    # No exams: the full 2028 plan is tight (CK result in December 2027, after submission day, before the ROL
    # deadline), never "too close to reach".
    reach_, warnings = verdict_of(calendar, match_year=2028)
    assert reach_ == "tight" and len(warnings) == 1
    assert "December 2027" in warnings[0] and "before its rank order list deadline (March 1, 2028)" in warnings[0]
    # Match 2027 is refused, and by the same rule its message calls 2028 tight, not out of reach.
    reach_, (refusal,) = verdict_of(calendar, match_year=2027)
    assert reach_ == "refused" and "Match 2028 is possible but tight" in refusal and "**Match 2029**" in refusal
    # The plan of the year the refusal calls tight says the same.
    assert verdict_of(calendar, match_year=2028)[0] == "tight"
    # Nothing anywhere says a year the plan shows cannot be reached.
    for options in ({"match_year": 2028}, {"match_year": 2028, "step1": "2026-12", "step2ck": "2027-06"}):
        assert not any("too close" in w or "not reachable" in w for w in verdict_of(calendar, **options)[1])


def test_plan_timeline_refuses_years_it_cannot_plan(calendar: CycleCalendar) -> None:
    with pytest.raises(ValueError, match="cannot be planned"):
        plan_timeline(2026, NOW, calendar)
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_timeline(2028, datetime(2026, 11, 22), calendar)  # noqa: DTZ001 (naive on purpose)


# -- the plan -------------------------------------------------------------------------------------------------

EVERY_KEY = {
    "step-1-study",
    "step-1",
    "step-2-ck",
    "oet",
    "pathway",
    "ecfmg-certificate",
    "usce-start",
    "usce-end",
    "letters",
    "eras-token",
    "visa-paperwork",
    *(
        k.value
        for k in (
            K.ERAS_SEASON_OPENS,
            K.ERAS_SUBMISSION_OPENS,
            K.NRMP_REGISTRATION_OPENS,
            K.ERAS_PROGRAM_REVIEW,
            K.INTERVIEW_SEASON_BEGINS,
            K.NRMP_REGISTRATION_DEADLINE,
            K.INTERVIEW_SEASON_ENDS,
            K.RANKING_OPENS,
            K.ROL_DEADLINE,
            K.MATCH_WEEK,
            K.SOAP_OPENS,
            K.SOAP_ROUND_1,
            K.MATCH_DAY,
            K.RESIDENCY_START,
        )
    ),
}


def day_of(plan: TimelinePlan, key: str) -> date:
    item = plan.get(key)
    assert item is not None and item.day is not None, key
    return item.day


def test_a_comfortable_plan_from_no_exams(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2029, NOW, calendar, usce_months=0)
    assert {item.key for item in plan.items} == EVERY_KEY
    assert plan.warnings == ()
    assert plan.earliest_realistic_year == 2029
    # Backward from ERAS 2029 submission day (Wed Sept 6, 2028): CK 9 weeks before, Step 1 five months before CK,
    # Step 1 study six months before that.
    assert day_of(plan, K.ERAS_SUBMISSION_OPENS.value) == date(2028, 9, 6)
    assert day_of(plan, "step-2-ck") == date(2028, 7, 5)
    assert day_of(plan, "step-1") == date(2028, 2, 5)
    assert day_of(plan, "step-1-study") == date(2027, 8, 5)
    assert day_of(plan, "usce-end") == date(2028, 7, 26)
    assert day_of(plan, "usce-start") == date(2028, 4, 26)
    assert day_of(plan, "visa-paperwork") == date(2029, 3, 19)
    assert day_of(plan, "ecfmg-certificate") == date(2029, 4, 8)
    order = ["step-1-study", "step-1", "step-2-ck", "eras-submission-opens", "eras-program-review", "rol-deadline"]
    order += ["match-week", "match-day", "visa-paperwork", "ecfmg-certificate", "residency-start"]
    days = [day_of(plan, key) for key in order]
    assert days == sorted(days)


def test_milestones_come_from_the_calendar_with_their_status(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2028, NOW, calendar, ExamPlan.done(), ExamPlan.done(), 4)
    for item in plan.items:
        if item.milestone is None:
            assert item.status in (PlanStatus.TARGET, PlanStatus.DONE)
            continue
        expected = calendar.get(2028, item.milestone.kind)
        assert expected is not None
        assert (item.at, item.all_day, item.uid) == (expected.at, expected.all_day, expected.uid)
        # Match 2028 has no data file: projected, except July 1 (the NRMP's own rule, official every year).
        official = item.milestone.kind is K.RESIDENCY_START
        assert item.status is (PlanStatus.OFFICIAL if official else PlanStatus.PROJECTED), item.key
        assert item.entry_id == expected.kb_entry
    rol = plan.get("rol-deadline")
    assert rol is not None and rol.at == datetime(2028, 3, 1, 21, 0, tzinfo=ET)
    assert "ECFMG must report" in rol.note
    registration = plan.get("nrmp-registration-deadline")
    assert registration is not None and registration.all_day and registration.day == date(2028, 1, 28)
    assert registration.status is PlanStatus.PROJECTED and registration.entry_id == "nrmp-registration"
    # Official dates stay official: Match 2026 planned from May 2025.
    early = plan_timeline(2026, datetime(2025, 5, 1, tzinfo=UTC), calendar, ExamPlan.done(), ExamPlan.done(), 3)
    opening = early.get("eras-season-opens")
    assert opening is not None and opening.status is PlanStatus.OFFICIAL
    assert opening.at == datetime(2025, 6, 4, 9, 0, tzinfo=ET)
    pathways = early.get("pathways-opens")
    assert pathways is not None and pathways.status is PlanStatus.OFFICIAL and pathways.all_day


def test_done_items_have_no_date_and_come_first(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2028, NOW, calendar, ExamPlan.done(), ExamPlan.done(), 5)
    done = [item for item in plan.items if item.status is PlanStatus.DONE]
    assert [item.key for item in done] == ["step-1", "step-2-ck", "usce"]
    assert all(item.at is None for item in done)
    assert plan.items[: len(done)] == tuple(done)
    assert plan.warnings == ()


def test_less_than_twelve_months_from_no_exams_is_tight_not_out_of_reach(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2028, NOW, calendar)
    # One verdict, said once: tight (the CK score comes after submission day, before the ROL deadline), with the
    # earliest on-time Match offered. Never "too close to reach" beside a full plan.
    assert plan.reach is Reach.TIGHT and plan.earliest_realistic_year == 2029
    assert plan.warnings == (
        "Match 2028 is possible but tight: your Step 2 CK result would come around November 2027 (about 6 months of "
        "study for Step 1 and 5 for Step 2 CK, plus about four weeks for each result), after its ERAS submission day "
        "(September 1, 2027) but before its rank order list deadline (March 1, 2028), so programs would first see "
        "your application without it. The earliest Match with both results on your application is **Match 2029** "
        "(ERAS submission day September 6, 2028, projected).",
    )
    assert not any("too close" in w or "not reachable" in w or "cannot be reached" in w for w in plan.warnings)
    # Nothing is scheduled before today even though Step 1 study "should" have started in August 2026.
    assert day_of(plan, "step-1-study") == date(2026, 11, 22)


def test_ck_after_submission_and_after_the_rol_deadline(calendar: CycleCalendar) -> None:
    late = plan_from_options(parse(calendar, match_year=2028, step1="done", step2ck="2027-10"), NOW, calendar)
    assert late.reach is Reach.TIGHT and late.earliest_realistic_year == 2029
    [tight] = late.warnings
    assert tight.startswith("Match 2028 is possible but tight: your Step 2 CK result would come around November 2027,")
    assert "after its ERAS submission day (September 1, 2027)" in tight and "**Match 2029**" in tight
    # CK in March 2028: its score would come after the ROL deadline, so Match 2028 is refused, not planned.
    assert message(calendar, match_year=2028, step1="done", step2ck="2028-03") == (
        "Match 2028 is not reachable with this exam plan: your Step 2 CK result would come around April 2028. That "
        "is after its rank order list deadline (March 1, 2028), by which ECFMG must report both exams to the NRMP, "
        "and after Match Day (March 17, 2028). The earliest Match with both results on your application is **Match "
        "2029** (ERAS submission day September 6, 2028, projected)."
    )
    # The planner itself still warns when called directly with such a plan, by the same rule, once.
    later = plan_timeline(2028, NOW, calendar, ExamPlan.done(), ExamPlan.planned(date(2028, 3, 1)))
    assert later.reach is Reach.TOO_LATE
    assert [w for w in later.warnings if "rank order list deadline (March 1, 2028)" in w] == [
        "Match 2028 cannot be reached with this exam plan: your Step 2 CK result would come around April 2028, after "
        "its rank order list deadline (March 1, 2028), by which ECFMG must report both exams to the NRMP. The earliest "
        "Match with both results on your application is **Match 2029** (ERAS submission day September 6, 2028, "
        "projected)."
    ]
    fine = plan_from_options(parse(calendar, match_year=2028, step1="done", step2ck="2027-06"), NOW, calendar)
    assert fine.warnings == () and fine.earliest_realistic_year == 2028 and fine.reach is Reach.ON_TIME
    assert day_of(fine, "step-2-ck") == date(2027, 6, 30)


def test_ck_before_step1_is_flagged(calendar: CycleCalendar) -> None:
    plan = plan_from_options(parse(calendar, match_year=2029, step1="2027-09", step2ck="2027-05"), NOW, calendar)
    assert any("Step 2 CK before Step 1" in w for w in plan.warnings)


def test_usce_that_cannot_fit_is_flagged(calendar: CycleCalendar) -> None:
    # Two more months from late November 2026 would end in January 2027: fine for Match 2028.
    assert not any("clinical experience" in w for w in plan_timeline(2028, NOW, calendar, usce_months=1).warnings)
    # In June 2027, three months from now end after the ERAS 2028 submission day.
    june = datetime(2027, 6, 20, tzinfo=UTC)
    plan = plan_timeline(2028, june, calendar, ExamPlan.done(), ExamPlan.done(), 0)
    assert any("3 months more of US clinical experience" in w for w in plan.warnings)


def test_mid_cycle_plan_shows_what_is_left(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2027, NOW, calendar, ExamPlan.done(), ExamPlan.done(), 3)
    keys = [item.key for item in plan.items]
    assert "eras-submission-opens" not in keys and "eras-token" not in keys and "letters" not in keys
    assert keys[-1] == "residency-start"
    assert {"ranking-opens", "rol-deadline", "match-week", "match-day"} <= set(keys)
    assert len(plan.warnings) == 1 and "If you applied" in plan.warnings[0] and "Match 2028" in plan.warnings[0]


def test_plan_as_ics(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2029, NOW, calendar, ExamPlan.done(), None, 1)
    data = plan_to_ics(plan, uid_domain="example.org")
    assert data == plan_to_ics(plan, uid_domain="example.org")
    parsed = Calendar.from_ical(data)
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    dated = [item for item in plan.items if item.at is not None]
    assert len(events) == len(dated)
    assert str(parsed["X-WR-CALNAME"]) == "My Match 2029 plan"
    ck = events["timeline-2029-step-2-ck@example.org"]
    assert ck.decoded("DTSTART") == day_of(plan, "step-2-ck")
    rol = events["rol-deadline-2029@example.org"]
    assert rol.decoded("DTSTART") == datetime(2029, 2, 28, 21, 0, tzinfo=ET)
    assert "TENTATIVE" in str(rol["STATUS"])
    assert "timeline-2029-step-1@example.org" not in events  # done: no date, no event


def test_target_entry_ids_exist(content: Content, calendar: CycleCalendar) -> None:
    for plan in (
        plan_timeline(2029, NOW, calendar, usce_months=0),
        plan_timeline(2028, NOW, calendar, ExamPlan.done(), ExamPlan.done(), 5),
    ):
        for item in plan.items:
            assert item.entry_id in content.knowledge.knowledge, item.key


# -- properties -----------------------------------------------------------------------------------------------

# Hypothesis takes naive bounds (timezones= makes the values aware).
nows = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2034, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001


@st.composite
def exam_plans(draw: st.DrawFn, today: date) -> ExamPlan:
    kind = draw(st.sampled_from(["done", "none", "planned"]))
    if kind == "done":
        return ExamPlan.done()
    if kind == "none":
        return ExamPlan.none()
    return ExamPlan.planned(add_months(today.replace(day=1), draw(st.integers(0, 40))))


def brute_force_first_open(calendar: CycleCalendar, now: datetime) -> int:
    return min(
        year
        for year in range(now.year - 1, now.year + 3)
        if (rol := calendar.get(year, K.ROL_DEADLINE)) is not None and rol.at > now
    )


@settings(deadline=None, max_examples=300)
@given(now=nows)
def test_the_right_cycle_is_chosen_for_any_today(calendar: CycleCalendar, now: datetime) -> None:
    first = first_open_year(calendar, now)
    assert first == brute_force_first_open(calendar, now)
    current = calendar.current_match_year(now)
    assert first in (current, current + 1)
    for year in range(now.year - 3, first):
        text = message(calendar, now, match_year=year)
        assert text.endswith(f"The next Match you can still enter is Match {first}.")
    assert message(calendar, now, match_year=max_plan_year(now) + 1).startswith("Plan at most 6 years ahead")


@settings(deadline=None, max_examples=250)
@given(data=st.data(), now=nows, offset=st.integers(0, 6))
def test_plan_properties(calendar: CycleCalendar, data: st.DataObject, now: datetime, offset: int) -> None:
    today = local_today(now)
    match_year = first_open_year(calendar, now) + offset
    assume(match_year <= max_plan_year(now))
    step1 = data.draw(exam_plans(today))
    step2ck = data.draw(exam_plans(today))
    assume(all(p.month is None or p.month.year <= match_year for p in (step1, step2ck)))
    usce = data.draw(st.one_of(st.none(), st.integers(0, 60)))
    plan = plan_timeline(match_year, now, calendar, step1, step2ck, usce)

    # Dates in order, done items (no date) first.
    dated = [item.at for item in plan.items if item.at is not None]
    assert dated == sorted(dated)
    first_dated = next((i for i, item in enumerate(plan.items) if item.at is not None), len(plan.items))
    assert all(item.at is None for item in plan.items[:first_dated])
    # Nothing scheduled in the past except what is done.
    for item in plan.items:
        if item.status is PlanStatus.DONE:
            assert item.at is None
        elif item.all_day:
            assert item.day is not None and item.day >= today, item.key
        else:
            assert item.at is not None and item.at >= now, item.key
    # The right cycle: every milestone is the calendar's own milestone of the target Match.
    for item in plan.items:
        if item.milestone is not None:
            assert item.milestone.match_year == match_year
            assert item.milestone == calendar.get(match_year, item.milestone.kind)
            expected = (
                PlanStatus.OFFICIAL if item.milestone.status is MilestoneStatus.OFFICIAL else PlanStatus.PROJECTED
            )
            assert item.status is expected
    assert plan.get("residency-start") is not None and plan.get("match-day") is not None
    # The suggestion is the first realistic Match, never one that is closed or beyond the horizon.
    earliest = plan.earliest_realistic_year
    assert earliest == earliest_realistic_year(calendar, now, step1, step2ck)
    if earliest is not None:
        assert first_open_year(calendar, now) <= earliest <= max_plan_year(now)
        assert is_realistic(calendar, now, earliest, step1, step2ck)
        assert not any(
            is_realistic(calendar, now, year, step1, step2ck)
            for year in range(first_open_year(calendar, now), earliest)
        )
    if earliest is None or earliest > match_year:
        assert plan.warnings, "an unreachable target must say so"
    # One rule: the plan's verdict is the rule's verdict, and a Match the options would refuse is never tight.
    found = reach(calendar, now, match_year, step1, step2ck)
    assert plan.reach is found.reach
    assert (plan.reach is Reach.ON_TIME) == is_realistic(calendar, now, match_year, step1, step2ck)
    assert not any("too close" in w for w in plan.warnings)
    if plan.reach is Reach.TIGHT:
        assert sum("possible but tight" in w for w in plan.warnings) <= 1
        assert not any("cannot be reached" in w for w in plan.warnings)
    # A realistic target is planned in the natural order.
    if earliest is not None and earliest <= match_year and not any("before Step 1" in w for w in plan.warnings):
        keys = [k for k in ("step-1", "step-2-ck", "eras-submission-opens") if (i := plan.get(k)) and i.at]
        days = [day_of(plan, k) for k in keys]
        assert days == sorted(days)
    # UIDs are unique, so the .ics export never refuses the plan.
    uids = [item.uid for item in plan.items if item.at is not None]
    assert len(uids) == len(set(uids))


def test_one_year_of_days_never_breaks_the_plan(calendar: CycleCalendar) -> None:
    # Every day of a full cycle (including DST changes and the ROL-to-Match-Day gap) for the nearest open year.
    start = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    for offset in range(0, 400, 3):
        now = start + timedelta(days=offset)
        year = first_open_year(calendar, now)
        plan = plan_timeline(year, now, calendar)
        assert plan.items and all(i.at is None or i.at >= now - timedelta(days=1) for i in plan.items)
