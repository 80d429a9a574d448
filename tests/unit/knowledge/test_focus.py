"""Telling the question of a long message from the story around it (bot/knowledge/focus.py)."""

from __future__ import annotations

import pytest

from bot.knowledge.focus import focus


def test_the_story_is_background_and_the_question_is_asked() -> None:
    parts = focus(
        "Graduated 2018 from Lagos, CK 236.\nTwo months of observership in Ohio! How many programs should I apply to?"
    )
    assert parts.asked == ("How many programs should I apply to?",)
    assert parts.background == ("Graduated 2018 from Lagos, CK 236.", "Two months of observership in Ohio!")


@pytest.mark.parametrize(
    "sentence",
    [
        "is the rank list binding?",
        "Kindly share the ERAS timeline.",
        "how do i register for the match",  # no question mark, but it opens with a question word
        "What's the fee for **ERAS**?**",  # markdown after the question mark
    ],
)
def test_a_sentence_asks_by_its_mark_or_its_first_word(sentence: str) -> None:
    assert focus("I passed CK last month. " + sentence).asked == (sentence,)


@pytest.mark.parametrize(
    "text",
    [
        "when does eras open",  # one sentence
        "I passed CK. I need a J-1.",  # nothing asks: nothing to tell apart
        "When does ERAS open? How much is the token?",  # everything asks
        "",
    ],
)
def test_without_both_parts_everything_is_the_question(text: str) -> None:
    parts = focus(text)
    assert parts.background == ()
    assert " ".join(parts.asked) == " ".join(text.split())


def test_decimals_do_not_split_sentences() -> None:
    assert focus("Is $4.5k normal for an externship?").asked == ("Is $4.5k normal for an externship?",)
