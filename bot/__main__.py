"""The `imgbot` command line: run the bot, ask the knowledge base, check the data, register commands, show status."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import signal
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.config import Settings
from bot.content import Content, load_content
from bot.datafiles import DataFileError
from bot.observability import logs
from bot.observability.status import StatusReport, status_json, status_text

log = logging.getLogger("bot")

NO_TOKEN_HELP = """\
No DISCORD_TOKEN is set, so the bot cannot connect to Discord. To run it on a real server, create an application
at https://discord.com/developers/applications, add a bot, copy its token and put it in a file named `.env` in the
repository root as `DISCORD_TOKEN=your-token` (see `.env.example` for every setting); then invite the bot with the
`bot` and `applications.commands` scopes and run `make run` again. To try the bot without Discord, run
`imgbot run --local`."""


def configure_logging(settings: Settings) -> None:
    # The token is replaced wherever it could appear in a record (a library's debug output, an exception text).
    token = [settings.discord_token.get_secret_value()] if settings.discord_token is not None else []
    logs.configure_logging(settings.log_level_number, settings.log_format, token)


def _load_or_exit(settings: Settings) -> Content:
    try:
        return load_content(settings.data_dir)
    except DataFileError as exc:
        print(
            f"The data in {settings.data_dir} has problems; the bot cannot start until they are fixed:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from exc


# -- run / sync ---------------------------------------------------------------------------------------------------


async def _run_bot(settings: Settings, content: Content) -> None:
    from bot.app import ImgBot
    from bot.discord_endpoints import use_endpoints

    assert settings.discord_token is not None
    use_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    bot = ImgBot(settings, content)
    # SIGTERM (a service manager, a test harness) and Ctrl-C both close the bot properly: the database and the
    # scheduler are released in close(), so nothing half-written is left behind.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()), name="bot")
        stopper = asyncio.create_task(stop.wait(), name="stop-signal")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stopper.cancel()
            runner.result()  # re-raise a fatal error (bad token, crash) with its traceback
            return
        log.info("stop requested; closing")
        await bot.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def _sync(settings: Settings, content: Content, guild_id: int | None) -> None:
    from bot.app import ImgBot
    from bot.discord_endpoints import use_endpoints

    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    use_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    if guild_id is not None:
        settings = settings.model_copy(update={"dev_guild_id": guild_id})
    bot = ImgBot(settings, content, force_sync=True)
    async with bot:
        # login() runs setup_hook, which registers the commands; no gateway connection is needed.
        await bot.login(token)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    local = bool(args.local or args.script or settings.discord_token is None)
    if local and settings.log_level != "DEBUG":
        # The terminal belongs to the person trying the bot; the bot's own log goes to var/local-bot.log.
        logging.getLogger().setLevel(logging.WARNING)
    content = _load_or_exit(settings)
    if local:
        try:
            from bot.sandbox.local import run_local  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            print(textwrap.fill(" ".join(NO_TOKEN_HELP.split()), 110), file=sys.stderr)
            return 2
        return int(run_local(settings, script=args.script))
    try:
        asyncio.run(_run_bot(settings, content))
    except KeyboardInterrupt:
        log.info("stopped by keyboard interrupt")
    return 0


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        print("imgbot sync needs DISCORD_TOKEN (in the environment or .env).", file=sys.stderr)
        return 2
    content = _load_or_exit(settings)
    asyncio.run(_sync(settings, content, args.guild))
    return 0


# -- ask ----------------------------------------------------------------------------------------------------------


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.question == ["-"]:
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
    else:
        yield " ".join(args.question)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    service = _load_or_exit(settings).knowledge
    for question in _questions(args):
        result = service.search(question, limit=3)
        if args.json:
            record = {
                "question": question,
                "answered": result.answered,
                "results": [
                    {"id": h.entry.id, "title": h.entry.title, "score": h.score, "text": h.entry.body}
                    for h in result.hits
                ]
                if result.answered
                else [],
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
            continue
        print(f"Q: {question}")
        if not result.answered:
            print("   No curated answer yet.")
            if result.hits:
                print("   Nearest topics: " + "; ".join(h.entry.title for h in result.hits))
            print()
            continue
        best = result.hits[0].entry
        print(f"   {best.title}  [{best.id}]  (confidence {result.confidence:.2f})\n")
        print(textwrap.indent(best.body, "   "))
        print("\n   Sources: " + "; ".join(f"{s.title} <{s.url}>" for s in best.sources))
        print(f"   Reviewed {best.reviewed.isoformat()}" + (f" · {best.cycle}" if best.cycle else ""))
        if len(result.hits) > 1:
            print("   See also: " + "; ".join(h.entry.title for h in result.hits[1:]))
        print()
    return 0


# -- kb -----------------------------------------------------------------------------------------------------------


def cmd_kb_validate(args: argparse.Namespace, settings: Settings) -> int:
    try:
        content = load_content(settings.data_dir)
    except DataFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(
        f"OK: {len(content.knowledge.knowledge)} knowledge entries, "
        f"{len(content.knowledge.pathway_steps)} pathway steps, "
        f"{content.quiz_bank.count(None)} quiz questions, {len(content.specialties.specialties)} specialties, "
        f"cycle files for Match {', '.join(map(str, content.calendar.years_with_data)) or 'none'} "
        f"(loaded in {content.load_seconds * 1000:.0f} ms)."
    )
    return 0


def cmd_kb_stale(args: argparse.Namespace, settings: Settings) -> int:
    if args.days is not None and args.days < 0:
        print("--days must be 0 or more (the number of days since an entry was reviewed).", file=sys.stderr)
        return 2
    service = _load_or_exit(settings).knowledge
    today = dt.datetime.now(dt.UTC).date()
    stale = service.stale(today, args.days)
    for entry in stale:
        why = f"written for {entry.cycle}, which has ended" if entry.cycle_over(today) else "not reviewed recently"
        print(f"{entry.reviewed.isoformat()}  {entry.id}  ({entry.title}): {why}")
    rule = "whose cycle has ended" + (f" or not reviewed in the last {args.days} days" if args.days is not None else "")
    print(f"{len(stale)} entr{'y' if len(stale) == 1 else 'ies'} {rule}.")
    return 0


async def _report(settings: Settings, content: Content, limit: int) -> None:
    from bot.db.connection import open_database
    from bot.knowledge.repository import KnowledgeFeedbackRepository

    conn = await open_database(settings.database_path)
    try:
        service = content.knowledge.with_feedback(KnowledgeFeedbackRepository(conn))
        tallies, unanswered = await service.report(limit)
    finally:
        await conn.close()
    print("Votes per entry (helpful / not helpful):")
    if not tallies:
        print("  no votes yet")
    for tally in tallies:
        print(f"  {tally.helpful:5d} / {tally.not_helpful:<5d} {tally.entry_id}")
    print("\nMost frequent questions without a curated answer:")
    if not unanswered:
        print("  none recorded")
    for item in unanswered:
        print(f"  {item.times:5d}x  {item.question}")


def cmd_kb_report(args: argparse.Namespace, settings: Settings) -> int:
    content = _load_or_exit(settings)
    asyncio.run(_report(settings, content, args.limit))
    return 0


# -- db -----------------------------------------------------------------------------------------------------------


def cmd_db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import BackupError, backup_database

    directory = args.dir or settings.backup_dir
    try:
        info = backup_database(settings.database_path, directory, dt.datetime.now(dt.UTC))
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"Backed up {settings.database_path} to {info.path} ({info.size_bytes:,} bytes, schema {info.schema_version})."
    )
    return 0


def cmd_db_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import BackupError, restore_database

    try:
        kept = restore_database(args.file, settings.database_path, dt.datetime.now(dt.UTC))
    except BackupError as exc:
        print(f"Restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"Restored {settings.database_path} from {args.file}.")
    if kept is not None:
        print(f"The database it replaced is kept as {kept}.")
    print("Start the bot again; any newer migrations are applied on start.")
    return 0


def cmd_db_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import check_integrity

    if not settings.database_path.exists():
        print(f"There is no database at {settings.database_path} yet; it is created on the first start.")
        return 0
    problems = check_integrity(settings.database_path)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("OK: the database passed its integrity check." if not problems else f"{len(problems)} problem(s) found.")
    return 0 if not problems else 1


# -- status -------------------------------------------------------------------------------------------------------


STATUS_SCHEMA = 8
"""The schema version whose migration (0008_status.sql) made the heartbeat and error tables."""


class StatusUnavailable(Exception):
    """The database cannot say: its schema predates the status tables."""


async def _status_report(settings: Settings, errors: int) -> StatusReport:
    import aiosqlite

    from bot.db.connection import schema_version
    from bot.observability.repository import StatusRepository
    from bot.observability.service import stored_report, utc_now

    # Read-only, and never migrated: the database may be the live bot's, and upgrading its schema is the bot's job
    # (a migration run from here could race the bot's own, or change a database an older bot is still using).
    uri = f"{settings.database_path.resolve().as_uri()}?mode=ro"
    conn = await aiosqlite.connect(uri, uri=True)
    try:
        await conn.execute("PRAGMA busy_timeout = 5000")
        version = await schema_version(conn)
        if version < STATUS_SCHEMA:
            raise StatusUnavailable(
                f"The database at {settings.database_path} is at schema version {version}; the status needs "
                f"version {STATUS_SCHEMA} or later. Start the bot (it upgrades the database) and try again."
            )
        return await stored_report(StatusRepository(conn), utc_now(), errors)
    finally:
        await conn.close()


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.database_path.exists():
        print(f"There is no database at {settings.database_path}: the bot has never run with it.", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_status_report(settings, args.errors))
    except StatusUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(status_json(report), ensure_ascii=False))
    else:
        print(status_text(report))
    # Exit status 0 only when the bot is running, so a monitor (cron, a health check) can use it as it is.
    return 0 if report.running else 3


# -- entry point --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgbot", description="IMG Pathway Bot")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the bot (local mode against the emulator when no token is set)")
    run.add_argument("--local", action="store_true", help="run against the built-in Discord emulator")
    run.add_argument("--script", type=Path, help="local mode: run the commands in FILE and print the transcript")
    run.set_defaults(func=cmd_run)

    ask = sub.add_parser("ask", help="answer questions from the knowledge base")
    ask.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    ask.add_argument("question", nargs="+", help="the question; '-' alone reads one question per line from stdin")
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge-base maintenance").add_subparsers(dest="kb_command", required=True)
    validate = kb.add_parser("validate", help="load every data file and report problems")
    validate.set_defaults(func=cmd_kb_validate)
    stale = kb.add_parser("stale", help="entries written for a cycle that has ended (or not reviewed in N days)")
    stale.add_argument("--days", type=int, help="also list entries whose reviewed date is older than this")
    stale.set_defaults(func=cmd_kb_stale)
    report = kb.add_parser("report", help="votes per entry and the most frequent unanswered questions")
    report.add_argument("--limit", type=int, default=20)
    report.set_defaults(func=cmd_kb_report)

    db = sub.add_parser("db", help="database backups and checks").add_subparsers(dest="db_command", required=True)
    backup = db.add_parser("backup", help="write an online backup of the database (safe while the bot runs)")
    backup.add_argument("--dir", type=Path, help="where to write it (default: BACKUP_DIR)")
    backup.set_defaults(func=cmd_db_backup)
    restore = db.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    restore.add_argument("file", type=Path)
    restore.set_defaults(func=cmd_db_restore)
    check = db.add_parser("check", help="run SQLite's integrity check on the database")
    check.set_defaults(func=cmd_db_check)

    status = sub.add_parser("status", help="is the bot running? uptime, latency, servers, jobs, deliveries, errors")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument("--errors", type=int, default=10, help="how many recent errors to show (default 10)")
    status.set_defaults(func=cmd_status)

    sync = sub.add_parser("sync", help="register the slash commands with Discord now")
    sync.add_argument("--guild", type=int, help="register to this server only (instant, for testing)")
    sync.set_defaults(func=cmd_sync)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    return int(args.func(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
