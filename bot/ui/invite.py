"""The invite link (``imgbot invite``): the ``bot`` and ``applications.commands`` scopes and exactly the permissions the
features use, each with the reason a server's owner reads before granting it.

A permission belongs here only if some feature needs it; tests/unit/ui/test_invite.py pins the set and checks the code
for the calls that would need one more (a thread created, a scheduled event made, a file sent).
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = (
    ("bot", "the bot joins the server"),
    ("applications.commands", "its slash commands appear in the server (without it no command shows up)"),
)


@dataclass(frozen=True)
class NeededPermission:
    flag: str
    """The discord.Permissions attribute."""
    name: str
    """As Discord's role and channel settings show it."""
    why: str


NEEDED_PERMISSIONS = (
    NeededPermission(
        "view_channel", "View Channel", "see the channels it posts in (announcements, study-group prompts, quizzes)"
    ),
    NeededPermission(
        "send_messages",
        "Send Messages",
        "post milestone announcements, study-group check-ins and recaps, group quiz questions, shared screens",
    ),
    NeededPermission("embed_links", "Embed Links", "every post it makes is an embed (with its sources and dates)"),
    NeededPermission(
        "attach_files", "Attach Files", "send calendar files (.ics: /milestones calendar, /timeline) and /mydata export"
    ),
    NeededPermission(
        "read_message_history",
        "Read Message History",
        "after a crash, find its own post in the channel before posting again, so nothing is posted twice",
    ),
    NeededPermission(
        "send_messages_in_threads",
        "Send Messages in Threads",
        "a study group's prompts and a group quiz can run in a thread",
    ),
    NeededPermission(
        "create_public_threads",
        "Create Public Threads",
        "Ask the community in a text help channel: each question gets its own thread",
    ),
    NeededPermission(
        "manage_events",
        "Manage Events",
        "add Match Week, SOAP and Match Day to the server's Events tab (/announcements scheduled-events), and keep "
        "them up to date",
    ),
)

NOT_ASKED_FOR = (
    (
        "Mention @everyone, @here and All Roles",
        "announcements ping only the role a moderator picks; let that role be mentioned in its settings instead",
    ),
    (
        "Manage Threads and Manage Channels",
        "only in the help channel, if you like: they let a marked answer tag its post Answered and add the stage tags "
        "to a forum; questions are posted without them",
    ),
)


def needed_permissions() -> discord.Permissions:
    return discord.Permissions(**{p.flag: True for p in NEEDED_PERMISSIONS})


def invite_url(client_id: int) -> str:
    scope = "+".join(name for name, _ in SCOPES)
    return f"{AUTHORIZE_URL}?client_id={client_id}&scope={scope}&permissions={needed_permissions().value}"


def invite_text(client_id: int) -> str:
    """What ``imgbot invite`` prints: the link, then each scope and permission with why."""
    width = max(len(p.name) for p in NEEDED_PERMISSIONS)
    lines = [
        invite_url(client_id),
        "",
        "Open the link as the server's owner (or with Manage Server), pick the server, and authorize.",
        "",
        "Scopes:",
        *(f"  {name:<{width}}  {why}" for name, why in SCOPES),
        f"Permissions ({needed_permissions().value}):",
        *(f"  {p.name:<{width}}  {p.why}" for p in NEEDED_PERMISSIONS),
        "Not asked for:",
        *(f"  {name}: {why}" for name, why in NOT_ASKED_FOR),
    ]
    return "\n".join(lines)
