from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.models import Stage
from bot.quiz.bank import QuestionBank
from bot.quiz.scoring import BASE_POINTS, MAX_POINTS, competition_ranks, group_points, remaining_fraction
from bot.quiz.sessions import (
    GROUP_EMPTY_LIMIT,
    REVIEW_MAX_TRIES,
    GroupPhase,
    GroupQuiz,
    PresentedQuestion,
    QuestionClosedError,
    QuizFinishedError,
    QuizStateError,
    SessionStateError,
    SoloQuiz,
    StaleQuestionError,
)
from tests.unit.quiz.conftest import make_question

T0 = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


QUESTIONS = [
    make_question("u1", Stage.USMLE, "step-1"),
    make_question("u2", Stage.USMLE, "step-2-ck"),
    make_question("v1", Stage.VISA, "j1-visa"),
    make_question("e1", Stage.ERAS, "eras-fees"),
]
BANK = QuestionBank(QUESTIONS)


def right(q: PresentedQuestion | None) -> int:
    assert q is not None
    return q.options.index("Right")


def wrong(q: PresentedQuestion | None) -> int:
    assert q is not None
    return next(i for i, o in enumerate(q.options) if o != "Right")


# -- solo -----------------------------------------------------------------------------------------------------------


def test_solo_quiz_from_start_to_summary() -> None:
    quiz = SoloQuiz.start(QUESTIONS, seed=5, now=T0)
    assert quiz.current is not None and (quiz.current.number, quiz.current.total) == (1, 4)
    first = quiz.answer(right(quiz.current), T0 + SECOND)
    assert first.correct and first.correct_option == "Right" and first.entry == "step-1"
    assert first.chosen_option == "Right" and first.chosen_index == first.correct_index
    second = quiz.answer(wrong(quiz.current), T0 + 2 * SECOND)
    assert not second.correct and second.chosen_option != "Right"
    assert second.explanation.startswith("Because")
    quiz.answer(wrong(quiz.current), T0 + 3 * SECOND)  # visa
    quiz.answer(right(quiz.current), T0 + 4 * SECOND)  # eras
    assert quiz.finished and quiz.current is None
    summary = quiz.summary()
    assert (summary.correct, summary.answered, summary.planned, summary.percent) == (2, 4, 4, 50)
    # Visa: 0 of 1 is weaker than USMLE: 1 of 2; ERAS (all right) is not listed.
    assert [(t.topic, t.correct, t.total, t.entries) for t in summary.weakest] == [
        (Stage.VISA, 0, 1, ("j1-visa",)),
        (Stage.USMLE, 1, 2, ("step-2-ck",)),
    ]
    with pytest.raises(QuizFinishedError):
        quiz.answer(0, T0 + 5 * SECOND)


def test_solo_rejects_old_buttons_and_bad_indexes() -> None:
    quiz = SoloQuiz.start(QUESTIONS, seed=1, now=T0)
    quiz.answer(0, T0, number=1)
    with pytest.raises(StaleQuestionError):
        quiz.answer(0, T0, number=1)
    with pytest.raises(ValueError, match="out of range"):
        quiz.answer(4, T0, number=2)
    assert quiz.position == 1


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        SoloQuiz.start(QUESTIONS, seed=1, now=dt.datetime(2026, 11, 22, 15, 0))  # noqa: DTZ001 (naive on purpose)


def test_an_empty_quiz_cannot_start() -> None:
    with pytest.raises(ValueError, match="at least one question"):
        SoloQuiz.start([], seed=1, now=T0)
    with pytest.raises(ValueError, match="at least one question"):
        GroupQuiz.start([], seed=1, now=T0)


def test_solo_expires_after_idle_timeout_only() -> None:
    quiz = SoloQuiz.start(QUESTIONS, seed=1, now=T0, idle_timeout=dt.timedelta(minutes=30))
    quiz.answer(0, T0 + dt.timedelta(minutes=20))
    assert not quiz.is_expired(T0 + dt.timedelta(minutes=49, seconds=59))
    assert quiz.is_expired(T0 + dt.timedelta(minutes=50))
    for _ in range(3):
        quiz.answer(0, T0 + dt.timedelta(minutes=21))
    assert not quiz.is_expired(T0 + dt.timedelta(days=3)), "a finished quiz is not abandoned"


def test_solo_state_round_trip_shows_the_same_question() -> None:
    quiz = SoloQuiz.start(QUESTIONS, seed=99, now=T0)
    quiz.answer(wrong(quiz.current), T0 + SECOND)
    state = json.loads(json.dumps(quiz.to_state()))
    restored = SoloQuiz.from_state(state, BANK)
    assert restored.current == quiz.current
    assert restored.answers == quiz.answers
    assert restored.summary() == quiz.summary()


def test_solo_state_from_another_bank_or_kind() -> None:
    quiz = SoloQuiz.start(QUESTIONS, seed=3, now=T0)
    quiz.answer(0, T0)
    smaller = QuestionBank([q for q in QUESTIONS if q.id != quiz.queue[-1].id])
    restored = SoloQuiz.from_state(quiz.to_state(), smaller)
    assert restored.total == 3, "an unanswered question that left the bank is dropped"
    answered_gone = QuestionBank([q for q in QUESTIONS if q.id != quiz.queue[0].id])
    with pytest.raises(SessionStateError, match="no longer in the bank"):
        SoloQuiz.from_state(quiz.to_state(), answered_gone)
    with pytest.raises(SessionStateError):
        SoloQuiz.from_state({"v": 1, "kind": "group"}, BANK)
    with pytest.raises(SessionStateError, match="corrupt"):
        SoloQuiz.from_state({"v": 1, "kind": "solo", "answers": [{"q": "u1"}]}, BANK)


def test_review_brings_wrong_answers_back_until_right_or_out_of_tries() -> None:
    quiz = SoloQuiz.start(QUESTIONS[:2], seed=8, now=T0, review=True)
    first_id = quiz.queue[0].id
    quiz.answer(wrong(quiz.current), T0)  # first question wrong: it comes back at the end
    quiz.answer(right(quiz.current), T0)  # second right: cleared
    assert quiz.total == 3 and not quiz.finished
    assert quiz.current is not None and quiz.current.question_id == first_id
    for _ in range(REVIEW_MAX_TRIES - 1):
        quiz.answer(wrong(quiz.current), T0)
    assert quiz.finished, "after the last try the question does not come back again"
    summary = quiz.summary()
    assert summary.review and summary.still_wrong == (first_id,)
    assert summary.cleared == tuple(q.id for q in QUESTIONS[:2] if q.id != first_id)
    assert summary.planned == 2


def test_review_options_are_reshuffled_for_each_try() -> None:
    changed = 0
    for seed in range(20):
        quiz = SoloQuiz.start(QUESTIONS[:1], seed=seed, now=T0, review=True)
        assert quiz.current is not None
        before = quiz.current.options
        quiz.answer(wrong(quiz.current), T0)
        assert quiz.current is not None and sorted(quiz.current.options) == sorted(before)
        changed += before != quiz.current.options
    # A retry must not let the user answer by position: most retries show another order (1 in 24 may repeat).
    assert changed >= 15


# -- group ----------------------------------------------------------------------------------------------------------


def group(question_time: int = 20, **kwargs: object) -> GroupQuiz:
    return GroupQuiz.start(
        QUESTIONS,
        seed=11,
        now=T0,
        question_time=dt.timedelta(seconds=question_time),
        **kwargs,  # type: ignore[arg-type]
    )


def test_group_points_by_speed_and_first_answer_only() -> None:
    quiz = group(20)
    assert quiz.phase is GroupPhase.WAITING
    q1 = quiz.open_next(T0)
    assert quiz.deadline == T0 + 20 * SECOND
    fast = quiz.answer(1, right(q1), T0)
    assert fast.accepted
    again = quiz.answer(1, wrong(q1), T0 + SECOND)
    assert not again.accepted and again.chosen_option == "Right", "the first answer is kept"
    quiz.answer(2, right(q1), T0 + 10 * SECOND)
    quiz.answer(3, right(q1), T0 + 20 * SECOND)  # at the deadline: still in, base points only
    quiz.answer(4, wrong(q1), T0 + 2 * SECOND)
    with pytest.raises(QuestionClosedError):
        quiz.answer(5, right(q1), T0 + 20 * SECOND + dt.timedelta(microseconds=1))
    outcome = quiz.close_question(T0 + 21 * SECOND)
    points = {a.member_id: a.points for a in outcome.answers}
    assert points == {1: 1000, 2: 750, 3: 500, 4: 0}
    assert outcome.correct_members == (1, 2, 3)
    assert outcome.correct_option == "Right" and outcome.question.options[outcome.correct_index] == "Right"
    assert [(s.rank, s.member_id, s.points) for s in outcome.standings] == [
        (1, 1, 1000),
        (2, 2, 750),
        (3, 3, 500),
        (4, 4, 0),
    ]
    assert not outcome.finished and quiz.phase is GroupPhase.WAITING


def test_group_rejects_answers_between_questions_and_old_buttons() -> None:
    quiz = group()
    with pytest.raises(QuestionClosedError):
        quiz.answer(1, 0, T0)
    quiz.open_next(T0)
    with pytest.raises(QuizStateError):
        quiz.open_next(T0)
    quiz.close_question(T0 + SECOND)
    quiz.open_next(T0 + 2 * SECOND)
    with pytest.raises(StaleQuestionError):
        quiz.answer(1, 0, T0 + 2 * SECOND, number=1)
    quiz.close_question(T0 + 3 * SECOND)
    with pytest.raises(QuestionClosedError):
        quiz.close_question(T0 + 4 * SECOND)


def test_group_ties_share_a_rank() -> None:
    quiz = group()
    q = quiz.open_next(T0)
    for member in (7, 8):
        quiz.answer(member, right(q), T0 + 5 * SECOND)
    quiz.answer(9, right(q), T0 + 6 * SECOND)
    standings = quiz.close_question(T0 + 21 * SECOND).standings
    assert [(s.rank, s.member_id) for s in standings] == [(1, 7), (1, 8), (3, 9)]


def test_group_runs_to_the_end_with_results() -> None:
    quiz = group()
    for number in range(1, 5):
        q = quiz.open_next(T0 + number * 30 * SECOND)
        quiz.answer(1, right(q), T0 + number * 30 * SECOND)
        if number % 2:
            quiz.answer(2, right(q), T0 + number * 30 * SECOND)
        outcome = quiz.close_question(T0 + (number * 30 + 20) * SECOND)
    assert outcome.finished and quiz.phase is GroupPhase.FINISHED
    results = quiz.results()
    assert (results.asked, results.planned, results.ended_early) == (4, 4, False)
    assert results.winners == (1,)
    assert [(s.member_id, s.points, s.correct, s.answered) for s in results.standings] == [
        (1, 4000, 4, 4),
        (2, 2000, 2, 2),
    ]
    with pytest.raises(QuizFinishedError):
        quiz.open_next(T0 + 200 * SECOND)


def test_group_ends_early_when_nobody_answers() -> None:
    quiz = group()
    for number in range(GROUP_EMPTY_LIMIT):
        quiz.open_next(T0 + number * 30 * SECOND)
        outcome = quiz.close_question(T0 + (number * 30 + 20) * SECOND)
    assert outcome.finished and outcome.ended_early
    assert quiz.results().asked == GROUP_EMPTY_LIMIT


def test_group_expiry_allows_a_restart_but_not_abandonment() -> None:
    quiz = group(20, grace=dt.timedelta(minutes=10))
    quiz.open_next(T0)
    deadline = T0 + 20 * SECOND
    assert not quiz.is_expired(deadline + dt.timedelta(minutes=10))
    assert quiz.is_expired(deadline + dt.timedelta(minutes=10, seconds=1))
    quiz.close_question(deadline)
    assert not quiz.is_expired(deadline + dt.timedelta(minutes=9))
    assert quiz.is_expired(deadline + dt.timedelta(minutes=11))


def test_group_state_round_trip_mid_question() -> None:
    quiz = group()
    q = quiz.open_next(T0)
    quiz.answer(1, right(q), T0 + SECOND)
    quiz.answer(2, wrong(q), T0 + 2 * SECOND)
    restored = GroupQuiz.from_state(json.loads(json.dumps(quiz.to_state())), BANK)
    assert restored.current == quiz.current and restored.deadline == quiz.deadline
    assert not restored.answer(1, wrong(q), T0 + 3 * SECOND).accepted
    assert restored.close_question(T0 + 21 * SECOND) == quiz.close_question(T0 + 21 * SECOND)
    with pytest.raises(SessionStateError, match="no longer in the bank"):
        GroupQuiz.from_state(quiz.to_state(), QuestionBank(QUESTIONS[:2]))


def test_forget_member_removes_their_points() -> None:
    quiz = group()
    q = quiz.open_next(T0)
    quiz.answer(1, right(q), T0)
    quiz.answer(2, right(q), T0)
    quiz.close_question(T0 + SECOND)
    q = quiz.open_next(T0 + 2 * SECOND)
    quiz.answer(1, right(q), T0 + 2 * SECOND)
    quiz.forget_member(1)
    assert 1 not in quiz.current_answers
    assert [s.member_id for s in quiz.close_question(T0 + 3 * SECOND).standings] == [2]


def test_stop_drops_the_open_question() -> None:
    quiz = group()
    q = quiz.open_next(T0)
    quiz.answer(1, right(q), T0)
    results = quiz.stop(T0 + SECOND)
    assert results.asked == 0 and results.standings == () and quiz.finished


# -- scoring properties ---------------------------------------------------------------------------------------------

fractions = st.floats(min_value=-1.0, max_value=2.0, allow_nan=False)


@given(correct=st.booleans(), fraction=fractions)
def test_points_are_never_negative_and_never_above_the_maximum(correct: bool, fraction: float) -> None:
    points = group_points(correct, fraction)
    assert 0 <= points <= MAX_POINTS
    assert (points >= BASE_POINTS) if correct else (points == 0)


@given(a=fractions, b=fractions)
def test_faster_never_earns_fewer_points(a: float, b: float) -> None:
    slower, faster = sorted((a, b))
    assert group_points(True, faster) >= group_points(True, slower)


@given(
    limit=st.integers(min_value=5, max_value=120),
    offsets=st.lists(st.integers(min_value=0, max_value=120_000), min_size=2, max_size=6, unique=True),
)
def test_earlier_correct_answers_earn_at_least_as_much_in_a_quiz(limit: int, offsets: list[int]) -> None:
    quiz = GroupQuiz.start(QUESTIONS, seed=2, now=T0, question_time=dt.timedelta(seconds=limit))
    q = quiz.open_next(T0)
    deadline_ms = limit * 1000
    in_time = sorted(o for o in offsets if o <= deadline_ms)
    for member, offset in enumerate(in_time):
        quiz.answer(member, right(q), T0 + dt.timedelta(milliseconds=offset))
    outcome = quiz.close_question(T0 + dt.timedelta(seconds=limit + 1))
    points = [a.points for a in outcome.answers]
    assert points == sorted(points, reverse=True)
    assert all(BASE_POINTS <= p <= MAX_POINTS for p in points)


@given(
    answers=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 40_000)), min_size=0, max_size=30)
)
def test_scores_are_never_negative_and_add_up(answers: list[tuple[int, int, int]]) -> None:
    quiz = GroupQuiz.start(QUESTIONS, seed=4, now=T0, question_time=dt.timedelta(seconds=30))
    quiz.open_next(T0)
    for member, choice, offset in answers:
        moment = T0 + dt.timedelta(milliseconds=offset)
        if moment <= T0 + dt.timedelta(seconds=30):
            quiz.answer(member, choice, moment)
    outcome = quiz.close_question(T0 + dt.timedelta(seconds=31))
    assert all(s.points >= 0 for s in outcome.standings)
    assert sum(s.points for s in outcome.standings) == sum(a.points for a in outcome.answers)
    assert len(outcome.answers) == len({m for m, _, o in answers if o <= 30_000})


def test_remaining_fraction_edges() -> None:
    limit = dt.timedelta(seconds=30)
    assert remaining_fraction(T0, T0 - SECOND, limit) == 1.0
    assert remaining_fraction(T0, T0 + 15 * SECOND, limit) == 0.5
    assert remaining_fraction(T0, T0 + 60 * SECOND, limit) == 0.0
    with pytest.raises(ValueError, match="positive"):
        remaining_fraction(T0, T0, dt.timedelta(0))


@given(st.lists(st.integers(0, 5), max_size=12))
def test_competition_ranks_share_and_skip(scores: list[int]) -> None:
    ordered = sorted(scores, reverse=True)
    ranked = competition_ranks(ordered, key=lambda s: (s,))
    for position, (rank, score) in enumerate(ranked, start=1):
        assert rank == 1 + sum(1 for other in ordered if other > score)
        assert rank <= position
