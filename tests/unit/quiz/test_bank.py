from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.datafiles import DataFileError
from bot.knowledge.loader import load_knowledge_base
from bot.knowledge.models import Stage
from bot.quiz.bank import QuestionBank, UnknownTopicError, load_question_bank, shuffle_options
from bot.quiz.models import MAX_OPTION_CHARS
from tests.conftest import REPO_ROOT
from tests.unit.quiz.conftest import make_question

REPO = REPO_ROOT
KNOWN = {"step-1", "step-2-ck", "j1-visa", "eras-fees"}

QUESTION = """\
  - id: {id}
    topic: {topic}
    entry: {entry}
    question: {text}
    options: ["January 26, 2022", "January 1, 2020", "July 1, 2022", "January 26, 2021"]
    answer: {answer}
    explanation: Exams from January 26, 2022 are pass/fail; earlier ones keep their numeric score.
    source: https://www.usmle.org/common-questions
    difficulty: medium
"""


def question_yaml(
    qid: str,
    topic: str = "usmle",
    entry: str = "step-1",
    answer: str = '"January 26, 2022"',
    text: str | None = None,
) -> str:
    text = text or f"Step 1 is reported as pass/fail for exams taken on or after which date ({qid})?"
    return QUESTION.format(id=qid, topic=topic, entry=entry, answer=answer, text=text)


def write(directory: Path, name: str, *questions: str) -> Path:
    path = directory / name
    path.write_text("questions:\n" + "".join(questions), encoding="utf-8")
    return path


def problems(directory: Path, known: set[str] = KNOWN) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_question_bank(directory, known)
    return [str(p) for p in info.value.problems]


# -- loading good files ---------------------------------------------------------------------------------------------


def test_valid_files_load_with_numbers_as_text(tmp_path: Path) -> None:
    write(tmp_path, "usmle.yaml", question_yaml("step-1-date"))
    write(
        tmp_path,
        "years.yaml",
        question_yaml("wfme-year", topic="eligibility", entry="step-1", answer="2024").replace(
            '["January 26, 2022", "January 1, 2020", "July 1, 2022", "January 26, 2021"]', "[2024, 2023, 2021, 2010]"
        ),
    )
    bank = load_question_bank(tmp_path, KNOWN)
    assert len(bank) == 2
    assert bank.get("wfme-year") is not None
    assert bank.get("wfme-year").options == ("2024", "2023", "2021", "2010")  # type: ignore[union-attr]
    assert bank.topics() == (Stage.ELIGIBILITY, Stage.USMLE)


def test_folded_text_is_collapsed_to_single_spaces(tmp_path: Path) -> None:
    text = question_yaml(
        "step-1-date", text=">-\n      Step 1 is reported as pass/fail\n      for exams after which date?"
    )
    write(tmp_path, "usmle.yaml", text)
    question = load_question_bank(tmp_path, KNOWN).get("step-1-date")
    assert question is not None
    assert question.question == "Step 1 is reported as pass/fail for exams after which date?"


# -- problems, each naming file, line, field and question -----------------------------------------------------------


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", question_yaml("step-1-date"))
    write(tmp_path, "b.yaml", question_yaml("step-1-date", text="Another question about the Step 1 date?"))
    found = problems(tmp_path)
    assert len(found) == 1
    assert "b.yaml:2: questions[0].id: question 'step-1-date': the id is already used at a.yaml:2" in found[0]


def test_answer_not_among_options(tmp_path: Path) -> None:
    write(tmp_path, "usmle.yaml", question_yaml("ok-one"), question_yaml("bad-answer", answer='"January 25, 2022"'))
    (problem,) = problems(tmp_path)
    assert "usmle.yaml:16: questions[1].answer: question 'bad-answer': must be one of the options" in problem


def test_answer_with_different_case_gets_a_hint(tmp_path: Path) -> None:
    write(tmp_path, "usmle.yaml", question_yaml("case", answer='"january 26, 2022"'))
    (problem,) = problems(tmp_path)
    assert "did you mean 'January 26, 2022'?" in problem


def test_duplicate_options(tmp_path: Path) -> None:
    text = question_yaml("dupes").replace('"July 1, 2022"', '"january 26, 2022"')
    write(tmp_path, "usmle.yaml", text)
    (problem,) = problems(tmp_path)
    assert "questions[0].options: question 'dupes': option 3 repeats option 1" in problem


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    explanation: Exams from January 26, 2022 are pass/fail; earlier ones keep their numeric score.\n",
            "",
            "questions[0].explanation: question 'q1': is missing",
        ),
        (
            "explanation: Exams from January 26, 2022 are pass/fail; earlier ones keep their numeric score.",
            'explanation: ""',
            "questions[0].explanation: question 'q1': is missing or too short",
        ),
        (
            "source: https://www.usmle.org/common-questions",
            'source: ""',
            "questions[0].source: question 'q1': is missing",
        ),
        (
            "source: https://www.usmle.org/common-questions",
            "source: http://www.usmle.org/common-questions",
            "questions[0].source: question 'q1': must start with https://",
        ),
        ("topic: usmle", "topic: exams", "questions[0].topic: question 'q1': unknown topic 'exams'"),
        ("difficulty: medium", "difficulty: tricky", "questions[0].difficulty: question 'q1':"),
        ("    difficulty: medium\n", "    difficulty: medium\n    hint: no\n", "questions[0].hint: question 'q1'"),
        (
            ', "January 26, 2021"]',
            "]",
            "questions[0].options: question 'q1': needs exactly 4 options, found 3",
        ),
        (
            '"July 1, 2022"',
            '"All of the above"',
            "questions[0].options: question 'q1': option 3 ('All of the above') cannot work",
        ),
        (
            '"July 1, 2022"',
            '"' + "x" * (MAX_OPTION_CHARS + 1) + '"',
            f"option 3 has {MAX_OPTION_CHARS + 1} characters",
        ),
    ],
)
def test_field_problems_name_the_question(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = question_yaml("q1")
    assert old in text
    write(tmp_path, "usmle.yaml", text.replace(old, new))
    found = problems(tmp_path)
    assert any(expected in p and p.startswith(str(tmp_path / "usmle.yaml") + ":") for p in found), found


def test_unknown_entry_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "usmle.yaml", question_yaml("q1", entry="step-4"))
    (problem,) = problems(tmp_path)
    assert "usmle.yaml:4: questions[0].entry: question 'q1': unknown knowledge entry 'step-4'" in problem


def test_same_question_text_twice_is_reported(tmp_path: Path) -> None:
    same = "Which date made Step 1 pass/fail?"
    write(tmp_path, "usmle.yaml", question_yaml("q1", text=same), question_yaml("q2", text=same))
    (problem,) = problems(tmp_path)
    assert "questions[1].question: question 'q2': the same question is already asked at usmle.yaml:2" in problem


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", question_yaml("q1", entry="nope"))
    write(tmp_path, "b.yaml", question_yaml("q2", answer="Never"))
    (tmp_path / "c.yaml").write_text("questions: [unclosed\n", encoding="utf-8")
    found = problems(tmp_path)
    assert [Path(p.split(":")[0]).name for p in found] == ["a.yaml", "b.yaml", "c.yaml"]
    assert "invalid YAML" in found[2]


def test_file_shape_problems(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("questions: []\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("questions:\n" + question_yaml("q1") + "title: extra\n", encoding="utf-8")
    found = problems(tmp_path)
    assert "a.yaml:1: the file must be a mapping with a `questions:` list" in found[0]
    assert "b.yaml:1: questions: must be a non-empty list" in found[1]
    assert "c.yaml:11: title: is not a known field" in found[2]


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert "no question files" in problems(tmp_path)[0]


# -- drawing questions ----------------------------------------------------------------------------------------------


@pytest.fixture
def bank() -> QuestionBank:
    questions = [make_question(f"usmle-{i}", Stage.USMLE) for i in range(8)]
    questions += [make_question(f"visa-{i}", Stage.VISA, "j1-visa") for i in range(3)]
    questions += [make_question(f"eras-{i}", Stage.ERAS, "eras-fees") for i in range(4)]
    return QuestionBank(questions)


def test_pick_by_topic_caps_at_what_exists(bank: QuestionBank) -> None:
    picked = bank.pick("visa", 10, random.Random(1))
    assert sorted(q.id for q in picked) == ["visa-0", "visa-1", "visa-2"]
    assert len(bank.pick("usmle", 5, random.Random(1))) == 5


def test_mixed_pick_takes_topics_in_turn(bank: QuestionBank) -> None:
    picked = bank.pick(None, 6, random.Random(7))
    assert Counter(q.topic for q in picked) == {Stage.USMLE: 2, Stage.VISA: 2, Stage.ERAS: 2}
    everything = bank.pick(None, 100, random.Random(7))
    assert len({q.id for q in everything}) == len(bank)


def test_pick_is_reproducible_from_the_seed(bank: QuestionBank) -> None:
    first = [q.id for q in bank.pick(None, 7, random.Random(42))]
    again = [q.id for q in bank.pick(None, 7, random.Random(42))]
    assert first == again


def test_pick_needs_a_positive_count(bank: QuestionBank) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        bank.pick(None, 0, random.Random(1))


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("usmle", Stage.USMLE),
        ("USMLE exams", Stage.USMLE),
        ("  Visas ", Stage.VISA),
        ("eras", Stage.ERAS),
        ("", None),
        ("mixed", None),
        (None, None),
    ],
)
def test_resolve_topic(bank: QuestionBank, text: str | None, stage: Stage | None) -> None:
    assert bank.resolve_topic(text) is stage


def test_unknown_topic_lists_the_real_ones(bank: QuestionBank) -> None:
    with pytest.raises(UnknownTopicError, match=r"I don't know the topic 'cardiology'. Pick one of: `usmle`, `eras`"):
        bank.resolve_topic("cardiology")
    with pytest.raises(UnknownTopicError, match="no questions on Interviews"):
        bank.pick(Stage.INTERVIEWS, 3, random.Random(1))


@given(seed=st.integers(min_value=0, max_value=2**62), position=st.integers(min_value=0, max_value=40))
def test_shuffled_options_keep_track_of_the_answer(seed: int, position: int) -> None:
    question = make_question("q", Stage.USMLE)
    shuffled = shuffle_options(question, seed, position)
    assert sorted(shuffled.options) == sorted(question.options)
    assert shuffled.options[shuffled.correct_index] == question.answer
    assert shuffle_options(question, seed, position) == shuffled


def test_every_position_is_used_for_the_answer() -> None:
    question = make_question("q", Stage.USMLE)
    positions = Counter(shuffle_options(question, seed, 0).correct_index for seed in range(400))
    assert set(positions) == {0, 1, 2, 3}
    assert min(positions.values()) > 60


# -- the real bank --------------------------------------------------------------------------------------------------

# Sources taken from the facts page that no knowledge entry cites (an entry's own list is capped and chosen for
# readers); every other question source must be one of the knowledge base's sources.
FACTS_PAGE_ONLY_SOURCES = {"https://www.edexlive.com/exams/2024/Oct/07/usmle-exam-steps-costs-and-other-details"}


def test_the_real_bank_loads_and_covers_every_stage() -> None:
    knowledge = load_knowledge_base(REPO / "data" / "knowledge")
    bank = load_question_bank(REPO / "data" / "quizzes", {e.id for e in knowledge.entries})
    assert len(bank) >= 120
    per_stage = Counter(q.topic for q in bank)
    assert {stage: per_stage[stage] for stage in Stage if per_stage[stage] < 6} == {}
    kb_sources = {s.url for e in knowledge.entries for s in e.sources}
    unsourced = [q.id for q in bank if q.source not in kb_sources | FACTS_PAGE_ONLY_SOURCES]
    assert unsourced == []
    # The right answer must not give itself away by being much longer than every wrong one.
    telltale = [q.id for q in bank if len(q.answer) - max(len(o) for o in q.options if o != q.answer) >= 8]
    assert telltale == []
