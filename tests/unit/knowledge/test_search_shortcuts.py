"""The shortcuts that make a question cheaper to search take no turn the full way would not take.

bench/kb_search.py --check-against shows that every question of the retrieval sets gets the very same answer; these
tests state why each shortcut is safe for any question, including ones no set holds.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.content import Content
from bot.knowledge.language import looks_non_english
from bot.knowledge.search import _CANONICAL, _DIGIT, normalize

# Words that decide the language check, the rules' triggers, and the things the number rules look for.
WORDS = [
    "que", "es", "el", "la", "de", "para", "quando", "der", "die", "the", "is", "what", "when", "soap", "usmle",
    "step", "ck", "i", "im", "am", "aged", "years", "old", "yrs", "mo", "hrs", "min", "wk", "pm", "x", "ish", "k",
    "st", "th", "two", "h1", "j", "ds", "pgy", "all", "in", "De", "La", "Que", "USMLE", "-", "/", "%", "?", ",",
]  # fmt: skip
texts = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join) | st.text(max_size=40)


@given(texts)
def test_a_rule_about_numbers_never_matches_a_text_without_a_digit(text: str) -> None:
    """The rules marked as needing a digit are skipped on a text that has none: each must be unable to match it."""
    if _DIGIT.search(text):
        return
    for _, needs_digit, pattern, _ in _CANONICAL:
        if needs_digit:
            assert pattern.search(text) is None, (pattern.pattern, text)
            assert pattern.search(text.lower()) is None, (pattern.pattern, text)


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
