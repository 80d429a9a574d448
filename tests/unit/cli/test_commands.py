from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from bot.__main__ import build_parser, quiet_voice_warnings
from bot.db.connection import apply_migrations, discover_migrations, open_database, schema_version
from bot.knowledge.repository import KnowledgeFeedbackRepository
from tests.conftest import DATA_DIR, REPO_ROOT


def imgbot(
    *args: str, stdin: str | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "LOG_LEVEL": "WARNING", "DATA_DIR": str(DATA_DIR), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )


def test_ask_json_contract() -> None:
    done = imgbot("ask", "--json", "is", "step", "1", "pass/fail?")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"question", "answered", "results"}
    assert record["question"] == "is step 1 pass/fail?" and record["answered"] is True
    assert 1 <= len(record["results"]) <= 3
    assert record["results"][0]["id"] == "step-1"
    for result in record["results"]:
        assert set(result) == {"id", "title", "score", "text"}
        assert isinstance(result["score"], float)
        assert (
            (DATA_DIR / "knowledge" / f"{result['id']}.md")
            .read_text(encoding="utf-8")
            .rstrip()
            .endswith(result["text"].rstrip())
        )
    scores = [r["score"] for r in record["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_reads_questions_from_stdin() -> None:
    done = imgbot("ask", "--json", "-", stdin="what is soap\n\nbest pizza in new york\n")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["question"] for r in records] == ["what is soap", "best pizza in new york"]
    assert records[0]["answered"] and records[0]["results"][0]["id"] == "soap"
    assert records[1] == {"question": "best pizza in new york", "answered": False, "results": []}


def test_ask_for_people_prints_sources() -> None:
    done = imgbot("ask", "when", "does", "ERAS", "open")
    assert done.returncode == 0, done.stderr
    assert "Sources:" in done.stdout and "https://" in done.stdout


def test_kb_validate_clean_and_broken(tmp_path: Path) -> None:
    ok = imgbot("kb", "validate")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK:")

    broken = tmp_path / "data"
    (broken / "knowledge").mkdir(parents=True)
    (broken / "knowledge" / "soap.md").write_text("---\nid: soap\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    bad = imgbot("kb", "validate", env_extra={"DATA_DIR": str(broken)})
    assert bad.returncode == 1
    assert "soap.md:4: invalid YAML" in bad.stderr


def test_kb_stale_lists_old_entries() -> None:
    done = imgbot("kb", "stale", "--days", "0")
    assert done.returncode == 0
    assert "whose cycle has ended or not reviewed in the last 0 days" in done.stdout
    # Every entry was reviewed before today, so each is listed, with the reason.
    assert "not reviewed recently" in done.stdout


def test_kb_stale_refuses_negative_days() -> None:
    done = imgbot("kb", "stale", "--days", "-5")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "imgbot kb stale: argument --days: '-5' is not a whole number of days from 0 to 36500 "
        "(see imgbot kb stale --help)"
    ]


def test_kb_report_refuses_a_limit_below_one_before_touching_any_database(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    done = imgbot("kb", "report", "--limit", "-1", env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "imgbot kb report: argument --limit: '-1' is not a whole number of lines from 1 to 1000 "
        "(see imgbot kb report --help)"
    ]
    assert not database.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["kb", "stale", "--days", "-5"], "argument --days: '-5' is not a whole number of days from 0 to 36500"),
        (["kb", "stale", "--days", "1e3"], "argument --days: '1e3' is not a whole number of days"),
        (["kb", "stale", "--days", "99999999999"], "'99999999999' is not a whole number of days from 0 to 36500"),
        (["kb", "report", "--limit", "-1"], "argument --limit: '-1' is not a whole number of lines from 1 to 1000"),
        (["kb", "report", "--limit", "0"], "'0' is not a whole number of lines from 1 to 1000"),
        (["kb", "report", "--server", "-3"], "argument --server: '-3' is not a Discord id"),
        (["status", "--errors", "-2"], "argument --errors: '-2' is not a whole number of errors from 0 to 1000"),
        (["sync", "--guild", "12"], "argument --guild: '12' is not a Discord id"),
        (["invite", "--client-id", "abc"], "argument --client-id: 'abc' is not a Discord id"),
    ],
)
def test_every_number_on_the_command_line_is_checked_in_one_line(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(args)
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert said in line and line.startswith("imgbot ") and line.endswith("--help)")


def test_numbers_within_their_bounds_are_taken() -> None:
    assert build_parser().parse_args(["kb", "stale", "--days", "0"]).days == 0
    assert build_parser().parse_args(["kb", "stale", "--days", " 36500"]).days == 36_500
    assert build_parser().parse_args(["kb", "report", "--limit", "1000"]).limit == 1_000
    assert build_parser().parse_args(["status", "--errors", "0"]).errors == 0
    assert build_parser().parse_args(["sync", "--guild", "123456789012345678"]).guild == 123456789012345678
    assert build_parser().parse_args(["kb", "report", "--local"]).local_database is True
    assert build_parser().parse_args(["run", "--local"]).local is True


# -- only what was asked for -----------------------------------------------------------------------------------


def test_kb_validate_and_ask_print_only_their_output_at_the_default_log_level() -> None:
    # LOG_LEVEL=INFO (the default): the content loaders' INFO lines are the log's, not the command's.
    validate = imgbot("kb", "validate", env_extra={"LOG_LEVEL": "INFO"})
    assert validate.returncode == 0 and validate.stderr == ""
    assert len(validate.stdout.splitlines()) == 1 and validate.stdout.startswith("OK: ")
    ask = imgbot("ask", "--json", "what is ERAS", env_extra={"LOG_LEVEL": "INFO"})
    assert ask.returncode == 0 and ask.stderr == ""
    assert json.loads(ask.stdout)["question"] == "what is ERAS"


def test_verbose_shows_the_log_too() -> None:
    done = imgbot("--verbose", "kb", "validate", env_extra={"LOG_LEVEL": "INFO"})
    assert done.returncode == 0 and done.stdout.startswith("OK: ")
    assert "INFO    bot.knowledge.loader: loaded" in done.stderr


def test_a_pipe_closed_by_its_reader_ends_the_command_quietly() -> None:
    # `imgbot ask - | head -1`: the reader has what it wanted; no "Broken pipe" line, no traceback.
    program = f'{sys.executable} -m bot ask - | head -c 1 >/dev/null; echo "exit ${{PIPESTATUS[0]}}" >&2'
    questions = "what is ERAS\n" * 200
    done = subprocess.run(
        ["bash", "-c", program],
        input=questions,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(DATA_DIR)},
        timeout=120,
    )
    assert done.stderr.splitlines() == ["exit 1"], done.stderr


def test_the_voice_warnings_switches_are_still_there() -> None:
    # The bot never uses voice; discord.py's warnings that its voice libraries are missing are switched off with
    # these class attributes (bot/__main__.py quiet_voice_warnings). A discord.py that renamed them fails here.
    from discord.voice_client import VoiceClient

    assert isinstance(VoiceClient.warn_nacl, bool) and isinstance(VoiceClient.warn_dave, bool)
    before = (VoiceClient.warn_nacl, VoiceClient.warn_dave)
    try:
        quiet_voice_warnings()
        assert (VoiceClient.warn_nacl, VoiceClient.warn_dave) == (False, False)
    finally:
        VoiceClient.warn_nacl, VoiceClient.warn_dave = before


# -- which database ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["kb", "report"], ["status"], ["status", "--json"], ["db", "check"], ["privacy", "export", "402117894126911488"]],
)
def test_commands_that_read_the_database_never_create_it(tmp_path: Path, args: list[str]) -> None:
    database = tmp_path / "var" / "imgbot.sqlite3"
    done = imgbot(*args, env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"There is no database at {database}: the bot has never run with it."]
    assert not database.parent.exists()


async def test_each_database_command_says_which_database_it_reads(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    conn = await open_database(database)
    await conn.close()
    said = f"imgbot reads the database {database}."
    report = imgbot("kb", "report", env_extra={"DATABASE_PATH": str(database)})
    assert report.returncode == 0 and report.stderr.splitlines() == [said]
    assert report.stdout.startswith("Votes per entry")
    status = imgbot("status", "--json", env_extra={"DATABASE_PATH": str(database)})
    assert status.returncode == 3 and status.stderr.splitlines() == [said]
    assert json.loads(status.stdout)["running"] is False  # stdout stays one JSON object
    check = imgbot("db", "check", env_extra={"DATABASE_PATH": str(database)})
    assert check.returncode == 0 and check.stderr.splitlines() == [f"imgbot checks the database {database}."]


async def test_local_selects_local_modes_database_beside_the_configured_one(tmp_path: Path) -> None:
    configured, local = tmp_path / "imgbot.sqlite3", tmp_path / "local.sqlite3"
    conn = await open_database(local)
    try:
        await KnowledgeFeedbackRepository(conn).record_unanswered("where do i park", None, dt.datetime.now(dt.UTC))
    finally:
        await conn.close()
    missing = imgbot("kb", "report", env_extra={"DATABASE_PATH": str(configured)})
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        f"There is no database at {configured}; local mode's data is in {local}: add --local to read it."
    ]
    done = imgbot("kb", "report", "--local", env_extra={"DATABASE_PATH": str(configured)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"imgbot reads the database {local} (local mode's)."]
    assert "where do i park" in done.stdout
    assert not configured.exists()


async def test_a_read_only_command_never_upgrades_an_older_database(tmp_path: Path) -> None:
    # The report needs schema 21 (unanswered questions per server, not-helpful reasons, answers with server entries);
    # an older database is left as it is.
    database = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(database) as conn:
        await apply_migrations(conn, discover_migrations()[:17])
    done = imgbot("kb", "report", env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        f"The database at {database} is at schema version 17; the knowledge report needs version 21 or later. "
        "Start the bot (it upgrades the database) and try again."
    )
    async with aiosqlite.connect(database) as conn:
        assert await schema_version(conn) == 17


def test_run_refuses_shards_it_cannot_use_with_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    backwards = imgbot("run", "--shards", "3-1", "--shard-count", "4", env_extra=env)
    assert backwards.returncode == 2 and backwards.stderr == "imgbot run: shard range 3-1 runs backwards\n"
    no_count = imgbot("run", "--shards", "0-1", env_extra=env)
    assert no_count.returncode == 2
    assert no_count.stderr == "imgbot run: SHARDS needs SHARD_COUNT (the bot's total number of shards)\n"
    assert not (tmp_path / "bot.sqlite3").exists()  # refused before anything was opened
