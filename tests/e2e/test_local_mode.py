"""Local mode: `imgbot run --local` drives the real bot through the emulator and prints a readable transcript.

The end-to-end tests run the CLI as a newcomer would (no DISCORD_TOKEN, a fresh database directory); the first few
tests check the line parser and the text rendering directly, without a bot.
"""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import Content
from discord_emulator.commands import RegisteredCommand
from discord_emulator.local.console import (
    ClickLine,
    ConsoleError,
    SelectLine,
    convert_value,
    parse_line,
    parse_slash,
    split_named_values,
)
from discord_emulator.local.display import TextRenderer
from discord_emulator.world import World
from tests.conftest import DATA_DIR, REPO_ROOT

EPHEMERAL = "[ephemeral — only you see this]"


# ----- the line language, without a bot ------------------------------------------------------------------------


def _command(name: str, options: list[dict[str, object]]) -> RegisteredCommand:
    return RegisteredCommand(id=1, application_id=2, guild_id=None, name=name, type=1, description="", options=options)


ASK = _command(
    "ask",
    [
        {"type": 3, "name": "question", "description": "q", "required": True},
        {"type": 5, "name": "private", "description": "p"},
    ],
)
QUIZ = _command(
    "quiz",
    [
        {
            "type": 1,
            "name": "start",
            "description": "s",
            "options": [{"type": 4, "name": "questions", "description": "n"}],
        }
    ],
)


def test_values_run_to_the_next_option_name_and_may_hold_colons() -> None:
    parsed = split_named_values("question: is Step 2: CK hard? PRIVATE: yes", ["question", "private"])
    assert parsed.values == {"question": "is Step 2: CK hard?", "private": "yes"}
    assert parsed.leading == "" and not parsed.notes


def test_slash_lines_are_checked_against_the_registered_definition() -> None:
    call = parse_slash("ask when is SOAP private: yes", [ASK, QUIZ])
    assert call.raw == {"question": "when is SOAP", "private": "yes"}  # the only required option may go unnamed
    assert parse_slash("quiz start questions: 5", [ASK, QUIZ]).path == ["start"]
    with pytest.raises(ConsoleError, match=r"no option 'questoin'.*question: <text>"):
        parse_slash("ask questoin: when is SOAP", [ASK])
    with pytest.raises(ConsoleError, match="is missing question:"):
        parse_slash("ask private: yes", [ASK])
    with pytest.raises(ConsoleError, match="needs one of: /quiz start"):
        parse_slash("quiz", [QUIZ])
    with pytest.raises(ConsoleError, match=r"Did you mean /ask\?"):
        parse_slash("aks question: x", [ASK])
    noted = parse_slash("ask question: what is ERAS privte: yes", [ASK])
    assert noted.raw["question"] == "what is ERAS privte: yes" and "private:" in noted.notes[0]


def test_action_lines() -> None:
    assert parse_line("click 2 on 5") == ClickLine(2, 5)
    assert parse_line("select 1 3 4") == SelectLine(1, ("3", "4"))
    assert parse_line("select 5") == SelectLine(None, ("5",))
    with pytest.raises(ConsoleError, match="Did you mean `click`"):
        parse_line("clik 1")


def test_typed_values_resolve_against_the_world() -> None:
    world = World.default()
    hall = world.guild("IMG Study Hall")
    assert convert_value({"type": 5, "name": "p"}, "No", world, hall, REPO_ROOT) is False
    assert convert_value({"type": 6, "name": "u"}, "@bob", world, hall, REPO_ROOT) is world.users["bob"]
    assert convert_value({"type": 7, "name": "c"}, "#study-room", world, hall, REPO_ROOT).name == "study-room"
    assert convert_value({"type": 8, "name": "r"}, "@match 2027", world, hall, REPO_ROOT).name == "Match 2027"
    assert (
        convert_value(
            {"type": 4, "name": "n", "choices": [{"name": "Five", "value": 5}]}, "five", world, hall, REPO_ROOT
        )
        == 5
    )
    with pytest.raises(ConsoleError, match="try one of: dr_admin, alice, bob, carol"):
        convert_value({"type": 6, "name": "u"}, "night_admin", world, hall, REPO_ROOT)


def test_discord_text_becomes_readable_terminal_text() -> None:
    world = World.default()
    text = TextRenderer(world, now=lambda: datetime(2027, 3, 1, tzinfo=UTC))
    alice, role = world.users["alice"], world.role("Match 2027")
    assert text.plain(f"Hi <@{alice.id}> and <@&{role.id}>") == "Hi @Alice and @Match 2027"
    assert text.plain("see [NRMP](https://www.nrmp.org/) \\*now\\*") == "see NRMP <https://www.nrmp.org/> *now*"
    wiki = "https://en.wikipedia.org/wiki/Match_Day_(medicine)"
    assert text.plain(f"(see [Match Day]({wiki}))") == f"(see Match Day <{wiki}>)"
    assert text.plain("<t:1804100400:R>") == "in 3 days"
    assert text.plain("<t:1804100400:F>").endswith("(your time)")
    # A mention the bot neutralised stays literal, as Discord shows it.
    assert text.plain(f"<\u200b@{alice.id}>") == f"<@{alice.id}>"


# ----- the real bot, through the CLI ---------------------------------------------------------------------------


def _environment(tmp_path: Path) -> dict[str, str]:
    # Only what a newcomer's shell would have: no DISCORD_TOKEN, the repository's data, a database of its own.
    return {
        "PATH": os.environ.get("PATH", ""),
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(tmp_path / "var" / "imgbot.sqlite3"),
        "PYTHONIOENCODING": "utf-8",
    }


def _sections(transcript: str) -> dict[str, str]:
    """The transcript cut at each echoed `> line`: {line: what followed it}."""
    out: dict[str, str] = {}
    for chunk in ("\n" + transcript).split("\n> ")[1:]:
        line, _, rest = chunk.partition("\n")
        out.setdefault(line, rest)
    return out


SCRIPT = """\
help
/ask question: when is SOAP
click 1
/topic name: step-2-ck
autocomplete /topic name: so
/pathway
select 1 3
click 2
/ask question: best pizza in new york
as bob
/knowledge report
quit
"""


def test_a_script_tries_the_commands_and_prints_a_readable_transcript(tmp_path: Path, content: Content) -> None:
    script = tmp_path / "try.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--local", "--script", str(script)],
        cwd=REPO_ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=90,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    assert 'You are alice in #general of "IMG Study Hall"' in out
    part = _sections(out)
    assert list(part) == [line for line in SCRIPT.splitlines()]

    assert "/ask question: <text> [private: <yes/no>]" in part["help"]
    assert "/knowledge report   (Discord hides it from alice: needs Manage Server)" in part["help"]

    soap = content.knowledge.answer("when is SOAP").entry
    assert soap is not None
    answer = part["/ask question: when is SOAP"]
    assert f"┃ {soap.title}\n┃ ───" in answer  # the title, underlined
    assert f"<{soap.sources[0].url}>" in answer  # links as text <url>
    assert "[1] 👍 Helpful  [2] 👎 Not helpful" in answer and EPHEMERAL not in answer

    assert EPHEMERAL in part["click 1"] and "(1 👍 · 0 👎 so far)" in part["click 1"]
    step2 = content.knowledge.knowledge.get("step-2-ck")
    assert step2 is not None and f"┃ {step2.title}\n" in part["/topic name: step-2-ck"]
    assert "(name: soap)" in part["autocomplete /topic name: so"]

    assert "The road to a US residency" in part["/pathway"] and "menu 1: " in part["/pathway"]
    third = content.knowledge.pathway_stages[2]
    assert EPHEMERAL in part["select 1 3"] and f"┃ 3. {third.label}\n" in part["select 1 3"]
    sixth = content.knowledge.pathway_steps[5]
    assert sixth is third.steps[1] and f"[2] 3.2 {sixth.label}" in part["select 1 3"]
    assert EPHEMERAL in part["click 2"] and f"┃ {sixth.entry.title}\n" in part["click 2"]

    pizza = part["/ask question: best pizza in new york"]
    assert EPHEMERAL in pizza and "No curated answer yet" in pizza

    assert "You are now bob in #general" in part["as bob"]
    refused = part["/knowledge report"]
    assert "Discord hides /knowledge from bob" in refused
    assert EPHEMERAL in refused and "Manage Server" in refused and "Knowledge base report" not in refused

    var = tmp_path / "var"
    assert (var / "local.sqlite3").is_file() and (var / "local-bot.log").is_file()
    assert not (var / "imgbot.sqlite3").exists(), "local mode must never use the configured database"

    # A second run on the same directory, with lines piped into stdin and no --local: without a token, `imgbot run`
    # is local mode. The commands are registered again (the emulator starts empty) and the data is still there.
    again = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=REPO_ROOT,
        env=_environment(tmp_path),
        input="/ask questoin: when is SOAP\nas dr_admin\n/knowledge report\n/status\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=90,
    )
    assert again.returncode == 1, "a line that could not run makes the exit status 1\n" + again.stdout[-3000:]
    part = _sections(again.stdout)
    assert "✗ /ask has no option 'questoin'. Usage: /ask question: <text>" in part["/ask questoin: when is SOAP"]
    report = part["/knowledge report"]
    assert "Knowledge base report" in report and "best pizza in new york" in report
    # The server's owner plays the bot's owner (OWNER_IDS): the owner-only /status can be tried.
    assert "the bot's owner (OWNER_IDS)" in part["as dr_admin"]
    status = part["/status"]
    assert EPHEMERAL in status and "Bot status" in status and "Only the bot's owners" not in status
    assert "The bot has stopped." in again.stdout

    # The command line reads the configured database, which local mode never made: it says so and where local
    # mode's is, and creates nothing. With --local it reads local mode's, and says which it reads.
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "report"],
        cwd=REPO_ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.splitlines() == [
        f"There is no database at {var / 'imgbot.sqlite3'}; local mode's data is in {var / 'local.sqlite3'}: "
        "add --local to read it."
    ]
    assert not (var / "imgbot.sqlite3").exists()
    local = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "report", "--local"],
        cwd=REPO_ROOT,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert local.returncode == 0, local.stderr
    assert local.stderr.splitlines() == [f"imgbot reads the database {var / 'local.sqlite3'} (local mode's)."]
    assert "best pizza in new york" in local.stdout
    assert not (var / "imgbot.sqlite3").exists()


# A person at a terminal: forms are asked field by field. The second check-in of the day is pre-filled, and the
# prompts show it: Enter keeps a filled-in value (as Discord sends what is in the field), `-` empties one.
TERMINAL_LINES = [
    "as dr_admin",
    "/studygroup-admin create name: Evening crew channel: #study-room",
    "as alice",
    "in #study-room",
    "/checkin",
    "UWorld cardio block",
    "40",
    "72",
    "1,5",
    "",
    "/checkin",
    "",
    "60",
    "-",
    "",
    "",
    "quit",
]
TERMINAL_DEADLINE = 120.0
"""Seconds for the whole session: the bot starts (a few seconds) and answers a handful of commands."""


def _run_in_a_terminal(tmp_path: Path, lines: list[str]) -> str:
    """Local mode under a pseudo-terminal (so it asks forms field by field), typing ``lines`` ahead; its output."""
    controller, terminal = pty.openpty()
    env = _environment(tmp_path) | {"NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--local"],
        cwd=REPO_ROOT,
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    # The terminal keeps typed-ahead lines until the session reads them, one per prompt, in order.
    os.write(controller, "".join(line + "\n" for line in lines).encode())
    chunks: list[bytes] = []
    deadline = time.monotonic() + TERMINAL_DEADLINE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the session ended and closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    return b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")


def test_a_second_check_in_shows_what_is_filled_in_and_enter_keeps_it(tmp_path: Path) -> None:
    out = _run_in_a_terminal(tmp_path, TERMINAL_LINES)
    assert "The bot has stopped." in out, out[-3000:]
    first, _, second = out.partition("Check-in recorded")
    assert "Enter leaves an optional one empty" in first
    # The second form shows what the first one saved, in the form and in each field's prompt...
    assert "Check-in updated" in second, second[-3000:]
    assert "filled in: UWorld cardio block" in second
    assert "Enter keeps what is filled in [shown in brackets]" in second
    assert "What did you study today? [UWorld cardio block]: " in second
    assert "Hours studied (optional) [1.5]: " in second and "Percent correct (optional) [72]: " in second
    # ...and what was sent is what the prompts said: Enter kept studied and hours, `-` emptied the percent.
    with sqlite3.connect(tmp_path / "var" / "local.sqlite3") as conn:
        rows = conn.execute("SELECT studied, questions, percent_correct, minutes FROM study_checkins").fetchall()
    assert rows == [("UWorld cardio block", 60, None, 90)]
