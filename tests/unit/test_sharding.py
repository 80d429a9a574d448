"""Sharding helpers: the shard of a server, shard readiness from discord.py's events, IDENTIFY pacing, and the
discord.py internals bot/sharding.py relies on."""

from __future__ import annotations

import asyncio
from unittest.mock import create_autospec

import discord
import pytest
from discord.ext import commands

from bot.sharding import IDENTIFY_INTERVAL, IDENTIFY_MARGIN, IdentifyPacer, ShardedBot, ShardReadiness, shard_id_for


def guild_id_on(shard_id: int, count: int, serial: int = 0) -> int:
    """A snowflake whose timestamp part puts it on ``shard_id`` of ``count``."""
    return ((1_000_000 * count + shard_id) << 22) | serial


def test_a_server_is_served_by_the_shard_of_its_id_timestamp() -> None:
    assert shard_id_for(guild_id_on(3, 5), 5) == 3
    assert shard_id_for(guild_id_on(3, 5, serial=4095), 5) == 3  # the low 22 bits do not matter
    assert shard_id_for(81384788765712384, 1) == 0
    # Discord's documented example: (guild_id >> 22) % num_shards.
    assert shard_id_for(81384788765712384, 2) == (81384788765712384 >> 22) % 2


def test_a_shard_is_ready_after_ready_or_resumed_and_not_after_connect_or_disconnect() -> None:
    readiness = ShardReadiness()
    readiness.connected(0)
    assert not readiness.is_ready(0)  # READY arrived, its servers are still coming
    readiness.ready(0)
    assert readiness.is_ready(0) and not readiness.is_ready(1)
    readiness.disconnected(0)
    assert not readiness.is_ready(0)
    readiness.ready(0)  # shard_resumed: nothing was lost
    readiness.connected(0)  # a new session after an invalid one: its servers arrive again
    assert not readiness.is_ready(0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_identifies_of_one_bucket_are_five_seconds_apart_and_a_late_one_does_not_wait() -> None:
    time = FakeTime()
    pacer = IdentifyPacer(clock=time.clock, sleep=time.sleep)
    pacer.max_concurrency = 1
    assert await pacer.wait_turn(0) == 0  # a bot's first IDENTIFY goes at once
    time.now += 1.5
    assert await pacer.wait_turn(1) == pytest.approx(pacer.interval - 1.5)
    assert await pacer.wait_turn(2) == pytest.approx(pacer.interval)
    time.now += 60  # a reconnect a minute later: discord.py would sleep 5 s, Discord does not ask for it
    assert await pacer.wait_turn(1) == 0
    assert time.slept == [pytest.approx(pacer.interval - 1.5), pytest.approx(pacer.interval)]
    # Discord's 5 s and a margin for the connection and HELLO between a shard's turn and its IDENTIFY arriving.
    assert pacer.interval == IDENTIFY_INTERVAL + IDENTIFY_MARGIN and 0 < IDENTIFY_MARGIN <= 1


async def test_with_max_concurrency_shards_of_different_buckets_identify_together() -> None:
    time = FakeTime()
    pacer = IdentifyPacer(clock=time.clock, sleep=time.sleep)
    pacer.max_concurrency = 4
    waits = [await pacer.wait_turn(shard) for shard in range(4)]
    assert waits == [0, 0, 0, 0]
    assert await pacer.wait_turn(4) == pytest.approx(pacer.interval)  # bucket 0 again


async def test_concurrent_identifies_of_one_bucket_take_turns() -> None:
    time = FakeTime()
    pacer = IdentifyPacer(clock=time.clock, sleep=time.sleep)
    pacer.max_concurrency = 1
    waits = await asyncio.gather(*(pacer.wait_turn(shard) for shard in range(3)))
    assert sorted(waits) == [0, pytest.approx(pacer.interval), pytest.approx(pacer.interval)]
    assert time.now == pytest.approx(100 + 2 * pacer.interval)


def sharded_bot() -> ShardedBot:
    return ShardedBot(command_prefix=commands.when_mentioned, intents=discord.Intents.none(), help_command=None)


async def test_no_server_is_ready_before_the_shards_are_launched() -> None:
    bot = sharded_bot()
    try:
        assert bot.shard_count is None
        assert not bot.guild_ready(guild_id_on(0, 2)) and not bot.guild_ready(None)
        assert bot.shard_figures() == ()
    finally:
        await bot.close()


async def test_guild_ready_asks_the_shard_of_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    bot = sharded_bot()
    try:
        bot.shard_count = 3
        open_shard = create_autospec(discord.ShardInfo, instance=True)
        open_shard.is_closed.return_value = False
        closed_shard = create_autospec(discord.ShardInfo, instance=True)
        closed_shard.is_closed.return_value = True
        infos = {0: open_shard, 1: open_shard, 2: closed_shard}
        monkeypatch.setattr(bot, "get_shard", infos.get)
        await bot._shard_ready(1)
        await bot._shard_ready(2)
        assert bot.guild_ready(guild_id_on(1, 3))
        assert not bot.guild_ready(guild_id_on(0, 3))  # connected, its servers not all arrived yet
        assert not bot.guild_ready(guild_id_on(2, 3))  # said ready, but its connection is down
        assert not bot.guild_ready(None)  # DMs: shard 0
        await bot._shard_ready(0)
        assert bot.guild_ready(None) and bot.guild_ready(guild_id_on(0, 3, serial=7))
        await bot._shard_disconnected(1)
        assert not bot.guild_ready(guild_id_on(1, 3))
        await bot._shard_resumed(1)
        assert bot.guild_ready(guild_id_on(1, 3))
    finally:
        await bot.close()


async def test_a_bot_that_never_logged_in_closes_cleanly() -> None:
    # discord.py internals: AutoShardedClient.close() needs what login creates (ShardedBot.close sees to it). If a
    # discord.py upgrade changes either, this fails here rather than in every test that only prepares the bot.
    bot = sharded_bot()
    assert bot._ready is discord.utils.MISSING
    await bot.close()
    assert bot.is_closed()


async def test_shard_available_is_dispatched_once_guild_ready_turned_true(monkeypatch: pytest.MonkeyPatch) -> None:
    async with sharded_bot() as bot:  # dispatching events needs the loop that `async with` sets up
        bot.shard_count = 2
        shard = create_autospec(discord.ShardInfo, instance=True)
        shard.is_closed.return_value = False
        monkeypatch.setattr(bot, "get_shard", lambda shard_id: shard)
        seen: list[tuple[int, bool]] = []
        done = asyncio.Event()

        async def on_shard_available(shard_id: int) -> None:
            seen.append((shard_id, bot.guild_ready(guild_id_on(shard_id, 2))))
            done.set()

        bot.add_listener(on_shard_available)
        await bot._shard_ready(1)
        await asyncio.wait_for(done.wait(), 5)
        assert seen == [(1, True)]
        done.clear()
        await bot._shard_disconnected(1)
        await bot._shard_resumed(1)
        await asyncio.wait_for(done.wait(), 5)
        assert seen == [(1, True), (1, True)]


async def test_a_process_of_a_cluster_owns_only_the_servers_of_its_shards() -> None:
    bot = ShardedBot(
        command_prefix=commands.when_mentioned,
        intents=discord.Intents.none(),
        help_command=None,
        shard_ids=[2, 3],
        shard_count=4,
    )
    try:
        assert bot.owns(guild_id_on(2, 4)) and bot.owns(guild_id_on(3, 4, serial=9))
        assert not bot.owns(guild_id_on(0, 4)) and not bot.owns(guild_id_on(1, 4))
        assert not bot.owns(None)  # DMs come on shard 0, which another process runs
        assert not bot.runs_cluster_jobs
        assert [f.id for f in bot.shard_figures()] == [2, 3]  # its own shards only
    finally:
        await bot.close()
    alone = sharded_bot()
    try:
        assert alone.owns(guild_id_on(1, 4)) and alone.owns(None) and alone.runs_cluster_jobs
    finally:
        await alone.close()
