"""The rules of mock interview sessions (``bot.interviews.mock``): seating members at tables with as few repeated pairs
as any seating allows (checked against every seating, over member counts and histories drawn by hypothesis), the
roles of each round, the phases, and the questions a table gets."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import TEST_HOOK_PREFIX
from bot.content import Content
from bot.interviews.bank import InterviewBank
from bot.interviews.mock import (
    BREAK_MINUTES,
    LOBBY_MINUTES,
    MAX_PARTICIPANTS,
    MINUTE_ENV,
    QUESTION_PLAN,
    QUESTIONS_PER_ROUND,
    History,
    Phase,
    State,
    Table,
    Timing,
    advance,
    cancel,
    history_of,
    lobby,
    pair_members,
    questions_for,
    repeated_pairs,
    start,
)
from bot.interviews.models import Category
from bot.validation import UserInputError
from tests.unit.nasty import PROPERTY_SETTINGS

NOW = dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.UTC)
TIMING = Timing()


# -- seating -----------------------------------------------------------------------------------------------------


def seatings(people: Sequence[int]) -> Iterator[list[tuple[int, ...]]]:
    """Every way to split ``people`` into pairs (and one group of three when their number is odd)."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for i, second in enumerate(rest):
        others = rest[:i] + rest[i + 1 :]
        for seating in seatings(others):
            yield [(first, second), *seating]
    if len(people) % 2 == 1 and len(people) >= 3:
        for j, k in itertools.combinations(range(len(rest)), 2):
            others = [p for n, p in enumerate(rest) if n not in (j, k)]
            for seating in seatings(others):
                if all(len(group) == 2 for group in seating):
                    yield [(first, rest[j], rest[k]), *seating]


def repeats(groups: Sequence[tuple[int, ...]], history: History) -> tuple[int, int]:
    pairs = [frozenset(p) for group in groups for p in itertools.combinations(group, 2)]
    return sum(1 for p in pairs if history.get(p, 0)), sum(history.get(p, 0) for p in pairs)


def cost(tables: Sequence[Table], history: History) -> tuple[int, int]:
    return repeats([t.members for t in tables], history)


@st.composite
def members_and_history(draw: st.DrawFn, most: int = 9) -> tuple[list[int], dict[frozenset[int], int]]:
    count = draw(st.integers(min_value=2, max_value=most))
    members = draw(st.lists(st.integers(min_value=1, max_value=10**18), min_size=count, max_size=count, unique=True))
    pairs = [frozenset(p) for p in itertools.combinations(members, 2)]
    met = draw(st.lists(st.sampled_from(pairs), max_size=len(pairs) * 2))
    history: dict[frozenset[int], int] = {}
    for pair in met:
        history[pair] = history.get(pair, 0) + 1
    return members, history


@PROPERTY_SETTINGS
@given(members_and_history())
def test_seating_repeats_as_few_pairs_as_any_seating(case: tuple[list[int], dict[frozenset[int], int]]) -> None:
    members, history = case
    tables = pair_members(members, history)
    # Everyone is seated exactly once, in pairs, with one table of three when the count is odd.
    seated = [m for t in tables for m in t.members]
    assert sorted(seated) == sorted(members)
    assert sum(1 for t in tables if t.extra is not None) == len(members) % 2
    # Nobody sits with someone they met before when some seating avoids it, and in general no seating repeats fewer
    # pairs (nor, among those, fewer meetings).
    best = min(repeats(s, history) for s in seatings(members))
    assert cost(tables, history) == best
    assert repeated_pairs(tables, history) == best[0]


@PROPERTY_SETTINGS
@given(st.integers(min_value=2, max_value=MAX_PARTICIPANTS))
def test_without_history_tables_follow_the_joining_order(count: int) -> None:
    members = list(range(100, 100 + count))
    tables = pair_members(members, {})
    assert repeated_pairs(tables, {}) == 0
    # The earlier joiner of a pair interviews first; with an odd count the latest joiner is the extra.
    for table in tables:
        assert table.first < table.second
    extras = [t.extra for t in tables if t.extra is not None]
    assert extras == ([members[-1]] if count % 2 else [])


def test_a_second_session_of_four_changes_every_pair() -> None:
    alice, bob, carol, dan = 1, 2, 3, 4
    first = pair_members([alice, bob, carol, dan], {})
    assert first == (Table(alice, bob), Table(carol, dan))
    second = pair_members([alice, bob, carol, dan], history_of([first]))
    assert repeated_pairs(second, history_of([first])) == 0
    third = pair_members([alice, bob, carol, dan], history_of([first, second]))
    assert repeated_pairs(third, history_of([first, second])) == 0
    # After every pair has met once, the pairs that met least are chosen again.
    fourth_history = history_of([first, second, third, first])
    fourth = pair_members([alice, bob, carol, dan], fourth_history)
    assert cost(fourth, fourth_history) == (2, 2)


def test_the_latest_joiner_is_not_the_extra_when_that_would_repeat_a_pair() -> None:
    a, b, c, d, e = 1, 2, 3, 4, 5
    # e, the latest to join, met everyone but a: at a table of three they would meet someone again, paired with a
    # they meet nobody again. Among the other three the latest joiner, d, is the extra.
    history = {frozenset((e, b)): 1, frozenset((e, c)): 1, frozenset((e, d)): 1}
    tables = pair_members([a, b, c, d, e], history)
    assert repeated_pairs(tables, history) == 0
    assert set(tables) == {Table(a, e), Table(b, c, d)}
    # With three members everyone shares the one table, whatever they met before.
    assert pair_members([a, b, c], {frozenset((a, b)): 1}) == (Table(a, b, c),)


def test_odd_and_even_counts_at_the_limits() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        pair_members([1], {})
    with pytest.raises(ValueError, match=f"at most {MAX_PARTICIPANTS}"):
        pair_members(list(range(MAX_PARTICIPANTS + 1)), {})
    assert pair_members([7, 7, 8], {}) == (Table(7, 8),), "a member who appears twice is seated once"


@pytest.mark.parametrize("count", [MAX_PARTICIPANTS - 1, MAX_PARTICIPANTS])
def test_the_largest_sessions_are_seated_quickly(count: int) -> None:
    """Every pair met before, a different number of times: the search cannot stop early. Measured on the shared
    2-core machine: about 0.08 s for 15 members (the slowest: odd) and 0.02 s for 16; the bound leaves room."""
    members = list(range(1, count + 1))
    history = {frozenset(p): 1 + (p[0] * 7 + p[1] * 3) % 4 for p in itertools.combinations(members, 2)}
    # CPU time: on a busy machine (the suite runs on four workers) the wall clock also counts waiting for a core.
    started = time.process_time()
    tables = pair_members(members, history)
    assert time.process_time() - started < 2.0
    assert sorted(m for t in tables for m in t.members) == members


# -- roles -------------------------------------------------------------------------------------------------------


@given(st.booleans())
def test_roles_swap_between_the_rounds(trio: bool) -> None:
    table = Table(1, 2, 3 if trio else None)
    assert (table.interviewers(1), table.candidate(1)) == ((1, 3) if trio else (1,), 2)
    assert (table.interviewers(2), table.candidate(2)) == ((2, 3) if trio else (2,), 1)
    # Each of a pair is interviewed once and interviews once; the extra interviews in both rounds.
    assert {table.candidate(1), table.candidate(2)} == {1, 2}
    assert table.pairs() == ({frozenset((1, 2)), frozenset((1, 3)), frozenset((2, 3))} if trio else {frozenset((1, 2))})


# -- phases ------------------------------------------------------------------------------------------------------


def test_a_session_goes_lobby_round_break_round_done() -> None:
    opened = lobby(NOW, TIMING)
    assert opened == State(Phase.LOBBY, 0, NOW + dt.timedelta(minutes=LOBBY_MINUTES))
    assert opened.assignment_round is None and not opened.started
    with pytest.raises(UserInputError, match="At least 2 members"):
        start(opened, 1, 10, NOW, TIMING)
    first = start(opened, 2, 10, NOW, TIMING)
    assert first == State(Phase.ROUND, 1, NOW + dt.timedelta(minutes=10))
    assert first.assignment_round == 1 and first.round_started(1) and not first.round_started(2)
    with pytest.raises(UserInputError, match="already started"):
        start(first, 2, 10, NOW, TIMING)
    pause = advance(first, 10, NOW, TIMING)
    assert pause == State(Phase.BREAK, 1, NOW + dt.timedelta(minutes=BREAK_MINUTES))
    assert pause.assignment_round == 2, "during the break, My questions prepares round 2"
    second = advance(pause, 10, NOW, TIMING)
    assert second == State(Phase.ROUND, 2, NOW + dt.timedelta(minutes=10))
    done = advance(second, 10, NOW, TIMING)
    assert done == State(Phase.DONE, 2, None) and done.round_started(2) and done.key == "done:2"
    with pytest.raises(ValueError, match="no next step"):
        advance(done, 10, NOW, TIMING)
    assert not done.phase.running and all(s.phase.running for s in (opened, first, pause, second))


def test_a_lobby_nobody_starts_closes_and_any_running_session_can_be_ended() -> None:
    assert advance(lobby(NOW, TIMING), 10, NOW, TIMING) == State(Phase.CANCELLED, 0, None)
    running = start(lobby(NOW, TIMING), 4, 10, NOW, TIMING)
    assert cancel(running) == State(Phase.CANCELLED, 1, None)
    with pytest.raises(UserInputError, match="already over"):
        cancel(State(Phase.DONE, 2, None))


def test_a_test_hook_shortens_the_minute() -> None:
    # Named as a test hook, so that against real Discord it is ignored (bot.config.active_test_hooks).
    assert MINUTE_ENV.startswith(TEST_HOOK_PREFIX)
    assert Timing.from_hooks({}) == Timing()
    fast = Timing.from_hooks({MINUTE_ENV: "1.5"})
    assert fast.minutes(10) == dt.timedelta(seconds=15)
    for wrong in ("0", "-1", "nan", "61"):
        with pytest.raises(ValueError, match=MINUTE_ENV):
            Timing.from_hooks({MINUTE_ENV: wrong})


# -- questions ---------------------------------------------------------------------------------------------------


def test_each_table_asks_one_question_of_each_kind_and_the_same_after_a_restart(content: Content) -> None:
    bank = content.interview_bank
    asked = questions_for(bank, 1234, 1, 1)
    assert len(asked) == QUESTIONS_PER_ROUND
    assert asked[0].category is Category.ABOUT_YOU
    for question, kinds in zip(asked, QUESTION_PLAN, strict=True):
        assert question.category in kinds
    assert questions_for(bank, 1234, 1, 1) == asked, "the seed alone decides"
    others = {questions_for(bank, 1234, r, t) for r in (1, 2) for t in (1, 2, 3)}
    assert len(others) > 1, "tables and rounds get their own questions"


def test_a_bank_without_some_kinds_still_gives_five_questions(content: Content) -> None:
    bank = InterviewBank([q for q in content.interview_bank if q.category in {Category.ETHICS, Category.IMG}])
    asked = questions_for(bank, 99, 2, 3)
    assert len(asked) == QUESTIONS_PER_ROUND and len({q.id for q in asked}) == QUESTIONS_PER_ROUND
    assert {q.category for q in asked} <= {Category.ETHICS, Category.IMG}
