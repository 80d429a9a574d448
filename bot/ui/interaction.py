"""The bot's interaction type: ``discord.Interaction`` whose client is ``ImgBot``, so ``interaction.client`` reaches
the services and the settings with their types.

``bot.app`` is imported for the type checker only, and no module that ``bot.app`` imports may import this one
(tests/unit/project/test_architecture.py): the bot imports its error path and adapters from this package, and a
module of theirs that named ``ImgBot`` would close a cycle. At run time the aliases are discord.py's own class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import discord

if TYPE_CHECKING:
    from bot.app import ImgBot

    Interaction: TypeAlias = discord.Interaction[ImgBot]
    """What commands, checks, callbacks and the helpers they call take."""

    HookInteraction: TypeAlias = discord.Interaction[Any]
    """Only for overrides of discord.py's own hooks (a dynamic item's ``from_custom_id``, a modal's ``on_submit``, an
    item's ``callback``): discord.py declares them for any client, and an override may not narrow that. What they
    are given goes on to functions that take ``Interaction``."""
else:
    Interaction = HookInteraction = discord.Interaction
