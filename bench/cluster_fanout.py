"""Cluster fan-out figure: one milestone due in N subscribed servers, served by several bot processes (SHARDS) that
share one PostgreSQL, against the emulator enforcing Discord's global limit of 50 requests per second.

Run: .venv/bin/python bench/cluster_fanout.py [--servers 6000] [--shard-count 6] [--processes 0-1 2-3 4-5]
                                              [--kill] [--overlap] [--share-by-servers] [--lead 90]
                                              [--max-concurrency 1]

The subscriptions and events (one #general per server, reminder "0": exactly one message per server) are written
straight into a fresh database of a throwaway PostgreSQL server (tests/postgres_server.py) before the bots start; then
one real bot process per shard range runs against one emulator. Prints: posts per server (duplicates, losses), the
time from the due instant until the last server had its post against the floor (N / 50 s), 429s, each process's
resident memory (peak), what `imgbot status --json` lists, and the overlap warnings in the logs.

- ``--kill``: SIGKILL the process of the second range when half of the servers have their post, and restart it at
  once: still every server exactly once (its unfinished claim is taken over, found by its nonce).
- ``--overlap``: two processes with overlapping ranges (``0-3`` and ``2-5`` of 6): both schedule shards 2 and 3;
  still exactly once, and the second one warns in its log.
- ``--share-by-servers``: each process's RATE_SHARE fixed at its share of the servers. Without it a process paces
  its posts at its shards' share of the 46/s budget until every shard's process has reported its servers in its
  heartbeat, then at its share of the servers (bot/app.py), which is what this option fixes from the start.
- ``--servers``: a smaller world for a slower machine (the default run takes about 4 minutes: 40 s of starts, a
  90 s lead, a 130 s fan-out).

The processes are started one after another: Discord accepts one IDENTIFY per 5 s for a bot (max_concurrency 1, all
but the largest bots), whichever process sends it, and a process only paces its own. Each starts once the previous
one is ready (all its shards identified) and 5 s have passed (``IDENTIFY_WINDOW``), so the emulator counts no
IDENTIFY too soon; with ``--max-concurrency`` at least the shard count (a bot Discord lets identify that many shards
at once) they start together. Duplicates are counted after every delivery row is `sent`, the processes have
stopped and the emulator has no connection or request left (``Emulator.wait_idle``): nothing sent can still arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402

from bot.config import parse_shards  # noqa: E402
from bot.db.connection import open_database  # noqa: E402
from bot.db.timestamps import to_db  # noqa: E402
from bot.observability.cluster import slot_shards  # noqa: E402
from bot.text import escape_markdown  # noqa: E402
from discord_emulator import Emulator, World  # noqa: E402
from discord_emulator.gateway import IDENTIFY_WINDOW, shard_of  # noqa: E402
from discord_emulator.models import Message  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402

GLOBAL_LIMIT = 50
TITLE = "Cluster mock exam"
OVERLAP_WARNING = "another running process"
"""The start of the warning a process logs when another running process has some of its shards (bot/app.py)."""


def disjoint_ranges(shard_count: int, processes: int = 3) -> tuple[str, ...]:
    """The shards split into ``processes`` consecutive ranges: 6 in 3 -> 0-1, 2-3, 4-5."""
    bounds = [round(i * shard_count / processes) for i in range(processes + 1)]
    return tuple(_range(low, high - 1) for low, high in itertools.pairwise(bounds) if high > low)


def overlapping_ranges(shard_count: int) -> tuple[str, ...]:
    """Two processes, each with two thirds of the shards, sharing the middle third: 6 -> 0-3 and 2-5."""
    third = max(1, shard_count // 3)
    return _range(0, shard_count - third - 1), _range(third, shard_count - 1)


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


@dataclass
class Figures:
    servers: int
    shard_count: int
    ranges: tuple[str, ...]
    seconds: float
    """From the due instant until the last server had its post."""
    ready_seconds: float
    """From the first process's start until the last one was ready."""
    ready_before_due: bool
    """Whether every process was ready before the due instant (else ``seconds`` is no measure of the fan-out)."""
    max_concurrency: int
    """IDENTIFYs Discord accepts per 5 s (its ``session_start_limit.max_concurrency``): 1, the processes start one
    after another; more, they start together."""
    delivered: int
    duplicates: int
    losses: int
    rows: dict[str, int]
    """Delivery rows of the announcements by status (all `sent` when it went well)."""
    claims_by_process: dict[str, int]
    """Delivery rows by the shards of the process that claimed them (``claim_process``: its slot, e.g. ``0-1/6``)."""
    foreign_claims: int
    """Rows claimed by a process that does not serve the server's shard (0: each process kept to its own)."""
    requests: int
    rate_limited: int
    identify_too_soon: int
    servers_by_process: dict[str, int]
    """The servers each process serves (its shards')."""
    rate_shares: dict[str, float]
    """RATE_SHARE given to each process (empty: each took its shards' share, bot/config.py)."""
    memory_mib: dict[str, float]
    """Peak resident memory (VmHWM) of each process, by its range (the restarted one: its second life)."""
    processes: list[dict[str, Any]]
    """What `imgbot status --json` listed while they ran."""
    warnings: dict[str, list[str]]
    """The overlap warnings in each process's log."""
    killed_at: int | None = None
    """Servers that had their post when one process was killed (``--kill``)."""
    victim_posted: tuple[int, int] | None = None
    """Of the killed process's servers: how many had their post at the kill, and how many it serves."""
    outputs: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def floor(self) -> float:
        return self.servers / GLOBAL_LIMIT

    def lines(self) -> list[str]:
        kill = []
        if self.killed_at is not None and self.victim_posted is not None:
            posted, own = self.victim_posted
            kill = [
                f"SIGKILL:              process {self.ranges[1]} killed with {posted} of its {own} servers posted "
                f"({self.killed_at} of all), restarted at once"
            ]
        served = ", ".join(f"{r} ({n} servers)" for r, n in self.servers_by_process.items())
        shared = ", ".join(f"{r} {v:.4f} (RATE_SHARE)" for r, v in self.rate_shares.items()) or (
            "each its shards' share of the 46/s budget, then its share of the servers once all have reported"
        )
        started = "one after another, IDENTIFY once per 5 s" if self.max_concurrency == 1 else "together"
        late = "" if self.ready_before_due else " AFTER the due instant: the time below is not the fan-out's"
        listed = ", ".join(f"{p['shards']} {'running' if p['running'] else p['state']}" for p in self.processes)
        warned = {name: len(lines) for name, lines in self.warnings.items() if lines}
        return [
            f"servers:              {self.servers} on {self.shard_count} shards",
            f"processes:            {served} (one PostgreSQL)",
            f"rate shares:          {shared}",
            f"all ready after:      {self.ready_seconds:.1f} s (started {started}){late}",
            *kill,
            f"all delivered after:  {self.seconds:.1f} s  (floor {self.floor:.1f} s at {GLOBAL_LIMIT}/s, "
            f"target <= {1.1 * self.floor:.1f} s: {self.seconds / self.floor:.2f} x floor)",
            f"delivered:            {self.delivered}",
            f"duplicates:           {self.duplicates}",
            f"losses:               {self.losses}",
            f"delivery rows:        {dict(sorted(self.rows.items()))}",
            f"claimed by:           {dict(sorted(self.claims_by_process.items()))}; by a process not serving the "
            f"server: {self.foreign_claims}",
            f"429s received:        {self.rate_limited} of {self.requests} requests",
            f"IDENTIFY too soon:    {self.identify_too_soon}",
            f"resident memory peak: {', '.join(f'{k} {v:.0f} MiB' for k, v in self.memory_mib.items())}",
            f"imgbot status lists:  {listed}",
            f"overlap warnings:     {warned or 'none'}",
        ]


class Arrivals:
    """The announcements the emulator creates, per #general channel, with the time of the last; and, once armed, the
    SIGKILL that lands the moment a given number of servers have theirs (before the bot hears back)."""

    def __init__(self, emu: Emulator, channels: set[int]) -> None:
        self.counts: Counter[int] = Counter()
        self.last = 0.0
        self._bot_id = emu.world.bot.id
        self._channels = channels
        self._title = escape_markdown(TITLE)
        self._changed = asyncio.Event()
        self._kill: tuple[frozenset[int], int, BotProcess] | None = None
        self.killed = asyncio.Event()
        emu.store.listeners.append(self._created)

    def kill_at(self, channels: frozenset[int], posted: int, bot: BotProcess) -> None:
        """SIGKILL ``bot`` as the ``posted``-th of ``channels`` (its servers') gets its post."""
        self._kill = (channels, posted, bot)

    def posted_in(self, channels: frozenset[int]) -> int:
        return sum(1 for channel in self.counts if channel in channels)

    def _created(self, kind: str, message: Message) -> None:
        if kind != "MESSAGE_CREATE" or message.channel_id not in self._channels or message.author.id != self._bot_id:
            return
        if not any(self._title in (embed.get("title") or "") for embed in message.embeds):
            return
        self.counts[message.channel_id] += 1
        self.last = time.time()
        self._changed.set()
        if self._kill is not None and message.channel_id in self._kill[0]:
            channels, posted, bot = self._kill
            if self.posted_in(channels) >= posted and bot.pid is not None:
                os.kill(bot.pid, signal.SIGKILL)
                self._kill = None
                self.killed.set()

    async def wait_servers(self, servers: int, timeout: float) -> None:  # noqa: ASYNC109 - as the emulator's waits
        async with asyncio.timeout(timeout):
            while len(self.counts) < servers:
                self._changed.clear()
                await self._changed.wait()


async def seed(url: str, world: World, due: datetime, now: datetime) -> dict[int, int]:
    """Every server subscribed to announcements in #general, with one server event due at ``due`` (reminder 0);
    guild id -> #general's id. The rows /announcements setup and /event add write."""
    conn = await open_database(url)  # migrates a fresh database
    stamp = to_db(now)
    channels = {guild.id: guild.channel("general").id for guild in world.bot_guilds()}
    owners = {guild.id: guild.owner_id for guild in world.bot_guilds()}
    try:
        await conn.executemany(
            "INSERT INTO milestone_subscriptions (guild_id, channel_id, role_id, reminders, status, configured_by, "
            "active_since, created_at, updated_at) VALUES (?, ?, NULL, NULL, 'active', ?, ?, ?, ?)",
            [(g, c, owners[g], stamp, stamp, stamp) for g, c in channels.items()],
        )
        await conn.executemany(
            "INSERT INTO server_events (guild_id, channel_id, title, description, starts_at, zone, reminders, "
            "status, created_by, created_at) VALUES (?, ?, ?, '', ?, 'UTC', '0', 'active', ?, ?)",
            [(g, c, TITLE, to_db(due), owners[g], stamp) for g, c in channels.items()],
        )
    finally:
        await conn.close()
    return channels


async def delivery_rows(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT status, COUNT(*) FROM deliveries WHERE target_kind = 'event' GROUP BY 1")
    finally:
        await conn.close()
    return {str(r[0]): int(r[1]) for r in rows}


def servers_shares(channels: dict[int, int], shard_count: int, ranges: Sequence[str]) -> dict[str, float]:
    """Each range's share of the servers (rounded down to 1/10,000, so that the shares add up to at most 1): the
    RATE_SHARE that lets every process finish a fan-out to all of them at the same time."""
    shards = Counter(shard_of(guild, shard_count) for guild in channels)
    return {r: math.floor(sum(shards[i] for i in parse_shards(r)) / len(channels) * 10_000) / 10_000 for r in ranges}


async def claims(url: str, shard_count: int) -> tuple[Counter[str], int]:
    """The announcements' rows by the slot of the process that claimed them, and how many were claimed by a process
    whose shards do not include the server's."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT guild_id, claim_process FROM deliveries WHERE target_kind = 'event'")
    finally:
        await conn.close()
    slots: Counter[str] = Counter()
    foreign = 0
    for guild_id, instance in rows:
        slot = str(instance).rpartition(":")[0]  # the instance is the slot, then a random part
        slots[slot] += 1
        shards, count = slot_shards(slot) if slot else (frozenset(), shard_count)
        foreign += count != shard_count or shard_of(int(guild_id), shard_count) not in shards
    return slots, foreign


async def wait_all_sent(url: str, servers: int, timeout: float) -> None:  # noqa: ASYNC109 - as the others
    """Until every server's delivery row is `sent`: a claim a killed process left is confirmed (found by its nonce)
    after the posts themselves. The database has no change event: it is read every 0.25 s."""
    async with asyncio.timeout(timeout):
        while True:
            if (await delivery_rows(url)).get("sent", 0) >= servers:
                return
            await asyncio.sleep(0.25)


async def status_json(env: dict[str, str]) -> dict[str, Any]:
    """`imgbot status --json` against the cluster's database, as an operator runs it."""
    status = BotProcess([sys.executable, "-m", "bot", "status", "--json"], env=env, name="status")
    await status.start()
    code = await status.wait_exit(timeout=60)
    if code not in (0, 3):
        raise RuntimeError(f"imgbot status exited with {code}:\n{status.output}")
    line = next(line for line in status.output.splitlines() if line.startswith("{"))
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def peak_memory_mib(pid: int | None) -> float:
    """The process's peak resident set (VmHWM), in MiB; nan when it is gone."""
    if pid is None:
        return float("nan")
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def start_processes(emu: Emulator, bots: Sequence[BotProcess], *, together: bool, timeout: float) -> None:  # noqa: ASYNC109
    """Start the processes and wait until each is ready. ``together``: all at once, when Discord accepts as many
    IDENTIFYs at a time as there are shards (max_concurrency). Otherwise each once the one before is ready and
    Discord's IDENTIFY window has passed since: a process paces only its own IDENTIFYs (bot/sharding.py)."""
    marks = [bot.lines_so_far for bot in bots]
    for number, bot in enumerate(bots):
        if number and not together:
            # The previous process identified its last shard before it said ready: 5 s from that line, the window
            # is over (the scenario's time axis, not a wait for something to happen).
            await asyncio.sleep(IDENTIFY_WINDOW)
        await bot.start()
        if not together:
            await _ready(bot, marks[number], timeout)
    for bot, mark in zip(bots, marks, strict=True):
        await _ready(bot, mark, timeout)
    await emu.wait_until_ready(timeout=timeout)


async def _ready(bot: BotProcess, mark: int, timeout: float) -> None:  # noqa: ASYNC109 - as the harness's waits
    try:
        await bot.wait_for_output(r"ready as .* in \d+ servers", timeout=timeout, after=mark)
    except TimeoutError:
        raise TimeoutError(f"{bot.name} was not ready within {timeout:.0f} s:\n{bot.tail()}") from None


async def measure(
    servers: int = 6000,
    *,
    shard_count: int = 6,
    ranges: Sequence[str] | None = None,
    kill: bool = False,
    lead: float = 90.0,
    database_url: str | None = None,
    work_dir: Path | None = None,
    members_per_guild: int = 2,
    max_concurrency: int = 1,
    share_by_servers: bool = False,
) -> Figures:
    """Run the cluster's fan-out once and return its figures. ``ranges``: one process per shard range of
    ``shard_count`` (by default three disjoint ones). ``kill``: SIGKILL the second process when half the servers
    have their post, then restart it. ``lead``: seconds from now to the due instant (every process should be ready
    before it). ``max_concurrency``: the IDENTIFYs Discord accepts per 5 s (the processes start together when it is
    at least the shard count). ``share_by_servers``: each process's RATE_SHARE is its share of the servers (by
    default, its share of the shards). ``database_url``: a database to use (the tests' own server's, migrated or not);
    else a throwaway PostgreSQL server is started for the run."""
    with contextlib.ExitStack() as stack:
        directory = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cluster-fanout-")))
        if database_url is None:
            server = PostgresServer.start()
            stack.callback(server.stop)
            admin = await asyncpg.connect(server.url())
            try:
                await admin.execute("CREATE DATABASE cluster_fanout")
            finally:
                await admin.close()
            database_url = server.url("cluster_fanout")
        chosen = tuple(ranges) if ranges is not None else disjoint_ranges(shard_count)
        return await _measure(
            servers,
            shard_count,
            chosen,
            kill,
            lead,
            database_url,
            directory,
            members_per_guild,
            max_concurrency,
            share_by_servers,
        )


async def _measure(
    servers: int,
    shard_count: int,
    ranges: tuple[str, ...],
    kill: bool,
    lead: float,
    url: str,
    directory: Path,
    members_per_guild: int,
    max_concurrency: int,
    share_by_servers: bool,
) -> Figures:
    world = World.generate(servers, members_per_guild=members_per_guild, seed=servers)
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=lead)).replace(microsecond=0)
    channels = await seed(url, world, due, now)
    covered = {shard for r in ranges for shard in parse_shards(r)}
    if covered != set(range(shard_count)):
        raise ValueError(f"the ranges {ranges} do not cover the {shard_count} shards")
    async with Emulator(world, request_log_size=20000) as emu:
        emu.rate_limits.enable(global_per_second=GLOBAL_LIMIT)
        emu.gateway.max_concurrency = max_concurrency
        base = emu.bot_env() | {
            "DATABASE_PATH": str(directory / "unused.sqlite3"),  # DATABASE_URL wins; nothing is written here
            "BACKUP_DIR": str(directory / "backups"),
            "DATA_DIR": str(REPO / "data"),
            "LOG_LEVEL": "INFO",
            "BACKUP_INTERVAL_HOURS": "0",
            "SHARD_COUNT": str(shard_count),
        }
        shares = servers_shares(channels, shard_count, ranges) if share_by_servers else {}
        bots = [
            BotProcess(
                env=base | {"SHARDS": r} | ({"RATE_SHARE": f"{shares[r]:.4f}"} if r in shares else {}),
                name=f"shards-{r}",
                stop_timeout=30,
                database_url=url,
            )
            for r in ranges
        ]
        arrivals = Arrivals(emu, set(channels.values()))
        memory: dict[str, float] = {}
        killed_at: int | None = None
        victim_posted: tuple[int, int] | None = None
        victim_channels = frozenset(
            channels[guild]
            for guild in channels
            if shard_of(guild, shard_count) in parse_shards(ranges[1 % len(ranges)])
        )
        if kill:
            # Killed halfway through its own servers, wherever the others have got to by then.
            arrivals.kill_at(victim_channels, max(1, len(victim_channels) // 2), bots[1 % len(bots)])
        before_requests, before_429 = emu.stats.total_requests, emu.stats.total_429
        floor = servers / GLOBAL_LIMIT
        started = time.monotonic()
        try:
            # A start on a busy 2-core machine: seconds per process, with its shards' IDENTIFYs paced.
            await start_processes(emu, bots, together=max_concurrency >= shard_count, timeout=max(60.0, lead))
            ready_seconds = time.monotonic() - started
            ready_before_due = datetime.now(UTC) < due
            # The fan-out at the bot's scheduled budget (46/s, under the floor's 50/s), three times over, and the
            # retries of a killed process's claims (15 s, then doubling).
            deadline = max(0.0, (due - datetime.now(UTC)).total_seconds()) + 3 * floor + 120
            if kill:
                victim = bots[1 % len(bots)]
                async with asyncio.timeout(deadline):
                    await arrivals.killed.wait()
                killed_at = len(arrivals.counts)
                victim_posted = (arrivals.posted_in(victim_channels), len(victim_channels))
                await victim.kill()
                # Its shards identified more than 5 s ago (at its start): it may identify again at once.
                await victim.start()
            await arrivals.wait_servers(servers, timeout=deadline)
            await wait_all_sent(url, servers, timeout=120)
            processes = (await status_json({**base, "DATABASE_URL": url}))["processes"]
            requests = emu.stats.total_requests - before_requests
            rate_limited = emu.stats.total_429 - before_429
            for r, bot in zip(ranges, bots, strict=True):
                memory[r] = peak_memory_mib(bot.pid)
        finally:
            for bot in bots:
                await bot.stop()
        await emu.wait_idle(timeout=30)
        for bot in bots:
            if bot.returncode != 0:
                raise RuntimeError(f"{bot.name} exited with {bot.returncode}:\n{bot.tail()}")
        emu.assert_clean()
        identify_too_soon = emu.stats.gateway["identify_too_soon"]
    claimed, foreign = await claims(url, shard_count)
    return Figures(
        servers=servers,
        shard_count=shard_count,
        ranges=ranges,
        seconds=arrivals.last - due.timestamp(),
        ready_seconds=ready_seconds,
        ready_before_due=ready_before_due,
        max_concurrency=max_concurrency,
        delivered=len(arrivals.counts),
        duplicates=sum(count - 1 for count in arrivals.counts.values()),
        losses=len(channels) - len(arrivals.counts),
        rows=await delivery_rows(url),
        claims_by_process=dict(claimed),
        foreign_claims=foreign,
        requests=requests,
        rate_limited=rate_limited,
        identify_too_soon=identify_too_soon,
        servers_by_process={
            r: sum(1 for guild in channels if shard_of(guild, shard_count) in parse_shards(r)) for r in ranges
        },
        rate_shares=shares,
        memory_mib=memory,
        processes=processes,
        warnings={bot.name: [line for line in bot.output.splitlines() if OVERLAP_WARNING in line] for bot in bots},
        killed_at=killed_at,
        victim_posted=victim_posted,
        outputs={bot.name: bot.output for bot in bots},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--servers", type=int, default=6000, help="subscribed servers (every server of the world)")
    parser.add_argument("--shard-count", type=int, default=6, help="the bot's shards (SHARD_COUNT)")
    parser.add_argument("--processes", nargs="+", help="one shard range per process, e.g. 0-1 2-3 4-5")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the second process halfway, restart it")
    parser.add_argument("--overlap", action="store_true", help="two processes with overlapping shards: 0-3 and 2-5")
    parser.add_argument("--lead", type=float, default=90.0, help="seconds from start to the due instant")
    parser.add_argument(
        "--max-concurrency", type=int, default=1, help="IDENTIFYs per 5 s; >= the shard count: start together"
    )
    parser.add_argument(
        "--share-by-servers", action="store_true", help="RATE_SHARE of each process: its share of the servers"
    )
    args = parser.parse_args()
    ranges = overlapping_ranges(args.shard_count) if args.overlap else disjoint_ranges(args.shard_count)
    if args.processes:
        ranges = tuple(args.processes)
    figures = asyncio.run(
        measure(
            args.servers,
            shard_count=args.shard_count,
            ranges=ranges,
            kill=args.kill,
            lead=args.lead,
            max_concurrency=args.max_concurrency,
            share_by_servers=args.share_by_servers,
        )
    )
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
