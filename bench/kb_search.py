"""Knowledge search figures: latency per question over the retrieval sets, and the time to load and index.

Run: .venv/bin/python bench/kb_search.py [--rounds N]
Prints p50 / p99 / max search latency per question (every question of tests/retrieval/ and its fresh/ rounds, in
scope and out of scope, asked N times in shuffled order); the cold time to load and validate all content (what
start-up waits for); and the cold time until search is ready (the word index and the embedding model, built on a
thread of their own while start-up goes on; the first search waits for them if they are not ready yet).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.content import load_content  # noqa: E402


def questions() -> list[str]:
    found: list[str] = []
    for path in sorted((REPO / "tests" / "retrieval").glob("**/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [item["q"] for item in data.get("in_scope", [])]
        found += [item if isinstance(item, str) else item["q"] for item in data.get("out_of_scope", [])]
    return found


def cold_load_ms() -> tuple[float, float]:
    """Load, then wait for search, in fresh interpreters, so caches of this process do not flatter the figures."""
    code = (
        "import time, sys; sys.path.insert(0, {!r}); from pathlib import Path; "
        "from bot.content import load_content; t = time.perf_counter(); "
        "c = load_content(Path({!r})); loaded = time.perf_counter(); "
        "c.knowledge.search_index.wait_until_ready(); "
        "print((loaded - t) * 1000, (time.perf_counter() - t) * 1000)"
    ).format(str(REPO), str(REPO / "data"))
    runs = [subprocess.check_output([sys.executable, "-c", code], text=True).split() for _ in range(5)]
    return statistics.median(float(r[0]) for r in runs), statistics.median(float(r[1]) for r in runs)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    loadavg_before = load_average()

    content = load_content(REPO / "data")
    search = content.knowledge.search_index
    asked = questions()
    search.wait_until_ready()
    # First pass, caches empty (every question new to the process): what a member asking something never asked
    # before waits. Then the warm rounds: the per-word caches filled, as in a bot that has run for a while.
    cold: list[float] = []
    for question in asked:
        started = time.perf_counter_ns()
        search.search(question)
        cold.append((time.perf_counter_ns() - started) / 1e6)
    timings: list[float] = []
    rng = random.Random(7)
    for _ in range(args.rounds):
        order = asked[:]
        rng.shuffle(order)
        for question in order:
            started = time.perf_counter_ns()
            search.search(question)
            timings.append((time.perf_counter_ns() - started) / 1e6)
    print(f"knowledge search: {len(asked)} questions x {args.rounds} rounds = {len(timings)} searches")
    print(
        f"  first pass (cold caches)  p50 {percentile(cold, 50):.3f} ms   p99 {percentile(cold, 99):.3f} ms   "
        f"max {max(cold):.3f} ms"
    )
    print(
        f"  warm rounds               p50 {percentile(timings, 50):.3f} ms   p99 {percentile(timings, 99):.3f} ms   "
        f"max {max(timings):.3f} ms"
    )
    loaded, ready = cold_load_ms()
    print(
        f"  load + validate all content (cold, median of 5 processes): {loaded:.0f} ms "
        f"for {len(content.knowledge.knowledge)} entries"
    )
    print(f"  search ready (word index and embeddings, built beside start-up), from the same start: {ready:.0f} ms")
    print(f"  load average before / after: {loadavg_before} / {load_average()}")


if __name__ == "__main__":
    main()
