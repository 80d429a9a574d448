"""A bot in more servers than one gateway session may hold (2,500; Discord closes an unsharded session with 4011):
the real bot process connects with the shard count GET /gateway/bot recommends (one per 1,000 servers), receives each
server on its own shard, and a milestone fan-out reaches each subscribed server exactly once, even when the bot is
killed (SIGKILL) in the middle of it and restarted.

`make test` subscribes every 20th server (130, on all three shards): the sharded start, the per-shard gating and the
kill are the same, and the fan-out takes seconds. `make soak` subscribes all 2,600, a 52 s fan-out at Discord's 50
messages a second.

No fixed sleep decides "no duplicate": the count is taken after the bot process has exited and the emulator has no
connection and no request left (``Emulator.wait_idle``), so nothing the bot sent can still arrive.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from discord_emulator import Emulator, World
from discord_emulator.gateway import IDENTIFY_WINDOW, MAX_GUILDS_PER_SESSION, shard_of
from discord_emulator.models import Message
from tests.e2e.conftest import bot_env
from tests.e2e.faultkit import Subscribed, exactly_once_problems, query, seed_announcements
from tests.e2e.harness import BotProcess

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]

SERVERS = 2600
"""Just past what one session may hold; Discord recommends 3 shards for it."""
TITLE = "Sharded mock exam"


class Arrivals:
    """The announcements the emulator creates, per #general channel, counted as they are created; and, once armed,
    the SIGKILL that lands the moment a given number of servers have theirs."""

    def __init__(self, emu: Emulator, subscribed: Subscribed) -> None:
        self.counts: Counter[int] = Counter()
        self._bot_id = emu.world.bot.id
        self._channels = subscribed.channel_ids
        self._changed = asyncio.Event()
        self._kill: tuple[int, BotProcess] | None = None
        self.killed = asyncio.Event()
        emu.store.listeners.append(self._created)

    def kill_at(self, servers: int, bot: BotProcess) -> None:
        """SIGKILL ``bot`` as the announcement of the ``servers``-th server is made (before the bot hears back)."""
        self._kill = (servers, bot)

    def _created(self, kind: str, message: Message) -> None:
        if kind != "MESSAGE_CREATE" or message.channel_id not in self._channels or message.author.id != self._bot_id:
            return
        if any(TITLE in (embed.get("title") or "") for embed in message.embeds):
            self.counts[message.channel_id] += 1
            self._changed.set()
            if self._kill is not None and len(self.counts) >= self._kill[0] and self._kill[1].pid is not None:
                os.kill(self._kill[1].pid, signal.SIGKILL)
                self._kill = None
                self.killed.set()

    async def wait_servers(self, servers: int, timeout: float) -> None:  # noqa: ASYNC109 - mirrors the emulator's API
        """Until at least ``servers`` servers have their announcement."""
        async with asyncio.timeout(timeout):
            while len(self.counts) < servers:
                self._changed.clear()
                await self._changed.wait()


async def wait_recorded(database: Path, servers: int, timeout: float) -> None:  # noqa: ASYNC109 - like the others
    """Until every server's delivery row is `sent` (the database has no change event: it is read every 0.2 s)."""
    sql = "SELECT COUNT(*) FROM deliveries WHERE target_kind = 'event' AND status = 'sent'"
    async with asyncio.timeout(timeout):
        while True:
            if query(database, sql)[0][0] >= servers:
                return
            await asyncio.sleep(0.2)


@pytest.mark.heavy  # 2,600 servers on 3 shards: never beside another heavy test (tests/conftest.py)
async def test_a_fan_out_to_servers_of_a_sharded_bot_survives_a_sigkill_exactly_once(tmp_path: Path) -> None:
    await sharded_fan_out_survives_a_sigkill(tmp_path, every=20)


@pytest.mark.soak
@pytest.mark.heavy
async def test_a_fan_out_to_every_server_of_a_sharded_bot_survives_a_sigkill_exactly_once(tmp_path: Path) -> None:
    await sharded_fan_out_survives_a_sigkill(tmp_path, every=1)


async def sharded_fan_out_survives_a_sigkill(tmp_path: Path, *, every: int) -> None:
    database = tmp_path / "bot.sqlite3"
    world = World.generate(SERVERS, members_per_guild=2, seed=2600)
    assert len(world.bot_guilds()) > MAX_GUILDS_PER_SESSION
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=5)).replace(microsecond=0)
    subscribed = await seed_announcements(database, world, due, now, title=TITLE, every=every)
    servers = len(subscribed.channels)
    assert {shard_of(g, 3) for g in subscribed.channels} == {0, 1, 2}, "subscribed servers on every shard"
    async with Emulator(world, request_log_size=20000) as emu:
        arrivals = Arrivals(emu, subscribed)
        bot = BotProcess(env=bot_env(emu, database, BACKUP_INTERVAL_HOURS="0"), name="sharded", stop_timeout=30)
        try:
            # Killed halfway through the fan-out, wherever its shards have got to by then.
            arrivals.kill_at(servers // 2, bot)
            await bot.start()
            async with asyncio.timeout(120):
                await arrivals.killed.wait()
            killed_moment = time.monotonic()
            assert await bot.kill() == -9, f"the bot was not running at the kill:\n{bot.tail()}"
            killed_at = len(arrivals.counts)
            assert killed_at < servers, "the fan-out was over before the kill"

            # Discord admits one IDENTIFY per 5 s for the bot, whichever process sends it, and a new process cannot
            # know when the killed one last identified: the restart comes after that window, so what is counted
            # below is each life's own pacing. (The scenario's time axis, not a wait for something to happen.)
            await asyncio.sleep(max(0.0, killed_moment + IDENTIFY_WINDOW - time.monotonic()))
            await bot.start()
            await emu.wait_until_ready(timeout=60)
            # Discord's recommended count, every shard ready, every server on exactly the shard Discord's rule names.
            assert emu.gateway.ready_shards() == [(0, 3), (1, 3), (2, 3)]
            sessions = emu.gateway.live_sessions()
            for session in sessions:
                assert session.shard is not None
                assert all(shard_of(g, 3) == session.shard[0] for g in session.guild_ids)
            assert sum(len(s.guild_ids) for s in sessions) == SERVERS
            assert all(payload.get("shard") for payload in emu.gateway.identify_payloads)
            # A command in a server of each shard reaches the bot on that shard and is answered.
            for number in range(3):
                guild = next(g for g in world.bot_guilds() if shard_of(g.id, 3) == number)
                owner = world.get_user(guild.owner_id)
                ix = await emu.slash("ask", {"question": "what is SOAP"}, user=owner, channel=guild.channel("general"))
                reply = await ix.response(10)
                assert reply.embeds, (number, reply.content)
            await arrivals.wait_servers(servers, timeout=180)
            # The claim the kill left unconfirmed is recovered (found by its nonce) after the new posts: wait for
            # the last row to be recorded before stopping the bot.
            await wait_recorded(database, servers, timeout=60)
        finally:
            await bot.stop()
        assert bot.returncode == 0, bot.tail()
        await emu.wait_idle(timeout=30)

        assert len(arrivals.counts) == servers and set(arrivals.counts.values()) == {1}, arrivals.counts.most_common(3)
        problems = exactly_once_problems(emu, subscribed, database)
        assert problems == [], f"{len(problems)} problems, e.g. {problems[:5]}"
        statuses = query(database, "SELECT status, COUNT(*) FROM deliveries WHERE target_kind = 'event' GROUP BY 1")
        assert statuses == [("sent", servers)], statuses
        # Each life identified its shards one per 5 s, as Discord allows a bot without large-bot sharding.
        assert emu.stats.gateway["identify_too_soon"] == 0
        assert emu.stats.gateway["closed:4011"] == 0
        emu.assert_clean()
    print(
        f"\nsharded fan-out: {servers} of {SERVERS} servers subscribed, on 3 shards; SIGKILL after {killed_at}; "
        "all posted exactly once"
    )
