"""bench/kb_search.py --check-against: the comparison that proves a faster search answers exactly as before."""

from __future__ import annotations

from bench.kb_search import SCORE_TOLERANCE, differences

_HITS = [["eras-overview", 0.9], ["eras-token", 0.4]]
_FIRST = ["eras-overview", 1.5, 0.9, 0.6, True, False]
_SECOND = ["eras-token", 0.7, 0.5, 0.4, True, False]


def _answer(**changes: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "q": "when does eras open",
        "terms": ["eras", "open"],
        "hits": _HITS,
        "confidence": 0.9,
        "answered": True,
        "not_english": False,
        "ranking": [_FIRST, _SECOND],
    }
    answer.update(changes)
    return answer


def _differing(**changes: object) -> list[str]:
    """The keys the check reports as different from the unchanged answer."""
    return [line.split(":")[0] for line in differences(_answer(), _answer(**changes))]


def test_the_same_answer_passes_and_last_bit_differences_are_tolerated() -> None:
    assert differences(_answer(), _answer()) == []
    nudged = ["eras-overview", 1.5 + SCORE_TOLERANCE / 10, 0.9, 0.6, True, False]
    assert _differing(ranking=[nudged, _SECOND]) == []


def test_a_different_order_score_flag_or_term_is_reported() -> None:
    assert _differing(hits=[["eras-token", 0.9], ["eras-overview", 0.4]]) == ["hits"]
    assert _differing(hits=_HITS[:1]) == ["hits"]
    assert _differing(ranking=[["eras-overview", 1.5 + 1e-6, 0.9, 0.6, True, False], _SECOND]) == ["ranking"]
    assert _differing(ranking=[["eras-overview", 1.5, 0.9, 0.6, False, False], _SECOND]) == ["ranking"]
    assert _differing(confidence=0.8) == ["confidence"]
    assert _differing(answered=False) == ["answered"]
    assert _differing(terms=["eras"]) == ["terms"]
