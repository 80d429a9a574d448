"""/privacy's screens: a summary that fits a phone screen, and the full text behind **Details**.

The full text is ``bot.privacy.privacy_sections``, unchanged: everything it says is one click away. The summary
restates its points in a few lines, built from the same settings and periods, so the two cannot drift apart on a
number; a unit test holds it under ``SUMMARY_LIMIT`` for every retention and backup setting.
"""

from __future__ import annotations

import datetime as dt
import math

import discord

from bot.knowledge.feedback import REASONS_KEPT
from bot.knowledge.repository import UNANSWERED_KEPT
from bot.privacy import DEFAULT_BACKUPS, BackupPolicy, privacy_sections
from bot.readiness.service import SESSION_TTL
from bot.studygroups.models import DEFAULT_RETENTION_DAYS
from bot.ui.colours import GROUP_COLOUR
from bot.ui.plural import plural

TITLE = "Privacy: what this bot keeps about you"
SUMMARY_LIMIT = 1500
"""Characters of the whole summary embed (title, text, footer): about one phone screen."""
DETAILS_LABEL = "Details"


def _up_to(delta: dt.timedelta) -> str:
    """``7 days``, ``36 hours``: rounded up, as an "up to" must be (the details word it the same way)."""
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return plural(max(1, math.ceil(hours)), "hour")
    return plural(math.ceil(hours / 24), "day")


def _leaving(retention_days: int | None) -> str:
    if retention_days is None:
        return f"the server's retention period ({DEFAULT_RETENTION_DAYS} days unless it changed it)"
    if retention_days == 0:
        return "soon after (this server keeps it 0 days)"
    return f"{plural(retention_days, 'day')} (this server's setting)"


def privacy_summary(retention_days: int | None = None, backups: BackupPolicy = DEFAULT_BACKUPS) -> str:
    """The summary's text: what is kept, what is not, for how long, and what the member can do about it."""
    kept_for = backups.kept_for
    backup_line = (
        f"Backups keep what you delete for up to {_up_to(kept_for)}."
        if kept_for is not None
        else "I make no backups by myself."
    )
    return "\n".join(
        (
            "**What I keep:** only what you give me through commands and buttons, so each feature works for you: "
            "your study groups, check-ins, time zone and reminder choice; quiz answers and scores; an unfinished "
            "readiness check, and its levels if you save them; your interview notes, interview log and rank draft; "
            "your own dates (`/mydates`); your helpful votes; questions you ask the community (your id too, "
            "unseen, when anonymous); as a moderator, your name on the server answers you write (`/knowledge add`).",
            "",
            "**What I don't:** I don't read or store your messages, and nothing is sold or shared. Others see what "
            "you post or share, and weekly recaps name who checked in; your group mates and moderators can see "
            "your streak and totals with `/progress user:`.",
            "",
            "**How long:** until you delete it, except an unfinished readiness check "
            f"({SESSION_TTL.days} days after your last answer), a question I could not answer ({UNANSWERED_KEPT.days} "
            f"days, kept without your name), why you marked an answer not helpful ({REASONS_KEPT.days} days), your "
            "own dates (30 days after each), and your study-group data in a server you leave: deleted after "
            f"{_leaving(retention_days)}, unless you come back. {backup_line}",
            "",
            "**Your choices:** `/mydata export` sends you everything I hold; `/mydata delete` removes all of it "
            "after you confirm; `/settings` changes your time zone and streak reminders.",
        )
    )


def privacy_summary_embed(retention_days: int | None = None, backups: BackupPolicy = DEFAULT_BACKUPS) -> discord.Embed:
    """/privacy: the summary; ``retention_days`` is the server's study-group retention (None in a DM)."""
    embed = discord.Embed(title=TITLE, description=privacy_summary(retention_days, backups), colour=GROUP_COLOUR)
    embed.set_footer(text=f"Only you can see this. {DETAILS_LABEL}: the whole text, with every period and why.")
    return embed


def privacy_details_embed(retention_days: int | None = None, backups: BackupPolicy = DEFAULT_BACKUPS) -> discord.Embed:
    """Behind **Details**: the full text, one field per section (each under Discord's 1,024 characters)."""
    embed = discord.Embed(title=TITLE, colour=GROUP_COLOUR)
    for title, body in privacy_sections(retention_days, backups):
        embed.add_field(name=title, value=body, inline=False)
    return embed
