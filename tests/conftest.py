"""Shared fixtures: the repository's real data, loaded once, and settings that never read the developer's .env."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.content import Content, load_content

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(DATA_DIR)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_path": tmp_path / "bot.sqlite3", "data_dir": DATA_DIR}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
