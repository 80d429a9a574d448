"""Mock interviews in a study group: who interviews whom, and the steps a session goes through.

A session (``/interview mock``) gathers members of one study group in the group's channel, then runs two timed
rounds. Everything here is pure: the service (``mock_service.py``) keeps the state in the database and the timers
(``mock_timers.py``) call ``advance`` when a phase's time is up.

**Tables.** At the start the members who joined are seated at tables of two (``Table``): in round 1 ``first``
interviews ``second``, in round 2 the roles swap, so everyone is interviewed once and interviews once. With an odd
number one table has three: the ``extra`` member interviews alongside in both rounds (reads the same questions, gives
feedback too) and is not interviewed this time. Of the three, the extra is the one who joined last; across the whole
session the latest joiner is preferred, unless seating them elsewhere avoids a repeated pair. (The other choice, an
odd member who waits, would leave them idle for both rounds; a third seat keeps them practising.)

**No repeated pairs when avoidable.** ``pair_members`` seats the members so that as few pairs as possible have sat
together in an earlier session of the group (then: who met fewest times). It is exact: a dynamic programme over
who is still unseated, fast up to ``MAX_PARTICIPANTS``.

**Phases.** ``lobby`` (members join; closes unstarted after ``LOBBY_MINUTES``) → ``round`` 1 → ``break`` (feedback,
then the roles swap) → ``round`` 2 → ``done``; ``cancelled`` from any running phase. Feedback for a round can be given
once that round has started, also after the session ended.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.interviews.bank import InterviewBank
from bot.interviews.models import Category, InterviewQuestion
from bot.validation import UserInputError

ROUNDS = 2
QUESTIONS_PER_ROUND = 5
MIN_PARTICIPANTS = 2
MAX_PARTICIPANTS = 16
"""Eight tables: about as many as a channel can follow at once. The exact seating of 15 (the slowest count: odd, so
one table of three) takes under a tenth of a second; the unit tests time the worst case."""
DEFAULT_ROUND_MINUTES = 10
MIN_ROUND_MINUTES = 5
MAX_ROUND_MINUTES = 20
BREAK_MINUTES = 3
"""Between the rounds: time for the interviewers to fill in the feedback form and for everyone to swap."""
LOBBY_MINUTES = 30
"""A session nobody starts within this closes by itself, so it does not hold the channel."""

QUESTION_PLAN: tuple[tuple[Category, ...], ...] = (
    (Category.ABOUT_YOU,),
    (Category.SPECIALTY, Category.PROGRAM),
    (Category.IMG,),
    (Category.BEHAVIOURAL,),
    (Category.ETHICS,),
)
"""A round's five questions, in the order a residency interview usually meets them (questions to ask programs are
the candidate's to ask, so they are not among them)."""


class Phase(StrEnum):
    LOBBY = "lobby"
    ROUND = "round"
    BREAK = "break"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def running(self) -> bool:
        """A session in this phase holds its channel and has a timer."""
        return self in {Phase.LOBBY, Phase.ROUND, Phase.BREAK}


MINUTE_ENV = "IMGBOT_TEST_MOCK_MINUTE_SECONDS"
"""Test hook: how many seconds a session's "minute" lasts (end-to-end tests run a whole session in seconds). Read
only against a local emulator (``bot.config.active_test_hooks``)."""


@dataclass(frozen=True)
class Timing:
    """How long a "minute" of a session lasts: a real one, except in end-to-end tests (``MINUTE_ENV``)."""

    minute: dt.timedelta = dt.timedelta(minutes=1)

    def minutes(self, count: int) -> dt.timedelta:
        return self.minute * count

    @classmethod
    def from_hooks(cls, hooks: Mapping[str, str]) -> Timing:
        """Real minutes, unless the test hook ``MINUTE_ENV`` (a positive number of seconds) shortens them."""
        value = hooks.get(MINUTE_ENV)
        if value is None:
            return cls()
        seconds = float(value)
        if not 0 < seconds <= 60:
            raise ValueError(f"{MINUTE_ENV} must be a number of seconds above 0 and at most 60, not {value!r}")
        return cls(dt.timedelta(seconds=seconds))


@dataclass(frozen=True)
class State:
    """Where a session is: its phase, the round (0 in the lobby; the current or last round after), and when the
    phase's timer fires (None once the session is over)."""

    phase: Phase
    round: int
    ends_at: dt.datetime | None

    @property
    def key(self) -> str:
        """Names what a session message shows (``round:2``): a message is posted once per key."""
        return f"{self.phase.value}:{self.round}"

    @property
    def started(self) -> bool:
        return self.round >= 1

    def round_started(self, round_: int) -> bool:
        return 1 <= round_ <= self.round

    @property
    def assignment_round(self) -> int | None:
        """The round "My questions" is about: the one running, the next one during the break, the last one after."""
        if not self.started:
            return None
        if self.phase is Phase.BREAK:
            return self.round + 1
        return self.round


def lobby(now: dt.datetime, timing: Timing) -> State:
    return State(Phase.LOBBY, 0, now + timing.minutes(LOBBY_MINUTES))


def start(state: State, participants: int, round_minutes: int, now: dt.datetime, timing: Timing) -> State:
    """The starter pressed Start: round 1 begins (UserInputError when it cannot)."""
    if state.phase is not Phase.LOBBY:
        raise UserInputError("This session has already started.")
    if participants < MIN_PARTICIPANTS:
        raise UserInputError(
            f"At least {MIN_PARTICIPANTS} members need to join before the session can start: one to interview, "
            "one to be interviewed."
        )
    return State(Phase.ROUND, 1, now + timing.minutes(round_minutes))


def advance(state: State, round_minutes: int, now: dt.datetime, timing: Timing) -> State:
    """The phase's time is up: what comes next. A lobby nobody started closes; a round is followed by the break and
    the break by the next round; the last round ends the session."""
    if state.phase is Phase.LOBBY:
        return State(Phase.CANCELLED, 0, None)
    if state.phase is Phase.ROUND:
        if state.round >= ROUNDS:
            return State(Phase.DONE, state.round, None)
        return State(Phase.BREAK, state.round, now + timing.minutes(BREAK_MINUTES))
    if state.phase is Phase.BREAK:
        return State(Phase.ROUND, state.round + 1, now + timing.minutes(round_minutes))
    raise ValueError(f"a {state.phase.value} session has no next step")


def cancel(state: State) -> State:
    if not state.phase.running:
        raise UserInputError("This session is already over.")
    return State(Phase.CANCELLED, state.round, None)


# -- tables ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Members who practise together for the whole session (see the module's docstring)."""

    first: int
    second: int
    extra: int | None = None

    @property
    def members(self) -> tuple[int, ...]:
        return (self.first, self.second) if self.extra is None else (self.first, self.second, self.extra)

    def candidate(self, round_: int) -> int:
        return self.second if round_ == 1 else self.first

    def interviewers(self, round_: int) -> tuple[int, ...]:
        lead = self.first if round_ == 1 else self.second
        return (lead,) if self.extra is None else (lead, self.extra)

    def pairs(self) -> frozenset[frozenset[int]]:
        """Every two members of the table: they practise together (what the pair history counts)."""
        people = self.members
        return frozenset(frozenset((a, b)) for i, a in enumerate(people) for b in people[i + 1 :])


History = Mapping[frozenset[int], int]
"""How many earlier sessions of the group seated each pair of members together."""
_Cost = tuple[int, int, int]
"""(pairs that met before, times they met in all, how far the extra is from the latest joiner): smaller is better."""
_Plan = tuple[tuple[int, ...], ...]


def _add(a: _Cost, b: _Cost) -> _Cost:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def pair_members(members: Sequence[int], history: History) -> tuple[Table, ...]:
    """Seat ``members`` (in the order they joined) at tables, repeating as few earlier pairs as possible.

    Exact: the cost is minimised over every seating. Ties keep the joining order (the earlier joiner of a pair
    interviews first; the latest joiner is the extra)."""
    people = list(dict.fromkeys(members))
    count = len(people)
    if count < MIN_PARTICIPANTS:
        raise ValueError(f"need at least {MIN_PARTICIPANTS} members to pair")
    if count > MAX_PARTICIPANTS:
        raise ValueError(f"at most {MAX_PARTICIPANTS} members can be paired")
    everyone = (1 << count) - 1

    def met(i: int, j: int) -> _Cost:
        times = history.get(frozenset((people[i], people[j])), 0)
        return (1 if times else 0, times, 0)

    @functools.cache
    def best(seated: int, trio_left: bool) -> tuple[_Cost, _Plan] | None:
        if seated == everyone:
            return None if trio_left else ((0, 0, 0), ())
        i = next(n for n in range(count) if not seated >> n & 1)
        found: tuple[_Cost, _Plan] | None = None
        for j in range(i + 1, count):
            if seated >> j & 1:
                continue
            options: list[tuple[_Cost, tuple[int, ...], int, bool]] = [(met(i, j), (i, j), 1 << i | 1 << j, trio_left)]
            if trio_left:
                for k in range(j + 1, count):
                    if not seated >> k & 1:
                        cost = _add(_add(met(i, j), met(i, k)), _add(met(j, k), (0, 0, count - 1 - k)))
                        options.append((cost, (i, j, k), 1 << i | 1 << j | 1 << k, False))
            for cost, table, bits, left in options:
                rest = best(seated | bits, left)
                if rest is not None and (found is None or _add(cost, rest[0]) < found[0]):
                    found = (_add(cost, rest[0]), (table, *rest[1]))
        return found

    result = best(0, count % 2 == 1)
    assert result is not None  # every count from 2 up can be seated: pairs, and one trio when odd
    return tuple(
        Table(people[seat[0]], people[seat[1]], people[seat[2]] if len(seat) == 3 else None) for seat in result[1]
    )


def repeated_pairs(tables: Sequence[Table], history: History) -> int:
    """How many pairs of this seating sat together before."""
    return sum(1 for table in tables for pair in table.pairs() if history.get(pair, 0))


def history_of(sessions: Sequence[Sequence[Table]]) -> dict[frozenset[int], int]:
    """The pair history from earlier sessions' tables."""
    counts: dict[frozenset[int], int] = {}
    for tables in sessions:
        for table in tables:
            for pair in table.pairs():
                counts[pair] = counts.get(pair, 0) + 1
    return counts


# -- questions -------------------------------------------------------------------------------------------------------


def questions_for(bank: InterviewBank, seed: int, round_: int, table_no: int) -> tuple[InterviewQuestion, ...]:
    """The five questions a table's interviewers ask in a round: one of each kind of ``QUESTION_PLAN``.

    They follow from the session's seed (kept in the database), so the same questions come back after a restart;
    a kind the bank lacks is made up from the others."""
    rng = random.Random(f"mock:{seed}:{round_}:{table_no}")
    chosen: list[InterviewQuestion] = []
    for kinds in QUESTION_PLAN:
        pool = sorted((q for kind in kinds for q in bank.questions_for(kind)), key=lambda q: q.id)
        if pool:
            chosen.append(rng.choice(pool))
    if len(chosen) < QUESTIONS_PER_ROUND:
        taken = {q.id for q in chosen}
        rest = sorted(
            (q for q in bank if q.category is not Category.ASK_PROGRAMS and q.id not in taken), key=lambda q: q.id
        )
        rng.shuffle(rest)
        chosen += rest[: QUESTIONS_PER_ROUND - len(chosen)]
    return tuple(chosen[:QUESTIONS_PER_ROUND])
