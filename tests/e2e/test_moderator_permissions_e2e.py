"""Moderator commands decide on server-level permissions, not on what one channel grants, against the real bot.

The world adds to the default one what a real server has: Dana owns a channel of her own (a member overwrite gives her
Manage Channels there, as a temporary-channel bot does), so Discord shows her /studygroup-admin in that channel; Mo
holds Manage Channels from a role (Channel Mods) but is kept out of #staff by a role overwrite; Bob is muted in
#study-room by a member overwrite, and nobody but the bot may post in #announcements (an @everyone overwrite).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from discord_emulator import Emulator, Overwrite, OverwriteType, Perm, Reply, User, World
from discord_emulator.world import Channel
from tests.e2e.conftest import Live, running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def permissions_world() -> World:
    world = World.default()
    hall = world.guild("IMG Study Hall")
    dana = world.add_user("dana", "Dana")
    world.add_member(hall, dana)
    world.add_channel(
        hall, "danas-room", overwrites=[Overwrite(dana.id, OverwriteType.MEMBER, allow=int(Perm.MANAGE_CHANNELS))]
    )
    channel_mods = world.add_role(hall, "Channel Mods", permissions=int(Perm.MANAGE_CHANNELS))
    world.add_member(hall, world.add_user("mo", "Mo"), roles=[channel_mods])
    world.add_channel(
        hall, "staff", overwrites=[Overwrite(channel_mods.id, OverwriteType.ROLE, deny=int(Perm.MANAGE_CHANNELS))]
    )
    world.channel("study-room").overwrites.append(
        Overwrite(world.users["bob"].id, OverwriteType.MEMBER, deny=int(Perm.SEND_MESSAGES))
    )
    return world


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    database = tmp_path_factory.mktemp("bot") / "bot.sqlite3"
    async with Emulator(permissions_world()) as emu, running_bot(emu, database) as bot:
        yield Live(emu, bot, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


def groups(live: Live) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT * FROM study_groups ORDER BY id").fetchall()


async def run(emu: Emulator, command: str, options: dict[str, Any], *, user: User, channel: Channel) -> Reply:
    # No force=True anywhere here: each command is one Discord itself shows to this member in this channel.
    return await (await emu.slash(command, options, user=user, channel=channel)).response(timeout=10)


async def test_managing_one_channel_is_not_enough(live: Live) -> None:
    emu = live.emu
    world = emu.world
    owner, dana = world.users["dr_admin"], world.users["dana"]
    general, her_room = world.channel("general"), world.channel("danas-room")
    made = await run(
        emu, "studygroup-admin create", {"name": "Evening crew", "channel": general}, user=owner, channel=general
    )
    assert "created" in made.content, made.content
    before_rows = groups(live)
    before_messages = set(emu.store.by_id)

    attempts = [
        ("studygroup-admin create", {"name": "Dana's group", "channel": her_room}),
        ("studygroup-admin create", {"name": "Dana's group", "channel": general}),
        ("studygroup-admin edit", {"group": "Evening crew", "channel": her_room}),
        ("studygroup-admin edit", {"group": "Evening crew", "checkin_time": "06:00"}),
        ("studygroup-admin archive", {"group": "Evening crew"}),
        ("studygroup-admin unarchive", {"group": "Evening crew"}),
    ]
    for command, options in attempts:
        refused = await run(emu, command, options, user=dana, channel=her_room)
        assert refused.ephemeral, (command, refused)
        assert "**Manage Channels** permission for the whole server" in refused.content, (command, refused.content)
    assert groups(live) == before_rows, "a member who manages one channel changed study groups"
    created = [m for m in emu.store.by_id.values() if m.id not in before_messages]
    assert all(m.ephemeral for m in created), [m.text[:80] for m in created]


async def test_a_server_moderator_manages_groups(live: Live) -> None:
    emu = live.emu
    world = emu.world
    mo, general, room = world.users["mo"], world.channel("general"), world.channel("study-room")
    # Mo's Manage Channels comes from a role, and nothing else: not the owner, no Administrator, no Manage Server.
    created = await run(
        emu, "studygroup-admin create", {"name": "Morning crew", "channel": room}, user=mo, channel=general
    )
    assert created.ephemeral and "Morning crew" in created.content and "created" in created.content, created.content
    edited = await run(
        emu, "studygroup-admin edit", {"group": "Morning crew", "checkin_time": "07:30"}, user=mo, channel=general
    )
    assert "07:30" in edited.content, edited.content
    archived = await run(emu, "studygroup-admin archive", {"group": "Morning crew"}, user=mo, channel=general)
    assert "is archived" in archived.content, archived.content
    row = next(r for r in groups(live) if r[3] == "Morning crew")
    assert row[2] == room.id and row[5] == "07:30" and row[10] is not None, row


async def test_a_channel_deny_still_holds_for_a_moderator(live: Live) -> None:
    emu = live.emu
    world = emu.world
    owner, mo = world.users["dr_admin"], world.users["mo"]
    general, staff = world.channel("general"), world.channel("staff")
    refused = await run(
        emu, "studygroup-admin create", {"name": "Staff study", "channel": staff}, user=mo, channel=general
    )
    assert refused.ephemeral and f"**Manage Channels** permission in <#{staff.id}>" in refused.content, refused

    made = await run(
        emu, "studygroup-admin create", {"name": "Staff study", "channel": staff}, user=owner, channel=general
    )
    assert "created" in made.content, made.content
    before_rows = groups(live)
    for command, options in [
        ("studygroup-admin edit", {"group": "Staff study", "checkin_time": "05:00"}),
        ("studygroup-admin archive", {"group": "Staff study"}),
    ]:
        denied = await run(emu, command, options, user=mo, channel=general)
        assert denied.ephemeral and f"permission in <#{staff.id}>" in denied.content, (command, denied.content)
    assert groups(live) == before_rows


@pytest.mark.parametrize(
    ("who", "where"),
    [
        ("alice", "announcements"),  # @everyone may not send there; only the bot's role may
        ("bob", "study-room"),  # a member overwrite mutes Bob alone in this channel
    ],
)
async def test_no_group_quiz_where_the_member_cannot_send(live: Live, who: str, where: str) -> None:
    emu = live.emu
    user, channel = emu.world.users[who], emu.world.channel(where)
    before = set(emu.store.by_id)
    refused = await run(emu, "quiz start", {"mode": "group", "questions": 3}, user=user, channel=channel)
    assert refused.ephemeral, refused
    assert "You need the **Send Messages** permission in this channel to start a group quiz" in refused.content
    assert not [m for m in emu.store.by_id.values() if m.id not in before and not m.ephemeral], (
        f"the bot posted in #{where} for {who}"
    )
    # Nothing was left running: the channel is free for someone who may post there.
    stop = await run(emu, "quiz stop", {}, user=user, channel=channel)
    assert "no group quiz in this channel" in stop.content, stop.content
