"""Where local mode's lines come from: a script (``--script FILE``), or stdin (a terminal or a pipe)."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import deque
from typing import Protocol, TextIO


class LineSource(Protocol):
    echo: bool  # print each line as `> line` (scripts and pipes, where nobody sees the typing)
    interactive: bool  # a person answers prompts (forms are asked field by field)

    def start(self, loop: asyncio.AbstractEventLoop) -> None: ...

    async def read(self, prompt: str) -> str | None: ...


class ScriptLines:
    echo = True
    interactive = False

    def __init__(self, lines: list[str]) -> None:
        self._lines = deque(lines)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        return None

    async def read(self, prompt: str) -> str | None:
        return self._lines.popleft() if self._lines else None


class StdinLines:
    """Lines from stdin, read by a daemon thread so the event loop (and the bot's messages) never wait on typing."""

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.echo = not tty
        self.interactive = tty
        self._prompts: queue.Queue[str] = queue.Queue()
        self._future: asyncio.Future[str | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self.tty:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - gives input() line editing and history

        self._thread = threading.Thread(target=self._run, name="local-mode-stdin", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            prompt = self._prompts.get()
            line: str | None
            try:
                if self.tty:
                    line = input(prompt)
                else:
                    raw = self.stream.readline()
                    line = raw.rstrip("\r\n") if raw else None
            except (EOFError, OSError, ValueError):
                line = None
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._deliver, line)
            except RuntimeError:
                return  # the loop is closed: local mode has ended
            if line is None:
                return

    def _deliver(self, line: str | None) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(line)

    async def read(self, prompt: str) -> str | None:
        if self._thread is not None and not self._thread.is_alive():
            return None
        self._future = asyncio.get_running_loop().create_future()
        self._prompts.put(prompt)
        try:
            return await self._future
        finally:
            self._future = None
