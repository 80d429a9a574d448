"""The check-in form's fields as typed: numbers read the way members write them, and every problem at once."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.studygroups.models import CheckInEntry, parse_form_with_clock
from bot.validation import FormErrors, UserInputError

NOW = dt.datetime(2026, 12, 6, 15, tzinfo=dt.UTC)


def test_thousands_and_decimal_commas_are_understood() -> None:
    entry = parse_form_with_clock(
        CheckInEntry, NOW, studied="UWorld", questions="3,000", percent_correct="72,5%", hours="1,5", blockers=""
    )
    assert (entry.questions, entry.percent_correct, entry.minutes) == (3000, 73, 90)


def test_every_problem_of_the_form_comes_back_together() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form_with_clock(
            CheckInEntry, NOW, studied="   ", questions="forty", percent_correct="120", hours="30", blockers=""
        )
    problems = caught.value.problems
    assert [name for name, _ in problems] == ["studied", "questions", "percent_correct", "hours"]
    assert caught.value.fields == {"studied", "questions", "percent_correct", "hours"}
    text = str(caught.value)
    assert text.count("\n") == 3 and "Tell us what you studied" in text and "Hours: a number from 0 to 24" in text
    # Still a UserInputError: the shared error path shows it to anyone who does not catch it.
    assert isinstance(caught.value, UserInputError)


def test_one_problem_reads_as_before() -> None:
    with pytest.raises(FormErrors, match=r"^Questions done: a whole number from 0 to 10,000, like `40`\.$"):
        parse_form_with_clock(CheckInEntry, NOW, studied="Renal", questions="1,5", percent_correct="", hours="")
