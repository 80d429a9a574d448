"""What `PRAGMA synchronous = FULL` costs the delivery journal, against NORMAL, on this machine's disk.

Run: .venv/bin/python bench/db_sync.py [--deliveries 500] [--rounds 3] [--dir var]

Each round opens a fresh database (``open_database``: WAL, the real schema) in a temporary directory under ``--dir``
(default the repository's ``var/``, where the bot keeps its database, so the figure is for the disk the bot writes
to and not a tmpfs), sets one mode, and makes ``--deliveries`` deliveries the way the runner does: a claim committed
before the send and the sent mark committed after it, two commits each. NORMAL and FULL alternate round by round, so a
busy moment of the machine does not land on one mode alone. Prints, per mode, the median of the rounds: commits per
second and the time of one commit (p50 / p99), and FULL's cost per delivery against NORMAL's; and the load average
before and after.

Why it matters: in WAL mode with NORMAL, a commit is not fsynced (only checkpoints are), so a power cut or an OS
crash can lose the last commits: a claim whose message was posted comes back unclaimed, and nothing then looks for
that message before it is sent again. FULL fsyncs the WAL at every commit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.db.connection import SYNCHRONOUS, open_database  # noqa: E402
from bot.scheduling.delivery import DeliveryRecord, DeliveryRepository, delivery_nonce  # noqa: E402

MODES = ("NORMAL", "FULL")
START = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Round:
    mode: str
    commits: int
    seconds: float
    commit_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.commits / self.seconds


def record(n: int) -> DeliveryRecord:
    key = f"bench:{n}"
    return DeliveryRecord(
        key=key,
        group_key=key,
        guild_id=1 + n,
        channel_id=2,
        target_kind="milestone",
        target_ref=str(n),
        offset_seconds=0,
        occurs_at=START,
        fire_at=START,
        nonce=delivery_nonce(key),
    )


async def one_round(directory: Path, mode: str, deliveries: int) -> Round:
    conn = await open_database(directory / f"bench-{mode.lower()}.sqlite3")
    try:
        await conn.execute(f"PRAGMA synchronous = {mode}")
        async with conn.execute("PRAGMA synchronous") as cursor:
            row = await cursor.fetchone()
        assert row is not None and int(row[0]) == {"NORMAL": 1, "FULL": 2}[mode], row
        repo = DeliveryRepository(conn)
        timings: list[float] = []
        began = time.perf_counter()
        for n in range(deliveries):
            now = START + timedelta(seconds=n)
            before = time.perf_counter()
            assert await repo.claim(record(n), now)
            middle = time.perf_counter()
            await repo.mark_sent(record(n).key, 10_000 + n, now)
            after = time.perf_counter()
            timings += [(middle - before) * 1000, (after - middle) * 1000]
        elapsed = time.perf_counter() - began
    finally:
        await conn.close()
    return Round(mode, 2 * deliveries, elapsed, timings)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500, help="deliveries per round (2 commits each)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode")
    parser.add_argument("--dir", type=Path, default=REPO / "var", help="where the temporary databases go")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rounds: dict[str, list[Round]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="db-sync-", dir=args.dir) as tmp:
        for n in range(args.rounds):
            for mode in MODES if n % 2 == 0 else reversed(MODES):
                rounds[mode].append(await one_round(Path(tmp) / str(n), mode, args.deliveries))
    print(f"{args.deliveries} deliveries (claim + sent mark: 2 commits each) per round, {args.rounds} rounds per mode")
    per_delivery: dict[str, float] = {}
    for mode in MODES:
        rate = statistics.median(r.per_second for r in rounds[mode])
        p50 = statistics.median(percentile(r.commit_ms, 0.50) for r in rounds[mode])
        p99 = statistics.median(percentile(r.commit_ms, 0.99) for r in rounds[mode])
        per_delivery[mode] = 2000 / rate
        print(f"{mode:6} {rate:8.0f} commits/s   one commit p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    extra = per_delivery["FULL"] - per_delivery["NORMAL"]
    print(
        f"FULL costs {extra:.2f} ms more per delivery ({per_delivery['FULL']:.2f} against {per_delivery['NORMAL']:.2f}"
        f" ms); the bot uses {SYNCHRONOUS}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
