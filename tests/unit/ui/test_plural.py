"""Counted nouns: one is singular, everything else (zero included) plural."""

from __future__ import annotations

from bot.ui.plural import plural


def test_one_is_singular_and_zero_and_many_are_plural() -> None:
    assert plural(1, "day") == "1 day"
    assert plural(0, "day") == "0 days"
    assert plural(2, "check-in day") == "2 check-in days"


def test_irregular_nouns_and_grouped_thousands() -> None:
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"
    assert plural(3000, "question", grouped=True) == "3,000 questions"
    assert plural(1, "question", grouped=True) == "1 question"
