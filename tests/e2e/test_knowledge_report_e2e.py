"""/knowledge report groups the wordings of one unanswered question and counts the server's own entries /ask answered
with; driven through the emulator against the real bot process."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.ui.knowledge_report import QUESTIONS_FIELD, SERVER_ENTRIES_FIELD
from discord_emulator import Emulator
from discord_emulator.interactions import Reply
from discord_emulator.world import Channel, User
from tests.e2e.conftest import Live

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, user: User, channel: Channel) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel, force=True)).response()


def field(embed: dict[str, Any], name: str) -> str:
    return str(next(f for f in embed.get("fields", []) if f["name"] == name)["value"])


async def test_the_report_shows_two_groups_with_counts_and_a_server_entrys_count(live: Live) -> None:
    emu = live.emu
    admin, alice, bob = emu.world.users["dr_admin"], emu.world.users["alice"], emu.world.users["bob"]
    general = emu.world.channel("general")
    opened = await run(emu, "knowledge add", None, admin, general)
    assert opened.kind == "modal" and opened.modal is not None
    saved = await (
        await emu.submit_modal(
            opened,
            {"title": "Study hall hours", "aliases": "study hall", "answer": "The voice room is open 8 to 11 p.m."},
        )
    ).response()
    assert saved.content.startswith("✅ Added **Study hall hours**")

    # Three wordings of one question nothing answers, one of them twice; another question; the server entry twice.
    for user, question in [
        (alice, "best pizza near the hospital"),
        (bob, "Best pizza near the hospital??"),
        (alice, "pizza near hospital best"),
        (bob, "best pizza near the hospital"),
        (alice, "which gym near the hospital is open late"),
    ]:
        reply = await run(emu, "ask", {"question": question}, user, general)
        assert reply.ephemeral and reply.embeds[0]["title"] == "No curated answer yet", question
    for user in (alice, bob):
        reply = await run(emu, "ask", {"question": "when is the study hall open?"}, user, general)
        assert reply.embeds[0]["title"] == "Study hall hours"

    report = await run(emu, "knowledge report", None, admin, general)
    assert report.ephemeral
    embed = report.embeds[0]
    assert field(embed, QUESTIONS_FIELD).splitlines() == [
        "`4×` “best pizza near the hospital” · 3 wordings",
        "`1×` “which gym near the hospital is open late”",
    ]
    assert field(embed, SERVER_ENTRIES_FIELD) == "`2×` **Study hall hours**"
    # The count is the entry's, never who asked.
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT title, times_answered FROM server_entries").fetchall() == [("Study hall hours", 2)]

    # Members without Manage Server are refused, as before.
    refused = await run(emu, "knowledge report", None, bob, general)
    assert refused.ephemeral and "Manage Server" in refused.content
