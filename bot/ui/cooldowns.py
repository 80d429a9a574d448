"""The app command check that applies ``bot.cooldowns``; a refusal takes the shared error path (bot/ui/errors.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

T = TypeVar("T")


class CooldownActive(app_commands.CheckFailure):
    """A member used a costly command more often than its limit allows; ``retry_at`` says when it works again."""

    def __init__(self, command: str, retry_at: dt.datetime) -> None:
        super().__init__(f"/{command} is cooling down until {retry_at.isoformat()}")
        self.command = command
        self.retry_at = retry_at


def cooldown_message(error: CooldownActive) -> str:
    # Rounded up, so the time shown is never a moment too early; Discord renders it as "in 20 seconds".
    unix = int(error.retry_at.timestamp()) + (1 if error.retry_at.microsecond else 0)
    return (
        f"You have used `/{error.command}` many times in a short while. Please wait a little: "
        f"it works again <t:{unix}:R>."
    )


def per_user_cooldown() -> Callable[[T], T]:
    """Limit the decorated command per member as ``bot.cooldowns`` says for its qualified name."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        command = interaction.command
        if command is None:
            return True
        name = command.qualified_name
        cooldowns = cast("ImgBot", interaction.client).services.cooldowns
        retry_at = cooldowns.hit(name, interaction.user.id, dt.datetime.now(dt.UTC))
        if retry_at is not None:
            log.info("user %s hit the cooldown of /%s (interaction %s)", interaction.user.id, name, interaction.id)
            raise CooldownActive(name, retry_at)
        return True

    return app_commands.check(predicate)
