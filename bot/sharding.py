"""Sharding: one bot process, as many gateway sessions (shards) as Discord recommends.

Discord closes a session that would hold more than 2,500 servers (4011 Sharding required) and recommends a shard
count in ``GET /gateway/bot`` (about one per 1,000 servers); discord.py's ``AutoShardedBot`` asks for it and opens
one connection per shard. Discord sends each server's events and interactions on shard ``(guild_id >> 22) % count``
and DMs on shard 0. What discord.py leaves to the bot, and this module adds:

- **Which servers can be served now.** ``ShardedBot.guild_ready(guild_id)`` is true once the shard that serves the
  server is connected and has received all its servers (discord.py's ``shard_ready``), or has resumed. Scheduled
  sends ask it, so a post never waits on, or goes out through, a shard that is still starting. The moment it turns
  true for a shard's servers the bot dispatches ``shard_available(shard_id)`` (listen with ``on_shard_available``),
  after ``guild_ready`` has changed, which discord.py's own ``shard_ready`` listeners cannot count on.
- **When a shard may IDENTIFY.** Discord allows ``max_concurrency`` IDENTIFYs (1 for all but the largest bots) per
  5 seconds in each bucket ``shard_id % max_concurrency``. discord.py sleeps 5 s before every IDENTIFY but a bot's
  first, even a reconnect long after the last one; ``IdentifyPacer`` waits only as long as the rule requires.
- **What the status shows**: ``ShardedBot.shard_figures()``, one line per shard.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.discord_internals import make_closable
from bot.observability.status import ShardFigures, ShardState

log = logging.getLogger(__name__)

IDENTIFY_INTERVAL = 5.0
"""Seconds between two IDENTIFYs of one rate-limit bucket (Discord's session_start_limit.max_concurrency window)."""
IDENTIFY_MARGIN = 0.5
"""Added to that interval by the pacer. A shard's turn starts its connection; its IDENTIFY reaches Discord only after
the socket is open and HELLO has come back, which takes longer for one shard than for the next (on a busy machine
against the local emulator, enough to land two IDENTIFYs 4.99 s apart), and Discord counts from their arrival."""


def shard_id_for(guild_id: int, shard_count: int) -> int:
    """The shard that serves a server: Discord's rule."""
    return (guild_id >> 22) % shard_count


class ShardReadiness:
    """Which shards can be used, kept up to date from discord.py's shard events.

    A shard is ready after ``shard_ready`` (every server of its READY has arrived) or ``shard_resumed`` (nothing was
    lost), and stops being ready at ``shard_disconnect`` and at ``shard_connect`` (a new session: its servers are
    arriving again)."""

    def __init__(self) -> None:
        self._ready: set[int] = set()

    def connected(self, shard_id: int) -> None:
        self._ready.discard(shard_id)

    def ready(self, shard_id: int) -> None:
        self._ready.add(shard_id)

    def disconnected(self, shard_id: int) -> None:
        self._ready.discard(shard_id)

    def is_ready(self, shard_id: int) -> bool:
        return shard_id in self._ready


class IdentifyPacer:
    """Spaces IDENTIFYs as Discord requires: at most ``max_concurrency`` per ``IDENTIFY_INTERVAL`` seconds, one per
    bucket (``shard_id % max_concurrency``), shards of one bucket in turn."""

    def __init__(
        self,
        *,
        interval: float = IDENTIFY_INTERVAL + IDENTIFY_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.max_concurrency: int | None = None
        self._clock = clock
        self._sleep = sleep
        self._last: dict[int, float] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait_turn(self, shard_id: int) -> float:
        """Wait until this shard may IDENTIFY and take the bucket's turn; returns the seconds waited."""
        bucket = shard_id % (self.max_concurrency or 1)
        async with self._locks.setdefault(bucket, asyncio.Lock()):
            last = self._last.get(bucket)
            wait = 0.0 if last is None else max(0.0, last + self.interval - self._clock())
            if wait > 0:
                await self._sleep(wait)
            self._last[bucket] = self._clock()
        return wait


class ShardedBot(commands.AutoShardedBot):
    """``AutoShardedBot`` (shard count from Discord) that knows which shards are ready and paces its IDENTIFYs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shard_readiness = ShardReadiness()
        self.identify_pacer = IdentifyPacer()
        # Listeners rather than on_shard_* methods, so a subclass defining those cannot switch this off.
        self.add_listener(self._shard_connected, "on_shard_connect")
        self.add_listener(self._shard_ready, "on_shard_ready")
        self.add_listener(self._shard_resumed, "on_shard_resumed")
        self.add_listener(self._shard_disconnected, "on_shard_disconnect")

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process serves ``guild_id`` (None: DMs, which Discord sends on shard 0). Always, unless the
        process runs a part of the bot's shards (SHARDS and SHARD_COUNT: a cluster of processes); before the shard
        count is known (one process asking Discord for it), every server is its own."""
        if self.shard_ids is None or self.shard_count is None:
            return True
        shard_id = 0 if guild_id is None else shard_id_for(guild_id, self.shard_count)
        return shard_id in self.shard_ids

    @property
    def runs_cluster_jobs(self) -> bool:
        """The jobs that concern the whole bot rather than some servers (backups, retention, the daily member check
        of DMs) run in one process of a cluster: the one with shard 0."""
        return self.shard_ids is None or 0 in self.shard_ids

    def guild_ready(self, guild_id: int | None) -> bool:
        """Whether the shard serving ``guild_id`` (``None``: a DM, served by shard 0) is connected and has received
        all its servers, so a message can be sent there now. False before the shards are launched."""
        count = self.shard_count
        if count is None:
            return False
        shard_id = 0 if guild_id is None else shard_id_for(guild_id, count)
        shard = self.get_shard(shard_id)
        return shard is not None and not shard.is_closed() and self.shard_readiness.is_ready(shard_id)

    def shard_figures(self) -> tuple[ShardFigures, ...]:
        """Every shard of this process (all of the count Discord gave, unless SHARDS names some; those not launched
        yet as connecting), in id order."""
        count = self.shard_count
        if count is None:
            return ()
        launched = self.shards
        servers = Counter(guild.shard_id for guild in self.guilds)
        figures = []
        for shard_id in self.shard_ids if self.shard_ids is not None else range(count):
            info = launched.get(shard_id)
            latency = info.latency if info is not None else math.nan
            state: ShardState
            if info is None:
                state = "connecting"
            elif info.is_closed():
                state = "disconnected"
            else:
                state = "ready" if self.shard_readiness.is_ready(shard_id) else "connecting"
            figures.append(
                ShardFigures(
                    id=shard_id,
                    state=state,
                    latency=latency if math.isfinite(latency) else None,
                    guilds=servers[shard_id],
                )
            )
        return tuple(figures)

    async def close(self) -> None:
        await make_closable(self)  # a bot only prepared (tests) never logged in
        await super().close()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Called by discord.py right before every IDENTIFY (not before a RESUME)."""
        if self.identify_pacer.max_concurrency is None:
            self.identify_pacer.max_concurrency = await self._max_concurrency()
        waited = await self.identify_pacer.wait_turn(shard_id or 0)
        if waited:
            log.info("shard %s waited %.1f s for its turn to identify", shard_id, waited)

    async def _max_concurrency(self) -> int:
        try:
            limits = await self.fetch_session_start_limits()
        except (discord.DiscordException, aiohttp.ClientError, OSError):
            log.warning("could not read the session start limits; identifying one shard per 5 s", exc_info=True)
            return 1
        if limits.remaining < (self.shard_count or 1) * 2:
            log.warning(
                "Discord allows %d more gateway session starts today (of %d; the count resets in %.1f hours)",
                limits.remaining,
                limits.total,
                limits.reset_after / 3_600_000,
            )
        return max(1, limits.max_concurrency)

    # -- shard events ------------------------------------------------------------------------------------------

    async def _shard_connected(self, shard_id: int) -> None:
        self.shard_readiness.connected(shard_id)

    async def _shard_ready(self, shard_id: int) -> None:
        self.shard_readiness.ready(shard_id)
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("shard %d of %s ready in %d servers", shard_id, self.shard_count, servers)
        self.dispatch("shard_available", shard_id)

    async def _shard_resumed(self, shard_id: int) -> None:
        self.shard_readiness.ready(shard_id)
        self.dispatch("shard_available", shard_id)

    async def _shard_disconnected(self, shard_id: int) -> None:
        if self.shard_readiness.is_ready(shard_id):
            log.info("shard %d disconnected", shard_id)
        self.shard_readiness.disconnected(shard_id)
