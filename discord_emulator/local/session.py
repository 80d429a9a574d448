"""One local-mode session: the person's lines run against the emulator, the bot's answers printed.

The pieces it drives: ``lines`` (where lines come from), ``console`` (what a line means), ``viewpoint`` (who and
where the person is), ``forms`` (answering a modal), ``help``, ``transcript`` (what is printed, messages numbered),
``process`` (the bot's process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from discord_emulator.emulator import Emulator, MessageEvent
from discord_emulator.gateway import BotNotConnected
from discord_emulator.interactions import Interaction
from discord_emulator.local.console import (
    AsLine,
    BlankLine,
    CancelLine,
    ClickLine,
    ConsoleError,
    FillLine,
    HelpLine,
    InLine,
    Line,
    QuitLine,
    SelectLine,
    SlashLine,
    WaitLine,
    convert_options,
    find_channel,
    find_role,
    find_user,
    hidden_reason,
    parse_line,
    parse_slash,
)
from discord_emulator.local.display import MessageRenderer, Style, bold
from discord_emulator.local.forms import EMPTY_FIELD, fill_values, one_line, pick_option, picked_options
from discord_emulator.local.help import help_lines
from discord_emulator.local.lines import LineSource
from discord_emulator.local.process import BotSubprocess
from discord_emulator.local.transcript import Transcript
from discord_emulator.local.viewpoint import Viewpoint, local_owner_ids
from discord_emulator.models import InteractionError
from discord_emulator.world import World

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
REPLY_TIMEOUT = 15.0
# After an answer, wait until the bot has been quiet this long, so its followups print with the line that caused them.
QUIET_SECONDS = 0.15
SETTLE_LIMIT = 2.0

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


class _Stop(Exception):
    """`quit`, end of input: leave the read loop."""


class LocalSession:
    """One person (switchable with `as`) in one channel (switchable with `in`), talking to the bot."""

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
        self.bot: BotSubprocess | None = None
        self.stopping = False
        self.bot_failed = False
        self.busy = True
        self._events: deque[MessageEvent] = deque()
        self._open_form: Interaction | None = None
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
        reader = asyncio.create_task(self._read_loop(), name="local-read-loop")
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
            self._events.append(event)
            if not self.busy:
                self._flush()

    # ----- the read loop ----------------------------------------------------------------------------------------------

    def _prompt(self) -> str:
        if not self.tty:
            return ""
        where = "DM" if self.here.channel.is_dm else f"#{self.here.channel.name}"
        return f"{self.here.user.username} in {where}> "

    async def _read(self, prompt: str) -> str | None:
        self.busy = False
        self._flush()
        self.screen.prompt_shown = prompt if self.tty else None
        try:
            return await self.source.read(prompt)
        finally:
            self.screen.prompt_shown = None
            self.busy = True

    async def _read_loop(self) -> None:
        while True:
            line = await self._read(self._prompt())
            if line is None:
                if self._open_form is not None:
                    self.screen.fail("the script ended with the bot's form still open (answer it with `fill`)")
                return
            if self.source.echo:
                if not line.strip():
                    continue
                if line.lstrip().startswith("#"):
                    self.screen.out()
                    self.screen.out(line)
                    continue
                self.screen.out()
                self.screen.out(f"> {line}")
            try:
                await self.perform(parse_line(line))
            except _Stop:
                return
            except ConsoleError as exc:
                self.screen.fail(str(exc))
            except (InteractionError, LookupError, BotNotConnected) as exc:
                self.screen.fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
            except TimeoutError as exc:
                self.screen.fail(str(exc) or "the bot did not answer in time")
            except Exception as exc:
                # A fault in local mode or the emulator must not end the session; the traceback goes to stderr.
                log.warning("local mode failed on %r", line, exc_info=True)
                self.screen.fail(f"local mode could not run that line ({type(exc).__name__}: {exc})")
            await self._settle()
            self._flush()
            if self.tty:
                self.screen.out()

    async def perform(self, action: Line) -> None:
        if self._open_form is not None and not isinstance(action, FillLine | CancelLine | BlankLine | HelpLine):
            self._open_form = None
            self.screen.fail("the form the bot opened was closed without sending (answer it with `fill Label: value`)")
        match action:
            case BlankLine():
                return
            case QuitLine():
                raise _Stop
            case HelpLine(topic):
                available = self.emu.commands_for(self.here.channel)
                self.screen.print_wrapped(help_lines(available, self.here, topic))
            case SlashLine():
                await self.slash(action)
            case ClickLine():
                await self.click(action)
            case SelectLine():
                await self.select(action)
            case FillLine(text):
                await self.fill(text)
            case CancelLine():
                if self._open_form is None:
                    raise ConsoleError("there is no open form to cancel")
                self._open_form = None
                self.screen.out("The form was closed without sending.")
            case AsLine(who):
                self.screen.out(self.here.switch_user(who))
            case InLine(where):
                self.screen.out(self.here.switch_channel(where))
            case WaitLine(seconds):
                self.busy = False
                self._flush()
                await asyncio.sleep(seconds)
                self.busy = True

    # ----- actions ----------------------------------------------------------------------------------------------------

    async def slash(self, line: SlashLine) -> None:
        call = parse_slash(line.text, self.emu.commands_for(self.here.channel), autocomplete=line.autocomplete)
        for message in call.notes:
            self.screen.note(f"note: {message}")
        guild = self.world.guild_of(self.here.channel)
        focus = call.focused if line.autocomplete else None
        values = convert_options(call, self.world, guild, self.cwd, keep_text=lambda name: name == focus)
        if line.autocomplete:
            assert focus is not None
            choices = await self.emu.autocomplete(
                call.qualified_name,
                values,
                focused=focus,
                user=self.here.user,
                channel=self.here.channel,
                timeout=REPLY_TIMEOUT,
            )
            self.screen.out(self.screen.renderer.choices(focus, call.raw[focus], choices))
            return
        hidden = hidden_reason(call.command, self.world, self.here.user, self.here.channel)
        if hidden is not None:
            self.screen.note(
                f"note: Discord hides /{call.command.name} from {self.here.user.username} ({hidden}); local mode sends "
                "it anyway, so you see the bot's own check."
            )
        ix = await self.emu.slash(
            call.qualified_name, values, user=self.here.user, channel=self.here.channel, force=hidden is not None
        )
        await self.answer(ix)

    async def click(self, line: ClickLine) -> None:
        message, number = self.screen.target(line.message, "buttons", self.here.user)
        buttons = message.buttons
        if not buttons:
            raise ConsoleError(f"message {number} has no buttons")
        if not 1 <= line.button <= len(buttons):
            raise ConsoleError(f"message {number} has buttons 1-{len(buttons)}")
        button = buttons[line.button - 1]
        if button.get("style") == 5 or not button.get("custom_id"):
            self.screen.out(f"That button is a link; open it in a browser: {button.get('url')}")
            return
        ix = await self.emu.click(message, custom_id=str(button["custom_id"]), user=self.here.user)
        await self.answer(ix)

    async def select(self, line: SelectLine) -> None:
        message, number = self.screen.target(line.message, "menus", self.here.user)
        menus = message.selects
        if not menus:
            raise ConsoleError(f"message {number} has no menu")
        menu = line.menu
        if menu is None:
            if len(menus) != 1:
                raise ConsoleError(f"message {number} has {len(menus)} menus: write `select MENU OPTION`")
            menu = 1
        if not 1 <= menu <= len(menus):
            raise ConsoleError(f"message {number} has menus 1-{len(menus)}; write `select MENU OPTION`")
        component = menus[menu - 1]
        if not line.picks:
            raise ConsoleError("say which option(s): `select 1 3` picks option 3 of menu 1")
        values: list[Any] = []
        guild = self.world.guild_of(self.here.channel)
        ctype = int(component.get("type") or 3)
        options = list(component.get("options") or [])
        for pick in line.picks:
            if ctype == 3:
                values.append(pick_option(options, pick, menu))
            elif ctype == 5:
                values.append(find_user(self.world, pick, guild))
            elif ctype == 6:
                values.append(find_role(guild, pick))
            elif ctype == 7:
                try:
                    values.append(find_role(guild, pick))
                except ConsoleError:
                    values.append(find_user(self.world, pick, guild))
            else:
                values.append(find_channel(self.world, pick, guild))
        ix = await self.emu.select(message, values, custom_id=str(component.get("custom_id")), user=self.here.user)
        await self.answer(ix)

    async def fill(self, text: str) -> None:
        ix = self._open_form
        if ix is None or ix.modal is None:
            raise ConsoleError("no form is open: `fill` answers a form the bot opened just before")
        await self._submit(ix, fill_values(ix.modal, text))

    async def _submit(self, opened: Interaction, values: dict[str, Any]) -> None:
        submitted = await self.emu.submit_modal(opened, values, user=self.here.user)
        self._open_form = None
        await self.answer(submitted)

    async def _ask_form(self, ix: Interaction) -> None:
        """In a terminal, ask for each field in turn. Enter sends the field as it is, as Discord would: what the bot
        filled in (shown in [brackets]) or nothing; `-` empties an optional field; `cancel` closes."""
        assert ix.modal is not None
        prefilled = any(fld.value for fld in ix.modal.fields)
        self.screen.note(
            "(answer each field; Enter keeps what is filled in [shown in brackets] or leaves an empty field empty, "
            f"`{EMPTY_FIELD}` empties an optional field, `cancel` closes the form)"
            if prefilled
            else "(answer each field; Enter leaves an optional one empty, `cancel` closes the form)"
        )
        values: dict[str, Any] = {}
        for fld in ix.modal.fields:
            filled = f" [{one_line(fld.value)}]" if fld.value else ""
            answer = await self._read(f"  {fld.label or fld.custom_id}{filled}: ")
            if answer is None or answer.strip().lower() == "cancel":
                self.screen.out("The form was closed without sending.")
                return
            if answer.strip() == EMPTY_FIELD and not fld.required and not fld.options:
                values[fld.custom_id] = ""
            elif answer.strip():
                values[fld.custom_id] = picked_options(fld, answer) if fld.options else answer.strip()
        await self._submit(ix, values)

    # ----- answers ----------------------------------------------------------------------------------------------------

    async def answer(self, ix: Interaction) -> None:
        """Print how the bot answered `ix` (and any followups it sent right after)."""
        reply = await ix.response(REPLY_TIMEOUT)
        if reply.kind == "modal" and reply.modal is not None:
            self.screen.out(self.screen.renderer.modal(reply.modal))
            if self.source.interactive:
                await self._ask_form(ix)
            else:
                self._open_form = ix
                labels = " ".join(f"{f.label or f.custom_id}: …" for f in reply.modal.fields)
                kept = (
                    f"; fields you leave out keep what is filled in, `{EMPTY_FIELD}` empties an optional one"
                    if any(f.value for f in reply.modal.fields)
                    else ""
                )
                self.screen.note(f"(answer with: fill {labels}{kept})")
            return
        printed = False
        if reply.kind == "update" and reply.message is not None:
            printed = self.screen.show(reply.message, self.here.user)
        for message in ix.messages:
            printed = self.screen.show(message, self.here.user) or printed
        await self._settle()
        for message in ix.messages:
            printed = self.screen.show(message, self.here.user) or printed
        if not printed:
            self.screen.note("(the bot acknowledged without showing anything new)")

    def _flush(self) -> None:
        """Print what the bot posted, edited or deleted by itself since the last look (scheduled posts...)."""
        while self._events:
            self.screen.replay(self._events.popleft(), self.here.user)

    def _activity(self) -> tuple[int, int]:
        last = self.emu.requests[-1].seq if self.emu.requests else 0
        return last, len(self._events)

    async def _settle(self) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT
        seen = self._activity()
        while time.monotonic() < deadline:
            await asyncio.sleep(QUIET_SECONDS)
            now = self._activity()
            if now == seen:
                return
            seen = now
