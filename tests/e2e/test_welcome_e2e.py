"""The welcome against the real bot process: posted once when the bot joins a server (in the first channel it may
write in when the system channel is closed to it), pinging nobody, with a Set up button that only moderators may
press; never again after the bot is removed and invited back, before or after a restart; and a server with no
channel open to the bot gets its welcome when it is invited back with one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from discord_emulator import Emulator, Message, Overwrite, OverwriteType, Perm, World
from discord_emulator.world import Channel, Guild
from tests.e2e.conftest import running_bot
from tests.e2e.test_setup_e2e import STEP_1

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]

READY = "ready as"
"""The bot's on_ready line: a server joined before it is a start-up server to discord.py, not a join."""


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def closed_to_everyone(guild: Guild) -> list[Overwrite]:
    return [Overwrite(guild.id, OverwriteType.ROLE, deny=int(Perm.SEND_MESSAGES))]


def welcomes(emu: Emulator, channel: Channel) -> list[Message]:
    return [m for m in emu.messages_in(channel) if m.author.id == emu.world.bot.id]


async def rejoin(emu: Emulator, guild: Guild) -> None:
    await emu.leave_guild(guild)
    await emu.join_guild(guild)


async def test_a_server_is_welcomed_once_ever(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        world = emu.world
        owner, bob = world.users["alice"], world.users["bob"]
        crew = world.add_guild("Step 2 CK Crew", owner, bot_joined=False)
        world.add_member(crew, bob)
        rules = world.add_channel(crew, "rules", overwrites=closed_to_everyone(crew))
        lounge = world.add_channel(crew, "lounge")
        crew.system_channel_id = rules.id
        quiet = world.add_guild("Quiet Ward", owner, bot_joined=False)
        notices = world.add_channel(quiet, "notices", overwrites=closed_to_everyone(quiet))

        async with running_bot(emu, database, name="first") as bot:
            await bot.wait_for_output(READY)
            await emu.join_guild(crew)
            welcome = await emu.wait_for_message(lounge, lambda m: m.author.id == world.bot.id)
            embed = welcome.embeds[0]
            assert embed["title"] == "Thanks for adding me!"
            assert "/ask" in embed["description"] and "/help" in embed["description"]
            assert "/setup" in embed["description"]
            assert welcome.find_component(label="Set up", types=frozenset({2}))
            assert welcome.pings == [] and welcome.allowed_mentions is not None
            assert welcome.allowed_mentions.get("parse") == []
            assert welcomes(emu, rules) == [], "the system channel is closed to the bot: the first open one is used"
            # Recorded right after the post: the bot logs it once the row is written.
            await bot.wait_for_output(rf"welcomed server {crew.id} in channel {lounge.id}")
            rows = query(database, "SELECT guild_id, status, channel_id, message_id FROM server_welcomes")
            assert rows == [(crew.id, "sent", lounge.id, welcome.id)]

            # The button is public; the permission is checked when it is pressed.
            refused = await (await emu.click(welcome, label="Set up", user=bob)).response()
            assert refused.ephemeral and "Only moderators" in refused.content and not refused.embeds
            opened = await (await emu.click(welcome, label="Set up", user=owner)).response()
            assert opened.ephemeral and opened.embeds[0]["title"] == STEP_1

            # Removed and invited back: no second welcome.
            mark = bot.lines_so_far
            await rejoin(emu, crew)
            await bot.wait_for_output(rf"server {crew.id} was welcomed before; not again", after=mark)

            # No channel the bot may write in: nothing is posted and nothing recorded, so an invitation with a
            # channel open to it brings the welcome.
            mark = bot.lines_so_far
            await emu.join_guild(quiet)
            await bot.wait_for_output(rf"no channel to welcome server {quiet.id} in", after=mark)
            notices.overwrites.clear()
            await rejoin(emu, quiet)
            await emu.wait_for_message(notices, lambda m: m.author.id == world.bot.id)
            await bot.wait_for_output(rf"welcomed server {quiet.id} in channel {notices.id}")

        async with running_bot(emu, database, name="second") as bot:
            await bot.wait_for_output(READY)
            mark = bot.lines_so_far
            await rejoin(emu, crew)
            await bot.wait_for_output(rf"server {crew.id} was welcomed before; not again", after=mark)
            # The first welcome's button still works after the restart.
            opened = await (await emu.click(welcome, label="Set up", user=owner)).response()
            assert opened.ephemeral and opened.embeds[0]["title"] == STEP_1

        await emu.wait_idle()
        assert welcomes(emu, lounge) == [welcome] and len(welcomes(emu, notices)) == 1
        assert welcomes(emu, world.channel("general")) == [], "servers the bot was in before are never welcomed"
        assert query(database, "SELECT COUNT(*) FROM server_welcomes WHERE status = 'sent'") == [(2,)]
        emu.assert_clean()
