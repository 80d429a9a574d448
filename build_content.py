"""The build step that makes a plain install carry the curated content (pyproject.toml, ``[tool.setuptools.cmdclass]``).

data/ sits beside the packages rather than inside one, so a wheel would leave it behind and ``imgbot`` would find no
content outside the repository. This copies data/ into the built ``bot`` package as ``bot/_data``, where bot/config.py
looks first (``default_data_dir``). An editable install (``make install``) copies nothing: the checkout's data/ is
there. Not shipped itself: setuptools loads it from the source tree while building.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py

CONTENT = Path(__file__).resolve().parent / "data"
SHIPPED_AS = Path("bot", "_data")
"""Where the content goes inside the built packages; bot/config.py's ``PACKAGED_DATA`` names the same place."""


class BuildPyWithContent(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / SHIPPED_AS
        # From scratch: an entry deleted from data/ must not survive in a build directory left by an earlier build.
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(CONTENT, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
