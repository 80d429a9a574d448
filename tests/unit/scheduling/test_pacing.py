"""The rate budget under Discord's global limit: requests spaced evenly, never in bursts, a bounded number in flight,
headroom left for interaction replies, and lanes (slower limits) that take their turns from the one budget."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.scheduling.pacing import (
    DEFAULT_PER_SECOND,
    DISCORD_GLOBAL_PER_SECOND,
    SCHEDULED_PER_SECOND,
    Pacer,
    RateBudget,
)
from bot.scheduling.runner import run_each


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_starts_are_spaced_one_interval_apart() -> None:
    fake = FakeTime()
    pacer = Pacer(concurrency=10, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def request() -> None:
        async with pacer.slot():
            starts.append(fake.now)

    await asyncio.gather(*(request() for _ in range(120)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(1 / DEFAULT_PER_SECOND)
    # Any one-second window (Discord counts the global limit per second) holds fewer than 50 starts.
    busiest = max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts)
    assert busiest <= DEFAULT_PER_SECOND + 1 < DISCORD_GLOBAL_PER_SECOND


async def test_no_burst_after_a_stall() -> None:
    fake = FakeTime()
    pacer = Pacer(per_second=10, concurrency=1, clock=fake.clock, sleep=fake.sleep)
    async with pacer.slot():
        pass
    fake.now += 60  # nothing to send for a minute: no credit is saved up
    starts = []
    for _ in range(5):
        async with pacer.slot():
            starts.append(fake.now)
    assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [0.1] * 4


async def test_in_flight_requests_are_bounded() -> None:
    pacer = Pacer(per_second=50, concurrency=3)
    in_flight = peak = 0

    async def request() -> None:
        nonlocal in_flight, peak
        async with pacer.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.2)
            in_flight -= 1

    await asyncio.gather(*(request() for _ in range(12)))
    assert peak == 3


async def test_a_workers_items_go_on_after_a_failure() -> None:
    done: list[int] = []

    async def work(item: int) -> None:
        if item == 3:
            raise RuntimeError("one server is broken")
        done.append(item)

    failures = await run_each(list(range(10)), work, concurrency=4, what="test")
    assert failures == 1 and sorted(done) == [0, 1, 2, 4, 5, 6, 7, 8, 9]


def test_scheduled_work_leaves_headroom_under_discords_global_limit() -> None:
    assert DEFAULT_PER_SECOND == SCHEDULED_PER_SECOND <= DISCORD_GLOBAL_PER_SECOND - 4


async def test_a_lane_is_slower_and_its_turns_are_turns_of_the_budget() -> None:
    fake = FakeTime()
    budget = RateBudget(per_second=10, concurrency=8, clock=fake.clock, sleep=fake.sleep)
    lane = budget.lane(2.0, concurrency=2)
    lane_starts: list[float] = []
    budget_starts: list[float] = []

    async def slow() -> None:
        async with lane.slot():
            lane_starts.append(fake.now)

    async def fast() -> None:
        async with budget.slot():
            budget_starts.append(fake.now)

    await asyncio.gather(*(slow() for _ in range(5)), *(fast() for _ in range(20)))
    assert min(b - a for a, b in itertools.pairwise(lane_starts)) >= 0.5 - 1e-9
    # Every lane request took a turn of the budget too: together they stay within the budget (plus at most the
    # lane's own rate, for a turn taken before the lane let the request go).
    every = sorted(lane_starts + budget_starts)
    assert max(sum(1 for t in every if start <= t < start + 1.0) for start in every) <= 10 + 2 + 1
    with pytest.raises(ValueError, match="faster than its budget"):
        budget.lane(20.0)


def test_refuses_a_rate_above_discords_limit() -> None:
    with pytest.raises(ValueError, match="per_second"):
        Pacer(per_second=60)


async def test_timer_overshoot_does_not_slow_the_rate_down() -> None:
    fake = FakeTime()

    async def late_sleep(seconds: float) -> None:
        fake.now += seconds + 0.004  # every wake-up 4 ms late, as on a busy event loop
        await asyncio.sleep(0)

    pacer = Pacer(per_second=40, concurrency=4, clock=fake.clock, sleep=late_sleep)
    starts: list[float] = []

    async def request() -> None:
        async with pacer.slot():
            starts.append(fake.now)

    await asyncio.gather(*(request() for _ in range(200)))
    assert (len(starts) - 1) / (starts[-1] - starts[0]) == pytest.approx(40, rel=0.01)
    assert max(sum(1 for s in starts if t <= s < t + 1.0) for t in starts) <= 41
