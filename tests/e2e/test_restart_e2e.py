"""A restart keeps what matters: commands are not registered again, and buttons sent before still work."""

from __future__ import annotations

from pathlib import Path

import pytest

from discord_emulator import Emulator, World
from tests.e2e.conftest import running_bot

pytestmark = pytest.mark.asyncio(loop_scope="function")


def registrations(emu: Emulator) -> int:
    return sum(1 for r in emu.requests if r.method == "PUT" and r.path.endswith("/commands"))


async def test_restart_skips_registration_and_keeps_buttons_working(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        alice, general = emu.world.users["alice"], emu.world.channel("general")
        async with running_bot(emu, database, name="first"):
            assert registrations(emu) == 1
            answer = await (
                await emu.slash("ask", {"question": "what is the rank order list"}, user=alice, channel=general)
            ).response()
            pathway = await (await emu.slash("pathway", user=alice, channel=general)).response()

        async with running_bot(emu, database, name="second") as bot:
            assert registrations(emu) == 1, "unchanged commands must not be registered again"
            assert "commands unchanged since the last registration" in bot.output
            vote = await (await emu.click(answer, label="Helpful", user=alice)).response()
            assert vote.ephemeral and "1 👍" in vote.content
            # Stage 8, "Match and start residency": its steps, each a button that opens its entry.
            opened = await (await emu.select(pathway, ["8"], user=alice)).response()
            assert opened.ephemeral and opened.embeds
            step = await (await emu.click(opened, label="8.1 Match Week", user=alice)).response()
            assert step.ephemeral and step.embeds
        emu.assert_clean()
