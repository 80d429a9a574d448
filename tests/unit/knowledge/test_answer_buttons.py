"""The buttons under an /ask answer (``KnowledgeService.offered_with``): the question's runner-ups that come close to
the answer, then the answer's own related entries."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.knowledge.models import KnowledgeEntry
from bot.knowledge.search import SearchHit, SearchResult
from bot.knowledge.service import RUNNER_UP_SHARE, RUNNER_UPS, SURE_ANSWER, KnowledgeService


def entry(service: KnowledgeService, entry_id: str) -> KnowledgeEntry:
    found = service.knowledge.get(entry_id)
    assert found is not None
    return found


def ranked(*hits: tuple[KnowledgeEntry, float], answered: bool = True) -> SearchResult:
    """A search result with these entries and scores, best first."""
    return SearchResult("q", ("q",), tuple(SearchHit(e, s) for e, s in hits), hits[0][1] if hits else 0.0, answered)


def ids(entries: tuple[KnowledgeEntry, ...]) -> list[str]:
    return [e.id for e in entries]


@pytest.fixture
def service(content: Content) -> KnowledgeService:
    return content.knowledge


def test_close_runner_ups_come_first_then_the_answers_related_entries(service: KnowledgeService) -> None:
    soap = entry(service, "soap")
    related = ids(service.related_to(soap))
    close = [entry(service, i) for i in ("step-1", "eras-photo", "j1-visa") if i not in related]
    result = ranked((soap, 0.8), *((e, 0.8 * RUNNER_UP_SHARE) for e in close))  # exactly at the share: offered
    offered = ids(service.offered_with(result))
    assert offered[:RUNNER_UPS] == [e.id for e in close[:RUNNER_UPS]]  # no more runner-ups than RUNNER_UPS
    assert offered[RUNNER_UPS:] == related[: 3 - RUNNER_UPS]
    assert len(offered) == 3


def test_a_runner_up_below_the_share_is_not_offered(service: KnowledgeService) -> None:
    soap = entry(service, "soap")
    far = entry(service, "step-1")
    assert far.id not in ids(service.related_to(soap))
    result = ranked((soap, 0.8), (far, 0.8 * RUNNER_UP_SHARE - 0.01))
    assert ids(service.offered_with(result)) == ids(service.related_to(soap))


def test_a_runner_up_that_is_also_related_is_offered_once(service: KnowledgeService) -> None:
    soap = entry(service, "soap")
    related = service.related_to(soap)
    result = ranked((soap, 0.8), (related[1], 0.7))
    offered = ids(service.offered_with(result))
    assert offered[0] == related[1].id and len(offered) == len(set(offered)) == 3
    assert set(offered) == set(ids(related))


def test_an_answer_alone_offers_its_related_entries(service: KnowledgeService) -> None:
    soap = entry(service, "soap")
    assert service.offered_with(ranked((soap, 0.9))) == service.related_to(soap)
    # A best score of 0 offers no runner-up, though every score is "at least half" of it.
    assert service.offered_with(ranked((soap, 0.0), (entry(service, "step-1"), 0.0))) == service.related_to(soap)


def test_an_answer_that_covers_the_whole_question_offers_no_runner_up(service: KnowledgeService) -> None:
    # "when is match day" is Match Day's title: an entry close behind it is a neighbour, not a doubt.
    match_day = entry(service, "match-day")
    near = entry(service, "step-1")
    assert near.id not in ids(service.related_to(match_day))
    assert service.offered_with(ranked((match_day, SURE_ANSWER), (near, 0.95))) == service.related_to(match_day)
    assert ids(service.offered_with(ranked((match_day, SURE_ANSWER - 0.01), (near, 0.95))))[0] == near.id


def test_nothing_is_offered_beside_a_question_search_did_not_answer(service: KnowledgeService) -> None:
    assert service.offered_with(ranked((entry(service, "soap"), 0.3), answered=False)) == ()
    assert service.offered_with(ranked(answered=False)) == ()


def test_an_answer_offers_what_search_ranked_next_for_the_real_question(service: KnowledgeService) -> None:
    # "Can I add programs after I submit?" sits between the entry on submitting ERAS and the one on changing it after
    # submission: whichever search puts first, the other is one click away.
    question = "i already submitted my eras, can i still add more programs and send new letters"
    answer = service.answer(question)
    assert answer.entry is not None
    pair = {"eras-submission", "eras-after-submission"}
    assert answer.entry.id in pair, answer.entry.id
    assert (pair - {answer.entry.id}) <= set(ids(answer.offered)), ids(answer.offered)
