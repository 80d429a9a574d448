"""Helpers for the fault and soak suites: a world of servers subscribed to announcements, written straight into the
bot's database before it starts (the same rows /announcements setup and /event add write), and the checks that
every announcement was delivered exactly once, with the nonce and reference of its delivery row.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from bot.db.connection import open_database
from bot.db.timestamps import to_db
from bot.scheduling.delivery import delivery_reference
from bot.text import escape_markdown
from bot.ui.channels import footer_references
from discord_emulator import Emulator, World
from discord_emulator.models import Message

SEND = "POST /channels/{channel_id}/messages"
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
LATE_AFTER = timedelta(minutes=2)
"""A scheduled message posted more than this after its time says so ("Posted late", README)."""


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


@dataclass(frozen=True)
class Subscribed:
    """The servers of a seeded world: guild id -> the #general channel its announcement goes to."""

    channels: dict[int, int]
    title: str

    @property
    def channel_ids(self) -> set[int]:
        return set(self.channels.values())


async def seed_announcements(
    database: Path,
    world: World,
    due: datetime,
    now: datetime,
    *,
    title: str,
    study_group_in: int | None = None,
    every: int = 1,
) -> Subscribed:
    """Every server of `world` (or every `every`-th) subscribed to announcements in #general with one server event
    due at `due` (reminder 0: exactly one message per server). With `study_group_in` (a guild id), that server also
    gets a study group checking in in #study-room, so /checkin opens its modal there."""
    conn = await open_database(database)
    channels: dict[int, int] = {}
    try:
        stamp = to_db(now)
        for guild in world.bot_guilds()[::every]:
            general = guild.channel("general")
            channels[guild.id] = general.id
            await conn.execute(
                "INSERT INTO milestone_subscriptions (guild_id, channel_id, role_id, reminders, status, configured_by, "
                "active_since, created_at, updated_at) VALUES (?, ?, NULL, NULL, 'active', ?, ?, ?, ?)",
                (guild.id, general.id, guild.owner_id, stamp, stamp, stamp),
            )
            await conn.execute(
                "INSERT INTO server_events (guild_id, channel_id, title, description, starts_at, zone, reminders, "
                "status, created_by, created_at) VALUES (?, ?, ?, '', ?, 'UTC', '0', 'active', ?, ?)",
                (guild.id, general.id, title, to_db(due), guild.owner_id, stamp),
            )
        if study_group_in is not None:
            room = world.guilds[study_group_in].channel("study-room")
            await conn.execute(
                "INSERT INTO study_groups (guild_id, channel_id, name, name_key, checkin_time, timezone, weekdays, "
                "created_at, updated_at) VALUES (?, ?, 'Soak crew', 'soak crew', '03:00', 'UTC', 'sun', ?, ?)",
                (study_group_in, room.id, stamp, stamp),
            )
        await conn.commit()
    finally:
        await conn.close()
    return Subscribed(channels, title)


def announcements_in(emu: Emulator, channel_id: int, title: str) -> list[Message]:
    return [
        m
        for m in emu.store.in_channel(channel_id)
        # A moderator's title is posted markdown-escaped ("Kill\\-proof"): members see it without the backslashes.
        if m.author.id == emu.world.bot.id and any(escape_markdown(title) in (e.get("title") or "") for e in m.embeds)
    ]


def delivered_counts(emu: Emulator, subscribed: Subscribed) -> Counter[int]:
    """Announcement messages per #general channel (0 for none)."""
    return Counter({cid: len(announcements_in(emu, cid, subscribed.title)) for cid in subscribed.channel_ids})


def exactly_once_problems(emu: Emulator, subscribed: Subscribed, database: Path) -> list[str]:
    """Everything wrong with the outcome: a server without its announcement or with two, a delivery row not `sent`,
    or a message whose nonce, footer reference or id does not match its row. Empty when all is well."""
    problems: list[str] = []
    rows = {
        int(r[0]): (r[1], r[2], r[3])
        for r in query(database, "SELECT guild_id, status, nonce, message_id FROM deliveries WHERE target_kind='event'")
    }
    for guild_id, channel_id in subscribed.channels.items():
        messages = announcements_in(emu, channel_id, subscribed.title)
        row = rows.get(guild_id)
        if len(messages) != 1:
            problems.append(f"server {guild_id}: {len(messages)} announcement messages (row {row})")
            continue
        message = messages[0]
        if row is None:
            problems.append(f"server {guild_id}: posted (message {message.id}) but no delivery row")
            continue
        status, nonce, message_id = row
        if status != "sent" or message_id != message.id:
            problems.append(f"server {guild_id}: row {status} with message {message_id}, posted {message.id}")
        if message.nonce != nonce:
            problems.append(f"server {guild_id}: message nonce {message.nonce!r} is not the row's {nonce!r}")
        # The reference is in the footer's icon URL, where the bot looks for it after a crash (bot/ui/channels.py).
        embeds = [discord.Embed.from_dict(e) for e in message.embeds]
        if not any(delivery_reference(nonce) in footer_references(e) for e in embeds):
            footers = [e.get("footer") for e in message.embeds]
            problems.append(f"server {guild_id}: footer {footers!r} lacks reference {delivery_reference(nonce)}")
    return problems


def sent_late(message: Message) -> bool:
    return any("Posted late" in (e.get("description") or "") for e in message.embeds)


def late_mark_problems(message: Message, due: datetime, what: str, *, believed: timedelta = timedelta(0)) -> list[str]:
    """A message says "late" when it went out more than two minutes after its time (a second either side of the
    threshold is the bot's decision to make: it decides when it hands the message over, the emulator stamps it on
    arrival). ``believed``: how far the bot's clock was moved ahead when it posted (the test clock hook)."""
    delay = message.created_at + believed - due
    if abs(delay - LATE_AFTER) <= timedelta(seconds=2):
        return []
    expected = delay > LATE_AFTER
    if sent_late(message) != expected:
        return [f"{what}: posted {delay.total_seconds():.0f} s after its time, marked late: {sent_late(message)}"]
    return []


PROMPT_KIND = "studygroup-prompt"


async def seed_study_groups(
    database: Path, world: World, due: datetime, now: datetime, *, name: str, servers: int | None = None
) -> dict[int, int]:
    """A study group in every server of `world` (or its first `servers`), checking in daily in #study-room at `due`
    (UTC, to the second: the stored form /studygroup-admin create writes for HH:MM:SS). Returns guild id -> the
    #study-room channel id."""
    conn = await open_database(database)
    rooms: dict[int, int] = {}
    try:
        stamp = to_db(now)
        for guild in world.bot_guilds()[:servers]:
            room = guild.channel("study-room")
            rooms[guild.id] = room.id
            await conn.execute(
                "INSERT INTO study_groups (guild_id, channel_id, name, name_key, checkin_time, timezone, weekdays, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'UTC', 'mon,tue,wed,thu,fri,sat,sun', ?, ?)",
                (guild.id, room.id, name, name.lower(), f"{due.astimezone(UTC):%H:%M:%S}", stamp, stamp),
            )
        await conn.commit()
    finally:
        await conn.close()
    return rooms


def prompts_in(emu: Emulator, channel_id: int, name: str) -> list[Message]:
    return [
        m
        for m in emu.store.in_channel(channel_id)
        if m.author.id == emu.world.bot.id and any(e.get("title") == f"Check-in time: {name}" for e in m.embeds)
    ]


def prompt_problems(emu: Emulator, rooms: dict[int, int], database: Path, name: str) -> list[str]:
    """Like `exactly_once_problems`, for study-group prompts: one per room, its row sent with that message's id and
    the message carrying the row's nonce."""
    problems: list[str] = []
    rows = {
        int(r[0]): (r[1], r[2], r[3])
        for r in query(
            database, "SELECT guild_id, status, nonce, message_id FROM deliveries WHERE target_kind = ?", PROMPT_KIND
        )
    }
    for guild_id, room_id in rooms.items():
        messages = prompts_in(emu, room_id, name)
        row = rows.get(guild_id)
        if len(messages) != 1 or row is None:
            problems.append(f"server {guild_id}: {len(messages)} prompts (row {row})")
            continue
        status, nonce, message_id = row
        if status != "sent" or message_id != messages[0].id or messages[0].nonce != nonce:
            problems.append(
                f"server {guild_id}: row {status} with message {message_id} and nonce {nonce!r}; posted "
                f"{messages[0].id} with nonce {messages[0].nonce!r}"
            )
    return problems
