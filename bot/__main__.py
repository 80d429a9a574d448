"""The `imgbot` command line: run the bot, ask the knowledge base, check the data, register commands, show status."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import textwrap
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from bot.config import Settings
from bot.content import Content, load_content
from bot.datafiles import DataFileError
from bot.local_mode import LOCAL_DATABASE, LocalPaths, bot_environment, local_settings, prepare_local
from bot.observability import logs
from bot.observability.status import StatusReport, status_json, status_text
from bot.preflight import SetupProblem

if TYPE_CHECKING:
    from bot.db.connection import Connection
    from bot.knowledge.feedback import ReasonSummary
    from bot.knowledge.question_groups import QuestionGroup
    from bot.privacy import PersonalData

log = logging.getLogger("bot")
T = TypeVar("T")

NO_TOKEN_HELP = """\
No DISCORD_TOKEN is set, so the bot cannot connect to Discord. To run it on a real server, create an application
at https://discord.com/developers/applications, add a bot, copy its token and put it in a file named `.env` in the
repository root as `DISCORD_TOKEN=your-token` (see `.env.example` for every setting); then invite the bot with the
`bot` and `applications.commands` scopes and run `make run` again. To try the bot without Discord, run
`imgbot run --local`."""

NO_EMULATOR_HELP = """\
Local mode runs the bot against the built-in Discord emulator, which is not installed here: install the project with
its `emulator` extra (`pip install '.[emulator]'`; `make install` does) and run `imgbot run --local` again."""


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    """Log to stderr at LOG_LEVEL; ``quiet`` (every command but `imgbot run`, unless --verbose): warnings and errors
    only, so a command prints what was asked of it and not how the content was loaded."""
    # The token is replaced wherever it could appear in a record (a library's debug output, an exception text).
    token = [settings.discord_token.get_secret_value()] if settings.discord_token is not None else []
    if settings.database_password:  # and the database's password, should a library or an error ever print it
        token.append(settings.database_password)
    level = max(settings.log_level_number, logging.WARNING) if quiet else settings.log_level_number
    logs.configure_logging(level, settings.log_format, token)


def quiet_voice_warnings() -> None:
    """The bot never joins a voice channel, so discord.py's warnings that PyNaCl and davey (its voice libraries) are
    missing describe nothing the bot needs. discord.py warns once per process and offers these switches to say it
    has been warned; they are set before a client is built (tests/unit/cli/test_commands.py checks they still exist)."""
    from discord.voice_client import VoiceClient

    VoiceClient.warn_nacl = False
    VoiceClient.warn_dave = False


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
    """Ask Discord first (waiting a while for it, bot/preflight.py), then run the bot until a stop signal. A set-up
    mistake ends as one SetupProblem line; only a refused Server Members intent the owner did not require is
    survived, by running without it."""
    import discord

    from bot.discord_internals import use_endpoints
    from bot.preflight import identify_bot, settings_for, without_members_intent

    assert settings.discord_token is not None
    use_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    # SIGTERM (a service manager, a test harness) and Ctrl-C both close the bot properly: the database and the
    # scheduler are released in close(), so nothing half-written is left behind. Also while waiting for Discord.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    asking = asyncio.create_task(
        identify_bot(
            settings.discord_api_base,
            settings.discord_token.get_secret_value(),
            wait=settings.discord_connect_retry_seconds,
        ),
        name="preflight",
    )
    if not await _first_or_stop(asking, stop):
        log.info("stop requested while waiting for Discord")
        asking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asking
        return
    identity = asking.result()
    log.info("Discord takes the token: bot %s, application %s", identity.user_id, identity.application_id)
    settings = settings_for(settings, identity)
    while True:
        try:
            await _serve(settings, content, stop, identity.application_id)
            return
        except discord.PrivilegedIntentsRequired:
            if not settings.members_intent:
                raise
            # Switched off in the Developer Portal since the check, or refused for another reason: the same rule.
            settings = without_members_intent(settings, identity.application_id, at_gateway=True)


async def _first_or_stop(task: asyncio.Task[T], stop: asyncio.Event) -> bool:
    """Wait for ``task`` unless a stop is requested first; True when the task finished (the caller ends it if not)."""
    stopper = asyncio.create_task(stop.wait(), name="stop-signal")
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    return task in done


async def _serve(settings: Settings, content: Content, stop: asyncio.Event, application_id: int) -> None:
    import aiohttp
    import discord

    from bot.app import ImgBot
    from bot.preflight import TOKEN_REFUSED, DiscordUnreachable, TokenRefused, token_reset_line, unreachable_line

    assert settings.discord_token is not None
    quiet_voice_warnings()
    bot = ImgBot(settings, content)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()), name="bot")
        if await _first_or_stop(runner, stop):
            try:
                runner.result()  # re-raise a fatal error (bad token, damaged database, crash) for main() to report
            except discord.LoginFailure:
                raise TokenRefused(TOKEN_REFUSED) from None
            except discord.ConnectionClosed as closed:
                if closed.code == 4004:  # the token was reset while the bot ran (or since the check at start)
                    raise TokenRefused(token_reset_line(application_id)) from None
                raise
            except aiohttp.ClientConnectionError as error:  # lost between the check at start and the login
                raise DiscordUnreachable(unreachable_line(settings.discord_api_base, str(error), 0)) from None
            return
        log.info("stop requested; closing")
        await bot.close()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def _sync(settings: Settings, content: Content, guild_id: int | None) -> int:
    """Register the commands; how many were registered."""
    import aiohttp
    import discord

    from bot.app import ImgBot
    from bot.discord_internals import use_endpoints
    from bot.preflight import DiscordUnreachable, identify_bot, unreachable_line

    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    use_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    # Asked first, as `imgbot run` does: no network or a refused token is one line (bot/preflight.py), before the
    # bot opens its database and scheduler only to fail at login.
    await identify_bot(settings.discord_api_base, token)
    if guild_id is not None:
        settings = settings.model_copy(update={"dev_guild_id": guild_id})
    quiet_voice_warnings()
    bot = ImgBot(settings, content, force_sync=True)
    async with bot:
        try:
            # login() runs setup_hook, which registers the commands; no gateway connection is needed.
            await bot.login(token)
        except aiohttp.ClientConnectionError as error:  # lost since the question a moment ago
            raise DiscordUnreachable(unreachable_line(settings.discord_api_base, str(error), 0)) from None
        scope = discord.Object(guild_id) if guild_id is not None else None
        return len(bot.tree.get_commands(guild=scope))


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if args.shards is not None or args.shard_count is not None:
        chosen = {"shards": args.shards, "shard_count": args.shard_count}
        try:
            # Only what was set (exclude_unset), so the settings left to their defaults still count as not chosen.
            settings = Settings.model_validate(
                {**settings.model_dump(exclude_unset=True), **{k: v for k, v in chosen.items() if v is not None}}
            )
        except ValidationError as exc:
            print(f"imgbot run: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", file=sys.stderr)
            return 2
    local = bool(args.local or args.script or settings.discord_token is None)
    if local and settings.log_level != "DEBUG":
        # The terminal belongs to the person trying the bot; the bot's own log goes to var/local-bot.log.
        logging.getLogger().setLevel(logging.WARNING)
    content = _load_or_exit(settings)
    if local:
        return _run_local(settings, args.script)
    with _hold_database(settings):
        try:
            asyncio.run(_run_bot(settings, content))
        except KeyboardInterrupt:
            log.info("stopped by keyboard interrupt")
    return 0


def _run_local(settings: Settings, script: Path | None) -> int:
    """Local mode: the emulator (the `emulator` extra, imported only here) and this bot as a subprocess against it."""
    try:
        from discord_emulator.local import LocalBot, run_local
    except ImportError as exc:
        log.debug("the emulator cannot be imported: %s", exc)
        help_text = (NO_TOKEN_HELP + " " if settings.discord_token is None else "") + NO_EMULATOR_HELP
        print(textwrap.fill(" ".join(help_text.split()), 110), file=sys.stderr)
        return 2
    paths = LocalPaths.beside(settings.database_path)
    bot = LocalBot(
        argv=(sys.executable, "-m", "bot", "run"),
        environment=functools.partial(bot_environment, settings),
        log=paths.log,
        files=paths.files,
        database=paths.database,
        prepare=functools.partial(prepare_local, paths),
        debug=settings.log_level == "DEBUG",
    )
    return int(run_local(bot, script=script))


@contextlib.contextmanager
def _hold_database(settings: Settings) -> Iterator[None]:
    """The running bot holds its database's lock for the process's life (bot/db/lock.py): a second bot, or a
    restore, on the same database is refused. Its files are made owner-only before anything is read.

    On PostgreSQL the database is no file: the bot holds the database's advisory lock itself, on a connection of its
    own (bot/app.py, ``PostgresLock``), and its only files are the backups."""
    from bot.db.backup import list_backups
    from bot.db.errors import DatabaseProblem
    from bot.db.files import tighten_files, tighten_permissions
    from bot.db.lock import DatabaseInUse, DatabaseLock
    from bot.db.pg_backup import list_pg_backups
    from bot.deletion_ledger import ledger_path_for

    if settings.uses_postgres:
        tighten_files(list_pg_backups(settings.backup_dir))
        yield
        return
    try:
        lock = DatabaseLock.acquire(settings.database_path, "the bot")
    except DatabaseInUse as exc:
        raise DatabaseProblem(
            f"cannot start: {exc}. Stop that bot first, or give this one its own DATABASE_PATH"
        ) from None
    ledger = ledger_path_for(settings.database_path)
    with lock:
        theirs = [*list_backups(settings.backup_dir), ledger, Path(f"{ledger}-wal"), Path(f"{ledger}-shm")]
        tighten_permissions(settings.database_path, settings.backup_dir, theirs)
        yield


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    if settings.discord_token is None:
        print("imgbot sync needs DISCORD_TOKEN (in the environment or .env).", file=sys.stderr)
        return 2
    content = _load_or_exit(settings)
    count = asyncio.run(_sync(settings, content, args.guild))
    _say_database(settings, "keeps the registration in")  # with the result: Discord is asked before it is opened
    where = f"in server {args.guild} only" if args.guild is not None else "in every server the bot is in"
    print(f"Registered {count} slash commands with Discord, {where}.")
    return 0


# -- check / invite -----------------------------------------------------------------------------------------------

NEEDS_TOKEN = (
    "needs DISCORD_TOKEN (in the environment or .env): the bot's token from the Developer Portal "
    "(https://discord.com/developers/applications, the bot's application, Bot > Reset Token)"
)


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.preflight import check

    if settings.discord_token is None:
        print(f"imgbot check {NEEDS_TOKEN}. Without it `imgbot run` starts in local mode.", file=sys.stderr)
        return 2
    report = asyncio.run(check(settings))
    for line in report.lines:
        print(line)
    # Exit status 0 only when `imgbot run` would start, so a script can run the check first.
    return 0 if report.will_start else 1


def cmd_invite(args: argparse.Namespace, settings: Settings) -> int:
    from bot.preflight import identify_bot
    from bot.ui.invite import invite_text

    client_id: int | None = args.client_id
    if client_id is None:
        if settings.discord_token is None:
            print(
                f"imgbot invite {NEEDS_TOKEN}, or --client-id ID (the Application ID on the application's General "
                "Information page).",
                file=sys.stderr,
            )
            return 2
        identity = asyncio.run(identify_bot(settings.discord_api_base, settings.discord_token.get_secret_value()))
        client_id = identity.application_id
    print(invite_text(client_id))
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


def _content_or_problems(settings: Settings, after: str = "") -> Content | None:
    """The content, or None after printing each problem of the data files (file, line, field) to stderr."""
    try:
        return load_content(settings.data_dir)
    except DataFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found{after}.", file=sys.stderr)
        return None


def cmd_kb_validate(args: argparse.Namespace, settings: Settings) -> int:
    content = _content_or_problems(settings)
    if content is None:
        return 1
    if content.knowledge.search_index.classifier_is_current() is False:
        print(
            f"{content.knowledge.search_index.classifier_path}: trained on other entries or search rules; "
            "run `imgbot kb classifier` and commit the file (until then search runs without it).",
            file=sys.stderr,
        )
        return 1
    print(
        f"OK: {len(content.knowledge.knowledge)} knowledge entries, "
        f"{len(content.knowledge.pathway_steps)} pathway steps, "
        f"{content.quiz_bank.count(None)} quiz questions, {len(content.interview_bank)} interview questions, "
        f"{len(content.specialties.specialties)} specialties, "
        f"cycle files for Match {', '.join(map(str, content.calendar.years_with_data)) or 'none'} "
        f"(loaded in {content.load_seconds * 1000:.0f} ms)."
    )
    return 0


def cmd_kb_classifier(args: argparse.Namespace, settings: Settings) -> int:
    """Train the entry classifier (bot/knowledge/classifier.py) and write it where search reads it."""
    content = _content_or_problems(settings, after=": fix them before training")
    if content is None:
        return 1
    search = content.knowledge.search_index
    path = search.classifier_path
    assert path is not None
    started = time.perf_counter()
    classifier = search.train_classifier()
    classifier.save(path)
    path.chmod(0o644)  # content, not members' data: readable by a container's bot user like the rest of data/
    print(
        f"Trained on {len(search.training_words())} texts of {len(classifier.ids)} entries "
        f"({len(classifier.vocabulary)} word features) in {time.perf_counter() - started:.0f} s: {path}"
    )
    return 0


def cmd_kb_stale(args: argparse.Namespace, settings: Settings) -> int:
    service = _load_or_exit(settings).knowledge
    today = dt.datetime.now(dt.UTC).date()
    stale = service.stale(today, args.days)
    for entry in stale:
        why = f"written for {entry.cycle}, which has ended" if entry.cycle_over(today) else "not reviewed recently"
        print(f"{entry.reviewed.isoformat()}  {entry.id}  ({entry.title}): {why}")
    rule = "whose cycle has ended" + (f" or not reviewed in the last {args.days} days" if args.days is not None else "")
    print(f"{len(stale)} entr{'y' if len(stale) == 1 else 'ies'} {rule}.")
    return 0


async def _report(settings: Settings, content: Content, limit: int, server: int | None) -> None:
    from bot.knowledge.repository import KnowledgeFeedbackRepository
    from bot.knowledge.server_entries import ServerEntries
    from bot.knowledge.server_repository import ServerEntryRepository

    async with _read_only(settings, KNOWLEDGE_REPORT_SCHEMA, "the knowledge report") as conn:
        service = content.knowledge.with_feedback(KnowledgeFeedbackRepository(conn))
        tallies = await service.vote_tallies()
        groups = await (
            service.all_question_groups(limit) if server is None else service.question_groups(server, limit)
        )
        reasons = await (service.all_vote_reasons() if server is None else service.vote_reasons(server))
        answered = (
            None if server is None else await ServerEntries(ServerEntryRepository(conn)).most_answered(server, limit)
        )
    print("Votes per entry (helpful / not helpful):")
    if not tallies:
        print("  no votes yet")
    for tally in tallies:
        print(f"  {tally.helpful:5d} / {tally.not_helpful:<5d} {tally.entry_id}")
    _print_question_groups(groups, server)
    if answered is not None:
        print(f"\nServer {server}'s own entries /ask answered with most (candidates for the curated base):")
        if not answered:
            print("  none yet")
        for entry in answered:
            print(f"  {entry.times:5d}x  {entry.title}")
    _print_vote_reasons(reasons[:limit], server)


def _print_question_groups(groups: list[QuestionGroup], server: int | None) -> None:
    """The unanswered questions grouped as /knowledge report groups them: the wording asked most, how often all its
    wordings were asked, how many there were, and the others (indented)."""
    if server is None:
        print(
            "\nMost frequent questions without a curated answer, in every server, similar wordings counted together "
            "(no server: asked in a DM, or recorded before servers were kept):"
        )
    else:
        print(f"\nMost frequent questions without a curated answer in server {server}, similar wordings together:")
    if not groups:
        print("  none recorded")
    for group in groups:
        where = (
            ""
            if server is not None
            else f"{'no server' if group.guild_id is None else f'server {group.guild_id}':<27} "
        )
        wordings = "" if group.wordings == 1 else f"  ({group.wordings} wordings)"
        print(f"  {group.times:5d}x  {where}{group.wording}{wordings}")
        for other in group.others:
            print(f"          {' ' * len(where)}~ {other}")


def _print_vote_reasons(reasons: list[ReasonSummary], server: int | None) -> None:
    """Why members marked entries not helpful: per entry (and server), counts by reason and the latest notes."""
    from bot.knowledge.feedback import REASONS_KEPT

    where = "every server (no server: given in a DM)" if server is None else f"server {server}"
    print(f"\nWhy members marked entries not helpful, in {where}; without names, kept {REASONS_KEPT.days} days:")
    if not reasons:
        print("  none given")
    for summary in reasons:
        place = "" if server is not None else f"{'no server' if summary.guild_id is None else summary.guild_id}  "
        counts = ", ".join(f"{count} {reason.label.lower()}" for reason, count in summary.counts.items())
        print(f"  {place}{summary.entry_id}: {summary.explained} explained" + (f" ({counts})" if counts else ""))
        for note in summary.notes:
            # Stored on one line, without control characters (VoteNote), so printing one cannot upset a terminal.
            print(f"      \u201c{note}\u201d")


def cmd_kb_report(args: argparse.Namespace, settings: Settings) -> int:
    _database_or_exit(settings)
    content = _load_or_exit(settings)
    _say_database(settings)
    try:
        asyncio.run(_report(settings, content, args.limit, args.server))
    except SchemaTooOld as error:
        print(error, file=sys.stderr)
        return 1
    return 0


# -- privacy ------------------------------------------------------------------------------------------------------


def _user_id_or_exit(text: str) -> int:
    from bot.privacy import parse_user_id

    user_id = parse_user_id(text)
    if user_id is None:
        print(f"{text!r} is not a Discord user id (a number of 17 to 19 digits).", file=sys.stderr)
        raise SystemExit(2)
    return user_id


def _database_or_exit(settings: Settings) -> None:
    """Exit status 1 with one line when the database file does not exist: a command that reads it never creates it
    (an empty database would answer "nothing recorded", which is wrong, and a typo in DATABASE_PATH would leave a
    stray file behind). A PostgreSQL database is never created by connecting: a wrong name fails to connect."""
    if settings.uses_postgres:
        return
    if not settings.database_path.exists():
        print(f"There is no database at {_shown(settings.database_path)}{_local_hint(settings)}.", file=sys.stderr)
        raise SystemExit(1)


def _shown(path: Path) -> str:
    return str(path.expanduser().resolve())


def _local_hint(settings: Settings) -> str:
    """Where the data is when it is not where the command looked: local mode keeps its own database."""
    if settings.database_path.name == LOCAL_DATABASE:
        return ": local mode has not been run with this DATABASE_PATH (`imgbot run --local`)"
    local = LocalPaths.beside(settings.database_path).database
    if local.exists():
        return f"; local mode's data is in {_shown(local)}: add --local to read it"
    return ": the bot has never run with it"


def _say_database(settings: Settings, verb: str = "reads") -> None:
    """One line on stderr naming the database a command uses, so nobody reads the wrong one unawares (a real bot's
    and local mode's sit side by side); stdout stays the command's output (`imgbot status --json`)."""
    whose = " (local mode's)" if settings.database_path.name == LOCAL_DATABASE else ""
    print(f"imgbot {verb} the database {_database_shown(settings)}{whose}.", file=sys.stderr)


def _database_shown(settings: Settings) -> str:
    """The database in a message: PostgreSQL's URL without its password, or the SQLite file's full path."""
    return settings.database_shown if settings.uses_postgres else _shown(settings.database_path)


class SchemaTooOld(Exception):
    """The database predates what a read-only command needs; the bot upgrades it when it starts."""


KNOWLEDGE_REPORT_SCHEMA = 21
"""The schema the knowledge report reads: unanswered questions with their server (0013), the reasons given with
a not-helpful vote (0018) and how often /ask answered with each server entry (0021)."""


@contextlib.asynccontextmanager
async def _read_only(settings: Settings, needs: int, what: str) -> AsyncIterator[Connection]:
    """The database opened read-only and never migrated: it may be the live bot's, and upgrading its schema is the
    bot's job (a migration run from here could race the bot's own, or change a database an older bot still uses).
    SchemaTooOld when it is older than version ``needs``. On PostgreSQL: a small pool of its own, not migrated."""
    import aiosqlite

    from bot.db import postgres
    from bot.db.connection import schema_version
    from bot.db.files import sqlite_uri

    conn: Connection
    if settings.database_url is not None:
        conn = await postgres.connect(settings.database_url.get_secret_value(), min_size=1, max_size=2)
    else:
        conn = await aiosqlite.connect(sqlite_uri(settings.database_path, mode="ro"), uri=True)
    try:
        if isinstance(conn, aiosqlite.Connection):
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA busy_timeout = 5000")
        version = await schema_version(conn)
        if version < needs:
            raise SchemaTooOld(
                f"The database at {_database_shown(settings)} is at schema version {version}; {what} needs "
                f"version {needs} or later. Start the bot (it upgrades the database) and try again."
            )
        yield conn
    finally:
        await conn.close()


def _run_privacy(settings: Settings, what: str, action: Callable[[PersonalData], Awaitable[T]]) -> T:
    """Run ``action`` on the database file with the same PersonalData, services and deletion ledger as /mydata; a
    failure is one line on stderr and exit status 1."""
    import sqlite3

    from bot.db.connection import open_database
    from bot.privacy import BackupPolicy, personal_data_for

    content = _load_or_exit(settings)

    async def run() -> T:
        conn = await open_database(settings.database_target)
        try:
            return await action(personal_data_for(conn, content, backups=BackupPolicy.of(settings)))
        finally:
            await conn.close()

    try:
        return asyncio.run(run())
    except (RuntimeError, OSError, sqlite3.Error) as exc:
        print(f"{what} failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_privacy_delete(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.pg_backup import LEDGER_SCHEMA
    from bot.deletion_ledger import ledger_path_for
    from bot.privacy import deletion_counts_text

    user_id = _user_id_or_exit(args.user_id)
    if not args.yes:
        print(
            f"This deletes everything the bot stores about user {user_id}, and cannot be undone: "
            "run it again with --yes to confirm.",
            file=sys.stderr,
        )
        return 2
    _database_or_exit(settings)
    _say_database(settings, "deletes from")
    counts = _run_privacy(settings, "Deletion", lambda personal: personal.delete(user_id))
    deleted = deletion_counts_text(counts) or "nothing was stored"
    ledger = (
        f"(the schema {LEDGER_SCHEMA} of the database)"
        if settings.uses_postgres
        else str(ledger_path_for(settings.database_path))
    )
    print(
        f"Deleted everything stored about user {user_id} ({deleted}); the deletion is in the ledger "
        f"{ledger} and is applied again if an older backup is restored."
    )
    return 0


def cmd_privacy_export(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from bot.privacy import to_json

    user_id = _user_id_or_exit(args.user_id)
    _database_or_exit(settings)
    out: Path = args.out or Path(f"imgbot-export-{user_id}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json")
    if out.exists():  # said before a member's data is read for nothing (the write below refuses it too)
        print(f"{out} already exists; choose another file with --out.", file=sys.stderr)
        return 1
    data = _run_privacy(settings, "Export", lambda personal: personal.export(user_id))
    try:
        # Owner-only, like the database it comes from; never over an existing file.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(to_json(data))
    except FileExistsError:
        print(f"{out} already exists; choose another file with --out.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Export failed: cannot write {out} ({exc.strerror or exc}).", file=sys.stderr)
        return 1
    _say_database(settings, "read")  # with the result it came from; a failure to write is about the file alone
    print(f"Exported everything stored about user {user_id} to {out.resolve()}.")
    return 0


# -- db -----------------------------------------------------------------------------------------------------------


def cmd_db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import backup_database
    from bot.db.pg_backup import backup_postgres

    directory = args.dir or settings.backup_dir
    now = dt.datetime.now(dt.UTC)
    if settings.database_url is not None:
        info = backup_postgres(settings.database_url.get_secret_value(), settings.database_shown, directory, now)
    else:
        info = backup_database(settings.database_path, directory, now)
    print(
        f"Backed up {_database_shown(settings)} to {info.path} "
        f"({info.size_bytes:,} bytes, schema {info.schema_version}, {info.seconds:.1f} s)."
    )
    return 0


async def _reapply_ledger(target: Path | str, content: Content) -> str:
    """The deletion ledger's restore hook (bot/privacy.py), run before the restore releases its lock: a member who
    deleted their data after the backup was made is deleted again before any bot can read the restored data."""
    from bot.db.connection import open_database
    from bot.privacy import reapply_deletions

    conn = await open_database(target)
    try:
        report = await reapply_deletions(conn, content)
    finally:
        await conn.close()
    return f"{report.deletions} deletions applied again from the ledger ({report.members} members)."


def cmd_db_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import RestoreResult, restore_database
    from bot.db.pg_backup import restore_postgres

    follow_up: list[str] = []

    async def reapply(target: Path | str) -> None:
        content = _load_or_exit(settings)
        try:
            follow_up.append(await _reapply_ledger(target, content))
        except Exception as exc:
            log.debug("reapplying the deletion ledger failed", exc_info=True)
            follow_up.append(f"warning: the deletion ledger could not be applied ({exc}); the bot applies it at start.")

    now = dt.datetime.now(dt.UTC)
    result: RestoreResult
    if settings.database_url is not None:
        result = asyncio.run(
            restore_postgres(
                args.file,
                settings.database_url.get_secret_value(),
                settings.database_shown,
                settings.backup_dir,
                now,
                allow_reposts=args.allow_reposts,
                after=reapply,
            )
        )
    else:
        result = restore_database(
            args.file,
            settings.database_path,
            now,
            allow_reposts=args.allow_reposts,
            after=lambda database: asyncio.run(reapply(database)),
        )
    print(f"Restored {_database_shown(settings)} from {args.file} (schema {result.schema_version}).")
    if result.journal is not None:
        carried = result.journal
        refused = f"; {carried.refused} refused (see the log)" if carried.refused else ""
        print(
            "Carried over from the replaced database (a restore cannot take back what is already in Discord): "
            f"{carried.deliveries} delivery records, {carried.discord_events} Discord events, "
            f"{carried.watermarks} watermarks{refused}."
        )
    else:
        print("Nothing was carried over (--allow-reposts): the last grace window's announcements may be posted again.")
    if result.kept is not None:
        how = "as it was, since it is damaged" if result.kept_as_is else "as a checked copy"
        if settings.uses_postgres:
            how = "as an archive (restore it like a backup)"
        print(f"The database it replaced is kept, {how}, as {result.kept}.")
    for line in follow_up:
        print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout)
    print("Start the bot again.")
    return 0


def cmd_db_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.backup import check_integrity

    _database_or_exit(settings)
    _say_database(settings, "checks")
    if settings.database_url is not None:
        return _check_postgres(settings.database_url.get_secret_value())
    problems = check_integrity(settings.database_path)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("OK: the database passed its integrity check." if not problems else f"{len(problems)} problem(s) found.")
    return 0 if not problems else 1


def _check_postgres(url: str) -> int:
    from bot.db.pg_backup import check_postgres

    report = asyncio.run(check_postgres(url))
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if 0 < report.schema_version < report.known_version:
        print(
            f"The schema is at version {report.schema_version}, older than this bot's ({report.known_version}): "
            "the bot upgrades it when it starts."
        )
    if report.problems:
        print(f"{len(report.problems)} problem(s) found.")
        return 1
    print(
        f"OK: schema version {report.schema_version}; {len(report.rows)} tables read through, "
        f"{sum(report.rows.values()):,} rows."
    )
    return 0


def cmd_db_migrate_to(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.errors import DatabaseProblem
    from bot.db.migrate_to import migrate_to

    url: SecretStr | None = args.url if args.url is not None else settings.database_url
    if url is None:
        print(
            "imgbot db migrate-to needs the PostgreSQL database to copy into: `imgbot db migrate-to "
            "postgresql://user@host:port/database`, or DATABASE_URL (which keeps a password off the command line).",
            file=sys.stderr,
        )
        return 2
    target = settings.model_copy(update={"database_url": url})
    secret = url.get_secret_value()
    source = settings.database_path
    print(f"imgbot copies the SQLite database {_shown(source)} into {target.database_shown}.", file=sys.stderr)
    try:
        result = asyncio.run(migrate_to(source, secret, target.database_shown))
    except Exception as exc:
        if _postgres_unreachable(exc):  # DATABASE_URL may be unset: say which database, as for the others
            raise DatabaseProblem(f"the database {target.database_shown} cannot be used: {exc}") from None
        raise
    width = max(len(t.table) for t in result.tables)
    print(f"{'table':<{width}}  {'SQLite':>9}  {'PostgreSQL':>10}")
    for table in result.tables:
        print(f"{table.table:<{width}}  {table.sqlite_rows:>9,}  {table.postgres_rows:>10,}")
    print(
        f"Copied {len(result.tables)} tables, {result.rows:,} rows (every count equal), and "
        f"{result.ledger_entries} deletion-ledger entries, at schema {result.schema_version}, in "
        f"{result.seconds:.1f} s. Set DATABASE_URL to {target.database_shown} (its password there or in PGPASSWORD) "
        f"to run the bot on it; {_shown(source)} is left as it was."
    )
    return 0


def _postgres_url(text: str) -> SecretStr:
    """An argparse type: a postgresql:// URL, kept secret (it may hold a password)."""
    if not text.startswith(("postgresql://", "postgres://")):
        raise argparse.ArgumentTypeError("the target must be a postgresql:// URL (postgresql://user@host:port/db)")
    return SecretStr(text)


# -- status -------------------------------------------------------------------------------------------------------


STATUS_SCHEMA = 8
"""The schema version whose migration (0008_status.sql) made the heartbeat and error tables."""


async def _status_report(settings: Settings, errors: int) -> StatusReport:
    from bot.db.connection import schema_version
    from bot.db.timestamps import utc_now
    from bot.observability.cluster import CLUSTER_SCHEMA, ProcessRegistry
    from bot.observability.repository import StatusRepository
    from bot.observability.service import stored_report

    async with _read_only(settings, STATUS_SCHEMA, "the status") as conn:
        # A database from before the cluster's table (0025) has no processes to list.
        clustered = await schema_version(conn) >= CLUSTER_SCHEMA
        processes = await ProcessRegistry(conn).processes() if clustered else []
        return await stored_report(StatusRepository(conn), utc_now(), errors, processes)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    _database_or_exit(settings)
    _say_database(settings)
    try:
        report = asyncio.run(_status_report(settings, args.errors))
    except SchemaTooOld as error:
        print(error, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(status_json(report), ensure_ascii=False))
    else:
        print(status_text(report))
    # Exit status 0 only when the bot is running, so a monitor (cron, a health check) can use it as it is.
    return 0 if report.running else 3


# -- entry point --------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line said in one line (argparse prints the whole usage first, which
    for a subcommand with options buries the one thing that is wrong); --help still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _snowflake(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 17 <= len(text) <= 20):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Discord id (a number of 17 to 20 digits)")
    return int(text)


def whole_number(low: int, high: int, unit: str) -> Callable[[str], int]:
    """An argparse type: a whole number of ``unit`` from ``low`` to ``high``, or a message that says so. Every
    number the command line takes has bounds: a negative count means nothing, and a huge one overflows a date or
    SQLite's integers into a traceback."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {unit} from {low} to {high}")
        return value

    return parse


STALE_DAYS = whole_number(0, 36_500, "days")
REPORT_LIMIT = whole_number(1, 1_000, "lines")
STATUS_ERRORS = whole_number(0, 1_000, "errors")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="imgbot", description="IMG Pathway Bot")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print the log's INFO lines, and the traceback of an unexpected error (as LOG_LEVEL=DEBUG)",
    )
    # Every command that uses the database can use local mode's instead (`imgbot run --local` keeps its own).
    database = _Parser(add_help=False)
    database.add_argument(
        "--local",
        dest="local_database",
        action="store_true",
        help="use local mode's database (local.sqlite3 beside DATABASE_PATH) instead of DATABASE_PATH",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the bot (local mode against the emulator when no token is set)")
    run.add_argument("--local", action="store_true", help="run against the built-in Discord emulator")
    run.add_argument("--script", type=Path, help="local mode: run the commands in FILE and print the transcript")
    run.add_argument("--shards", help="a process of a cluster: its shards, 0-3 or 0,2,5 (as SHARDS)")
    run.add_argument("--shard-count", type=int, help="the bot's total number of shards (as SHARD_COUNT)")
    run.set_defaults(func=cmd_run)

    ask = sub.add_parser("ask", help="answer questions from the knowledge base")
    ask.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    ask.add_argument("question", nargs="+", help="the question; '-' alone reads one question per line from stdin")
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge-base maintenance").add_subparsers(dest="kb_command", required=True)
    validate = kb.add_parser("validate", help="load every data file and report problems")
    validate.set_defaults(func=cmd_kb_validate)
    classifier = kb.add_parser("classifier", help="train the entry classifier search uses, after changing entries")
    classifier.set_defaults(func=cmd_kb_classifier)
    stale = kb.add_parser("stale", help="entries written for a cycle that has ended (or not reviewed in N days)")
    stale.add_argument(
        "--days", type=STALE_DAYS, help="also list entries whose reviewed date is older than this (0 to 36500)"
    )
    stale.set_defaults(func=cmd_kb_stale)
    report = kb.add_parser(
        "report", parents=[database], help="votes per entry and the most frequent unanswered questions"
    )
    report.add_argument("--limit", type=REPORT_LIMIT, default=20, help="lines per list (1 to 1000, default 20)")
    report.add_argument(
        "--server", type=_snowflake, help="only this server's questions (default: every server's, each named)"
    )
    report.set_defaults(func=cmd_kb_report)

    db = sub.add_parser("db", help="database backups and checks").add_subparsers(dest="db_command", required=True)
    backup = db.add_parser(
        "backup", parents=[database], help="write a checked snapshot of the database (safe while the bot runs)"
    )
    backup.add_argument("--dir", type=Path, help="where to write it (default: BACKUP_DIR)")
    backup.set_defaults(func=cmd_db_backup)
    restore = db.add_parser(
        "restore", parents=[database], help="replace the database with a backup (refused while the bot runs)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--allow-reposts",
        action="store_true",
        help="restore even when the record of what was posted cannot be carried over from the replaced database",
    )
    restore.set_defaults(func=cmd_db_restore)
    check = db.add_parser(
        "check",
        parents=[database],
        help="check the database: SQLite's integrity check, or on PostgreSQL its schema version and every table read",
    )
    check.set_defaults(func=cmd_db_check)
    migrate = db.add_parser(
        "migrate-to",
        help="copy the SQLite database (DATABASE_PATH) into an empty PostgreSQL database (refused while the bot runs)",
    )
    migrate.add_argument(
        "url",
        nargs="?",
        type=_postgres_url,
        help="postgresql://user@host:port/database (default: DATABASE_URL; a password is better kept there)",
    )
    migrate.set_defaults(func=cmd_db_migrate_to)

    status = sub.add_parser(
        "status", parents=[database], help="is the bot running? uptime, latency, servers, jobs, deliveries, errors"
    )
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument(
        "--errors", type=STATUS_ERRORS, default=10, help="how many recent errors to show (0 to 1000, default 10)"
    )
    status.set_defaults(func=cmd_status)

    check_ = sub.add_parser("check", help="ask Discord whether the token works and `imgbot run` will start")
    check_.set_defaults(func=cmd_check)

    invite = sub.add_parser("invite", help="the link that adds the bot to a server, with the permissions it needs")
    invite.add_argument(
        "--client-id",
        type=_snowflake,
        help="the Application ID (its General Information page in the Developer Portal); default: asked of Discord",
    )
    invite.set_defaults(func=cmd_invite)

    sync = sub.add_parser("sync", help="register the slash commands with Discord now")
    sync.add_argument("--guild", type=_snowflake, help="register to this server only (instant, for testing)")
    sync.set_defaults(func=cmd_sync)

    privacy = sub.add_parser("privacy", help="a member's data, for requests that arrive outside Discord")
    privacy_sub = privacy.add_subparsers(dest="privacy_command", required=True)
    delete = privacy_sub.add_parser(
        "delete", parents=[database], help="what /mydata delete does, for USER_ID (asks for --yes)"
    )
    delete.add_argument("user_id", metavar="USER_ID", help="the member's Discord user id")
    delete.add_argument("--yes", action="store_true", help="confirm: delete everything stored about USER_ID")
    delete.set_defaults(func=cmd_privacy_delete)
    export = privacy_sub.add_parser(
        "export", parents=[database], help="what /mydata export sends, for USER_ID, as a JSON file"
    )
    export.add_argument("user_id", metavar="USER_ID", help="the member's Discord user id")
    export.add_argument(
        "--out", type=Path, help="the file to write (default: imgbot-export-USER_ID-TIME.json here); never replaced"
    )
    export.set_defaults(func=cmd_privacy_export)
    return parser


_ENVIRONMENT_ERRORS = {
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_NOTADB,
}
"""SQLite's primary result codes that describe the machine (disk, permissions, a damaged file), not the code."""


def _failure_line(exc: BaseException, settings: Settings | None) -> str | None:
    """One line for a failure an operator can act on; None for a bug."""
    from bot.db.errors import DatabaseProblem

    if isinstance(exc, DatabaseProblem):
        return str(exc)
    if isinstance(exc, ValidationError):
        problems = ("{}: {}".format(".".join(map(str, e["loc"])).upper() or "settings", e["msg"]) for e in exc.errors())
        return "invalid settings (environment or .env): " + "; ".join(problems)
    if settings is not None and settings.uses_postgres and _postgres_unreachable(exc):
        return f"the database {settings.database_shown} cannot be used: {str(exc) or type(exc).__name__}"
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", 0) & 0xFF in _ENVIRONMENT_ERRORS:
        where = f" {settings.database_path}" if settings is not None else ""
        return f"the database{where} cannot be used: {exc}"
    if isinstance(exc, OSError):
        text = exc.strerror or str(exc) or type(exc).__name__
        return f"{text}: {exc.filename}" if exc.filename else text
    if isinstance(exc, SetupProblem):
        return str(exc)
    discord = sys.modules.get("discord")
    if discord is not None and isinstance(exc, discord.LoginFailure):
        from bot.preflight import TOKEN_REFUSED

        return TOKEN_REFUSED  # imgbot sync (imgbot run says it before logging in)
    if discord is not None and isinstance(exc, discord.PrivilegedIntentsRequired):
        return str(exc).splitlines()[0]
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None and isinstance(exc, aiohttp.ClientConnectionError) and settings is not None:
        from bot.preflight import unreachable_line

        # Every command asks Discord first (bot/preflight.py) and says this itself; a connection lost a moment
        # later, on a path that does not, is still the network's doing, not a bug.
        return unreachable_line(settings.discord_api_base, str(exc) or type(exc).__name__, 0)
    return None


def _postgres_unreachable(exc: BaseException) -> bool:
    """PostgreSQL cannot be reached or refuses this login or database: the operator's to fix, not a bug."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    refusals = (
        asyncpg.PostgresConnectionError,
        asyncpg.InvalidAuthorizationSpecificationError,
        asyncpg.InvalidCatalogNameError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
        asyncpg.InsufficientPrivilegeError,
    )
    return isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, *refusals))


def _redacted(text: str, settings: Settings | None) -> str:
    """``text`` without the token: nothing of ours puts it in an exception, but an exception's text may be a
    library's (or a bug's), and what is printed here is not logging, whose redaction does not apply."""
    token = settings.discord_token.get_secret_value() if settings is not None and settings.discord_token else ""
    text = text.replace(token, logs.REDACTED) if token else text
    # DATABASE_URL's password, likewise (a driver's message may quote the URL it was given).
    password = (
        urlsplit(settings.database_url.get_secret_value()).password if settings and settings.database_url else None
    )
    return text.replace(password, logs.REDACTED) if password else text


def _report_failure(args: argparse.Namespace, exc: BaseException, settings: Settings | None, verbose: bool) -> int:
    """Every failure of a command ends here: one line on stderr and exit status 1; the traceback only with
    --verbose or LOG_LEVEL=DEBUG (a bug's traceback helps its fixer; an operator's problem needs the line only)."""
    sub = (getattr(args, name, None) for name in ("db_command", "kb_command", "privacy_command"))
    command = " ".join([args.command, *(str(part) for part in sub if part)])
    line = _failure_line(exc, settings)
    if verbose:
        print(_redacted("".join(traceback.format_exception(exc)), settings), end="", file=sys.stderr)
    if line is None:
        first = str(exc).splitlines()[0] if str(exc) else ""
        hint = "" if verbose else "; run again with --verbose (or LOG_LEVEL=DEBUG) for the traceback"
        line = f"unexpected error, a bug: {type(exc).__name__}{': ' if first else ''}{first}{hint}"
    print(_redacted(f"imgbot {command}: {line}", settings), file=sys.stderr)
    return 1


def _reader_gone() -> int:
    """A pipe closed by its reader (`imgbot ask - | head -1`): the reader has what it wanted, so there is nothing
    to say. Everything the commands write goes to stdout or stderr (the network and the database fail with their
    own errors), so a BrokenPipeError is that. stdout is pointed at /dev/null: Python flushes it at exit, and would
    otherwise complain about the same pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The database, backups, logs and the lock hold members' data or say who runs the bot: owner-only (0600, and
    # 0700 for directories) from their first byte, whatever creates them.
    previous_umask = os.umask(0o077)
    settings: Settings | None = None
    verbose = bool(args.verbose) or os.environ.get("LOG_LEVEL", "").upper() == "DEBUG"
    try:
        settings = Settings()
        verbose = verbose or settings.log_level == "DEBUG"
        configure_logging(settings, quiet=args.command != "run" and not verbose)
        if getattr(args, "local_database", False):
            settings = local_settings(settings, settings.owner_ids)
        return int(args.func(args, settings))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one place where every failure becomes one line
        if isinstance(exc, BrokenPipeError):
            return _reader_gone()
        return _report_failure(args, exc, settings, verbose)
    finally:
        os.umask(previous_umask)


if __name__ == "__main__":
    raise SystemExit(main())
