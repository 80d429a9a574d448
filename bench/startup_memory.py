"""Start-up time and resident memory of the real bot process in a big world (2,000 servers of 100 members; 5,000
with --servers 5000).

Run: .venv/bin/python bench/startup_memory.py [--servers 2000] [--members 100] [--settle 5]

The bot shards as Discord recommends (GET /gateway/bot: one shard per 1,000 servers) and, like every bot Discord has
not granted large-bot sharding, may IDENTIFY one shard per 5 seconds (session_start_limit.max_concurrency = 1), so its
N shards come up over (N - 1) x 5 s; each shard serves its servers from its own ready moment.

Start to ready, as measured here: from the moment the bot process is spawned until BOTH
  (a) the emulator has sent READY and every GUILD_CREATE to every shard and the bot has registered its commands (or
      found them unchanged), i.e. `Emulator.wait_until_ready()` returned, which happens only after `setup_hook`
      finished (database opened and migrated, scheduler jobs rebuilt from it, cogs loaded, commands checked), and
  (b) the bot has dispatched discord.py's `on_ready` (every shard has parsed READY and all its GUILD_CREATEs;
      announcements and other deliveries wait for their shard), seen as its log line "ready as ... in N servers"
      with N equal to the world's.
Each shard's own ready moment is its log line "shard K of N ready in M servers".
Resident memory: VmRSS of the bot process from /proc/PID/status right after ready and again after a settle period
(VmHWM, the peak, too). The bot's own start-up timings (content load, setup_hook) come from its log.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.fanout import prepare_database  # noqa: E402
from discord_emulator import Emulator, World  # noqa: E402
from discord_emulator.gateway import recommended_shards  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

READY_LINE = r"ready as .* in (\d+) servers"
# The targets of the README's rows: servers -> (start to ready in seconds, resident memory in MB).
TARGETS = {2000: (5.0, 150.0), 5000: (8.0, 200.0)}


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(f"{field} not in /proc/{pid}/status")


async def poll(condition: Callable[[], bool], since: float, bot: BotProcess, limit: float = 60.0) -> float:
    """Seconds from `since` until `condition` held (checked every 5 ms: emulator counters have no event to await)."""
    async with asyncio.timeout(limit):
        while not condition():
            if not bot.running:
                raise RuntimeError(f"the bot exited with {bot.returncode}:\n{bot.tail()}")
            await asyncio.sleep(0.005)
    return time.monotonic() - since


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass(frozen=True)
class ShardReady:
    shard: int
    count: int
    servers: int
    seconds: float


@dataclass(frozen=True)
class Figures:
    guilds: int
    members: int
    configured: bool
    world_seconds: float
    recommended_shards: int
    identify: float
    guild_creates_sent: float
    gateway_ready: float
    on_ready: float
    shards: list[ShardReady]
    identify_too_soon: int
    rss_ready_mib: float
    rss_settled_mib: float
    hwm_mib: float
    settle: float
    bot_timings: list[str]
    loadavg_before: str
    loadavg_after: str

    @property
    def start_to_ready(self) -> float:
        return max(self.gateway_ready, self.on_ready)

    def _target(self, index: int, unit: str) -> str:
        target = TARGETS.get(self.guilds)
        return f"   (target <= {target[index]:.0f} {unit})" if target else ""

    def lines(self) -> list[str]:
        shard_lines = [
            f"  shard {s.shard} of {s.count} ready in {s.servers} servers: {s.seconds:.2f} s" for s in self.shards
        ]
        rss = self.hwm_mib * 1.048576  # MiB -> MB, the unit of the target
        return [
            f"world: {self.guilds} servers x {self.members} members (built in {self.world_seconds:.1f} s, not counted)",
            "database: "
            + ("every server subscribed to announcements, one upcoming event each" if self.configured else "empty"),
            f"shards: {len(self.shards)} connected (GET /gateway/bot recommended {self.recommended_shards}); "
            f"IDENTIFYs sooner than Discord allows (one per 5 s): {self.identify_too_soon}",
            "start to ready = bot process spawned -> the emulator has sent READY and every GUILD_CREATE to every shard "
            "and the bot has registered (or checked) its commands after setup_hook, AND the bot logged on_ready in "
            "every server",
            f"  first IDENTIFY received:            {self.identify:.2f} s",
            *shard_lines,
            f"  last GUILD_CREATE sent:             {self.guild_creates_sent:.2f} s",
            f"  emulator ready (+ commands):        {self.gateway_ready:.2f} s",
            f"  on_ready in {self.guilds} servers:       {self.on_ready:.2f} s",
            f"  start to ready:                     {self.start_to_ready:.2f} s{self._target(0, 's')}",
            f"resident memory (VmRSS): {self.rss_ready_mib:.1f} MiB at ready, {self.rss_settled_mib:.1f} MiB after "
            f"{self.settle:.0f} s settle, peak (VmHWM) {self.hwm_mib:.1f} MiB = {rss:.1f} MB{self._target(1, 'MB')}",
            "bot's own timings: " + ("; ".join(self.bot_timings) or "(none logged)"),
            f"load average before / after: {self.loadavg_before} / {self.loadavg_after}",
        ]


async def measure(guilds: int, members: int, settle: float, *, configured: bool) -> Figures:
    loadavg_before = load_average()
    built = time.perf_counter()
    world = World.generate(guilds=guilds, members_per_guild=members, seed=1)
    world_seconds = time.perf_counter() - built
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        database = Path(tmp) / "bot.sqlite3"
        if configured:
            # Every server subscribed to milestone announcements with one event of its own a month away: the
            # scheduler has jobs to rebuild for all of them at start-up, and none fires during the measurement.
            now = datetime.now(UTC)
            await prepare_database(database, world, due=now + timedelta(days=30), now=now)
        async with Emulator(world, contract_checks=False) as emu:
            env = emu.bot_env() | {
                "DATABASE_PATH": str(database),
                "DATA_DIR": str(REPO / "data"),
                "LOG_LEVEL": "INFO",
                "BACKUP_INTERVAL_HOURS": "0",
            }
            bot = BotProcess(env=env, name="startup-bot", stop_timeout=30)
            started = time.monotonic()
            await bot.start()
            try:
                identify = await poll(lambda: emu.identify_count > 0, started, bot)
                guild_creates = emu.stats.gateway
                last_guild_create = asyncio.create_task(
                    poll(lambda: guild_creates["event:GUILD_CREATE"] >= guilds, started, bot)
                )

                async def gateway_ready() -> float:
                    await emu.wait_until_ready(timeout=90)
                    return time.monotonic() - started

                async def on_ready() -> float:
                    match = await bot.wait_for_output(READY_LINE, timeout=90)
                    if int(match.group(1)) != guilds:
                        raise RuntimeError(f"the bot was ready in {match.group(1)} servers, not {guilds}")
                    return time.monotonic() - started

                async def shard_ready(shard: int) -> ShardReady:
                    match = await bot.wait_for_output(rf"shard {shard} of (\d+) ready in (\d+) servers", timeout=90)
                    return ShardReady(shard, int(match.group(1)), int(match.group(2)), time.monotonic() - started)

                recommended = recommended_shards(guilds)
                # Awaited together (each watches the bot's output for its own line); gathered apart by type.
                both_ready = asyncio.gather(gateway_ready(), on_ready())
                shards_ready = asyncio.gather(*(shard_ready(n) for n in range(recommended)))
                (gateway_at, ready_at), shards = await asyncio.gather(both_ready, shards_ready)
                sent_at = await last_guild_create
                assert bot.pid is not None
                rss_ready = proc_status_kib(bot.pid, "VmRSS") / 1024
                await asyncio.sleep(settle)
                rss_settled = proc_status_kib(bot.pid, "VmRSS") / 1024
                hwm = proc_status_kib(bot.pid, "VmHWM") / 1024
            finally:
                await bot.stop()
            if bot.returncode not in (0, None):
                raise RuntimeError(f"the bot exited with {bot.returncode}:\n{bot.tail()}")
            too_soon = emu.stats.gateway["identify_too_soon"]
            timings = [
                line.split(": ", 1)[1]
                for line in bot.output.splitlines()
                if re.search(r"content loaded in|set up in|registered \d+ commands|commands unchanged", line)
            ]
    return Figures(
        guilds=guilds,
        members=members,
        configured=configured,
        world_seconds=world_seconds,
        recommended_shards=recommended,
        identify=identify,
        guild_creates_sent=sent_at,
        gateway_ready=gateway_at,
        on_ready=ready_at,
        shards=shards,
        identify_too_soon=too_soon,
        rss_ready_mib=rss_ready,
        rss_settled_mib=rss_settled,
        hwm_mib=hwm,
        settle=settle,
        bot_timings=timings,
        loadavg_before=loadavg_before,
        loadavg_after=load_average(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--servers", "--guilds", dest="guilds", type=int, default=2000, help="servers the bot is in")
    parser.add_argument("--members", type=int, default=100, help="members per server, the owner and the bot included")
    parser.add_argument(
        "--empty",
        action="store_true",
        help="start from an empty database (default: every server subscribed, with one upcoming event each)",
    )
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after ready before the second RSS reading")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.guilds, args.members, args.settle, configured=not args.empty))
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
