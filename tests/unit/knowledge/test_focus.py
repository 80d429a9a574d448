"""Telling the question of a long message from the story around it (bot/knowledge/focus.py)."""

from __future__ import annotations

import pytest

from bot.knowledge.focus import focus, is_chat, without_wishes


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


@pytest.mark.parametrize(
    "message",
    [
        "ty",
        "gm everyone",
        "thank you so much bro 🙏",
        "Congrats to all of you who matched!!! 🎉",
        "thanks bot. you're a legend",
        "good luck to everyone applying this cycle",
        "looking for a study partner for CK, dm me",
        "anyone selling their uworld sub? hmu",
        "just joined the server, hello all",  # an introduction that asks nothing
        "anyone awake? grinding uworld",  # a call for company, question mark or not
        "translate into Arabic: see you tomorrow",  # a task for a general assistant
        "could you translate this for me, it's for my aunt",
        "happy new year in advance guys 🎉",  # good wishes: "advance" is no advanced position
        "Eid Mubarak everyone!!",
        "Merry X-mas and happy holidays to all of you",
        "season's greetings from Lahore",
        "a very happy new year in advance to all",
        "happy diwali to all who celebrate 🪔",
    ],
)
def test_chat_for_the_server_is_told_apart(message: str) -> None:
    assert is_chat(message)


@pytest.mark.parametrize(
    "message",
    [
        "ty vs prelim",  # "ty" is also the transitional year
        "congrats guys! when do contracts come?",  # it asks
        "nrmp registration deadline, thanks",  # a question signed off with thanks
        "thanks in advance: how many programs for FM",
        "thank you emails after interviews, yes or no",  # the thing sent after an interview
        "is step 1 pass fail",
        "new here, how do I register for ERAS?",  # introduces themselves, then asks
        "anyone online who passed CK recently?",  # asks the members something
        "do i need to translate my diploma into english",  # whether a document must be translated
        "translate my med school transcript?",
        "Happy holidays, is ERAS closed over christmas?",  # a wish, then a question
        "happy to share that I matched. what do I do about the contract",  # "happy" names no day or season
        "happy new year! when does soap start",
        # a wish and a question in one sentence, joined by a comma or by nothing
        "happy new year everyone, when does eras open for 2027",
        "Happy match day all, i didnt match what should i do now",
        "happy new week, need advice on the rank order list",
        "happy new year guys any update on the eras opening date",
        "Merry Christmas, my ERAS token expired and I can't log in",
        "eid is on my interview date, happy eid",  # the wish comes last
        "",
    ],
)
def test_a_question_is_not_chat(message: str) -> None:
    assert not is_chat(message)


def test_a_line_leading_into_the_questions_is_asked() -> None:
    parts = focus("I passed CK in May.\nTwo questions about the J-1:\n1) who sponsors it?\n2) how long can I stay")
    assert "Two questions about the J-1:" in parts.asked
    # An emoji typed as text ends with a colon too, but leads into nothing.
    assert focus("I passed CK in May :pray:\nwhen does eras open").background == ("I passed CK in May :pray:",)


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("merry christmas! what is the soap schedule", "what is the soap schedule"),
        ("Happy new year everyone, when does ERAS open?", "when does ERAS open?"),
        ("🎄 Merry Xmas, eid mubarak. is ERAS closed over the holidays", "is ERAS closed over the holidays"),
        ("happy to share that I matched. what now", "happy to share that I matched. what now"),  # no wish
        ("happy new year in advance guys", "happy new year in advance guys"),  # nothing else: chat, left whole
        ("eid is on my interview date, happy eid", "eid is on my interview date, happy eid"),  # not at the start
    ],
)
def test_good_wishes_before_a_question_are_left_out(message: str, asked: str) -> None:
    # Otherwise the wish weighs as background against every entry, and the question is refused.
    assert without_wishes(message).strip() == asked
