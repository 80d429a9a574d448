"""Run the real bot (or any command) as a subprocess for end-to-end tests, with its output in the test log.

bot = BotProcess(env=emu.bot_env() | {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")})
await bot.start()
...
await bot.stop()        # SIGTERM, then wait; SIGKILL if it does not exit in time
assert bot.returncode == 0, bot.output

On PostgreSQL: ``BotProcess(env=..., database_url=await new_postgres_database(server))`` (tests/conftest.py).
Every start, restarts included, uses that same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from bot.config import Settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_COMMAND: tuple[str, ...] = (sys.executable, "-m", "bot", "run")
_SETTLED = re.compile(r"scheduled work settled: nothing in flight, no retry pending \(since start: (\d+) sent")

# Settings the bot reads from the environment; a developer's own values must never leak into a test run.
_SCRUBBED_PREFIXES = ("DISCORD_",)
# Every setting, so a new one is covered without remembering to list it here (pydantic-settings ignores case).
_SCRUBBED_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def _scrubbed(name: str) -> bool:
    return name.upper().startswith(_SCRUBBED_PREFIXES) or name.upper() in _SCRUBBED_NAMES


class BotProcess:
    """One bot subprocess. Output (stdout and stderr, merged) is kept in `output` and logged line by line."""

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        name: str = "bot",
        stop_timeout: float = 15.0,
        database_url: str | None = None,
    ) -> None:
        self.command = list(command or DEFAULT_COMMAND)
        self.env = dict(env or {})
        if database_url is not None:
            # The bot keeps its data in this PostgreSQL database: DATABASE_URL wins over DATABASE_PATH (bot/config.py).
            # Keep DATABASE_PATH in the test's own directory all the same: a bot that used it by mistake would write
            # there, where the test can see it, and never in the repository's var/. In ``env``, so every start and
            # restart uses the same database.
            self.env["DATABASE_URL"] = database_url
        self.cwd = Path(cwd) if cwd is not None else REPO_ROOT
        self.name = name
        self.stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lines: list[str] = []
        self._new_output = asyncio.Event()
        self._log = logging.getLogger(f"{__name__}.{name}")
        self.starts = 0

    # ----- lifecycle ------------------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not _scrubbed(k)}
        base["PYTHONUNBUFFERED"] = "1"
        base.update(self.env)
        return base

    async def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self._lines.append(f"--- start #{self.starts + 1}: {' '.join(self.command)}")
        self._proc = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=str(self.cwd),
            env=self._environment(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.starts += 1
        self._reader = asyncio.create_task(self._pump(self._proc), name=f"{self.name}-output")
        self._log.info("%s started (pid %s)", self.name, self._proc.pid)

    async def _pump(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                break
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            self._lines.append(line)
            self._log.info("[%s] %s", self.name, line)
            self._new_output.set()
        self._new_output.set()

    async def stop(self, timeout: float | None = None) -> int | None:  # noqa: ASYNC109 - the public API takes timeout=
        """SIGTERM and wait (SIGKILL after `timeout`). Safe when the process already exited or never started."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout or self.stop_timeout)
            except TimeoutError:
                self._log.warning("%s ignored SIGTERM for %.0fs; killing it", self.name, timeout or self.stop_timeout)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        await self._drain()
        self._log.info("%s exited with %s", self.name, proc.returncode)
        return proc.returncode

    async def kill(self) -> int | None:
        """SIGKILL: the process gets no chance to close its gateway connection or database."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        await self._drain()
        return proc.returncode

    async def restart(self, *, kill: bool = False) -> None:
        if kill:
            await self.kill()
        else:
            await self.stop()
        await self.start()

    async def _drain(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5.0)
            self._reader = None

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ----- state ----------------------------------------------------------------------------------------------

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL database the bot uses, or None when it uses SQLite (DATABASE_PATH)."""
        return self.env.get("DATABASE_URL")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    @property
    def output(self) -> str:
        return "\n".join(self._lines)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self._lines[-lines:])

    @property
    def lines_so_far(self) -> int:
        """A mark in the output: pass it as ``after`` to wait only for lines printed from now on."""
        return len(self._lines)

    def settled_sent(self) -> int:
        """The scheduled posts the running bot reported sent in its latest "settled" line (0 before any)."""
        for line in reversed(self._lines):
            if line.startswith("--- start #"):
                return 0
            match = _SETTLED.search(line)
            if match is not None:
                return int(match[1])
        return 0

    async def wait_settled(self, *, sent_at_least: int = 0, after: int = 0, timeout: float = 60.0) -> int:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until the bot's scheduling runner reports nothing in flight and no retry pending, having sent at
        least ``sent_at_least`` scheduled posts since it started (``bot/scheduling/runner.py``). From then on no
        retry of a scheduled post can still land, so a test can count messages without sleeping. Returns the
        count the runner reported."""
        regex = _SETTLED
        checked = after
        async with asyncio.timeout(timeout):
            while True:
                for line in self._lines[checked:]:
                    match = regex.search(line)
                    if match is not None and int(match[1]) >= sent_at_least:
                        return int(match[1])
                checked = len(self._lines)
                if not self.running and (self._reader is None or self._reader.done()):
                    raise RuntimeError(f"{self.name} exited ({self.returncode}) before its scheduled work settled")
                self._new_output.clear()
                await self._new_output.wait()

    async def wait_for_output(self, pattern: str, timeout: float = 10.0, *, after: int = 0) -> re.Match[str]:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait for a line matching `pattern` (searching what was printed so far, too, from line ``after``)."""
        regex = re.compile(pattern)
        checked = after
        async with asyncio.timeout(timeout):
            while True:
                for line in self._lines[checked:]:
                    match = regex.search(line)
                    if match is not None:
                        return match
                checked = len(self._lines)
                if not self.running and (self._reader is None or self._reader.done()):
                    raise RuntimeError(f"{self.name} exited ({self.returncode}) before printing {pattern!r}")
                self._new_output.clear()
                await self._new_output.wait()

    async def wait_exit(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109 - the public API takes timeout=
        assert self._proc is not None
        code = await asyncio.wait_for(self._proc.wait(), timeout)
        await self._drain()
        return code
