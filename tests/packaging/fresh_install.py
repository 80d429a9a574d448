"""Build the project's wheel offline and install it into a fresh virtual environment (tests/packaging/conftest.py
does it once per test session), and run commands there as a fresh shell would.

The wheel is built with the .venv's own setuptools (``--no-build-isolation``), installed without dependencies into a
new virtual environment (``--no-deps --no-index``), and that environment borrows the .venv's installed dependencies
through a ``.pth`` line. Paths named in a ``.pth`` file are added to ``sys.path`` without reading the ``.pth`` files
they hold, so the .venv's editable install of this checkout stays out of it: the ``bot`` imported is the installed
one, which tests/packaging/test_plain_install.py checks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import REPO_ROOT

STEP_TIMEOUT = 180
"""Seconds for one step (build, environment, install, question); each takes under 10 s on an idle machine, and this
leaves room for a machine running several suites at once."""

LEFT_OUT = {"var", "build"}
"""Top-level entries a build never reads: the bot's own database and backups, setuptools' build directory. Hidden
ones (.git, .venv, .env, the tool caches) are left out too."""

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


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


def build_wheel(source: Path, out: Path) -> Path:
    """The wheel `pip wheel` builds from ``source``, offline; its path."""
    run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", out, source])
    [wheel] = out.glob("img_pathway_bot-*.whl")
    return wheel


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def fresh_venv(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with ``wheel`` installed and the .venv's dependencies borrowed; its path."""
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    run([*PIP, "--python", python_of(venv), "install", "--no-deps", "--no-index", "-q", wheel])
    site = run([python_of(venv), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    (Path(site) / "_dependencies_from_dev_venv.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


def clean_env(home: Path) -> dict[str, str]:
    """No DATA_DIR, no PYTHONPATH, no virtual environment activated: what a fresh shell has."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
