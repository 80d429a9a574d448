"""Knowledge search figures: latency per question over the retrieval sets, and the time to load and index.

Run: .venv/bin/python bench/kb_search.py [--rounds N] [--dump FILE] [--check-against FILE]
Prints p50 / p99 / max search latency per question (every question of tests/retrieval/ and its fresh/ rounds, in
scope and out of scope, asked N times in shuffled order), and the CPU time each search took (what it costs whatever
else the machine runs); the cold time to load and validate all content (what start-up waits for); and the cold time
until search is ready (the word index and the embedding model, built on a thread of their own while start-up goes
on; the first search waits for them if they are not ready yet).

--dump FILE writes what search answers for every one of those questions (top 5 entries with their scores, the
confidence, whether it answers) as JSON lines; --check-against FILE compares today's answers with such a file and
exits 1 on any difference (ids exact, scores within 1e-9). A change meant to make search faster, not different, is
checked this way: dump on the commit before it, check after. Either option skips the timings.
"""

from __future__ import annotations

import argparse
import json
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
from bot.knowledge.search import KnowledgeSearch  # noqa: E402

# Scores are sums of a few dozen floats: a faster way to the same sum may differ in the last bits, never more.
SCORE_TOLERANCE = 1e-9


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


def timed(search: KnowledgeSearch, asked: list[str]) -> tuple[list[float], list[float]]:
    """Each search's wall time and the CPU time of this thread during it, in ms. On a shared machine the wall time
    includes waiting for a core; the CPU time is what the search itself costs."""
    wall: list[float] = []
    cpu: list[float] = []
    for question in asked:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        search.search(question)
        cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
    return wall, cpu


def answers(search: KnowledgeSearch, asked: list[str]) -> list[dict[str, object]]:
    """What search answers for each question, in a form that compares exactly (see --check-against)."""
    found: list[dict[str, object]] = []
    for question in asked:
        result = search.search(question, limit=5)
        ranking = search.rank(question, limit=5)
        found.append(
            {
                "q": question,
                "terms": list(result.terms),
                "hits": [[hit.entry.id, hit.score] for hit in result.hits],
                "confidence": result.confidence,
                "answered": result.answered,
                "not_english": result.not_english,
                # The figures behind the hits, unrounded: a difference too small to change a rounded score shows.
                "ranking": [[r.entry.id, r.score, r.cover, r.meaning, r.substantial, r.named] for r in ranking.ranked],
            }
        )
    return found


def _same(want: object, got: object) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return abs(want - got) <= SCORE_TOLERANCE
    return type(want) is type(got) and want == got


def differences(expected: dict[str, object], actual: dict[str, object]) -> list[str]:
    """How one question's answer differs from the expected one: ids, flags and terms exactly, scores to 1e-9."""
    found = []
    for key in expected.keys() & actual.keys():
        want, got = expected[key], actual[key]
        if key in ("hits", "ranking"):
            # Rows of [entry id, figures...]: ids and flags exact, floats to SCORE_TOLERANCE.
            assert isinstance(want, list) and isinstance(got, list)
            same = len(want) == len(got) and all(
                len(w) == len(g) and all(_same(a, b) for a, b in zip(w, g, strict=True))
                for w, g in zip(want, got, strict=True)
            )
        else:
            same = _same(want, got)
        if not same:
            found.append(f"{key}: expected {want!r}, got {got!r}")
    return found


def check(search: KnowledgeSearch, asked: list[str], path: Path) -> int:
    """Compare today's answers with a dump; twice, the second time in reverse order with the caches filled, so an
    answer that depends on what was asked before shows too."""
    expected = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if [e["q"] for e in expected] != asked:
        print(f"{path} was dumped from other questions than tests/retrieval/ holds today")
        return 1
    cold = answers(search, asked)
    warm = answers(search, asked[::-1])[::-1]
    failures = 0
    for want, *gots in zip(expected, cold, warm, strict=True):
        for label, got in zip(("cold", "warm"), gots, strict=True):
            diff = differences(want, got)
            if diff:
                failures += 1
                print(f"{label}: {want['q']!r}\n  " + "\n  ".join(diff))
    print(f"checked {len(asked)} questions against {path}, cold and warm: {failures} differences")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dump", type=Path, help="write every question's answer to this file (JSON lines)")
    parser.add_argument("--check-against", type=Path, help="compare every question's answer with a --dump file")
    args = parser.parse_args()
    if args.dump or args.check_against:
        search = load_content(REPO / "data").knowledge.search_index
        if args.dump:
            lines = (json.dumps(answer) for answer in answers(search, questions()))
            args.dump.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        if args.check_against:
            sys.exit(check(search, questions(), args.check_against))
        return
    loadavg_before = load_average()

    content = load_content(REPO / "data")
    search = content.knowledge.search_index
    asked = questions()
    search.wait_until_ready()
    # First pass, caches empty (every question new to the process): what a member asking something never asked
    # before waits. Then the warm rounds: the per-word caches filled, as in a bot that has run for a while.
    cold, cold_cpu = timed(search, asked)
    timings: list[float] = []
    cpu: list[float] = []
    rng = random.Random(7)
    for _ in range(args.rounds):
        order = asked[:]
        rng.shuffle(order)
        wall, used = timed(search, order)
        timings += wall
        cpu += used
    print(f"knowledge search: {len(asked)} questions x {args.rounds} rounds = {len(timings)} searches")
    print(
        f"  first pass (cold caches)  p50 {percentile(cold, 50):.3f} ms   p99 {percentile(cold, 99):.3f} ms   "
        f"max {max(cold):.3f} ms"
    )
    print(
        f"  warm rounds               p50 {percentile(timings, 50):.3f} ms   p99 {percentile(timings, 99):.3f} ms   "
        f"max {max(timings):.3f} ms"
    )
    print(
        f"  CPU time of the searching thread, cold / warm: p50 {percentile(cold_cpu, 50):.3f} / "
        f"{percentile(cpu, 50):.3f} ms   p99 {percentile(cold_cpu, 99):.3f} / {percentile(cpu, 99):.3f} ms   "
        f"mean {statistics.mean(cold_cpu):.3f} / {statistics.mean(cpu):.3f} ms"
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
