"""/ask's answers kept by question (``KnowledgeService.answer``): a repeat is the same answer without a search, and
the least recently asked is dropped past ``ANSWERS_KEPT``."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.knowledge import service as service_module
from bot.knowledge.search import SearchResult
from bot.knowledge.service import KnowledgeService


class CountingSearches:
    """Counts the searches the service runs, passing each to the real index."""

    def __init__(self, service: KnowledgeService) -> None:
        self.questions: list[str] = []
        self._search = service.search_index.search

    def __call__(self, question: str, limit: int = 3) -> SearchResult:
        self.questions.append(question)
        return self._search(question, limit=limit)


def counting(content: Content, monkeypatch: pytest.MonkeyPatch) -> tuple[KnowledgeService, CountingSearches]:
    service = KnowledgeService(content.knowledge.knowledge, content.knowledge.search_index, (), None)
    searches = CountingSearches(service)
    monkeypatch.setattr(service.search_index, "search", searches)
    return service, searches


def test_a_question_asked_again_gets_the_same_answer_without_a_search(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, searches = counting(content, monkeypatch)
    first = service.answer("when does ERAS open")
    assert first.entry is not None
    asked = len(searches.questions)
    assert service.answer("when does ERAS open") is first
    assert len(searches.questions) == asked
    # Another wording is searched: answers are kept for the words as asked, nothing is guessed.
    service.answer("When does ERAS open?")
    assert searches.questions[asked:] == ["When does ERAS open?"]


def test_the_least_recently_asked_is_dropped_past_the_limit(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "ANSWERS_KEPT", 2)
    service, searches = counting(content, monkeypatch)
    service.answer("what is SOAP")
    service.answer("step 1 pass fail")
    service.answer("what is SOAP")  # now the most recent
    service.answer("j1 waiver")  # drops "step 1 pass fail"
    asked = len(searches.questions)
    service.answer("what is SOAP")
    assert len(searches.questions) == asked
    service.answer("step 1 pass fail")
    assert searches.questions[asked:] == ["step 1 pass fail"]


def test_an_entrys_related_entries_are_found_once(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    service, _ = counting(content, monkeypatch)
    entry = service.answer("what is SOAP").entry
    assert entry is not None
    first = service.related_to(entry)
    assert first and entry not in first
    assert service.related_to(entry) is first
