"""/topic with no name: the knowledge base by stage of the road, then a stage's entries, a page at a time.

Plain screens (embeds and the options of the menus); the menus and buttons themselves, whose state is in their
custom ids so they keep working after a restart, are in ``cogs/knowledge.py``.
"""

from __future__ import annotations

import discord

from bot.knowledge.models import Stage
from bot.knowledge.service import BrowsePage
from bot.text import shorten
from bot.ui.colours import BRAND_COLOUR, stage_colour
from bot.ui.plural import plural

BROWSE_TITLE = "Browse the knowledge base"
SELECT_TEXT_LIMIT = 100
"""A select option's label and description are at most 100 characters each."""


def stages_embed(stages: list[tuple[Stage, int]]) -> discord.Embed:
    """The first screen: every stage of the road that has entries, with how many."""
    total = sum(count for _, count in stages)
    lines = [f"**{stage.label}** · {plural(count, 'topic')}" for stage, count in stages]
    embed = discord.Embed(title=BROWSE_TITLE, description="\n".join(lines), colour=BRAND_COLOUR)
    embed.set_footer(
        text=f"{plural(total, 'topic')} in all. Pick a part of the road in the menu to see its topics. "
        "/topic with a name opens one directly; /ask answers a question."
    )
    return embed


def stage_options(stages: list[tuple[Stage, int]]) -> list[tuple[str, str, str]]:
    """The stage menu: (label, value, description) per stage."""
    return [(stage.label, stage.value, plural(count, "topic")) for stage, count in stages]


def page_embed(page: BrowsePage) -> discord.Embed:
    """A stage's topics on this page, by title; the menu below opens one."""
    lines = [f"{number}. {entry.title}" for number, entry in enumerate(page.entries, start=page.first)]
    embed = discord.Embed(
        title=shorten(f"{page.stage.label} · {plural(page.total, 'topic')}", 256),
        description="\n".join(lines) or "No topics here any more.",
        colour=stage_colour(page.stage),
    )
    where = f" · page {page.page + 1} of {page.pages}" if page.pages > 1 else ""
    embed.set_author(name=f"{BROWSE_TITLE}{where}")
    embed.set_footer(text="Pick a topic in the menu to read it (only you see it). All parts goes back.")
    return embed


def entry_options(page: BrowsePage) -> list[tuple[str, str, str]]:
    """The topic menu of one page: (label, value, description) per entry, its summary as the description."""
    return [
        (shorten(entry.title, SELECT_TEXT_LIMIT), entry.id, shorten(entry.summary, SELECT_TEXT_LIMIT))
        for entry in page.entries
    ]
