"""The bot local mode runs: its own process, its output in a log file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

STOP_TIMEOUT = 15.0


class BotSubprocess:
    """The bot's command line (``LocalBot.argv``) with its output in a log file; stopped with SIGTERM (then SIGKILL)
    like a service."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.argv = list(argv)
        self.env = env
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    async def start(self) -> None:
        self._log_file = self.log_path.open("wb")
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches local mode only, which then stops the bot in order.
            start_new_session=True,
        )

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    async def wait(self) -> int:
        assert self._proc is not None
        return await self._proc.wait()

    async def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:  # noqa: ASYNC109 - a plain deadline
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                log.warning("the bot ignored SIGTERM for %.0fs; killing it", timeout)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return proc.returncode

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
