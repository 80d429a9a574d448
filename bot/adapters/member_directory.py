"""Who is in a server, asked of Discord: the directory the daily member check (``bot.studygroups.reconcile``) and
the retention of a server's own knowledge entries (``bot.knowledge.server_entries``) use."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
import discord

from bot.scheduling.pacing import Lane, Pacer
from bot.sharding import ShardedBot
from bot.studygroups.reconcile import MAX_IDS_PER_LOOKUP, MemberLookupError, ServerStatus

log = logging.getLogger(__name__)

# Discord's JSON error codes that say a member or a server is gone, or that the bot has no access to a server.
UNKNOWN_GUILD, UNKNOWN_MEMBER, MISSING_ACCESS = 10004, 10007, 50001


class DiscordMemberDirectory:
    """Who is in a server, for ``MemberReconciler``: the gateway's member request by user ids first (no REST rate
    limit, up to 100 ids an answer, nothing cached), REST's GET member one id at a time only when the gateway does
    not answer."""

    REST_PER_SECOND = 5.0
    """The fallback asks one member per request: a lane of the rate budget at this rate (``bot/app.py``), slow
    enough to stay far from the per-route limit and to leave the budget to what is due."""

    def __init__(self, bot: discord.Client, rest_pacer: Lane | Pacer) -> None:
        self.bot = bot
        self.rest_pacer = rest_pacer

    def server_status(self, guild_id: int) -> ServerStatus:
        if isinstance(self.bot, ShardedBot) and not self.bot.owns(guild_id):
            # Served by another process of the cluster (SHARDS): this one cannot tell, and leaves it to that one.
            return ServerStatus.ELSEWHERE
        # After ready discord.py lists every server the bot is in (READY names them all, available or not).
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return ServerStatus.NOT_LISTED
        return ServerStatus.UNAVAILABLE if guild.unavailable else ServerStatus.AVAILABLE

    async def confirm_removed(self, guild_id: int) -> bool:
        try:
            await self.bot.fetch_guild(guild_id)
        except discord.Forbidden as error:
            return error.code == MISSING_ACCESS
        except discord.NotFound as error:
            return error.code == UNKNOWN_GUILD
        except (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("could not ask Discord whether I am still in server %d: %s", guild_id, error)
            return False
        return False

    async def present_members(self, guild_id: int, user_ids: Sequence[int]) -> set[int]:
        guild = self.bot.get_guild(guild_id)
        if guild is None or guild.unavailable:
            raise MemberLookupError("the server is not available")
        if not self.bot.intents.members:
            # discord.py asks the gateway only with the members intent (MEMBERS_INTENT=false); REST needs none.
            return await self._fetch_each(guild, user_ids)
        try:
            found = await guild.query_members(user_ids=list(user_ids), limit=MAX_IDS_PER_LOOKUP, cache=False)
        except (TimeoutError, discord.ConnectionClosed, RuntimeError) as error:
            # RuntimeError: discord.py has no gateway connection for the server at the moment.
            log.warning("the gateway did not answer a member request for server %d (%r); asking REST", guild_id, error)
        else:
            return {member.id for member in found}
        return await self._fetch_each(guild, user_ids)

    async def _fetch_each(self, guild: discord.Guild, user_ids: Sequence[int]) -> set[int]:
        present = set()
        for user_id in user_ids:
            async with self.rest_pacer.slot():
                try:
                    await guild.fetch_member(user_id)
                except discord.NotFound as error:
                    if error.code == UNKNOWN_MEMBER:
                        continue
                    raise MemberLookupError(f"{error.status} {error.code} {error.text}") from error
                except (
                    discord.HTTPException,
                    discord.RateLimited,
                    aiohttp.ClientError,
                    TimeoutError,
                    OSError,
                ) as error:
                    raise MemberLookupError(f"{type(error).__name__}: {error}") from error
            present.add(user_id)
        return present
