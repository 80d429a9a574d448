"""Scheduled study-group posts (prompts and weekly recaps) and streak nudges by DM, for the dispatchers.

Discord's answers become the delivery machinery's terms (``bot.ui.delivery_errors``); a post of ours is found again
after a crash by the reference in its footer (``bot.ui.channels``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import discord

from bot.scheduling import DeliveryProblem, ProblemKind, TransientDeliveryError
from bot.studygroups.models import StudyGroup
from bot.studygroups.nudges import MemberNudge
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.schedule import Occurrence
from bot.ui import channels
from bot.ui.channels import Postable, missing_permissions
from bot.ui.checkin_button import CheckInButton
from bot.ui.delivery_errors import delivery_errors
from bot.ui.studygroups import nudge_embed, nudge_view, prompt_embed, recap_embed

log = logging.getLogger(__name__)


class DiscordPromptSender:
    """The dispatcher's way to Discord; Discord's answers become the delivery machinery's terms."""

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: dt.datetime) -> int | None:
        return await channels.find_posted(self.bot, guild_id, channel_id, reference, since)

    def _channel(self, group: StudyGroup) -> Postable:
        guild = self.bot.get_guild(group.guild_id)
        if guild is None:
            raise DeliveryProblem(ProblemKind.SERVER_GONE, f"not in server {group.guild_id}")
        if guild.unavailable:
            raise TransientDeliveryError(f"server {group.guild_id} is unavailable")
        channel = guild.get_channel_or_thread(group.channel_id)
        if channel is None:
            raise DeliveryProblem(ProblemKind.CHANNEL_GONE, f"channel {group.channel_id} not found")
        if not isinstance(channel, Postable):
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"channel {group.channel_id} is not a text channel")
        missing = missing_permissions(channel, guild.me)
        if missing:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"missing {', '.join(missing)} in {group.channel_id}")
        return channel

    async def _send(self, group: StudyGroup, nonce: str, **message: Any) -> int:
        channel = self._channel(group)
        with delivery_errors(f"a study-group post to {group.channel_id}"):
            sent = await channel.send(nonce=nonce, allowed_mentions=discord.AllowedMentions.none(), **message)
        return sent.id

    async def post_prompt(self, group: StudyGroup, occurrence: Occurrence, *, late: bool, nonce: str) -> int:
        view = discord.ui.View(timeout=None)
        view.add_item(CheckInButton(group.id))
        return await self._send(
            group, nonce, embed=prompt_embed(group, occurrence, late=late, nonce=nonce, sender=self.bot.user), view=view
        )

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int:
        return await self._send(
            group, nonce, embed=recap_embed(group, recap, late=late, nonce=nonce, sender=self.bot.user)
        )


class DiscordNudgeSender:
    """Streak nudges by DM; Discord's answers become the delivery machinery's terms (403: the member does not
    accept DMs from the bot, and their nudges are turned off)."""

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    def _server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else "a server"

    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        # 403: the member does not accept DMs from the bot; 404: the user is gone.
        with delivery_errors(f"a streak nudge to user {nudge.user_id}"):
            channel = await self.bot.create_dm(discord.Object(nudge.user_id))
            sent = await channel.send(
                embed=nudge_embed(nudge, self._server_name, nonce=nonce, sender=self.bot.user),
                view=nudge_view(nudge),
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        return sent.id

    async def find_nudge(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        me = self.bot.user
        if me is None:
            return None
        # As for channel posts: a failed read raises, so an unconfirmed nudge is never sent a second time; and the
        # DMs are read from the claim on, page by page, like a channel (a member may have written to the bot since).
        with delivery_errors(f"opening the DMs with user {user_id}"):
            channel = await self.bot.create_dm(discord.Object(user_id))
        return await channels.search_history(channel, me, reference, since, f"the DMs with user {user_id}")
