"""A plain install works: `pip install .` (not editable) into a fresh virtual environment, then `imgbot ask` from
another directory answers from the curated content the wheel carries (build_content.py, bot/config.py's
``default_data_dir``).

Offline and in about 20 s: the wheel is built with the .venv's own setuptools (``--no-build-isolation``), installed
without dependencies into a new virtual environment (``--no-deps --no-index``), and that environment borrows the
.venv's installed dependencies through a ``.pth`` line. Paths named in a ``.pth`` file are added to ``sys.path``
without reading the ``.pth`` files they hold, so the .venv's editable install of this checkout stays out of it: the
``bot`` imported is the installed one, which the test checks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, REPO_ROOT

# heavy: building and installing a wheel takes a core for about 20 s (tests/conftest.py keeps heavy tests apart).
pytestmark = [pytest.mark.install, pytest.mark.heavy]

STEP_TIMEOUT = 180
"""Seconds for one step (build, environment, install, question); each takes under 10 s on an idle machine, and this
leaves room for a machine running several suites at once."""

LEFT_OUT = {"var", "build"}
"""Top-level entries a build never reads: the bot's own database and backups, setuptools' build directory. Hidden
ones (.git, .venv, .env, the tool caches) are left out too."""


def run(
    command: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [str(part) for part in command]
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done


def copy_of_the_checkout(target: Path) -> Path:
    """The checkout as `pip install .` would read it, copied: a build in place would leave build/ and *.egg-info in
    the repository, and a build/ left by an earlier run can slip stale files into the wheel."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == REPO_ROOT
        return {
            name
            for name in names
            if name == "__pycache__"
            or name.endswith(".egg-info")
            or (top and (name.startswith(".") or name in LEFT_OUT))
        }

    shutil.copytree(REPO_ROOT, target, ignore=ignore)
    return target


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the project installed from its wheel; its path."""
    root = tmp_path_factory.mktemp("plain-install")
    source = copy_of_the_checkout(root / "source")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", root / "wheel", source])
    [wheel] = (root / "wheel").glob("img_pathway_bot-*.whl")

    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    run([*pip, "--python", python_of(venv), "install", "--no-deps", "--no-index", "-q", wheel])
    site = run([python_of(venv), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    (Path(site) / "_dependencies_from_dev_venv.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


def clean_env(home: Path) -> dict[str, str]:
    """No DATA_DIR, no PYTHONPATH, no virtual environment activated: what a fresh shell has."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


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
