"""/knowledge report: what this server's members asked that nothing answered (grouped), the server's own entries
asked for most, the entries marked not helpful and why. One embed, always within Discord's limits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import discord

from bot.knowledge.feedback import REASONS_KEPT, ReasonSummary
from bot.knowledge.question_groups import QuestionGroup
from bot.knowledge.repository import UNANSWERED_KEPT, VoteTally
from bot.knowledge.server_entries import AnsweredEntry
from bot.text import quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR
from bot.ui.embeds import FIELD_VALUE_LIMIT
from bot.ui.knowledge_feedback import add_reason_fields
from bot.ui.plural import plural

REPORT_LINES = 10
"""Lines per list: the ten questions asked most, the ten entries answered with most, the ten least helpful."""
WORDING_CHARS = 90
"""A question as the report quotes it: ten of them fit one field."""

QUESTIONS_FIELD = "Questions without an answer"
SERVER_ENTRIES_FIELD = "This server's entries asked for most"


@dataclass(frozen=True)
class KnowledgeReport:
    """What /knowledge report shows, all of it this server's (the votes excepted: they are per curated entry)."""

    groups: Sequence[QuestionGroup]
    tallies: Sequence[VoteTally]
    reasons: Sequence[ReasonSummary]
    answered: Sequence[AnsweredEntry]


def group_line(group: QuestionGroup) -> str:
    """``8× “when is match day” · 3 wordings``: the wording asked most, how often all were asked, how many wordings."""
    line = f"`{group.times}×` “{quote_user_text(group.wording, WORDING_CHARS)}”"
    return line if group.wordings == 1 else f"{line} · {plural(group.wordings, 'wording')}"


def answered_line(entry: AnsweredEntry) -> str:
    return f"`{entry.times}×` **{quote_user_text(entry.title, 100)}**"


def _lines(lines: Sequence[str], empty: str) -> str:
    """As many whole lines as fit one field value (a line cut in half would misquote a question)."""
    kept: list[str] = []
    for line in lines[:REPORT_LINES]:
        if len("\n".join([*kept, line])) > FIELD_VALUE_LIMIT:
            break
        kept.append(line)
    return "\n".join(kept) or empty


def report_embed(report: KnowledgeReport, title_of: Callable[[str], str]) -> discord.Embed:
    """The report; ``title_of`` names a curated entry by its id."""
    embed = discord.Embed(title="Knowledge base report", colour=BRAND_COLOUR)
    embed.add_field(
        name=QUESTIONS_FIELD,
        value=_lines([group_line(g) for g in report.groups], "None yet."),
        inline=False,
    )
    embed.add_field(
        name=SERVER_ENTRIES_FIELD,
        value=_lines(
            [answered_line(e) for e in report.answered],
            "None yet: /ask has not answered with one of this server's entries.",
        ),
        inline=False,
    )
    unhelpful = sorted((t for t in report.tallies if t.not_helpful), key=lambda t: (-t.not_helpful, t.entry_id))
    embed.add_field(
        name="Entries marked not helpful",
        value=_lines(
            [f"**{shorten(title_of(t.entry_id), 60)}**: {t.not_helpful} 👎 · {t.helpful} 👍" for t in unhelpful],
            "None yet.",
        ),
        inline=False,
    )
    total = sum(t.helpful + t.not_helpful for t in report.tallies)
    # The footer before the reasons: add_reason_fields adds only what still fits the whole embed.
    embed.set_footer(
        text=f"{plural(total, 'vote')} in all. Questions: this server's own, similar wordings counted together, "
        f"stored without who asked them, kept {UNANSWERED_KEPT.days} days after they were last asked; private ones "
        "are never stored. Entries asked for most: candidates for the curated base (/knowledge export). Why 👎: "
        f"this server's, without names, kept {REASONS_KEPT.days} days."
    )
    add_reason_fields(embed, report.reasons, lambda entry_id: shorten(title_of(entry_id), 60))
    return embed
