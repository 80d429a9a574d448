"""What a server's own knowledge entries cost /ask, for the fullest server: 200 entries of about 4,000 characters.

Run: .venv/bin/python bench/server_entries.py [--rounds N]
Prints the time to build the server's index (its first question after a start; the bot does it on a thread), to
rebuild it after one entry changed (the unchanged entries' words are reused), and the search latency per question,
p50 / p99 / max, over questions that match an entry, match none, or name one outright, asked N times each. The
entries' text is made of the curated entries' own sentences, so the tokenizer meets the words it meets in real use.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.knowledge.loader import load_knowledge_base  # noqa: E402
from bot.knowledge.server_entries import MAX_ANSWER_CHARS, MAX_ENTRIES, ServerEntry, ServerEntryIndex  # noqa: E402


def full_server(rng: random.Random) -> list[ServerEntry]:
    words = " ".join(e.body for e in load_knowledge_base(REPO / "data" / "knowledge").entries).split()
    now = dt.datetime.now(dt.UTC)

    def text(count: int) -> str:
        start = rng.randrange(len(words) - count)
        return " ".join(words[start : start + count])

    return [
        ServerEntry(
            number,
            1,
            f"{text(4)[:90]} {number}",
            tuple(text(2)[:60] for _ in range(5)),
            text(700)[:MAX_ANSWER_CHARS],
            None,
            1,
            now,
            1,
            now,
        )
        for number in range(MAX_ENTRIES)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(1)
    entries = full_server(rng)
    started = time.perf_counter()
    index = ServerEntryIndex(entries)
    build = time.perf_counter() - started
    edited = dataclasses.replace(
        entries[0], answer=entries[1].answer, updated_at=entries[0].updated_at.replace(year=2099)
    )
    started = time.perf_counter()
    ServerEntryIndex([edited, *entries[1:]], index)
    rebuild = time.perf_counter() - started
    questions = [
        "when is the study hall open tonight",
        "how do i find a mentor for step 2 ck",
        entries[5].title,
        "best pizza",
        "what documents do i need for ecfmg certification and the visa",
    ]
    times = []
    for _ in range(args.rounds):
        for question in rng.sample(questions, len(questions)):
            started = time.perf_counter()
            index.search(question)
            times.append(time.perf_counter() - started)
    times.sort()
    print(f"{len(entries)} entries, {sum(len(e.answer) for e in entries):,} characters of answers")
    print(f"build {build * 1000:.0f} ms; rebuild after one edit {rebuild * 1000:.1f} ms")
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"search per question ({len(times)}): p50 {statistics.median(times) * 1e6:.0f} us, "
        f"p99 {p99 * 1e6:.0f} us, max {times[-1] * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
