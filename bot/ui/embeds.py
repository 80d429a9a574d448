"""Embeds shared by features, kept inside Discord's limits by construction."""

from __future__ import annotations

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


def entry_embed(entry: KnowledgeEntry, question: str | None = None) -> discord.Embed:
    embed = discord.Embed(
        title=entry.title,
        description=shorten(entry.body, DESCRIPTION_LIMIT),
        colour=stage_colour(entry.stage),
    )
    if question:
        # Author names render no markdown, so only pings need neutralising.
        embed.set_author(name=shorten(f"“{' '.join(neutralize_mentions(question).split())}”", 256))
    embed.add_field(name="Sources", value=sources_text(entry) or "—", inline=False)
    footer = f"{entry.stage.label} · Reviewed {entry.reviewed:%d %b %Y}"
    if entry.cycle:
        footer += f" · {entry.cycle}"
    embed.set_footer(text=footer)
    return embed


def embed_length(embed: discord.Embed) -> int:
    return len(embed)
