"""Nasty input through the emulator against the real bot process: every command, every string and number option,
the check-in modal's fields, and a cooldown being hit.

The commands are read from what the bot registered, so a new command is covered without touching this file. For
each one a few values from a fixed list (tests/unit/nasty.py: pings in disguise, other scripts, markdown, blanks,
out-of-range numbers) are sent as a moderator in #general. Every interaction must be answered within Discord's
3 seconds, never with the "something went wrong" fault message, and nothing the bot sends may ping or carry a
mention a client would render. The emulator's contract checks (conftest) catch replies beyond Discord's limits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from bot.text import would_ping
from discord_emulator import Emulator
from discord_emulator.commands import SUB_COMMAND, SUB_COMMAND_GROUP, RegisteredCommand
from discord_emulator.interactions import Interaction, Reply
from discord_emulator.models import JsonDict, Message
from discord_emulator.world import Channel
from tests.e2e.conftest import Live
from tests.unit.nasty import NASTY_SAMPLES

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

FAULT = "something went wrong on my side"
ROUNDS = 3
"""Calls per command; each round gives every option a different nasty value."""
DISCORD_DEADLINE = 3.0
INTEGERS = (0, -1, 1, 2**31, -(2**53) + 1, 2**53 - 1, 2027)


def leaves(command: RegisteredCommand) -> Iterator[tuple[str, list[JsonDict]]]:
    """Every invocable path of a command ("quiz start") with its options."""

    def walk(prefix: list[str], options: list[JsonDict]) -> Iterator[tuple[str, list[JsonDict]]]:
        subs = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            yield " ".join(prefix), options
            return
        for sub in subs:
            yield from walk([*prefix, str(sub["name"])], list(sub.get("options") or []))

    yield from walk([command.name], command.options)


def nasty_strings(emu: Emulator) -> list[str]:
    role, user = emu.world.role("Match 2027"), emu.world.users["bob"]
    return [s.replace("{role}", str(role.id)).replace("{user}", str(user.id)) for s in NASTY_SAMPLES]


def fit(text: str, spec: JsonDict) -> str:
    low, high = int(spec.get("min_length") or 1), int(spec.get("max_length") or 6000)
    text = text[:high]
    return text if len(text) >= low else (text + "x" * low)[:high]


def option_value(emu: Emulator, spec: JsonDict, round_: int, position: int, strings: list[str]) -> Any:
    kind = int(spec.get("type") or 3)
    choices = spec.get("choices")
    if choices:
        return choices[(round_ + position) % len(choices)]["value"]
    if kind == 3:
        return fit(strings[(round_ * 7 + position * 3) % len(strings)], spec)
    if kind in (4, 10):
        low, high = spec.get("min_value"), spec.get("max_value")
        value = INTEGERS[(round_ * 3 + position) % len(INTEGERS)]
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        return value
    if kind == 5:
        return round_ % 2 == 0
    if kind == 6:
        return emu.world.users[("bob", "alice", "carol")[round_ % 3]]
    if kind == 7:
        return emu.world.channel("general")
    if kind == 8:
        return emu.world.role("Match 2027")
    raise AssertionError(f"option type {kind} of {spec.get('name')} has no nasty values here yet")


def everything_shown(message: Message) -> str:
    """Content, embeds (author and footer included) and component labels: all a client would render."""
    parts: list[str] = [message.content or ""]

    def collect(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in ("url", "icon_url", "proxy_icon_url", "custom_id", "type", "color"):
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(message.embeds)
    collect(message.components)
    return "\n".join(parts)


def assert_answered_safely(ix: Interaction, reply: Reply, what: str) -> None:
    assert ix.delivered_at is not None and ix.callback_at is not None, what
    waited = ix.callback_at - ix.delivered_at
    assert waited < DISCORD_DEADLINE, f"{what}: answered after {waited:.2f}s"
    for message in ix.messages or ([reply.message] if reply.message else []):
        shown = everything_shown(message)
        assert FAULT not in shown.lower(), f"{what} hit a fault: {shown[:300]}"
        assert not message.pings, (what, message.pings)
        assert not would_ping(shown), f"{what} shows a mention: {shown[:300]!r}"


def assert_nothing_pinged(emu: Emulator) -> None:
    for message in emu.store.by_id.values():
        assert not message.pings, (message.content, message.pings)


async def test_every_command_survives_nasty_options(live: Live) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    strings = nasty_strings(emu)
    commands = [c for c in emu.commands.available_in(general.guild_id) if c.type == 1]
    tried: set[str] = set()
    for command in commands:
        for path, specs in leaves(command):
            if path == "mydata delete":
                continue  # only asks for a confirmation; nothing typed
            for round_ in range(ROUNDS):
                options = {
                    str(spec["name"]): option_value(emu, spec, round_, position, strings)
                    for position, spec in enumerate(specs)
                    if spec.get("required") or round_ > 0
                }
                what = f"/{path} {options!r}"
                ix = await emu.slash(path, options, user=admin, channel=general)
                reply = await ix.response(timeout=10)
                assert_answered_safely(ix, reply, what)
                tried.add(path)
    assert {"ask", "event add", "quiz start", "timeline", "studygroup-admin create"} <= tried
    assert_nothing_pinged(emu)


async def test_nasty_autocomplete_never_fails(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    strings = nasty_strings(emu)
    for command in emu.commands.available_in(general.guild_id):
        for path, specs in leaves(command):
            for spec in specs:
                if not spec.get("autocomplete"):
                    continue
                for text in strings[:: max(1, len(strings) // 6)]:
                    choices = await emu.autocomplete(path, {str(spec["name"]): text[:100]}, user=alice, channel=general)
                    assert len(choices) <= 25
                    for choice in choices:
                        assert 1 <= len(str(choice["name"])) <= 100, (path, choice)
                        assert not would_ping(str(choice["name"])), (path, choice)


async def test_checkin_modal_fields_take_anything(live: Live) -> None:
    emu = live.emu
    admin, alice = emu.world.users["dr_admin"], emu.world.users["alice"]
    room: Channel = emu.world.channel("study-room")
    created = await (
        await emu.slash(
            "studygroup-admin create", {"name": "Bad input crew", "channel": room}, user=admin, channel=room
        )
    ).response()
    assert created.ephemeral and FAULT not in created.content.lower()
    strings = nasty_strings(emu)
    fields = ("studied", "questions", "percent", "hours", "blockers")
    for round_, offset in enumerate(itertools.islice(itertools.count(0, 5), 6)):
        opened = await (await emu.slash("checkin", user=alice, channel=room)).response()
        assert opened.kind == "modal" and opened.modal is not None, opened
        values: dict[str, str] = {}
        for position, name in enumerate(fields):
            limit = opened.modal.field(name).max_length or 4000
            text = strings[(offset + position * (round_ + 1)) % len(strings)][:limit]
            if name == "studied" and not text.strip():
                text = (text + " UWorld")[:limit]
            values[name] = text
        ix = await emu.submit_modal(opened, values, user=alice)
        reply = await ix.response(timeout=10)
        assert reply.ephemeral, reply
        assert_answered_safely(ix, reply, f"check-in {values!r}")
    assert_nothing_pinged(emu)


async def test_a_cooldown_answers_privately_with_when_to_try_again(live: Live) -> None:
    emu = live.emu
    carol, general = emu.world.users["carol"], emu.world.channel("general")
    replies = [await (await emu.slash("milestones calendar", user=carol, channel=general)).response() for _ in range(6)]
    assert all(r.attachments for r in replies[:5]), [r.content for r in replies]
    refused = replies[5]
    assert refused.ephemeral and not refused.attachments
    assert "/milestones calendar" in refused.content and "<t:" in refused.content and ":R>" in refused.content
    # Other members and other commands are not affected.
    other = await (await emu.slash("milestones calendar", user=emu.world.users["bob"], channel=general)).response()
    assert other.attachments
