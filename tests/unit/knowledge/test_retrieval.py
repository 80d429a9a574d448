"""Retrieval quality over the labelled sets in tests/retrieval/ (see its README): guards against regressions.

`questions.yaml` is the reference set; `dev_questions.yaml` was written separately, from the entry topics and the
way IMGs write, so that a search change that only fits one set shows up as a failure on the other. `fresh/round1`
was written by someone who had read neither the entries nor the code, and scored before any change; search was then
tuned on it, so it too measures tuning now, as do rounds 2 to 6 (each scored once before it was tuned on). Only a new
fresh round says how search does for users (the README).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from bot.content import Content
from tests.conftest import REPO_ROOT

RETRIEVAL = REPO_ROOT / "tests" / "retrieval"
# top-1, top-3, out-of-scope refused: the floors each set is held to, a little under what search does today. The
# out-of-scope floors of the older sets are lower than they were (90 %): their near-misses ("tourist visa for my
# parents", "canadian work permit", "driving license in texas") sit closer to a knowledge base that now covers
# visitor visas, Canada and moving to the US, and a word the entries never use counts less against an answer than
# it did, because fresh questions are full of such words ("yesterday", a school's name). Members asking in scope
# gained more than the near-misses lost (README, figures). Rounds 12-14's top-3 (and round 14's top-1) floors rose
# with the content and chat spellings of 2026-12-07's third session (round 12 top-3 94.1 %, round 13 88.0 %, round 14
# 83.9 / 94.1 %); rounds 15 and 16 joined then, tuning sets since their only blind scores. Round 17 was tuned on in
# the fourth session (its floors rose with it); rounds 18 and 19 joined at that session's end, after their blind scores.
SETS = {
    "questions.yaml": (0.93, 0.97, 0.90),
    "dev_questions.yaml": (0.93, 0.97, 0.84),
    "fresh/round1.yaml": (0.80, 0.89, 0.95),
    "fresh/round2.yaml": (0.78, 0.86, 0.95),
    "fresh/round3.yaml": (0.74, 0.84, 0.87),
    "fresh/round4.yaml": (0.85, 0.94, 0.91),
    "fresh/round5.yaml": (0.83, 0.92, 0.91),
    "fresh/round6.yaml": (0.74, 0.85, 0.91),
    "fresh/round7.yaml": (0.78, 0.89, 0.93),
    "fresh/round8.yaml": (0.76, 0.84, 0.89),
    "fresh/round9.yaml": (0.81, 0.88, 0.91),
    "fresh/round10.yaml": (0.87, 0.93, 0.90),
    "fresh/round11.yaml": (0.88, 0.92, 0.93),
    "fresh/round12.yaml": (0.79, 0.92, 0.91),
    "fresh/round13.yaml": (0.76, 0.87, 0.87),
    "fresh/round14.yaml": (0.79, 0.89, 0.86),
    "fresh/round15.yaml": (0.83, 0.89, 0.80),
    "fresh/round16.yaml": (0.79, 0.90, 0.90),
    "fresh/round17.yaml": (0.81, 0.88, 0.85),
    "fresh/round18.yaml": (0.73, 0.86, 0.88),
    "fresh/round19.yaml": (0.73, 0.86, 0.85),
    "fresh/round20.yaml": (0.76, 0.84, 0.90),
    "fresh/round21.yaml": (0.78, 0.83, 0.90),
}


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((RETRIEVAL / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("name", SETS)
def test_retrieval_quality(content: Content, name: str) -> None:
    min_top1, min_top3, min_refused = SETS[name]
    data = _load(name)
    search = content.knowledge.search_index
    in_scope, out_of_scope = data["in_scope"], data["out_of_scope"]
    assert len(in_scope) >= 80 and len(out_of_scope) >= 10
    out_of_scope = [q if isinstance(q, str) else q["q"] for q in out_of_scope]

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
    answered = [q for q in out_of_scope if search.search(q).answered]

    top1_rate, top3_rate = top1 / len(in_scope), top3 / len(in_scope)
    refusal_rate = 1 - len(answered) / len(out_of_scope)
    report = f"{name}: top-1 {top1_rate:.1%}, top-3 {top3_rate:.1%}, out-of-scope refused {refusal_rate:.1%}"
    print(report)
    assert top1_rate >= min_top1, report + "\n" + "\n".join(misses)
    assert top3_rate >= min_top3, report + "\n" + "\n".join(misses)
    assert refusal_rate >= min_refused, report + "\nanswered: " + ", ".join(map(repr, answered))


@pytest.mark.parametrize("name", SETS)
def test_every_expected_id_exists(content: Content, name: str) -> None:
    data = _load(name)
    unknown = {i for item in data["in_scope"] for i in item["expect"]} - {
        e.id for e in content.knowledge.knowledge.entries
    }
    assert not unknown


def test_the_sets_cover_every_entry(content: Content) -> None:
    expected = {i for name in SETS for item in _load(name)["in_scope"] for i in item["expect"]}
    assert {e.id for e in content.knowledge.knowledge.entries} - expected == set()


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_no_entry_question_is_copied_from_a_labelled_set(content: Content) -> None:
    # An entry's `questions:` are members' phrasings written for the entry, never a set's questions (tests/retrieval's
    # README): a copied one would make the set measure memory instead of search. Compared without case or
    # punctuation; new sets are caught as they are added.
    asked: dict[str, str] = {}
    for path in sorted(RETRIEVAL.glob("*.yaml")) + sorted(RETRIEVAL.glob("fresh/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in [*data.get("in_scope", []), *data.get("out_of_scope", [])]:
            asked.setdefault(_plain(item["q"] if isinstance(item, dict) else item), path.name)
    copied = [
        f"{entry.id}: {question!r} (in {asked[_plain(question)]})"
        for entry in content.knowledge.knowledge.entries
        for question in entry.questions
        if _plain(question) in asked
    ]
    assert not copied, "\n".join(copied)
