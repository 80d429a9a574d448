"""The app command check that applies ``bot.cooldowns``; a refusal takes the shared error path (bot/ui/errors.py)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from discord import app_commands

from bot.ui.interaction import Interaction
from bot.validation import UserInputError

log = logging.getLogger(__name__)

T = TypeVar("T")


class CooldownActive(app_commands.CheckFailure, UserInputError):
    """A member used a costly command more often than its limit allows; ``retry_at`` says when it works again.

    Like ``PermissionRefused``: a CheckFailure so discord.py routes it from a check to the tree's error handler, a
    UserInputError so the shared error path shows its message as it is (and needs no import of this module).
    """

    def __init__(self, command: str, retry_at: dt.datetime) -> None:
        super().__init__(cooldown_message(command, retry_at))
        self.command = command
        self.retry_at = retry_at


def cooldown_message(command: str, retry_at: dt.datetime) -> str:
    # Rounded up, so the time shown is never a moment too early; Discord renders it as "in 20 seconds".
    unix = int(retry_at.timestamp()) + (1 if retry_at.microsecond else 0)
    return f"You have used `/{command}` many times in a short while. Please wait a little: it works again <t:{unix}:R>."


def per_user_cooldown() -> Callable[[T], T]:
    """Limit the decorated command per member as ``bot.cooldowns`` says for its qualified name."""

    async def predicate(interaction: Interaction) -> bool:
        command = interaction.command
        if command is None:
            return True
        name = command.qualified_name
        cooldowns = interaction.client.services.cooldowns
        retry_at = cooldowns.hit(name, interaction.user.id, dt.datetime.now(dt.UTC))
        if retry_at is not None:
            log.info("user %s hit the cooldown of /%s (interaction %s)", interaction.user.id, name, interaction.id)
            raise CooldownActive(name, retry_at)
        return True

    return app_commands.check(predicate)
