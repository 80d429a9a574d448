"""The repository names no path of one machine: shared files are ../shared/..., the rest relative to the root."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO_ROOT

REPO = REPO_ROOT
# A home or workspace directory of some machine: work, root, home or Users directly under the root directory.
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|home|Users)/[\w.-]+")


def test_no_file_names_an_absolute_path_of_a_machine() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in tracked:
        path = REPO / name
        if not path.is_file() or path.suffix in {".png", ".sqlite3", ".db"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in MACHINE_PATH.finditer(text)]
    assert found == []
