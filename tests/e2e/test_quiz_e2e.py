"""/quiz driven through the emulator against the real bot process: solo, group (two members), stop, stats,
leaderboard, review, bad input, and a restart in the middle of a group quiz.

Group questions are open for GROUP_SECONDS here (``QUIZ_GROUP_SECONDS``), so a 3-question group quiz takes
about 12 seconds; the tests wait on the bot's messages, never on the clock.
"""

from __future__ import annotations

import asyncio
import copy
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.knowledge.loader import load_knowledge_base
from bot.quiz.bank import load_question_bank
from bot.quiz.models import Question
from discord_emulator import Emulator, World
from discord_emulator.interactions import Reply
from discord_emulator.models import Message
from tests.conftest import DATA_DIR
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

GROUP_SECONDS = 3
# Long enough for a question's timer, the bot's posting and a slow CI machine; the wait ends as soon as it arrives.
GROUP_WAIT = GROUP_SECONDS + 10
KB = load_knowledge_base(DATA_DIR / "knowledge")
BANK = load_question_bank(DATA_DIR / "quizzes", {e.id for e in KB.entries})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """This module's bot runs group questions for GROUP_SECONDS (the conftest fixture of the same name, faster)."""
    database = tmp_path_factory.mktemp("quiz") / "bot.sqlite3"
    async with (
        Emulator(World.default()) as emu,
        running_bot(emu, database, QUIZ_GROUP_SECONDS=str(GROUP_SECONDS)) as bot,
    ):
        yield Live(emu, bot, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


# -- helpers -------------------------------------------------------------------------------------------------------


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def question_in(embed: dict[str, Any]) -> Question:
    """The bank question an embed shows (its text is in the description)."""
    matches = [q for q in BANK if q.question in embed.get("description", "")]
    assert len(matches) == 1, embed
    return matches[0]


def labels(message: Message) -> list[str]:
    return [str(b.get("label", "")) for b in message.buttons]


def answer_label(message: Message, question: Question, *, right: bool) -> str:
    """The label of the button with the right answer (or of a wrong one): labels read "A. option"."""
    options = [label for label in labels(message) if label[:3] in {"A. ", "B. ", "C. ", "D. "}]
    assert len(options) == 4, labels(message)
    chosen = [label for label in options if (label[3:] == question.answer) == right]
    return chosen[0]


def is_open_question(number: int, total: int) -> Any:
    def match(message: Message) -> bool:
        return bool(
            message.embeds
            and message.embeds[0].get("title") == f"Question {number} of {total}"
            and any(not b.get("disabled") for b in message.buttons)
        )

    return match


def is_answer(number: int, total: int) -> Any:
    def match(message: Message) -> bool:
        return any(e.get("title") == f"Question {number} of {total}: the answer" for e in message.embeds)

    return match


def assert_never_pinged(emu: Emulator) -> None:
    for message in emu.store.by_id.values():
        assert not message.pings, (message.content, message.pings)


async def click(emu: Emulator, target: Message | Reply, label: str, user: Any) -> Reply:
    return await (await emu.click(target, label=label, user=user)).response()


# -- solo ----------------------------------------------------------------------------------------------------------


async def test_solo_quiz_gives_feedback_a_score_and_the_weakest_topics(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    choices = await emu.autocomplete("quiz start", {"topic": "usm"}, focused="topic", user=alice, channel=general)
    assert [c["value"] for c in choices] == ["usmle"]

    reply = await (
        await emu.slash("quiz start", {"topic": "usmle", "questions": 3}, user=alice, channel=general)
    ).response()
    assert reply.kind == "message" and reply.ephemeral
    assert reply.embeds[0]["title"] == "Question 1 of 3"
    assert reply.message is not None and len(reply.message.buttons) == 4

    current = reply
    first: Question | None = None
    for number in (1, 2, 3):
        assert current.message is not None
        question = question_in(current.embeds[-1])
        assert question.topic.value == "usmle"
        right = number > 1
        step = await click(emu, current, answer_label(current.message, question, right=right), alice)
        assert step.kind == "update" and step.ephemeral
        feedback = step.embeds[0]
        assert question.explanation in feedback["description"]
        assert question.answer in feedback["description"]
        if right:
            assert feedback["title"] == "✅ Correct!" and feedback["footer"]["text"] == "+500 points"
        else:
            first = question
            assert feedback["title"] == "❌ Not quite"
            assert step.embeds[1]["title"] == "Question 2 of 3"
            assert f"Read: {KB.get(question.entry).title}" in labels(step.message)  # type: ignore[arg-type,union-attr]
        current = step

    assert first is not None
    summary = current.embeds[1]
    assert summary["title"] == "Quiz complete"
    assert "**2 of 3** right (**67%**)" in summary["description"]
    weakest = next(f for f in summary["fields"] if f["name"].startswith("Weakest topics"))
    assert "USMLE exams" in weakest["value"] and KB.get(first.entry).title in weakest["value"]  # type: ignore[union-attr]
    assert all(label.startswith("Read: ") for label in labels(current.message))  # type: ignore[arg-type]
    assert query(live.database, "SELECT status FROM quiz_runs WHERE user_id = ? AND mode = 'solo'", alice.id) == [
        ("finished",)
    ]
    assert query(live.database, "SELECT SUM(points), SUM(correct) FROM quiz_answers WHERE user_id = ?", alice.id) == [
        (1000, 2)
    ]


async def test_bad_input_gets_clear_private_messages(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")

    async def start(options: dict[str, Any], channel: Any = general) -> Reply:
        return await (await emu.slash("quiz start", options, user=bob, channel=channel)).response()

    for count in (0, 50):
        refused = await start({"questions": count})
        assert refused.ephemeral and "A quiz has 3 to 20 questions" in refused.content, refused.content
    unknown = await start({"topic": "**cardio** @everyone"})
    assert unknown.ephemeral and "I don't know the topic '\\*\\*cardio\\*\\*" in unknown.content
    assert "@everyone" not in unknown.content and "`usmle`" in unknown.content
    dm = await start({"mode": "group"}, emu.world.dm_channel_for(bob))
    assert dm.ephemeral and "server channel" in dm.content
    no_send = await start({"mode": "group"}, emu.world.channel("read-only"))
    assert no_send.ephemeral and "can't post in this channel" in no_send.content

    first = await start({"questions": 3})
    assert first.ephemeral and first.embeds[0]["title"] == "Question 1 of 3"
    second = await start({"questions": 5})
    assert second.ephemeral and "You already have a quiz running (question 1 of 3)" in second.content

    stopped = await (await emu.slash("quiz stop", user=bob, channel=general)).response()
    assert stopped.ephemeral and stopped.embeds[0]["title"] == "Quiz stopped"
    newer = await start({"questions": 3})
    assert newer.embeds[0]["title"] == "Question 1 of 3"
    # The first quiz's buttons must not answer the newer quiz (its options are in another order).
    assert first.message is not None
    old = await click(emu, first, labels(first.message)[0], bob)
    assert old.kind == "message" and old.ephemeral and "belong to a quiz that has ended" in old.content
    await (await emu.slash("quiz stop", user=bob, channel=general)).response()
    nothing = await (await emu.slash("quiz stop", user=bob, channel=general)).response()
    assert nothing.ephemeral and "You have no quiz running" in nothing.content
    assert_never_pinged(emu)


# -- group ---------------------------------------------------------------------------------------------------------


async def test_group_quiz_with_two_members(live: Live) -> None:
    emu = live.emu
    alice, bob, room = emu.world.users["alice"], emu.world.users["bob"], emu.world.channel("study-room")
    intro = await (
        await emu.slash("quiz start", {"mode": "group", "questions": 3}, user=alice, channel=room)
    ).response()
    assert not intro.ephemeral and intro.embeds[0]["title"] == "Group quiz: 3 questions on every topic"
    assert f"open for **{GROUP_SECONDS} seconds**" in intro.embeds[0]["description"]
    assert intro.message is not None
    busy = await (await emu.slash("quiz start", {"mode": "group"}, user=bob, channel=room)).response()
    assert busy.ephemeral and "A group quiz is already running in this channel" in busy.content

    after: Message = intro.message
    for number in (1, 2, 3):
        question_message = await emu.wait_for_message(
            room, is_open_question(number, 3), after=after, timeout=GROUP_WAIT
        )
        description = question_message.embeds[0]["description"]
        assert "<t:" in description and ":R>" in description
        question = question_in(question_message.embeds[0])
        right_label = answer_label(question_message, question, right=True)
        ack = await click(emu, question_message, right_label, alice)
        assert ack.ephemeral and ack.content.startswith("Answer recorded: **")
        bob_label = answer_label(question_message, question, right=number > 1)
        ack = await click(emu, question_message, bob_label, bob)
        assert ack.ephemeral and "Answer recorded" in ack.content
        if number == 1:
            again = await click(emu, question_message, right_label, bob)
            assert again.ephemeral and f"You already answered **{bob_label}**" in again.content
        if number == 3:
            # Two more members click at the same moment: each gets its own private acknowledgement in time.
            late = [emu.world.users["carol"], emu.world.users["dr_admin"]]
            clicks = [await emu.click(question_message, label=bob_label, user=member) for member in late]
            acks = await asyncio.gather(*(ix.response() for ix in clicks))
            assert all(a.ephemeral and "Answer recorded" in a.content for a in acks)

        answer = await emu.wait_for_message(room, is_answer(number, 3), after=question_message, timeout=GROUP_WAIT)
        text = answer.text
        assert question.explanation in text and "The answer is **" in text
        got_it = next(f for f in answer.embeds[0]["fields"] if f["name"] == "Who got it right (fastest first)")
        assert got_it["value"].startswith("Alice +")
        if number == 1:
            assert got_it["value"].endswith("and 1 wrong answer")
            standings = next(f for f in answer.embeds[0]["fields"] if f["name"] == "Standings")["value"]
            assert standings.startswith("🥇 Alice: ") and "Bob: 0 points (0/1 right)" in standings
            assert "Next question <t:" in text
        # The question's buttons are now disabled, the right one green and ticked (the message is edited in place).
        assert all(b.get("disabled") for b in question_message.buttons)
        assert [b["label"] for b in question_message.buttons if b.get("style") == 3] == [f"✅ {right_label}"]
        after = answer

    assert "🏁 Final results" in after.text and "🏆 **Alice** wins with" in after.text
    rows = query(
        live.database,
        "SELECT a.user_id, SUM(a.points), SUM(a.correct), COUNT(*) FROM quiz_answers a "
        "JOIN quiz_runs r ON r.id = a.run_id WHERE r.mode = 'group' GROUP BY a.user_id ORDER BY SUM(a.points) DESC",
    )
    carol, admin = emu.world.users["carol"], emu.world.users["dr_admin"]
    assert {(r[0], r[2], r[3]) for r in rows} == {(alice.id, 3, 3), (bob.id, 2, 3), (carol.id, 1, 1), (admin.id, 1, 1)}
    assert rows[0][0] == alice.id and rows[1][0] == bob.id  # alice was faster on every question; bob right twice
    assert query(live.database, "SELECT status FROM quiz_runs WHERE mode = 'group'") == [("finished",)]
    assert_never_pinged(emu)


async def test_group_quiz_stops_only_for_its_starter_or_a_moderator(live: Live) -> None:
    emu = live.emu
    alice, bob, admin = emu.world.users["alice"], emu.world.users["bob"], emu.world.users["dr_admin"]
    general = emu.world.channel("general")
    intro = await (
        await emu.slash("quiz start", {"mode": "group", "questions": 3}, user=bob, channel=general)
    ).response()
    assert intro.message is not None
    question = await emu.wait_for_message(general, is_open_question(1, 3), after=intro.message, timeout=GROUP_WAIT)

    refused = await (await emu.slash("quiz stop", user=alice, channel=general)).response()
    assert refused.ephemeral and "Only the member who started this quiz, or a moderator" in refused.content
    stopped = await (await emu.slash("quiz stop", user=admin, channel=general)).response()
    assert not stopped.ephemeral and stopped.embeds[0]["title"] == "🏁 Final results"
    assert "Stopped by **Dr. Admin** after 0 of 3 questions" in stopped.embeds[0]["description"]
    await emu.wait_for_message(general, lambda m: m.id == question.id and not m.buttons, timeout=5)
    # No "time is up in N seconds" left counting down in members' clients on a question that will never close.
    stopped_question = question.embeds[0]
    assert (
        stopped_question["title"] == "Question 1 of 3: the quiz ended" and "<t:" not in stopped_question["description"]
    )
    assert query(live.database, "SELECT status FROM quiz_runs WHERE mode = 'group' AND channel_id = ?", general.id) == [
        ("stopped",)
    ]


def as_seen_before(message: Message) -> Message:
    """The message as a member's client may still show it: Discord delivers a tap on a button the bot has replaced
    meanwhile when the edit had not reached that client yet (a slow phone, a second device)."""
    seen = copy.copy(message)
    seen.components = copy.deepcopy(message.components)
    return seen


async def test_a_button_tapped_again_after_its_message_changed_always_gets_a_private_answer(live: Live) -> None:
    emu = live.emu
    carol, general, room = emu.world.users["carol"], emu.world.channel("general"), emu.world.channel("study-room")

    # A private quiz: the message is redrawn in place with the next question, then with the summary.
    current = await (await emu.slash("quiz start", {"questions": 3}, user=carol, channel=general)).response()
    answered = []
    for _ in range(3):
        assert current.message is not None
        seen = as_seen_before(current.message)
        label = answer_label(current.message, question_in(current.embeds[-1]), right=False)
        current = await click(emu, current, label, carol)
        assert current.kind == "update"
        answered.append((seen, label))
    again = await click(emu, answered[0][0], answered[0][1], carol)
    assert again.kind == "message" and again.ephemeral
    assert (
        again.content == "That quiz is over: its questions can no longer be answered. `/quiz start` starts a new one."
    )
    assert query(live.database, "SELECT COUNT(*) FROM quiz_answers WHERE user_id = ?", carol.id) == [(3 + 1,)]  # +group

    # A group quiz: the question closes (its buttons are disabled), then the quiz is stopped at the next one.
    intro = await (
        await emu.slash("quiz start", {"mode": "group", "questions": 3}, user=carol, channel=room)
    ).response()
    assert intro.message is not None
    first = await emu.wait_for_message(room, is_open_question(1, 3), after=intro.message, timeout=GROUP_WAIT)
    first_seen = as_seen_before(first)
    label = answer_label(first, question_in(first.embeds[0]), right=True)
    assert "Answer recorded" in (await click(emu, first, label, carol)).content
    answer = await emu.wait_for_message(room, is_answer(1, 3), after=first, timeout=GROUP_WAIT)
    late = await click(emu, first_seen, label, carol)
    assert late.ephemeral and late.content in (
        "Time is up for this question. Get ready for the next one!",
        "That question is closed. Answer the latest one.",
    )
    second = await emu.wait_for_message(room, is_open_question(2, 3), after=answer, timeout=GROUP_WAIT)
    second_seen = as_seen_before(second)
    stopped = await (await emu.slash("quiz stop", user=carol, channel=room)).response()
    assert stopped.embeds[0]["title"] == "🏁 Final results"
    over = await click(emu, second_seen, answer_label(second_seen, question_in(second.embeds[0]), right=True), carol)
    assert over.ephemeral and over.content.startswith("That quiz is over")
    # The question is redrawn after the results are posted: waited for, not assumed.
    redrawn = await emu.wait_for_message(room, lambda m: m.id == second.id and not m.buttons, timeout=5)
    assert "<t:" not in redrawn.embeds[0]["description"]


# -- stats, leaderboard, review ------------------------------------------------------------------------------------


async def test_stats_are_private_unless_shared_or_asked_by_a_moderator(live: Live) -> None:
    emu = live.emu
    alice, bob, admin = emu.world.users["alice"], emu.world.users["bob"], emu.world.users["dr_admin"]
    general = emu.world.channel("general")

    own = await (await emu.slash("quiz stats", user=alice, channel=general)).response()
    assert own.ephemeral and own.embeds[0]["author"]["name"] == "Alice"
    topics = next(f for f in own.embeds[0]["fields"] if f["name"] == "By topic")["value"]
    assert "USMLE exams" in topics
    assert "To practise again: 1 question in `/quiz review`" in own.embeds[0]["description"]
    shared = await click(emu, own, "Share in this channel", alice)
    assert shared.kind == "message" and not shared.ephemeral
    assert shared.embeds[0]["author"]["name"] == "Alice" and "review" not in shared.embeds[0]["description"]
    assert "Shared by Alice" in shared.embeds[0]["footer"]["text"]

    nosy = await (await emu.slash("quiz stats", {"user": alice}, user=bob, channel=general)).response()
    assert nosy.ephemeral and "Quiz stats are private" in nosy.content
    moderator = await (await emu.slash("quiz stats", {"user": alice}, user=admin, channel=general)).response()
    assert moderator.ephemeral and moderator.embeds[0]["author"]["name"] == "Alice"
    assert "this server only" in moderator.embeds[0]["footer"]["text"]


async def test_leaderboard_shows_names_without_pinging(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")
    board = await (await emu.slash("quiz leaderboard", {"period": "all"}, user=bob, channel=general)).response()
    assert board.message is not None and not board.ephemeral
    embed = board.embeds[0]
    assert embed["title"] == "Quiz leaderboard: all time"
    lines = embed["description"].splitlines()
    assert lines[0].startswith("🥇 **Alice**: ") and any("**Bob**" in line for line in lines)
    assert "<@" not in embed["description"]
    week = await (await emu.slash("quiz leaderboard", user=bob, channel=general)).response()
    assert week.embeds[0]["title"] == "Quiz leaderboard: the last 7 days"
    assert_never_pinged(emu)


async def test_review_brings_back_wrong_answers_until_right(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    wrong = query(
        live.database,
        "SELECT DISTINCT question_id FROM quiz_answers WHERE user_id = ? AND correct = 0",
        alice.id,
    )
    assert len(wrong) == 1  # the first question of the solo quiz
    review = await (await emu.slash("quiz review", user=alice, channel=general)).response()
    assert review.ephemeral and review.embeds[0]["title"] == "Review 1 of 1"
    question = question_in(review.embeds[0])
    assert question.id == wrong[0][0]
    assert review.message is not None
    # Wrong again: it comes back at the end of the review.
    again = await click(emu, review, answer_label(review.message, question, right=False), alice)
    assert again.embeds[0]["title"] == "❌ Not quite" and again.embeds[1]["title"] == "Review 2 of 2"
    assert again.message is not None
    done = await click(emu, again, answer_label(again.message, question, right=True), alice)
    assert done.embeds[0]["title"] == "✅ Correct!"
    assert "Reviews earn no points" in done.embeds[0]["footer"]["text"]
    assert done.embeds[1]["title"] == "Review complete"
    assert "You cleared **1 of 1 question** (1 of 2 answers right)" in done.embeds[1]["description"]

    empty = await (await emu.slash("quiz review", user=alice, channel=general)).response()
    assert empty.ephemeral and "You have nothing to review" in empty.content


async def test_the_leaderboard_and_stats_count_the_same_answers_and_leave_reviews_out(live: Live) -> None:
    # After the review above: the board counted review answers ("1/5 right") while /quiz stats did not.
    emu = live.emu
    alice, admin, general = emu.world.users["alice"], emu.world.users["dr_admin"], emu.world.channel("general")
    board = await (await emu.slash("quiz leaderboard", {"period": "all"}, user=admin, channel=general)).response()
    on_board = re.search(r"\*\*Alice\*\*: [\d,]+ points \((\d+)/(\d+) right\)", board.embeds[0]["description"])
    assert on_board is not None and "(not reviews)" in board.embeds[0]["footer"]["text"]
    # This server's answers (a moderator's view), as the board counts them.
    stats = await (await emu.slash("quiz stats", {"user": alice}, user=admin, channel=general)).response()
    description = stats.embeds[0]["description"]
    in_stats = re.search(r"\*\*(\d+)\*\* of \*\*(\d+)\*\* answers right", description)
    assert in_stats is not None and in_stats.groups() == on_board.groups()
    assert "Reviews: 1 of 2 answers right (practice, not counted above nor on the leaderboard)." in description


# -- restart -------------------------------------------------------------------------------------------------------


async def test_restart_mid_group_quiz_continues_and_finishes(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    env = {"QUIZ_GROUP_SECONDS": str(GROUP_SECONDS)}
    async with Emulator(World.default()) as emu:
        alice, bob = emu.world.users["alice"], emu.world.users["bob"]
        room, general = emu.world.channel("study-room"), emu.world.channel("general")
        async with running_bot(emu, database, name="first", **env):
            solo = await (await emu.slash("quiz start", {"questions": 3}, user=bob, channel=general)).response()
            intro = await (
                await emu.slash("quiz start", {"mode": "group", "questions": 3}, user=alice, channel=room)
            ).response()
            assert intro.message is not None
            first = await emu.wait_for_message(room, is_open_question(1, 3), after=intro.message, timeout=GROUP_WAIT)
            question = question_in(first.embeds[0])
            ack = await click(emu, first, answer_label(first, question, right=True), alice)
            assert "Answer recorded" in ack.content

        async with running_bot(emu, database, name="second", **env) as bot:
            # Question 1's deadline passed while the bot was down (or passes now): it closes, with alice's answer.
            answer = await emu.wait_for_message(room, is_answer(1, 3), after=first, timeout=GROUP_WAIT)
            assert "Alice +" in answer.text
            assert "resuming group quiz" in bot.output
            stale = await click(emu, first, answer_label(first, question, right=True), bob)
            assert stale.ephemeral and ("closed" in stale.content or "Time is up" in stale.content), stale.content

            after = answer
            for number in (2, 3):
                message = await emu.wait_for_message(room, is_open_question(number, 3), after=after, timeout=GROUP_WAIT)
                asked = question_in(message.embeds[0])
                await click(emu, message, answer_label(message, asked, right=True), bob)
                after = await emu.wait_for_message(room, is_answer(number, 3), after=message, timeout=GROUP_WAIT)
            # Alice answered question 1 (before the restart), Bob questions 2 and 3: Bob has about twice her points.
            assert "🏁 Final results" in after.text and "🏆 **Bob** wins with" in after.text

            # A private quiz's buttons from before the restart still answer it.
            assert solo.message is not None
            solo_question = question_in(solo.embeds[0])
            step = await click(emu, solo, answer_label(solo.message, solo_question, right=True), bob)
            assert step.kind == "update" and step.embeds[0]["title"] == "✅ Correct!"
        emu.assert_clean()
    assert query(database, "SELECT status FROM quiz_runs WHERE mode = 'group'") == [("finished",)]


# -- Discord failing -----------------------------------------------------------------------------------------------

RETRIES_WAIT = 2 + 4 + 8
"""The bot's waits between the four tries of a group-quiz post (bot.quiz.group_timers.RETRY_DELAYS)."""


def titled(title: str) -> Any:
    return lambda message: any(e.get("title") == title for e in message.embeds)


def questions_in(emu: Emulator, after: Message, number: int) -> list[int]:
    """The ids of the messages after ``after`` showing question ``number`` of 3 (open or closed since), not its
    answer."""
    return [
        m.id
        for m in emu.store.in_channel(after.channel_id)
        if m.id > after.id
        and m.embeds
        and str(m.embeds[0].get("title", "")).startswith(f"Question {number} of 3")
        and not is_answer(number, 3)(m)
    ]


async def test_group_quiz_goes_on_through_a_short_outage_and_ends_saying_why_in_a_long_one(live: Live) -> None:
    # Last in this module: both quizzes run side by side in two channels, and nobody answers them.
    emu = live.emu
    alice, room, general = emu.world.users["alice"], emu.world.channel("study-room"), emu.world.channel("general")
    # A 503 is not retried by discord.py: each one is a failed try of the bot's own. The room's first question
    # fails twice and then goes out; every try in #general fails, so its quiz ends and says why.
    emu.faults.error(f"POST /channels/{room.id}/messages", status=503, times=2)
    emu.faults.error(f"POST /channels/{general.id}/messages", status=503, times=4)
    intros = [
        await (await emu.slash("quiz start", {"mode": "group", "questions": 3}, user=alice, channel=channel)).response()
        for channel in (room, general)
    ]
    room_intro, general_intro = (intro.message for intro in intros)
    assert room_intro is not None and general_intro is not None

    first = await emu.wait_for_message(
        room, is_open_question(1, 3), after=room_intro, timeout=RETRIES_WAIT + GROUP_WAIT
    )
    answer = await emu.wait_for_message(room, is_answer(1, 3), after=first, timeout=GROUP_WAIT)
    second = await emu.wait_for_message(room, is_open_question(2, 3), after=answer, timeout=GROUP_WAIT)
    # Two unanswered questions in a row end a quiz: it went on after the outage exactly as without one.
    end = await emu.wait_for_message(room, titled("🏁 Final results"), after=second, timeout=GROUP_WAIT)
    assert "Nobody answered two questions in a row" in end.text
    assert questions_in(emu, room_intro, 1) == [first.id], "posted once"

    ended = await emu.wait_for_message(
        general, titled("🏁 Final results"), after=general_intro, timeout=RETRIES_WAIT + GROUP_WAIT
    )
    assert "This quiz ended after 0 of 3 questions" in ended.text and "Discord kept failing" in ended.text
    assert questions_in(emu, general_intro, 1) == []
    statuses = query(
        live.database,
        "SELECT channel_id, status FROM quiz_runs WHERE mode = 'group' AND channel_id IN (?, ?) ORDER BY id DESC "
        "LIMIT 2",
        room.id,
        general.id,
    )
    assert sorted(statuses) == sorted([(room.id, "expired"), (general.id, "stopped")])
    output = live.bot.output
    assert "posting question 1 failed for now (Discord answered 503); trying again in 0:00:02 (try 2 of 4)" in output
    assert "failed 4 time(s), the last for now (Discord answered 503); ending the quiz" in output
