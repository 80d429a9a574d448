"""Unanswered questions grouped by what they ask, for /knowledge report and `imgbot kb report`.

Members ask one thing in many wordings ("when is match day", "match day date??", "wen is match day 2027"); a
moderator wants it once, with how often it was asked in all. The rule is meant to be explained in one sentence:

- a question's *terms* are its meaningful words as the knowledge base's search reads them (``content_terms``: chat
  spellings such as "wen" spelled out, "Step II" and "step 2" one word, filler and question words dropped), without a
  plural "s", and without the words that only say a date is wanted ("date", "exactly") or which cycle's ("2027");
- two wordings are alike when their terms overlap by at least ``SIMILARITY`` (Jaccard: shared terms over all terms);
- greedily, most asked first: a wording joins the first group that holds a wording alike to it, else starts one.
  A wording without terms (nothing but filler) groups only with the same words.

Deterministic (ties broken by the latest asked, then the text), and never across servers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.repository import UnansweredQuestion
from bot.knowledge.search import content_terms, tokenize

SIMILARITY = 0.6
"""Jaccard overlap of two wordings' terms from which they are one question: with two or three terms each, one word
more or less ("match day" and "match day results") still groups; one different word of two does not ("h1b visa"
and "j1 visa")."""

GROUPING_FILLER = frozenset({"date", "dates", "exact", "exactly"})
"""Words that only say a date is wanted, like "when" (a question word search already drops). "day" is not one of
them: it is part of "match day"."""

_CYCLE_YEAR = re.compile(r"20\d\d")
"""A cycle's year: "match day 2027" asks what "match day" asks; the moderator's answer names the year."""


@dataclass(frozen=True)
class QuestionGroup:
    """One question however it was worded: the wording asked most, how often all were asked, how many wordings."""

    wording: str
    times: int
    wordings: int
    last_seen: str
    guild_id: int | None
    others: tuple[str, ...]
    """The other wordings, most asked first."""


def _fold(term: str) -> str:
    # The plural fold of the knowledge search: "interviews" is "interview".
    return term[:-1] if len(term) > 3 and term.endswith("s") and not term.endswith("ss") else term


def terms(question: str) -> frozenset[str]:
    """The words two wordings are compared by (see the module docstring)."""
    return frozenset(
        _fold(term)
        for term in content_terms(question)
        if term not in GROUPING_FILLER and not _CYCLE_YEAR.fullmatch(term)
    )


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared terms over all terms; 0 when either has none."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def alike(first: str, second: str) -> bool:
    """Whether two wordings are one question by the rule of this module."""
    a, b = terms(first), terms(second)
    if not a and not b:
        return tokenize(first) == tokenize(second)
    return similarity(a, b) >= SIMILARITY


@dataclass
class _Group:
    members: list[UnansweredQuestion]
    member_terms: list[frozenset[str]]


def _in_order(questions: Sequence[UnansweredQuestion]) -> list[UnansweredQuestion]:
    """Most asked first; then the latest asked (stamps are UTC text that sorts in time order); then the text."""
    by_text = sorted(questions, key=lambda q: (q.question, q.guild_id or 0))
    latest_first = sorted(by_text, key=lambda q: q.last_seen, reverse=True)
    return sorted(latest_first, key=lambda q: -q.times)


def group_questions(questions: Sequence[UnansweredQuestion]) -> list[QuestionGroup]:
    """Group ``questions`` (each stored wording with its count) by the rule of this module; the most asked group
    first. Wordings of different servers never share a group."""
    groups: list[_Group] = []
    # Groups by server and term, so a wording is compared only with groups it shares a word with (alike ones must).
    by_term: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    by_text: dict[tuple[int | None, tuple[str, ...]], int] = {}
    for question in _in_order(questions):
        own = terms(question.question)
        found = _find(groups, by_term, question.guild_id, own) if own else None
        if not own:
            found = by_text.get((question.guild_id, tuple(tokenize(question.question))))
        if found is None:
            found = len(groups)
            groups.append(_Group([], []))
            if not own:
                by_text[(question.guild_id, tuple(tokenize(question.question)))] = found
        groups[found].members.append(question)
        groups[found].member_terms.append(own)
        for term in own:
            places = by_term[(question.guild_id, term)]
            if not places or places[-1] != found:
                places.append(found)
    made = [_summary(group) for group in groups]
    # Stable: equal totals keep the order their most asked wordings came in.
    return sorted(made, key=lambda g: -g.times)


def _find(
    groups: list[_Group], by_term: dict[tuple[int | None, str], list[int]], guild_id: int | None, own: frozenset[str]
) -> int | None:
    candidates = sorted({index for term in own for index in by_term.get((guild_id, term), ())})
    for index in candidates:
        if any(similarity(own, other) >= SIMILARITY for other in groups[index].member_terms):
            return index
    return None


def _summary(group: _Group) -> QuestionGroup:
    first = group.members[0]
    return QuestionGroup(
        wording=first.question,
        times=sum(member.times for member in group.members),
        wordings=len(group.members),
        last_seen=max(member.last_seen for member in group.members),
        guild_id=first.guild_id,
        others=tuple(member.question for member in group.members[1:]),
    )
