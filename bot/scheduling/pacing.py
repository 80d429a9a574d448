"""Pacing a fan-out so that it stays under Discord's global limit (50 requests per second per bot) without bursts.

discord.py handles the 429s it receives (per-route buckets and the global flag) but does nothing to avoid them; a
fan-out to thousands of servers would hit the global limit every second. ``Pacer`` spaces the start of each request
at least ``1 / per_second`` apart (a leaky bucket with no burst allowance, so a stall is never followed by a burst)
and limits how many are in flight, so a slow or retried request holds back the next ones instead of piling up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DISCORD_GLOBAL_PER_SECOND = 50
DEFAULT_PER_SECOND = 46.0
"""Below Discord's 50/s so that the bot's other traffic (DMs, command replies that are not interaction callbacks) and
timer jitter leave room."""
DEFAULT_CONCURRENCY = 8


class Pacer:
    def __init__(
        self,
        per_second: float = DEFAULT_PER_SECOND,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0 < per_second <= DISCORD_GLOBAL_PER_SECOND:
            raise ValueError(f"per_second must be in (0, {DISCORD_GLOBAL_PER_SECOND}], got {per_second}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(concurrency)

    async def _wait_turn(self) -> None:
        # The lock is held while sleeping on purpose: turns are handed out one at a time, on a fixed timeline.
        async with self._lock:
            now = self._clock()
            if self._next > now:
                await self._sleep(self._next - now)
                now = self._clock()
            # A wake-up a little late (timer overshoot) keeps the timeline, so overshoots do not add up to a slower
            # rate; after a real stall (more than one interval) the timeline restarts from now: no catch-up burst.
            # Either way each turn falls in its own slot, so any second holds at most per_second + 1 turns.
            behind = now - self._next
            self._next = (self._next if 0 <= behind < self.interval else now) + self.interval

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One request: waits for a free slot and for its turn, holds the slot until the block ends."""
        async with self._in_flight:
            await self._wait_turn()
            yield


async def fan_out(items: Iterable[T], worker: Callable[[T], Awaitable[None]], *, workers: int) -> int:
    """Run ``worker`` over ``items`` with at most ``workers`` at a time; a failing item is logged and the rest go on.

    Returns how many items failed. Pace inside ``worker`` (``Pacer.slot``) around the request itself only.
    """
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    failures = 0

    async def run() -> None:
        nonlocal failures
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await worker(item)
            except Exception:
                failures += 1
                log.exception("fan-out item %r failed; continuing with the others", item)

    await asyncio.gather(*(run() for _ in range(max(1, min(workers, queue.qsize())))))
    return failures
