"""/ask under open-loop load: the real bot process against the local Discord emulator, N interactions per second.

Run: .venv/bin/python bench/ask_load.py [--rate 50] [--seconds 60] [--guilds 40] [--members 30]
     (a smoke test: --rate 10 --seconds 3)

Open loop: interaction i is sent at start + i / rate whether or not earlier ones were answered, so a slow bot meets a
growing queue instead of a politely waiting client. Each one is a /ask with a question from
tests/retrieval/questions.yaml (in-scope and out-of-scope, about 1 in 5 private), from a different member in one of
the generated servers, taken in turn so no member comes near the per-user cooldown.

Callback latency = Interaction.callback_at - Interaction.delivered_at: from the INTERACTION_CREATE frame being handed
to the bot's gateway connection to the bot's interaction callback (its initial response) reaching the emulator's REST
handler. Errors: no answer within --timeout, an answer past Discord's 3 s deadline (the emulator refuses it with
10062), an answer that is not the knowledge answer (an error or cooldown message), contract violations, HTTP errors the
emulator returned to the bot, and ERROR lines in the bot's log. Also printed, to show the load generator and the
emulator kept up: how late interactions were sent against their schedule, the emulator process's event-loop lag, and
the CPU time of the bot and of this process (emulator and load generator) during the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from discord_emulator import Emulator, World  # noqa: E402
from discord_emulator.world import Channel, User  # noqa: E402
from tests.e2e.harness import BotProcess  # noqa: E402

READY_LINE = r"ready as .* in (\d+) servers"
TARGET_P99_MS = 200.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def questions() -> list[str]:
    data = yaml.safe_load((REPO / "tests/retrieval/questions.yaml").read_text(encoding="utf-8"))
    return [item["q"] for item in data["in_scope"]] + list(data["out_of_scope"])


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)
    no_answer: int = 0
    late: int = 0
    wrong_reply: int = 0
    examples: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


class LoopLag:
    """How late this process's event loop wakes a 5 ms sleeper: a busy emulator shows up here."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.samples.append((time.perf_counter() - before - 0.005) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def run(args: argparse.Namespace) -> int:
    asked = questions()
    rng = random.Random(args.seed)
    world = World.generate(guilds=args.guilds, members_per_guild=args.members, seed=args.seed)
    # Every (member, channel) pair that may use commands, shuffled, then taken in turn.
    askers = [
        (member.user, channel)
        for guild in world.bot_guilds()
        for member in guild.members.values()
        if not member.user.bot
        for channel in (guild.channel("general"), guild.channel("study-room"))
    ]
    rng.shuffle(askers)
    by_user: dict[int, list[float]] = {}
    total = round(args.rate * args.seconds)
    outcome = Outcome()
    lag = LoopLag()
    loadavg_before = load_average()
    with tempfile.TemporaryDirectory(prefix="ask-load-") as tmp:
        async with Emulator(world, contract_checks=not args.no_contract_checks) as emu:
            env = emu.bot_env() | {
                "DATABASE_PATH": str(Path(tmp) / "bot.sqlite3"),
                "DATA_DIR": str(REPO / "data"),
                "LOG_LEVEL": "INFO",
                "BACKUP_INTERVAL_HOURS": "0",
            }
            command = None
            if args.profile_bot:
                command = [sys.executable, "-m", "cProfile", "-o", str(args.profile_bot), "-m", "bot", "run"]
            bot = BotProcess(command, env=env, name="ask-load-bot", stop_timeout=30)
            await bot.start()
            try:
                await emu.wait_until_ready(timeout=60)
                await bot.wait_for_output(READY_LINE, timeout=60)
                assert bot.pid is not None
                # Warm-up, not counted: the first answers fill the search's caches as in a running bot.
                for index in range(args.warmup):
                    user, channel = askers[-1 - index % 10]
                    ix = await emu.slash("ask", {"question": asked[index % len(asked)]}, user=user, channel=channel)
                    await ix.response(timeout=args.timeout)
                # This process holds the world and the parsed OpenAPI spec; a full collection over them stalls the
                # emulator's event loop for ~25 ms, which would show up as the bot's latency. They live until the end.
                gc.collect()
                gc.freeze()
                violations_before = len(emu.violations)
                http_errors_before = sum(emu.stats.errors.values())
                log_lines_before = len(bot.output.splitlines())
                bot_cpu_before, own_cpu_before = process_cpu_seconds(bot.pid), own_cpu_seconds()

                async def one(index: int, due: float, user_channel: tuple[User, Channel]) -> None:
                    user, channel = user_channel
                    outcome.send_lag_ms.append((time.perf_counter() - due) * 1000)
                    question = asked[index % len(asked)]
                    private = index % 5 == 0
                    options = {"question": question, "private": True} if private else {"question": question}
                    ix = await emu.slash("ask", options, user=user, channel=channel)
                    by_user.setdefault(ix.user.id, []).append(due)
                    try:
                        reply = await ix.response(timeout=args.timeout)
                    except TimeoutError:
                        if ix.errors:
                            outcome.late += 1
                            outcome.problem(f"late: {'; '.join(ix.errors)}")
                        else:
                            outcome.no_answer += 1
                            outcome.problem(f"no answer to {question!r} within {args.timeout} s")
                        return
                    except Exception as exc:  # the emulator refused the answer (10062 past the deadline)
                        outcome.late += 1
                        outcome.problem(f"refused: {exc}")
                        return
                    if ix.callback_at is None or ix.delivered_at is None:
                        outcome.no_answer += 1
                        return
                    outcome.latencies_ms.append((ix.callback_at - ix.delivered_at) * 1000)
                    if not reply.embeds:
                        outcome.wrong_reply += 1
                        outcome.problem(f"not an answer to {question!r}: {reply.text[:120]!r}")

                lag.start()
                tasks: list[asyncio.Task[None]] = []
                start = time.perf_counter() + 0.05
                turn = itertools.cycle(askers)
                for index in range(total):
                    due = start + index / args.rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(one(index, due, next(turn))))
                sent_in = time.perf_counter() - start
                await asyncio.gather(*tasks)
                await lag.stop()
                bot_cpu = process_cpu_seconds(bot.pid) - bot_cpu_before
                own_cpu = own_cpu_seconds() - own_cpu_before
                violations = emu.violations[violations_before:]
                http_errors = sum(emu.stats.errors.values()) - http_errors_before
                new_lines = bot.output.splitlines()[log_lines_before:]
                bot_errors = [line for line in new_lines if " ERROR " in line or "Traceback" in line]
            finally:
                await bot.stop()
    if args.profile_bot:
        print(f"bot profile written to {args.profile_bot} (python -m pstats {args.profile_bot})")
    latencies = outcome.latencies_ms
    errors = outcome.no_answer + outcome.late + outcome.wrong_reply + len(violations) + http_errors + len(bot_errors)
    busiest = max((len(v) for v in by_user.values()), default=0)
    checks = "off" if args.no_contract_checks else "on"
    print(
        f"/ask open loop: {total} interactions at {args.rate:g}/s for {args.seconds:g} s, "
        f"{len(world.bot_guilds())} servers, {len(by_user)} members asking (at most {busiest} each), "
        f"contract checks {checks}"
    )
    if latencies:
        print(
            f"  callback latency  p50 {statistics.median(latencies):.1f} ms   p99 {percentile(latencies, 99):.1f} ms   "
            f"max {max(latencies):.1f} ms   (target p99 <= {TARGET_P99_MS:.0f} ms)"
        )
    print(
        f"  errors {errors}: no answer {outcome.no_answer}, late {outcome.late}, not an answer {outcome.wrong_reply}, "
        f"contract violations {len(violations)}, HTTP errors {http_errors}, bot log errors {len(bot_errors)}"
    )
    for text in outcome.examples + [str(v) for v in violations[:3]] + bot_errors[:3]:
        print(f"    {text}")
    print(
        f"  load generator: all sent in {sent_in:.2f} s; send lag p99 {percentile(outcome.send_lag_ms, 99):.1f} ms, "
        f"max {max(outcome.send_lag_ms):.1f} ms; emulator loop lag p99 {percentile(lag.samples, 99):.1f} ms, "
        f"max {max(lag.samples):.1f} ms"
    )
    seconds = max(sent_in, 1e-9)
    print(
        f"  CPU during the run: bot {bot_cpu:.1f} s ({bot_cpu / seconds:.0%} of a core), "
        f"emulator + load generator {own_cpu:.1f} s ({own_cpu / seconds:.0%} of a core)"
    )
    print(f"  load average before / after: {loadavg_before} / {load_average()}")
    return 0 if errors == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="interactions sent per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to keep sending")
    parser.add_argument("--guilds", type=int, default=40, help="servers in the generated world")
    parser.add_argument("--members", type=int, default=30, help="members per server (the owner and the bot included)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each answer")
    parser.add_argument("--warmup", type=int, default=20, help="sequential /ask before the measured run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-contract-checks", action="store_true", help="skip the OpenAPI checks of every request (they are on)"
    )
    parser.add_argument("--profile-bot", type=Path, help="run the bot under cProfile and write its profile here")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
