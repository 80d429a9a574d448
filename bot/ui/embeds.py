"""Embeds shared by features, kept inside Discord's limits by construction."""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.knowledge.models import KnowledgeEntry
from bot.text import neutralize_mentions, shorten
from bot.ui.colours import stage_colour

EMBED_TOTAL_LIMIT = 6000
FIELD_VALUE_LIMIT = 1024
DESCRIPTION_LIMIT = 4096
AUTHOR_NAME_LIMIT = 256


def author_name(name: str) -> str:
    """A member's display name for an embed's author line (rendered without markdown, so only pings matter)."""
    return shorten(" ".join(neutralize_mentions(name).split()) or "A member", AUTHOR_NAME_LIMIT)


def markdown_link(title: str, url: str) -> str:
    safe_title = title.replace("[", "(").replace("]", ")")
    return f"[{safe_title}]({url})"


def sources_text(entry: KnowledgeEntry) -> str:
    lines: list[str] = []
    for source in entry.sources:
        line = f"• {markdown_link(shorten(source.title, 120), source.url)}"
        if len("\n".join([*lines, line])) > FIELD_VALUE_LIMIT:
            break
        lines.append(line)
    return "\n".join(lines)


@dataclass(frozen=True)
class _EntryParts:
    """What an entry's embed shows whoever asks: the same for every /ask it answers."""

    entry: KnowledgeEntry
    description: str
    colour: discord.Colour
    sources: str
    footer: str


ENTRY_PARTS_KEPT = 1_000
"""Entries whose embed parts are kept: several times the curated knowledge base (about 140 entries), so a server's
own entries fit too, while a bound keeps memory from growing with them."""

_entry_parts: dict[str, _EntryParts] = {}


def _parts_of(entry: KnowledgeEntry) -> _EntryParts:
    # Entries are frozen; kept by id, and built again if another object (a reloaded knowledge base) has that id.
    kept = _entry_parts.get(entry.id)
    if kept is not None and kept.entry is entry:
        return kept
    footer = f"{entry.stage.label} · Reviewed {entry.reviewed:%d %b %Y}"
    if entry.cycle:
        footer += f" · {entry.cycle}"
    parts = _EntryParts(
        entry, shorten(entry.body, DESCRIPTION_LIMIT), stage_colour(entry.stage), sources_text(entry) or "—", footer
    )
    if len(_entry_parts) < ENTRY_PARTS_KEPT or entry.id in _entry_parts:
        _entry_parts[entry.id] = parts
    return parts


def entry_embed(entry: KnowledgeEntry, question: str | None = None) -> discord.Embed:
    parts = _parts_of(entry)
    embed = discord.Embed(title=entry.title, description=parts.description, colour=parts.colour)
    if question:
        # Author names render no markdown, so only pings need neutralising.
        embed.set_author(name=shorten(f"“{' '.join(neutralize_mentions(question).split())}”", 256))
    embed.add_field(name="Sources", value=parts.sources, inline=False)
    embed.set_footer(text=parts.footer)
    return embed


def embed_length(embed: discord.Embed) -> int:
    return len(embed)
