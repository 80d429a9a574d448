from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.config import TEST_HOOK_PREFIX, Settings, active_test_hooks, parse_shards
from bot.db.pg_backup import libpq_target
from bot.interviews.mock import MINUTE_ENV as MOCK_MINUTE_ENV
from bot.readiness.service import TEST_NOW_ENV
from bot.scheduling.clock import TEST_CLOCK_OFFSET_ENV
from bot.scheduling.delivery import CRASH_AFTER_SEND_ENV
from tests.conftest import REPO_ROOT, make_settings


def test_env_example_documents_every_setting() -> None:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    keys = set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))
    assert keys == {name.upper() for name in Settings.model_fields}
    # Every key has a comment line right above it.
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[index - 1].startswith("#"), line


def test_env_example_values_are_valid(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((REPO_ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.discord_token is None and settings.dev_guild_id is None
    assert settings.uses_real_discord


def test_token_never_appears_in_repr(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, discord_token="secret-token-value")
    assert "secret-token-value" not in repr(settings)
    assert "secret-token-value" not in str(settings.model_dump())
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == "secret-token-value"


# -- test settings (IMGBOT_TEST_*) only against a local emulator --------------------------------------------------

HOOKS = {
    TEST_CLOCK_OFFSET_ENV: "86400",
    TEST_NOW_ENV: "2026-12-06T15:00:00+00:00",
    CRASH_AFTER_SEND_ENV: "1",
    MOCK_MINUTE_ENV: "2",
}


def hook_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.config" and "test settings" in r.getMessage()]


def test_every_test_hook_is_named_with_the_prefix() -> None:
    assert all(name.startswith(TEST_HOOK_PREFIX) for name in HOOKS)


@pytest.mark.parametrize(
    ("api_base", "gateway"),
    [
        ("http://127.0.0.1:8123/api/v10", "ws://127.0.0.1:8123/"),
        ("http://localhost:8123/api/v10", "ws://localhost:8123/"),
        ("http://[::1]:8123/api/v10", "ws://[::1]:8123/"),
    ],
)
def test_test_hooks_take_effect_against_a_local_emulator(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, api_base: str, gateway: str
) -> None:
    settings = make_settings(tmp_path, discord_api_base=api_base, discord_gateway_url=gateway)
    assert settings.uses_local_emulator
    with caplog.at_level(logging.WARNING):
        assert active_test_hooks(settings, {**HOOKS, "PATH": "/usr/bin", "LOG_LEVEL": "INFO"}) == HOOKS
    assert hook_warnings(caplog) == []


@pytest.mark.parametrize(
    "endpoints",
    [
        {},  # real Discord, the default
        {"discord_api_base": "https://discord-proxy.example/api/v10", "discord_gateway_url": "wss://gw.example/"},
        {"discord_api_base": "http://127.0.0.1:8123/api/v10"},  # the gateway is still Discord's
        {"discord_api_base": "http://127.0.0.2.example/api/v10", "discord_gateway_url": "ws://localhost.example/"},
    ],
)
def test_test_hooks_are_ignored_with_one_warning_anywhere_else(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, endpoints: dict[str, str]
) -> None:
    settings = make_settings(tmp_path, **endpoints)
    assert not settings.uses_local_emulator
    with caplog.at_level(logging.WARNING):
        assert active_test_hooks(settings, {**HOOKS, "PATH": "/usr/bin"}) == {}
    [warning] = hook_warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert all(name in warning.getMessage() for name in HOOKS) and "PATH" not in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert active_test_hooks(settings, {"PATH": "/usr/bin"}) == {}
    assert hook_warnings(caplog) == [], "nothing set, nothing to warn about"


def test_shards_name_a_range_or_a_list_within_the_shard_count(tmp_path: Path) -> None:
    assert parse_shards("0-3") == (0, 1, 2, 3)
    assert parse_shards("5, 0,2") == (0, 2, 5)
    assert parse_shards("1-2,6") == (1, 2, 6)
    settings = make_settings(tmp_path, shards="2-3", shard_count=8)
    assert settings.shard_ids == (2, 3)
    assert settings.scheduled_rate_share == pytest.approx(2 / 8)
    assert settings.cluster_slot == "2-3/8"
    assert make_settings(tmp_path, shards="2-3", shard_count=8, rate_share=0.5).scheduled_rate_share == 0.5
    alone = make_settings(tmp_path)
    assert alone.shard_ids is None and alone.scheduled_rate_share == 1.0 and alone.cluster_slot is None
    for shards, count, reason in [
        ("3-1", 8, "runs backwards"),
        ("a-b", 8, "must look like"),
        ("0-3", None, "needs SHARD_COUNT"),
        ("6-8", 8, "names shard 8"),
    ]:
        with pytest.raises(ValueError, match=reason):
            make_settings(tmp_path, shards=shards, shard_count=count)


def test_a_database_url_that_cannot_be_read_is_refused_without_repeating_it(tmp_path: Path) -> None:
    for url in ("postgresql://imgbot:s3c#r3t@db:5432/imgbot", "postgresql://u:p@h:54x/db", "mysql://u@h/db"):
        with pytest.raises(ValueError, match="DATABASE_URL must") as refused:
            make_settings(tmp_path, database_url=url)
        assert "s3c" not in str(refused.value) and url not in str(refused.value)
    encoded = make_settings(tmp_path, database_url="postgresql://u:p%40x@h:5432/db?sslmode=require")
    assert encoded.database_password == "p@x" and encoded.database_shown == "postgresql://u@h:5432/db"
    in_query = make_settings(tmp_path, database_url="postgresql://u@h/db?password=zz")
    assert in_query.database_password == "zz" and "zz" not in in_query.database_shown


def test_a_backup_command_line_never_carries_the_password() -> None:
    for url in ("postgresql://u:secret@h:5432/db", "postgresql://u@h:5432/db?password=secret&sslmode=require"):
        target, env = libpq_target(url)
        assert "secret" not in target and env["PGPASSWORD"] == "secret"
    assert libpq_target("postgresql://u@h:5432/db?password=secret&sslmode=require")[0] == (
        "postgresql://u@h:5432/db?sslmode=require"
    )
