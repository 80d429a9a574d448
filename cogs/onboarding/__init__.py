"""The first day in a server: the welcome when the bot joins (``welcome``), and /setup, a private step-by-step
flow for moderators (``flow``). The settings /setup changes belong to the features and are changed through their
services; ``bot.onboarding`` records the welcomes and holds the flow's reminder choices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.onboarding.flow import SETUP_ITEMS, SetupCog
from cogs.onboarding.welcome import WelcomeCog

if TYPE_CHECKING:
    from bot.app import ImgBot


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(*SETUP_ITEMS)
    await bot.add_cog(SetupCog(bot))
    await bot.add_cog(WelcomeCog(bot))
