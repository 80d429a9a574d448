"""Fan-out figure: N subscribed servers, one event due in each at the same instant, against the emulator enforcing
Discord's global limit of 50 requests per second.

Run: .venv/bin/python bench/fanout.py [--servers 2000] [--lead 45] [--fail-rate 0.01 [--fail-seed 7]]
                                      [--rate-limited 0.01 [--rate-limited-for 60]]

The subscriptions and events are written straight into a fresh database before the bot starts (one #general per
server, reminder "0" so each server gets exactly one message), then the real bot process runs against the emulator.
Prints: time from the due instant until the last server had its message (and the floor, N / 50 s), duplicates,
losses, and the 429s the bot received out of its requests during the fan-out. With --fail-rate P the emulator answers
each of the bot's REST requests (every route, from login on) with a 500 Internal Server Error with probability P,
drawn from a generator seeded with --fail-seed, so a run can be repeated exactly; the 5xx count is printed too.
With --rate-limited S a share S of the servers' channels (drawn with --fail-seed) answer every post with a 429
(retry_after 60 s) for --rate-limited-for seconds from the due instant: the time for every other server is printed
against its floors (Discord's 50/s and the bot's scheduled budget), and the rate-limited ones must each get their
message once when their limit ends. Duplicates are counted after the bot reports nothing in flight and no retry
pending (its "scheduled work settled" line), not after a fixed wait.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.db.connection import open_database  # noqa: E402
from bot.db.timestamps import to_db  # noqa: E402
from bot.scheduling.pacing import SCHEDULED_PER_SECOND  # noqa: E402
from bot.text import escape_markdown  # noqa: E402
from discord_emulator import Emulator, World  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

GLOBAL_LIMIT = 50
EVENT_TITLE = "Fan-out mock exam"


@dataclass(frozen=True)
class Figures:
    guilds: int
    seconds: float
    """From the due instant until the last server had its message."""
    floor: float
    delivered: int
    duplicates: int
    losses: int
    requests: int
    rate_limited: int
    late_marked: int
    ready_seconds: float
    fail_rate: float
    server_errors: int
    """5xx the emulator injected during the fan-out."""
    rate_limited_servers: int
    """Servers whose channel answered 429 (retry_after 60 s) for ``rate_limited_for`` seconds from the due instant."""
    rate_limited_for: float
    rest_seconds: float
    """From the due instant until the last server that was not rate-limited had its message."""
    limited_after: float
    """From the end of the rate limit until the last rate-limited server had its message."""
    loadavg: str
    bot_report: str
    """The bot's own log lines for the run (the runner's sweep summaries, bot/scheduling/runner.py)."""

    @property
    def rate_limited_share(self) -> float:
        return self.rate_limited / self.requests if self.requests else 0.0

    def lines(self) -> list[str]:
        rest = self.guilds - self.rate_limited_servers
        budget_floor = rest / SCHEDULED_PER_SECOND
        limited = []
        if self.rate_limited_servers:
            limited = [
                f"rate-limited:         {self.rate_limited_servers} servers' channels answered 429 (retry_after 60 s) "
                f"for {self.rate_limited_for:.0f} s",
                f"the other {rest} after: {self.rest_seconds:.1f} s  (floor {rest / GLOBAL_LIMIT:.1f} s at "
                f"{GLOBAL_LIMIT}/s: {self.rest_seconds / (rest / GLOBAL_LIMIT):.2f} x; {budget_floor:.1f} s at the "
                f"bot's {SCHEDULED_PER_SECOND:.0f}/s budget: {self.rest_seconds / budget_floor:.2f} x)",
                f"rate-limited ones:    all delivered {self.limited_after:.1f} s after their limit ended",
            ]
        return [
            f"servers:              {self.guilds}",
            f"injected 5xx:         {self.fail_rate:.1%} of requests"
            + (f" ({self.server_errors} answered 500 during the fan-out)" if self.fail_rate else " (none)"),
            f"bot ready after:      {self.ready_seconds:.1f} s",
            *limited,
            f"all delivered after:  {self.seconds:.1f} s  (floor {self.floor:.1f} s at {GLOBAL_LIMIT}/s, "
            + (
                "the rate-limited ones after their limit)"
                if self.rate_limited_servers
                else f"target <= {1.1 * self.floor:.1f} s: {self.seconds / self.floor:.2f} x floor)"
            ),
            f"delivered:            {self.delivered}",
            f"duplicates:           {self.duplicates}",
            f"losses:               {self.losses}",
            f"429s received:        {self.rate_limited} of {self.requests} requests ({self.rate_limited_share:.2%})",
            f"marked late:          {self.late_marked}",
            f"bot's run report:     {self.bot_report}",
            f"load average:         {self.loadavg} (before / after)",
        ]


async def prepare_database(path: Path, world: World, due: datetime, now: datetime) -> list[int]:
    """One active subscription and one event (reminder 0, due at ``due``) per server; the #general channel ids."""
    conn = await open_database(path)
    channels = []
    try:
        stamp = to_db(now)
        for guild in world.bot_guilds():
            general = guild.channel("general")
            channels.append(general.id)
            await conn.execute(
                "INSERT INTO milestone_subscriptions (guild_id, channel_id, role_id, reminders, status, configured_by, "
                "active_since, created_at, updated_at) VALUES (?, ?, NULL, NULL, 'active', ?, ?, ?, ?)",
                (guild.id, general.id, guild.owner_id, stamp, stamp, stamp),
            )
            await conn.execute(
                "INSERT INTO server_events (guild_id, channel_id, title, description, starts_at, zone, reminders, "
                "status, created_by, created_at) VALUES (?, ?, ?, '', ?, 'UTC', '0', 'active', ?, ?)",
                (guild.id, general.id, EVENT_TITLE, to_db(due), guild.owner_id, stamp),
            )
        await conn.commit()
    finally:
        await conn.close()
    return channels


async def measure(
    guilds: int = 2000,
    *,
    members_per_guild: int = 100,
    lead: float = 45.0,
    work_dir: Path | None = None,
    fail_rate: float = 0.0,
    fail_seed: int = 7,
    rate_limited: float = 0.0,
    rate_limited_for: float = 60.0,
) -> Figures:
    """Run the fan-out once and return its figures. ``lead``: seconds from now to the due instant (the bot must be
    connected and ready before it). ``fail_rate``: probability that the emulator answers any REST request with a 500
    (seeded with ``fail_seed``). ``rate_limited``: the share of servers whose channel answers 429 (retry_after 60 s)
    for ``rate_limited_for`` seconds from the due instant (drawn with ``fail_seed``)."""
    loadavg_before = _load_average()
    world = World.generate(guilds=guilds, members_per_guild=members_per_guild, seed=1)
    with contextlib.ExitStack() as stack:
        directory = work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fanout-")))
        database = directory / "bot.sqlite3"
        now = datetime.now(UTC)
        due = (now + timedelta(seconds=lead)).replace(microsecond=0)
        channels = await prepare_database(database, world, due, now)
        wanted = set(channels)
        limited = set(random.Random(fail_seed).sample(channels, round(rate_limited * len(channels))))
        async with Emulator(world, request_log_size=20000, seed=fail_seed) as emu:
            emu.rate_limits.enable(global_per_second=GLOBAL_LIMIT)
            if fail_rate > 0:
                emu.faults.error("* /.*", 500, times=None, probability=fail_rate)
            limits = [
                emu.faults.rate_limit(f"POST /channels/{channel}/messages", retry_after=60, times=None)
                for channel in sorted(limited)
            ]
            limit_ends = due.timestamp() + rate_limited_for

            async def lift_limits() -> None:
                await asyncio.sleep(max(0.0, limit_ends - time.time()))
                for rule in limits:
                    emu.faults.rules.remove(rule)

            env = emu.bot_env() | {
                "DATABASE_PATH": str(database),
                "DATA_DIR": str(REPO / "data"),
                "LOG_LEVEL": "INFO",
                "BACKUP_INTERVAL_HOURS": "0",
            }
            bot = BotProcess(env=env, name="fanout-bot", stop_timeout=30)
            arrivals: Counter[int] = Counter()
            last_arrival = last_rest = last_limited = 0.0
            late_marked = 0
            all_in = asyncio.Event()

            async def watch() -> None:
                nonlocal last_arrival, last_rest, last_limited, late_marked
                async for event in emu.subscribe():
                    message = event.message
                    if event.kind != "MESSAGE_CREATE" or message.channel_id not in wanted:
                        continue
                    # The title is posted markdown-escaped ("Fan\\-out"), which members do not see.
                    if not any(escape_markdown(EVENT_TITLE) in (e.get("title") or "") for e in message.embeds):
                        continue
                    arrivals[message.channel_id] += 1
                    last_arrival = time.time()
                    if message.channel_id in limited:
                        last_limited = last_arrival
                    else:
                        last_rest = last_arrival
                    late_marked += any("Posted late" in (e.get("description") or "") for e in message.embeds)
                    if len(arrivals) == len(wanted):
                        all_in.set()

            watcher = asyncio.create_task(watch())
            lifter = asyncio.create_task(lift_limits())
            started = time.monotonic()
            await bot.start()
            try:
                await emu.wait_until_ready(timeout=max(30.0, lead))
                ready_seconds = time.monotonic() - started
                if datetime.now(UTC) >= due:
                    raise RuntimeError(f"the bot was ready only after the due instant; use a --lead above {lead}")
                before_requests, before_429 = emu.stats.total_requests, emu.stats.total_429
                before_5xx = emu.stats.total_5xx
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(all_in.wait(), timeout=(due - datetime.now(UTC)).total_seconds() + 300)
                # A second copy could only come from a retry still in flight: wait until the bot has none.
                with contextlib.suppress(TimeoutError):
                    await bot.wait_settled(sent_at_least=len(arrivals), timeout=120)
                requests = emu.stats.total_requests - before_requests
                rate_limited = emu.stats.total_429 - before_429
                server_errors = emu.stats.total_5xx - before_5xx
            finally:
                await bot.stop()
                for task in (watcher, lifter):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if bot.returncode not in (0, None):
                raise RuntimeError(f"the bot exited with {bot.returncode}:\n{bot.tail()}")
            reports = [
                line.split("announcements ", 1)[1]
                for line in bot.output.splitlines()
                if "announcements due" in line or "announcements retry" in line
            ]
            emu.assert_clean()
    return Figures(
        guilds=guilds,
        seconds=last_arrival - due.timestamp() if arrivals else float("nan"),
        floor=guilds / GLOBAL_LIMIT,
        delivered=len(arrivals),
        duplicates=sum(count - 1 for count in arrivals.values()),
        losses=len(wanted) - len(arrivals),
        requests=requests,
        rate_limited=rate_limited,
        late_marked=late_marked,
        ready_seconds=ready_seconds,
        fail_rate=fail_rate,
        server_errors=server_errors,
        rate_limited_servers=len(limited),
        rate_limited_for=rate_limited_for if limited else 0.0,
        rest_seconds=last_rest - due.timestamp() if last_rest else float("nan"),
        limited_after=last_limited - limit_ends if last_limited else float("nan"),
        loadavg=f"{loadavg_before} / {_load_average()}",
        bot_report="; ".join(reports) or "(none)",
    )


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--servers", "--guilds", dest="guilds", type=int, default=2000, help="subscribed servers")
    parser.add_argument("--members", type=int, default=100, help="members per server (World.generate)")
    parser.add_argument("--lead", type=float, default=45.0, help="seconds from start to the due instant")
    parser.add_argument(
        "--fail-rate", type=float, default=0.0, help="probability of a 500 for each REST request, e.g. 0.01"
    )
    parser.add_argument("--fail-seed", type=int, default=7, help="seed of the fault draws")
    parser.add_argument(
        "--rate-limited", type=float, default=0.0, help="share of servers whose channel answers 429, e.g. 0.01"
    )
    parser.add_argument("--rate-limited-for", type=float, default=60.0, help="seconds from the due instant")
    args = parser.parse_args()
    figures = asyncio.run(
        measure(
            args.guilds,
            members_per_guild=args.members,
            lead=args.lead,
            fail_rate=args.fail_rate,
            fail_seed=args.fail_seed,
            rate_limited=args.rate_limited,
            rate_limited_for=args.rate_limited_for,
        )
    )
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
