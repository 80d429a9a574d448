"""The property tests' bot: one prepared bot (database, services, cogs) per module, and the event loop hypothesis
examples run on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.app import ImgBot
from bot.content import Content
from tests.conftest import make_settings

T = TypeVar("T")


class App:
    def __init__(self, runner: asyncio.Runner, bot: ImgBot) -> None:
        self.runner, self.bot = runner, bot

    @property
    def services(self) -> Any:
        return self.bot.services

    def run(self, coroutine: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await coroutine

        return self.runner.run(wrapped())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, content: Content) -> Iterator[App]:
    runner = asyncio.Runner()
    bot = ImgBot(make_settings(Path(tmp_path_factory.mktemp("props"))), content)
    runner.run(bot.prepare())
    try:
        yield App(runner, bot)
    finally:
        runner.run(bot.close())
        runner.close()
