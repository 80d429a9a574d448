from __future__ import annotations

import pytest

from bot.content import Content
from bot.knowledge.search import content_terms, normalize, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H-1B or J-1?", ["h1b", "or", "j1"]),
        ("h1b", ["h1b"]),
        ("Step II CK", ["step2", "ck"]),
        ("step-2-ck", ["step2", "ck"]),
        ("2CK score", ["step2", "ck", "score"]),
        ("Step one P/F", ["step1", "p", "f"]),
        ("step three", ["step3"]),
        ("DS-2019 and 212(e)", ["ds2019", "and", "212e"]),
        ("Mini-CEX", ["minicex"]),
        ("sub-I", ["subinternship"]),
        ("ÉCFMG\u200b certification", ["ecfmg", "certification"]),
    ],
)
def test_normalisation_unifies_spellings(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_content_terms_drop_chat_filler() -> None:
    assert content_terms("guys can someone please tell me when does ERAS open??") == ["eras", "open"]
    assert content_terms("hello!!! 🙂") == []


def test_normalize_is_idempotent() -> None:
    text = "H-1B vs J1, Step II CK"
    assert normalize(normalize(text)) == normalize(text)


def test_answers_plain_questions(content: Content) -> None:
    search = content.knowledge.search_index
    cases = {
        "what is SOAP": "soap",
        "is step 1 pass fail": "step-1",
        "when does eras open": "eras-overview",
        "OET score needed": "oet-medicine",
    }
    for question, expected in cases.items():
        result = search.search(question)
        assert result.answered, question
        assert result.hits[0].entry.id == expected, (question, [h.entry.id for h in result.hits])


def test_typos_are_corrected(content: Content) -> None:
    result = content.knowledge.search_index.search("obsevership in usa how to get")
    assert result.answered and result.hits[0].entry.id == "observership"


def test_refuses_out_of_scope_and_empty(content: Content) -> None:
    search = content.knowledge.search_index
    for question in ("best pizza in new york", "what is the weather today", "", "!!!", "thanks"):
        result = search.search(question)
        assert not result.answered, (question, result.confidence, [h.entry.id for h in result.hits])
        assert result.best is None


def test_scores_are_ordered_and_bounded(content: Content) -> None:
    result = content.knowledge.search_index.search("j1 waiver conrad 30 after residency", limit=3)
    scores = [h.score for h in result.hits]
    assert result.answered and len(scores) == 3
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] == max(scores)


def test_autocomplete_from_first_letters(content: Content) -> None:
    service = content.knowledge
    assert service.autocomplete("so")[0].id in {"soap", "soap-preparation"}
    assert "step-2-ck" in [e.id for e in service.autocomplete("ck")]
    assert len(service.autocomplete("")) == 25
    assert all(len(e.title) <= 100 for e in service.autocomplete("e"))


def test_topic_resolves_ids_titles_and_aliases(content: Content) -> None:
    service = content.knowledge
    assert (e := service.topic("soap")) is not None and e.id == "soap"
    assert (e := service.topic("YOG")) is not None and e.id == "year-of-graduation"
    assert service.topic("pizza") is None
