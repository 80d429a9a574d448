"""Retrieval quality over the labelled set in tests/retrieval/ (see its README): the figures the issue asks for."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.content import Content

QUESTIONS = Path(__file__).resolve().parent.parent / "retrieval" / "questions.yaml"


def test_retrieval_quality(content: Content) -> None:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    search = content.knowledge.search_index
    in_scope, out_of_scope = data["in_scope"], data["out_of_scope"]
    assert len(in_scope) >= 80 and len(out_of_scope) >= 10

    top1 = top3 = 0
    misses = []
    for item in in_scope:
        result = search.search(item["q"], limit=3)
        ids = [h.entry.id for h in result.hits] if result.answered else []
        expected = set(item["expect"])
        top1 += bool(ids[:1] and ids[0] in expected)
        top3 += bool(expected & set(ids[:3]))
        if not (ids[:1] and ids[0] in expected):
            misses.append(f"{item['q']!r}: expected {item['expect']}, got {ids} ({result.confidence:.2f})")
    refused = sum(not search.search(q).answered for q in out_of_scope)

    top1_rate, top3_rate = top1 / len(in_scope), top3 / len(in_scope)
    refusal_rate = refused / len(out_of_scope)
    report = f"top-1 {top1_rate:.1%}, top-3 {top3_rate:.1%}, out-of-scope refused {refusal_rate:.1%}"
    print(report)
    assert top1_rate >= 0.85, report + "\n" + "\n".join(misses)
    assert top3_rate >= 0.95, report + "\n" + "\n".join(misses)
    assert refusal_rate >= 0.90, report


def test_every_expected_id_exists(content: Content) -> None:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    unknown = {i for item in data["in_scope"] for i in item["expect"]} - {
        e.id for e in content.knowledge.knowledge.entries
    }
    assert not unknown
