"""Who may run what, decided one way for every command.

Discord resolves an interaction's ``permissions`` in the channel the command was used in, channel overwrites
included, and ``app_commands.checks.has_permissions`` reads exactly those. A member given Manage Channels on one
channel (a temporary channel they own, say) would pass such a check there and then change things for the whole
server. So moderator commands check the member's permissions for the whole server: what their roles grant (the
owner and Administrator have everything), ignoring every channel's overwrites. Where a command points the bot at a
channel, the member's permissions in that channel are checked as well, so a channel's own deny is respected too.

A refusal is a ``PermissionRefused``: a short private message that names the permission, through the shared error
path (``bot.ui.errors``), like any other mistake the member can do something about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.ui.interaction import Interaction
from bot.validation import UserInputError

T = TypeVar("T")


class PermissionRefused(app_commands.CheckFailure, UserInputError):
    """The member lacks a permission the command needs; the message names it.

    A CheckFailure so discord.py routes it from a check to the tree's error handler; a UserInputError so the shared
    error path shows its message as it is (a mistake the member can act on, never logged as a fault).
    """


def permission_names(names: list[str]) -> str:
    """Discord's own labels: ``manage_guild`` is "Manage Server" in the server settings."""
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in names)


def lacking(granted: discord.Permissions, needed: dict[str, bool]) -> list[str]:
    return [name for name, wanted in needed.items() if wanted and not getattr(granted, name)]


def _checked_names(perms: dict[str, bool]) -> dict[str, bool]:
    unknown = set(perms) - set(discord.Permissions.VALID_FLAGS)
    if unknown:
        raise TypeError(f"unknown permissions: {', '.join(sorted(unknown))}")
    return perms


def server_permissions(interaction: Interaction) -> discord.Permissions | None:
    """The member's permissions for the whole server (their roles; all for the owner and Administrator; reduced
    while timed out), or None when they cannot be known here: outside a server, or before the bot has this
    server's roles (at start-up, or when the bot is not in the server)."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return None
    # discord.py builds the member on the cached server when it has one; without it the roles are unknown and
    # guild_permissions would read as "none", which would blame the member for what the bot does not know yet.
    if interaction.client.get_guild(interaction.guild_id) is None:
        return None
    return member.guild_permissions


def has_server_permissions(interaction: Interaction, **perms: bool) -> bool:
    """Whether the member holds ``perms`` for the whole server (False when that cannot be known)."""
    granted = server_permissions(interaction)
    return granted is not None and not lacking(granted, _checked_names(perms))


def require_server_permissions(interaction: Interaction, **perms: bool) -> None:
    """Refuse (``PermissionRefused``) unless the member holds ``perms`` for the whole server."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    granted = server_permissions(interaction)
    if granted is None:
        raise UserInputError(
            "I can't see this server's roles yet, so I can't check your permissions. Try again in a minute."
        )
    missing = lacking(granted, _checked_names(perms))
    if missing:
        raise PermissionRefused(
            f"This command needs the **{permission_names(missing)}** permission for the whole server (from one of "
            "your roles); having it in a single channel is not enough. Ask a server moderator to run it."
        )


class ServerPermissionCheck:
    """A command's run-time check: the member holds ``needed`` for the whole server (``server_permissions_check``).

    A class rather than a closure so a guard test can read what each command checks and compare it with what the
    command declares to Discord.
    """

    def __init__(self, needed: dict[str, bool]) -> None:
        self.needed = _checked_names(needed)

    @property
    def permissions(self) -> discord.Permissions:
        return discord.Permissions(**self.needed)

    def __call__(self, interaction: Interaction) -> bool:
        require_server_permissions(interaction, **self.needed)
        return True


def server_permissions_check(**perms: bool) -> Callable[[T], T]:
    """The run-time check of every moderator command, in place of ``app_commands.checks.has_permissions``.

    Pair it with ``default_permissions`` (which only hides the command, and a server's admins can change it).
    """
    return app_commands.check(ServerPermissionCheck(perms))


def require_channel_permissions(
    member: discord.Member, channel: discord.abc.GuildChannel | discord.Thread, **perms: bool
) -> None:
    """Refuse unless ``member`` holds ``perms`` in ``channel`` (its overwrites applied; a thread's are its parent's)."""
    missing = lacking(channel.permissions_for(member), _checked_names(perms))
    if isinstance(channel, discord.ForumChannel):
        # Send Messages is labelled Create Posts in a forum's settings, where the member or a moderator will look.
        missing = ["create_posts" if name == "send_messages" else name for name in missing]
    if missing:
        raise PermissionRefused(f"You need the **{permission_names(missing)}** permission in {channel.mention}.")


def require_member_can_send_here(interaction: Interaction, doing: str) -> None:
    """Refuse unless the member may send messages in the interaction's channel, for commands that make the bot
    post there on their behalf (``doing`` says what, e.g. "start a group quiz")."""
    # Discord resolves interaction.permissions in this very channel (overwrites and timeouts applied), which is
    # the question here; in a thread, sending is its own permission.
    perms = interaction.permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    send = "send_messages_in_threads" if in_thread else "send_messages"
    missing = lacking(perms, {"view_channel": True, send: True})
    if missing:
        raise PermissionRefused(
            f"You need the **{permission_names(missing)}** permission in this channel to {doing} here."
        )
