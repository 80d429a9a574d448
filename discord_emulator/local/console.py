"""Local mode's command language: what a person types in the terminal, parsed into actions and typed options.

    /ask question: when is SOAP private: yes     a slash command; option names come from its registered definition
    /knowledge report                            subcommands are words after the command name
    click 2 | click 2 on 5                       the 2nd button of the last message with buttons (or of message 5)
    select 1 3 | select 1 3 4 on 5               in menu 1, pick options 3 (and 4)
    autocomplete /topic name: so                 what the bot suggests while the last option is being typed
    fill Field label: value ...                  answer the form (modal) the bot opened
    as bob | in #study-room | in dm | wait 3 | help [/ask] | quit

Nothing here does I/O: `discord_emulator.local` runs the actions against the emulator.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discord_emulator.commands import CHAT_INPUT, SUB_COMMAND, SUB_COMMAND_GROUP, RegisteredCommand
from discord_emulator.models import JsonDict
from discord_emulator.permissions import ALL_PERMISSIONS, Perm
from discord_emulator.world import Channel, ChannelType, Guild, Role, User, World

log = logging.getLogger(__name__)

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
_TYPE_HINTS = {
    STRING: "text",
    INTEGER: "whole number",
    BOOLEAN: "yes/no",
    USER: "@user",
    CHANNEL: "#channel",
    ROLE: "@role",
    MENTIONABLE: "@user or @role",
    NUMBER: "number",
    ATTACHMENT: "file path",
}


class ConsoleError(Exception):
    """A line that cannot be run; the message says how to write it instead."""


# ----- lines -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlashLine:
    text: str  # everything after the "/"
    autocomplete: bool = False


@dataclass(frozen=True)
class ClickLine:
    button: int
    message: int | None = None


@dataclass(frozen=True)
class SelectLine:
    menu: int | None
    picks: tuple[str, ...]
    message: int | None = None


@dataclass(frozen=True)
class FillLine:
    text: str


@dataclass(frozen=True)
class AsLine:
    who: str


@dataclass(frozen=True)
class InLine:
    where: str


@dataclass(frozen=True)
class HelpLine:
    topic: str | None = None


@dataclass(frozen=True)
class WaitLine:
    seconds: float


@dataclass(frozen=True)
class QuitLine:
    pass


@dataclass(frozen=True)
class CancelLine:
    pass


@dataclass(frozen=True)
class BlankLine:
    comment: str | None = None


Line = (
    SlashLine
    | ClickLine
    | SelectLine
    | FillLine
    | AsLine
    | InLine
    | HelpLine
    | WaitLine
    | QuitLine
    | CancelLine
    | BlankLine
)

_VERBS = (
    "click",
    "select",
    "autocomplete",
    "fill",
    "submit",
    "as",
    "in",
    "help",
    "wait",
    "quit",
    "exit",
    "cancel",
)


def _number(word: str, what: str) -> int:
    if not word.isdigit() or int(word) < 1:
        raise ConsoleError(f"{what} should be a number like 1 or 2, not {word!r}")
    return int(word)


def _split_on(words: list[str]) -> tuple[list[str], int | None]:
    """`... on 5` at the end of a line names the message (as numbered in the transcript)."""
    if len(words) >= 2 and words[-2].lower() == "on":
        return words[:-2], _number(words[-1].lstrip("#"), "the message after `on`")
    return words, None


def parse_line(line: str) -> Line:
    """One typed line as an action. Slash commands are only split off here; their options need the definition."""
    text = line.strip()
    if not text:
        return BlankLine()
    if text.startswith("#"):
        return BlankLine(comment=text)
    if text.startswith("/"):
        if len(text) == 1:
            raise ConsoleError("type a command name after the slash, e.g. /ask question: when is SOAP")
        return SlashLine(text[1:].strip())
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    words = rest.split()
    if verb == "click":
        words, message = _split_on(words)
        if len(words) != 1:
            raise ConsoleError("write `click N` (the button's number), or `click N on M` for message M")
        return ClickLine(_number(words[0], "the button"), message)
    if verb == "select":
        words, message = _split_on(words)
        if not words:
            raise ConsoleError("write `select MENU OPTION...`, e.g. `select 1 3` for option 3 of menu 1")
        picks = rest_picks(words)
        if len(picks) == 1:
            # `select 5` alone: the menu is implied (the message must have exactly one).
            return SelectLine(None, tuple(picks), message)
        return SelectLine(_number(picks[0], "the menu"), tuple(picks[1:]), message)
    if verb == "autocomplete":
        if not rest.startswith("/"):
            raise ConsoleError(
                "write `autocomplete /command option: what you typed`, e.g. autocomplete /topic name: so"
            )
        return SlashLine(rest[1:].strip(), autocomplete=True)
    if verb in ("fill", "submit"):
        return FillLine(rest)
    if verb == "as":
        if not rest:
            raise ConsoleError("write `as USER`, e.g. `as bob` or `as dr_admin`")
        return AsLine(rest)
    if verb == "in":
        if not rest:
            raise ConsoleError("write `in #channel` (or `in dm` for a direct message with the bot)")
        return InLine(rest)
    if verb in ("help", "?"):
        return HelpLine(rest or None)
    if verb == "wait":
        try:
            seconds = float(rest or "1")
        except ValueError:
            raise ConsoleError("write `wait SECONDS`, e.g. `wait 2`") from None
        if not 0 <= seconds <= 600:
            raise ConsoleError("wait between 0 and 600 seconds")
        return WaitLine(seconds)
    if verb in ("quit", "exit", "bye"):
        return QuitLine()
    if verb == "cancel":
        return CancelLine()
    close = difflib.get_close_matches(verb, _VERBS, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise ConsoleError(
        f"{text!r} is not something local mode understands.{hint} Slash commands start with /, "
        "e.g. /ask question: when is SOAP. Type `help` for the list."
    )


def rest_picks(words: list[str]) -> list[str]:
    """Select values: whitespace-separated, or comma-separated when a value has spaces (`select 1 Match 2027, bob`)."""
    joined = " ".join(words)
    if "," in joined:
        head, _, tail = joined.partition(" ")
        if head.isdigit() and "," not in head:
            return [head, *[p.strip() for p in tail.split(",") if p.strip()]]
        return [p.strip() for p in joined.split(",") if p.strip()]
    return words


# ----- "name: value" pairs -------------------------------------------------------------------------------------

_LEADING_NAME = re.compile(r"^([^\s:]+):")
_FIRST_WORD = re.compile(r"\s*(\S+)")
_WORD_COLON = re.compile(r"(?:^|\s)([A-Za-z][\w-]*):(?=\s|$)")


@dataclass
class NamedValues:
    values: dict[str, str]
    leading: str  # text before the first `name:` (used as the only required option's value)
    notes: list[str] = field(default_factory=list)


def split_named_values(text: str, names: Sequence[str]) -> NamedValues:
    """Split `a: one two b: three: four` into {"a": "one two", "b": "three: four"} for the known `names`.

    A value runs until the next known `name:`, so values may hold spaces and colons. Names match without regard to
    case; a word ending in `:` that is not a known name but looks like one is kept in the value, with a note.
    """
    text = text.strip()
    if not names:
        return NamedValues({}, text)
    by_lower = {n.lower(): n for n in names}
    alternatives = "|".join(re.escape(n) for n in sorted(by_lower, key=len, reverse=True))
    pattern = re.compile(rf"(?:^|(?<=\s))({alternatives}):", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    leading = text[: matches[0].start()].strip() if matches else text
    values: dict[str, str] = {}
    for i, match in enumerate(matches):
        name = by_lower[match.group(1).lower()]
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        if name in values:
            raise ConsoleError(f"{name}: is given twice")
        values[name] = text[match.end() : end].strip()
    notes: list[str] = []
    for value in [leading, *values.values()]:
        for word in _WORD_COLON.findall(value):
            close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.75)
            if close and by_lower[close[0]] not in values:
                notes.append(
                    f"`{word}:` is not an option here, so it was read as part of the text (did you mean "
                    f"`{by_lower[close[0]]}:`?)"
                )
    return NamedValues(values, leading, notes)


# ----- slash commands ------------------------------------------------------------------------------------------


@dataclass
class SlashCall:
    """A parsed slash command line: which command, which subcommand path, and each option's raw text."""

    command: RegisteredCommand
    path: list[str]
    specs: list[JsonDict]
    raw: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        return " ".join([self.command.name, *self.path])

    @property
    def focused(self) -> str | None:
        """For autocomplete: the option typed last (the one the bot is asked to complete)."""
        return next(reversed(self.raw), None)


def _is_group(spec: JsonDict) -> bool:
    return spec.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)


def chat_commands(commands: Sequence[RegisteredCommand]) -> list[RegisteredCommand]:
    return sorted((c for c in commands if c.type == CHAT_INPUT), key=lambda c: c.name)


def parse_slash(text: str, commands: Sequence[RegisteredCommand], *, autocomplete: bool = False) -> SlashCall:
    """`ask question: when is SOAP` -> SlashCall, checked against the registered definitions."""
    name, _, rest = text.strip().partition(" ")
    name = name.lower()
    available = chat_commands(commands)
    command = next((c for c in available if c.name == name), None)
    if command is None:
        names = [c.name for c in available]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean /{close[0]}?" if close else ""
        listed = ", ".join(f"/{n}" for n in names) or "none yet"
        raise ConsoleError(f"there is no /{name} here.{hint} Commands: {listed}")
    specs = command.options
    path: list[str] = []
    while any(_is_group(s) for s in specs):
        subs = {str(s.get("name")): s for s in specs if _is_group(s)}
        first = _FIRST_WORD.match(rest)
        word = first.group(1).lower() if first else ""
        where = " ".join(["/" + command.name, *path])
        if word not in subs:
            listed = ", ".join(f"{where} {n}" for n in subs)
            raise ConsoleError(f"{where} needs one of: {listed}" if not word else f"{where} has no {word!r}: {listed}")
        path.append(word)
        specs = list(subs[word].get("options") or [])
        rest = rest[first.end() :] if first else ""
    names = [str(s.get("name")) for s in specs]
    parsed = split_named_values(rest, names)
    raw = dict(parsed.values)
    call = SlashCall(command, path, specs, raw, parsed.notes)
    if parsed.leading:
        required = [str(s.get("name")) for s in specs if s.get("required")]
        target = required[0] if len(required) == 1 else names[0] if len(names) == 1 else None
        leading_name = _LEADING_NAME.match(parsed.leading)
        if leading_name is not None and leading_name.group(1).lower() not in {n.lower() for n in names}:
            raise ConsoleError(
                f"/{call.qualified_name} has no option {leading_name.group(1)!r}. {options_summary(call)}"
            )
        if target is None or target in raw:
            raise ConsoleError(f"write each option as `name: value`. {options_summary(call)}")
        # `/ask when is SOAP`: with one required option, the text before any `name:` is its value.
        raw = {target: parsed.leading, **raw}
        call.raw = raw
    if not autocomplete:
        missing = [str(s.get("name")) for s in specs if s.get("required") and not raw.get(str(s.get("name")))]
        if missing:
            raise ConsoleError(
                f"/{call.qualified_name} is missing {', '.join(m + ':' for m in missing)} {options_summary(call)}"
            )
    else:
        focus = call.focused
        spec = next((s for s in specs if s.get("name") == focus), None)
        if spec is None or not spec.get("autocomplete"):
            with_suggestions = [str(s.get("name")) for s in specs if s.get("autocomplete")]
            if not with_suggestions:
                raise ConsoleError(f"/{call.qualified_name} offers no suggestions for any option")
            raise ConsoleError(
                f"/{call.qualified_name} suggests values for {', '.join(n + ':' for n in with_suggestions)} only; "
                f"e.g. autocomplete /{call.qualified_name} {with_suggestions[0]}: so"
            )
    return call


def option_hint(spec: JsonDict) -> str:
    otype = int(spec.get("type") or STRING)
    choices = spec.get("choices") or []
    if choices:
        # The values are what one types (`mode: group`); the names, often long sentences, are in `help /cmd`.
        values = [str(c.get("value")) for c in choices]
        return "|".join(values) if len(values) <= 6 else f"one of {len(values)} choices"
    hint = _TYPE_HINTS.get(otype, "value")
    if spec.get("autocomplete"):
        hint += ", with suggestions"
    return hint


def synopsis(name: str, specs: Sequence[JsonDict]) -> str:
    parts = [f"/{name}"]
    for spec in specs:
        piece = f"{spec.get('name')}: <{option_hint(spec)}>"
        parts.append(piece if spec.get("required") else f"[{piece}]")
    return " ".join(parts)


def options_summary(call: SlashCall) -> str:
    if not call.specs:
        return f"/{call.qualified_name} takes no options."
    return "Usage: " + synopsis(call.qualified_name, call.specs)


@dataclass(frozen=True)
class Leaf:
    """One runnable command: `/ask` or `/knowledge report`, with its options."""

    command: RegisteredCommand
    path: tuple[str, ...]
    description: str
    specs: tuple[JsonDict, ...]

    @property
    def qualified_name(self) -> str:
        return " ".join([self.command.name, *self.path])


def leaves(command: RegisteredCommand) -> list[Leaf]:
    def walk(specs: list[JsonDict], path: tuple[str, ...], description: str) -> list[Leaf]:
        if not any(_is_group(s) for s in specs):
            return [Leaf(command, path, description, tuple(specs))]
        out: list[Leaf] = []
        for spec in specs:
            if _is_group(spec):
                out += walk(
                    list(spec.get("options") or []),
                    (*path, str(spec["name"])),
                    str(spec.get("description") or ""),
                )
        return out

    return walk(command.options, (), command.description)


def permission_names(bits: int) -> str:
    names = [
        (flag.name or "").replace("_", " ").title().replace("Guild", "Server")
        for flag in Perm
        if bits & flag and flag.name
    ]
    return ", ".join(names) or "no permission"


def hidden_reason(command: RegisteredCommand, world: World, user: User, channel: Channel) -> str | None:
    """Why Discord would leave `command` out of `user`'s command list here (default_member_permissions)."""
    if channel.is_dm or command.default_member_permissions is None:
        return None
    needed = int(command.default_member_permissions)
    perms = world.permissions_in(channel, user.id)
    if perms == ALL_PERMISSIONS or (needed and perms & needed == needed):
        return None
    return f"needs {permission_names(needed)}" if needed else "for administrators only"


def describe_leaf(leaf: Leaf, *, detailed: bool) -> list[str]:
    lines = [synopsis(leaf.qualified_name, leaf.specs), f"    {leaf.description}"]
    if detailed:
        width = max((len(str(s.get("name"))) for s in leaf.specs), default=0) + 1
        for spec in leaf.specs:
            need = "required" if spec.get("required") else "optional"
            extra = []
            if spec.get("min_length") is not None or spec.get("max_length") is not None:
                extra.append(f"{spec.get('min_length', 0)}-{spec.get('max_length', '')} characters")
            if spec.get("min_value") is not None or spec.get("max_value") is not None:
                extra.append(f"{spec.get('min_value', '')}..{spec.get('max_value', '')}")
            choices = spec.get("choices") or []
            if choices:
                extra.append("one of: " + "; ".join(f"{c.get('value')} ({c.get('name')})" for c in choices))
            detail = ", ".join([option_hint(spec) if not choices else "choice", need, *extra])
            lines.append(f"    {str(spec.get('name')) + ':':<{width}}  {detail}. {spec.get('description') or ''}")
        if any(s.get("autocomplete") for s in leaf.specs):
            focus = next(str(s.get("name")) for s in leaf.specs if s.get("autocomplete"))
            lines.append(f"    See suggestions with: autocomplete /{leaf.qualified_name} {focus}: so")
    return lines


# ----- typed values --------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return text.strip().lstrip("@#").casefold()


def find_user(world: World, text: str, guild: Guild | None = None) -> User:
    wanted = _fold(text)
    if text.strip().startswith("<@") and text.strip().endswith(">"):
        user = world.get_user(int(text.strip().strip("<@!>")))
        if user is not None:
            return user
    candidates = [u for u in world.users.values() if not u.bot or u.id == world.bot.id]
    if guild is not None:
        candidates = [u for u in candidates if u.id in guild.members]
    for user in candidates:
        if wanted in (user.username.casefold(), user.display_name.casefold()):
            return user
    known = ", ".join(u.username for u in candidates if not u.bot)
    raise ConsoleError(f"no user {text.strip()!r}{' in ' + guild.name if guild else ''}; try one of: {known}")


def find_role(guild: Guild | None, text: str) -> Role:
    if guild is None:
        raise ConsoleError("roles exist only in servers; move to a server channel with `in #general`")
    wanted = _fold(text)
    for role in guild.roles.values():
        if _fold(role.name) == wanted:
            return role
    known = ", ".join("@" + r.name.lstrip("@") for r in guild.roles.values() if not r.managed)
    raise ConsoleError(f"no role {text.strip()!r} in {guild.name}; roles: {known}")


def find_channel(world: World, text: str, guild: Guild | None) -> Channel:
    wanted = _fold(text)
    guilds = ([guild] if guild else []) + [g for g in world.guilds.values() if g is not guild]
    for candidate in guilds:
        for channel in candidate.channels.values():
            if _fold(channel.name) == wanted and not channel.deleted:
                return channel
    names = ", ".join(
        "#" + c.name for c in (guild or world.guild()).channels.values() if c.type != ChannelType.GUILD_CATEGORY
    )
    raise ConsoleError(f"no channel {text.strip()!r}; channels: {names}")


def convert_value(spec: JsonDict, raw: str, world: World, guild: Guild | None, base_dir: Path) -> Any:
    """The text typed for one option, as the value the emulator sends (numbers, booleans, users, files...)."""
    otype = int(spec.get("type") or STRING)
    name = str(spec.get("name"))
    text = raw.strip()
    choices = spec.get("choices") or []
    if choices:
        for choice in choices:
            if _fold(str(choice.get("name"))) == _fold(text) or _fold(str(choice.get("value"))) == _fold(text):
                return choice.get("value")
        listed = ", ".join(str(c.get("name")) for c in choices)
        raise ConsoleError(f"{name}: {text!r} is not one of the choices: {listed}")
    if otype == STRING:
        return raw.strip()
    if otype == INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ConsoleError(f"{name}: wants a whole number, not {text!r}") from None
    if otype == NUMBER:
        try:
            return float(text)
        except ValueError:
            raise ConsoleError(f"{name}: wants a number, not {text!r}") from None
    if otype == BOOLEAN:
        if text.casefold() in _TRUE:
            return True
        if text.casefold() in _FALSE:
            return False
        raise ConsoleError(f"{name}: wants yes or no (true/false), not {text!r}")
    if otype == USER:
        return find_user(world, text, guild)
    if otype == CHANNEL:
        return find_channel(world, text, guild)
    if otype == ROLE:
        return find_role(guild, text)
    if otype == MENTIONABLE:
        try:
            return find_role(guild, text)
        except ConsoleError:
            return find_user(world, text, guild)
    if otype == ATTACHMENT:
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise ConsoleError(f"{name}: wants the path of a file to upload; {str(path)!r} is not a file")
        return (path.name, path.read_bytes())
    raise ConsoleError(f"{name}: local mode cannot enter options of type {otype}")


def convert_options(
    call: SlashCall,
    world: World,
    guild: Guild | None,
    base_dir: Path,
    *,
    keep_text: Callable[[str], bool] = lambda name: False,
) -> dict[str, Any]:
    specs = {str(s.get("name")): s for s in call.specs}
    out: dict[str, Any] = {}
    for name, raw in call.raw.items():
        if keep_text(name):
            out[name] = raw.strip()
            continue
        if not raw.strip():
            raise ConsoleError(f"{name}: has no value. {options_summary(call)}")
        out[name] = convert_value(specs[name], raw, world, guild, base_dir)
    return out
