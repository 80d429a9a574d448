"""The readiness result on a phone: the level and three next steps, each area one menu pick away, within limits."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cycle import CycleCalendar
from bot.readiness.models import (
    Area,
    AreaResult,
    AreaStatus,
    AssessmentResult,
    OverallLevel,
    ReadinessHistory,
    SavedResult,
)
from bot.readiness.planning import ExamPlan
from bot.readiness.timeline import plan_timeline
from bot.ui import readiness as screens

NOW = dt.datetime(2026, 12, 6, 15, tzinfo=dt.UTC)


def title_of(entry_id: str) -> str:
    return "T" * 200


def a_result(statuses: list[AreaStatus], *, words: int = 900) -> AssessmentResult:
    areas = tuple(
        AreaResult(area, status, "f" * words, "n" * (words // 2), f"entry-{area.value}")
        for area, status in zip(Area, statuses, strict=False)
    )
    context = tuple("c" * 300 for _ in range(5))
    return AssessmentResult(OverallLevel.AT_RISK, areas, NOW, 2028, context)


@pytest.mark.parametrize("words", [40, 900])
def test_every_view_of_the_longest_result_fits(words: int) -> None:
    result = a_result([AreaStatus.RED_FLAG] * len(Area), words=words)
    plain = screens.result_embed(result, title_of)
    assert [f.name for f in plain.fields] == ["Your next steps"]
    assert len(plain) <= 2000
    for shown in [*(area.value for area in Area), screens.CONTEXT_OPTION]:
        embed = screens.result_embed(result, title_of, shown=shown)
        assert len(embed.fields) == 2 and len(embed) <= 6000
        assert all(len(f.value or "") <= 1024 for f in embed.fields)
    options = screens.area_options(result, Area.USCE.value)
    assert len(options) == len(Area) + 1 and options[-1][1] == screens.CONTEXT_OPTION
    assert all(len(label) <= 100 and len(description) <= 100 for label, _, description, _ in options)
    assert [value for _, value, _, default in options if default] == [Area.USCE.value]


def test_next_steps_are_the_three_most_pressing_and_ready_areas_are_not_steps() -> None:
    statuses = [AreaStatus.READY, AreaStatus.NEEDS_WORK, AreaStatus.READY, AreaStatus.NEEDS_WORK, AreaStatus.NEEDS_WORK]
    result = a_result(statuses, words=40)
    assert [a.status for a in screens.next_steps(result)] == [AreaStatus.NEEDS_WORK] * 3
    ready = a_result([AreaStatus.READY] * 3, words=40)
    assert screens.next_steps(ready) == ()
    assert screens.result_embed(ready, title_of).fields[0].value.startswith("Every area is ready")  # type: ignore[union-attr]


def flags(*lasting: bool) -> AssessmentResult:
    areas = tuple(
        AreaResult(area, AreaStatus.RED_FLAG, "finding", "step", f"entry-{area.value}", lasting=keeps)
        for area, keeps in zip(Area, lasting, strict=False)
    )
    return AssessmentResult(OverallLevel.AT_RISK, areas, NOW, 2028)


def test_fixing_within_one_season_is_promised_only_for_red_flags_that_can_be_fixed() -> None:
    fixable = screens.result_embed(flags(False, False), title_of).description or ""
    assert "Many applicants fix red flags like these within one season." in fixable
    # A failed attempt or the graduation year stays: no promise, a way to plan around it instead.
    lasting = screens.result_embed(flags(True), title_of).description or ""
    assert "within one season" not in lasting
    assert "cannot change, such as a failed attempt or the year you graduated" in lasting
    assert "explain them honestly" in lasting
    mixed = screens.result_embed(flags(True, False), title_of).description or ""
    assert "cannot change" in mixed and "The others can often be fixed within one season." in mixed


def test_saving_says_only_the_levels_are_kept_and_the_details_close_without_alarming() -> None:
    saved = SavedResult(1, NOW, OverallLevel.AT_RISK, {Area.USCE: AreaStatus.NEEDS_WORK})
    text = screens.saved_text(saved, ReadinessHistory((saved,), ()))
    assert "**At risk** and each area's level only, not your answers" in text
    assert "the area details on this screen are closed" in text
    assert "deleted" not in text, "members read it as losing their work"
    assert "the details close when you save" in screens.RESULT_FOOTER


# -- /timeline ------------------------------------------------------------------------------------------------


def test_the_current_match_is_not_labelled_as_if_the_member_had_applied(calendar: CycleCalendar) -> None:
    labels = dict((year, label) for label, year in screens.year_choices(calendar, NOW, ""))
    assert labels[2027] == "Match 2027: too late for new applicants, Match Day March 2027 (dates projected)"
    assert "already" not in labels[2027]
    assert labels[2028].startswith("Match 2028: apply from September 2027")


def test_someone_elses_plan_is_never_called_yours(calendar: CycleCalendar) -> None:
    plan = plan_timeline(2028, NOW, calendar, ExamPlan.done(), ExamPlan.planned(dt.date(2027, 6, 1)), 2)
    phase = screens.phases(plan, calendar)[0]
    mine = screens.phase_embed(plan, calendar, phase)
    assert mine.title == "Your plan for Match 2028" and screens.MAKE_YOUR_OWN not in (mine.description or "")
    theirs = screens.phase_embed(plan, calendar, phase, owner_name="Ana")
    assert theirs.title == "Ana's plan for Match 2028"
    assert (theirs.description or "").startswith("Make your own with /timeline.")
    unknown = screens.phase_embed(plan, calendar, phase, owner_name="")
    assert unknown.title == "This shared plan for Match 2028"
    # The shared post itself, seen by everyone: no "Your", and the same pointer.
    shared = screens.timeline_embed(plan, calendar, shared_by="Ana")
    assert shared.title == "Plan for Match 2028" and "Make your own with /timeline." in (shared.description or "")
    assert screens.sharer_name(shared.author.name) == "Ana" and screens.sharer_name(None) == ""
    # The calendar file: "Your" only for the owner.
    assert screens.ics_message(2028).startswith("Your Match 2028 plan as a calendar file.")
    other = screens.ics_message(2028, owner_name="Ana")
    assert other.startswith("Ana's Match 2028 plan as a calendar file.") and other.endswith(screens.MAKE_YOUR_OWN)
    assert screens.ics_message(2028, owner_name="").startswith("This shared Match 2028 plan")
    # A name that pings never pings from a title.
    assert "@everyone" not in (screens.phase_embed(plan, calendar, phase, owner_name="@everyone").title or "")
