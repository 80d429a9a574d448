"""The permission matrix against the real bot process, read from what the bot registered.

Every configuration command (declared with default permissions, so Discord hides it from members) is invoked by a
plain member with Discord's hiding bypassed (``force=True``, as a modified client or a stale permission cache would):
it must be refused at run time with a clear private message, and change nothing in the database or the channels.
Every command Discord offers in direct messages must answer there, within 3 seconds, never with a fault; the ones
that only make sense in a server are not offered in DMs at all (their contexts exclude DMs).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from discord_emulator import Emulator
from discord_emulator.commands import RegisteredCommand
from discord_emulator.models import InteractionError, JsonDict
from discord_emulator.world import Channel
from tests.e2e.conftest import Live
from tests.e2e.test_bad_input_e2e import FAULT, leaves

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

DISCORD_DEADLINE = 3.0
# Commands that are fine in DMs and must do their job there, not just refuse politely.
WORK_IN_DMS = {"ask", "quiz start", "timeline", "privacy", "mydata export", "milestones next", "readiness start"}


def plausible(emu: Emulator, spec: JsonDict, channel: Channel) -> Any:
    """A value that would pass validation, so a missing permission check would show as success, not as an error."""
    kind = int(spec.get("type") or 3)
    name = str(spec.get("name"))
    if spec.get("choices"):
        return spec["choices"][0]["value"]
    if kind == 3:
        return {
            "date": f"{dt.datetime.now(dt.UTC).year + 1}-03-04",
            "time": "18:30",
            "timezone": "Asia/Kolkata",
            "reminders": "1d",
            "question": "what is soap",
            "match_year": str(dt.datetime.now(dt.UTC).year + 2),
        }.get(name, "soap")
    if kind in (4, 10):
        if name == "match_year":
            return dt.datetime.now(dt.UTC).year + 2
        return spec.get("min_value") if spec.get("min_value") is not None else 3
    if kind == 5:
        return False
    if kind == 6:
        return emu.world.users["alice"]
    if kind == 7:
        return emu.world.channel("study-room") if not channel.is_dm else channel
    if kind == 8:
        return emu.world.role("Match 2027")
    raise AssertionError(f"no plausible value for option type {kind}")


def database_rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def configuration_commands(emu: Emulator, guild_id: int | None) -> list[tuple[RegisteredCommand, str, list[JsonDict]]]:
    found = []
    for command in emu.commands.available_in(guild_id):
        if command.type == 1 and command.default_member_permissions not in (None,):
            found.extend((command, path, specs) for path, specs in leaves(command))
    return found


async def test_configuration_commands_refuse_members_at_run_time(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")
    matrix = configuration_commands(emu, general.guild_id)
    assert {"announcements setup", "event add", "event remove", "studygroup-admin create", "knowledge report"} <= {
        path for _, path, _ in matrix
    }
    assert len(matrix) >= 15, [p for _, p, _ in matrix]
    for _, path, specs in matrix:
        options = {str(s["name"]): plausible(emu, s, general) for s in specs if s.get("required")}
        before_rows = database_rows(live.database)
        before_messages = {m.id for m in emu.store.by_id.values()}
        ix = await emu.slash(path, options, user=bob, channel=general, force=True)
        reply = await ix.response(timeout=10)
        assert reply.ephemeral, (path, reply)
        if path == "status":
            # Owner-only: the owner check decides, and says who the owners are.
            assert "Only the bot's owners" in reply.content and "OWNER_IDS" in reply.content, reply.content
        else:
            assert "permission" in reply.content and "moderator" in reply.content.lower(), (path, reply.content)
        assert ix.callback_at is not None and ix.delivered_at is not None
        assert ix.callback_at - ix.delivered_at < DISCORD_DEADLINE, path
        created = [m for m in emu.store.by_id.values() if m.id not in before_messages]
        assert all(m.ephemeral for m in created), (path, [m.text[:80] for m in created])
        assert database_rows(live.database) == before_rows, f"/{path} changed the database for a member"


async def test_moderators_pass_the_same_checks(live: Live) -> None:
    """The other half of the matrix: the same commands with a moderator are not refused for permissions."""
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    for _, path, specs in configuration_commands(emu, general.guild_id):
        if path.startswith("status"):
            continue  # owner-only: the bot's owners are configured, not server moderators
        options = {str(s["name"]): plausible(emu, s, general) for s in specs if s.get("required")}
        reply = await (await emu.slash(path, options, user=admin, channel=general)).response(timeout=10)
        assert "permission to" not in reply.content and "needs the **" not in reply.content, (path, reply.content)
        assert FAULT not in reply.text.lower(), (path, reply.text)


async def test_commands_in_direct_messages_work_or_are_not_offered(live: Live) -> None:
    emu = live.emu
    bob = emu.world.users["bob"]
    dm = emu.world.dm_channel_for(bob)
    offered = []
    for command in emu.commands.available_in(None):
        if command.type != 1:
            continue
        for path, specs in leaves(command):
            options = {str(s["name"]): plausible(emu, s, dm) for s in specs if s.get("required")}
            if not command.allowed_in_dm():
                with pytest.raises(InteractionError, match="not available in DMs"):
                    await emu.slash(path, options, user=bob, channel=dm)
                continue
            offered.append(path)
            ix = await emu.slash(path, options, user=bob, channel=dm)
            reply = await ix.response(timeout=10)
            assert ix.callback_at is not None and ix.delivered_at is not None
            assert ix.callback_at - ix.delivered_at < DISCORD_DEADLINE, path
            shown = reply.text if reply.kind != "modal" else "modal"
            assert shown.strip(), f"/{path} answered with nothing in a DM"
            assert FAULT not in shown.lower(), f"/{path} failed in a DM: {shown[:300]}"
            if path in WORK_IN_DMS:
                assert reply.embeds or reply.attachments, f"/{path} should work in a DM: {shown[:200]}"
    assert set(offered) >= WORK_IN_DMS, f"not offered in DMs: {WORK_IN_DMS - set(offered)}"
    assert len(offered) >= 15, offered
    guild_only = {path for c in emu.commands.available_in(None) if not c.allowed_in_dm() for path, _ in leaves(c)}
    assert {"event add", "studygroup join", "checkin", "progress"} <= guild_only
