"""A plain install works: `pip install .` (not editable) into a fresh virtual environment, then `imgbot ask` from
another directory answers from the curated content the wheel carries (build_content.py, bot/config.py's
``default_data_dir``).

Offline and in about 20 s: the ``installed`` environment (tests/packaging/conftest.py, built once per session and
shared with test_deploy.py) and how it borrows the .venv's dependencies are described in fresh_install.py; the
``bot`` imported there is the installed one, which the first test checks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR
from tests.packaging.fresh_install import clean_env, python_of, run

# heavy: building and installing a wheel takes a core for about 20 s (tests/conftest.py keeps heavy tests apart).
pytestmark = [pytest.mark.install, pytest.mark.heavy]


def test_the_installed_bot_is_the_wheels_and_finds_its_content(installed: Path, tmp_path: Path) -> None:
    where = run(
        [python_of(installed), "-c", "import bot, bot.config as c; print(bot.__file__); print(c.Settings().data_dir)"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
    ).stdout.splitlines()
    package = Path(where[0]).parent
    assert package.is_relative_to(installed), f"bot was imported from {package}, not from the fresh environment"
    assert Path(where[1]) == package / "_data"
    shipped = {path.relative_to(package / "_data") for path in (package / "_data").rglob("*") if path.is_file()}
    assert shipped == {path.relative_to(DATA_DIR) for path in DATA_DIR.rglob("*") if path.is_file()}


def test_imgbot_ask_answers_from_another_directory(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    imgbot = installed / "bin" / "imgbot"

    done = run([imgbot, "ask", "when is soap"], cwd=elsewhere, env=clean_env(tmp_path))
    lines = done.stdout.splitlines()
    assert lines[0] == "Q: when is soap"
    assert lines[1].strip().startswith("SOAP (Supplemental Offer and Acceptance Program)  [soap]"), done.stdout

    done = run([imgbot, "ask", "--json", "when is soap"], cwd=elsewhere, env=clean_env(tmp_path))
    record = json.loads(done.stdout)
    assert record["answered"] is True and record["results"][0]["id"] == "soap"
    entry = (DATA_DIR / "knowledge" / "soap.md").read_text(encoding="utf-8").rstrip()
    assert entry.endswith(record["results"][0]["text"].rstrip())  # the shipped entry is the checkout's
    assert list(elsewhere.iterdir()) == []  # answering writes nothing where it is run


def test_the_wheel_carries_the_emulator_for_the_emulator_extra(installed: Path, tmp_path: Path) -> None:
    """`pip install 'img-pathway-bot[emulator]'` gives local mode: the package is in the wheel, the extra adds its
    dependency (present here, borrowed from the .venv)."""
    done = run(
        [python_of(installed), "-c", "import discord_emulator.local as m; print(m.__file__)"],
        cwd=tmp_path,
        env=clean_env(tmp_path),
    )
    assert Path(done.stdout.strip()).is_relative_to(installed)


@pytest.fixture
def without_the_extra(tmp_path: Path) -> dict[str, str]:
    """A fresh shell's environment in which ``import jsonschema`` fails, as it does where the ``emulator`` extra is
    not installed: the fresh environment borrows the .venv's dependencies, which include it, so a module of that
    name that refuses to load is put first on the path."""
    blocker = tmp_path / "no-emulator-extra"
    blocker.mkdir()
    (blocker / "jsonschema.py").write_text(
        'raise ModuleNotFoundError("No module named \'jsonschema\'", name="jsonschema")\n', encoding="utf-8"
    )
    return {**clean_env(tmp_path), "PYTHONPATH": str(blocker)}


def test_without_the_emulator_extra_the_bot_never_loads_the_emulator(
    installed: Path, tmp_path: Path, without_the_extra: dict[str, str]
) -> None:
    every_module = (
        "import importlib, pkgutil, sys, bot, cogs\n"
        "for package in (bot, cogs):\n"
        "    for found in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(found.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord_emulator', 'jsonschema')))\n"
    )
    done = run([python_of(installed), "-c", every_module], cwd=tmp_path, env=without_the_extra)
    assert done.stdout.strip() == "[]"


def test_without_the_emulator_extra_commands_work_and_local_mode_says_what_to_install(
    installed: Path, tmp_path: Path, without_the_extra: dict[str, str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    imgbot = installed / "bin" / "imgbot"

    done = run([imgbot, "ask", "when is soap"], cwd=elsewhere, env=without_the_extra)
    assert done.stdout.splitlines()[0] == "Q: when is soap"

    # A database command names local mode's database (bot/local_mode.py) without the emulator.
    report = subprocess.run(
        [imgbot, "kb", "report"], cwd=elsewhere, env=without_the_extra, capture_output=True, text=True, timeout=60
    )
    assert report.returncode == 1 and "There is no database at" in report.stderr, report.stderr
    assert "Traceback" not in report.stderr

    local = subprocess.run(
        [imgbot, "run", "--local"], cwd=elsewhere, env=without_the_extra, capture_output=True, text=True, timeout=60
    )
    assert local.returncode == 2, local.stderr
    said = " ".join(local.stderr.split())
    assert "No DISCORD_TOKEN is set" in said and "install the project with its `emulator` extra" in said, said
    assert "Traceback" not in local.stderr
    assert list(elsewhere.iterdir()) == []  # nothing was started, nothing written
