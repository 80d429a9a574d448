"""The screens of a server's own knowledge entries: an entry as members see it, the moderators' list, the removal
question, and what a refused form showed as typed (for **Fix it**, ``bot.ui.forms``).

A server entry never looks curated: no sources field, no "Reviewed" date, its own colour, and a line that says who
of the server's moderators wrote it and when. Its text is shown as typed with every ping broken (``defuse_pings``:
formatting and channel links stay), its link as typed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

import discord

from bot.knowledge.server_entries import MAX_ALIASES_INPUT, MAX_ENTRIES, ServerEntry
from bot.text import defuse_pings, neutralize_mentions, quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, SERVER_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT
from bot.ui.forms import PROBLEM_MARK, FormField, restore_pings, typed_embed, typed_from_embeds
from bot.ui.plural import plural

log = logging.getLogger(__name__)

"""Not a stage colour of the curated entries: a server entry is told apart at a glance."""
SERVER_LABEL = "This server's own answer"
NOT_CURATED = "Written by this server's moderators; not reviewed against official sources like the curated answers."
BUTTON_LABEL_LIMIT = 80
LIST_PAGE_SIZE = 10
"""Entries per page of /knowledge list: ten lines of at most about 300 characters stay well inside a description."""

FORM_FIELDS = (FormField("title", "Title"), FormField("aliases", "Other names"), FormField("link", "Link"))
"""The short inputs of the entry form, as a refusal lists them; the answer has an embed of its own (4,000 characters
do not fit a field)."""
ANSWER_FIELD = FormField("answer", "Answer")


def _unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def who(user_id: int) -> str:
    """A moderator as a mention (it renders as their name and notifies nobody in an embed); "a moderator" once they
    deleted their data."""
    return f"<@{user_id}>" if user_id else "a moderator"


def authorship(entry: ServerEntry) -> str:
    """``Added by @Dr. Admin 3 days ago · last edited by @Bob 2 hours ago`` (Discord shows the times in each reader's
    own zone)."""
    line = f"Added by {who(entry.created_by)} <t:{_unix(entry.created_at)}:R>"
    if entry.edited:
        line += f" · last edited by {who(entry.updated_by)} <t:{_unix(entry.updated_at)}:R>"
    return line


def entry_title(entry: ServerEntry) -> str:
    return shorten(" ".join(neutralize_mentions(entry.title).split()), 256)


def server_entry_embed(entry: ServerEntry, question: str | None = None) -> discord.Embed:
    """A server entry as members see it: its answer, its link as typed, and who wrote it, plainly the server's."""
    answer = defuse_pings(entry.answer)
    embed = discord.Embed(
        title=entry_title(entry), description=shorten(answer, DESCRIPTION_LIMIT), colour=SERVER_COLOUR
    )
    if question:
        embed.set_author(name=shorten(f"“{' '.join(neutralize_mentions(question).split())}” · {SERVER_LABEL}", 256))
    else:
        embed.set_author(name=SERVER_LABEL)
    if entry.link:
        embed.add_field(name="Link", value=entry.link, inline=False)
    embed.add_field(name="From this server", value=f"{authorship(entry)}\n{NOT_CURATED}", inline=False)
    embed.set_footer(text="A server entry: only this server's members find it, with /ask and /topic.")
    return embed


def server_button_label(title: str) -> str:
    return shorten(f"From this server: {' '.join(neutralize_mentions(title).split())}", BUTTON_LABEL_LIMIT)


def choice_name(title: str) -> str:
    """A server entry in /topic's autocomplete, marked as the server's."""
    return shorten(f"🏠 {' '.join(neutralize_mentions(title).split())}", 86) + " (this server)"


def saved_text(entry: ServerEntry, *, added: bool, total: int) -> str:
    title = quote_user_text(entry.title, 100)
    if added:
        return (
            f"✅ Added **{title}** to this server's knowledge base ({plural(total, 'entry', 'entries')} of "
            f"{MAX_ENTRIES}). Members find it with `/ask` and `/topic` in this server, labelled as the server's."
        )
    return f"✅ Saved your changes to **{title}**."


def list_embed(entries: Sequence[ServerEntry], page: int) -> discord.Embed:
    """Page ``page`` (0-based, kept inside the list) of the server's entries, by title."""
    pages = max(1, -(-len(entries) // LIST_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = entries[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE]
    lines = []
    for number, entry in enumerate(shown, start=page * LIST_PAGE_SIZE + 1):
        line = f"{number}. **{quote_user_text(entry.title, 100)}**"
        if entry.aliases:
            line += f" · also: {quote_user_text(', '.join(entry.aliases), 60)}"
        line += f" · {'edited' if entry.edited else 'added'} <t:{_unix(entry.updated_at)}:R>"
        lines.append(line)
    embed = discord.Embed(
        title=f"This server's knowledge entries · {len(entries)} of {MAX_ENTRIES}",
        description="\n".join(lines)
        or "None yet. `/knowledge add` writes one: members then find it with `/ask` and `/topic` in this server.",
        colour=SERVER_COLOUR,
    )
    where = f"Page {page + 1} of {pages}. " if pages > 1 else ""
    embed.set_footer(
        text=f"{where}/knowledge edit and /knowledge remove pick one as you type; /knowledge export gives them all "
        "as Markdown files."
    )
    return embed


def list_pages(total: int) -> int:
    return max(1, -(-total // LIST_PAGE_SIZE))


def remove_question(entry: ServerEntry) -> str:
    return f"Remove **{quote_user_text(entry.title, 100)}** from this server's knowledge base? This cannot be undone."


def removed_text(entry: ServerEntry | None) -> str:
    if entry is None:
        return "That entry was already removed."
    return f"🗑️ Removed **{quote_user_text(entry.title, 100)}** from this server's knowledge base."


def export_text(count: int, files: int) -> str:
    what = "one Markdown file each" if files == count else "a .zip of Markdown files"
    return (
        f"This server's {plural(count, 'entry', 'entries')}, {what}, in the curated knowledge base's format "
        "(`data/knowledge/<id>.md`). To propose one for the curated base, add its stage, official sources and the "
        "review date (the file says where) and open a pull request or an issue with it."
    )


# -- what a refused form showed as typed -----------------------------------------------------------------------------


def typed_of(entry: ServerEntry | None) -> dict[str, str]:
    """An entry as the form's inputs show it (empty: a new entry)."""
    if entry is None:
        return {}
    aliases = ", ".join(entry.aliases)
    if len(aliases) > MAX_ALIASES_INPUT:
        # What was typed had at most this many characters; names joined by bare commas are never longer.
        aliases = ",".join(entry.aliases)
    return {"title": entry.title, "aliases": aliases, "answer": entry.answer, "link": entry.link or ""}


def typed_embeds(typed: Mapping[str, str], wrong: frozenset[str]) -> list[discord.Embed]:
    """What was typed, for the refusal: the short inputs as fields, the answer as a second embed's text (pings
    broken, put back by ``typed_from``)."""
    first = typed_embed(FORM_FIELDS, typed, wrong)
    embeds = [first]
    answer = typed.get(ANSWER_FIELD.key, "")
    if answer.strip():
        if not first.fields:
            first.description = None
        shown = defuse_pings(answer)
        if len(shown) > DESCRIPTION_LIMIT:
            # Only an answer of little but pings gets this long (each broken one grows by a character).
            log.info("typed answer longer than an embed description once defused; shortened")
            shown = shown[:DESCRIPTION_LIMIT]
        mark = PROBLEM_MARK if ANSWER_FIELD.key in wrong else ""
        embeds.append(discord.Embed(title=f"{mark}{ANSWER_FIELD.name}", description=shown, colour=BRAND_COLOUR))
    return embeds


def typed_from(embeds: Sequence[discord.Embed]) -> dict[str, str]:
    """What ``typed_embeds`` showed, by input id."""
    typed = typed_from_embeds(embeds, FORM_FIELDS)
    for embed in embeds[1:]:
        if (embed.title or "").removeprefix(PROBLEM_MARK) == ANSWER_FIELD.name and embed.description:
            typed[ANSWER_FIELD.key] = restore_pings(embed.description)
    return typed
