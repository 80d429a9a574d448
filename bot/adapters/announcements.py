"""The announcer's way to Discord: post an announcement, find one again after a crash, tell an admin by DM.

Discord's answers become the delivery machinery's terms: a deleted channel, a missing permission or a deleted role
is a ``DeliveryProblem`` (the server must fix it: the subscription pauses and its admin is told); Discord being
unavailable is a ``TransientDeliveryError`` (the claim stays and is retried with the same nonce).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

import discord

from bot.milestones.announcements import Announcement
from bot.milestones.models import Notice
from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError
from bot.ui import channels
from bot.ui.channels import Postable, missing_permissions, tell_server_admin
from bot.ui.delivery_errors import delivery_errors
from bot.ui.knowledge_entry import OpenEntryButton
from bot.ui.milestones import announcement_content, announcement_embed, announcement_mentions, notice_text

log = logging.getLogger(__name__)


def read_more_view(announcement: Announcement) -> discord.ui.View | None:
    """A button that opens the announcement's /topic entry privately (handled by the knowledge cog)."""
    if not announcement.kb_entry_id or not announcement.kb_entry_title:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(OpenEntryButton(announcement.kb_entry_id, f"Read: {announcement.kb_entry_title}"))
    return view


class DiscordMessenger:
    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    def target_problem(self, guild_id: int, channel_id: int, role_id: int | None) -> DeliveryProblem | None:
        """What would stop a post to this channel (with this role) right now, from the cache; None if nothing."""
        try:
            self._target(guild_id, channel_id, role_id, role_required=True)
        except DeliveryProblem as problem:
            return problem
        except TransientDeliveryError:
            return None
        return None

    def _target(
        self, guild_id: int, channel_id: int, role_id: int | None, *, role_required: bool
    ) -> tuple[Postable, discord.Role | None]:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise DeliveryProblem(ProblemKind.SERVER_GONE, f"not in server {guild_id}")
        if guild.unavailable:
            raise TransientDeliveryError(f"server {guild_id} is unavailable")
        channel = guild.get_channel_or_thread(channel_id)
        if channel is None:
            raise DeliveryProblem(ProblemKind.CHANNEL_GONE, f"channel {channel_id} not found")
        if not isinstance(channel, Postable):
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"channel {channel_id} is not a text channel")
        missing = missing_permissions(channel, guild.me)
        if missing:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"missing {', '.join(missing)} in {channel_id}")
        role = guild.get_role(role_id) if role_id is not None else None
        if role_id is not None and role is None and role_required:
            raise DeliveryProblem(ProblemKind.ROLE_GONE, f"role {role_id} not found")
        return channel, role

    async def post(
        self, guild_id: int, channel_id: int, announcement: Announcement, *, nonce: str, role_required: bool
    ) -> int:
        channel, role = self._target(guild_id, channel_id, announcement.role_id, role_required=role_required)
        if role is None and announcement.role_id is not None:
            announcement = replace(announcement, role_id=None)  # an event whose server's role is gone: no ping
        kwargs: dict[str, Any] = {
            "content": announcement_content(announcement),
            "embed": announcement_embed(announcement, sender=self.bot.user),
            "allowed_mentions": announcement_mentions(announcement),
            "nonce": nonce,
        }
        view = read_more_view(announcement)
        if view is not None:
            kwargs["view"] = view
        with delivery_errors(f"an announcement to {channel_id}"):
            message = await channel.send(**kwargs)
        return message.id

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: datetime) -> int | None:
        return await channels.find_posted(self.bot, guild_id, channel_id, reference, since)

    async def notify(self, notice: Notice) -> bool:
        guild = self.bot.get_guild(notice.guild_id)
        text = notice_text(notice, guild.name if guild is not None else "a server")
        return await tell_server_admin(self.bot, notice.guild_id, notice.recipients, text, "announcements are paused")
