"""The bot's wiring applies the test settings (test clock, readiness date, crash injection) only when it talks to a
local emulator; pointed at real Discord it ignores them, with one warning (``bot.config.active_test_hooks``)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.app import ImgBot
from bot.content import Content
from tests.conftest import make_settings
from tests.unit.test_config import HOOKS

LOCAL = {"discord_api_base": "http://127.0.0.1:8123/api/v10", "discord_gateway_url": "ws://127.0.0.1:8123/"}
READINESS_NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)
CLOSE = dt.timedelta(minutes=1)
"""Between reading the real clock here and in the bot: generous for a busy machine, far below the day moved."""


@pytest.mark.parametrize("local", [True, False], ids=["local-emulator", "real-discord"])
async def test_the_bot_applies_test_settings_only_against_a_local_emulator(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, local: bool
) -> None:
    for name, value in HOOKS.items():
        monkeypatch.setenv(name, value)
    bot = ImgBot(make_settings(tmp_path, **(LOCAL if local else {})), content)
    with caplog.at_level(logging.WARNING):
        async with bot:
            await bot.prepare()
            services = bot.services
            now = dt.datetime.now(dt.UTC)
            crash_after_send = services.runner.crash_after_send
            readiness_now = services.readiness.now()
            feed_now = services.studygroups.now()
    ignored = [r for r in caplog.records if "ignoring the test settings" in r.getMessage()]
    if local:
        assert crash_after_send
        assert abs(readiness_now - READINESS_NOW) < CLOSE
        assert abs(feed_now - (now + dt.timedelta(days=1))) < CLOSE
        assert ignored == []
    else:
        assert not crash_after_send
        assert abs(readiness_now - now) < CLOSE and abs(feed_now - now) < CLOSE
        assert len(ignored) == 1 and "https://discord.com/api/v10" in ignored[0].getMessage()
