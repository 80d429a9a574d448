"""Members leaving a server and coming back, and the bot leaving a server: the member events. What happened while
the bot was offline the daily member check (``bot.studygroups.reconcile``) finds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.studygroups.service import StudyGroupService

if TYPE_CHECKING:
    from bot.app import ImgBot


class StudyGroupMembersCog(commands.Cog, name="Study-group members"):
    """Members leaving a server and coming back; the bot leaving a server."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> StudyGroupService:
        return self.bot.services.studygroups

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event: no member cache is kept (bot/app.py), and leaving is all that matters here.
        if payload.user.bot:
            return
        await self.service.member_left(payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        await self.service.member_returned(member.guild.id, member.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Removed from the server (an outage is on_guild_unavailable instead): everyone's groups there end, with the
        # server's retention. Members still there get their groups back if the bot is added again (the daily check).
        await self.service.server_left(guild.id)
