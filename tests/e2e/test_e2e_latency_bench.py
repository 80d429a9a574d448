"""The code path of bench/e2e_latency.py, small: the floor (bench/floor_bot.py) and the real bot, each its own
process, both answer every /ask sent to the same emulator world, and each is measured."""

from __future__ import annotations

import pytest

from bench.e2e_latency import measure

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest.mark.heavy  # two bots under bursts of /ask: never beside another heavy test (tests/conftest.py)
async def test_the_floor_and_the_bot_answer_every_ask_of_the_same_world() -> None:
    report = await measure(interactions=20, concurrency=5, repeat=1, warmup=5)
    assert report.errors == 0 and report.members == 100
    for which in ("floor", "bot"):
        (burst,) = report.rounds[which]
        assert len(burst.latencies_ms) == 20 and burst.wall_s > 0 and burst.cpu_s >= 0
    assert len(report.ready_s) == 1
    assert report.ratio("p99") > 0 and report.ratio("throughput") > 0
    # Once ready, the bot keeps the garbage collector off its start-up objects (bot/startup_heap.py).
    assert "start-up objects moved out of the garbage collector's way" in report.bot_output
