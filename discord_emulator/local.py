"""Local mode: try every slash command in a terminal, with the real bot running against the built-in Discord.

`imgbot run --local` (and `make run` without a DISCORD_TOKEN) starts the emulator in this process and the real,
unmodified bot as a subprocess pointed at it, then reads lines like `/ask question: when is SOAP`, `click 2` or
`as dr_admin` (see `discord_emulator.console`) and prints what the bot answers (see `discord_emulator.display`).

`imgbot run --local --script FILE` runs the lines of FILE instead and prints the transcript; so does piping lines
into stdin. Exit status: 0 when every line ran (whatever the bot answered, a refusal included); 1 when a line could
not be run (a typo, an unknown option, a button that is not there, no answer from the bot); 2 when the bot could not
start or stopped on its own. In a terminal, mistakes are explained and the session goes on (exit status 0).

Local mode keeps its own database (`local.sqlite3` beside the configured one), its own bot log (`local-bot.log`)
and saves attachments the bot sends into `local-files/`, so trying things never touches a real bot's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import queue
import re
import shutil
import signal
import sqlite3
import sys
import textwrap
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any, Protocol, TextIO

from bot.config import Settings
from bot.local_mode import LocalPaths, local_settings
from discord_emulator.console import (
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
    chat_commands,
    convert_options,
    describe_leaf,
    find_channel,
    find_role,
    find_user,
    hidden_reason,
    leaves,
    parse_line,
    parse_slash,
    rest_picks,
    split_named_values,
)
from discord_emulator.display import MessageRenderer, Style, bold, dim
from discord_emulator.emulator import Emulator, MessageEvent
from discord_emulator.gateway import BotNotConnected
from discord_emulator.interactions import Interaction
from discord_emulator.models import InteractionError, Message
from discord_emulator.permissions import ALL_PERMISSIONS, Perm
from discord_emulator.world import Channel, ChannelType, User, World

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0
REPLY_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
# After an answer, wait until the bot has been quiet this long, so its followups print with the line that caused them.
QUIET_SECONDS = 0.15
SETTLE_LIMIT = 2.0

EXIT_OK, EXIT_LINE_FAILED, EXIT_BOT_FAILED = 0, 1, 2
EMPTY_FIELD = "-"
"""Typed for an optional form field, sends it empty (Enter keeps what the bot filled in, as it would in Discord)."""
FILLED_SHOWN = 60
"""Characters of a pre-filled form value shown in the field's prompt (the form above shows all of it)."""


def run_local(settings: Settings, script: Path | None = None) -> int:
    """Run local mode until `quit`, end of input or Ctrl-C; returns the exit status (see the module docstring)."""
    lines: list[str] | None = None
    if script is not None:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"Cannot read the script {script}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_BOT_FAILED
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Emoji and box-drawing characters must not crash a terminal with a narrow encoding.
        sys.stdout.reconfigure(errors="replace")
    paths = LocalPaths.beside(settings.database_path)
    paths.root.mkdir(parents=True, exist_ok=True)
    forget_command_registration(paths.database)
    if settings.log_level != "DEBUG":
        # The emulator's start-up chatter would land between the person's lines; its warnings still show.
        for name in ("discord_emulator", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
    tty = lines is None and sys.stdin.isatty() and sys.stdout.isatty()
    source: LineSource = ScriptLines(lines) if lines is not None else StdinLines(sys.stdin, tty=tty)
    session = LocalSession(settings, paths, source, sys.stdout, tty=tty)
    saved_tty = _save_terminal() if tty else None
    try:
        return asyncio.run(session.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Interrupted while starting: `run` has already stopped the bot.
        return EXIT_OK
    finally:
        _restore_terminal(saved_tty)


def forget_command_registration(database: Path) -> None:
    """Let the bot register its commands again at start-up.

    The bot skips registration when its database says the same definitions were registered before. Discord
    remembers them across restarts; the emulator starts empty every run, so without this a second run would have
    no commands at all.
    """
    if not database.exists():
        return
    with contextlib.closing(sqlite3.connect(database)) as conn:
        try:
            conn.execute("DELETE FROM bot_meta WHERE key LIKE 'commands_hash:%'")
            conn.commit()
        except sqlite3.OperationalError:
            log.debug("no bot_meta table in %s yet", database)


def bot_environment(settings: Settings, emu_env: dict[str, str], owner_ids: list[int]) -> dict[str, str]:
    """The bot's environment: the person's settings, but Discord, the database and every other path local
    (``local_settings``), and the emulated world's ``owner_ids`` as its owners."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in _settings_keys() and not k.startswith("DISCORD_")}
    for name, value in local_settings(settings, owner_ids).model_dump(mode="json").items():
        if value is not None:
            env[name.upper()] = value if isinstance(value, str) else json.dumps(value)
    env.update(emu_env)
    env.update(
        {
            "DATA_DIR": str(settings.data_dir.expanduser().resolve()),
            "LOG_LEVEL": "DEBUG" if settings.log_level == "DEBUG" else "WARNING",
            # A developer's test server belongs to real Discord, not to the emulated one.
            "DEV_GUILD_ID": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def local_owner_ids(world: World) -> list[int]:
    """The bot's owners in local mode (its OWNER_IDS): the owner of the server local mode starts in (dr_admin in
    the default world), who plays the person running the bot, so owner-only commands such as /status can be tried."""
    channel = world.default_channel
    guild = world.guild_of(channel) if channel is not None else None
    return [guild.owner_id] if guild is not None else []


def _settings_keys() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _save_terminal() -> list[Any] | None:
    try:
        import termios

        return termios.tcgetattr(sys.stdin.fileno())
    except (ImportError, OSError, ValueError):
        return None


def _restore_terminal(saved: list[Any] | None) -> None:
    # input() runs in a thread that may still be waiting when we leave; put the terminal back as we found it.
    if saved is None:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import termios

        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


# ----- the bot process -------------------------------------------------------------------------------------------


class BotSubprocess:
    """`python -m bot run` with its output in a log file; stopped with SIGTERM (then SIGKILL) like a service."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    async def start(self) -> None:
        self._log_file = self.log_path.open("wb")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
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


# ----- where lines come from -------------------------------------------------------------------------------------


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


# ----- the session ---------------------------------------------------------------------------------------------


class _Stop(Exception):
    """`quit`, end of input: leave the read loop."""


class LocalSession:
    """One person (switchable with `as`) in one channel (switchable with `in`), talking to the bot."""

    def __init__(
        self, settings: Settings, paths: LocalPaths, source: LineSource, stdout: TextIO, *, tty: bool = False
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.source = source
        self.stdout = stdout
        self.tty = tty
        self.cwd = Path.cwd()
        width = min(shutil.get_terminal_size((100, 24)).columns, 120) if tty else 100
        self.style = Style(color=tty and "NO_COLOR" not in os.environ, width=width)
        self.world = World.default()
        self.emu = Emulator(self.world)
        assert self.world.default_user is not None and self.world.default_channel is not None
        self.user: User = self.world.default_user
        self.channel: Channel = self.world.default_channel
        self.renderer = MessageRenderer(self.world, self.style, files_dir=paths.files, cwd=self.cwd)
        self.bot: BotSubprocess | None = None
        self.failures = 0
        self.stopping = False
        self.bot_failed = False
        self.busy = True
        self.prompt_shown: str | None = None
        self._events: deque[MessageEvent] = deque()
        self._numbers: dict[int, int] = {}
        self._by_number: dict[int, Message] = {}
        self._printed: set[tuple[int, int]] = set()
        self._last_buttons: Message | None = None
        self._last_menus: Message | None = None
        self._open_form: Interaction | None = None
        self._hints: set[str] = set()
        self._interruptible: asyncio.Task[Any] | None = None

    # ----- output ----------------------------------------------------------------------------------------------

    def out(self, text: str = "") -> None:
        if self.prompt_shown is not None and self.tty:
            # A message arrived while the person is typing: print it above the prompt and redraw what they typed.
            typed = ""
            with contextlib.suppress(ImportError):
                import readline

                typed = readline.get_line_buffer()
            self.stdout.write(f"\r\x1b[K{text}\n{self.prompt_shown}{typed}")
        else:
            self.stdout.write(text + "\n")
        self.stdout.flush()

    def fail(self, message: str) -> None:
        self.failures += 1
        self.out(self._fill(f"✗ {message}"))

    def note(self, message: str) -> None:
        self.out(self.style.finish(dim(self._fill(message))))

    def _fill(self, text: str) -> str:
        return textwrap.fill(
            text, self.style.width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
        )

    def where(self, channel: Channel | None = None) -> str:
        channel = channel or self.channel
        if channel.is_dm:
            return "a DM with the bot"
        guild = self.world.guild_of(channel)
        return f'#{channel.name} of "{guild.name}"' if guild else f"#{channel.name}"

    def _shown_path(self, path: Path) -> str:
        return str(path.relative_to(self.cwd)) if path.is_relative_to(self.cwd) else str(path)

    # ----- lifecycle -------------------------------------------------------------------------------------------

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
        self.out(f"Starting the bot against the built-in Discord emulator (log: {self._shown_path(self.paths.log)})…")
        async with self.emu:
            # Listen before the bot starts: what it posts while starting (a quiz it resumes) is shown too.
            collector = asyncio.create_task(self._collect(), name="local-collect")
            environment = bot_environment(self.settings, self.emu.bot_env(), local_owner_ids(self.world))
            self.bot = BotSubprocess(environment, self.paths.log)
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
                self.out("The bot has stopped.")

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
        self.out(f"✗ Local mode could not start: {reason}. The end of {self._shown_path(self.paths.log)}:")
        self.out(self.bot.tail())
        return False

    def _banner(self, seconds: float) -> None:
        guild = self.world.guild_of(self.channel)
        lines = [
            bold(f"{self.world.application_name} — local mode") + f" (ready in {seconds:.1f} s)",
            "The real bot runs against a Discord emulator on this computer: no Discord account needed.",
            f"Its log: {self._shown_path(self.paths.log)}. Its data: {self._shown_path(self.paths.database)} "
            "(kept apart from a real bot's database).",
            f'You are {self.user.username} in #{self.channel.name} of "{guild.name if guild else "?"}". '
            "Type slash commands as in Discord, e.g.",
            "  /ask question: when is SOAP",
            "Switch with `as dr_admin` (a moderator, and the bot's owner) or `as bob`, and `in #study-room`.",
            "`help` lists the commands and their options; `quit` leaves.",
        ]
        self.out("\n".join(self.style.finish(line) for line in lines))

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
            self.prompt_shown = None
        if self.bot_failed:
            return EXIT_BOT_FAILED
        if reader.cancelled():
            self.out("")
            return EXIT_OK
        if reader.exception() is not None:
            raise reader.exception()  # type: ignore[misc]
        return EXIT_LINE_FAILED if self.failures and not self.source.interactive else EXIT_OK

    async def _watch_bot(self, reader: asyncio.Task[None]) -> None:
        assert self.bot is not None
        code = await self.bot.wait()
        if not self.stopping:
            self.bot_failed = True
            self.out(f"✗ The bot stopped on its own (exit status {code}). The end of {self.paths.log}:")
            self.out(self.bot.tail())
            self.stopping = True
            reader.cancel()

    async def _collect(self) -> None:
        async for event in self.emu.subscribe():
            self._events.append(event)
            if not self.busy:
                self._flush()

    # ----- the read loop ---------------------------------------------------------------------------------------

    def _prompt(self) -> str:
        if not self.tty:
            return ""
        where = "DM" if self.channel.is_dm else f"#{self.channel.name}"
        return f"{self.user.username} in {where}> "

    async def _read(self, prompt: str) -> str | None:
        self.busy = False
        self._flush()
        self.prompt_shown = prompt if self.tty else None
        try:
            return await self.source.read(prompt)
        finally:
            self.prompt_shown = None
            self.busy = True

    async def _read_loop(self) -> None:
        while True:
            line = await self._read(self._prompt())
            if line is None:
                if self._open_form is not None:
                    self.fail("the script ended with the bot's form still open (answer it with `fill`)")
                return
            if self.source.echo:
                if not line.strip():
                    continue
                if line.lstrip().startswith("#"):
                    self.out()
                    self.out(line)
                    continue
                self.out()
                self.out(f"> {line}")
            try:
                await self.perform(parse_line(line))
            except _Stop:
                return
            except ConsoleError as exc:
                self.fail(str(exc))
            except (InteractionError, LookupError, BotNotConnected) as exc:
                self.fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
            except TimeoutError as exc:
                self.fail(str(exc) or "the bot did not answer in time")
            except Exception as exc:
                # A fault in local mode or the emulator must not end the session; the traceback goes to stderr.
                log.warning("local mode failed on %r", line, exc_info=True)
                self.fail(f"local mode could not run that line ({type(exc).__name__}: {exc})")
            await self._settle()
            self._flush()
            if self.tty:
                self.out()

    async def perform(self, action: Line) -> None:
        if self._open_form is not None and not isinstance(action, FillLine | CancelLine | BlankLine | HelpLine):
            self._open_form = None
            self.fail("the form the bot opened was closed without sending (answer it with `fill Label: value`)")
        match action:
            case BlankLine():
                return
            case QuitLine():
                raise _Stop
            case HelpLine(topic):
                self.help(topic)
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
                self.out("The form was closed without sending.")
            case AsLine(who):
                self.switch_user(who)
            case InLine(where):
                self.switch_channel(where)
            case WaitLine(seconds):
                self.busy = False
                self._flush()
                await asyncio.sleep(seconds)
                self.busy = True

    # ----- actions ---------------------------------------------------------------------------------------------

    async def slash(self, line: SlashLine) -> None:
        call = parse_slash(line.text, self.emu.commands_for(self.channel), autocomplete=line.autocomplete)
        for message in call.notes:
            self.note(f"note: {message}")
        guild = self.world.guild_of(self.channel)
        focus = call.focused if line.autocomplete else None
        values = convert_options(call, self.world, guild, self.cwd, keep_text=lambda name: name == focus)
        if line.autocomplete:
            assert focus is not None
            choices = await self.emu.autocomplete(
                call.qualified_name,
                values,
                focused=focus,
                user=self.user,
                channel=self.channel,
                timeout=REPLY_TIMEOUT,
            )
            self.out(self.renderer.choices(focus, call.raw[focus], choices))
            return
        hidden = hidden_reason(call.command, self.world, self.user, self.channel)
        if hidden is not None:
            self.note(
                f"note: Discord hides /{call.command.name} from {self.user.username} ({hidden}); local mode sends "
                "it anyway, so you see the bot's own check."
            )
        ix = await self.emu.slash(
            call.qualified_name, values, user=self.user, channel=self.channel, force=hidden is not None
        )
        await self.answer(ix)

    def _target(self, number: int | None, kind: str) -> tuple[Message, int]:
        if number is not None:
            message = self._by_number.get(number)
            if message is None:
                raise ConsoleError(f"there is no message {number} (messages are numbered in their headers)")
        else:
            message = self._last_buttons if kind == "buttons" else self._last_menus
            if message is None:
                raise ConsoleError(f"no message with {kind} has been shown yet")
        if message.deleted:
            raise ConsoleError(f"message {self._numbers[message.id]} has been deleted")
        owner = message.interaction_user
        if message.ephemeral and owner is not None and owner.id != self.user.id:
            raise ConsoleError(
                f"message {self._numbers[message.id]} is ephemeral: only {owner.username} sees it "
                f"(switch back with `as {owner.username}`)"
            )
        return message, self._numbers[message.id]

    async def click(self, line: ClickLine) -> None:
        message, number = self._target(line.message, "buttons")
        buttons = message.buttons
        if not buttons:
            raise ConsoleError(f"message {number} has no buttons")
        if not 1 <= line.button <= len(buttons):
            raise ConsoleError(f"message {number} has buttons 1-{len(buttons)}")
        button = buttons[line.button - 1]
        if button.get("style") == 5 or not button.get("custom_id"):
            self.out(f"That button is a link; open it in a browser: {button.get('url')}")
            return
        ix = await self.emu.click(message, custom_id=str(button["custom_id"]), user=self.user)
        await self.answer(ix)

    async def select(self, line: SelectLine) -> None:
        message, number = self._target(line.message, "menus")
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
        guild = self.world.guild_of(self.channel)
        ctype = int(component.get("type") or 3)
        options = list(component.get("options") or [])
        for pick in line.picks:
            if ctype == 3:
                values.append(_pick_option(options, pick, menu))
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
        ix = await self.emu.select(message, values, custom_id=str(component.get("custom_id")), user=self.user)
        await self.answer(ix)

    async def fill(self, text: str) -> None:
        ix = self._open_form
        if ix is None or ix.modal is None:
            raise ConsoleError("no form is open: `fill` answers a form the bot opened just before")
        modal = ix.modal
        names: dict[str, str] = {}
        for fld in modal.fields:
            names[fld.custom_id] = fld.custom_id
            if fld.label:
                names[fld.label] = fld.custom_id
        parsed = split_named_values(text, list(names))
        raw = {names[k]: v for k, v in parsed.values.items()}
        if parsed.leading:
            looks_named = re.match(r"^([^:]{2,60}):\s", parsed.leading)
            if len(modal.fields) != 1 or raw or looks_named:
                labels = ", ".join(f"{f.label or f.custom_id}:" for f in modal.fields)
                raise ConsoleError(f"write each field as `Label: value`; this form has {labels}")
            raw = {modal.fields[0].custom_id: parsed.leading}
        values: dict[str, Any] = {}
        for fld in modal.fields:
            if fld.custom_id in raw:
                value = raw[fld.custom_id]
                if value.strip() == EMPTY_FIELD and not fld.required and not fld.options:
                    values[fld.custom_id] = ""
                    continue
                values[fld.custom_id] = (
                    [_pick_option(fld.options, p, 1) for p in rest_picks(value.split())] if fld.options else value
                )
        await self._submit(ix, values)

    async def _submit(self, opened: Interaction, values: dict[str, Any]) -> None:
        submitted = await self.emu.submit_modal(opened, values, user=self.user)
        self._open_form = None
        await self.answer(submitted)

    async def _ask_form(self, ix: Interaction) -> None:
        """In a terminal, ask for each field in turn. Enter sends the field as it is, as Discord would: what the bot
        filled in (shown in [brackets]) or nothing; `-` empties an optional field; `cancel` closes."""
        assert ix.modal is not None
        prefilled = any(fld.value for fld in ix.modal.fields)
        self.note(
            "(answer each field; Enter keeps what is filled in [shown in brackets] or leaves an empty field empty, "
            f"`{EMPTY_FIELD}` empties an optional field, `cancel` closes the form)"
            if prefilled
            else "(answer each field; Enter leaves an optional one empty, `cancel` closes the form)"
        )
        values: dict[str, Any] = {}
        for fld in ix.modal.fields:
            filled = f" [{_one_line(fld.value)}]" if fld.value else ""
            answer = await self._read(f"  {fld.label or fld.custom_id}{filled}: ")
            if answer is None or answer.strip().lower() == "cancel":
                self.out("The form was closed without sending.")
                return
            if answer.strip() == EMPTY_FIELD and not fld.required and not fld.options:
                values[fld.custom_id] = ""
            elif answer.strip():
                values[fld.custom_id] = (
                    [_pick_option(fld.options, p, 1) for p in rest_picks(answer.split())]
                    if fld.options
                    else answer.strip()
                )
        await self._submit(ix, values)

    def switch_user(self, who: str) -> None:
        guild = self.world.guild_of(self.channel)
        user = find_user(self.world, who, guild)
        if user.bot:
            raise ConsoleError("you can be anyone but the bot")
        self.user = user
        if self.channel.is_dm:
            self.channel = self.world.dm_channel_for(user)
        self.out(f"You are now {user.username} in {self.where()}{self.describe_user(user)}.")

    def describe_user(self, user: User) -> str:
        """` — server owner; roles: Moderators; can Manage Server` (empty for an ordinary member)."""
        guild = self.world.guild_of(self.channel)
        if guild is None:
            return ""
        member = guild.member(user)
        roles = [guild.roles[r].name for r in (member.roles if member else []) if r in guild.roles]
        extra = []
        if user.id == guild.owner_id:
            extra.append("server owner")
        if user.id in local_owner_ids(self.world):
            extra.append("the bot's owner (OWNER_IDS)")
        if roles:
            extra.append("roles: " + ", ".join(roles))
        perms = self.world.base_permissions(guild, user.id)
        if perms == ALL_PERMISSIONS or perms & Perm.MANAGE_GUILD:
            extra.append("can Manage Server")
        return f" — {'; '.join(extra)}" if extra else ""

    def switch_channel(self, where: str) -> None:
        if where.strip().lower() in ("dm", "dms", "@me", "direct message"):
            self.channel = self.world.dm_channel_for(self.user)
            self.out(f"You are now {self.user.username} in a DM with the bot.")
            return
        guild = self.world.guild_of(self.channel) or self.world.guild()
        channel = find_channel(self.world, where, guild)
        if channel.type == ChannelType.GUILD_CATEGORY:
            raise ConsoleError(f"{channel.name} is a category, not a channel you can talk in")
        target = self.world.guild_of(channel)
        if target is not None and target.member(self.user) is None:
            members = ", ".join(
                self.world.get_user(m).username  # type: ignore[union-attr]
                for m in target.members
                if self.world.get_user(m) and not self.world.get_user(m).bot  # type: ignore[union-attr]
            )
            raise ConsoleError(f"{self.user.username} is not in {target.name}; members there: {members}")
        if not self.world.permissions_in(channel, self.user.id) & Perm.VIEW_CHANNEL:
            raise ConsoleError(f"{self.user.username} cannot see #{channel.name}")
        self.channel = channel
        self.out(f"You are now {self.user.username} in {self.where()}.")

    def help(self, topic: str | None) -> None:
        commands = chat_commands(self.emu.commands_for(self.channel))
        all_leaves = [leaf for c in commands for leaf in leaves(c)]
        if topic:
            wanted = topic.strip().lstrip("/").lower()
            matching = [leaf for leaf in all_leaves if leaf.qualified_name.startswith(wanted)]
            if not matching:
                raise ConsoleError(f"no command /{wanted}; `help` lists them all")
            self._print_wrapped([line for leaf in matching for line in describe_leaf(leaf, detailed=True)])
            return
        lines = [bold(f"Slash commands ({self.user.username} in {self.where()}):")]
        for leaf in all_leaves:
            described = describe_leaf(leaf, detailed=False)
            hidden = hidden_reason(leaf.command, self.world, self.user, self.channel)
            if hidden is not None:
                described[0] += dim(f"   (Discord hides it from {self.user.username}: {hidden})")
            lines += ["  " + line for line in described]
        if not all_leaves:
            lines.append("  (none: the bot registered no commands for this place)")
        guild = self.world.guild_of(self.channel) or self.world.guild()
        people = []
        for member in guild.members.values():
            if member.user.bot:
                continue
            perms = self.world.base_permissions(guild, member.user.id)
            mod = perms == ALL_PERMISSIONS or perms & Perm.MANAGE_GUILD
            people.append(member.user.username + (" (moderator)" if mod else ""))
        channels = ", ".join(
            "#" + c.name for c in guild.live_channels() if c.type != ChannelType.GUILD_CATEGORY
        ) + "".join(f", #{t.name}" for t in guild.live_threads())
        lines += [
            "  `help /ask` shows one command's options in detail.",
            bold("Acting on what the bot shows:"),
            "  click N              press button N of the last message with buttons (`click N on M`: of message M)",
            "  select MENU N...     pick option N (more if the menu allows) in menu MENU (`... on M` too)",
            "  autocomplete /topic name: so   what the bot suggests while you type an option",
            "  fill Label: value    answer a form the bot opened (in a terminal you are asked field by field)",
            bold("Moving around:"),
            f"  as USER              act as {', '.join(people)}",
            f"  in #CHANNEL          go to {channels}; `in dm` for a direct message with the bot",
            "  wait SECONDS         wait, showing what the bot posts by itself meanwhile",
            "  quit                 stop the bot and leave (Ctrl-D and Ctrl-C too)",
        ]
        self._print_wrapped(lines)

    def _print_wrapped(self, lines: list[str]) -> None:
        out: list[str] = []
        for line in lines:
            indent = " " * (len(line) - len(line.lstrip()))
            out += textwrap.wrap(
                line,
                self.style.width,
                subsequent_indent=indent + "    ",
                break_long_words=False,
                break_on_hyphens=False,
            ) or [""]
        self.out("\n".join(self.style.finish(line) for line in out))

    # ----- answers ---------------------------------------------------------------------------------------------

    async def answer(self, ix: Interaction) -> None:
        """Print how the bot answered `ix` (and any followups it sent right after)."""
        reply = await ix.response(REPLY_TIMEOUT)
        if reply.kind == "modal" and reply.modal is not None:
            self.out(self.renderer.modal(reply.modal))
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
                self.note(f"(answer with: fill {labels}{kept})")
            return
        printed = False
        if reply.kind == "update" and reply.message is not None:
            printed = self.show(reply.message)
        for message in ix.messages:
            printed = self.show(message) or printed
        await self._settle()
        for message in ix.messages:
            printed = self.show(message) or printed
        if not printed:
            self.note("(the bot acknowledged without showing anything new)")

    def show(self, message: Message) -> bool:
        """Print `message` unless this version of it was printed already; number it on first sight (a message
        seen before is printed again as "(updated)")."""
        version = (message.id, message.edits)
        if version in self._printed or message.loading:
            return False
        self._printed.add(version)
        owner = message.interaction_user
        if message.ephemeral and owner is not None and owner.id != self.user.id:
            self.note(f"(the bot sent {owner.username} a message only they can see; `as {owner.username}` to act)")
            return True
        number = self._numbers.get(message.id)
        updated = number is not None
        if number is None:
            number = len(self._numbers) + 1
            self._numbers[message.id] = number
            self._by_number[number] = message
        self.out(self.renderer.render(message, number, self.user, updated=updated))
        if message.buttons:
            self._last_buttons = message
            self._hint("buttons", "(press a button with: click N)")
        if message.selects:
            self._last_menus = message
            self._hint("menus", "(pick from a menu with: select MENU OPTION, e.g. select 1 2)")
        return True

    def _hint(self, key: str, text: str) -> None:
        if key not in self._hints:
            self._hints.add(key)
            self.note(text)

    def _flush(self) -> None:
        """Print what the bot posted, edited or deleted by itself since the last look (scheduled posts...)."""
        while self._events:
            event = self._events.popleft()
            message = event.message
            if not message.author.bot:
                continue
            if event.kind == "MESSAGE_DELETE":
                number = self._numbers.get(message.id)
                if number is not None and (message.id, -1) not in self._printed:
                    self._printed.add((message.id, -1))
                    self.note(f"(the bot deleted message {number})")
                continue
            self.show(message)

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


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= FILLED_SHOWN else flat[: FILLED_SHOWN - 1] + "…"


def _pick_option(options: list[Any], pick: str, menu: int) -> str:
    """A select option by its number in the list (or its label or value, typed out)."""
    text = pick.strip()
    if text.isdigit():
        index = int(text)
        if not 1 <= index <= len(options):
            raise ConsoleError(f"menu {menu} has options 1-{len(options)}")
        return str(options[index - 1].get("value"))
    for option in options:
        if text.casefold() in (str(option.get("label")).casefold(), str(option.get("value")).casefold()):
            return str(option.get("value"))
    raise ConsoleError(f"menu {menu} has no option {text!r}; pick by number, 1-{len(options)}")
