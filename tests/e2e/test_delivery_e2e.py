"""Delivery survives the bot's life: stopped before an announcement was due and started after it (posted once, and
marked late when that is more than two minutes after its time); killed (SIGKILL-like, `os._exit`) between sending
and recording (still exactly one message, thanks to the nonce); and the fan-out path of bench/fanout.py on 50
servers against Discord's global rate limit."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.fanout import measure
from bot.scheduling import CRASH_AFTER_SEND_ENV, TEST_CLOCK_OFFSET_ENV
from discord_emulator import Channel, Emulator, World
from tests.e2e.conftest import running_bot

pytestmark = pytest.mark.asyncio(loop_scope="function")


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def titled(title: str) -> Any:
    return lambda m: any(title in (e.get("title") or "") for e in m.embeds)


def count_titled(emu: Emulator, channel: Channel, title: str) -> int:
    return sum(1 for m in emu.messages_in(channel) if titled(title)(m))


async def add_event_ahead(emu: Emulator, title: str, seconds: float) -> datetime:
    """/event add in #general (no subscription: the event posts where it was added), `seconds` from now, UTC."""
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    options = {"title": title, "date": f"{at:%Y-%m-%d}", "time": f"{at:%H:%M:%S}", "timezone": "UTC", "reminders": "0"}
    reply = await (
        await emu.slash("event add", options, user=emu.world.users["dr_admin"], channel=emu.world.channel("general"))
    ).response()
    assert reply.embeds and reply.embeds[0]["title"] == f"Event added: {title}", reply.content
    return at


async def test_missed_while_stopped_is_posted_once_and_marked_late(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    title = "Webinar: writing your personal statement"
    async with Emulator(World.default()) as emu:
        general = emu.world.channel("general")
        async with running_bot(emu, database, name="before"):
            due = await add_event_ahead(emu, title, 4)
        assert datetime.now(UTC) < due, "the bot must be down before the event is due"
        assert count_titled(emu, general, title) == 0

        # Back ten minutes after its time, as the bot sees it (a message sent more than two minutes late says so).
        async with running_bot(emu, database, name="after", **{TEST_CLOCK_OFFSET_ENV: "600"}) as bot:
            posted = await emu.wait_for_message(general, titled(title), timeout=15)
            await bot.wait_for_output(r"announcements start-up: 1 posted \(1 late", timeout=10)
        embed = posted.embeds[0]
        assert embed["title"] == f"🕓 Reminder: {title}"
        assert "**Posted late:**" in embed["description"] and f"<t:{int(due.timestamp())}:f>" in embed["description"]
        assert count_titled(emu, general, title) == 1
        assert query(database, "SELECT status, late FROM deliveries") == [("sent", 1)]
        emu.assert_clean()


async def test_killed_between_send_and_record_still_posts_exactly_once(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    title = "Mock Step 2 CK block"
    async with Emulator(World.default()) as emu:
        general = emu.world.channel("general")
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            await add_event_ahead(emu, title, 3)
            assert await crashing.wait_exit(timeout=15) == 9
        first = await emu.wait_for_message(general, titled(title), timeout=1)
        # The message went out, the process died before recording it: the row is still only claimed.
        assert query(database, "SELECT status, message_id FROM deliveries") == [("claimed", None)]

        # Restarted at once, well within the emulator's nonce memory: the claim is an earlier process's, so the bot
        # reads the channel for it anyway (how long Discord remembers a nonce is not documented) and records it.
        async with running_bot(emu, database, name="recovered") as bot:
            await bot.wait_for_output(r"was posted before a crash \(message \d+\); recorded it", timeout=15)
            await bot.wait_for_output(r"announcements start-up: 1 posted \(0 late, 1 recovered\)", timeout=15)
        assert count_titled(emu, general, title) == 1
        assert emu.stats.other["nonce_deduplicated"] == 0  # found in the channel by its ref: not sent again
        assert query(database, "SELECT status, message_id FROM deliveries") == [("sent", first.id)]
        emu.assert_clean()


@pytest.mark.alone  # a 12 s head start, then 50 posts within 5 s: not beside other tests (Makefile)
async def test_fan_out_to_50_servers_is_paced_and_exactly_once(tmp_path: Path) -> None:
    """The code path of bench/fanout.py (2,000 servers there): one due instant, every server once, few 429s."""
    # A lead that covers a slow start on a busy machine (seen: over 6 s with two other suites running beside it).
    figures = await measure(50, members_per_guild=5, lead=12, work_dir=tmp_path)
    assert (figures.delivered, figures.duplicates, figures.losses, figures.late_marked) == (50, 0, 0, 0)
    assert figures.rate_limited <= 0.01 * figures.requests
    assert figures.seconds < 5, figures.lines()
