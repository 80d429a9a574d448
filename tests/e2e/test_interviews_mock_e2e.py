"""/interview mock: a four-member mock interview session in a study group's channel, driven through the emulator
against the real bot process, with a restart in the middle of round 1.

A session "minute" lasts MINUTE seconds here (the test hook ``IMGBOT_TEST_MOCK_MINUTE_SECONDS``), so a round of
ROUND_MINUTES takes ROUND_MINUTES * MINUTE seconds and the break BREAK_MINUTES * MINUTE.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.interviews.bank import load_interview_bank
from bot.interviews.mock import BREAK_MINUTES, MINUTE_ENV, QUESTIONS_PER_ROUND
from discord_emulator import Emulator, Message, User, World
from discord_emulator.interactions import Reply
from tests.conftest import DATA_DIR
from tests.e2e.conftest import running_bot
from tests.e2e.mydata import delete_everything

pytestmark = pytest.mark.asyncio(loop_scope="module")

BANK = load_interview_bank(DATA_DIR / "interviews")
GROUP = "Interview crew"
MINUTE = 4.0
"""Round 1 (ROUND_MINUTES * MINUTE) must outlast three clicks, a bot stop and a bot start: at 2 s a minute (a 10 s
round) round 2 had begun before the restarted bot answered, with the suite on four workers on a busy machine."""
ROUND_MINUTES = 5
PHASE_WAIT = ROUND_MINUTES * MINUTE + 30
"""Seconds to wait for a phase's next message: the phase's length plus room for a slow, shared machine (the bot
posts within a second of the timer; a restart takes a few)."""
TABLE = re.compile(r"\*\*(\d+)\.\*\* (.+?) interviews? <@(\d+)>")


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def title(message: Message) -> str:
    return str(message.embeds[0].get("title", "")) if message.embeds else ""


def titled(prefix: str) -> Any:
    return lambda message: title(message).startswith(prefix)


def tables(message: Message, round_: int) -> list[tuple[tuple[int, ...], int]]:
    """((interviewers), candidate) of each table the message shows for ``round_``."""
    field = next(f for f in message.embeds[0]["fields"] if f["name"] == f"Round {round_}")
    return [
        (tuple(int(i) for i in re.findall(r"<@(\d+)>", interviewers)), int(candidate))
        for _, interviewers, candidate in TABLE.findall(field["value"])
    ]


def labels(message: Message) -> list[str]:
    return [str(b.get("label")) for b in message.buttons]


async def slash(emu: Emulator, command: str, options: dict[str, Any] | None, user: User, channel: Any) -> Reply:
    reply = await (await emu.slash(command, options, user=user, channel=channel)).response()
    assert reply.ephemeral, reply
    return reply


async def click(emu: Emulator, message: Message, label: str, user: User) -> Reply:
    return await (await emu.click(message, label=label, user=user)).response()


async def private(emu: Emulator, message: Message, label: str, user: User) -> Reply:
    reply = await click(emu, message, label, user)
    assert reply.kind == "message" and reply.ephemeral, reply
    return reply


async def give_feedback(emu: Emulator, message: Message, round_: int, user: User, **fields: str) -> Reply:
    opened = await click(emu, message, f"Give feedback · round {round_}", user)
    assert opened.kind == "modal" and opened.modal is not None, opened
    values = {"clarity": "4", "structure": "3", "content": "5", "strength": "", "suggestion": ""} | fields
    return await (await emu.submit_modal(opened, values)).response()


def assert_questions(reply: Reply, candidate: User) -> None:
    embed = reply.embeds[0]
    assert f"You interview <@{candidate.id}>" in embed["description"]
    assert len(embed["fields"]) == QUESTIONS_PER_ROUND
    for field in embed["fields"]:
        question = next(q for q in BANK if f"**{q.question}**" in field["value"])
        assert f"*Listen for:* {question.look_for}" in field["value"]
    assert embed["footer"]["text"].startswith("Only you can see this.")


async def test_a_four_member_session_survives_a_restart_swaps_roles_and_delivers_feedback(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    env = {MINUTE_ENV: str(MINUTE)}
    async with Emulator(World.default()) as emu:
        world = emu.world
        admin, alice, bob, carol = (world.users[n] for n in ("dr_admin", "alice", "bob", "carol"))
        general, room = world.channel("general"), world.channel("study-room")

        async with running_bot(emu, database, name="first", **env):
            created = await slash(emu, "studygroup-admin create", {"name": GROUP, "channel": room}, admin, general)
            assert "created" in created.content
            for member in (alice, bob, carol, admin):
                joined = await slash(emu, "studygroup join", {"group": GROUP}, member, general)
                assert "You joined" in joined.content

            # Opened from #general: the session goes to the group's channel, and the starter joins at once.
            opened = await slash(emu, "interview mock", {"minutes": ROUND_MINUTES}, alice, general)
            assert f"open in <#{room.id}>" in opened.content
            lobby = await emu.wait_for_message(room, titled("🎤 Mock interviews"), timeout=10)
            assert f"2 rounds of {ROUND_MINUTES} minutes" in lobby.embeds[0]["description"]
            assert labels(lobby) == ["Join", "Leave", "Start", "End session"]
            # One session per channel.
            again = await slash(emu, "interview mock", None, bob, room)
            assert "already running" in again.content

            for member in (bob, carol, admin):
                joined = await click(emu, lobby, "Join", member)
                assert joined.kind == "update" and not joined.ephemeral
            field = lobby.embeds[0]["fields"][0]
            assert field["name"] == "Joined (4 of 16)"
            assert field["value"] == " ".join(f"<@{m.id}>" for m in (alice, bob, carol, admin))
            twice = await private(emu, lobby, "Join", bob)
            assert "You are in already" in twice.content
            not_yours = await private(emu, lobby, "Start", bob)
            assert "Only the member who started this session" in not_yours.content

            started = await click(emu, lobby, "Start", alice)
            assert started.kind == "update"
            round1 = lobby
            assert title(round1).startswith("🎤 Round 1 of 2")
            assert labels(round1) == ["My questions", "Give feedback · round 1", "My feedback", "End session"]
            # No earlier session in this group: tables in the order members joined, the earlier one interviews first.
            assert tables(round1, 1) == [((alice.id,), bob.id), ((carol.id,), admin.id)]

            assert_questions(await private(emu, round1, "My questions", alice), bob)
            candidate = await private(emu, round1, "My questions", bob)
            assert candidate.embeds[0]["title"] == "Round 1 · you are the candidate"
            assert f"<@{alice.id}> interviews you" in candidate.embeds[0]["description"]
            early = await private(emu, round1, "My feedback", bob)
            assert "No feedback yet" in early.embeds[0]["description"]

        # The bot is down in the middle of round 1; the next one re-arms the session's timer from the database.
        async with running_bot(emu, database, name="second", **env) as bot:
            await bot.wait_for_output(r"resuming mock interview session 1 in channel \d+: round, round 1", timeout=10)
            # A button of the message posted before the restart still answers.
            assert_questions(await private(emu, round1, "My questions", carol), admin)

            pause = await emu.wait_for_message(room, titled("⏸️ Round 1 is over"), after=round1, timeout=PHASE_WAIT)
            # The older message gives its buttons to the newer one (edited just after the new one is posted).
            await emu.wait_for_message(room, lambda m: m.id == round1.id and not m.buttons, timeout=10)
            assert f"after a {BREAK_MINUTES}-minute break" in pause.embeds[0]["description"]
            # Round 2 swaps the roles at every table.
            assert tables(pause, 2) == [((bob.id,), alice.id), ((admin.id,), carol.id)]

            refused = await private(emu, pause, "Give feedback · round 1", bob)
            assert "you were the candidate" in refused.content
            wrong = await give_feedback(emu, pause, 1, alice, clarity="7", strength="x", suggestion="y")
            assert wrong.ephemeral and "Clarity is a whole number from 1" in wrong.content
            saved = await give_feedback(
                emu,
                pause,
                1,
                alice,
                strength="A vivid ICU story with a clear result. @everyone",
                suggestion="Answer the gap question in two sentences.",
            )
            assert saved.ephemeral and "Saved your feedback for round 1" in saved.content
            await give_feedback(emu, pause, 1, carol, strength="Calm and warm.", suggestion="Name the program.")

            # The feedback reaches only its candidate.
            mine = (await private(emu, pause, "My feedback", bob)).embeds[0]
            assert [f["name"] for f in mine["fields"]] == ["Round 1"]
            value = mine["fields"][0]["value"]
            assert f"From <@{alice.id}>" in value and "Clarity ★★★★☆ 4/5" in value
            assert "A vivid ICU story with a clear result." in value and "@everyone" not in value
            theirs = (await private(emu, pause, "My feedback", admin)).embeds[0]
            assert "Calm and warm." in theirs["fields"][0]["value"]
            assert "No feedback yet" in (await private(emu, pause, "My feedback", alice)).embeds[0]["description"]

            round2 = await emu.wait_for_message(room, titled("🎤 Round 2 of 2"), after=pause, timeout=PHASE_WAIT)
            assert tables(round2, 2) == [((bob.id,), alice.id), ((admin.id,), carol.id)]
            assert_questions(await private(emu, round2, "My questions", bob), alice)
            assert "you are the candidate" in (await private(emu, round2, "My questions", alice)).embeds[0]["title"]

            done = await emu.wait_for_message(
                room, titled("✅ Mock interviews finished"), after=round2, timeout=PHASE_WAIT
            )
            assert labels(done) == ["Give feedback · round 1", "Give feedback · round 2", "My feedback"]
            await give_feedback(emu, done, 2, bob, strength="Honest about the attempt.", suggestion="Slow down.")
            await give_feedback(emu, done, 2, admin, strength="Good STAR story.", suggestion="Shorter opening.")
            alices = (await private(emu, done, "My feedback", alice)).embeds[0]
            assert [f["name"] for f in alices["fields"]] == ["Round 2"]
            assert f"From <@{bob.id}>" in alices["fields"][0]["value"]
            assert "Honest about the attempt." in alices["fields"][0]["value"]

            rows = query(database, "SELECT round, author_id, user_id FROM mock_feedback ORDER BY round, id")
            assert rows == [
                (1, alice.id, bob.id),
                (1, carol.id, admin.id),
                (2, bob.id, alice.id),
                (2, admin.id, carol.id),
            ]

            # A second session of the same group seats nobody with the partner of the first one.
            await slash(emu, "interview mock", {"minutes": ROUND_MINUTES}, bob, room)
            second = await emu.wait_for_message(room, titled("🎤 Mock interviews"), after=done, timeout=10)
            # Three join at once: the message lists all of them.
            await asyncio.gather(*(click(emu, second, "Join", member) for member in (alice, carol, admin)))
            listed = second.embeds[0]["fields"][0]
            assert listed["name"] == "Joined (4 of 16)"
            assert set(re.findall(r"<@(\d+)>", listed["value"])) == {str(m.id) for m in (alice, bob, carol, admin)}
            await click(emu, second, "Start", bob)
            before = {frozenset((alice.id, bob.id)), frozenset((carol.id, admin.id))}
            seated = [frozenset((*interviewers, candidate)) for interviewers, candidate in tables(second, 1)]
            assert len(seated) == 2 and not before & set(seated), seated
            ended = await click(emu, second, "End session", bob)
            assert ended.kind == "update" and title(second).startswith("Mock interviews ended")

            # The feedback a member received is theirs: in /mydata export, gone with /mydata delete; what they gave
            # stays with its candidate, without their name.
            exported = await slash(emu, "mydata export", None, bob, general)
            mine = json.loads(exported.attachments[0].data)["interviews"]["mock_interviews"]
            assert [f["strength"] for f in mine["feedback_received"]] == [
                "A vivid ICU story with a clear result. @everyone"
            ]
            assert [f["strength"] for f in mine["feedback_given"]] == ["Honest about the attempt."]
            assert [s["your_seat"] for s in mine["sessions"]] == ["second", "first"]
            asked = await slash(emu, "mydata delete", None, bob, general)
            deleted = await delete_everything(emu, asked, bob)
            assert "1 mock interview feedback you received" in deleted.content
            assert "1 mock interview feedback you gave, no longer naming you" in deleted.content
            assert query(
                database, "SELECT author_id, user_id FROM mock_feedback WHERE strength = ?", "Honest about the attempt."
            ) == [(0, alice.id)]
            assert (
                "Honest about the attempt."
                in (await private(emu, done, "My feedback", alice)).embeds[0]["fields"][0]["value"]
            )
            summary = await slash(emu, "privacy", None, bob, general)
            # The whole text, with its "Mock interviews" section, is behind the summary's Details button.
            privacy = await (await emu.click(summary, custom_id="privacy:details", user=bob)).response()
            assert any(f["name"] == "Mock interviews" for f in privacy.embeds[0]["fields"])

        for message in emu.store.by_id.values():
            assert not message.pings, (message.text, message.pings)
