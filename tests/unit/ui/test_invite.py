"""The invite link asks for exactly the permissions the features use: the set is pinned here, and the code is searched
for the calls that would need one more (or one less)."""

from __future__ import annotations

import re

import discord

from bot.ui.invite import NEEDED_PERMISSIONS, invite_text, invite_url, needed_permissions
from tests.conftest import REPO_ROOT

PINNED = {
    "view_channel",
    "send_messages",
    "embed_links",
    "attach_files",
    "read_message_history",
    "send_messages_in_threads",
    "create_public_threads",
    "manage_events",
}


def test_the_permission_set_and_its_integer_are_pinned() -> None:
    assert {p.flag for p in NEEDED_PERMISSIONS} == PINNED
    assert all(getattr(needed_permissions(), flag) for flag in PINNED)
    assert needed_permissions().value.bit_count() == len(PINNED)  # nothing more
    assert needed_permissions().value == 317827697664
    assert needed_permissions().value == sum(getattr(discord.Permissions, flag).flag for flag in PINNED)


def test_the_url_has_both_scopes_and_the_integer() -> None:
    assert invite_url(123456789012345678) == (
        "https://discord.com/oauth2/authorize?client_id=123456789012345678"
        "&scope=bot+applications.commands&permissions=317827697664"
    )


def test_every_permission_is_listed_with_why() -> None:
    text = invite_text(123456789012345678)
    for permission in NEEDED_PERMISSIONS:
        (line,) = [row for row in text.splitlines() if row.startswith(f"  {permission.name}  ")]
        assert permission.why in line and len(permission.why) > 20
    scopes = text.split("Scopes:\n")[1].split("Permissions")[0].split()
    assert scopes[0] == "bot" and "applications.commands" in scopes


def _runtime_source() -> str:
    """Every module that runs in a server (the emulator, discord_emulator/, is not one)."""
    files = [*(REPO_ROOT / "cogs").rglob("*.py"), *(REPO_ROOT / "bot").rglob("*.py")]
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.name != "invite.py")


def _uses(pattern: str, source: str) -> bool:
    return re.search(pattern, source) is not None


def test_the_set_follows_what_the_code_does() -> None:
    source = _runtime_source()
    needs = {
        # A thread the bot creates needs Create Public Threads; posting in one, Send Messages in Threads.
        "create_public_threads": _uses(r"\.create_thread\(", source),
        "send_messages_in_threads": _uses(r"discord\.Thread\b", source),
        "manage_events": _uses(r"create_guild_scheduled_event|create_scheduled_event", source),
        "attach_files": _uses(r"discord\.File\(", source),
        "read_message_history": _uses(r"\.history\(", source),
        "embed_links": _uses(r"discord\.Embed\(", source),
        "add_reactions": _uses(r"\.add_reaction\(", source),
        "manage_messages": _uses(r"\.pin\(|\.purge\(", source),
        "manage_roles": _uses(r"\.add_roles\(|\.remove_roles\(", source),
    }
    assert {flag for flag, used in needs.items() if used} == PINNED & set(needs)
