"""Fixtures for the emulator's own tests: an emulator on a free port and the fixture bot connected to it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest_asyncio

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # tests/ is not a package; the harness lives next door in tests/e2e.
    sys.path.insert(0, str(REPO_ROOT))

from discord_emulator import Emulator, World  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

FIXTURE_BOT = Path(__file__).resolve().parent / "fixture_bot.py"


def fixture_bot_process(emu: Emulator, name: str = "fixture-bot") -> BotProcess:
    guild = emu.world.guild("IMG Study Hall")
    env = emu.bot_env() | {"FIXTURE_GUILD_ID": str(guild.id)}
    return BotProcess([sys.executable, str(FIXTURE_BOT)], env=env, name=name)


@asynccontextmanager
async def running_bot(emu: Emulator, name: str = "fixture-bot") -> AsyncIterator[BotProcess]:
    bot = fixture_bot_process(emu, name)
    await bot.start()
    try:
        try:
            await emu.wait_until_ready(timeout=30)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- bot output ---\n{bot.tail()}") from None
        yield bot
    finally:
        await bot.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared() -> AsyncIterator[tuple[Emulator, BotProcess]]:
    """One emulator and one fixture bot for a whole test module (a bot process costs ~1.5 s to start)."""
    async with Emulator(World.default()) as emu, running_bot(emu) as bot:
        yield emu, bot
