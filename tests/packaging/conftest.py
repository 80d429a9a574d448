"""The project built and installed once per test session, shared by tests/packaging (a plain install, deploy/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging.fresh_install import build_wheel, copy_of_the_checkout, fresh_venv


@dataclass(frozen=True)
class PlainInstall:
    wheel: Path
    """The wheel `pip wheel .` builds from the checkout."""
    venv: Path
    """A fresh virtual environment with that wheel installed."""


@pytest.fixture(scope="session")
def plain_install(tmp_path_factory: pytest.TempPathFactory) -> PlainInstall:
    root = tmp_path_factory.mktemp("plain-install")
    wheel = build_wheel(copy_of_the_checkout(root / "source"), root / "wheel")
    return PlainInstall(wheel, fresh_venv(wheel, root / "venv"))


@pytest.fixture(scope="session")
def installed(plain_install: PlainInstall) -> Path:
    """The fresh virtual environment's path."""
    return plain_install.venv
