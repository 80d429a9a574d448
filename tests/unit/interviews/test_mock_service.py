"""Mock interview sessions through the service and its timers, with a real database, real study groups and a clock the
tests move: who may open, join, start and end a session; the tables and the pair history across sessions; questions
and feedback for the right members only; the timers' steps, a restart, and Discord failing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from bot.content import Content
from bot.db.connection import Connection
from bot.interviews.mock import (
    LOBBY_MINUTES,
    MAX_PARTICIPANTS,
    QUESTIONS_PER_ROUND,
    Phase,
    State,
    Table,
    Timing,
)
from bot.interviews.mock_repository import MockRepository
from bot.interviews.mock_service import MockInterviewService, Role, SessionView
from bot.interviews.mock_timers import MockTimers, job_id, post_job_id
from bot.interviews.options import MockFeedback, MockOptions, parse
from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError
from bot.scheduling.scheduler import JobFactory, JobScheduler
from bot.studygroups.models import GroupCreateOptions, parse_with_clock
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from bot.validation import UserInputError

START = dt.datetime(2026, 12, 10, 18, 0, tzinfo=dt.UTC)
GUILD = 1_183_449_152_834_830_386
ROOM, OTHER_ROOM, ELSEWHERE = 1_183_449_153_304_596_562, 1_183_449_153_304_596_563, 1_183_449_153_304_596_564
ALICE, BOB, CAROL, DAN, ERIN = (731_245_678_901_234_500 + n for n in range(5))
MOD = 889_013_374_520_442_910


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    conn: Connection
    clock: Clock
    groups: StudyGroupService
    service: MockInterviewService
    group_id: int
    other_group_id: int

    async def session(self, *members: int, starter: int = ALICE, minutes: int = 10) -> SessionView:
        """A session in ROOM opened by ``starter``, with ``members`` joined after them."""
        view = await self.service.open_session(
            GUILD, ROOM, starter, moderator=False, options=parse(MockOptions, minutes=minutes)
        )
        for member in members:
            view, _ = await self.service.join(view.session.id, member)
        return view


@pytest.fixture
async def world(conn: Connection, content: Content) -> World:
    clock = Clock()
    groups = StudyGroupService(StudyGroupRepository(conn), clock)
    crew = await groups.create_group(
        GUILD, parse_with_clock(GroupCreateOptions, START, name="Interview crew", channel_id=ROOM), creator_id=MOD
    )
    other = await groups.create_group(
        GUILD, parse_with_clock(GroupCreateOptions, START, name="Night owls", channel_id=OTHER_ROOM), creator_id=MOD
    )
    for member in (ALICE, BOB, CAROL, DAN, ERIN):
        await groups.join(GUILD, member, crew.group.id)
    service = MockInterviewService(MockRepository(conn), groups, content.interview_bank, Timing(), clock)
    return World(conn, clock, groups, service, crew.group.id, other.group.id)


def feedback(strength: str = "A clear story.", **scores: str) -> MockFeedback:
    values = {"clarity": "4", "structure": "3", "content": "5"} | scores
    return parse(MockFeedback, strength=strength, suggestion="Shorter opening.", **values)


# -- opening and joining -----------------------------------------------------------------------------------------


async def test_a_member_opens_a_session_in_the_groups_channel_and_joins_it(world: World) -> None:
    checked: list[int] = []
    view = await world.service.open_session(
        GUILD, ELSEWHERE, ALICE, moderator=False, options=MockOptions(), channel_check=checked.append
    )
    # From another channel, the member's only group is found; the session goes to its channel.
    assert view.session.channel_id == ROOM and view.session.group_id == world.group_id and checked == [ROOM]
    assert view.participants == (ALICE,) and view.group_name == "Interview crew"
    assert view.state == State(Phase.LOBBY, 0, START + dt.timedelta(minutes=LOBBY_MINUTES))
    assert view.session.minutes == 10
    with pytest.raises(UserInputError, match="already running"):
        await world.service.open_session(GUILD, ROOM, BOB, moderator=False, options=MockOptions())


async def test_who_may_open_a_session_and_for_which_group(world: World) -> None:
    service = world.service
    # Not a member of the group whose channel this is, and no moderator.
    with pytest.raises(UserInputError, match="Only members of \\*\\*Night owls\\*\\*"):
        await service.open_session(GUILD, OTHER_ROOM, ALICE, moderator=False, options=MockOptions())
    # A moderator may open one without being a member, and is not counted in.
    view = await service.open_session(GUILD, OTHER_ROOM, MOD, moderator=True, options=MockOptions())
    assert view.session.group_id == world.other_group_id and view.participants == ()
    # Outside any group's channel, with no group of their own, the member is told how to pick one.
    with pytest.raises(UserInputError, match="Join a group with `/studygroup join`"):
        await service.open_session(GUILD, ELSEWHERE, MOD, moderator=True, options=MockOptions())
    with pytest.raises(UserInputError, match="no study group called"):
        await service.open_session(GUILD, ROOM, ALICE, moderator=False, options=parse(MockOptions, group="Cardiology"))

    # A channel the bot cannot post in is refused before anything is stored.
    def refused(channel: int) -> None:
        raise UserInputError(f"no posting in {channel}")

    with pytest.raises(UserInputError, match=f"no posting in {ROOM}"):
        await service.open_session(GUILD, ROOM, ALICE, moderator=False, options=MockOptions(), channel_check=refused)
    assert await service.repository.running_in_channel(ROOM) is None


async def test_only_members_join_while_it_waits_and_up_to_the_limit(world: World) -> None:
    view = await world.session()
    session_id = view.session.id
    again, joined = await world.service.join(session_id, ALICE)
    assert not joined and again.participants == (ALICE,)
    with pytest.raises(UserInputError, match="for members of \\*\\*Interview crew\\*\\*"):
        await world.service.join(session_id, MOD)
    for member in range(1, MAX_PARTICIPANTS):
        await world.groups.join(GUILD, 500 + member, world.group_id)
        await world.service.join(session_id, 500 + member)
    with pytest.raises(UserInputError, match=f"full \\({MAX_PARTICIPANTS} members\\)"):
        await world.service.join(session_id, BOB)
    left = await world.service.leave(session_id, 501)
    assert len(left.participants) == MAX_PARTICIPANTS - 1
    with pytest.raises(UserInputError, match="had not joined"):
        await world.service.leave(session_id, 501)


async def test_the_starter_or_a_moderator_starts_it_and_the_tables_are_stored(world: World) -> None:
    view = await world.session(BOB, CAROL)
    session_id = view.session.id
    with pytest.raises(UserInputError, match="Only the member who started"):
        await world.service.begin(session_id, BOB, moderator=False)
    started = await world.service.begin(session_id, MOD, moderator=True)
    assert started.state == State(Phase.ROUND, 1, START + dt.timedelta(minutes=10))
    # Three members: one table, the latest joiner interviewing alongside.
    assert started.tables == (Table(ALICE, BOB, CAROL),)
    with pytest.raises(UserInputError, match="has started"):
        await world.service.join(session_id, DAN)
    with pytest.raises(UserInputError, match="has started"):
        await world.service.leave(session_id, BOB)
    with pytest.raises(UserInputError, match="already started"):
        await world.service.begin(session_id, ALICE, moderator=False)


async def test_a_session_of_one_cannot_start(world: World) -> None:
    view = await world.session()
    with pytest.raises(UserInputError, match="At least 2 members"):
        await world.service.begin(view.session.id, ALICE, moderator=False)


async def test_later_sessions_of_the_group_seat_new_pairs(world: World) -> None:
    seen: set[frozenset[int]] = set()
    for _ in range(3):
        view = await world.session(BOB, CAROL, DAN)
        started = await world.service.begin(view.session.id, ALICE, moderator=False)
        pairs = {pair for table in started.tables for pair in table.pairs()}
        assert not pairs & seen, "four members have three ways to pair up: none repeats in three sessions"
        seen |= pairs
        await world.service.end(view.session.id, ALICE, moderator=False)
    assert len(seen) == 6


# -- the timers' steps -------------------------------------------------------------------------------------------


async def test_advance_moves_only_the_state_the_timer_expected(world: World) -> None:
    view = await world.session(BOB)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    session_id = started.session.id
    world.clock.move(minutes=10)
    pause = await world.service.advance(session_id, started.state)
    assert pause is not None and pause.state.phase is Phase.BREAK
    assert await world.service.advance(session_id, started.state) is None, "a second firing changes nothing"
    ended = await world.service.end(session_id, ALICE, moderator=False)
    assert ended.state == State(Phase.CANCELLED, 1, None)
    assert await world.service.advance(session_id, pause.state) is None
    with pytest.raises(UserInputError, match="already over"):
        await world.service.end(session_id, ALICE, moderator=False)


# -- questions and feedback --------------------------------------------------------------------------------------


async def test_each_member_gets_their_part_of_the_round(world: World) -> None:
    view = await world.session(BOB, CAROL, DAN, ERIN)
    with pytest.raises(UserInputError, match="made when the session starts"):
        await world.service.assignment(view.session.id, ALICE)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    assert started.tables == (Table(ALICE, BOB), Table(CAROL, DAN, ERIN))
    session_id = started.session.id

    alice = await world.service.assignment(session_id, ALICE)
    assert alice.role is Role.INTERVIEWER and alice.candidate == BOB and alice.running
    assert len(alice.questions) == QUESTIONS_PER_ROUND
    bob = await world.service.assignment(session_id, BOB)
    assert bob.role is Role.CANDIDATE and bob.interviewers == (ALICE,) and bob.questions == ()
    # At the table of three both interviewers read the same questions.
    carol = await world.service.assignment(session_id, CAROL)
    erin = await world.service.assignment(session_id, ERIN)
    assert carol.questions == erin.questions and erin.interviewers == (CAROL, ERIN)
    with pytest.raises(UserInputError, match="not at a table"):
        await world.service.assignment(session_id, MOD)

    # During the break, My questions prepares round 2, where the roles swap.
    world.clock.move(minutes=10)
    await world.service.advance(session_id, started.state)
    upcoming = await world.service.assignment(session_id, BOB)
    assert upcoming.round == 2 and upcoming.role is Role.INTERVIEWER and upcoming.candidate == ALICE
    assert not upcoming.running
    assert upcoming.questions != alice.questions or upcoming.table_no != alice.table_no


async def test_feedback_goes_from_the_rounds_interviewers_to_its_candidate_only(world: World) -> None:
    view = await world.session(BOB, CAROL)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    session_id = started.session.id
    service = world.service

    with pytest.raises(UserInputError, match="Round 2 has not started"):
        await service.feedback_target(session_id, 2, BOB)
    with pytest.raises(UserInputError, match="you were the candidate"):
        await service.feedback_target(session_id, 1, BOB)
    with pytest.raises(UserInputError, match="not at a table"):
        await service.give_feedback(session_id, 1, MOD, feedback())

    first = await service.give_feedback(session_id, 1, ALICE, feedback("Too quiet."))
    assert (first.user_id, first.author_id, first.strength) == (BOB, ALICE, "Too quiet.")
    target = await service.feedback_target(session_id, 1, ALICE)
    assert target.candidate_id == BOB and target.previous == first
    # A second form replaces the first; the extra interviewer gives their own.
    world.clock.move(minutes=1)
    changed = await service.give_feedback(session_id, 1, ALICE, feedback("Warm and clear.", clarity="5"))
    assert changed.created_at == first.created_at and changed.updated_at == world.clock.now
    await service.give_feedback(session_id, 1, CAROL, feedback("Good eye contact."))

    received = await service.feedback_received(session_id, BOB)
    assert [(f.author_id, f.strength, f.clarity) for f in received] == [
        (ALICE, "Warm and clear.", 5),
        (CAROL, "Good eye contact.", 4),
    ]
    assert await service.feedback_received(session_id, ALICE) == ()
    with pytest.raises(UserInputError, match="not at a table"):
        await service.feedback_received(session_id, MOD)
    view = await service.view(session_id)
    assert view.feedback_given(1) == 2 and view.interviewers(1) == 2


async def test_members_deleting_their_data_leave_the_others_session_intact(world: World) -> None:
    view = await world.session(BOB, CAROL, DAN)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    session_id = started.session.id
    await world.service.give_feedback(session_id, 1, CAROL, feedback("Calm."))
    counts = await world.service.repository.delete_user(CAROL)
    assert counts == {
        "mock_feedback_received": 0,
        "mock_feedback_given_unnamed": 1,
        "mock_interview_sessions": 1,
        "mock_sessions_unnamed": 0,
    }
    after = await world.service.view(session_id)
    assert after.tables == (Table(ALICE, BOB),), "the table Carol sat at is gone, the other goes on"
    assert [f.author_id for f in await world.service.feedback_received(session_id, DAN)] == [0]
    await world.service.repository.delete_user(ALICE)
    assert (await world.service.session(session_id)).started_by == 0


# -- timers ------------------------------------------------------------------------------------------------------


class RecordingScheduler(JobScheduler):
    """The real scheduler's bookkeeping, with the jobs kept for the test to run instead of a clock."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, tuple[dt.datetime, JobFactory]] = {}

    def at(self, job_id: str, when: dt.datetime, factory: JobFactory) -> None:
        self.jobs[job_id] = (when, factory)

    def remove(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    async def run(self, job_id: str) -> None:
        _, factory = self.jobs.pop(job_id)
        await factory()


@dataclass
class Poster:
    """The channel, as the timers see it: what was posted and edited, and failures to hand out first."""

    posted: list[tuple[str, int | None]] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    async def post(self, view: SessionView, previous_message_id: int | None) -> int:
        if self.failures:
            raise self.failures.pop(0)
        self.posted.append((view.state.key, previous_message_id))
        return 9000 + len(self.posted)

    async def edit(self, view: SessionView) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.edited.append(view.state.key)


def timers_of(world: World) -> tuple[MockTimers, RecordingScheduler, Poster]:
    scheduler, poster = RecordingScheduler(), Poster()
    timers = MockTimers(world.service, scheduler, poster, clock=world.clock, retry_delays=[dt.timedelta(seconds=2)])
    return timers, scheduler, poster


async def test_the_timers_run_a_whole_session_and_post_each_phase_once(world: World) -> None:
    timers, scheduler, poster = timers_of(world)
    view = await world.session(BOB)
    await world.service.set_message(view.session.id, 8000, view.state.key)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    session_id = started.session.id
    timers.arm(session_id, started.state)
    keys: list[str] = []
    while job_id(session_id) in scheduler.jobs:
        when, _ = scheduler.jobs[job_id(session_id)]
        world.clock.now = when
        await scheduler.run(job_id(session_id))
        keys.append((await world.service.session(session_id)).state.key)
    assert keys == ["break:1", "round:2", "done:2"]
    # Each new message takes over from the one before it.
    assert poster.posted == [("break:1", 8000), ("round:2", 9001), ("done:2", 9002)]
    assert (await world.service.session(session_id)).message_id == 9003


async def test_after_a_restart_timers_are_rearmed_and_an_unseen_phase_is_posted(world: World) -> None:
    view = await world.session(BOB)
    session_id = view.session.id
    await world.service.set_message(session_id, 8000, view.state.key)
    started = await world.service.begin(session_id, ALICE, moderator=False)
    await world.service.set_message(session_id, 8000, started.state.key)
    # The bot stopped during round 1; the round's end is re-armed at its time.
    timers, scheduler, poster = timers_of(world)
    assert await timers.resume() == 1
    assert scheduler.jobs[job_id(session_id)][0] == started.state.ends_at
    assert post_job_id(session_id) not in scheduler.jobs, "round 1 was shown before the restart"
    # The bot stopped after moving to the break but before posting it: the new process posts it once.
    world.clock.move(minutes=10)
    await world.service.advance(session_id, started.state)
    timers, scheduler, poster = timers_of(world)
    await timers.resume()
    await scheduler.run(post_job_id(session_id))
    assert poster.posted == [("break:1", 8000)]
    await timers.resume()
    assert post_job_id(session_id) not in scheduler.jobs


async def test_a_lobby_nobody_starts_closes_in_place(world: World) -> None:
    timers, scheduler, poster = timers_of(world)
    view = await world.session(BOB)
    await world.service.set_message(view.session.id, 8000, view.state.key)
    timers.arm(view.session.id, view.state)
    world.clock.move(minutes=LOBBY_MINUTES)
    await scheduler.run(job_id(view.session.id))
    assert poster.edited == ["cancelled:0"] and poster.posted == []
    assert not scheduler.jobs
    # The channel is free for a new session.
    await world.session()


async def test_discord_failing_for_now_retries_the_post_and_failing_for_good_ends_the_session(world: World) -> None:
    timers, scheduler, poster = timers_of(world)
    view = await world.session(BOB)
    started = await world.service.begin(view.session.id, ALICE, moderator=False)
    session_id = started.session.id
    timers.arm(session_id, started.state)
    poster.failures = [TransientDeliveryError("Discord answered 503"), TransientDeliveryError("again")]
    world.clock.move(minutes=10)
    await scheduler.run(job_id(session_id))
    # The session moved on and its next step is armed, whatever happens to the post.
    assert job_id(session_id) in scheduler.jobs
    assert scheduler.jobs[post_job_id(session_id)][0] == world.clock.now + dt.timedelta(seconds=2)
    await scheduler.run(post_job_id(session_id))
    assert post_job_id(session_id) not in scheduler.jobs, "one retry here; then the next phase is posted on time"
    assert poster.posted == []

    poster.failures = [DeliveryProblem(ProblemKind.CHANNEL_GONE, "10003 Unknown Channel")]
    world.clock.move(minutes=3)
    await scheduler.run(job_id(session_id))
    assert (await world.service.session(session_id)).state == State(Phase.CANCELLED, 2, None)
    assert not scheduler.jobs
