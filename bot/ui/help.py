"""/help's screens, read from the registered slash commands (the command tree), so they never drift from them.

``catalog`` turns the tree into plain values: every command with its description, options, the permissions Discord
asks of whoever uses it (its top-level command's default permissions) and whether it works in DMs. The overview
lists one line per command, for members and, for those whose permissions let them use them, the moderators'
commands; ``details_embed`` shows one command (or a group's commands).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext.commands import Cog

from bot.text import shorten
from bot.ui.colours import BRAND_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT

log = logging.getLogger(__name__)

LINE_LIMIT = 110
"""One command's line in the overview (its name and description), so that every line fits on a phone."""
FIELD_NAME_LIMIT = 256
CHOICES_LIMIT = 25

GETTING_STARTED = "Getting started"
TOPIC_COMMANDS: dict[str, tuple[str, ...]] = {
    GETTING_STARTED: ("help", "setup"),
    "Questions and the pathway": ("ask", "topic", "pathway", "knowledge"),
    "Readiness and planning": ("readiness", "timeline"),
    "Match-cycle dates": ("milestones", "announcements", "event"),
    "Quizzes": ("quiz",),
    "Study groups": ("studygroup", "checkin", "progress", "settings", "studygroup-admin", "studygroup-retention"),
    "Your data": ("privacy", "mydata"),
    "The bot": ("status",),
}
TOPICS = {root: topic for topic, roots in TOPIC_COMMANDS.items() for root in roots}
"""The headings /help lists commands under, in order, and the top-level commands under each. A command not named
here is listed under its cog's name, after these (so a new command shows up even before it is sorted in)."""

_KINDS = {
    discord.AppCommandOptionType.string: "text",
    discord.AppCommandOptionType.integer: "whole number",
    discord.AppCommandOptionType.number: "number",
    discord.AppCommandOptionType.boolean: "True or False",
    discord.AppCommandOptionType.user: "member",
    discord.AppCommandOptionType.channel: "channel",
    discord.AppCommandOptionType.role: "role",
    discord.AppCommandOptionType.mentionable: "member or role",
    discord.AppCommandOptionType.attachment: "file",
}


@dataclass(frozen=True, slots=True)
class OptionInfo:
    name: str
    description: str
    kind: str
    required: bool
    choices: tuple[str, ...]
    autocomplete: bool


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    """The qualified name, e.g. ``announcements setup``."""
    description: str
    topic: str
    options: tuple[OptionInfo, ...]
    permissions: int
    """The default permissions of its top-level command (0: everyone may use it)."""
    in_dms: bool

    @property
    def root(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def for_moderators(self) -> bool:
        return self.permissions != 0


def permission_names(value: int) -> list[str]:
    """``Manage Server``, ``Manage Channels``…: the names members see in Discord's settings."""
    return [
        name.replace("_", " ").replace("guild", "server").title()
        for name, granted in discord.Permissions(value)
        if granted
    ]


def _option(parameter: app_commands.Parameter) -> OptionInfo:
    return OptionInfo(
        name=parameter.display_name,
        description=parameter.description if isinstance(parameter.description, str) else str(parameter.description),
        kind=_KINDS.get(parameter.type, parameter.type.name),
        required=parameter.required,
        choices=tuple(str(choice.name) for choice in parameter.choices),
        autocomplete=parameter.autocomplete,
    )


def _topic(command: app_commands.Command[Any, ..., Any], root: str) -> str:
    if root in TOPICS:
        return TOPICS[root]
    binding = command.binding
    return binding.qualified_name if isinstance(binding, Cog) else "Other"


def catalog(tree: app_commands.CommandTree[discord.Client]) -> tuple[CommandInfo, ...]:
    """Every slash command of the tree (subcommands by their qualified name), in the order Discord lists them."""
    found: list[CommandInfo] = []
    for command in tree.walk_commands(type=discord.AppCommandType.chat_input):
        if not isinstance(command, app_commands.Command):
            continue
        root = command.root_parent or command
        permissions = root.default_permissions.value if root.default_permissions is not None else 0
        contexts = root.allowed_contexts
        in_dms = not root.guild_only and (contexts is None or contexts.dm_channel or contexts.private_channel)
        found.append(
            CommandInfo(
                name=command.qualified_name,
                description=command.description,
                topic=_topic(command, root.name),
                options=tuple(_option(parameter) for parameter in command.parameters),
                permissions=permissions,
                in_dms=bool(in_dms),
            )
        )
    order = list(TOPIC_COMMANDS)
    return tuple(sorted(found, key=lambda info: (_rank(order, info.topic), info.topic, info.name)))


def _rank(order: list[str], topic: str) -> int:
    return order.index(topic) if topic in order else len(order)


def may_use(info: CommandInfo, permissions: discord.Permissions | None) -> bool:
    """Whether Discord shows the command to someone with ``permissions`` (None: in a DM, where only members'
    commands count)."""
    if not info.for_moderators:
        return True
    if permissions is None:
        return False
    return permissions.administrator or permissions.value & info.permissions == info.permissions


def is_moderator(permissions: discord.Permissions | None) -> bool:
    return permissions is not None and (permissions.administrator or permissions.manage_guild)


def command_line(info: CommandInfo) -> str:
    name = f"`/{info.name}`:"
    return f"{name} {shorten(info.description, max(10, LINE_LIMIT - len(name) - 1))}"


def _fields(lines_by_topic: dict[str, list[str]], prefix: str) -> list[tuple[str, str]]:
    """One field per topic (split where a topic's lines pass a field's limit)."""
    fields: list[tuple[str, str]] = []
    for topic, lines in lines_by_topic.items():
        chunk: list[str] = []
        for line in lines:
            if chunk and len("\n".join([*chunk, line])) > FIELD_VALUE_LIMIT:
                fields.append((f"{prefix}{topic}", "\n".join(chunk)))
                chunk = []
            chunk.append(line)
        if chunk:
            fields.append((f"{prefix}{topic}", "\n".join(chunk)))
    return fields


def _by_topic(commands: Iterable[CommandInfo]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for info in commands:
        grouped.setdefault(info.topic, []).append(command_line(info))
    return grouped


def overview_embeds(
    commands: Sequence[CommandInfo], permissions: discord.Permissions | None, *, in_server: bool
) -> list[discord.Embed]:
    """The members' commands, then (for moderators) theirs, one line each; a second embed when one would pass
    Discord's 6,000 characters (a message's embeds share that limit, so moderators' lines are shortened first)."""
    members = [c for c in commands if not c.for_moderators]
    moderators = [c for c in commands if c.for_moderators and may_use(c, permissions)] if in_server else []
    intro = (
        "A companion for International Medical Graduates on the road to a US residency: sourced answers, the Match "
        "cycle's dates, quizzes, a readiness check and study groups. `/help command:` shows one command in detail."
    )
    if not in_server:
        intro += " In a server, moderators also see their own commands here."
    embed = discord.Embed(title="What I can do", description=intro, colour=BRAND_COLOUR)
    for name, value in _fields(_by_topic(members), ""):
        embed.add_field(name=name, value=value, inline=False)
    embeds = [embed]
    if moderators:
        staff = discord.Embed(
            title="For moderators",
            description="Discord shows these only to members with the permission each needs.",
            colour=BRAND_COLOUR,
        )
        for name, value in _fields(_by_topic(moderators), ""):
            staff.add_field(name=name, value=value, inline=False)
        embeds.append(staff)
    if sum(len(e) for e in embeds) > EMBED_TOTAL_LIMIT:
        log.warning("the /help overview passes %d characters; its lines are cut", EMBED_TOTAL_LIMIT)
        for e in embeds:
            for index, item in enumerate(e.fields):
                short = "\n".join(shorten(line, 60) for line in str(item.value).split("\n"))
                e.set_field_at(index, name=str(item.name), value=short, inline=False)
    return embeds


def _option_line(option: OptionInfo) -> str:
    need = "required" if option.required else "optional"
    line = f"`{option.name}` ({option.kind}, {need}): {option.description}"
    if option.choices:
        line += f" One of: {', '.join(option.choices[:CHOICES_LIMIT])}."
    elif option.autocomplete:
        line += " Suggestions as you type."
    return line


def _who(info: CommandInfo) -> str:
    if not info.for_moderators:
        return "Everyone" + ("" if info.in_dms else ", in a server")
    names = " and ".join(permission_names(info.permissions)) or "a permission"
    return f"Members with **{names}** (Discord hides it from others), in a server"


def details_embed(info: CommandInfo) -> discord.Embed:
    embed = discord.Embed(title=f"/{info.name}", description=info.description, colour=BRAND_COLOUR)
    if info.options:
        lines = [_option_line(option) for option in info.options]
        text = "\n".join(lines)
        embed.add_field(name="Options", value=shorten(text, FIELD_VALUE_LIMIT), inline=False)
    else:
        embed.add_field(name="Options", value="None: just run it.", inline=False)
    embed.add_field(name="Who can use it", value=_who(info), inline=False)
    embed.set_footer(text=f"Listed under “{info.topic}” in /help.")
    return embed


def group_embed(group: str, commands: Sequence[CommandInfo]) -> discord.Embed:
    """``/help command:quiz``: the group's commands, one line each."""
    lines = "\n".join(command_line(info) for info in commands)
    embed = discord.Embed(
        title=f"/{group}",
        description=shorten(f"{lines}\n\n`/help command:` with one of them shows its options.", DESCRIPTION_LIMIT),
        colour=BRAND_COLOUR,
    )
    embed.add_field(name="Who can use it", value=_who(commands[0]), inline=False)
    return embed


def command_names(commands: Sequence[CommandInfo]) -> list[str]:
    """Every name /help command: accepts: the commands, and the groups (``quiz``) that hold several."""
    names = {info.name for info in commands}
    names |= {info.root for info in commands if " " in info.name}
    return sorted(names)


def choices(commands: Sequence[CommandInfo], typed: str, limit: int = CHOICES_LIMIT) -> list[str]:
    """Autocomplete: names starting with what was typed first, then names containing it."""
    wanted = " ".join(typed.casefold().lstrip("/").split())
    names = command_names(commands)
    starts = [n for n in names if n.startswith(wanted)]
    contains = [n for n in names if wanted in n and n not in starts]
    return (starts + contains)[:limit]


def closest(commands: Sequence[CommandInfo], typed: str) -> list[str]:
    return difflib.get_close_matches(typed.casefold().lstrip("/").strip(), command_names(commands), n=3, cutoff=0.5)
