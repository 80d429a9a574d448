"""The conversation of a local-mode session: each line read, what it means done against the emulator, and how the
bot answered printed (its followups with the line that caused them)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

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
from discord_emulator.local.forms import EMPTY_FIELD, fill_values, one_line, pick_option, picked_options
from discord_emulator.local.help import help_lines
from discord_emulator.local.lines import LineSource
from discord_emulator.local.transcript import Transcript
from discord_emulator.local.viewpoint import Viewpoint
from discord_emulator.models import InteractionError

log = logging.getLogger(__name__)

REPLY_TIMEOUT = 15.0
# After an answer, wait until the bot has been quiet this long, so its followups print with the line that caused them.
QUIET_SECONDS = 0.15
SETTLE_LIMIT = 2.0


class Stop(Exception):
    """`quit`, end of input: leave the read loop."""


class Conversation:
    """The person's lines, as `here.user` in `here.channel`, and the bot's answers on `screen`."""

    def __init__(self, emu: Emulator, here: Viewpoint, screen: Transcript, source: LineSource, *, cwd: Path) -> None:
        self.emu = emu
        self.world = emu.world
        self.here = here
        self.screen = screen
        self.source = source
        self.cwd = cwd
        self.tty = screen.tty
        # False while a line is read: what the bot posts by itself meanwhile is printed as it comes.
        self.busy = True
        # What the bot posted, edited or deleted, as the gateway sent it, not printed yet.
        self.events: deque[MessageEvent] = deque()
        self._open_form: Interaction | None = None

    # ----- the read loop ----------------------------------------------------------------------------------------------

    def _prompt(self) -> str:
        if not self.tty:
            return ""
        where = "DM" if self.here.channel.is_dm else f"#{self.here.channel.name}"
        return f"{self.here.user.username} in {where}> "

    async def _read(self, prompt: str) -> str | None:
        self.busy = False
        self.flush()
        self.screen.prompt_shown = prompt if self.tty else None
        try:
            return await self.source.read(prompt)
        finally:
            self.screen.prompt_shown = None
            self.busy = True

    async def read_loop(self) -> None:
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
            except Stop:
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
            await self.settle()
            self.flush()
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
                raise Stop
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
                self.flush()
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
        await self.settle()
        for message in ix.messages:
            printed = self.screen.show(message, self.here.user) or printed
        if not printed:
            self.screen.note("(the bot acknowledged without showing anything new)")

    def flush(self) -> None:
        """Print what the bot posted, edited or deleted by itself since the last look (scheduled posts...)."""
        while self.events:
            self.screen.replay(self.events.popleft(), self.here.user)

    def _activity(self) -> tuple[int, int]:
        last = self.emu.requests[-1].seq if self.emu.requests else 0
        return last, len(self.events)

    async def settle(self) -> None:
        deadline = time.monotonic() + SETTLE_LIMIT
        seen = self._activity()
        while time.monotonic() < deadline:
            await asyncio.sleep(QUIET_SECONDS)
            now = self._activity()
            if now == seen:
                return
            seen = now
