"""The real bot process against the local Discord emulator.

One emulator and one bot process per test module (starting a bot costs about two seconds); tests that restart or
kill the bot start their own. After every test the emulator's contract checks must be clean: a request that breaks
Discord's limits or a route Discord does not have fails the test that caused it.

Safe on parallel workers (``make test`` runs four): each emulator listens on a port the system picks, and each bot's
database, backups and logs are in its test's own temporary directory (``bot_env``); a test file runs on one worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from discord_emulator import Emulator, World
from tests.conftest import DATA_DIR
from tests.e2e.harness import BotProcess


def bot_env(emu: Emulator, database: Path, **extra: str) -> dict[str, str]:
    """The bot's settings for a test: every file it may write beside ``database`` (a test's own temporary directory,
    never the repository's ``var/``, which tests running at the same time would share)."""
    files = {"DATABASE_PATH": str(database), "BACKUP_DIR": str(database.parent / "backups")}
    return emu.bot_env() | files | {"DATA_DIR": str(DATA_DIR), "LOG_LEVEL": "INFO"} | extra


@asynccontextmanager
async def running_bot(emu: Emulator, database: Path, name: str = "imgbot", **extra: str) -> AsyncIterator[BotProcess]:
    bot = BotProcess(env=bot_env(emu, database, **extra), name=name)
    await bot.start()
    try:
        try:
            await emu.wait_until_ready(timeout=40)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- bot output ---\n{bot.tail()}") from None
        yield bot
    finally:
        await bot.stop()


@dataclass
class Live:
    """What a test drives: the emulator (Discord), the bot process and its database file."""

    emu: Emulator
    bot: BotProcess
    database: Path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    database = tmp_path_factory.mktemp("bot") / "bot.sqlite3"
    async with Emulator(World.default()) as emu, running_bot(emu, database) as bot:
        yield Live(emu, bot, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


@pytest.fixture(autouse=True)
def contract_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every end-to-end test ends with no contract violation and no call to an API Discord does not have."""
    if "live" not in request.fixturenames:
        yield
        return
    live: Live = request.getfixturevalue("live")
    before_violations, before_unhandled = len(live.emu.violations), len(live.emu.unhandled)
    yield
    problems = [str(v) for v in live.emu.violations[before_violations:]]
    problems += [f"not emulated: {u}" for u in live.emu.unhandled[before_unhandled:]]
    assert not problems, "Discord contract problems:\n  " + "\n  ".join(problems)
