"""The first connection as Discord answers it: a wrong or reset token (REST 401, gateway 4004), a privileged intent the
Developer Portal has off (application flags without it, gateway 4014), and Discord out of reach (connection
refused). Raw HTTP and websocket clients, no bot: these are the answers `imgbot check` and `imgbot run` act on."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from discord_emulator import Emulator, World
from discord_emulator.gateway import INTENT_GUILD_MEMBERS, INTENT_GUILDS, OP_HELLO, OP_IDENTIFY
from discord_emulator.payloads import GATEWAY_GUILD_MEMBERS_LIMITED

GUILD_MEMBERS_FLAGS = (1 << 14) | GATEWAY_GUILD_MEMBERS_LIMITED


async def get(emu: Emulator, path: str, token: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emu.api_base}{path}", headers={"Authorization": f"Bot {token}"}) as response,
    ):
        return response.status, await response.json(content_type=None)


async def identify(emu: Emulator, token: str, intents: int) -> tuple[int | None, dict[str, Any] | None]:
    """Connect, IDENTIFY, and return (close code, None) if the gateway closes, or (None, READY's data)."""
    async with aiohttp.ClientSession() as http, http.ws_connect(emu.gateway_url) as ws:
        hello = json.loads((await ws.receive(timeout=5)).data)
        assert hello["op"] == OP_HELLO
        await ws.send_str(json.dumps({"op": OP_IDENTIFY, "d": {"token": token, "intents": intents, "properties": {}}}))
        message = await ws.receive(timeout=5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return ws.close_code, None
        payload = json.loads(message.data)
        assert payload["t"] == "READY", payload
        return None, payload["d"]


@pytest.mark.asyncio
async def test_a_wrong_token_gets_401_and_the_right_one_the_bot() -> None:
    async with Emulator(World.default()) as emu:
        assert await get(emu, "/users/@me", "not-the-token") == (401, {"message": "401: Unauthorized", "code": 0})
        assert (await get(emu, "/applications/@me", "not-the-token"))[0] == 401
        status, me = await get(emu, "/users/@me", emu.token)
        assert status == 200 and me["id"] == str(emu.world.bot.id) and me["bot"] is True


@pytest.mark.asyncio
async def test_a_wrong_token_is_closed_with_4004_at_identify() -> None:
    async with Emulator(World.default()) as emu:
        assert await identify(emu, "not-the-token", INTENT_GUILDS) == (4004, None)


@pytest.mark.asyncio
async def test_the_application_flags_follow_the_portal_switch_and_the_gateway_agrees() -> None:
    world = World.default()
    async with Emulator(world) as emu:
        status, app = await get(emu, "/applications/@me", emu.token)
        assert status == 200
        assert app["flags"] & GUILD_MEMBERS_FLAGS
        assert app["approximate_guild_count"] == len(world.bot_guilds())
        code, ready = await identify(emu, emu.token, INTENT_GUILDS | INTENT_GUILD_MEMBERS)
        assert code is None and ready is not None
        assert ready["application"]["flags"] == app["flags"]

        world.privileged_intents &= ~INTENT_GUILD_MEMBERS  # switched off in the Developer Portal
        status, app = await get(emu, "/applications/@me", emu.token)
        assert status == 200 and not app["flags"] & GUILD_MEMBERS_FLAGS
        assert await identify(emu, emu.token, INTENT_GUILDS | INTENT_GUILD_MEMBERS) == (4014, None)
        code, ready = await identify(emu, emu.token, INTENT_GUILDS)  # without the intent: accepted
        assert code is None and ready is not None and ready["application"]["flags"] == app["flags"]


@pytest.mark.asyncio
async def test_a_token_reset_closes_the_open_session_with_4004_and_refuses_the_old_token() -> None:
    async with Emulator(World.default()) as emu, aiohttp.ClientSession() as http:
        old = emu.token
        async with http.ws_connect(emu.gateway_url) as ws:
            await ws.receive(timeout=5)  # HELLO
            await ws.send_str(json.dumps({"op": OP_IDENTIFY, "d": {"token": old, "intents": INTENT_GUILDS}}))
            ready = json.loads((await ws.receive(timeout=5)).data)
            assert ready["t"] == "READY"
            new = await emu.reset_token()
            # The GUILD_CREATEs sent after READY may still be queued ahead of the close frame.
            while (message := await ws.receive(timeout=5)).type == aiohttp.WSMsgType.TEXT:
                assert json.loads(message.data)["t"] == "GUILD_CREATE"
            assert ws.close_code == 4004
        assert new != old and emu.bot_env()["DISCORD_TOKEN"] == new
        assert (await get(emu, "/users/@me", old))[0] == 401
        assert (await get(emu, "/users/@me", new))[0] == 200
        assert await identify(emu, old, INTENT_GUILDS) == (4004, None)


@pytest.mark.asyncio
async def test_refused_connections_until_discord_is_back_on_the_same_port() -> None:
    async with Emulator(World.default()) as emu:
        port = emu.port
        await emu.refuse_connections()
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await get(emu, "/users/@me", emu.token)
        assert isinstance(refused.value.os_error, ConnectionRefusedError)
        await emu.accept_connections()
        assert emu.port == port
        assert (await get(emu, "/users/@me", emu.token))[0] == 200
