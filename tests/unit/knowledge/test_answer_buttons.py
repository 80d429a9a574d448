"""The buttons under an /ask answer (``KnowledgeService.offered_with``): the question's runner-ups that come close to
the answer, then the answer's own related entries."""

from __future__ import annotations

from bot.content import Content
from bot.knowledge.search import SearchHit, SearchResult
from bot.knowledge.service import RUNNER_UP_SHARE


def test_an_answer_offers_the_questions_runner_ups_before_its_related_entries(content: Content) -> None:
    # A question between several entries (clinical work abroad: USCE, the CV, a specialist's training): whichever
    # search puts first, the ones ranked next that come close to it are the first buttons, so the entry the member
    # wanted is one click away when search put a neighbour first; the answer's own related entries fill the rest.
    service = content.knowledge
    question = "does my clinical work back home count as experience on my residency application"
    result = service.search(question, limit=4)
    answer = service.answer(question)
    assert answer.entry is not None and answer.entry is result.hits[0].entry
    best = result.hits[0].score
    close = [h.entry for h in result.hits[1:3] if h.score >= RUNNER_UP_SHARE * best]
    assert close, [(h.entry.id, h.score) for h in result.hits]
    assert list(answer.related[: len(close)]) == close
    offered = [e.id for e in answer.related]
    assert len(offered) == 3 and len(set(offered)) == 3 and answer.entry.id not in offered
    assert set(offered[len(close) :]) <= {e.id for e in service.related_to(answer.entry)}


def test_a_far_off_runner_up_is_not_offered(content: Content) -> None:
    service = content.knowledge
    entry = service.knowledge.get("soap")
    assert entry is not None
    far = service.knowledge.get("step-1")
    assert far is not None and far not in service.related_to(entry)
    result = SearchResult("soap", ("soap",), (SearchHit(entry, 0.9), SearchHit(far, 0.3)), 0.9, True)
    assert service.offered_with(result) == service.related_to(entry)
    close = SearchResult("soap", ("soap",), (SearchHit(entry, 0.9), SearchHit(far, 0.6)), 0.9, True)
    assert service.offered_with(close) == (far, *service.related_to(entry)[:2])
