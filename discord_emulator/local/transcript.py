"""What local mode prints: its own lines, notes and failures, and the bot's messages, each numbered on first sight so
that ``click 2 on 5`` can name it."""

from __future__ import annotations

import contextlib
import textwrap
from typing import TextIO

from discord_emulator.emulator import MessageEvent
from discord_emulator.local.console import ConsoleError
from discord_emulator.local.display import MessageRenderer, Style, dim
from discord_emulator.models import Message
from discord_emulator.world import User


class Transcript:
    """The terminal (or the script's output), and the bot's messages as they were shown there."""

    def __init__(self, stdout: TextIO, style: Style, renderer: MessageRenderer, *, tty: bool) -> None:
        self.stdout = stdout
        self.style = style
        self.renderer = renderer
        self.tty = tty
        self.failures = 0
        # The prompt the person is typing at, if any: a message printed meanwhile goes above it.
        self.prompt_shown: str | None = None
        self._numbers: dict[int, int] = {}
        self._by_number: dict[int, Message] = {}
        self._printed: set[tuple[int, int]] = set()
        self._last_buttons: Message | None = None
        self._last_menus: Message | None = None
        self._hints: set[str] = set()

    # ----- lines -----------------------------------------------------------------------------------------------

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

    def print_wrapped(self, lines: list[str]) -> None:
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

    # ----- the bot's messages ----------------------------------------------------------------------------------

    def show(self, message: Message, viewer: User) -> bool:
        """Print `message` as `viewer` sees it, unless this version of it was printed already; number it on first
        sight (a message seen before is printed again as "(updated)")."""
        version = (message.id, message.edits)
        if version in self._printed or message.loading:
            return False
        self._printed.add(version)
        owner = message.interaction_user
        if message.ephemeral and owner is not None and owner.id != viewer.id:
            self.note(f"(the bot sent {owner.username} a message only they can see; `as {owner.username}` to act)")
            return True
        number = self._numbers.get(message.id)
        updated = number is not None
        if number is None:
            number = len(self._numbers) + 1
            self._numbers[message.id] = number
            self._by_number[number] = message
        self.out(self.renderer.render(message, number, viewer, updated=updated))
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

    def replay(self, event: MessageEvent, viewer: User) -> None:
        """Print what the bot posted, edited or deleted by itself (a scheduled post...)."""
        message = event.message
        if not message.author.bot:
            return
        if event.kind == "MESSAGE_DELETE":
            number = self._numbers.get(message.id)
            if number is not None and (message.id, -1) not in self._printed:
                self._printed.add((message.id, -1))
                self.note(f"(the bot deleted message {number})")
            return
        self.show(message, viewer)

    def target(self, number: int | None, kind: str, viewer: User) -> tuple[Message, int]:
        """The message ``click``/``select`` acts on: message `number`, or the last one shown with `kind` ("buttons"
        or "menus"); with its number."""
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
        if message.ephemeral and owner is not None and owner.id != viewer.id:
            raise ConsoleError(
                f"message {self._numbers[message.id]} is ephemeral: only {owner.username} sees it "
                f"(switch back with `as {owner.username}`)"
            )
        return message, self._numbers[message.id]
