"""Plain-text rendering of messages and replies, for local mode's terminal and for readable test failures."""

from __future__ import annotations

import logging

from discord_emulator.interactions import Reply
from discord_emulator.models import JsonDict, Message, walk_components
from discord_emulator.world import World

log = logging.getLogger(__name__)

_BUTTON_STYLES = {1: "", 2: "", 3: "+", 4: "!", 5: "->"}


def _component_line(row: JsonDict) -> str:
    parts: list[str] = []
    for comp in walk_components([row]):
        ctype = comp.get("type")
        if ctype == 2:
            mark = _BUTTON_STYLES.get(int(comp.get("style") or 1), "")
            label = comp.get("label") or (comp.get("emoji") or {}).get("name") or "?"
            disabled = " (disabled)" if comp.get("disabled") else ""
            parts.append(f"[{mark}{label}{disabled}]")
        elif ctype in (3, 5, 6, 7, 8):
            options = ", ".join(str(o.get("label")) for o in comp.get("options") or [])
            placeholder = comp.get("placeholder") or "select"
            parts.append(f"<{placeholder}: {options}>" if options else f"<{placeholder}>")
    return " ".join(parts)


def render_message(message: Message, world: World | None = None) -> str:
    """A message as a few lines of text: header, content, embeds, components, attachments."""
    where = ""
    if world is not None:
        channel = world.get_channel(message.channel_id)
        if channel is not None:
            where = (
                f"[DM with {world.get_user(channel.recipient_id or 0)}] " if channel.is_dm else f"[#{channel.name}] "
            )
    flags = []
    if message.ephemeral:
        who = message.interaction_user.username if message.interaction_user else "the user"
        flags.append(f"only {who} can see this")
    if message.edited_at is not None:
        flags.append("edited")
    header = f"{where}{message.author.display_name}" + (f" ({', '.join(flags)})" if flags else "") + ":"
    lines = [header]
    if message.content:
        lines.extend(message.content.splitlines())
    for embed in message.embeds:
        if embed.get("title"):
            lines.append(f"| {embed['title']}")
        if embed.get("description"):
            lines.extend(f"| {line}" for line in str(embed["description"]).splitlines())
        for fld in embed.get("fields") or []:
            lines.append(f"| {fld.get('name')}: {fld.get('value')}")
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(f"| -- {footer}")
    for comp in message.components:
        if comp.get("type") == 10 and comp.get("content"):
            lines.append(str(comp["content"]))
        line = _component_line(comp)
        if line:
            lines.append(line)
    for attachment in message.attachments:
        lines.append(f"[file] {attachment.filename} ({attachment.size} bytes)")
    if message.pings:
        lines.append(f"(pings {', '.join(message.pings)})")
    return "\n".join(lines)


def render_reply(reply: Reply, world: World | None = None) -> str:
    if reply.kind == "modal" and reply.modal is not None:
        fields = "\n".join(
            f"  {f.custom_id}: {f.label or ''}{' (required)' if f.required else ''}" for f in reply.modal.fields
        )
        return f"The bot opened a form: {reply.modal.title}\n{fields}"
    if reply.kind == "autocomplete":
        return "Suggestions: " + ", ".join(str(c.get("name")) for c in reply.choices or [])
    if reply.message is None:
        return "(the bot acknowledged without a message)"
    return render_message(reply.message, world)
