"""Milestone announcements (/milestones, /announcements) and server events (/event).

The commands are glue: ``bot.milestones`` decides, ``bot.ui.milestones`` draws, ``bot.adapters.announcements`` talks
to Discord for the announcer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.milestones.commands import MilestonesCog
from cogs.milestones.events import EventsCog

if TYPE_CHECKING:
    from bot.app import ImgBot


async def setup(bot: ImgBot) -> None:
    milestones = MilestonesCog(bot)
    await bot.add_cog(milestones)
    await bot.add_cog(EventsCog(bot, milestones.messenger))
