"""/announcements scheduled-events against the real bot process: Discord scheduled events for Match Week, SOAP and
Match Day of the current and next cycle, made once each with the calendar's times; no duplicates after a restart or
after a crash between creating one and recording it; a clear private answer when the bot lacks Manage Events; a
refusal Discord gives later stops only the events and is told to the admin by DM."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cycle import CycleCalendar
from bot.milestones.discord_event_plan import plan_discord_events
from bot.scheduling import CRASH_AFTER_SEND_ENV
from discord_emulator import Emulator, Perm, Reply, World
from discord_emulator.permissions import BOT_DEFAULT
from discord_emulator.world import Guild, User
from tests.conftest import DATA_DIR
from tests.e2e.conftest import running_bot

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]

CALENDAR = CycleCalendar.from_directory(DATA_DIR / "cycles")
WITHOUT_EVENTS = int(BOT_DEFAULT) & ~int(Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS)


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def world() -> World:
    """The default world plus two servers of events_admin: one where the bot was invited without Manage Events."""
    built = World.default()
    owner = built.add_user("events_admin", "Events Admin")
    for name, permissions in (("Residency Prep", int(BOT_DEFAULT)), ("No Events Hall", WITHOUT_EVENTS)):
        guild = built.add_guild(name, owner, bot_permissions=permissions)
        built.add_channel(guild, "general")
    return built


async def reply_of(emu: Emulator, command: str, options: dict[str, Any], user: User, guild: Guild) -> Reply:
    channel = next(c for c in guild.channels.values() if c.name in ("general", "lobby"))
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


async def set_up(emu: Emulator, user: User, guild: Guild) -> None:
    channel = next(c for c in guild.channels.values() if c.name in ("general", "lobby"))
    done = await reply_of(emu, "announcements setup", {"channel": channel}, user, guild)
    assert done.embeds and done.embeds[0]["title"] == "Milestone announcements are on", done.content


def expected_events() -> list[tuple[str, str, str]]:
    return [
        (plan.name, plan.start.isoformat(), plan.end.isoformat())
        for plan in plan_discord_events(CALENDAR, datetime.now(UTC), lambda _: None)
    ]


def events_in(guild: Guild) -> list[tuple[str, str, str]]:
    return sorted(
        (
            (e.name, e.scheduled_start_time.isoformat(), (e.scheduled_end_time or e.scheduled_start_time).isoformat())
            for e in guild.scheduled_events.values()
        ),
        key=lambda event: (event[1], event[0]),
    )


async def test_made_once_each_with_the_calendars_times_even_after_a_restart_or_a_crash(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(world()) as emu:
        hall, owls = emu.world.guild("IMG Study Hall"), emu.world.guild("Night Owls Study Group")
        admin, night_admin = emu.world.users["dr_admin"], emu.world.users["night_admin"]
        general = emu.world.channel("general")
        expected = expected_events()
        # Three for the current cycle and three for the next while all are ahead; fewer once this cycle's have passed.
        n = len(expected)
        assert 3 <= n <= 6

        async with running_bot(emu, database, name="first") as bot:
            first = await reply_of(emu, "announcements scheduled-events", {"enabled": True}, admin, hall)
            assert first.ephemeral and "`/announcements setup channel:`" in first.content
            await set_up(emu, admin, hall)
            on = await reply_of(emu, "announcements scheduled-events", {"enabled": True}, admin, hall)
            assert on.ephemeral and "Events tab" in on.content and on.content.count("\n- ") == n
            assert "(projected date)" in on.content
            # Made by the opt-in's run or the start-up one, whichever comes first; the other finds nothing to do.
            await bot.wait_for_output(rf"discord events .*: 1 server\(s\), {n} created \(0 recovered\)")
            assert events_in(hall) == sorted(expected, key=lambda event: (event[1], event[0]))
            for event in hall.scheduled_events.values():
                assert (event.entity_type, event.privacy_level, event.creator_id) == (3, 2, emu.world.bot.id)
                assert event.location is not None and event.location.startswith("https://www.nrmp.org/")
                assert event.description is not None and event.description.startswith("Projected date")
            # Switched on again: nothing new.
            again = await emu.slash("announcements scheduled-events", {"enabled": True}, user=admin, channel=general)
            # It used to say "Switched on" again.
            assert (await again.response()).content.startswith("Already on. I add these")
            await bot.wait_for_output(rf"discord events opt-in \d+: 1 server\(s\), 0 created .*interaction={again.id}")
            assert len(hall.scheduled_events) == n
            status = await reply_of(emu, "announcements status", {}, admin, hall)
            events_line = next(
                f["value"] for f in status.embeds[0]["fields"] if f["name"] == "Discord scheduled events"
            )
            # What is promised, not a claim that every milestone is already there (dates may not be known yet).
            assert events_line == (
                "✅ On: I add Match Week, SOAP and Match Day to this server's Events tab when their dates are known."
            )
            assert status.embeds[0]["footer"]["text"] == "0 upcoming server events · /event list"

        async with running_bot(emu, database, name="restarted") as bot:
            await bot.wait_for_output(r"discord events start-up: 1 server\(s\), 0 created")
            assert len(hall.scheduled_events) == n

        # Killed right after Discord made the first event, before the bot recorded it.
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            await set_up(emu, night_admin, owls)
            await reply_of(emu, "announcements scheduled-events", {"enabled": True}, night_admin, owls)
            assert await crashing.wait_exit(timeout=15) == 9
        assert len(owls.scheduled_events) == 1
        assert query(database, "SELECT status FROM deliveries WHERE guild_id = ?", owls.id) == [("claimed",)]

        async with running_bot(emu, database, name="recovered") as bot:
            await bot.wait_for_output(
                rf"discord events start-up: 2 server\(s\), {n} created \(1 recovered\)", timeout=15
            )
        assert events_in(owls) == events_in(hall) and len(owls.scheduled_events) == n
        assert query(database, "SELECT COUNT(*) FROM milestone_discord_events") == [(12,)]
        assert query(database, "SELECT DISTINCT status FROM deliveries WHERE target_kind = 'discord-event'") == [
            ("sent",)
        ]
        emu.assert_clean()


async def test_without_manage_events_the_admin_is_told_how_to_fix_it(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(world()) as emu:
        owner = emu.world.users["events_admin"]
        no_events, prep = emu.world.guild("No Events Hall"), emu.world.guild("Residency Prep")
        async with running_bot(emu, database) as bot:
            await set_up(emu, owner, no_events)
            refused = await reply_of(emu, "announcements scheduled-events", {"enabled": True}, owner, no_events)
            assert refused.ephemeral and "**Manage Events**" in refused.content
            assert "`/announcements scheduled-events enabled:True`" in refused.content
            assert query(database, "SELECT COUNT(*) FROM milestone_discord_event_settings") == [(0,)]

            # The cache still says yes, Discord says no: only the events stop, and the admin is told by DM.
            await set_up(emu, owner, prep)
            emu.world.bot_role(prep).permissions = WITHOUT_EVENTS
            accepted = await reply_of(emu, "announcements scheduled-events", {"enabled": True}, owner, prep)
            assert accepted.ephemeral and "Events tab" in accepted.content
            dm = await emu.wait_for_message(
                emu.world.dm_channel_for(owner), lambda m: "Manage Events" in m.text, timeout=15
            )
            assert "Residency Prep" in dm.text and "announcements go on" in dm.text and dm.pings == []
            await bot.wait_for_output(r"discord events .*: \d server\(s\), 0 created .* \d refused")
            assert prep.scheduled_events == {}
            assert query(
                database, "SELECT problem FROM milestone_discord_event_settings WHERE guild_id = ?", prep.id
            ) == [("no-permission",)]
            assert query(database, "SELECT status FROM milestone_subscriptions WHERE guild_id = ?", prep.id) == [
                ("active",)
            ]
            status = await reply_of(emu, "announcements status", {}, owner, prep)
            events_line = next(
                f["value"] for f in status.embeds[0]["fields"] if f["name"] == "Discord scheduled events"
            )
            assert "Stopped" in events_line and "**Manage Events**" in events_line

            off = await reply_of(emu, "announcements scheduled-events", {"enabled": False}, owner, prep)
            assert off.ephemeral and "won't add" in off.content
            off_again = await reply_of(emu, "announcements scheduled-events", {"enabled": False}, owner, prep)
            assert off_again.content.startswith("Already off: I don't add")
            status = await reply_of(emu, "announcements status", {}, owner, prep)
            events_line = next(
                f["value"] for f in status.embeds[0]["fields"] if f["name"] == "Discord scheduled events"
            )
            assert events_line.startswith("Off.")
        emu.assert_clean()
