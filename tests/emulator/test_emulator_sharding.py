"""Sharding as Discord does it, seen by raw gateway clients (one per shard) with no library in between.

GET /gateway/bot recommends one shard per 1,000 servers; IDENTIFY with ``shard: [id, count]`` gets the servers with
``(guild_id >> 22) % count == id`` and only their events and interactions, DMs on shard 0; a session that would hold
more than 2,500 servers is closed with 4011, a malformed shard with 4010.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from discord_emulator import Emulator, World
from discord_emulator.gateway import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    MAX_GUILDS_PER_SESSION,
    recommended_shards,
    shard_of,
)

INTENTS = INTENT_GUILDS | INTENT_GUILD_MESSAGES | INTENT_DIRECT_MESSAGES


class Shard:
    """One raw gateway connection: HELLO, IDENTIFY (optionally as a shard), READY and the GUILD_CREATEs after it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ready: dict[str, Any] = {}
        self.guild_ids: list[int] = []

    async def receive(self, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109 - mirrors aiohttp's receive_json
        payload: dict[str, Any] = await self.ws.receive_json(timeout=timeout)
        return payload

    async def dispatch(self, event: str) -> dict[str, Any]:
        while True:
            payload = await self.receive()
            if payload.get("t") == event:
                data: dict[str, Any] = payload["d"]
                return data

    async def identify(self, emu: Emulator, shard: Any = None) -> None:
        hello = await self.receive()
        assert hello["op"] == 10
        data: dict[str, Any] = {
            "token": emu.token,
            "intents": INTENTS,
            "properties": {"os": "linux", "browser": "test", "device": "test"},
        }
        if shard is not None:
            data["shard"] = shard
        await self.ws.send_json({"op": 2, "d": data})

    async def identify_and_load(self, emu: Emulator, shard: Any = None) -> Shard:
        await self.identify(emu, shard)
        self.ready = await self.dispatch("READY")
        for _ in self.ready["guilds"]:
            self.guild_ids.append(int((await self.dispatch("GUILD_CREATE"))["id"]))
        return self

    async def closed_with(self) -> int | None:
        message = await self.ws.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return self.ws.close_code


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def connect(emu: Emulator, http: aiohttp.ClientSession) -> Shard:
    return Shard(await http.ws_connect(f"{emu.gateway_url}?v=10&encoding=json"))


async def gateway_bot(emu: Emulator, http: aiohttp.ClientSession) -> dict[str, Any]:
    headers = {"Authorization": f"Bot {emu.token}"}
    async with http.get(f"{emu.api_base}/gateway/bot", headers=headers) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


def test_one_shard_is_recommended_per_thousand_servers() -> None:
    assert [recommended_shards(n) for n in (0, 1, 1000, 1001, 2500, 2501, 5000, 5001)] == [1, 1, 1, 2, 3, 3, 5, 6]


def test_generated_servers_spread_evenly_over_the_shards() -> None:
    world = World.generate(guilds=3000, members_per_guild=2, seed=11)
    per_shard = [sum(1 for g in world.bot_guilds() if shard_of(g.id, 3) == n) for n in range(3)]
    assert sum(per_shard) == 3000 and min(per_shard) > 900, per_shard


async def test_gateway_bot_recommends_shards_and_counts_session_starts(http: aiohttp.ClientSession) -> None:
    async with Emulator(World.generate(guilds=1001, members_per_guild=2, seed=2), contract_checks=False) as emu:
        body = await gateway_bot(emu, http)
        assert body["url"] == emu.gateway_url and body["shards"] == 2
        assert body["session_start_limit"] == {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": 1,
        }
        await (await connect(emu, http)).identify_and_load(emu, [0, 2])
        limit = (await gateway_bot(emu, http))["session_start_limit"]
        assert limit["remaining"] == 999 and 0 < limit["reset_after"] <= 86_400_000
    async with Emulator(World.default()) as emu:
        body = await gateway_bot(emu, http)
        assert body["shards"] == 1
        assert emu.violations == []  # the answer matches Discord's schema


async def test_each_shard_gets_only_its_servers_and_the_bot_is_ready_once_all_are(
    http: aiohttp.ClientSession,
) -> None:
    world = World.generate(guilds=60, members_per_guild=2, seed=4)
    async with Emulator(world, contract_checks=False) as emu:
        first = await (await connect(emu, http)).identify_and_load(emu, [0, 3])
        assert first.ready["shard"] == [0, 3]
        assert not emu.gateway.is_ready  # shards 1 and 2 have not identified yet
        others = [await (await connect(emu, http)).identify_and_load(emu, [n, 3]) for n in (1, 2)]
        assert emu.gateway.is_ready and emu.gateway.ready_shards() == [(0, 3), (1, 3), (2, 3)]
        shards = [first, *others]
        for number, shard in enumerate(shards):
            assert shard.guild_ids, f"shard {number} got no server"
            assert all(shard_of(g, 3) == number for g in shard.guild_ids)
            assert sorted(int(g["id"]) for g in shard.ready["guilds"]) == sorted(shard.guild_ids)
        assert sorted(g for s in shards for g in s.guild_ids) == sorted(g.id for g in world.bot_guilds())
        # Three IDENTIFYs within a second: Discord allows one per 5 s (max_concurrency 1); the emulator counts them.
        assert emu.stats.gateway["identify_too_soon"] == 2

        await others[0].ws.close()
        await emu.gateway.wait_for(lambda: not emu.gateway.is_ready, timeout=5)
        assert emu.gateway.ready_shards() == [(0, 3), (2, 3)]


async def test_events_interactions_and_dms_arrive_on_the_right_shard(http: aiohttp.ClientSession) -> None:
    world = World.generate(guilds=40, members_per_guild=3, seed=8)
    async with Emulator(world, contract_checks=False, interaction_deadline=None) as emu:
        shards = [await (await connect(emu, http)).identify_and_load(emu, [n, 2]) for n in (0, 1)]
        headers = {"Authorization": f"Bot {emu.token}"}
        command = {"name": "ping", "description": "Ping", "type": 1, "contexts": [0, 1]}
        url = f"{emu.api_base}/applications/{world.application_id}/commands"
        async with http.put(url, json=[command], headers=headers) as response:
            assert response.status == 200
        on_one = next(g for g in world.bot_guilds() if shard_of(g.id, 2) == 1)
        member = next(m.user for m in on_one.members.values() if not m.user.bot)

        # Each shard's next frames are exactly its own events, in order: nothing meant for the other one.
        await emu.create_channel(on_one, "new-room")
        created = await shards[1].receive()
        assert created["t"] == "CHANNEL_CREATE" and created["d"]["guild_id"] == str(on_one.id)
        ix = await emu.slash("ping", user=member, channel=on_one.channel("general"))
        arrived = await shards[1].receive()
        assert arrived["t"] == "INTERACTION_CREATE" and arrived["d"]["id"] == str(ix.id)
        assert arrived["d"]["guild_id"] == str(on_one.id)

        dm = world.dm_channel_for(member)
        await emu.send_message(member, dm, "hello bot")
        message = await shards[0].receive()
        assert message["t"] == "MESSAGE_CREATE" and message["d"]["channel_id"] == str(dm.id)
        assert "guild_id" not in message["d"]
        in_dm = await emu.slash("ping", user=member, channel=dm)
        arrived = await shards[0].receive()
        assert arrived["t"] == "INTERACTION_CREATE" and arrived["d"]["id"] == str(in_dm.id)

        on_zero = next(g for g in world.bot_guilds() if shard_of(g.id, 2) == 0)
        await emu.create_channel(on_zero, "marker-0")
        await emu.create_channel(on_one, "marker-1")
        assert (await shards[0].receive())["d"]["name"] == "marker-0"
        assert (await shards[1].receive())["d"]["name"] == "marker-1"
        assert emu.stats.gateway["event:INTERACTION_CREATE"] == 2


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,1", [True, 2], [0, 1.5]])
async def test_a_malformed_shard_is_closed_with_4010(http: aiohttp.ClientSession, shard: Any) -> None:
    async with Emulator(World.default(), contract_checks=False) as emu:
        client = await connect(emu, http)
        await client.identify(emu, shard)
        assert await client.closed_with() == 4010
        assert emu.gateway.live_sessions() == [] and emu.stats.gateway["closed:4010"] == 1


async def test_more_than_2500_servers_in_one_session_is_closed_with_4011(http: aiohttp.ClientSession) -> None:
    world = World.generate(guilds=MAX_GUILDS_PER_SESSION + 1, members_per_guild=2, seed=5)
    async with Emulator(world, contract_checks=False) as emu:
        unsharded = await connect(emu, http)
        await unsharded.identify(emu)
        assert await unsharded.closed_with() == 4011
        one_shard = await connect(emu, http)
        await one_shard.identify(emu, [0, 1])  # a single shard holding everything is no better
        assert await one_shard.closed_with() == 4011
        assert emu.stats.gateway["closed:4011"] == 2 and not emu.gateway.sessions

        # As recommended (2,501 servers: 3 shards), every shard identifies and they hold everything between them.
        count = (await gateway_bot(emu, http))["shards"]
        assert count == 3
        shards = [await (await connect(emu, http)).identify_and_load(emu, [n, count]) for n in range(count)]
        assert sum(len(s.guild_ids) for s in shards) == MAX_GUILDS_PER_SESSION + 1
        assert emu.gateway.is_ready


async def test_wait_idle_waits_for_requests_in_flight_and_open_connections(http: aiohttp.ClientSession) -> None:
    async with Emulator(World.default(), contract_checks=False) as emu:
        await emu.wait_idle(timeout=5)  # nothing connected yet
        # Held 2 s: the 0.2 s wait below must end while it is still held, even when this process waits its turn
        # for a core on a busy machine between seeing the request in flight and starting that wait.
        emu.faults.slow("GET /users/@me", 2.0)
        headers = {"Authorization": f"Bot {emu.token}"}
        async with aiohttp.ClientSession() as client:
            request = asyncio.create_task(client.get(f"{emu.api_base}/users/@me", headers=headers))
            # Polled (the emulator has no event for "a request arrived"), up to 5 s: a local request arrives in
            # milliseconds, so only a stalled machine would reach that.
            async with asyncio.timeout(5):
                while not emu.rest.in_flight:  # noqa: ASYNC110 - no event for a request arriving
                    await asyncio.sleep(0.01)
            assert emu.rest.in_flight == 1
            with pytest.raises(TimeoutError):
                await emu.wait_idle(timeout=0.2)  # the request is being handled (or its connection is open)
            response = await request
            assert response.status == 200
            response.release()
        # The client is gone: its connection closes and nothing is in flight.
        await emu.wait_idle(timeout=5)
        assert emu.rest.in_flight == 0 and emu.open_connections == 0
