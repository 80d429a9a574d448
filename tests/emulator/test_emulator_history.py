"""The emulator's message history (GET /channels/{id}/messages) pages like Discord's: ``limit`` 1 to 100 (default 50),
``before`` the newest messages older than an id, ``after`` the oldest messages newer than an id; every page newest
first. The bot's look-up after a restart reads a channel oldest first from the claim (``after``) page by page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest_asyncio

from discord_emulator import Emulator, World
from discord_emulator.snowflake import snowflake_at, snowflake_time

MESSAGES = 250


@dataclass
class History:
    emu: Emulator
    http: aiohttp.ClientSession
    channel_id: int
    ids: list[int]
    """The channel's message ids, oldest first."""

    async def page(self, **query: int) -> list[int]:
        url = f"{self.emu.api_base}/channels/{self.channel_id}/messages"
        headers = {"Authorization": f"Bot {self.emu.token}"}
        async with self.http.get(url, params={k: str(v) for k, v in query.items()}, headers=headers) as response:
            assert response.status == 200, await response.text()
            return [int(m["id"]) for m in await response.json()]


@pytest_asyncio.fixture
async def history() -> AsyncIterator[History]:
    async with Emulator(World.default()) as emu, aiohttp.ClientSession() as http:
        general, alice = emu.world.channel("general"), emu.world.users["alice"]
        ids = [(await emu.send_message(alice, general, f"message {n}")).id for n in range(MESSAGES)]
        assert ids == sorted(ids)
        yield History(emu, http, general.id, ids)


async def test_without_a_bound_the_newest_come_first_fifty_by_default(history: History) -> None:
    ids = history.ids
    assert await history.page() == ids[::-1][:50]
    assert await history.page(limit=100) == ids[::-1][:100]
    assert await history.page(limit=500) == ids[::-1][:100]  # at most 100 a page


async def test_before_pages_back_from_the_newest(history: History) -> None:
    ids, seen = history.ids, []
    page = await history.page(limit=100)
    while page:
        seen += page
        page = await history.page(before=page[-1], limit=100)
    assert seen == ids[::-1]


async def test_after_pages_forward_from_an_instant_oldest_messages_first(history: History) -> None:
    # As discord.py's history(after=..., oldest_first=True) does: each page is the `limit` messages right after the
    # id (sent newest first), and the next page starts after the newest of them.
    ids = history.ids
    start = snowflake_at(snowflake_time(ids[0])) - 1  # an id made from a time, not a message's
    pages, after = [], start
    while True:
        page = await history.page(after=after, limit=100)
        if not page:
            break
        assert page == sorted(page, reverse=True)
        pages.append(page[::-1])
        after = page[0]
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [i for p in pages for i in p] == ids
    assert await history.page(after=ids[119], limit=10) == ids[120:130][::-1]
