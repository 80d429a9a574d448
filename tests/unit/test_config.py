from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
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
