"""Embeds for /interview and /rank: the practice card and its tips, saved notes, the interview log, the rank draft.

Pure functions from the interview service's values to embeds, inside Discord's limits. Everything a member typed
(notes, program names) is made safe here, where it is shown: it can neither ping nor format the message. The buttons,
selects and forms live with the cog (``cogs/interviews.py``), because their callbacks need the bot. Every screen is
private (ephemeral): the footers say so, in plain words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import discord

from bot.cycle import Milestone, MilestoneStatus
from bot.interviews.models import Category, InterviewQuestion
from bot.interviews.repository import LoggedInterview, SavedNote
from bot.interviews.service import DRAFT_PER_PAGE, NOTES_PER_PAGE, PracticeCard, RankDraft
from bot.interviews.service import Page as ListPage
from bot.milestones.announcements import spell_date
from bot.text import escape_markdown, neutralize_mentions, quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, NOTICE_COLOUR, PRACTICE_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, markdown_link

BUTTON_LABEL_LIMIT = 80
OPTION_LABEL_LIMIT = 100
TITLE_LIMIT = 256
PRIVATE = "Only you can see this."
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def user_paragraph(text: str, limit: int) -> str:
    """What a member wrote, shown with its line breaks but without pings or formatting, cut to ``limit``."""
    lines = [escape_markdown(" ".join(neutralize_mentions(line).split())) for line in text.splitlines()]
    return shorten("\n".join(lines).strip(), limit)


def program_name(entry: LoggedInterview, limit: int = 100) -> str:
    return quote_user_text(entry.program, limit)


def stars(impression: int | None) -> str:
    """``★★★★☆ 4/5``: the number too, for screen readers and for anyone the stars mean nothing to."""
    if impression is None:
        return "no impression given"
    return "★" * impression + "☆" * (5 - impression) + f" {impression}/5"


def day_text(day: dt.date) -> str:
    """``Jan 5, 2027``: short, and the same for readers everywhere (no 05/01 against 01/05)."""
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _bullets(lines: Sequence[str], limit: int = FIELD_VALUE_LIMIT) -> str:
    text = ""
    for line in lines:
        candidate = f"{text}\n• {line}" if text else f"• {line}"
        if len(candidate) > limit:
            break
        text = candidate
    return text


def category_choice_name(category: Category | None, count: int) -> str:
    label = "Every category (mixed)" if category is None else category.label
    return shorten(f"{label} · {count} questions", OPTION_LABEL_LIMIT)


# -- practice --------------------------------------------------------------------------------------------------------


def practice_embed(card: PracticeCard, *, tips: bool) -> discord.Embed:
    """One question with its visible timer (each reader's Discord counts it down live); the tips when asked for."""
    question = card.question
    where = "Every category" if card.category is None else card.category.short
    embed = discord.Embed(
        title=shorten(f"Practice question {card.draw.number} of {card.draw.total} · {where}", TITLE_LIMIT),
        colour=PRACTICE_COLOUR,
    )
    lines = []
    if card.new_round:
        lines.append(f"🔁 You have seen all {card.draw.total} questions. Here they come again, in a new order.\n")
    lines += [
        f"**{question.question}**",
        "",
        f"⏱️ Answer aloud, as in a real interview: you have {card.minutes} "
        f"{'minute' if card.minutes == 1 else 'minutes'}. Time is up {discord.utils.format_dt(card.ends_at, 'R')}.",
        f"*{question.category.blurb}*",
    ]
    if not tips:
        lines.append("\nWhen you have answered, press **Tips** to compare, or **Note my answer** to keep a note.")
    embed.description = shorten("\n".join(lines), DESCRIPTION_LIMIT)
    if tips:
        add_tips(embed, question)
    embed.set_footer(text=f"{PRIVATE} Reviewed {question.reviewed.isoformat()}.")
    return embed


def add_tips(embed: discord.Embed, question: InterviewQuestion) -> None:
    embed.add_field(
        name="What interviewers look for", value=shorten(question.look_for, FIELD_VALUE_LIMIT), inline=False
    )
    embed.add_field(name="How to build your answer", value=shorten(question.structure, FIELD_VALUE_LIMIT), inline=False)
    embed.add_field(name="Common pitfalls", value=_bullets(question.pitfalls), inline=False)
    embed.add_field(name="Source", value=markdown_link("Read more", question.source), inline=False)


def note_saved_text(note: SavedNote) -> str:
    return (
        f"📝 Saved your note on “{shorten(escape_markdown(note.question), 200)}”. "
        "Only you can see it: `/interview notes` lists your notes."
    )


# -- saved notes -----------------------------------------------------------------------------------------------------


def _saved_on(moment: dt.datetime) -> str:
    return discord.utils.format_dt(moment, "d")


def notes_embed(page: ListPage[SavedNote]) -> discord.Embed:
    embed = discord.Embed(title="Your notes on practice answers", colour=BRAND_COLOUR)
    if not page.items:
        embed.description = (
            "No notes yet. During `/interview practice`, press **Note my answer** to keep what you want to remember."
        )
    else:
        embed.description = "Newest first. Pick a note below to read all of it or to delete it."
    first = page.page * NOTES_PER_PAGE
    for offset, note in enumerate(page.items, start=1):
        embed.add_field(
            name=shorten(f"{first + offset}. {note.question}", TITLE_LIMIT),
            value=f"{user_paragraph(note.note, 300)}\n*Saved {_saved_on(note.created_at)}*",
            inline=False,
        )
    embed.set_footer(text=_page_footer(page, "note"))
    return embed


def note_option_label(note: SavedNote) -> str:
    return shorten(" ".join(note.question.split()), OPTION_LABEL_LIMIT)


def note_option_description(note: SavedNote) -> str:
    return shorten(" ".join(neutralize_mentions(note.note).split()), OPTION_LABEL_LIMIT)


def note_embed(note: SavedNote, *, confirm_delete: bool = False) -> discord.Embed:
    embed = discord.Embed(
        title="Delete this note?" if confirm_delete else "Your note",
        colour=NOTICE_COLOUR if confirm_delete else BRAND_COLOUR,
    )
    saved = f"*Saved {_saved_on(note.created_at)}*"
    embed.description = shorten(
        f"**{escape_markdown(note.question)}**\n\n{user_paragraph(note.note, 1500)}\n\n{saved}", DESCRIPTION_LIMIT
    )
    if confirm_delete:
        embed.add_field(name="This cannot be undone", value="The note is deleted for good.", inline=False)
    embed.set_footer(text=PRIVATE)
    return embed


# -- the interview log -----------------------------------------------------------------------------------------------


def _page_footer(page: ListPage[Any], noun: str) -> str:
    count = f"{page.total} {noun}" + ("" if page.total == 1 else "s")
    where = f" · page {page.page + 1} of {page.pages}" if page.pages > 1 else ""
    return f"{PRIVATE} {count}{where}."


def logged_text(entry: LoggedInterview, draft_size: int) -> str:
    return (
        f"✅ Logged **{program_name(entry)}**, {day_text(entry.date)}, {stars(entry.impression)}. "
        f"Your log has {draft_size} {'interview' if draft_size == 1 else 'interviews'}. "
        "`/interview history` changes or removes entries; `/rank draft` orders them. Only you can see this."
    )


def log_embed(page: ListPage[LoggedInterview]) -> discord.Embed:
    embed = discord.Embed(title="Your interview log", colour=BRAND_COLOUR)
    if not page.items:
        embed.description = (
            "No interviews logged yet. After each interview, add it with `/interview log program: date:` "
            "and your impression from 1 to 5, while you still remember the day."
        )
    else:
        lines = ["By interview date. Pick one below to change or remove it.", ""]
        for entry in page.items:
            line = f"**{program_name(entry, 80)}** · {day_text(entry.date)} · {stars(entry.impression)}"
            if entry.notes:
                line += f"\n↳ *{user_paragraph(entry.notes, 120).replace(chr(10), ' ')}*"
            lines.append(line)
        embed.description = shorten("\n".join(lines), DESCRIPTION_LIMIT)
    embed.set_footer(text=_page_footer(page, "interview"))
    return embed


def entry_option_label(entry: LoggedInterview) -> str:
    return shorten(" ".join(neutralize_mentions(entry.program).split()), OPTION_LABEL_LIMIT)


def entry_option_description(entry: LoggedInterview) -> str:
    return shorten(f"{day_text(entry.date)} · {stars(entry.impression)}", OPTION_LABEL_LIMIT)


def entry_embed(entry: LoggedInterview, *, confirm_remove: bool = False) -> discord.Embed:
    embed = discord.Embed(
        title=shorten(("Remove this interview? " if confirm_remove else "") + program_name(entry), TITLE_LIMIT),
        colour=NOTICE_COLOUR if confirm_remove else BRAND_COLOUR,
    )
    embed.add_field(name="Interview day", value=spell_date(entry.date), inline=True)
    embed.add_field(name="Your impression", value=stars(entry.impression), inline=True)
    embed.add_field(
        name="Notes", value=user_paragraph(entry.notes, FIELD_VALUE_LIMIT) if entry.notes else "None", inline=False
    )
    if entry.rank_note:
        embed.add_field(name="Rank draft note", value=user_paragraph(entry.rank_note, FIELD_VALUE_LIMIT), inline=False)
    if confirm_remove:
        embed.add_field(
            name="This cannot be undone",
            value="The interview leaves your log and your rank draft, with its notes.",
            inline=False,
        )
    embed.set_footer(text=PRIVATE)
    return embed


# -- the rank draft --------------------------------------------------------------------------------------------------


def deadline_line(deadline: Milestone) -> str:
    """The ROL deadline as every reader's Discord shows it in their own time zone, and whether it is official."""
    mark = (
        "official (NRMP)"
        if deadline.status is MilestoneStatus.OFFICIAL
        else "projected from past cycles: check NRMP for the official date"
    )
    return (
        f"{discord.utils.format_dt(deadline.at, 'F')} ({discord.utils.format_dt(deadline.at, 'R')})\n"
        f"Match {deadline.match_year} · {mark}"
    )


def draft_embed(draft: RankDraft, page: int, selected: int | None) -> discord.Embed:
    """The draft, one page of it, with the program the move buttons act on marked ▶."""
    embed = discord.Embed(title="Your rank draft", colour=BRAND_COLOUR)
    shown = draft.page(page)
    if not draft.entries:
        embed.description = (
            "Your draft is built from your interview log, which is empty. Add each interview with "
            "`/interview log program: date:` and an impression from 1 to 5; they appear here, best impression first."
        )
    else:
        start = shown.page * DRAFT_PER_PAGE
        lines = ["Pick a program below, then move it up or down. New interviews join at the bottom.", ""]
        for place, entry in enumerate(shown.items, start=start + 1):
            marker = "▶ " if entry.id == selected else ""
            line = f"{marker}**{place}. {program_name(entry, 80)}** · {stars(entry.impression)}"
            if entry.rank_note:
                line += f"\n↳ *{user_paragraph(entry.rank_note, 150).replace(chr(10), ' ')}*"
            lines.append(line)
        embed.description = shorten("\n".join(lines), DESCRIPTION_LIMIT)
    if draft.deadline is not None:
        embed.add_field(name="Rank order list deadline", value=deadline_line(draft.deadline), inline=False)
    embed.add_field(
        name="Only a draft",
        value=(
            "Only the list you certify in NRMP's R3 counts. Rank programs in the order you want them, not by where "
            "you think you will match. This draft is private: nobody sees it unless you share it."
        ),
        inline=False,
    )
    footer = f"{PRIVATE} {len(draft.entries)} {'program' if len(draft.entries) == 1 else 'programs'}"
    if shown.pages > 1:
        footer += f" · page {shown.page + 1} of {shown.pages}"
    embed.set_footer(text=footer + ".")
    return embed


def export_message(draft: RankDraft) -> str:
    line = "📄 Your rank draft as a text file. Only you can see it; share it only if you want to."
    if draft.deadline is not None:
        line += f"\nRank order list deadline: {discord.utils.format_dt(draft.deadline.at, 'F')}."
    return line
