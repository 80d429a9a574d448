"""How local mode shows the bot's messages in a terminal: readable plain text, with numbers to act on.

    IMG Pathway Bot in #general · message 1
    ┃ Preparing for SOAP before Match Week
    ┃ ────────────────────────────────────
    ┃ SOAP moves very fast: ...
    ┃ Sources:
    ┃ • NRMP - SOAP <https://www.nrmp.org/residency-applicants/soap/>
      [1] 👍 Helpful  [2] 👎 Not helpful

Discord markdown becomes plain text (links as `text <url>`, bold as bold when the terminal has colours), mentions
become @name / #channel, and `<t:UNIX:F>` timestamps are shown in the terminal's own time zone.
"""

from __future__ import annotations

import logging
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from discord_emulator.interactions import Modal, ModalField
from discord_emulator.models import JsonDict, Message
from discord_emulator.world import User, World

log = logging.getLogger(__name__)

# Style marks survive wrapping as single private-use characters and become ANSI codes (or nothing) afterwards.
_BOLD_ON, _BOLD_OFF, _DIM_ON, _DIM_OFF = "\U000f0001", "\U000f0002", "\U000f0003", "\U000f0004"
_ESCAPE_BASE = 0x100000  # escaped markdown characters are parked here so formatting rules do not see them
_ANSI = {_BOLD_ON: "\x1b[1m", _BOLD_OFF: "\x1b[22m", _DIM_ON: "\x1b[2m", _DIM_OFF: "\x1b[22m"}

_ESCAPED = re.compile(r"\\([\\*_~`|>#\[\]()\-.:!<@])")
# URLs may hold one level of parentheses, as Wikipedia's do: (https://en.wikipedia.org/wiki/Match_Day_(medicine)).
_LINK = re.compile(r"\[([^\]\n]+)\]\(<?(https?://(?:[^\s()<>]|\([^\s()<>]*\))+)>?(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_UNDERLINE = re.compile(r"__(.+?)__")
# Italics have no place in a plain terminal; the markers go, the words stay.
_ITALIC_STAR = re.compile(r"(?<![*\w])\*(?![\s*])([^*\n]+?)(?<!\s)\*(?![*\w])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![_\w])_(?![\s_])([^_\n]+?)(?<!\s)_(?![_\w])")
_HEADING = re.compile(r"^#{1,3} (.+)$", re.MULTILINE)
_SUBTEXT = re.compile(r"^-# (.+)$", re.MULTILINE)
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_CHANNEL_MENTION = re.compile(r"<#(\d+)>")
_COMMAND_MENTION = re.compile(r"</([^:>]+):\d+>")
_EMOJI = re.compile(r"<a?:(\w+):\d+>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_LIST_PREFIX = re.compile(r"^(\s*(?:[-*•]|\d+[.)])\s+)")

_BUTTON_EMOJI_ONLY = "?"


@dataclass(frozen=True)
class Style:
    """Terminal styling: on for a colour terminal, off for scripts and pipes (NO_COLOR)."""

    color: bool = False
    width: int = 100

    def finish(self, line: str) -> str:
        for mark, code in _ANSI.items():
            line = line.replace(mark, code if self.color else "")
        return line


def bold(text: str) -> str:
    return f"{_BOLD_ON}{text}{_BOLD_OFF}"


def dim(text: str) -> str:
    return f"{_DIM_ON}{text}{_DIM_OFF}"


def display_width(text: str) -> int:
    """Columns a string takes in a terminal (wide characters and most emoji take two)."""
    width = 0
    for char in text:
        if char in _ANSI or unicodedata.combining(char) or char == "\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def readable_time(moment: datetime, style: str, now: datetime | None = None) -> str:
    """A Discord timestamp as the terminal's local time, e.g. "Wednesday, 3 March 2027 21:00 (your time)"."""
    local = moment.astimezone()
    if style == "R":
        return _relative(moment, now or datetime.now(UTC))
    clock = f"{local:%H:%M}"
    day = f"{local.day} {local:%B %Y}"
    text = {
        "t": clock,
        "T": f"{local:%H:%M:%S}",
        "d": f"{local.day} {local:%b %Y}",
        "D": day,
        "f": f"{day} {clock}",
        "F": f"{local:%A}, {day} {clock}",
    }.get(style, f"{day} {clock}")
    return f"{text} (your time)"


_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def _relative(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    unit = next(((name, length) for name, length in _UNITS if size >= length), None)
    if unit is None:
        unit = ("second", 1)
    count = round(size / unit[1])
    if count == 0:
        return "now"
    words = f"{count} {unit[0]}{'s' if count != 1 else ''}"
    return f"in {words}" if seconds > 0 else f"{words} ago"


class TextRenderer:
    """Discord message text (markdown, mentions, timestamps) as terminal text, resolved against the world."""

    def __init__(self, world: World, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.world = world
        self.now = now

    def _user(self, match: re.Match[str]) -> str:
        user = self.world.get_user(int(match.group(1)))
        return f"@{user.display_name}" if user else "@unknown-user"

    def _role(self, match: re.Match[str]) -> str:
        role_id = int(match.group(1))
        for guild in self.world.guilds.values():
            role = guild.roles.get(role_id)
            if role is not None:
                return "@" + role.name.lstrip("@")
        return "@deleted-role"

    def _channel(self, match: re.Match[str]) -> str:
        channel = self.world.get_channel(int(match.group(1)))
        return f"#{channel.name}" if channel else "#unknown-channel"

    def _timestamp(self, match: re.Match[str]) -> str:
        try:
            moment = datetime.fromtimestamp(int(match.group(1)), UTC)
        except (OverflowError, OSError, ValueError):
            return match.group(0)
        return readable_time(moment, match.group(2) or "f", self.now())

    def plain(self, text: str, *, markdown: bool = True) -> str:
        """Markdown, mentions and timestamps resolved; zero-width characters (mention guards) removed last, so a
        neutralised `<\u200b@123>` stays literal text, as Discord shows it."""
        out = text
        if markdown:
            out = _ESCAPED.sub(lambda m: chr(_ESCAPE_BASE + ord(m.group(1))), out)
        out = _USER_MENTION.sub(self._user, out)
        out = _ROLE_MENTION.sub(self._role, out)
        out = _CHANNEL_MENTION.sub(self._channel, out)
        out = _COMMAND_MENTION.sub(lambda m: "/" + m.group(1), out)
        out = _EMOJI.sub(lambda m: f":{m.group(1)}:", out)
        out = _TIMESTAMP.sub(self._timestamp, out)
        if markdown:
            out = _LINK.sub(lambda m: m.group(2) if m.group(1) == m.group(2) else f"{m.group(1)} <{m.group(2)}>", out)
            out = _BOLD.sub(lambda m: bold(m.group(1)), out)
            out = _UNDERLINE.sub(lambda m: bold(m.group(1)), out)
            out = _ITALIC_STAR.sub(lambda m: m.group(1), out)
            out = _ITALIC_UNDERSCORE.sub(lambda m: m.group(1), out)
            out = _HEADING.sub(lambda m: bold(m.group(1)), out)
            out = _SUBTEXT.sub(lambda m: dim(m.group(1)), out)
            out = "".join(chr(ord(c) - _ESCAPE_BASE) if ord(c) >= _ESCAPE_BASE else c for c in out)
        return _INVISIBLE.sub("", out)


def wrap(text: str, width: int, prefix: str = "") -> list[str]:
    """Wrap each line to `width` columns after `prefix`, keeping list items' hanging indent."""
    room = max(20, width - display_width(prefix))
    out: list[str] = []
    for line in text.splitlines() or [""]:
        if not line.strip():
            out.append(prefix.rstrip())
            continue
        bullet = _LIST_PREFIX.match(line)
        hang = " " * len(bullet.group(1)) if bullet else ""
        pieces = textwrap.wrap(
            line,
            room,
            subsequent_indent=hang,
            break_long_words=False,
            break_on_hyphens=False,
            drop_whitespace=True,
        )
        out.extend(prefix + piece for piece in pieces or [""])
    return out


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def buttons_of(message: Message) -> list[JsonDict]:
    """The message's buttons in the order they are numbered: row by row, left to right."""
    return message.buttons


def button_label(button: JsonDict) -> str:
    emoji = button.get("emoji") or {}
    emoji_text = emoji.get("name") if not emoji.get("id") else f":{emoji.get('name')}:"
    label = str(button.get("label") or "")
    text = " ".join(p for p in (emoji_text, label) if p) or _BUTTON_EMOJI_ONLY
    if button.get("style") == 5 and button.get("url"):
        text += f" <{button['url']}>"
    elif button.get("style") == 6:
        text += " (premium)"
    if button.get("disabled"):
        text += " (disabled)"
    return text


@dataclass
class Shown:
    """A message as it was printed: its number in the transcript and the attachments saved from it."""

    number: int
    saved: dict[int, Path]


class MessageRenderer:
    def __init__(self, world: World, style: Style, *, files_dir: Path | None = None, cwd: Path | None = None) -> None:
        self.world = world
        self.style = style
        self.text = TextRenderer(world)
        self.files_dir = files_dir
        self.cwd = cwd

    def _where(self, message: Message) -> str:
        channel = self.world.get_channel(message.channel_id)
        if channel is None:
            return "an unknown channel"
        if channel.is_dm:
            user = self.world.get_user(channel.recipient_id or 0)
            return f"a DM with {user.username if user else 'someone'}"
        return f"#{channel.name}"

    def author_name(self, user: User) -> str:
        return self.world.application_name if user.id == self.world.bot.id else user.display_name

    def header(self, message: Message, number: int, viewer: User, *, updated: bool) -> list[str]:
        title = f"{self.author_name(message.author)} in {self._where(message)} · message {number}"
        if updated:
            title += " (updated)"
        lines = [bold(title)]
        if message.ephemeral:
            owner = message.interaction_user
            if owner is None or owner.id == viewer.id:
                lines.append("[ephemeral — only you see this]")
            else:
                lines.append(f"[ephemeral — only {owner.username} sees this]")
        return lines

    def render(self, message: Message, number: int, viewer: User, *, updated: bool = False) -> str:
        width = self.style.width
        lines = self.header(message, number, viewer, updated=updated)
        if message.content:
            lines += wrap(self.text.plain(message.content), width)
        for embed in message.embeds:
            lines += self._embed(embed, width)
        counter = [0]
        menus = [0]
        lines += self._components(message.components, width, counter, menus, "")
        for attachment in message.attachments:
            line = f"📎 {attachment.filename} ({human_size(attachment.size)})"
            saved = self._save(message, attachment.id, attachment.filename, attachment.data)
            if saved is not None:
                line += f" saved to {saved}"
            lines.append(line)
        if message.pings:
            lines.append(dim("🔔 notified " + ", ".join(self.text.plain(p, markdown=False) for p in message.pings)))
        if message.deleted:
            lines.append(dim("(deleted)"))
        return "\n".join(self.style.finish(line) for line in lines)

    def _embed(self, embed: JsonDict, width: int) -> list[str]:
        bar = "┃ "
        lines: list[str] = []
        author = (embed.get("author") or {}).get("name")
        if author:
            lines += wrap(dim(self.text.plain(str(author), markdown=False)), width, bar)
        title = embed.get("title")
        if title:
            text = self.text.plain(str(title))
            if embed.get("url"):
                text += f" <{embed['url']}>"
            titled = wrap(bold(text), width, bar)
            lines += titled
            underline = max(display_width(t) for t in titled) - display_width(bar)
            lines.append(bar + "─" * max(3, underline))
        if embed.get("description"):
            lines += wrap(self.text.plain(str(embed["description"])), width, bar)
        for fld in embed.get("fields") or []:
            name = self.text.plain(str(fld.get("name") or ""))
            value = self.text.plain(str(fld.get("value") or ""))
            if lines and lines[-1].strip() != bar.strip():
                lines.append(bar.rstrip())
            if "\n" in value or display_width(name + value) > width - 6:
                lines += wrap(bold(name + ":"), width, bar)
                lines += wrap(value, width, bar)
            else:
                lines += wrap(f"{bold(name + ':')} {value}", width, bar)
        image = (embed.get("image") or {}).get("url")
        if image:
            lines.append(f"{bar}🖼 {image}")
        footer = (embed.get("footer") or {}).get("text")
        timestamp = embed.get("timestamp")
        tail = [self.text.plain(str(footer), markdown=False)] if footer else []
        if timestamp:
            try:
                moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
                tail.append(readable_time(moment, "f"))
            except ValueError:
                tail.append(str(timestamp))
        if tail:
            lines += wrap(dim(" · ".join(tail)), width, bar)
        return lines

    def _components(
        self, components: Iterable[JsonDict], width: int, counter: list[int], menus: list[int], indent: str
    ) -> list[str]:
        lines: list[str] = []
        for comp in components:
            ctype = comp.get("type")
            if ctype == 1:  # action row
                children = list(comp.get("components") or [])
                buttons = [c for c in children if c.get("type") == 2]
                if buttons:
                    cells = []
                    for button in buttons:
                        counter[0] += 1
                        cells.append(f"[{counter[0]}] {button_label(button)}")
                    lines += self._cells(cells, width, indent + "  ")
                for select in (c for c in children if c.get("type") in (3, 5, 6, 7, 8)):
                    menus[0] += 1
                    lines += self._select(select, menus[0], width, indent + "  ")
            elif ctype == 10:  # text display
                lines += wrap(self.text.plain(str(comp.get("content") or "")), width, indent)
            elif ctype == 9:  # section: text with a button or thumbnail beside it
                lines += self._components(comp.get("components") or [], width, counter, menus, indent)
                accessory = comp.get("accessory") or {}
                if accessory.get("type") == 2:
                    counter[0] += 1
                    lines.append(f"{indent}  [{counter[0]}] {button_label(accessory)}")
            elif ctype == 17:  # container
                lines += self._components(comp.get("components") or [], width, counter, menus, indent + "┃ ")
            elif ctype == 14:
                lines.append(indent + ("─" * 20 if comp.get("divider", True) else ""))
            elif ctype == 12:
                for item in comp.get("items") or []:
                    lines.append(f"{indent}🖼 {(item.get('media') or {}).get('url', '')}")
            elif ctype == 13:
                lines.append(f"{indent}📎 {(comp.get('file') or {}).get('url', '')}")
        return lines

    @staticmethod
    def _cells(cells: list[str], width: int, indent: str) -> list[str]:
        lines: list[str] = []
        current = ""
        for cell in cells:
            candidate = f"{current}  {cell}" if current else cell
            if current and display_width(indent + candidate) > width:
                lines.append(indent + current)
                current = cell
            else:
                current = candidate
        if current:
            lines.append(indent + current)
        return lines

    def _select(self, select: JsonDict, number: int, width: int, indent: str) -> list[str]:
        lo = int(select.get("min_values") or 0) if select.get("min_values") is not None else 1
        hi = int(select.get("max_values") or 1)
        pick = f"pick {lo}" if lo == hi else f"pick {lo}-{hi}"
        placeholder = self.text.plain(str(select.get("placeholder") or "choose"), markdown=False)
        kind = {5: "users", 6: "roles", 7: "users or roles", 8: "channels"}.get(int(select.get("type") or 3))
        disabled = " (disabled)" if select.get("disabled") else ""
        head = f"{indent}menu {number}: {placeholder} ({pick}{', ' + kind if kind else ''}){disabled}"
        lines = [head]
        for index, option in enumerate(select.get("options") or [], start=1):
            emoji = (option.get("emoji") or {}).get("name")
            label = " ".join(p for p in (emoji, str(option.get("label") or "")) if p)
            # Labels that number themselves ("5. Pass Step 1") keep their own number in the same column.
            numbered = label.startswith((f"{index}. ", f"{index}) "))
            line = f"{indent}  {' ' * (2 - len(str(index))) if numbered else f'{index:>2}. '}{label}"
            if option.get("default"):
                line += " (selected)"
            description = option.get("description")
            if description:
                room = width - display_width(line) - 3
                if room > 12:
                    line += dim(" — " + textwrap.shorten(str(description), room, placeholder="…"))
            lines.append(line)
        if kind:
            example = {
                "users": "@bob",
                "roles": "@Moderators",
                "users or roles": "@bob",
                "channels": "#general",
            }[kind]
            lines.append(dim(f"{indent}  (type names: select {number} {example})"))
        return lines

    def _save(self, message: Message, attachment_id: int, filename: str, data: bytes) -> Path | None:
        if self.files_dir is None:
            return None
        try:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            # The same file name from two messages would overwrite; the message number keeps them apart.
            target = self.files_dir / Path(filename).name
            if target.exists() and target.read_bytes() != data:
                target = self.files_dir / f"{target.stem}-{attachment_id}{target.suffix}"
            target.write_bytes(data)
        except OSError as exc:
            log.warning("could not save attachment %s: %s", filename, exc)
            return None
        if self.cwd is not None and target.is_relative_to(self.cwd):
            return target.relative_to(self.cwd)
        return target

    def modal(self, modal: Modal) -> str:
        lines = [bold(f"The bot opened a form: {self.text.plain(modal.title, markdown=False)}")]
        for field in modal.fields:
            lines.append("  " + field_prompt(field.label or field.custom_id, field))
            # What the bot filled in is in the field in Discord, and is sent unless changed: show it.
            for number, line in enumerate((field.value or "").splitlines()):
                lines.append(("      filled in: " if number == 0 else "                 ") + line)
            for index, option in enumerate(field.options, start=1):
                lines.append(f"      {index}. {option.get('label')}")
        return "\n".join(self.style.finish(line) for line in lines)

    def choices(self, focused: str, typed: str, choices: list[JsonDict]) -> str:
        if not choices:
            return f"No suggestions for {focused}: {typed!r}."
        lines = [f"Suggestions for {focused}: {typed!r}"]
        for index, choice in enumerate(choices, start=1):
            name, value = str(choice.get("name")), str(choice.get("value"))
            lines.append(f"  {index:>2}. {name}" + (dim(f"  ({focused}: {value})") if value != name else ""))
        return "\n".join(self.style.finish(line) for line in lines)


def field_prompt(label: str, field: ModalField) -> str:
    """`Label (required, up to 300 characters)` for a modal field."""
    parts = ["required" if field.required else "optional"]
    if field.max_length is not None:
        parts.append(
            f"{field.min_length}-{field.max_length} characters"
            if field.min_length
            else f"up to {field.max_length} characters"
        )
    if field.options:
        parts.append("option numbers")
    if field.placeholder:
        parts.append(f"hint: “{field.placeholder}”")
    return f"{label} ({', '.join(parts)})"
