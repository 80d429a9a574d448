"""Observability end to end: /status for owners only, interaction ids in the log, `imgbot status` from the database."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from discord_emulator import Emulator, World
from tests.conftest import DATA_DIR, REPO_ROOT
from tests.e2e.conftest import Live, running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """This module's own bot: its owners are dr_admin (owner of IMG Study Hall) and bob (an ordinary member there,
    administrator nowhere); night_admin, who administers Night Owls, is not one."""
    database = tmp_path_factory.mktemp("status") / "bot.sqlite3"
    world = World.default()
    owners = [world.users["dr_admin"].id, world.users["bob"].id]
    async with Emulator(world) as emu:
        async with running_bot(emu, database, OWNER_IDS=json.dumps(owners), LOG_FORMAT="text") as bot:
            await bot.wait_for_output(r"status heartbeat at ready", timeout=30)
            yield Live(emu, bot, database)
            assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"
        # A clean stop (SIGTERM) is recorded, so `imgbot status` says "stopped", not "not responding".
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT state, pid FROM status_heartbeat").fetchall() == [("stopped", bot.pid)]


def fields(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


async def test_status_for_the_owner_shows_live_figures(live: Live) -> None:
    emu = live.emu
    owner = emu.world.users["dr_admin"]
    ix = await emu.slash("status", user=owner, channel=emu.world.channel("general"))
    reply = await ix.response()
    assert reply.ephemeral and reply.embeds, reply.content
    shown = fields(reply.embeds[0])
    assert shown["Servers"] == str(len(emu.world.bot_guilds()))
    assert shown["Bot"].startswith("running (pid ") and shown["Bot"].endswith(", live)")
    assert shown["Gateway latency"].endswith(" ms"), shown["Gateway latency"]
    # Two servers: Discord recommends one shard, and it is ready with both servers.
    assert shown["Shards"] == "1, all ready"
    assert shown["Gateway shards"].startswith("Shard 0: ready, "), shown["Gateway shards"]
    assert shown["Gateway shards"].endswith(f" ms, {len(emu.world.bot_guilds())} servers")
    assert int(shown["Scheduled jobs"].replace(",", "")) >= 0
    assert "milestone reminders:" in shown["Deliveries in the last 24 hours"]
    assert shown["Last errors"] == "none"
    await live.bot.wait_for_output(rf"/status completed in \d+ ms  interaction={ix.id} command=/status")


async def test_status_is_refused_to_an_admin_who_is_not_an_owner(live: Live) -> None:
    emu = live.emu
    night_admin = emu.world.users["night_admin"]  # owns (administers) Night Owls, but is not in OWNER_IDS
    ix = await emu.slash("status", user=night_admin, channel=emu.world.channel("lobby", "Night Owls Study Group"))
    reply = await ix.response()
    assert reply.ephemeral and not reply.embeds
    assert "Only the bot's owners" in reply.content and "OWNER_IDS" in reply.content
    await live.bot.wait_for_output(rf"refused /status for a non-owner  interaction={ix.id} command=/status")

    # A member without Administrator does not even see it; if a client sends it anyway, the owner check refuses it
    # the same way (not with a permission they could never need).
    alice = emu.world.users["alice"]
    forced = await emu.slash("status", user=alice, channel=emu.world.channel("general"), force=True)
    refused = await forced.response()
    assert refused.ephemeral and not refused.embeds
    assert "Only the bot's owners" in refused.content and "Administrator" not in refused.content
    await live.bot.wait_for_output(rf"refused /status for a non-owner  interaction={forced.id} command=/status")


async def test_status_for_an_owner_who_is_not_an_administrator_of_the_server(live: Live) -> None:
    emu = live.emu
    bob = emu.world.users["bob"]  # in OWNER_IDS, no role in Night Owls: Discord hides the command, he sends it anyway
    lobby = emu.world.channel("lobby", "Night Owls Study Group")
    reply = await (await emu.slash("status", user=bob, channel=lobby, force=True)).response()
    assert reply.ephemeral and reply.embeds, reply.content
    assert fields(reply.embeds[0])["Servers"] == str(len(emu.world.bot_guilds()))


async def test_log_lines_of_an_interaction_carry_its_id(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    guild = emu.world.guild("IMG Study Hall")
    ix = await emu.slash("ask", {"question": "what is SOAP"}, user=alice, channel=general)
    reply = await ix.response()
    assert reply.embeds
    line = await live.bot.wait_for_output(rf"/ask completed in \d+ ms  interaction={ix.id} .*")
    assert line.group(0).endswith(f"interaction={ix.id} command=/ask guild={guild.id} user={alice.id}")
    assert "SOAP" not in line.string  # what the member typed stays out of the log
    assert emu.token not in live.bot.output


async def test_imgbot_status_reads_the_heartbeat_of_the_running_bot(live: Live) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_PATH": str(live.database),
        "DATA_DIR": str(DATA_DIR),
        "LOG_LEVEL": "WARNING",
    }

    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "status",
            *args,
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        # The report on stdout (one JSON document with --json); which database it read, on stderr.
        assert str(live.database) in err.decode(), err.decode()
        return proc.returncode, out.decode()

    code, text = await run()
    assert code == 0, text
    servers = len(live.emu.world.bot_guilds())
    assert f"running (pid {live.bot.pid}, heartbeat " in text
    assert f"Servers:         {servers}" in text and "Scheduled jobs:" in text and "Uptime:" in text
    assert "Gateway latency:" in text and "Deliveries in the last 24 hours:" in text

    code, raw = await run("--json")
    document = json.loads(raw)
    assert code == 0 and document["running"] is True
    assert document["heartbeat"]["pid"] == live.bot.pid and document["heartbeat"]["guilds"] == servers
    [shard] = document["heartbeat"]["shards"]
    assert shard["id"] == 0 and shard["state"] == "ready" and shard["guilds"] == servers
    assert set(document["deliveries"]) >= {"milestone", "event", "studygroup-prompt", "studygroup-recap"}
