"""The /readiness words file (data/readiness/questionnaire.yaml): loaded, checked against the questions and options
the rules declare, and rendered into the questions; a broken file stops start-up and `kb validate` with file, line
and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.datafiles import DataFileError
from bot.readiness.assessment import QUESTIONS, build_questionnaire
from bot.readiness.models import Answers
from bot.readiness.wording import QUESTIONNAIRE_FILE, StepSpec, StepWords, load_questionnaire_words
from tests.conftest import DATA_DIR
from tests.unit.cli.test_commands import imgbot

SHIPPED = DATA_DIR / QUESTIONNAIRE_FILE
SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle``; asserts it is there so a stale needle fails loudly."""
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def line_after(text: str, anchor: str, needle: str) -> int:
    """The line of the first ``needle`` after ``anchor`` (a question's ``options:`` line, say)."""
    start = text.index(anchor)
    return line_of(text[start:], needle) + line_of(text, anchor) - 1


def broken(tmp_path: Path, *changes: tuple[str, str]) -> tuple[Path, str]:
    """The shipped file with each (old, new) change applied once, written to ``tmp_path``; its path and text."""
    text = SHIPPED_TEXT
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "questionnaire.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def problems_of(path: Path, specs: tuple[StepSpec, ...] = QUESTIONS) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_questionnaire_words(path, specs)
    return [str(p) for p in info.value.problems]


def test_the_shipped_file_words_every_question_and_option_in_the_order_of_the_rules(content: Content) -> None:
    words = content.questionnaire_words
    assert list(words) == [spec.id for spec in QUESTIONS]
    assert set(words) == set(Answers.model_fields)  # every answer has its question
    questionnaire = build_questionnaire(content.specialties, content.calendar, NOW, words)
    assert [step.id for step in questionnaire] == [spec.id for spec in QUESTIONS]
    for spec in QUESTIONS:
        step = questionnaire.get(spec.id)
        assert step is not None and step.title == words[spec.id].title
        # Fixed options come last, in the order the rules give, labelled from the file.
        fixed = step.choices[len(step.choices) - len(spec.options) :]
        assert [c.value for c in fixed] == list(spec.options)
        assert [c.label for c in fixed] == [words[spec.id].options[value] for value in spec.options]


def test_placeholders_are_filled_from_the_other_data(content: Content) -> None:
    questionnaire = build_questionnaire(content.specialties, content.calendar, NOW, content.questionnaire_words)
    period, specialty, target, graduation = (
        questionnaire.get(step_id) for step_id in ("step2ck_period", "specialty", "target_match", "graduation_year")
    )
    assert period is not None and period.prompt.startswith("Your score is below 218, the passing score for exams from")
    assert period.choices[0].label == "From July 1, 2025 (passing score 218)"
    assert specialty is not None and specialty.prompt.startswith("Scores are compared with non-US IMGs in Match 2026")
    assert specialty.choices[0].description.startswith("Matched non-US IMGs averaged about ")
    assert target is not None and target.choices[0].label.startswith("Match 2027 (")
    assert graduation is not None and graduation.placeholder == "For example 2024"


def test_unknown_and_missing_questions_name_line_and_field(tmp_path: Path) -> None:
    path, text = broken(tmp_path, ("  mentor:\n", "  mentors:\n"))
    assert problems_of(path) == [
        f"{path}:{line_of(text, '  mentors:')}: steps.mentors: no question 'mentors'; the questions are "
        + ", ".join(spec.id for spec in QUESTIONS),
        f"{path}:{line_of(text, 'steps:')}: steps: no words for question(s): mentor",
    ]


def test_options_must_match_the_rules(tmp_path: Path) -> None:
    path, text = broken(
        tmp_path,
        ("      informal: Someone I can ask, but not really a mentor\n", "      maybe: Someone I can ask\n"),
    )
    assert problems_of(path) == [
        f"{path}:{line_after(text, '  mentor:', 'options:')}: steps.mentor.options: missing 'informal'",
        f"{path}:{line_of(text, 'maybe:')}: steps.mentor.options.maybe: the question has no option 'maybe'; "
        "it has 'yes', 'informal', 'no'",
    ]


def test_an_unquoted_yes_is_caught_not_misread(tmp_path: Path) -> None:
    path, text = broken(tmp_path, ('      "yes": Yes, someone', "      yes: Yes, someone"))
    [problem] = problems_of(path)
    assert problem == (
        f"{path}:{line_of(text, '      yes: Yes')}: steps.mentor.options.yes: "
        "write 'yes' in quotes: unquoted, YAML reads it as a bool"
    )


def test_placeholders_the_code_does_not_fill_are_refused(tmp_path: Path) -> None:
    path, text = broken(
        tmp_path,
        ("prompt: Scores are compared with {applicants}", "prompt: Scores are compared with {applicant}"),
        ("placeholder: For example {example_year}", "placeholder: For example {example_year:04d}"),
        ('period_label: "{Period} (passing score {score})"', 'period_label: "{Period} (passing score {score)"'),
        ('      checked: "Checked: everything matches"', '      checked: "Checked {all}"'),
    )
    assert problems_of(path) == [
        f"{path}:{line_of(text, 'period_label:')}: steps.step2ck_period.texts.period_label: "
        "a lone { or }: write {{ or }} for a brace",
        f"{path}:{line_of(text, '{applicant}')}: steps.specialty.prompt: unknown placeholder {{applicant}}: "
        "this text may use {applicants}, {cycle}",
        f"{path}:{line_of(text, '{example_year:04d}')}: steps.graduation_year.placeholder: "
        "write {example_year} without a format or conversion: the code formats the value",
        f"{path}:{line_of(text, '{all}')}: steps.consistency.options.checked: unknown placeholder {{all}}: "
        "this text may use no placeholders",
    ]


def test_missing_and_unknown_texts_and_the_limits(tmp_path: Path) -> None:
    path, text = broken(
        tmp_path,
        ("      submitted_label:", "      submited_label:"),
        ("title: Which Match are you aiming for?", "title: " + "Which Match are you aiming for, this year or later?"),
        ("      draft: Drafted, not reviewed yet", "      draft: " + "d" * 101),
    )
    found = problems_of(path)
    assert found[0].startswith(f"{path}:{line_of(text, 'title: Which Match')}: steps.target_match.title: String")
    assert found[1] == (
        f"{path}:{line_of(text, 'draft: ddd')}: steps.personal_statement.options.draft: "
        "String should have at most 100 characters"
    )
    assert len(found) == 2  # the model stops before the cross-check; fix these and the next run shows the rest
    path, text = broken(tmp_path, ("      submitted_label:", "      submited_label:"))
    assert problems_of(path) == [
        f"{path}:{line_of(text, '    texts:')}: steps.target_match.texts: missing 'submitted_label'",
        f"{path}:{line_of(text, 'submited_label')}: steps.target_match.texts.submited_label: the question has no "
        "text 'submited_label'; it has 'upcoming_label', 'upcoming_description', 'projected_description', "
        "'submitted_label', 'submitted_description'",
    ]


def test_a_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "questionnaire.yaml") == [
        f"{tmp_path / 'questionnaire.yaml'}: questionnaire words file not found"
    ]


def data_dir_with(tmp_path: Path, questionnaire_text: str) -> Path:
    """A data directory that is the shipped one except for the questionnaire words file."""
    data = tmp_path / "data"
    (data / "readiness").mkdir(parents=True)
    for item in DATA_DIR.iterdir():
        if item.name != "readiness":
            (data / item.name).symlink_to(item)
    for item in (DATA_DIR / "readiness").iterdir():
        if item.name != QUESTIONNAIRE_FILE.name:
            (data / "readiness" / item.name).symlink_to(item)
    (data / QUESTIONNAIRE_FILE).write_text(questionnaire_text, encoding="utf-8")
    return data


def test_a_broken_words_file_stops_start_up_and_kb_validate(tmp_path: Path) -> None:
    assert '      "no": No one yet' in SHIPPED_TEXT
    text = SHIPPED_TEXT.replace('      "no": No one yet', "      no: No one yet")
    data = data_dir_with(tmp_path, text)
    expected = f"{data / QUESTIONNAIRE_FILE}:{line_of(text, '      no: No')}: steps.mentor.options.no: write 'no' in"
    with pytest.raises(DataFileError) as info:
        load_content(data)
    assert expected in str(info.value)
    done = imgbot("kb", "validate", env_extra={"DATA_DIR": str(data)})
    assert done.returncode == 1
    assert expected in done.stderr


def test_a_text_too_long_once_filled_in_stops_start_up(tmp_path: Path) -> None:
    # Within the file's limit of 100 characters, but not once each specialty's name fills {name}.
    long = "{name}, {name}, {name}: matched non-US IMGs averaged about {mean} on CK ({cycle})"
    assert len(long) <= 100
    shipped = "specialty_description: Matched non-US IMGs averaged about {mean} on CK ({cycle})"
    assert shipped in SHIPPED_TEXT
    text = SHIPPED_TEXT.replace(shipped, f'specialty_description: "{long}"')
    with pytest.raises(DataFileError) as info:
        load_content(data_dir_with(tmp_path, text))
    [problem] = info.value.problems
    assert str(problem).startswith(f"{tmp_path / 'data' / QUESTIONNAIRE_FILE}: the questions cannot be shown: ")
    assert "step specialty: option" in str(problem) and "description too long" in str(problem)


def test_every_placeholder_a_question_may_use_is_filled(content: Content) -> None:
    # Words that use every placeholder each question declares: building the questions must fill them all, so no
    # text the loader accepts can fail when it is shown.
    def every(fields: frozenset[str]) -> str:
        return " ".join(f"{{{name}}}" for name in sorted(fields))

    shipped = content.questionnaire_words
    words = {
        spec.id: StepWords(
            title=every(spec.fields) or shipped[spec.id].title,
            prompt=every(spec.fields) or shipped[spec.id].prompt,
            placeholder=every(spec.fields),
            options=shipped[spec.id].options,
            texts={name: every(fields) for name, fields in spec.texts.items()},
        )
        for spec in QUESTIONS
    }
    questionnaire = build_questionnaire(content.specialties, content.calendar, NOW, words)
    period, target = questionnaire.get("step2ck_period"), questionnaire.get("target_match")
    assert period is not None and period.title == "from July 1, 2025 218"
    assert period.choices[0].label == "From July 1, 2025 from July 1, 2025 218"
    assert target is not None and target.choices[0].label.startswith("September ")
    assert all("{" not in step.prompt + step.title + step.placeholder for step in questionnaire)
    assert all("{" not in choice.label + choice.description for step in questionnaire for choice in step.choices)
