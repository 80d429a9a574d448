"""Questions in another language are told the knowledge base is in English; English ones never are."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.knowledge.language import looks_non_english

OTHER_LANGUAGES = [
    "मैं USMLE कैसे दूं",
    "كيف أحصل على شهادة ECFMG",
    "USMLE کب دینا چاہیے",
    "¿cuándo es el match para médicos extranjeros?",
    "quando abre o ERAS para residencia",
    "Qual é o prazo do ERAS?",
    "que es SOAP y como funciona",
    "Où est le match pour les médecins",
    "wann ist der match day",
]
ENGLISH = [
    "bhai step 2 kab dena chahiye",
    "mere paas green card hai, kya mujhe visa chahiye",
    "Université de Montréal grad, am I an IMG?",
    "Universidade de São Paulo grad, USMLE step 1 score 240, chances IM?",
    "IMG from Universidad de la Republica, CK 245",
    "José from Bogotá: USMLE step 1 fees?",
    "Dr De La Cruz LOR ok?",
    "de la Salle university YOG 2015 ok?",
    "my résumé for eras",
    "is el paso a good program for img",
    "soap?",
]


@pytest.mark.parametrize("question", OTHER_LANGUAGES)
def test_other_languages_are_recognised(content: Content, question: str) -> None:
    result = content.knowledge.search(question)
    assert result.not_english and not result.answered


@pytest.mark.parametrize("question", ENGLISH)
def test_english_with_names_or_hinglish_is_english(content: Content, question: str) -> None:
    known = content.knowledge.search_index._index.vocabulary_set
    assert not looks_non_english(question, known)


def test_empty_and_symbols_are_not_a_language() -> None:
    assert not looks_non_english("")
    assert not looks_non_english("🙂 ??")
