"""The welcome: one short post when the bot joins a server, once, ever (``bot.onboarding.welcome`` records it).

It goes in the system channel, or the first text channel (in the order members see them) where the bot has View
Channel, Send Messages and Embed Links; it pings nobody, and its **Set up** button opens /setup for moderators. It
is posted when Discord says the bot joined (``on_guild_join``) and the bot's membership is new (``WELCOME_WINDOW``),
so a server the bot was in long before is never welcomed out of the blue. A server that invited the bot while it was
offline is not welcomed: at start-up its arrival looks like every other server's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.onboarding.welcome import WelcomeLedger
from bot.ui import onboarding as screens
from cogs.onboarding.flow import SetupButton

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

WELCOME_WINDOW = dt.timedelta(hours=1)
"""A join event for a membership older than this is not a new server (discord.py can report a server that arrives
late at start-up as joined): no welcome for it."""


def can_welcome_in(channel: discord.TextChannel, me: discord.Member) -> bool:
    perms = channel.permissions_for(me)
    return perms.view_channel and perms.send_messages and perms.embed_links


def welcome_channel(guild: discord.Guild) -> discord.TextChannel | None:
    """The system channel if the bot may write there, else the first text channel (in the order members see them)
    where it may."""
    me = guild.me
    if me is None:
        return None
    candidates: list[discord.TextChannel] = [guild.system_channel] if guild.system_channel is not None else []
    for _, channels in guild.by_category():
        candidates += [c for c in channels if isinstance(c, discord.TextChannel)]
    return next((c for c in candidates if can_welcome_in(c, me)), None)


def joined_recently(guild: discord.Guild, now: dt.datetime) -> bool:
    me = guild.me
    joined = me.joined_at if me is not None else None
    return joined is not None and now - joined <= WELCOME_WINDOW


class WelcomeCog(commands.Cog, name="Welcome"):
    """One welcome per server, when the bot joins it."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.welcomes = WelcomeLedger(bot.db)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.welcome(guild)

    async def welcome(self, guild: discord.Guild) -> None:
        """Post the welcome, once ever for this server."""
        if not joined_recently(guild, dt.datetime.now(dt.UTC)):
            log.info("not welcoming server %s: the bot is a member since before %s", guild.id, WELCOME_WINDOW)
            return
        channel = welcome_channel(guild)
        if channel is None:
            log.info("no channel to welcome server %s in (View Channel, Send Messages, Embed Links)", guild.id)
            return
        if not await self.welcomes.claim(guild.id):
            return
        view = discord.ui.View(timeout=None)
        view.add_item(SetupButton("start", "Set up", discord.ButtonStyle.primary))
        try:
            message = await channel.send(
                embed=screens.welcome_embed(guild.me.display_name),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=f"w{guild.id}",
            )
        except (discord.Forbidden, discord.NotFound) as refused:
            # Nothing was posted: the claim goes, so an invitation with the permissions in place welcomes them.
            await self.welcomes.release(guild.id, f"Discord refused the post ({refused.status} {refused.code})")
            return
        except discord.HTTPException:
            # Perhaps posted (a lost answer): the claim stays, and this server is not welcomed again.
            log.warning("the welcome to server %s may not have been posted", guild.id, exc_info=True)
            return
        await self.welcomes.record_sent(guild.id, channel.id, message.id)
