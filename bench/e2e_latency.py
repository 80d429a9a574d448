"""End-to-end latency of /ask: the real bot process against the local Discord emulator.

Run: .venv/bin/python bench/e2e_latency.py [--interactions 500] [--concurrency 20] [--contract-checks]
Prints the time from the bot process starting to ready, and p50 / p99 / max of the time from INTERACTION_CREATE
sent on the gateway to the interaction callback received over REST, for /ask questions sent N at a time, each from
the next of many members of a generated world (one member asking 500 times would meet the per-user cooldown and
measure its refusal instead); an answer that is not the knowledge answer counts as an error.
Contract (OpenAPI) checks are off by default: they measure the emulator, not the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.sandbox import Emulator, World  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def run(total: int, concurrency: int, contract_checks: bool) -> None:
    questions = [
        item["q"] for item in yaml.safe_load((REPO / "tests/retrieval/questions.yaml").read_text())["in_scope"]
    ]
    with tempfile.TemporaryDirectory() as tmp:
        world = World.generate(guilds=20, members_per_guild=30, seed=1)
        askers = [
            (member.user, guild.channel("general"))
            for guild in world.bot_guilds()
            for member in guild.members.values()
            if not member.user.bot
        ]
        async with Emulator(world, contract_checks=contract_checks) as emu:
            env = emu.bot_env() | {
                "DATABASE_PATH": str(Path(tmp) / "bot.sqlite3"),
                "DATA_DIR": str(REPO / "data"),
                "LOG_LEVEL": "WARNING",
            }
            bot = BotProcess(env=env, name="bench")
            started = time.monotonic()
            await bot.start()
            try:
                await emu.wait_until_ready(timeout=60)
                ready = time.monotonic() - started
                latencies: list[float] = []
                errors = 0
                limit = asyncio.Semaphore(concurrency)

                async def ask(index: int) -> None:
                    nonlocal errors
                    user, channel = askers[index % len(askers)]
                    async with limit:
                        try:
                            ix = await emu.slash(
                                "ask", {"question": questions[index % len(questions)]}, user=user, channel=channel
                            )
                            reply = await ix.response(timeout=10)
                        except Exception:
                            errors += 1
                            return
                        if not reply.embeds:
                            errors += 1
                            return
                        if ix.callback_at is None or ix.delivered_at is None:
                            errors += 1
                            return
                        latencies.append((ix.callback_at - ix.delivered_at) * 1000)

                wall = time.monotonic()
                await asyncio.gather(*(ask(i) for i in range(total)))
                wall = time.monotonic() - wall
            finally:
                await bot.stop()
    checks = "on" if contract_checks else "off"
    print(f"/ask end to end: {total} interactions, {concurrency} at a time, contract checks {checks}")
    print(f"  bot process start to ready: {ready:.2f} s")
    print(
        f"  INTERACTION_CREATE -> callback  p50 {statistics.median(latencies):.1f} ms   "
        f"p99 {percentile(latencies, 99):.1f} ms   max {max(latencies):.1f} ms"
    )
    print(f"  throughput {total / wall:.0f} interactions/s, errors {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--contract-checks", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.interactions, args.concurrency, args.contract_checks))


if __name__ == "__main__":
    main()
