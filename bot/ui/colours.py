"""The bot's colours, in one place: every embed takes its colour from here, so what means the same thing in two
features (a right answer and a member on track, a warning and a projected date) looks the same, and a feature's own
colour is chosen beside all the others."""

from __future__ import annotations

import discord

from bot.knowledge.models import Stage

# -- what a message means, in every feature --------------------------------------------------------------------

BRAND_COLOUR = discord.Colour(0x2B6CB0)
"""The default: answers, lists, settings, forms, /status when all is well."""
NOTICE_COLOUR = discord.Colour(0xD69E2E)
"""Worth a second look: a warning, a projected date, a confirmation before deleting, /status with a problem."""
SUCCESS_COLOUR = discord.Colour(0x2F855A)
"""A right answer, a member on track, a mock interview finished."""
DANGER_COLOUR = discord.Colour(0xC53030)
"""A wrong answer, a red flag, announcements paused."""
ENDED_COLOUR = discord.Colour(0x718096)
"""Over: a mock interview closed or ended."""

# -- each feature's own --------------------------------------------------------------------------------------

GROUP_COLOUR = discord.Colour(0x2E86C1)
"""Study groups (lists, receipts, prompts, recaps, /progress) and /privacy."""
NUDGE_COLOUR = discord.Colour(0xE67E22)
"""The streak-nudge DM."""
MYDATES_COLOUR = discord.Colour(0x1ABC9C)
"""/mydates and its reminders."""
PRACTICE_COLOUR = discord.Colour(0x2C7A7B)
"""Interview practice cards."""
EVENT_COLOUR = discord.Colour(0x2C7A7B)
"""Milestone announcements of a server's events, and /events."""
MOCK_COLOUR = discord.Colour(0x6B46C1)
"""Mock interviews while they run."""
RESULTS_COLOUR = discord.Colour(0xB7791F)
"""Quiz results and standings."""
SERVER_COLOUR = discord.Colour(0x319795)
"""A server's own knowledge entries."""
COMMUNITY_COLOUR = discord.Colour(0x805AD5)
"""Ask the community: the offer, the post and the help-channel settings."""

_STAGE_COLOURS = {
    Stage.ELIGIBILITY: 0x4A5568,
    Stage.ECFMG: 0x2B6CB0,
    Stage.USMLE: 0x6B46C1,
    Stage.USCE: 0x2F855A,
    Stage.DOCUMENTS: 0x2C7A7B,
    Stage.ERAS: 0xC05621,
    Stage.PROGRAMS: 0xB7791F,
    Stage.INTERVIEWS: 0x975A16,
    Stage.RANKING: 0xC53030,
    Stage.MATCH_WEEK: 0xD53F8C,
    Stage.VISA: 0x3182CE,
    Stage.RESIDENCY: 0x38A169,
    Stage.PLANNING: 0x718096,
}


def stage_colour(stage: Stage) -> discord.Colour:
    """The colour of a stage's entries, so a browsed list and the entries it opens match."""
    return discord.Colour(_STAGE_COLOURS[stage])
