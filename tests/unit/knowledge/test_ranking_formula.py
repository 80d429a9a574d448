"""The ranking score is the fitted shares times the terms ``_ranking_parts`` exposes, nothing else: bench/fit_ranking.py
fits the shares on those terms, so a term added to the score but not to the parts would make every fit wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bot.content import Content
from bot.knowledge import search as search_module

# Questions that exercise every term: a title word for word, a whole title, a definition, a long story, a near miss.
QUESTIONS = (
    "what is soap",
    "ecfmg certification",
    "what is this MSPE thing, my friend mentioned it",
    "I graduated 2016 from Pakistan with 236 on CK and no USCE, what are my chances in IM and should I do research?",
    "how do I send my transcript to ERAS",
    "tourist visa for my parents",
)


def _shares() -> np.ndarray[Any, np.dtype[np.float64]]:
    s = search_module
    by_feature = {
        "cover": s.COVER_SHARE,
        "bm25": s.BM25_SHARE,
        "titled": s.TITLE_SHARE,
        "resemblance": s.EXAMPLE_SHARE,
        "meaning": s.SEMANTIC_SHARE,
        "phrase": s.PHRASE_BONUS,
        "named": s.NAMED_BONUS,
        "defined": s.DEFINED_BONUS,
        "title_recall": s.TITLE_RECALL_SHARE,
        "likely": s.CLASSIFIER_SHARE,
    }
    assert set(by_feature) == set(search_module.RANKING_FEATURES)
    return np.array([by_feature[name] for name in search_module.RANKING_FEATURES])


@pytest.mark.parametrize("question", QUESTIONS)
def test_score_is_the_shares_times_the_parts(content: Content, monkeypatch: pytest.MonkeyPatch, question: str) -> None:
    recorded: list[Any] = []
    original_parts, original_scores = search_module._ranking_parts, search_module._ranking_scores

    def parts(*args: Any, **kwargs: Any) -> Any:
        recorded.append(original_parts(*args, **kwargs))
        return recorded[-1]

    def scores(*args: Any, **kwargs: Any) -> Any:
        recorded.append(original_scores(*args, **kwargs))
        return recorded[-1]

    monkeypatch.setattr(search_module, "_ranking_parts", parts)
    monkeypatch.setattr(search_module, "_ranking_scores", scores)
    ranking = content.knowledge.search_index.rank(question)
    assert ranking.ranked, question
    found_parts, (score, cover, substantial) = recorded
    np.testing.assert_allclose(score, found_parts.matrix() @ _shares(), rtol=0, atol=1e-12)
    assert (cover == found_parts.cover).all() and (substantial == found_parts.substantial).all()
    # The ranked entries carry those very scores.
    entries = content.knowledge.search_index._index.entries
    for ranked in ranking.ranked:
        assert ranked.score == float(score[entries.index(ranked.entry)])
