"""Members in GUILD_CREATE and REQUEST_GUILD_MEMBERS, as Discord sends them, seen by a raw gateway client.

Discord lists only the bot (and users in voice) in GUILD_CREATE unless the session has the GUILD_PRESENCES intent, and
then only for servers up to the session's large_threshold; the rest come from REQUEST_GUILD_MEMBERS in chunks of at
most 1,000. member_count is always the real count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from discord_emulator import Emulator, World
from discord_emulator.gateway import INTENT_GUILD_MEMBERS, INTENT_GUILD_PRESENCES, INTENT_GUILDS


class RawGateway:
    """The few gateway steps a test needs, with no library in between."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def receive(self) -> dict[str, Any]:
        payload: dict[str, Any] = await self.ws.receive_json(timeout=10)
        return payload

    async def dispatch(self, event: str) -> dict[str, Any]:
        while True:
            payload = await self.receive()
            if payload.get("t") == event:
                data: dict[str, Any] = payload["d"]
                return data

    async def identify(self, emu: Emulator, intents: int, **extra: Any) -> list[dict[str, Any]]:
        """IDENTIFY and return every GUILD_CREATE that follows READY."""
        hello = await self.receive()
        assert hello["op"] == 10
        properties = {"os": "linux", "browser": "test", "device": "test"}
        await self.ws.send_json(
            {"op": 2, "d": {"token": emu.token, "intents": intents, "properties": properties, **extra}}
        )
        ready = await self.dispatch("READY")
        return [await self.dispatch("GUILD_CREATE") for _ in ready["guilds"]]


@pytest.fixture
async def world_emulator() -> AsyncIterator[Emulator]:
    world = World.generate(guilds=2, members_per_guild=40, seed=3)
    big = world.add_guild("Big Server", world.add_user("big_owner"))
    for index in range(1500 - len(big.members)):
        world.add_member(big, world.add_user(f"member{index}"))
    async with Emulator(world, contract_checks=False) as emu:
        yield emu


async def connect(emu: Emulator, session: aiohttp.ClientSession) -> RawGateway:
    return RawGateway(await session.ws_connect(f"{emu.gateway_url}?v=10&encoding=json"))


async def test_without_presences_guild_create_lists_only_the_bot(world_emulator: Emulator) -> None:
    emu = world_emulator
    async with aiohttp.ClientSession() as session:
        gateway = await connect(emu, session)
        guilds = await gateway.identify(emu, INTENT_GUILDS | INTENT_GUILD_MEMBERS)
        await gateway.ws.close()
    assert len(guilds) == 3
    for payload in guilds:
        server = emu.world.guilds[int(payload["id"])]
        assert [m["user"]["id"] for m in payload["members"]] == [str(emu.world.bot.id)]
        assert payload["member_count"] == len(server.members)
        # discord.py's default large_threshold is 250; Discord's, without one in IDENTIFY, is 50.
        assert payload["large"] is (len(server.members) > 50)


async def test_with_presences_small_servers_list_everyone_and_large_ones_only_the_bot(world_emulator: Emulator) -> None:
    emu = world_emulator
    async with aiohttp.ClientSession() as session:
        gateway = await connect(emu, session)
        guilds = await gateway.identify(emu, INTENT_GUILDS | INTENT_GUILD_PRESENCES, large_threshold=250)
        await gateway.ws.close()
    listed = {emu.world.guilds[int(g["id"])].name: len(g["members"]) for g in guilds}
    assert listed == {"Study Group 1": 40, "Study Group 2": 40, "Big Server": 1}
    assert [g["large"] for g in guilds] == [False, False, True]


async def test_request_guild_members_answers_in_chunks_of_1000_with_the_nonce(world_emulator: Emulator) -> None:
    emu = world_emulator
    big = emu.world.guild("Big Server")
    async with aiohttp.ClientSession() as session:
        gateway = await connect(emu, session)
        await gateway.identify(emu, INTENT_GUILDS | INTENT_GUILD_MEMBERS)
        request = {"guild_id": str(big.id), "query": "", "limit": 0, "nonce": "all"}
        await gateway.ws.send_json({"op": 8, "d": request})
        chunks = [await gateway.dispatch("GUILD_MEMBERS_CHUNK") for _ in range(2)]
        wanted = [str(big.owner_id), "12345"]
        await gateway.ws.send_json({"op": 8, "d": {"guild_id": str(big.id), "user_ids": wanted, "nonce": "ids"}})
        by_id = await gateway.dispatch("GUILD_MEMBERS_CHUNK")
        await gateway.ws.close()
    assert [(c["chunk_index"], c["chunk_count"], len(c["members"]), c["nonce"]) for c in chunks] == [
        (0, 2, 1000, "all"),
        (1, 2, 500, "all"),
    ]
    listed = {m["user"]["id"] for c in chunks for m in c["members"]}
    assert listed == {str(user_id) for user_id in big.members}
    assert [m["user"]["id"] for m in by_id["members"]] == [str(big.owner_id)]
    assert by_id["not_found"] == ["12345"]
    assert by_id["nonce"] == "ids"
