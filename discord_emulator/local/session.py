"""One local-mode session: the emulator and the bot started, the conversation held, both stopped in order.

The pieces: ``conversation`` (each line read and done, the answers printed), ``lines`` (where lines come from),
``console`` (what a line means), ``viewpoint`` (who and where the person is), ``forms`` (answering a modal), ``help``,
``transcript`` (what is printed, messages numbered), ``process`` (the bot's process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from discord_emulator.emulator import Emulator
from discord_emulator.local.conversation import Conversation
from discord_emulator.local.display import MessageRenderer, Style, bold
from discord_emulator.local.lines import LineSource
from discord_emulator.local.process import BotSubprocess
from discord_emulator.local.transcript import Transcript
from discord_emulator.local.viewpoint import Viewpoint, local_owner_ids
from discord_emulator.world import World

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0

EXIT_OK, EXIT_LINE_FAILED, EXIT_BOT_FAILED = 0, 1, 2


@dataclass(frozen=True)
class LocalBot:
    """The bot local mode runs, as the project that owns it describes it (``imgbot run --local`` builds one)."""

    argv: tuple[str, ...]
    """The bot's command line (started with ``environment``'s variables, stopped with SIGTERM)."""
    environment: Callable[[dict[str, str], list[int]], dict[str, str]]
    """The bot's environment, given the emulator's (``Emulator.bot_env()``: token, REST and gateway addresses) and
    the emulated world's owners (the ids to make the bot's owners)."""
    log: Path
    """Where the bot's output goes."""
    files: Path
    """Where attachments the bot sends are saved."""
    database: Path
    """The bot's database, named in the banner."""
    prepare: Callable[[], None] = lambda: None
    """Run before anything starts (after a script has been read): the bot's directories, its database ready."""
    debug: bool = False
    """The emulator's own log is shown (and not only its warnings)."""


class LocalSession:
    """The emulator and the bot's process for one person (switchable with `as`) in one channel (with `in`): started,
    the conversation served until `quit`, end of input, Ctrl-C or the bot stopping, then stopped in order."""

    def __init__(self, local_bot: LocalBot, source: LineSource, stdout: TextIO, *, tty: bool = False) -> None:
        self.local_bot = local_bot
        self.source = source
        self.tty = tty
        self.cwd = Path.cwd()
        width = min(shutil.get_terminal_size((100, 24)).columns, 120) if tty else 100
        style = Style(color=tty and "NO_COLOR" not in os.environ, width=width)
        self.world = World.default()
        self.emu = Emulator(self.world)
        self.here = Viewpoint(self.world)
        renderer = MessageRenderer(self.world, style, files_dir=local_bot.files, cwd=self.cwd)
        self.screen = Transcript(stdout, style, renderer, tty=tty)
        self.conversation = Conversation(self.emu, self.here, self.screen, source, cwd=self.cwd)
        self.bot: BotSubprocess | None = None
        self.stopping = False
        self.bot_failed = False
        self._interruptible: asyncio.Task[Any] | None = None

    def _shown_path(self, path: Path) -> str:
        return str(path.relative_to(self.cwd)) if path.is_relative_to(self.cwd) else str(path)

    # ----- lifecycle --------------------------------------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._interruptible = asyncio.current_task()
        handled = []
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._interrupt)
                handled.append(signum)
        try:
            return await self._run(loop)
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    async def _run(self, loop: asyncio.AbstractEventLoop) -> int:
        started = time.monotonic()
        self.screen.out(
            f"Starting the bot against the built-in Discord emulator (log: {self._shown_path(self.local_bot.log)})…"
        )
        async with self.emu:
            # Listen before the bot starts: what it posts while starting (a quiz it resumes) is shown too.
            collector = asyncio.create_task(self._collect(), name="local-collect")
            environment = self.local_bot.environment(self.emu.bot_env(), local_owner_ids(self.world))
            self.bot = BotSubprocess(self.local_bot.argv, environment, self.local_bot.log)
            await self.bot.start()
            try:
                if not await self._wait_ready():
                    return EXIT_BOT_FAILED
                self._banner(time.monotonic() - started)
                return await self._serve(loop)
            finally:
                await self.bot.stop()
                collector.cancel()
                await asyncio.gather(collector, return_exceptions=True)
                self.screen.out("The bot has stopped.")

    async def _wait_ready(self) -> bool:
        assert self.bot is not None
        ready = asyncio.create_task(self.emu.wait_until_ready(timeout=READY_TIMEOUT), name="local-ready")
        exited = asyncio.create_task(self.bot.wait(), name="local-bot-exit")
        try:
            done, _ = await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (ready, exited):
                task.cancel()
            await asyncio.gather(ready, exited, return_exceptions=True)
        if ready in done and not ready.cancelled() and ready.exception() is None:
            return True
        if self.bot.returncode is not None:
            reason = f"the bot exited with status {self.bot.returncode} before it was ready"
        else:
            error = ready.exception() if ready in done and not ready.cancelled() else None
            reason = str(error) if error else f"the bot did not connect within {READY_TIMEOUT:.0f} s"
        self.screen.out(f"✗ Local mode could not start: {reason}. The end of {self._shown_path(self.local_bot.log)}:")
        self.screen.out(self.bot.tail())
        return False

    def _banner(self, seconds: float) -> None:
        guild = self.world.guild_of(self.here.channel)
        lines = [
            bold(f"{self.world.application_name} — local mode") + f" (ready in {seconds:.1f} s)",
            "The real bot runs against a Discord emulator on this computer: no Discord account needed.",
            f"Its log: {self._shown_path(self.local_bot.log)}. Its data: {self._shown_path(self.local_bot.database)} "
            "(kept apart from a real bot's database).",
            f'You are {self.here.user.username} in #{self.here.channel.name} of "{guild.name if guild else "?"}". '
            "Type slash commands as in Discord, e.g.",
            "  /ask question: when is SOAP",
            "Switch with `as dr_admin` (a moderator, and the bot's owner) or `as bob`, and `in #study-room`.",
            "`help` lists the commands and their options; `quit` leaves.",
        ]
        self.screen.out("\n".join(self.screen.style.finish(line) for line in lines))

    def _interrupt(self) -> None:
        """Ctrl-C, SIGTERM, a closed terminal: stop what is running; `run` then stops the bot in order."""
        if not self.stopping:
            self.stopping = True
            if self._interruptible is not None:
                self._interruptible.cancel()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> int:
        assert self.bot is not None
        self.source.start(loop)
        reader = asyncio.create_task(self.conversation.read_loop(), name="local-read-loop")
        self._interruptible = reader
        watcher = asyncio.create_task(self._watch_bot(reader), name="local-bot-watch")
        try:
            await asyncio.wait({reader})
        finally:
            self.stopping = True
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            self.screen.prompt_shown = None
        if self.bot_failed:
            return EXIT_BOT_FAILED
        if reader.cancelled():
            self.screen.out("")
            return EXIT_OK
        if reader.exception() is not None:
            raise reader.exception()  # type: ignore[misc]
        return EXIT_LINE_FAILED if self.screen.failures and not self.source.interactive else EXIT_OK

    async def _watch_bot(self, reader: asyncio.Task[None]) -> None:
        assert self.bot is not None
        code = await self.bot.wait()
        if not self.stopping:
            self.bot_failed = True
            self.screen.out(f"✗ The bot stopped on its own (exit status {code}). The end of {self.local_bot.log}:")
            self.screen.out(self.bot.tail())
            self.stopping = True
            reader.cancel()

    async def _collect(self) -> None:
        async for event in self.emu.subscribe():
            self.conversation.events.append(event)
            if not self.conversation.busy:
                self.conversation.flush()
