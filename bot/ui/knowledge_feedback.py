"""👎 asks why: the words of the private answer to a vote, the reasons menu, and the reasons in /knowledge report.

Plain screens; the menu, the **Tell us more** button and its form are in ``cogs/knowledge.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import discord

from bot.knowledge.feedback import MAX_NOTE_CHARS, REASONS_KEPT, ReasonSummary, VoteReason
from bot.knowledge.repository import VoteTally
from bot.text import quote_user_text, shorten
from bot.ui.embeds import EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.plural import plural

TELL_US_MORE = "Tell us more"
REASON_PLACEHOLDER = "Why wasn't it helpful? (optional)"
REPORT_ENTRIES = 5
"""Entries whose reasons /knowledge report shows, the most explained first."""
NOTE_SHOWN_CHARS = 150
"""Each note as the report quotes it: the report shows three per entry for five entries within one embed."""


def who_reads(in_server: bool) -> str:
    """Who sees what a member explains: the moderators of the server it was given in, or in a DM the operator."""
    return (
        "This server's moderators see it, never your name"
        if in_server
        else "Whoever runs the bot sees it, never your name"
    )


def vote_thanks(tally: VoteTally, helpful: bool, *, in_server: bool) -> str:
    """The private answer to a vote; after 👎, the invitation to say why (all of it optional)."""
    counts = f"({tally.helpful} 👍 · {tally.not_helpful} 👎 so far)"
    if helpful:
        return f"Thanks! Glad it helped. {counts}"
    return (
        f"Thanks for telling us. {counts}\n"
        f"If you like, tell us why: pick a reason, or press **{TELL_US_MORE}** to write a line (both optional). "
        f"{who_reads(in_server)}; it is forgotten after {REASONS_KEPT.days} days."
    )


def reason_options(current: VoteReason | None) -> list[tuple[str, str, bool]]:
    """The reasons menu: (label, value, shown as chosen) per reason, in the order they are offered."""
    return [(reason.label, reason.value, reason is current) for reason in VoteReason]


def reason_noted(reason: VoteReason, *, in_server: bool) -> str:
    return (
        f"Thanks, noted: **{reason.label}**. {who_reads(in_server)}. Press **{TELL_US_MORE}** to add a line, or pick "
        "another reason to change it."
    )


def note_noted(note: str, *, in_server: bool) -> str:
    if not note:
        return "Your note was removed. (Any reason you picked is kept.)"
    return (
        f"Thanks, noted: “{quote_user_text(note, MAX_NOTE_CHARS)}”\n{who_reads(in_server)}. Press "
        f"**{TELL_US_MORE}** again to change it, or send it empty to remove it."
    )


def reason_lines(summary: ReasonSummary, *, note_chars: int = NOTE_SHOWN_CHARS) -> list[str]:
    """``2 × Wrong or out of date · 1 × Missing my situation`` and the latest notes, quoted safely (no pings, no
    markdown, one line each)."""
    counts = " · ".join(f"{count} × {reason.label}" for reason, count in summary.counts.items())
    lines = [counts or "No reason picked"]
    lines += [f"💬 “{quote_user_text(note, note_chars)}”" for note in summary.notes]
    return lines


def add_reason_fields(embed: discord.Embed, summaries: Sequence[ReasonSummary], title_of: Callable[[str], str]) -> int:
    """The report's "Why 👎" part: one field per entry (the most explained first), at most ``REPORT_ENTRIES`` and as
    many as fit the embed; returns how many entries it shows."""
    if not summaries:
        _add_if_it_fits(embed, "Why 👎", "No reasons given yet.")
        return 0
    shown = 0
    for summary in summaries[:REPORT_ENTRIES]:
        name = shorten(f"Why 👎: {title_of(summary.entry_id)} ({plural(summary.explained, 'member')})", 256)
        if not _add_if_it_fits(embed, name, shorten("\n".join(reason_lines(summary)), FIELD_VALUE_LIMIT)):
            break
        shown += 1
    return shown


def _add_if_it_fits(embed: discord.Embed, name: str, value: str) -> bool:
    if len(embed) + len(name) + len(value) > EMBED_TOTAL_LIMIT or len(embed.fields) >= 25:
        return False
    embed.add_field(name=name, value=value, inline=False)
    return True
