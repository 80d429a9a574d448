"""The /readiness rules: the specialty score table, the questions as renderable steps, and evaluate()."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import Content
from bot.cycle import CycleCalendar
from bot.datafiles import DataFileError
from bot.readiness.assessment import (
    ENTRY_IDS,
    MAX_CHOICES,
    MAX_LABEL,
    MAX_TITLE,
    Questionnaire,
    StepKind,
    build_questionnaire,
    evaluate,
    load_questionnaire_words_from_data_dir,
    prune_answers,
)
from bot.readiness.models import (
    Answers,
    Area,
    AreaStatus,
    ConsistencyStatus,
    ExamStatus,
    MentorStatus,
    OetStatus,
    OverallLevel,
    PathwayStatus,
    StatementStatus,
    Step3Status,
    UsceKind,
    VisaPlan,
)
from bot.readiness.specialties import ScoreBand, SpecialtyTable, load_specialties, load_specialties_from_data_dir
from bot.readiness.wording import QuestionnaireWords
from bot.validation import UserInputError
from tests.conftest import REPO_ROOT

DATA_DIR = REPO_ROOT / "data"
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def specialties() -> SpecialtyTable:
    return load_specialties_from_data_dir(DATA_DIR)


@pytest.fixture(scope="module")
def words() -> QuestionnaireWords:
    return load_questionnaire_words_from_data_dir(DATA_DIR)


@pytest.fixture(scope="module")
def questionnaire(specialties: SpecialtyTable, calendar: CycleCalendar, words: QuestionnaireWords) -> Questionnaire:
    return build_questionnaire(specialties, calendar, NOW, words)


# A member in good shape for Match 2028; each test changes what it is about.
STRONG = Answers(
    target_match=2028,
    step1=ExamStatus.PASSED,
    step2ck=ExamStatus.PASSED,
    step2ck_score=252,
    specialty="internal-medicine",
    pathway=PathwayStatus.MET,
    graduation_year=2024,
    usce_months=4,
    usce_kind=UsceKind.HANDS_ON,
    us_letters=3,
    personal_statement=StatementStatus.REVIEWED,
    consistency=ConsistencyStatus.CHECKED,
    visa=VisaPlan.J1,
    mentor=MentorStatus.YES,
)


def area(answers: Answers, specialties: SpecialtyTable, calendar: CycleCalendar, which: Area) -> Any:
    result = evaluate(answers, specialties, NOW, calendar)
    found = [a for a in result.areas if a.area is which]
    return found[0] if found else None


# -- the specialty table --------------------------------------------------------------------------------------


def test_shipped_table_matches_the_facts_page(specialties: SpecialtyTable) -> None:
    assert specialties.cycle == "Match 2026"
    assert specialties.applicants == "non-US IMGs"
    assert (
        specialties.source_url
        == "https://www.nrmp.org/wp-content/uploads/2026/07/Non-US-IMG_Charting-Outcomes_FINAL.pdf"
    )
    assert (specialties.passing_score.score, specialties.passing_score.previous) == (218, 214)
    assert specialties.passing_score.since == date(2025, 7, 1)
    # Step 2 CK passing scores: 218 from July 1, 2025 (section 9); 214 from July 1, 2022; 209 before (section 2).
    marks = [(m.score, m.since, m.until) for m in specialties.passing_score.marks]
    assert marks == [
        (218, date(2025, 7, 1), None),
        (214, date(2022, 7, 1), date(2025, 6, 30)),
        (209, None, date(2022, 6, 30)),
    ]
    assert [m.key for m in specialties.passing_score.marks] == ["2025-07-01", "2022-07-01", "before-2022-07-01"]
    # Matched mean/median, unmatched mean/median, match rate: pathway-facts.md section 9.
    expected = {
        "internal-medicine": (249, 251, 242, 243, 48.5),
        "family-medicine": (231, 230, 232, 231, 53.9),
        "pediatrics": (241, 240, 234, 233, 68.5),
        "psychiatry": (242, 241, 237, 237, 58.4),
        "neurology": (250, 252, 243, 244, 41.9),
        "anesthesiology": (252, 255, 246, 247, 38.7),
        "general-surgery": (253, 256, 246, 247, 28.6),
        "pathology": (243, 244, 236, 235, 45.1),
        "emergency-medicine": (244, 243, 236, 236, 54.1),
        "obgyn": (245, 242, 238, 239, 32.8),
        "diagnostic-radiology": (251, 250, 250, 251, 58.3),
    }
    got = {
        s.id: (s.matched.mean, s.matched.median, s.unmatched.mean, s.unmatched.median, s.match_rate)
        for s in specialties
    }
    assert got == expected


def test_find_by_alias_and_name(specialties: SpecialtyTable) -> None:
    assert specialties.find("IM") == specialties.get("internal-medicine")
    assert specialties.find("peds") == specialties.get("pediatrics")
    assert specialties.find("OB GYN") == specialties.get("obgyn")
    assert specialties.find("Family Medicine") == specialties.get("family-medicine")
    assert specialties.find("dermatology") is None


def test_score_bands_below_the_matched_mean_split_at_the_lower_mean(specialties: SpecialtyTable) -> None:
    im = specialties.get("internal-medicine")
    fm = specialties.get("family-medicine")
    dr = specialties.get("diagnostic-radiology")
    assert im is not None and fm is not None and dr is not None
    assert [im.band(s) for s in (249, 248, 242, 241)] == [
        ScoreBand.AT_OR_ABOVE_MATCHED,
        ScoreBand.BELOW_MATCHED,
        ScoreBand.BELOW_MATCHED,
        ScoreBand.BELOW_BOTH,
    ]
    # Family Medicine: unmatched mean (232) above matched (231). The matched average itself is "at or above".
    assert fm.lower_mean == 231
    assert [fm.band(s) for s in (232, 231, 230)] == [
        ScoreBand.AT_OR_ABOVE_MATCHED,
        ScoreBand.AT_OR_ABOVE_MATCHED,
        ScoreBand.BELOW_BOTH,
    ]
    assert [dr.band(s) for s in (251, 250, 249)] == [
        ScoreBand.AT_OR_ABOVE_MATCHED,
        ScoreBand.BELOW_MATCHED,
        ScoreBand.BELOW_BOTH,
    ]


GOOD_FILE = """\
cycle: Match 2026
applicants: non-US IMGs
reviewed: 2026-11-22
source:
  title: NRMP Charting Outcomes
  url: https://www.nrmp.org/report.pdf
passing_score:
  marks:
    - {score: 218, since: 2025-07-01}
    - {score: 214, since: 2022-07-01}
    - {score: 209}
  sources:
    - title: USMLE
      url: https://www.usmle.org/common-questions
specialties:
  - id: internal-medicine
    name: Internal Medicine
    aliases: [im]
    matched: {mean: 249, median: 251}
    unmatched: {mean: 242, median: 243}
    match_rate: 48.5
  - id: pediatrics
    name: Pediatrics
    aliases: [peds]
    matched: {mean: 241, median: 240}
    unmatched: {mean: 234, median: 233}
    match_rate: 68.5
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "specialties.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> str:
    with pytest.raises(DataFileError) as caught:
        load_specialties(path, today=date(2026, 11, 22))
    return str(caught.value)


def test_a_good_file_loads(tmp_path: Path) -> None:
    table = load_specialties(write(tmp_path, GOOD_FILE), today=date(2026, 11, 22))
    assert [s.id for s in table] == ["internal-medicine", "pediatrics"]


def test_duplicate_alias_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_FILE.replace("aliases: [peds]", "aliases: [peds, im]"))
    message = problems_of(path)
    assert f"{path}:24: specialties[1].aliases[1]: 'im' is already used by specialty 'internal-medicine'" in message


def test_impossible_score_is_reported_with_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_FILE.replace("{mean: 241, median: 240}", "{mean: 341, median: 240}"))
    message = problems_of(path)
    assert f"{path}:25: specialties[1].matched.mean:" in message
    assert "less than or equal to 300" in message


def test_reserved_id_unknown_key_and_bad_cycle(tmp_path: Path) -> None:
    text = GOOD_FILE.replace("id: pediatrics", "id: other").replace("cycle: Match 2026", "cycle: 2026 Match")
    text = text.replace("match_rate: 48.5", "match_rate: 48.5\n    rank: 1")
    message = problems_of(write(tmp_path, text))
    assert "cycle: String should match pattern" in message
    assert "specialties[1].id: 'other' is reserved" in message
    assert "specialties[0].rank: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ("    - {score: 214, since: 2022-07-01}\n    - {score: 218, since: 2025-07-01}\n", "newest first"),
        ("    - {score: 218, since: 2022-07-01}\n    - {score: 214, since: 2025-07-01}\n", "older 'since'"),
        ("    - {score: 218}\n    - {score: 214, since: 2022-07-01}\n", "only the oldest"),
        ("    - {score: 218}\n", "needs its 'since' date"),
    ],
)
def test_passing_score_history_is_checked(tmp_path: Path, marks: str, expected: str) -> None:
    current = "    - {score: 218, since: 2025-07-01}\n    - {score: 214, since: 2022-07-01}\n    - {score: 209}\n"
    message = problems_of(write(tmp_path, GOOD_FILE.replace(current, marks)))
    assert "passing_score" in message and expected in message


def test_future_review_date_and_missing_file(tmp_path: Path) -> None:
    message = problems_of(write(tmp_path, GOOD_FILE.replace("reviewed: 2026-11-22", "reviewed: 2027-06-01")))
    assert "reviewed: the reviewed date is in the future" in message
    with pytest.raises(DataFileError, match="specialty score file not found"):
        load_specialties_from_data_dir(tmp_path)


# -- the questions --------------------------------------------------------------------------------------------


def test_steps_fit_discord_components(questionnaire: Questionnaire) -> None:
    assert len(questionnaire.steps) == 17
    for step in questionnaire.steps:
        assert 0 < len(step.title) <= MAX_TITLE
        assert step.prompt
        if step.kind is StepKind.CHOICE:
            assert 2 <= len(step.choices) <= MAX_CHOICES
            for choice in step.choices:
                assert 0 < len(choice.label) <= MAX_LABEL and 0 < len(choice.value) <= MAX_LABEL
                assert len(choice.description) <= MAX_LABEL
        else:
            assert step.minimum is not None and step.maximum is not None and step.minimum <= step.maximum


def test_target_years_come_from_the_calendar(questionnaire: Questionnaire) -> None:
    step = questionnaire.get("target_match")
    assert step is not None
    assert [c.value for c in step.choices] == ["2027", "2028", "2029", "2030", "2031", "undecided"]
    labels = {c.value: (c.label, c.description) for c in step.choices}
    assert labels["2027"][0] == "Match 2027 (too late for new applicants)"  # not read as "I have applied"
    assert labels["2028"] == (
        "Match 2028 (apply September 2027)",
        "ERAS submission opens September 1, 2027 (projected)",
    )


def test_conditions_only_read_earlier_answers(questionnaire: Questionnaire) -> None:
    # Walking forward from any step must meet every step that applies, so no condition may look ahead.
    full = STRONG.model_copy(update={"oet": OetStatus.PASSED, "step3": Step3Status.PASSED})
    variants = [
        full,
        full.model_copy(update={"step2ck": ExamStatus.NOT_STARTED, "visa": VisaPlan.H1B, "usce_months": 0}),
        full.model_copy(update={"pathway": PathwayStatus.APPLIED, "visa": VisaPlan.UNSURE}),
    ]
    for answers in variants:
        for index, step in enumerate(questionnaire.steps):
            later = {s.id: None for s in questionnaire.steps[index:]}
            assert step.applies(answers.model_copy(update=later)) == step.applies(answers), step.id


def test_follow_up_answers_are_pruned_when_they_stop_applying(questionnaire: Questionnaire) -> None:
    answers = questionnaire.with_answer(Answers(), "step2ck", "passed")
    answers = questionnaire.with_answer(answers, "step2ck_score", "247")
    assert answers.step2ck_score == 247
    answers = questionnaire.with_answer(answers, "step2ck", "not-started")
    assert answers.step2ck_score is None
    with pytest.raises(UserInputError, match="does not apply"):
        questionnaire.with_answer(answers, "step2ck_score", "247")


def test_a_passed_ck_score_below_every_passing_score_is_questioned(questionnaire: Questionnaire) -> None:
    for status in ("passed", "passed-after-fail"):
        passed = questionnaire.with_answer(Answers(), "step2ck", status)
        with pytest.raises(UserInputError) as caught:
            questionnaire.with_answer(passed, "step2ck_score", "150")
        text = str(caught.value)
        assert text.startswith("150 is below the Step 2 CK passing score (218 for exams from July 1, 2025, ")
        assert "214 for exams from July 1, 2022 to June 30, 2025, 209 for exams before July 1, 2022" in text
        assert "check the score on your USMLE score report" in text and "\u201cFailed, not passed yet\u201d" in text
    # At the lowest passing score it may be a pass from before July 2022: accepted, then the date is asked.
    passed = questionnaire.with_answer(Answers(), "step2ck", "passed")
    assert questionnaire.with_answer(passed, "step2ck_score", "209").step2ck_score == 209
    # Not passed: no score is asked, so none is checked.
    failed = questionnaire.with_answer(Answers(), "step2ck", "failed")
    with pytest.raises(UserInputError, match="does not apply"):
        questionnaire.with_answer(failed, "step2ck_score", "150")


def test_a_score_below_todays_passing_score_asks_when_the_exam_was_taken(questionnaire: Questionnaire) -> None:
    answers = questionnaire.with_answer(Answers(step2ck=ExamStatus.PASSED), "step2ck_score", "216")
    step = questionnaire.next_after("step2ck_score", answers)
    assert step is not None and step.id == "step2ck_period" and "below 218" in step.prompt
    assert [(c.value, c.label) for c in step.choices] == [
        ("2025-07-01", "From July 1, 2025 (passing score 218)"),
        ("2022-07-01", "From July 1, 2022 to June 30, 2025 (passing score 214)"),
        ("before-2022-07-01", "Before July 1, 2022 (passing score 209)"),
    ]
    # Taken since July 2025, 216 is below that period's 218: questioned, not accepted.
    with pytest.raises(UserInputError) as caught:
        questionnaire.with_answer(answers, "step2ck_period", "2025-07-01")
    assert str(caught.value).startswith(
        "216 is below 218, the Step 2 CK passing score for exams taken from July 1, 2025, so it cannot be a pass."
    )
    assert "\u201cFailed, not passed yet\u201d" in str(caught.value)
    # Taken in 2024 (pass mark 214) it was a pass.
    kept = questionnaire.with_answer(answers, "step2ck_period", "2022-07-01")
    assert (kept.step2ck_score, kept.step2ck_period) == (216, "2022-07-01")
    # A new score asks again (the period answered was about the old one); a score at today's mark asks nothing.
    retyped = questionnaire.with_answer(kept, "step2ck_score", "212")
    assert retyped.step2ck_period is None
    with pytest.raises(UserInputError, match="212 is below 214"):
        questionnaire.with_answer(retyped, "step2ck_period", "2022-07-01")
    assert questionnaire.with_answer(retyped, "step2ck_period", "before-2022-07-01").step2ck_period
    high = questionnaire.with_answer(kept, "step2ck_score", "218")
    assert high.step2ck_period is None
    next_step = questionnaire.next_after("step2ck_score", high)
    assert next_step is not None and next_step.id == "specialty"


def test_a_stored_score_below_the_passing_score_is_asked_again(questionnaire: Questionnaire) -> None:
    # Answers saved before the check existed (or edited by hand) come back through prune, not validation.
    stale = Answers(step2ck=ExamStatus.PASSED, step2ck_score=150)
    assert questionnaire.prune(stale).step2ck_score is None
    wrong_period = Answers(step2ck=ExamStatus.PASSED, step2ck_score=216, step2ck_period="2025-07-01")
    assert questionnaire.prune(wrong_period).step2ck_score is None
    assert questionnaire.prune(wrong_period).step2ck_period is None
    fine = Answers(step2ck=ExamStatus.PASSED, step2ck_score=216, step2ck_period="2022-07-01")
    assert questionnaire.prune(fine) == fine
    first = questionnaire.first_open(questionnaire.prune(stale.model_copy(update={"target_match": 2028})))
    assert first is not None and first.id == "step1"


def test_answers_are_checked(questionnaire: Questionnaire) -> None:
    with pytest.raises(UserInputError, match="pick one of the options"):
        questionnaire.with_answer(Answers(), "step1", "maybe")
    with pytest.raises(UserInputError, match="from 0 to 60"):
        questionnaire.with_answer(Answers(), "usce_months", "61")
    with pytest.raises(UserInputError, match="whole number"):
        questionnaire.with_answer(Answers(), "graduation_year", "twenty")
    answers = questionnaire.with_answer(Answers(), "target_match", "2029")
    assert answers.target_match == 2029
    assert questionnaire.with_answer(answers, "target_match", "undecided").target_match == "undecided"
    assert questionnaire.with_answer(Answers(), "us_letters", "4").us_letters == 4
    # A decimal comma is read as one (bot.numbers): "1,0" is 1, "1,5" is not a whole number, "2,018" is 2018.
    assert questionnaire.with_answer(Answers(), "usce_months", " 1,0 ").usce_months == 1
    with pytest.raises(UserInputError, match="whole number"):
        questionnaire.with_answer(Answers(), "usce_months", "1,5")
    assert questionnaire.with_answer(Answers(), "graduation_year", "2,018").graduation_year == 2018


def test_a_refused_number_repeats_what_was_typed_and_suggests_the_obvious_fix(questionnaire: Questionnaire) -> None:
    # NOW is 2026: graduation years run from 1950 to 2032.
    def refusal(step_id: str, typed: str) -> str:
        with pytest.raises(UserInputError) as refused:
            questionnaire.with_answer(Answers(step2ck=ExamStatus.PASSED), step_id, typed)
        return str(refused.value)

    assert refusal("graduation_year", "21") == (
        "You typed “21”. Did you mean **2021**? Type a whole number from 1950 to 2032."
    )
    assert "Did you mean **1995**?" in refusal("graduation_year", "95")
    # No obvious fix: only what was typed and the range.
    assert refusal("usce_months", "61") == "You typed “61”. Type a whole number from 0 to 60."
    assert refusal("graduation_year", "1900") == "You typed “1900”. Type a whole number from 1950 to 2032."
    assert refusal("step2ck_score", "2,45") == (
        "You typed “2,45”, which is not a whole number. Type a whole number from 1 to 300. For example 245."
    )
    # What is repeated back cannot format or ping.
    assert "@everyone" not in refusal("usce_months", "@everyone")
    assert "“\\*\\*x\\*\\*”" in refusal("usce_months", "**x**")


def test_navigation_skips_steps_that_do_not_apply(questionnaire: Questionnaire) -> None:
    answers = Answers(step2ck=ExamStatus.NOT_STARTED)
    step = questionnaire.next_after("step2ck", answers)
    assert step is not None and step.id == "specialty"
    back = questionnaire.previous_before("specialty", answers)
    assert back is not None and back.id == "step2ck"
    passed = Answers(step2ck=ExamStatus.PASSED)
    step = questionnaire.next_after("step2ck", passed)
    assert step is not None and step.id == "step2ck_score"
    assert questionnaire.previous_before("target_match", passed) is None


def test_the_question_count_stays_the_same_while_answering(questionnaire: Questionnaire) -> None:
    # Before: "question 3 of 12", then "4 of 13" once CK was passed, growing to 16 as answers opened follow-ups.
    empty = questionnaire.progress(Answers(), questionnaire.get("step2ck"))
    assert empty.counter == "question 3 of 12" and not empty.follow_up
    passed = Answers(step1=ExamStatus.PASSED, step2ck=ExamStatus.PASSED)
    score = questionnaire.progress(passed, questionnaire.get("step2ck_score"))
    assert score.counter == "question 3 of 12, a follow-up" and score.follow_up
    specialty = questionnaire.progress(passed.model_copy(update={"step2ck_score": 245}), questionnaire.get("specialty"))
    assert specialty.counter == "question 4 of 12"
    mentor = questionnaire.progress(STRONG.model_copy(update={"visa": VisaPlan.H1B}), questionnaire.get("mentor"))
    assert mentor.counter == "question 12 of 12"
    done = questionnaire.progress(STRONG, None)
    assert done.complete and (done.number, done.total) == (13, 12)


# -- the rules ------------------------------------------------------------------------------------------------


def test_a_strong_member_is_on_track(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    result = evaluate(STRONG, specialties, NOW, calendar)
    assert result.overall is OverallLevel.ON_TRACK
    assert {a.status for a in result.areas} == {AreaStatus.READY}
    assert {a.area for a in result.areas} == set(Area)
    assert result.target_match == 2028
    assert any("not cut-offs" in line for line in result.context)
    assert any("218" in line for line in result.context)
    passing = next(line for line in result.context if "passing score" in line)
    assert passing == (
        "The Step 2 CK passing score is 218 for exams from July 1, 2025 (it was 214 before); check "
        "[usmle.org](https://www.usmle.org/common-questions) for the current figure."
    )


def test_red_flag_graduation_more_than_five_years_before_applying(
    specialties: SpecialtyTable, calendar: CycleCalendar
) -> None:
    # Match 2028 means applying in September 2027.
    cases = {2024: AreaStatus.READY, 2022: AreaStatus.NEEDS_WORK, 2021: AreaStatus.RED_FLAG, 2015: AreaStatus.RED_FLAG}
    for year, status in cases.items():
        found = area(STRONG.model_copy(update={"graduation_year": year}), specialties, calendar, Area.GRADUATION)
        assert found.status is status, year
    # A red flag only as a program's stated limit: the finding says so, in the words of the year-of-graduation entry
    # ("a challenge, not a ban"), never that programs in general will not consider the member.
    old = area(STRONG.model_copy(update={"graduation_year": 2021}), specialties, calendar, Area.GRADUATION)
    assert "past the limit some programs state" in old.finding and "a challenge, not a ban" in old.finding
    assert "will not consider" not in old.finding
    assert old.next_step.startswith("Target programs without a graduation-year limit")
    assert old.lasting, "the graduation year cannot be fixed within a season"
    student = area(STRONG.model_copy(update={"graduation_year": 2028}), specialties, calendar, Area.GRADUATION)
    assert student.status is AreaStatus.READY and "not graduated" in student.finding


def test_no_us_clinical_experience_needs_work_but_is_no_red_flag(
    specialties: SpecialtyTable, calendar: CycleCalendar
) -> None:
    # USCE is not a formal requirement of ECFMG or the NRMP (usce-overview): missing it needs work, it blocks nothing.
    none = area(STRONG.model_copy(update={"usce_months": 0, "usce_kind": None}), specialties, calendar, Area.USCE)
    assert none.status is AreaStatus.NEEDS_WORK and none.entry_id == "finding-usce"
    assert "not a formal requirement" in none.finding
    research = STRONG.model_copy(update={"usce_months": 6, "usce_kind": UsceKind.RESEARCH})
    assert area(research, specialties, calendar, Area.USCE).status is AreaStatus.NEEDS_WORK
    observer = STRONG.model_copy(update={"usce_months": 6, "usce_kind": UsceKind.OBSERVERSHIP})
    assert area(observer, specialties, calendar, Area.USCE).status is AreaStatus.NEEDS_WORK
    short = STRONG.model_copy(update={"usce_months": 2})
    found = area(short, specialties, calendar, Area.USCE)
    assert found.status is AreaStatus.NEEDS_WORK and "2 months of hands-on" in found.finding


def test_ck_below_the_matched_mean_is_below_the_usual_range_never_a_red_flag(
    specialties: SpecialtyTable, calendar: CycleCalendar
) -> None:
    low = area(STRONG.model_copy(update={"step2ck_score": 236}), specialties, calendar, Area.SCORE)
    assert low.status is AreaStatus.NEEDS_WORK
    assert low.finding == (
        "Your 236 is below the usual range for Internal Medicine: matched non-US IMGs averaged about 249 in Match "
        "2026 (those who did not match: about 242). Averages are not cut-offs."
    )
    assert "red flag" not in low.finding.lower()
    assert "backup specialty" in low.next_step
    middle = area(STRONG.model_copy(update={"step2ck_score": 245}), specialties, calendar, Area.SCORE)
    assert middle.status is AreaStatus.NEEDS_WORK
    assert middle.finding.startswith("Your 245 is below the usual range for Internal Medicine")
    assert "matched non-US IMGs averaged about 249" in middle.finding
    # A low score alone leaves a member "needs work" at worst, never "at risk".
    result = evaluate(STRONG.model_copy(update={"step2ck_score": 220}), specialties, NOW, calendar)
    assert result.overall is not OverallLevel.AT_RISK and not result.red_flags
    # The same 236 is at the matched average in Family Medicine and above it in Pediatrics' needs-work band.
    fm = area(
        STRONG.model_copy(update={"step2ck_score": 236, "specialty": "family-medicine"}),
        specialties,
        calendar,
        Area.SCORE,
    )
    assert fm.status is AreaStatus.READY
    undecided = area(STRONG.model_copy(update={"specialty": "undecided"}), specialties, calendar, Area.SCORE)
    assert undecided.status is AreaStatus.NEEDS_WORK and "231" in undecided.finding and "253" in undecided.finding


def test_no_score_area_before_ck_is_passed(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    # A score left over from before CK was changed to "booked" must not be judged.
    stale = STRONG.model_copy(update={"step2ck": ExamStatus.SCHEDULED, "step2ck_score": 200})
    assert area(stale, specialties, calendar, Area.SCORE) is None


def test_red_flag_h1b_without_step3(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    def visa(plan: VisaPlan, step3: Step3Status | None) -> Any:
        return area(STRONG.model_copy(update={"visa": plan, "step3": step3}), specialties, calendar, Area.VISA)

    assert visa(VisaPlan.H1B, Step3Status.NOT_TAKEN).status is AreaStatus.RED_FLAG
    assert visa(VisaPlan.H1B, Step3Status.SCHEDULED).status is AreaStatus.NEEDS_WORK
    assert visa(VisaPlan.H1B, Step3Status.PASSED).status is AreaStatus.READY
    assert visa(VisaPlan.UNSURE, Step3Status.NOT_TAKEN).status is AreaStatus.NEEDS_WORK
    # A Step 3 answer left from an earlier H-1B choice is ignored for a J-1.
    assert visa(VisaPlan.J1, Step3Status.NOT_TAKEN).status is AreaStatus.READY


def test_red_flag_application_date_the_exam_plan_cannot_reach(
    specialties: SpecialtyTable, calendar: CycleCalendar
) -> None:
    no_exams = STRONG.model_copy(
        update={"step1": ExamStatus.NOT_STARTED, "step2ck": ExamStatus.NOT_STARTED, "step2ck_score": None}
    )
    found = area(no_exams, specialties, calendar, Area.TIMING)
    assert found.status is AreaStatus.RED_FLAG
    assert "September 1, 2027" in found.finding and "Match 2029" in found.next_step
    later = area(no_exams.model_copy(update={"target_match": 2029}), specialties, calendar, Area.TIMING)
    assert later.status is AreaStatus.READY
    # Step 1 passed and CK being studied: four months to the ERAS 2028 submission day is enough.
    ck_ahead = STRONG.model_copy(update={"step2ck": ExamStatus.PREPARING, "step2ck_score": None})
    assert area(ck_ahead, specialties, calendar, Area.TIMING).status is AreaStatus.READY


def test_timing_mid_cycle_and_past_years(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    in_cycle = area(STRONG.model_copy(update={"target_match": 2027}), specialties, calendar, Area.TIMING)
    assert in_cycle.status is AreaStatus.READY and "March 3, 2027" in in_cycle.finding
    no_ck = STRONG.model_copy(update={"target_match": 2027, "step2ck": ExamStatus.NOT_STARTED, "step2ck_score": None})
    assert area(no_ck, specialties, calendar, Area.TIMING).status is AreaStatus.RED_FLAG
    past = area(STRONG.model_copy(update={"target_match": 2026}), specialties, calendar, Area.TIMING)
    assert past.status is AreaStatus.RED_FLAG and "Match 2027" in past.next_step
    undecided = area(STRONG.model_copy(update={"target_match": "undecided"}), specialties, calendar, Area.TIMING)
    assert undecided.status is AreaStatus.NEEDS_WORK and "Match 2028" in undecided.finding


def test_exam_attempts(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    failed = area(STRONG.model_copy(update={"step1": ExamStatus.FAILED}), specialties, calendar, Area.USMLE)
    assert failed.status is AreaStatus.RED_FLAG and failed.entry_id == "usmle-attempts"
    assert not failed.lasting, "passing the retake is the step that helps"
    # A failure stays a red flag once passed (pathway-facts.md section 10; every transcript shows it), and the area
    # links the entry about attempts, not the USMLE overview.
    retaken = area(
        STRONG.model_copy(update={"step2ck": ExamStatus.PASSED_AFTER_FAIL}), specialties, calendar, Area.USMLE
    )
    assert retaken.status is AreaStatus.RED_FLAG and "Step 2 CK" in retaken.finding
    assert retaken.entry_id == "usmle-attempts" and retaken.lasting


def test_ecfmg_requirement(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    def ecfmg(**update: Any) -> Any:
        return area(STRONG.model_copy(update=update), specialties, calendar, Area.ECFMG)

    assert ecfmg(pathway=PathwayStatus.CS_PASSED).status is AreaStatus.READY
    assert ecfmg(pathway=PathwayStatus.APPLIED, oet=OetStatus.PASSED).status is AreaStatus.READY
    assert ecfmg(pathway=PathwayStatus.NOT_APPLIED, oet=OetStatus.BOOKED).entry_id == "oet-medicine"
    # In the Match 2027 cycle (applications in), nothing started before the ROL deadline is a red flag.
    late = ecfmg(target_match=2027, pathway=PathwayStatus.NOT_APPLIED, oet=OetStatus.NOT_STARTED)
    assert late.status is AreaStatus.RED_FLAG and "March 3, 2027" in late.finding


def test_overall_level(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    two = STRONG.model_copy(update={"mentor": MentorStatus.NO, "us_letters": 1})
    assert evaluate(two, specialties, NOW, calendar).overall is OverallLevel.ON_TRACK
    three = two.model_copy(update={"personal_statement": StatementStatus.DRAFT})
    assert evaluate(three, specialties, NOW, calendar).overall is OverallLevel.NEEDS_WORK
    flagged = STRONG.model_copy(update={"visa": VisaPlan.H1B, "step3": Step3Status.NOT_TAKEN})
    result = evaluate(flagged, specialties, NOW, calendar)
    assert result.overall is OverallLevel.AT_RISK
    assert result.areas[0].area is Area.VISA and result.red_flags == (result.areas[0],)
    # No US clinical experience alone is not a red flag, so the member is not "at risk" for it.
    no_usce = STRONG.model_copy(update={"usce_months": 0, "usce_kind": None})
    assert evaluate(no_usce, specialties, NOW, calendar).overall is OverallLevel.ON_TRACK


def test_entry_ids_exist(content: Content) -> None:
    for entry_id in ENTRY_IDS:
        assert entry_id in content.knowledge.knowledge, entry_id


def test_evaluate_needs_an_aware_time(specialties: SpecialtyTable, calendar: CycleCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(STRONG, specialties, datetime(2026, 11, 22), calendar)  # noqa: DTZ001 (naive on purpose)


def _answers_strategy(specialty_ids: list[str]) -> st.SearchStrategy[Answers]:
    def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(st.none(), strategy)

    return st.builds(
        Answers,
        target_match=maybe(st.one_of(st.integers(2025, 2033), st.just("undecided"))),
        step1=maybe(st.sampled_from(ExamStatus)),
        step2ck=maybe(st.sampled_from(ExamStatus)),
        step2ck_score=maybe(st.integers(1, 300)),
        step2ck_period=maybe(st.sampled_from(["2025-07-01", "2022-07-01", "before-2022-07-01", "retired"])),
        specialty=maybe(st.sampled_from([*specialty_ids, "other", "undecided"])),
        pathway=maybe(st.sampled_from(PathwayStatus)),
        oet=maybe(st.sampled_from(OetStatus)),
        graduation_year=maybe(st.integers(1950, 2032)),
        usce_months=maybe(st.integers(0, 60)),
        usce_kind=maybe(st.sampled_from(UsceKind)),
        us_letters=maybe(st.integers(0, 4)),
        personal_statement=maybe(st.sampled_from(StatementStatus)),
        consistency=maybe(st.sampled_from(ConsistencyStatus)),
        visa=maybe(st.sampled_from(VisaPlan)),
        step3=maybe(st.sampled_from(Step3Status)),
        mentor=maybe(st.sampled_from(MentorStatus)),
    )


# Some shipped ids, plus one the data file does not have (e.g. a specialty removed after answers were stored).
_SPECIALTY_IDS = ["internal-medicine", "family-medicine", "pediatrics", "obgyn", "diagnostic-radiology", "retired-id"]


@settings(deadline=None, max_examples=150)
@given(
    answers=_answers_strategy(_SPECIALTY_IDS),
    # Hypothesis takes naive bounds (timezones= makes the values aware).
    now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)),  # noqa: DTZ001
)
def test_any_answers_give_a_well_formed_result(
    specialties: SpecialtyTable, calendar: CycleCalendar, answers: Answers, now: datetime
) -> None:
    result = evaluate(answers, specialties, now, calendar)
    ranks = [a.status.rank for a in result.areas]
    assert ranks == sorted(ranks), "red flags first, then needs work, then ready"
    assert len({a.area for a in result.areas}) == len(result.areas)
    for found in result.areas:
        assert found.entry_id in ENTRY_IDS
        assert found.finding and found.next_step
        # One embed field (1,024 characters) holds the finding and the next step.
        assert len(found.finding) + len(found.next_step) < 1000
    if result.red_flags:
        assert result.overall is OverallLevel.AT_RISK
    else:
        assert result.overall in (OverallLevel.ON_TRACK, OverallLevel.NEEDS_WORK)
    # Score averages are context: the score area is never a red flag, whatever the score and specialty.
    assert all(a.status is not AreaStatus.RED_FLAG for a in result.areas if a.area is Area.SCORE)
    for found in result.areas:
        if found.area is Area.SCORE:
            assert "red flag" not in found.finding.lower()
            # A score the assessment keeps is one that can be a pass (judged on the answers it keeps: a period
            # answered for a score that no longer needs one is dropped first).
            kept = prune_answers(answers, specialties.passing_score)
            assert kept.step2ck_score is not None
            assert specialties.passing_score.problem(kept.step2ck_score, kept.step2ck_period) is None
