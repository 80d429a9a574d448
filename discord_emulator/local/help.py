"""``help``: the slash commands the person sees where they are, with the ones Discord would hide from them marked,
and local mode's own lines; ``help /name`` details one command's options."""

from __future__ import annotations

from discord_emulator.commands import RegisteredCommand
from discord_emulator.local.console import ConsoleError, chat_commands, describe_leaf, hidden_reason, leaves
from discord_emulator.local.display import bold, dim
from discord_emulator.local.viewpoint import Viewpoint
from discord_emulator.permissions import ALL_PERMISSIONS, Perm
from discord_emulator.world import ChannelType


def help_lines(available: list[RegisteredCommand], here: Viewpoint, topic: str | None) -> list[str]:
    """What ``help`` (or ``help TOPIC``) prints, given the commands ``available`` where the person is."""
    world, user, channel = here.world, here.user, here.channel
    commands = chat_commands(available)
    all_leaves = [leaf for c in commands for leaf in leaves(c)]
    if topic:
        wanted = topic.strip().lstrip("/").lower()
        matching = [leaf for leaf in all_leaves if leaf.qualified_name.startswith(wanted)]
        if not matching:
            raise ConsoleError(f"no command /{wanted}; `help` lists them all")
        return [line for leaf in matching for line in describe_leaf(leaf, detailed=True)]
    lines = [bold(f"Slash commands ({user.username} in {here.where()}):")]
    for leaf in all_leaves:
        described = describe_leaf(leaf, detailed=False)
        hidden = hidden_reason(leaf.command, world, user, channel)
        if hidden is not None:
            described[0] += dim(f"   (Discord hides it from {user.username}: {hidden})")
        lines += ["  " + line for line in described]
    if not all_leaves:
        lines.append("  (none: the bot registered no commands for this place)")
    guild = world.guild_of(channel) or world.guild()
    people = []
    for member in guild.members.values():
        if member.user.bot:
            continue
        perms = world.base_permissions(guild, member.user.id)
        mod = perms == ALL_PERMISSIONS or perms & Perm.MANAGE_GUILD
        people.append(member.user.username + (" (moderator)" if mod else ""))
    channels = ", ".join("#" + c.name for c in guild.live_channels() if c.type != ChannelType.GUILD_CATEGORY) + "".join(
        f", #{t.name}" for t in guild.live_threads()
    )
    lines += [
        "  `help /ask` shows one command's options in detail.",
        bold("Acting on what the bot shows:"),
        "  click N              press button N of the last message with buttons (`click N on M`: of message M)",
        "  select MENU N...     pick option N (more if the menu allows) in menu MENU (`... on M` too)",
        "  autocomplete /topic name: so   what the bot suggests while you type an option",
        "  fill Label: value    answer a form the bot opened (in a terminal you are asked field by field)",
        bold("Moving around:"),
        f"  as USER              act as {', '.join(people)}",
        f"  in #CHANNEL          go to {channels}; `in dm` for a direct message with the bot",
        "  wait SECONDS         wait, showing what the bot posts by itself meanwhile",
        "  quit                 stop the bot and leave (Ctrl-D and Ctrl-C too)",
    ]
    return lines
