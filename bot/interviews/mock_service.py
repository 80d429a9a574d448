"""Mock interview sessions in a study group: open one, join, start, the timers' steps, questions and feedback.

The rules (tables, phases, questions) are in ``mock.py``; this keeps them in the database (``MockRepository``), which
is the truth after a restart. The study group (its channel, its members) comes from ``StudyGroupService``. Who may do
what: a member of the group or a moderator opens a session; members of the group join; the member who opened it or a
moderator starts or ends it; only a table's interviewers give feedback for their round, and only its candidate reads it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.db.timestamps import Clock, utc_now
from bot.interviews import mock
from bot.interviews.bank import InterviewBank
from bot.interviews.mock import MAX_PARTICIPANTS, Phase, State, Table, Timing
from bot.interviews.mock_repository import Feedback, MockRepository, MockSession
from bot.interviews.models import InterviewQuestion
from bot.interviews.options import MockFeedback, MockOptions
from bot.studygroups.models import StudyGroup
from bot.studygroups.service import StudyGroupService
from bot.text import quote_user_text
from bot.validation import UserInputError

log = logging.getLogger(__name__)

SEED_LIMIT = 2**31
ALL_GROUPS = 10_000
"""Every active group of a server, when looking for the one that posts in a channel."""


class Role(StrEnum):
    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"


@dataclass(frozen=True)
class SessionView:
    """What a session's public message shows."""

    session: MockSession
    group_name: str
    participants: tuple[int, ...]
    """Who joined, in order."""
    tables: tuple[Table, ...]
    feedback: frozenset[tuple[int, int]]
    """(round, interviewer) of each feedback form given."""

    @property
    def state(self) -> State:
        return self.session.state

    def interviewers(self, round_: int) -> int:
        return sum(len(t.interviewers(round_)) for t in self.tables)

    def feedback_given(self, round_: int) -> int:
        return sum(1 for given_round, _ in self.feedback if given_round == round_)


@dataclass(frozen=True)
class Assignment:
    """A member's part in one round: their table, their role, and (for interviewers) the questions to ask."""

    session: MockSession
    user_id: int
    round: int
    table_no: int
    table: Table
    role: Role
    questions: tuple[InterviewQuestion, ...]

    @property
    def running(self) -> bool:
        """The round is on now (False: it starts after the break, or it is over)."""
        state = self.session.state
        return state.phase is Phase.ROUND and state.round == self.round

    @property
    def candidate(self) -> int:
        return self.table.candidate(self.round)

    @property
    def interviewers(self) -> tuple[int, ...]:
        return self.table.interviewers(self.round)


@dataclass(frozen=True)
class FeedbackTarget:
    """The form an interviewer is about to fill in: for whom, which round, and what they gave before (to edit)."""

    session_id: int
    round: int
    candidate_id: int
    previous: Feedback | None


class MockInterviewService:
    def __init__(
        self,
        repository: MockRepository,
        studygroups: StudyGroupService,
        bank: InterviewBank,
        timing: Timing | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.repository = repository
        self.studygroups = studygroups
        self.bank = bank
        self.timing = timing or Timing()
        self._clock = clock

    def now(self) -> dt.datetime:
        return self._clock().astimezone(dt.UTC)

    # -- reading -------------------------------------------------------------------------------------------------

    async def session(self, session_id: int) -> MockSession:
        found = await self.repository.session(session_id)
        if found is None:
            raise UserInputError("That mock interview session is gone. Start a new one with `/interview mock`.")
        return found

    async def view(self, session: MockSession | int) -> SessionView:
        if isinstance(session, int):
            session = await self.session(session)
        group = await self.studygroups.get_group(session.group_id)
        return SessionView(
            session,
            group.name if group is not None else "Study group",
            tuple(await self.repository.participants(session.id)),
            tuple(await self.repository.tables(session.id)),
            frozenset(await self.repository.feedback_authors(session.id)),
        )

    async def running(self) -> list[MockSession]:
        """Every session in its lobby or a round or the break (the timers re-arm them at start-up)."""
        return await self.repository.running()

    # -- opening a session ---------------------------------------------------------------------------------------

    async def _group(self, guild_id: int, channel_id: int, user_id: int, ref: str | None) -> StudyGroup:
        """The group asked for; without one, the group that posts in this channel, or the member's only group."""
        if ref is not None:
            return await self.studygroups.resolve_group(guild_id, ref)
        groups = await self.studygroups.group_choices(guild_id, "", limit=ALL_GROUPS)
        here = next((g for g in groups if g.channel_id == channel_id), None)
        if here is not None:
            return here
        mine = await self.studygroups.my_groups(guild_id, user_id)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise UserInputError(
                "Mock interviews run in a study group's channel. Join a group with `/studygroup join`, or name one "
                "with `/interview mock group:`."
            )
        raise UserInputError("You are in several study groups. Pick one with `/interview mock group:`.")

    async def is_member(self, guild_id: int, group_id: int, user_id: int) -> bool:
        return any(g.id == group_id for g in await self.studygroups.my_groups(guild_id, user_id))

    async def open_session(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        *,
        moderator: bool,
        options: MockOptions,
        channel_check: Callable[[int], None] | None = None,
    ) -> SessionView:
        """A new session in the group's channel, waiting for members to join (the one who opens it joins at once
        when they are a member of the group). ``channel_check`` raises UserInputError when the group's channel
        cannot take the session's messages (the cog checks the bot's permissions there)."""
        group = await self._group(guild_id, channel_id, user_id, options.group)
        member = await self.is_member(guild_id, group.id, user_id)
        if not member and not moderator:
            raise UserInputError(
                f"Only members of {_named(group)} (or a moderator) can start a mock interview session for it. Join "
                "with `/studygroup join`."
            )
        if await self.repository.running_in_channel(group.channel_id) is not None:
            raise UserInputError(
                f"A mock interview session is already running in <#{group.channel_id}>: join that one, or wait "
                "until it ends."
            )
        if channel_check is not None:
            channel_check(group.channel_id)
        now = self.now()
        session_id = await self.repository.create_session(
            guild_id=guild_id,
            channel_id=group.channel_id,
            group_id=group.id,
            started_by=user_id,
            minutes=options.minutes,
            seed=secrets.randbelow(SEED_LIMIT),
            state=mock.lobby(now, self.timing),
            now=now,
        )
        if session_id is None:  # another one was opened in the same instant
            raise UserInputError(f"A mock interview session is already running in <#{group.channel_id}>.")
        if member:
            await self.repository.add_participant(session_id, user_id, now, MAX_PARTICIPANTS)
        log.info("mock interview session %d opened in channel %d (group %d)", session_id, group.channel_id, group.id)
        return await self.view(session_id)

    async def set_message(self, session_id: int, message_id: int, shown: str) -> None:
        await self.repository.set_message(session_id, message_id, shown, self.now())

    # -- the lobby -----------------------------------------------------------------------------------------------

    async def join(self, session_id: int, user_id: int) -> tuple[SessionView, bool]:
        """The member joins (True) or was in already (False)."""
        session = await self.session(session_id)
        view = await self.view(session)
        if user_id in view.participants:
            return view, False
        if session.state.phase is not Phase.LOBBY:
            raise UserInputError(_closed(session))
        if not await self.is_member(session.guild_id, session.group_id, user_id):
            raise UserInputError(
                f"This session is for members of {_named(view.group_name)}. Join the group with `/studygroup join`, "
                "then press **Join** again."
            )
        if len(view.participants) >= MAX_PARTICIPANTS:
            raise UserInputError(
                f"This session is full ({MAX_PARTICIPANTS} members). Start another one after it with `/interview mock`."
            )
        if not await self.repository.add_participant(session_id, user_id, self.now(), MAX_PARTICIPANTS):
            # It started, or filled up, between the checks and the write.
            raise UserInputError(_closed(await self.session(session_id)))
        return await self.view(session_id), True

    async def leave(self, session_id: int, user_id: int) -> SessionView:
        session = await self.session(session_id)
        if session.state.phase is not Phase.LOBBY:
            raise UserInputError("The session has started: the tables are set. Just let your partner know.")
        if not await self.repository.remove_participant(session_id, user_id):
            raise UserInputError("You had not joined this session.")
        return await self.view(session_id)

    def _may_run(self, session: MockSession, user_id: int, moderator: bool) -> None:
        if user_id != session.started_by and not moderator:
            raise UserInputError("Only the member who started this session (or a moderator) can do that.")

    async def begin(self, session_id: int, user_id: int, *, moderator: bool) -> SessionView:
        """Round 1 begins: the members who joined are seated at tables (as few repeated pairs as possible)."""
        session = await self.session(session_id)
        self._may_run(session, user_id, moderator)
        participants = await self.repository.participants(session_id)
        now = self.now()
        new = mock.start(session.state, len(participants), session.minutes, now, self.timing)
        history = mock.history_of(await self.repository.group_history(session.group_id, session_id))
        tables = mock.pair_members(participants, history)
        if not await self.repository.start(session_id, session.state, new, tables, now):
            raise UserInputError("This session has already started.")
        log.info(
            "mock interview session %d started: %d members at %d tables, %d repeated pair(s)",
            session_id,
            len(participants),
            len(tables),
            mock.repeated_pairs(tables, history),
        )
        return await self.view(session_id)

    async def end(self, session_id: int, user_id: int, *, moderator: bool) -> SessionView:
        session = await self.session(session_id)
        self._may_run(session, user_id, moderator)
        if not await self.repository.move(session_id, session.state, mock.cancel(session.state), self.now()):
            raise UserInputError("The session moved on meanwhile. Try again.")
        log.info("mock interview session %d ended early", session_id)
        return await self.view(session_id)

    # -- the timers ----------------------------------------------------------------------------------------------

    async def advance(self, session_id: int, expected: State) -> SessionView | None:
        """A phase's time is up: the next phase, or None when the session is no longer where the timer expected
        (ended, or moved on by someone meanwhile)."""
        session = await self.repository.session(session_id)
        if session is None or (session.state.phase, session.state.round) != (expected.phase, expected.round):
            return None
        new = mock.advance(session.state, session.minutes, self.now(), self.timing)
        if not await self.repository.move(session_id, session.state, new, self.now()):
            return None
        return await self.view(session_id)

    async def abandon(self, session_id: int) -> None:
        """End a session whose channel can no longer take its messages."""
        session = await self.repository.session(session_id)
        if session is not None and session.state.phase.running:
            await self.repository.move(session_id, session.state, mock.cancel(session.state), self.now())

    # -- questions and feedback ----------------------------------------------------------------------------------

    async def _seat(self, session: MockSession, user_id: int) -> tuple[int, Table]:
        for number, table in enumerate(await self.repository.tables(session.id), start=1):
            if user_id in table.members:
                return number, table
        raise UserInputError("You are not at a table in this session. Join the next one with **Join**.")

    async def assignment(self, session_id: int, user_id: int) -> Assignment:
        """The member's part in the round running (or the next one during the break, or the last one after)."""
        session = await self.session(session_id)
        round_ = session.state.assignment_round
        if round_ is None:
            if session.state.phase is Phase.CANCELLED:
                raise UserInputError("This session ended before it started.")
            raise UserInputError("The tables are made when the session starts. Your part shows here then.")
        number, table = await self._seat(session, user_id)
        if user_id == table.candidate(round_):
            return Assignment(session, user_id, round_, number, table, Role.CANDIDATE, ())
        questions = mock.questions_for(self.bank, session.seed, round_, number)
        return Assignment(session, user_id, round_, number, table, Role.INTERVIEWER, questions)

    async def feedback_target(self, session_id: int, round_: int, user_id: int) -> FeedbackTarget:
        """Check that the member interviewed in this round (which has started) and find their candidate."""
        session = await self.session(session_id)
        if not session.state.round_started(round_):
            raise UserInputError(f"Round {round_} has not started yet. Give feedback once you have interviewed.")
        _, table = await self._seat(session, user_id)
        if user_id not in table.interviewers(round_):
            raise UserInputError(
                f"In round {round_} you were the candidate: your interviewer gives the feedback. Press "
                "**My feedback** to read it."
            )
        previous = await self.repository.feedback_by(session_id, round_, user_id)
        return FeedbackTarget(session_id, round_, table.candidate(round_), previous)

    async def give_feedback(self, session_id: int, round_: int, user_id: int, form: MockFeedback) -> Feedback:
        target = await self.feedback_target(session_id, round_, user_id)
        return await self.repository.save_feedback(
            session_id,
            round_,
            user_id,
            target.candidate_id,
            (form.clarity, form.structure, form.content),
            form.strength,
            form.suggestion,
            self.now(),
        )

    async def feedback_received(self, session_id: int, user_id: int) -> tuple[Feedback, ...]:
        """The feedback the member received in this session (only they can read it)."""
        session = await self.session(session_id)
        if not session.state.started:
            raise UserInputError("The session has not started yet: feedback comes after your round.")
        received = tuple(await self.repository.feedback_for(session_id, user_id))
        if not received:
            # Nothing yet: say so to members of the session only. (A member whose partner deleted their data has
            # no table any more, but keeps the feedback they received.)
            await self._seat(session, user_id)
        return received


def _named(group: StudyGroup | str) -> str:
    return f"**{quote_user_text(group if isinstance(group, str) else group.name, 60)}**"


def _closed(session: MockSession) -> str:
    if session.state.phase is Phase.LOBBY:
        return f"This session is full ({MAX_PARTICIPANTS} members). Start another one after it with `/interview mock`."
    if session.state.phase.running:
        return "This session has started: the tables are set. Join the next one."
    return "This session is over. Start a new one with `/interview mock`."
