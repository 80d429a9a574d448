"""The interview question bank: the shipped files load and cover every category; a malformed file stops loading with
the file, the line, the field and the question named; practice sequences show every question once per round."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import Content
from bot.datafiles import DataFileError
from bot.interviews.bank import MIN_PER_CATEGORY, InterviewBank, UnknownCategoryError, load_interview_bank
from bot.interviews.models import MAX_PITFALLS, Category
from tests.conftest import DATA_DIR
from tests.unit.cli.test_commands import imgbot
from tests.unit.nasty import FEW_EXAMPLES

BANK = load_interview_bank(DATA_DIR / "interviews")

QUESTION = """\
  - id: {id}
    question: {text}
    look_for: >
      Interviewers want a short, honest story that shows who you are and why you are ready.
    structure: >
      Past, present, future, in about one to two minutes, ending with the program.
    pitfalls:
      - "Reading the CV aloud line by line."
    source: https://students-residents.aamc.org/book/export/html/14471
    reviewed: 2026-12-01
"""


def question_yaml(qid: str, text: str | None = None) -> str:
    return QUESTION.format(id=qid, text=text or f"Question number {qid}, please answer?")


def write(directory: Path, name: str, category: str, *questions: str) -> Path:
    path = directory / name
    path.write_text(f"category: {category}\nquestions:\n" + "".join(questions), encoding="utf-8")
    return path


def full_bank(directory: Path) -> None:
    """A valid bank: every category with the minimum number of questions."""
    for category in Category:
        write(
            directory,
            f"{category.value}.yaml",
            category.value,
            *(question_yaml(f"{category.value}-{n}") for n in range(MIN_PER_CATEGORY)),
        )


def problems(directory: Path) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_interview_bank(directory)
    return [str(p) for p in info.value.problems]


# -- the shipped bank ------------------------------------------------------------------------------------------------


def test_the_shipped_bank_has_at_least_100_questions_in_every_category(content: Content) -> None:
    assert len(content.interview_bank) >= 100
    assert content.interview_bank.categories() == tuple(Category)
    for category in Category:
        assert BANK.count(category) >= MIN_PER_CATEGORY, category
    # The IMG questions cover each topic the issue names.
    img = " ".join(q.question.casefold() for q in BANK.questions_for(Category.IMG))
    for topic in ("gap", "graduated", "visa", "us clinical experience", "attempt", "english"):
        assert topic in img, topic


def test_every_shipped_question_reads_well_and_cites_an_official_or_school_source() -> None:
    today = dt.datetime.now(dt.UTC).date()
    for question in BANK:
        assert question.question.endswith(("?", ".")), question.id
        assert 1 <= len(question.pitfalls) <= MAX_PITFALLS
        assert question.reviewed <= today + dt.timedelta(days=1)
        host = question.source.split("/")[2]
        assert host.endswith((".org", ".edu", ".gov")), f"{question.id}: {question.source}"
    behavioural = BANK.questions_for(Category.BEHAVIOURAL)
    assert all("Situation" in q.structure or "Action" in q.structure for q in behavioural), "STAR structure"


def test_kb_validate_counts_the_interview_questions() -> None:
    done = imgbot("kb", "validate")
    assert done.returncode == 0, done.stderr
    assert f"{len(BANK)} interview questions" in done.stdout


def test_kb_validate_names_file_line_and_field_of_a_broken_question(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for part in ("knowledge", "quizzes", "cycles", "readiness", "search"):
        (data / part).symlink_to(DATA_DIR / part)
    (data / "pathway.yaml").symlink_to(DATA_DIR / "pathway.yaml")
    (data / "interviews").mkdir()
    full_bank(data / "interviews")
    broken = write(
        data / "interviews", "ethics.yaml", "ethics", question_yaml("no-source").replace("    source:", "    sauce:")
    )
    done = imgbot("kb", "validate", env_extra={"DATA_DIR": str(data)})
    assert done.returncode == 1
    assert f"{broken}:11: questions[0].sauce: question 'no-source': is not a field of a question" in done.stderr
    # A missing field is reported at its question's first line.
    assert f"{broken}:3: questions[0].source: question 'no-source': is missing" in done.stderr


# -- loading and its errors ------------------------------------------------------------------------------------------


def test_a_valid_bank_loads_in_file_order(tmp_path: Path) -> None:
    full_bank(tmp_path)
    bank = load_interview_bank(tmp_path)
    assert len(bank) == MIN_PER_CATEGORY * len(Category)
    first = bank.get("about-you-0")
    assert first is not None and first.category is Category.ABOUT_YOU
    assert first.look_for.startswith("Interviewers want") and "\n" not in first.look_for


def test_every_problem_names_file_line_field_and_question(tmp_path: Path) -> None:
    full_bank(tmp_path)
    bad = write(
        tmp_path,
        "zz-broken.yaml",
        "img",
        question_yaml("ok-one", "Why do you want to train in the US?"),
        question_yaml("Bad ID"),
        question_yaml("short-look").replace(
            "Interviewers want a short, honest story that shows who you are and why you are ready.", "Too short."
        ),
        question_yaml("http-source").replace("https://students", "http://students"),
        question_yaml("future").replace("2026-12-01", "2999-01-01"),
        question_yaml("no-pitfalls")
        .replace('      - "Reading the CV aloud line by line."\n', "      []\n")
        .replace("    pitfalls:\n      []", "    pitfalls: []"),
        question_yaml("about-you-0"),
        question_yaml("same-text", "Why do you want to train in the US?"),
        question_yaml("own-category").replace("    question:", "    category: ethics\n    question:"),
    )
    found = problems(tmp_path)
    expected = [
        f"{bad}:13: questions[1].id: question 'Bad ID': String should match pattern",
        f"{bad}:25: questions[2].look_for: question 'short-look': String should have at least 40 characters",
        f"{bad}:41: questions[3].source: question 'http-source': must be a full https:// address",
        f"{bad}:52: questions[4].reviewed: question 'future': the reviewed date is in the future",
        f"{bad}:59: questions[5].pitfalls: question 'no-pitfalls': Tuple should have at least 1 item",
        f"{bad}:62: questions[6].id: question 'about-you-0': the id is already used at about-you.yaml:3",
        f"{bad}:73: questions[7].question: question 'same-text': the same question is already asked at "
        "zz-broken.yaml:3",
        f"{bad}:83: questions[8].category: question 'own-category': the category is set once, at the top of the file",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), (line, found)
    assert len(found) == len(expected), found


def test_file_level_problems(tmp_path: Path) -> None:
    full_bank(tmp_path)
    (tmp_path / "a-no-category.yaml").write_text("questions:\n" + question_yaml("x-1"), encoding="utf-8")
    write(tmp_path, "b-unknown.yaml", "surgery", question_yaml("x-2"))
    (tmp_path / "c-list.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "d-extra.yaml").write_text("category: img\nnotes: hi\nquestions: []\n", encoding="utf-8")
    (tmp_path / "e-yaml.yaml").write_text("category: img\nquestions: [unclosed\n", encoding="utf-8")
    found = problems(tmp_path)
    assert f"{tmp_path / 'a-no-category.yaml'}:1: category: is missing: name the file's category" in found[0]
    assert any(p.startswith(f"{tmp_path / 'b-unknown.yaml'}:1: category: unknown category 'surgery'") for p in found)
    assert any(p.startswith(f"{tmp_path / 'c-list.yaml'}:1: the file must be a mapping") for p in found)
    assert (
        f"{tmp_path / 'd-extra.yaml'}:2: notes: is not a known field; the file holds only `category:` and `questions:`"
        in found
    )
    assert f"{tmp_path / 'd-extra.yaml'}:3: questions: must be a non-empty list of questions" in found
    assert any(p.startswith(f"{tmp_path / 'e-yaml.yaml'}:3: invalid YAML") for p in found)


def test_a_category_with_too_few_questions_and_an_empty_directory(tmp_path: Path) -> None:
    full_bank(tmp_path)
    write(tmp_path, "ethics.yaml", "ethics", question_yaml("only-one"))
    assert problems(tmp_path) == [
        f"{tmp_path}: category ethics: has 1 question(s); practice needs at least {MIN_PER_CATEGORY}"
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems(empty) == [f"{empty}: no interview question files (*.yaml) found"]


# -- categories and practice sequences -------------------------------------------------------------------------------


def test_categories_resolve_by_id_or_label_and_unknown_ones_are_refused_safely() -> None:
    assert BANK.resolve("ethics") is Category.ETHICS
    assert BANK.resolve("Why This Specialty") is Category.SPECIALTY
    assert BANK.resolve("ask_programs") is Category.ASK_PROGRAMS
    assert BANK.resolve(None) is None and BANK.resolve("all") is None and BANK.resolve("  ") is None
    with pytest.raises(UnknownCategoryError) as info:
        BANK.resolve("<@123456789012345678> **surgery**")
    assert "<@123" not in str(info.value) and "\\*\\*surgery" in str(info.value)
    with pytest.raises(UnknownCategoryError):
        InterviewBank([q for q in BANK if q.category is not Category.ETHICS]).resolve(Category.ETHICS)


@FEW_EXAMPLES
@given(seed=st.integers(min_value=0, max_value=16**6 - 1), category=st.sampled_from([None, *Category]))
def test_each_round_shows_every_question_once_and_the_same_seed_the_same_order(
    seed: int, category: Category | None
) -> None:
    total = BANK.count(category)
    first = [BANK.draw(category, seed, position) for position in range(total)]
    assert sorted(d.question.id for d in first) == sorted(q.id for q in BANK.questions_for(category))
    assert [d.number for d in first] == list(range(1, total + 1)) and {d.total for d in first} == {total}
    second = [BANK.draw(category, seed, position).question.id for position in range(total, 2 * total)]
    assert sorted(second) == sorted(d.question.id for d in first)
    assert BANK.draw(category, seed, total).round == 1
    # After a restart the same buttons (seed, place) show the same question.
    again = load_interview_bank(DATA_DIR / "interviews") if seed % 50 == 0 else BANK
    assert [again.draw(category, seed, p).question.id for p in range(total)] == [d.question.id for d in first]


def test_different_practice_runs_see_different_orders_and_a_negative_place_is_a_bug() -> None:
    orders = {tuple(BANK.draw(Category.IMG, seed, p).question.id for p in range(5)) for seed in range(20)}
    assert len(orders) > 15
    with pytest.raises(ValueError, match="position"):
        BANK.draw(None, 1, -1)
