"""Study-group prompts and recaps against the real bot process: on time and once, in a channel or a thread, after a
stop (late within the grace window, skipped beyond it), after a kill between sending and recording, and the weekly
recap.

Times a few seconds ahead go through the real command (``checkin_time`` takes HH:MM:SS). What real time cannot
reach in a test (an hour of downtime, the end of the week) is reached by starting the bot with its study-group
clock moved (``IMGBOT_TEST_CLOCK_OFFSET_SECONDS``, ``bot.scheduling.clock``); everything else runs as in
production.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling import CRASH_AFTER_SEND_ENV, TEST_CLOCK_OFFSET_ENV
from bot.studygroups.models import Schedule
from bot.studygroups.schedule import IsoWeek, recap_instant
from discord_emulator import Channel, Emulator, Message, User, World
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

ZONE = "Asia/Kolkata"
"""Half an hour off UTC: a time "in the group's zone" that was really converted shows."""


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def ahead(seconds: float, zone: str = ZONE) -> tuple[str, datetime]:
    """The wall-clock time in ``zone`` ``seconds`` from now, as typed (HH:MM:SS), and that instant."""
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"{at.astimezone(ZoneInfo(zone)):%H:%M:%S}", at


def offset_env(seconds: float) -> dict[str, str]:
    return {TEST_CLOCK_OFFSET_ENV: f"{seconds:.3f}"}


def prompt_of(group: str) -> Any:
    return lambda m: any(e.get("title") == f"Check-in time: {group}" for e in m.embeds)


def recap_of(group: str) -> Any:
    return lambda m: any(e.get("title") == f"Weekly recap: {group}" for e in m.embeds)


def count(emu: Emulator, channel: Channel, predicate: Any) -> int:
    return sum(1 for m in emu.messages_in(channel) if predicate(m))


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, *, user: User, channel: Channel) -> Any:
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


async def create_group(emu: Emulator, name: str, channel: Channel, **options: str) -> str:
    world = emu.world
    created = await run(
        emu,
        "studygroup-admin create",
        {"name": name, "channel": channel, "timezone": ZONE} | options,
        user=world.users["dr_admin"],
        channel=world.channel("general"),
    )
    assert created.ephemeral and f"created in <#{channel.id}>" in created.content, created.content
    text: str = created.content
    return text


async def check_in_from(emu: Emulator, prompt: Message, user: User, studied: str) -> dict[str, Any]:
    opened = await (await emu.click(prompt, label="Check in", user=user)).response()
    assert opened.kind == "modal" and opened.modal is not None, opened
    receipt = await (await emu.submit_modal(opened, {"studied": studied, "questions": "40"})).response()
    assert receipt.ephemeral, receipt
    embed: dict[str, Any] = receipt.embeds[0]
    return embed


# -- the module's bot, running on real time ----------------------------------------------------------------------


async def test_a_prompt_a_few_seconds_ahead_is_posted_once_with_a_working_check_in_button(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    study_room, alice = world.channel("study-room"), world.users["alice"]
    refused = await run(
        emu,
        "studygroup-admin create",
        {"name": "Night shift crew", "channel": study_room, "checkin_time": "20:00:61"},
        user=world.users["dr_admin"],
        channel=world.channel("general"),
    )
    assert refused.ephemeral and "HH:MM on a 24-hour clock (HH:MM:SS also works)" in refused.content
    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    wall, due = ahead(4)
    created = await create_group(emu, "Night shift crew", study_room, checkin_time=wall)
    # The bot shows seconds only when there are some: a time that falls on :00 reads "05:51".
    shown = wall.removesuffix(":00")
    assert f"Prompts: daily at {shown} ({ZONE})" in created, created

    prompt = await emu.wait_for_message(study_room, prompt_of("Night shift crew"), timeout=15)
    await live.bot.wait_for_output(r"study-group deliveries .*: 1 posted", timeout=10)
    # Nothing in flight and no retry pending: a second copy could not come later than this.
    await live.bot.wait_settled(sent_at_least=sent_before + 1, after=mark)
    assert prompt.created_at >= due - timedelta(seconds=1)
    embed = prompt.embeds[0]
    assert "What did you get done today?" in embed["description"] and "Posted late" not in embed["description"]
    assert prompt.pings == []
    rows = query(live.database, "SELECT status, late, message_id, target_kind FROM deliveries")
    assert rows == [("sent", 0, prompt.id, "studygroup-prompt")]

    receipt = await check_in_from(emu, prompt, alice, "Cardiology block, 40 questions")
    assert receipt["title"] == "Check-in recorded ✅"
    assert "Streak: **1 day**" in receipt["description"]
    assert "You joined **Night shift crew** by checking in." in receipt["fields"][-1]["value"]
    assert count(emu, study_room, prompt_of("Night shift crew")) == 1

    # Moved later today after today's prompt went out: one prompt a day, so the one that really comes next is
    # tomorrow's, and both the edit's reply and /studygroup info say so (not a time today that never comes).
    later, later_at = ahead(120)
    general = world.channel("general")
    edited = await run(
        emu,
        "studygroup-admin edit",
        {"group": "Night shift crew", "checkin_time": later},
        user=world.users["dr_admin"],
        channel=general,
    )
    tomorrow = f"<t:{int((later_at + timedelta(days=1)).timestamp())}:F>"  # Kolkata has no daylight-saving time
    assert "Today's prompt already went out" in edited.content and tomorrow in edited.content, edited.content
    info = await run(emu, "studygroup info", {"group": "Night shift crew"}, user=alice, channel=general)
    shown_next = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}["Next prompt"]
    assert shown_next == tomorrow, shown_next


async def test_a_group_bound_to_a_thread_gets_its_prompt_in_the_thread(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    thread, bob = world.channel("USMLE Step 1 prep"), world.users["bob"]
    wall, _ = ahead(4)
    await create_group(emu, "Step 1 thread crew", thread, checkin_time=wall)

    prompt = await emu.wait_for_message(thread, prompt_of("Step 1 thread crew"), timeout=15)
    assert prompt.channel_id == thread.id
    assert count(emu, world.channel("study-room"), prompt_of("Step 1 thread crew")) == 0
    receipt = await check_in_from(emu, prompt, bob, "Biochemistry in the thread")
    assert receipt["title"] == "Check-in recorded ✅" and "Step 1 thread crew" in receipt["description"]
    rows = query(live.database, "SELECT channel_id, status FROM deliveries WHERE message_id = ?", prompt.id)
    assert rows == [(thread.id, "sent")]


# -- restarts and kills: each test has its own emulator and bot -------------------------------------------------


async def test_a_prompt_missed_while_stopped_is_posted_late_within_the_grace_and_skipped_beyond(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        study_room, general = emu.world.channel("study-room"), emu.world.channel("general")
        async with running_bot(emu, database, name="before"):
            wall, due = ahead(5)
            await create_group(emu, "Soon crew", study_room, checkin_time=wall)
            later_wall, later_due = ahead(30 * 60)
            await create_group(emu, "Later crew", general, checkin_time=later_wall)
        assert datetime.now(UTC) < due, "the bot must be down before the prompt is due"

        # Started again three minutes after the prompt's time (as the bot sees it): within the hour of grace, and
        # more than the two minutes after which a message says it is late.
        async with running_bot(emu, database, name="after", **offset_env(180)) as bot:
            posted = await emu.wait_for_message(study_room, prompt_of("Soon crew"), timeout=15)
            await bot.wait_for_output(
                r"study-group deliveries start-up: 1 posted \(1 late, 0 recovered\), 0 already done, 0 skipped",
                timeout=10,
            )
            await bot.wait_settled(sent_at_least=1)  # counted below: no retry may still be pending
            await bot.wait_for_output(rf"{TEST_CLOCK_OFFSET_ENV}=180\.000: scheduled work believes it is", timeout=1)
        assert f"*Posted late: this was due <t:{int(due.timestamp())}:t>.*" in posted.embeds[0]["description"]
        assert count(emu, study_room, prompt_of("Soon crew")) == 1
        assert query(database, "SELECT key, status, late FROM deliveries") == [
            (f"sg:prompt:1:{due.astimezone(ZoneInfo(ZONE)):%Y-%m-%d}", "sent", 1)
        ]

        # Started again two hours after the later group's prompt was due: beyond the grace, skipped, not posted.
        beyond = (later_due - datetime.now(UTC) + timedelta(hours=2)).total_seconds()
        async with running_bot(emu, database, name="much later", **offset_env(beyond)) as bot:
            await bot.wait_for_output(r"study-group deliveries start-up: 0 posted .* 1 skipped", timeout=15)
        assert count(emu, general, prompt_of("Later crew")) == 0
        assert count(emu, study_room, prompt_of("Soon crew")) == 1
        rows = query(database, "SELECT status, reason, message_id FROM deliveries WHERE key LIKE 'sg:prompt:2:%'")
        assert rows == [("skipped", "missed beyond the grace window", None)]
        emu.assert_clean()


async def test_killed_between_send_and_record_the_prompt_is_found_again_and_posted_once(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        study_room = emu.world.channel("study-room")
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            wall, _ = ahead(4)
            await create_group(emu, "Crash crew", study_room, checkin_time=wall)
            assert await crashing.wait_exit(timeout=15) == 9
        first = await emu.wait_for_message(study_room, prompt_of("Crash crew"), timeout=1)
        assert query(database, "SELECT status, message_id FROM deliveries") == [("claimed", None)]

        # Back three minutes later (as the bot sees it): longer than Discord remembers a nonce, so the bot reads the
        # channel's recent history, finds its message by the `ref` in the footer, and records it instead of posting.
        reads_before = sum(1 for r in emu.requests if r.route == "GET /channels/{channel_id}/messages")
        async with running_bot(emu, database, name="recovered", **offset_env(180)) as bot:
            await bot.wait_for_output(r"was posted before a crash \(message \d+\); recorded it", timeout=15)
            await bot.wait_for_output(r"study-group deliveries start-up: 1 posted \(0 late, 1 recovered\)", timeout=5)
            await bot.wait_settled(sent_at_least=1)  # counted below: no retry may still be pending
        assert count(emu, study_room, prompt_of("Crash crew")) == 1
        assert emu.stats.other["nonce_deduplicated"] == 0  # not resent at all
        assert sum(1 for r in emu.requests if r.route == "GET /channels/{channel_id}/messages") > reads_before
        assert query(database, "SELECT status, message_id FROM deliveries") == [("sent", first.id)]
        emu.assert_clean()


async def test_the_weekly_recap_names_who_checked_in_once_and_pings_nobody(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    # Mondays at 07:00, so the recap is due on Sunday at 20:00 (the group's zone) with no prompt in between.
    schedule = Schedule(time(7, 0), ZONE, frozenset({0}))
    week = IsoWeek.of(datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()).next()
    recap_at = recap_instant(schedule, week)
    assert recap_at.astimezone(ZoneInfo(ZONE)).strftime("%a %H:%M") == "Sun 20:00"
    async with Emulator(World.default()) as emu:
        world = emu.world
        study_room, alice, bob = world.channel("study-room"), world.users["alice"], world.users["bob"]
        # The Saturday before: the group is made, both join, only Alice checks in.
        saturday = (recap_at - timedelta(hours=20) - datetime.now(UTC)).total_seconds()
        async with running_bot(emu, database, name="saturday", **offset_env(saturday)):
            await create_group(emu, "Weekend crew", study_room, checkin_time="07:00", days="mon")
            for user in (alice, bob):
                joined = await run(emu, "studygroup join", {"group": "Weekend crew"}, user=user, channel=study_room)
                assert "You joined" in joined.content, joined.content
            opened = await run(emu, "checkin", None, user=alice, channel=study_room)
            assert opened.modal is not None, opened
            receipt = await (await emu.submit_modal(opened, {"studied": "Renal", "questions": "35"})).response()
            assert receipt.embeds[0]["title"] == "Check-in recorded ✅"

        # Started again a few seconds before the recap is due (as the bot sees it).
        sunday = (recap_at - timedelta(seconds=3) - datetime.now(UTC)).total_seconds()
        async with running_bot(emu, database, name="sunday", **offset_env(sunday)) as bot:
            recap = await emu.wait_for_message(study_room, recap_of("Weekend crew"), timeout=20)
            await bot.wait_for_output(r"study-group deliveries .*: 1 posted", timeout=10)
            await bot.wait_settled(sent_at_least=1)  # counted below: no retry may still be pending
        embed = recap.embeds[0]
        text = " ".join([embed.get("description") or ""] + [f"{f['name']} {f['value']}" for f in embed["fields"]])
        assert f"<@{alice.id}>: 1 day, 35 questions" in text
        assert str(bob.id) not in text
        assert recap.pings == []  # names shown as mentions, and nobody notified
        assert "Posted late" not in text
        assert count(emu, study_room, recap_of("Weekend crew")) == 1
        rows = query(
            database, "SELECT key, status, late, message_id FROM deliveries WHERE target_kind = ?", "studygroup-recap"
        )
        assert rows == [(f"sg:recap:1:{week}", "sent", 0, recap.id)]
        emu.assert_clean()
