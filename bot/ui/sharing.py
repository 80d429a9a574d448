"""Sharing a private screen: a "Share in this channel" button under an ephemeral reply that posts the same
information for everyone.

Sharing is the owner's choice, never the default. The owner's id rides in the button's custom_id (the button is a
DynamicItem, so it works after a restart), and the button refuses anyone else: Discord only lets the person who got
an ephemeral message press its buttons, but a custom_id is not a secret, so the bot checks anyway.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.ui.interaction import Interaction
from bot.validation import UserInputError

log = logging.getLogger(__name__)

SHARE_LABEL = "Share in this channel"
SHARED_NOTE = "✅ Shared in this channel."


def share_button(custom_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=SHARE_LABEL, style=discord.ButtonStyle.secondary, custom_id=custom_id)


def ensure_owner(interaction: Interaction, owner_id: int, again: str) -> None:
    """Refuse (UserInputError, shown privately) a share by anyone but the screen's owner; ``again`` names the
    command that shows the clicker their own."""
    if interaction.user.id != owner_id:
        raise UserInputError(f"Only the member this belongs to can share it. {again} shows yours.")


async def share_in_channel(
    interaction: Interaction,
    embed: discord.Embed,
    *,
    view: discord.ui.View | None = None,
    keep: discord.ui.View | None = None,
) -> None:
    """Post ``embed`` (with ``view``'s buttons, if any) for everyone in the button's channel, and take the button off
    the private screen first (``keep``: the buttons the private screen keeps; none by default).

    The private screen is updated in the interaction's response (the cheap step, within Discord's 3 seconds) and
    says it was shared, so a second click cannot happen by accident. The public post is a channel message with a
    nonce made from the private screen's id: discord.py retries a 5xx on its own, and if Discord had made the message
    the nonce returns it instead of a second one (a followup, which takes no nonce, could post twice). Only where the
    bot may not post in the channel is it a followup, which needs no permission there.
    """
    await interaction.response.edit_message(content=SHARED_NOTE, view=keep)
    extra: dict[str, Any] = {} if view is None else {"view": view}
    channel = interaction.channel
    if interaction.message is not None and isinstance(channel, discord.abc.Messageable):
        try:
            await channel.send(
                embed=embed,
                nonce=f"share{interaction.message.id}",
                allowed_mentions=discord.AllowedMentions.none(),
                **extra,
            )
        except discord.Forbidden:
            log.info("may not post in channel %s; sharing as a followup", interaction.channel_id)
        else:
            log.info("a member shared a private screen in channel %s", interaction.channel_id)
            return
    await interaction.followup.send(embed=embed, allowed_mentions=discord.AllowedMentions.none(), **extra)
    log.info("a member shared a private screen in channel %s", interaction.channel_id)
