"""Unanswered questions group by what they ask: paraphrases one group, near misses apart, deterministic, by server."""

from __future__ import annotations

import itertools

import pytest

from bot.knowledge.question_groups import QuestionGroup, alike, group_questions, terms
from bot.knowledge.repository import UnansweredQuestion

SERVER_A, SERVER_B = 1_183_440_317_201_907_712, 1_190_021_588_230_107_136


def asked(
    question: str, times: int = 1, last_seen: str = "2027-03-01T12:00:00.000000+00:00", guild: int | None = SERVER_A
) -> UnansweredQuestion:
    return UnansweredQuestion(question, times, last_seen, guild)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("when is match day", "match day date??"),
        ("when is match day", "wen is match day 2027"),
        ("match day date??", "wen is match day 2027"),  # each alike the others, not only through a third
        ("Step II CK score", "step 2ck scores"),
        ("is the eras fee refundable", "eras fees refundable?"),
        ("hw to get USCE", "how to get usce pls"),
        ("h-1b visa sponsorship programs", "H1B visa sponsorship program??"),
    ],
)
def test_paraphrases_are_one_question(first: str, second: str) -> None:
    assert alike(first, second)
    assert alike(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("h1b visa sponsorship", "j1 visa sponsorship"),  # another visa
        ("step 1 score", "step 2 ck score"),  # another exam
        ("eras fee", "eras tips"),  # another thing about one service
        ("when is match day", "when is the rank list deadline"),
        ("when is match day", "when is soap"),
        ("hi", "hello"),  # filler only: alike only when worded the same
    ],
)
def test_near_misses_stay_apart(first: str, second: str) -> None:
    assert not alike(first, second)


def test_the_issue_example_is_one_group_with_its_most_common_wording() -> None:
    groups = group_questions(
        [
            asked("match day date", 2),
            asked("when is match day", 5),
            asked("wen is match day 2027", 1),
            asked("best pizza near my rotation", 3),
        ]
    )
    assert groups == [
        QuestionGroup(
            "when is match day",
            8,
            3,
            "2027-03-01T12:00:00.000000+00:00",
            SERVER_A,
            ("match day date", "wen is match day 2027"),
        ),
        QuestionGroup("best pizza near my rotation", 3, 1, "2027-03-01T12:00:00.000000+00:00", SERVER_A, ()),
    ]


def test_the_same_groups_whatever_order_the_rows_come_in() -> None:
    rows = [
        asked("when is match day", 2, "2027-03-01T10:00:00.000000+00:00"),
        asked("match day date", 2, "2027-03-01T11:00:00.000000+00:00"),
        asked("h1b visa sponsorship", 2),
        asked("j1 visa sponsorship", 2),
        asked("visa sponsorship", 1),
        asked("hi", 1),
        asked("hi", 1, guild=SERVER_B),
    ]
    expected = group_questions(rows)
    for order in itertools.permutations(rows):
        assert group_questions(list(order)) == expected
    # Equal counts: the latest asked wording names the group.
    assert expected[0].wording == "match day date"


def test_greedy_joins_the_first_alike_group_and_never_chains_across_servers() -> None:
    groups = group_questions(
        [
            asked("h1b visa sponsorship", 4),
            asked("j1 visa sponsorship", 3),  # not alike the h1b one: a group of its own
            asked("visa sponsorship", 1),  # alike both (2/3): joins the one asked most
            asked("h1b visa sponsorship", 2, guild=SERVER_B),
        ]
    )
    assert [(g.wording, g.times, g.wordings, g.guild_id) for g in groups] == [
        ("h1b visa sponsorship", 5, 2, SERVER_A),
        ("j1 visa sponsorship", 3, 1, SERVER_A),
        ("h1b visa sponsorship", 2, 1, SERVER_B),
    ]


def test_terms_use_the_search_normalisation() -> None:
    assert terms("wen is Match Day 2027??") == terms("when is match day") == frozenset({"match", "day"})
    assert terms("Step II CK") == frozenset({"step2", "ck"})


def test_every_wording_of_many_is_counted_in_exactly_one_group() -> None:
    # 1,000 stored wordings (the most the report reads) of 200 different questions.
    rows = [asked(f"topic{n % 200} question{n % 200} variant{n}", 1 + n % 7) for n in range(1000)]
    groups = group_questions(rows)
    assert sum(g.times for g in groups) == sum(r.times for r in rows)
    assert sum(g.wordings for g in groups) == 1000
