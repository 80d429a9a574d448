"""The shortcuts that make a question cheaper to search take no turn the full way would not take.

bench/kb_search.py --check-against shows that every question of the retrieval sets gets the very same answer; these
tests state why each shortcut is safe for any question, including ones no set holds.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.content import Content
from bot.knowledge import focus
from bot.knowledge.language import looks_non_english
from bot.knowledge.search import (
    _CANONICAL,
    _DISCORD_MARKUP,
    _INTERNAL_MEDICINE,
    _MARKDOWN,
    _MARKDOWN_SIGN,
    _NUMBER_UNIT,
    _POSSESSIVE,
    _QUOTED_PERSON,
    _SHORTHAND,
    _SHORTHAND_WORD,
    _spelled_out,
    normalize,
)

# Words that decide the language check, the rules' triggers, and the things the number rules look for.
WORDS = [
    "que", "es", "el", "la", "de", "para", "quando", "der", "die", "the", "is", "what", "when", "soap", "usmle",
    "step", "ck", "i", "im", "am", "aged", "years", "old", "yrs", "mo", "hrs", "min", "wk", "pm", "x", "ish", "k",
    "st", "th", "two", "h1", "j", "ds", "pgy", "all", "in", "De", "La", "Que", "USMLE", "-", "/", "%", "?", ",",
]  # fmt: skip
texts = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join) | st.text(max_size=40)
# Numbers and their units, glued or apart, and the markup and chat spellings the other shortcuts look for.
PIECES = [
    *WORDS, "5", "38", "2", "2019", "212", "214", "i-", "5k", "4mo", "36hr", "2x", "9pm", "3rd", "225ish", "12-year",
    "b1b2", "ds", "e", "b", "(", ")", "mini", "cex", "sub", "iii", "pass", "fail", "p", "f", "non", "us", "img",
    "did", "not", "match", "matched", "except", "me", "thank", "you", "note", "eight", "is", "different", "from",
    "or", "which", "difference", "between", "and", "ob", "gyn", "questions", "do", "ask", "psych", "friendly",
    "re-validation", "policy", "apply", "against", "under", "my", "My", "Our", "friend", "Priya", "says", "IM", "'s",
    "’s", "dean", "*", "_", "`", "~", "|", ">", "-#", "\n", "<@12>", ":pray:", "@here", "wen", "w/o", "b4", "abt",
]  # fmt: skip
pieced = st.lists(st.sampled_from(PIECES), max_size=14).map(" ".join) | st.lists(
    st.sampled_from(PIECES), max_size=8
).map("".join)
_DIGIT = re.compile(r"\d")


@given(texts)
def test_a_rule_about_numbers_never_matches_a_text_without_a_digit(text: str) -> None:
    """The rules marked as needing a digit are skipped on a text that has none: each must be unable to match it."""
    if _DIGIT.search(text):
        return
    for _, _, needs_digit, _, pattern, _ in _CANONICAL:
        if needs_digit:
            assert pattern.search(text) is None, (pattern.pattern, text)
            assert pattern.search(text.lower()) is None, (pattern.pattern, text)


def assert_rules_skipped_only_where_they_cannot_match(text: str) -> None:
    for case in (text, text.lower()):
        units = frozenset(_NUMBER_UNIT.findall(case))
        for trigger, others, needs_digit, needs_unit, pattern, _ in _CANONICAL:
            if pattern.search(case) is None:
                continue
            assert any(t in case for t in (trigger, *others)), (pattern.pattern, case)
            assert not needs_digit or units, (pattern.pattern, case)
            assert needs_unit is None or not needs_unit.isdisjoint(units), (pattern.pattern, case)


@settings(max_examples=500)
@given(pieced | texts)
def test_a_rule_is_skipped_only_where_it_cannot_match(text: str) -> None:
    """``normalize`` tries a rule only on a text that has one of its triggers, a digit if it needs one, and a number
    followed by one of its units if it names any: a text that the rule matches has all of them."""
    assert_rules_skipped_only_where_they_cannot_match(text)


def test_a_rule_about_units_is_tried_after_every_number_and_word() -> None:
    """Every number followed by every piece, glued or apart: the units each rule names are all it can match."""
    for number in ("5", "38", "2"):
        for piece in PIECES:
            for between in ("", " ", "-", " - "):
                assert_rules_skipped_only_where_they_cannot_match(f"im {number}{between}{piece} old")


@given(pieced | texts)
def test_the_steps_before_the_rules_are_skipped_only_where_they_cannot_match(text: str) -> None:
    if _MARKDOWN.search(text):
        assert _MARKDOWN_SIGN.search(text)
    if _DISCORD_MARKUP.search(text):
        assert "<" in text or ":" in text or "@" in text
    if _INTERNAL_MEDICINE.search(text):
        assert "IM" in text
    if _QUOTED_PERSON.search(text):
        assert "my" in text or "My" in text or "our" in text or "Our" in text
    if _POSSESSIVE.search(text):
        assert "'" in text
    lowered = text.lower()
    assert _spelled_out(lowered) == _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group(0)], lowered)


@given(
    pieced
    | texts
    | st.sampled_from(["thank you mail", "thanks in adv", "tia", "translate this into french", "pm me", "hmu"])
)
def test_the_chat_patterns_are_skipped_only_where_they_cannot_match(text: str) -> None:
    lowered = text.lower()
    if focus._THANK_YOU_THING.search(lowered):
        assert "thank" in lowered
    if focus._IN_ADVANCE.search(lowered):
        assert "adv" in lowered or "tia" in lowered
    if focus._TRANSLATE_OPENING.search(lowered) or focus._TRANSLATE_INTO.search(lowered):
        assert "translat" in lowered
    if focus._CONTACT_ME.search(lowered):
        assert any(word in lowered for word in focus._CONTACT_WORDS)


def test_bm25_added_up_at_once_is_added_up_name_by_name(content: Content) -> None:
    """``_bm25`` adds every name's scores in one bincount: the same additions, in the same order, as name by name."""
    search = content.knowledge.search_index
    for question in ["fee cost price of eras", "h1b vs j1 visa for im residency", "soap match week unmatched", "x"]:
        tokens = [search._correct(t) for t in normalize(question).split()]
        terms, _ = search._analyse(tokens)
        total = np.zeros(len(search._index.entries))
        names = [t.concept.variants if not search._lookup(t.concept.text).credits else (t.concept.text,) for t in terms]
        for name in dict.fromkeys(n for group in names for n in group):
            rows, scores = search._name_bm25(name)
            total[rows] += scores
        assert search._bm25(terms).tobytes() == total.tobytes(), question


def test_the_rules_about_numbers_still_apply_when_there_is_one() -> None:
    assert normalize("I'm 38, is 2nd try ok after 4mo and 36hr") == "age 38 , is 2 try ok after 4 months and 36 hours"
    # A digit written by an earlier rule (the number words) counts too.
    assert normalize("5 yrs, eight yrs") == "5 year , 8 year"


@given(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join))
def test_the_language_check_of_plain_ascii_is_the_general_one(text: str) -> None:
    """An ASCII question skips the script and accent checks (its letters are all Latin and unaccented); a symbol
    that is no word and not ASCII sends the same words down the general path, which must agree."""
    known = frozenset({"usmle", "soap", "ck"})
    assert looks_non_english(text, known) == looks_non_english(text + " ·", known)


def typos(word: str) -> list[str]:
    """A letter left out, doubled, swapped with the next, and one changed: the typos spelling correction meets."""
    found = []
    for i in range(len(word)):
        found += [word[:i] + word[i + 1 :], word[:i] + word[i] + word[i:], word[:i] + "x" + word[i + 1 :]]
        if i + 1 < len(word):
            found.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return found


def test_spelling_correction_looks_only_where_a_close_word_can_be(content: Content) -> None:
    """No word further than ``distance`` letters in length is within ``distance`` edits, so leaving them out finds
    the same words, and equally close ones in the same order (the first ``limit`` of a tie are the same ones)."""
    search = content.knowledge.search_index
    vocabulary = search._index.vocabulary
    for word in vocabulary[::7]:
        for typo in typos(word):
            distance = 1 if len(typo) < 8 else 2
            everywhere = process.extract(typo, vocabulary, scorer=OSA.distance, score_cutoff=distance, limit=8)
            near = process.extract(
                typo, search._spellings_near(len(typo), distance), scorer=OSA.distance, score_cutoff=distance, limit=8
            )
            assert [(w, d) for w, d, _ in near] == [(w, d) for w, d, _ in everywhere], typo
