"""End-to-end latency of /ask: the real bot against the floor (a minimal discord.py bot), same run, same emulator world.

Run: .venv/bin/python bench/e2e_latency.py [--interactions 500] [--concurrency 20] [--repeat 3] [--warmup 100]
     [--questions both|repeated|distinct] [--database sqlite|postgresql|both] [--database-url URL]
     [--contract-checks] [--profile-bot FILE]

Both bots run as their own process against one emulator and one generated world of 100 members (4 servers of 25),
one after the other, with per-user cooldowns off: the real bot (``imgbot run``, at its default log level INFO) and
bench/floor_bot.py, which answers /ask from a dict with one embed of the same entry's text and does nothing else.
Each is warmed first (the knowledge search builds its index on a background thread at start-up and the first
search waits for it; the first burst also opens discord.py's HTTP connections), then sent --interactions /ask
questions, --concurrency at a time, each from the next member. Two sets of questions, each measured on its own
(--questions both, the default):

- repeated: the 209 of tests/retrieval/questions.yaml in turn, so each is asked about three times in a round and
  the bot's answers kept by question (bot/knowledge/service.py) answer the repeats without a search;
- distinct: every in-scope question of the retrieval sets (tests/retrieval/*.yaml and fresh/*.yaml, about 1,500;
  the few longer than Discord lets a member type left out), none asked twice in a round (warm-up included), so
  every /ask is searched. The targets are judged on this one.

Latency = INTERACTION_CREATE handed to the bot's gateway connection -> its interaction callback reaching the
emulator's REST handler (``Interaction.callback_at - delivered_at``); throughput = interactions / wall time of the
burst; CPU = the bot process's CPU time during the burst per interaction. A reply without an embed counts as an
error. Each bot is started --repeat times (floor first, then the bot, the order swapped every round, a fresh database
each time); the summary gives each figure's median over the rounds and the ratios bot / floor, against the targets:
/ask p99 <= 1.5x the floor's, throughput >= 0.67x the floor's. Contract (OpenAPI) checks are off by default: they
measure the emulator, not the bot.

--database picks the real bot's storage: sqlite (the default, a fresh file each round), postgresql, or both: then each
round also starts the bot on PostgreSQL, the three processes in turn (the order rotated every round), and the summary
adds PostgreSQL / SQLite for p50, p99 and throughput, against the target: /ask p99 on PostgreSQL within 20 % of
SQLite's (issue 16; an answer neither reads nor writes the database, a question the bot cannot answer is counted in
unanswered_questions before the reply). PostgreSQL is the one DATABASE_URL (or --database-url) names, every round on
the same database (the bot brings its schema up to date at start), or else a throwaway server started for the run
(tests/postgres_server.py: the machine's PostgreSQL server programs, on loopback, fsync off), with a fresh database
each round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import asyncpg
import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.floor_bot import READY_LINE as FLOOR_READY_LINE  # noqa: E402
from bot.knowledge.loader import load_knowledge_base  # noqa: E402
from bot.knowledge.options import MAX_QUESTION_CHARS  # noqa: E402
from discord_emulator import Emulator, World  # noqa: E402
from discord_emulator.world import Channel, User  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402

Which = Literal["floor", "bot", "bot-postgresql"]
"""The floor, the real bot on the run's first database, and (``--database both``) the real bot on PostgreSQL."""
QuestionSet = Literal["repeated", "distinct"]
Database = Literal["sqlite", "postgresql"]
DATABASE_NAMES: dict[Database, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

BOT_READY_LINE = r"ready as .* in \d+ servers"
TARGET_P99_RATIO = 1.5
TARGET_THROUGHPUT_RATIO = 0.67
TARGET_POSTGRES_P99_RATIO = 1.2
"""Issue 16: /ask p99 with the bot on PostgreSQL within 20 % of the same on SQLite."""
# 4 servers of 26 members (the owner and the bot included): 100 members who ask, the owners among them.
GUILDS, MEMBERS_PER_GUILD = 4, 26
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RETRIEVAL = REPO / "tests" / "retrieval"
REPEATED_SET = RETRIEVAL / "questions.yaml"


def labelled_questions(which: QuestionSet) -> list[dict[str, object]]:
    """The in-scope questions (each with its labels) a burst sends, in the order it sends them."""
    paths = [REPEATED_SET]
    if which == "distinct":
        paths += [RETRIEVAL / "dev_questions.yaml", *sorted((RETRIEVAL / "fresh").glob("*.yaml"))]
    items: dict[str, dict[str, object]] = {}
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["in_scope"]:
            # Discord refuses a longer one before the bot sees it (the option's max_length).
            if len(str(item["q"])) <= MAX_QUESTION_CHARS:
                items.setdefault(str(item["q"]), item)
    ordered = list(items.values())
    if which == "distinct":
        # Seeded, so every run sends the same questions; mixed, so a burst is not one set's style after another.
        random.Random(12).shuffle(ordered)
    return ordered


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Burst:
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0
    cpu_s: float = 0.0
    """CPU time of the bot process during the burst."""

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def max(self) -> float:
        return max(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s

    @property
    def cpu_ms(self) -> float:
        """The bot's CPU time per interaction."""
        return self.cpu_s * 1000 / max(len(self.latencies_ms), 1)

    def line(self) -> str:
        return (
            f"p50 {self.p50:5.1f} ms   p99 {self.p99:5.1f} ms   max {self.max:5.1f} ms   "
            f"throughput {self.throughput:4.0f}/s   CPU {self.cpu_ms:.2f} ms each   errors {self.errors}"
        )


@dataclass
class Report:
    members: int
    questions: QuestionSet = "repeated"
    databases: tuple[Database, ...] = ("sqlite",)
    """The real bot's storage: "bot" is the bot on the first, "bot-postgresql" on PostgreSQL when it is the second."""
    rounds: dict[Which, list[Burst]] = field(default_factory=lambda: {"floor": [], "bot": [], "bot-postgresql": []})
    ready_s: list[float] = field(default_factory=list)
    """The real bot's process start to the emulator's READY and GUILD_CREATEs sent, each round (first database)."""
    postgres_ready_s: list[float] = field(default_factory=list)
    """The same for the bot on PostgreSQL (``--database both``): its pool connects and its schema is checked first."""
    bot_output: str = ""
    """The real bot's log, of the last round (first database)."""
    postgres_output: str = ""
    """The log of the bot on PostgreSQL (``--database both``), of the last round."""

    def median(self, which: Which, figure: str) -> float:
        return float(statistics.median(getattr(burst, figure) for burst in self.rounds[which]))

    def ratio(self, figure: str) -> float:
        """Bot / floor, of the medians."""
        return self.median("bot", figure) / self.median("floor", figure)

    @property
    def compares_databases(self) -> bool:
        return len(self.databases) == 2

    def database_ratio(self, figure: str) -> float:
        """The bot on PostgreSQL / the bot on SQLite, of the medians (``--database both``)."""
        return self.median("bot-postgresql", figure) / self.median("bot", figure)

    @property
    def postgres_met(self) -> bool:
        return self.database_ratio("p99") <= TARGET_POSTGRES_P99_RATIO

    @property
    def met(self) -> bool:
        return self.ratio("p99") <= TARGET_P99_RATIO and self.ratio("throughput") >= TARGET_THROUGHPUT_RATIO

    @property
    def errors(self) -> int:
        return sum(burst.errors for bursts in self.rounds.values() for burst in bursts)


async def burst(
    emu: Emulator,
    askers: list[tuple[User, Channel]],
    questions: list[str],
    total: int,
    concurrency: int,
    offset: int = 0,
) -> Burst:
    """Send ``total`` /ask, ``concurrency`` at a time, each from the next asker; time each answer."""
    result = Burst()
    limit = asyncio.Semaphore(concurrency)

    async def ask(index: int) -> None:
        user, channel = askers[index % len(askers)]
        async with limit:
            try:
                ix = await emu.slash("ask", {"question": questions[index % len(questions)]}, user=user, channel=channel)
                reply = await ix.response(timeout=10)
            except Exception:
                result.errors += 1
                return
            if not reply.embeds or ix.callback_at is None or ix.delivered_at is None:
                result.errors += 1
                return
            result.latencies_ms.append((ix.callback_at - ix.delivered_at) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(ask(offset + i) for i in range(total)))
    result.wall_s = time.monotonic() - started
    return result


def floor_answers(questions: list[dict[str, object]]) -> dict[str, dict[str, str]]:
    """The floor's dict: each in-scope question -> the title and text of its labelled entry (the real bot's answer
    is that entry's embed when the search finds it), so both bots send embeds of about the same size."""
    knowledge = load_knowledge_base(REPO / "data" / "knowledge")
    answers: dict[str, dict[str, str]] = {}
    for item in questions:
        expected = item.get("expect") or []
        entry = knowledge.get(str(expected[0])) if isinstance(expected, list) and expected else None
        if entry is not None:
            answers[str(item["q"])] = {"title": entry.title, "description": entry.body[:4096]}
    return answers


class PostgresDatabases:
    """Where the bot on PostgreSQL keeps its data, round by round: the database ``url`` names (every round on it), or
    else a fresh database per round on a throwaway server started for the run (stopped by ``close``)."""

    def __init__(self, url: str | None) -> None:
        self._url = url
        self._server: PostgresServer | None = None

    async def for_round(self, round_: int) -> str:
        if self._url is not None:
            return self._url
        if self._server is None:
            # initdb and start-up: a few seconds, before any bot runs (nothing measured waits for it).
            self._server = await asyncio.to_thread(PostgresServer.start)
        name = f"e2e_latency_{round_}"
        conn = await asyncpg.connect(self._server.url())
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        return self._server.url(name)

    async def close(self) -> None:
        if self._server is not None:
            await asyncio.to_thread(self._server.stop)
            self._server = None


@contextlib.asynccontextmanager
async def postgres_databases(url: str | None) -> AsyncIterator[PostgresDatabases]:
    databases = PostgresDatabases(url)
    try:
        yield databases
    finally:
        await databases.close()


async def measure(
    *,
    interactions: int = 500,
    concurrency: int = 20,
    repeat: int = 3,
    warmup: int = 100,
    contract_checks: bool = False,
    profile_bot: Path | None = None,
    freeze_gc: bool = False,
    progress: bool = False,
    question_set: QuestionSet = "repeated",
    databases: Sequence[Database] = ("sqlite",),
    database_url: str | None = None,
    floor: bool = True,
) -> Report:
    """Run the floor and the bot (on each of ``databases``) ``repeat`` times against one emulator; ``freeze_gc``
    keeps this process's collector off the emulator's world between rounds (a full collection mid-burst would stall
    the emulator and show as latency). ``database_url``: the PostgreSQL database to use (else a throwaway server);
    ``floor=False`` leaves the floor out (its figures and the ratios to it are then absent)."""
    if not 1 <= len(databases) <= 2 or len(set(databases)) != len(databases):
        raise ValueError(f"one database, or sqlite and postgresql: not {databases!r}")
    if len(databases) == 2 and tuple(databases) != ("sqlite", "postgresql"):
        raise ValueError("to compare, SQLite comes first: the ratios are PostgreSQL / SQLite")
    labelled = labelled_questions(question_set)
    questions = [str(item["q"]) for item in labelled]
    if question_set == "distinct" and len(questions) < warmup + interactions:
        raise ValueError(f"{len(questions)} distinct questions: fewer than {warmup + interactions} to send")
    world = World.generate(guilds=GUILDS, members_per_guild=MEMBERS_PER_GUILD, seed=1)
    askers = [
        (member.user, guild.channel("general"))
        for guild in world.bot_guilds()
        for member in guild.members.values()
        if not member.user.bot
    ]
    report = Report(members=len(askers), questions=question_set, databases=tuple(databases))
    storage: dict[Which, Database] = {"bot": databases[0]}
    if len(databases) == 2:
        storage["bot-postgresql"] = databases[1]
    contestants: list[Which] = list(storage)
    if floor:
        contestants.insert(0, "floor")
    with tempfile.TemporaryDirectory(prefix="e2e-latency-") as tmp:
        answers_path = Path(tmp) / "floor_answers.json"
        answers_path.write_text(json.dumps(floor_answers(labelled)), encoding="utf-8")
        async with (
            Emulator(world, contract_checks=contract_checks) as emu,
            postgres_databases(database_url) as postgres,
        ):

            async def process(which: Which, round_: int) -> tuple[BotProcess, str]:
                if which == "floor":
                    env = emu.bot_env() | {"FLOOR_ANSWERS": str(answers_path)}
                    command = [sys.executable, str(REPO / "bench" / "floor_bot.py")]
                    if profile_bot is not None:
                        # The floor's profile beside the bot's: what both spend per interaction shows in both.
                        profile = f"{profile_bot}.{question_set}.floor.{round_}"
                        command = [sys.executable, "-m", "cProfile", "-o", profile, *command[1:]]
                    return BotProcess(command, env=env, cwd=REPO, name="floor", stop_timeout=30), FLOOR_READY_LINE
                database = storage[which]
                env = emu.bot_env() | {
                    # On PostgreSQL it only places the files kept beside a database (the lock, the deletion ledger).
                    "DATABASE_PATH": str(Path(tmp) / f"{which}-{round_}.sqlite3"),
                    "DATA_DIR": str(REPO / "data"),
                    "LOG_LEVEL": "INFO",
                    "BACKUP_INTERVAL_HOURS": "0",
                    "COMMAND_COOLDOWNS": "false",
                }
                url = await postgres.for_round(round_) if database == "postgresql" else None
                bot_command = None
                if profile_bot is not None:
                    profile = f"{profile_bot}.{question_set}.{database}.{round_}"
                    bot_command = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot", "run"]
                name = f"bot-{database}"
                bot = BotProcess(bot_command, env=env, cwd=REPO, name=name, stop_timeout=30, database_url=url)
                return bot, BOT_READY_LINE

            for round_ in range(repeat):
                # Each process first, in the middle and last in turn, so none gains from its place in the round.
                shift = round_ % len(contestants)
                for which in contestants[shift:] + contestants[:shift]:
                    proc, ready_line = await process(which, round_)
                    since = emu.identify_count
                    started = time.monotonic()
                    await proc.start()
                    try:
                        await emu.wait_for_identify(timeout=60, since=since)
                        if which == "bot":
                            report.ready_s.append(time.monotonic() - started)
                        elif which == "bot-postgresql":
                            report.postgres_ready_s.append(time.monotonic() - started)
                        # on_ready comes 2 s (discord.py's guild_ready_timeout) after the last GUILD_CREATE.
                        await proc.wait_for_output(ready_line, timeout=60)
                        # Not counted: fills the search index and caches and discord.py's connection pool.
                        warm = await burst(emu, askers, questions, warmup, concurrency)
                        if warm.errors:
                            print(f"  warm-up of the {which}: {warm.errors} errors", file=sys.stderr)
                        gc.collect()
                        if freeze_gc:
                            gc.freeze()
                        assert proc.pid is not None
                        cpu_before = process_cpu_seconds(proc.pid)
                        measured = await burst(emu, askers, questions, interactions, concurrency, offset=warmup)
                        measured.cpu_s = process_cpu_seconds(proc.pid) - cpu_before
                    finally:
                        await proc.stop()
                        if which == "bot":
                            report.bot_output = proc.output
                        elif which == "bot-postgresql":
                            report.postgres_output = proc.output
                    report.rounds[which].append(measured)
                    if progress:
                        label = which if which == "floor" else f"bot on {DATABASE_NAMES[storage[which]]}"
                        print(f"  {question_set} round {round_ + 1} {label:17}  {measured.line()}", flush=True)
    return report


def print_report(report: Report, args: argparse.Namespace) -> None:
    checks = "on" if args.contract_checks else "off"
    asked = (
        "each asked about 3 times (answers kept by question serve the repeats)"
        if report.questions == "repeated"
        else "none asked twice (every one searched)"
    )
    stored = " and ".join(DATABASE_NAMES[d] for d in report.databases)
    print(
        f"/ask end to end, {report.questions} questions ({asked}): {args.interactions} interactions, "
        f"{args.concurrency} at a time, {report.members} members, cooldowns off, contract checks {checks}, "
        f"the bot on {stored}; median of {args.repeat} rounds"
    )
    on_postgres = (
        f" (on PostgreSQL: {statistics.median(report.postgres_ready_s):.2f} s)" if report.postgres_ready_s else ""
    )
    print(f"  bot process start to gateway ready: {statistics.median(report.ready_s):.2f} s{on_postgres}")
    rows: list[tuple[Which, str]] = [
        ("floor", "floor (bench/floor_bot.py)"),
        ("bot", f"bot (imgbot run, {DATABASE_NAMES[report.databases[0]]})"),
    ]
    if report.compares_databases:
        rows.append(("bot-postgresql", "bot (imgbot run, PostgreSQL)"))
    for which, name in rows:
        p50, p99, top, throughput, cpu = (
            report.median(which, figure) for figure in ("p50", "p99", "max", "throughput", "cpu_ms")
        )
        print(
            f"  {name:32}  p50 {p50:5.1f} ms   p99 {p99:5.1f} ms   max {top:5.1f} ms   "
            f"throughput {throughput:4.0f}/s   CPU {cpu:.2f} ms per interaction"
        )
    print(
        f"  bot / floor: p50 {report.ratio('p50'):.2f}x   p99 {report.ratio('p99'):.2f}x "
        f"(target <= {TARGET_P99_RATIO}x)   max {report.ratio('max'):.2f}x   "
        f"throughput {report.ratio('throughput'):.2f}x (target >= {TARGET_THROUGHPUT_RATIO}x)   "
        f"CPU {report.ratio('cpu_ms'):.2f}x: targets {'met' if report.met else 'NOT met'}"
        + ("" if report.questions == "distinct" else " (judged on the distinct questions only)")
    )
    if report.compares_databases:
        print(
            f"  PostgreSQL / SQLite: p50 {report.database_ratio('p50'):.2f}x   p99 {report.database_ratio('p99'):.2f}x "
            f"(target <= {TARGET_POSTGRES_P99_RATIO}x)   throughput {report.database_ratio('throughput'):.2f}x   "
            f"CPU {report.database_ratio('cpu_ms'):.2f}x: target {'met' if report.postgres_met else 'NOT met'}"
        )


async def run(args: argparse.Namespace) -> int:
    sets: tuple[QuestionSet, ...] = ("repeated", "distinct") if args.questions == "both" else (args.questions,)
    databases: tuple[Database, ...] = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    errors = 0
    for question_set in sets:
        loadavg_before = load_average()
        report = await measure(
            interactions=args.interactions,
            concurrency=args.concurrency,
            repeat=args.repeat,
            warmup=args.warmup,
            contract_checks=args.contract_checks,
            profile_bot=args.profile_bot,
            freeze_gc=True,
            progress=True,
            question_set=question_set,
            databases=databases,
            database_url=args.database_url,
        )
        print_report(report, args)
        print(f"  errors {report.errors}; load average before / after: {loadavg_before} / {load_average()}")
        errors += report.errors
    if args.profile_bot:
        print(f"profiles written to {args.profile_bot}.SET.DATABASE.ROUND and .SET.floor.ROUND (python -m pstats FILE)")
    return 0 if errors == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each starts every process once")
    parser.add_argument("--warmup", type=int, default=100, help="interactions sent to each bot before measuring")
    parser.add_argument(
        "--questions",
        choices=("both", "repeated", "distinct"),
        default="both",
        help="repeated: questions.yaml in turn, each asked about 3 times; distinct: none asked twice; both (default)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="sqlite",
        help="the real bot's storage; both: each round runs it on SQLite and on PostgreSQL and compares them",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or None,
        help="the PostgreSQL database to use (default: DATABASE_URL; unset: a throwaway server for the run)",
    )
    parser.add_argument("--contract-checks", action="store_true")
    parser.add_argument(
        "--profile-bot", type=Path, help="run the real bot (and the floor) under cProfile and write their profiles here"
    )
    args = parser.parse_args()
    if args.database_url is not None and not args.database_url.startswith(("postgresql://", "postgres://")):
        parser.error("--database-url (or DATABASE_URL) must start with postgresql://")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
