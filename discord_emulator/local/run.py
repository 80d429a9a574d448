"""``run_local``: local mode from the command line, in the terminal it was started in (or on a script's lines)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from pathlib import Path
from typing import Any

from discord_emulator.local.lines import LineSource, ScriptLines, StdinLines
from discord_emulator.local.session import EXIT_BOT_FAILED, EXIT_OK, LocalBot, LocalSession


def run_local(bot: LocalBot, script: Path | None = None) -> int:
    """Run local mode until `quit`, end of input or Ctrl-C; returns the exit status (see the package docstring)."""
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
    bot.prepare()
    if not bot.debug:
        # The emulator's start-up chatter would land between the person's lines; its warnings still show.
        for name in ("discord_emulator", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
    tty = lines is None and sys.stdin.isatty() and sys.stdout.isatty()
    source: LineSource = ScriptLines(lines) if lines is not None else StdinLines(sys.stdin, tty=tty)
    session = LocalSession(bot, source, sys.stdout, tty=tty)
    saved_tty = _save_terminal() if tty else None
    try:
        return asyncio.run(session.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Interrupted while starting: `run` has already stopped the bot.
        return EXIT_OK
    finally:
        _restore_terminal(saved_tty)


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
