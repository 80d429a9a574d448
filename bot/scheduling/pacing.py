"""The process's one rate budget for scheduled work, kept under Discord's global limit (50 requests per second per
bot) without bursts.

discord.py handles the 429s it receives (per-route buckets and the global flag) but does nothing to avoid them; a
fan-out to thousands of servers would hit the global limit every second. ``Pacer`` spaces the start of each request
at least ``1 / per_second`` apart (a leaky bucket with no burst allowance, so a stall is never followed by a burst)
and limits how many are in flight.

``RateBudget`` is the one pacer of the process: every scheduled request (announcements, Discord events, study-group
prompts and recaps, streak nudges, the history reads that recover them, the admin DMs, the daily member check)
takes a turn from it, so however many features post at once they stay under ``SCHEDULED_PER_SECOND`` together;
the rest of Discord's 50/s is headroom for what is not scheduled. Per-route limits (5 messages per 5 s in one
channel, ...) are discord.py's: it waits for a route's bucket, and since ``max_ratelimit_timeout`` is set
(``bot/app.py``) a wait longer than that raises instead, which the runner treats as a transient failure of that one
item. A ``lane`` is a slower limit inside the budget for one kind of request (gateway member requests share 120
commands a minute per connection): each of its turns is also a turn of the budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

DISCORD_GLOBAL_PER_SECOND = 50
SCHEDULED_PER_SECOND = 46.0
"""Scheduled work's share of Discord's 50/s. Interaction callbacks and their follow-ups are not counted against the
global limit (on Discord as in the emulator), so the headroom is for the rest: requests commands make besides their
reply (member lookups for names, a DM), discord.py's retries, timer jitter. 4/s of it; 40/s would leave 10 but turn a
fan-out to 2,000 servers from 43.5 s into 50 s (1.25 x Discord's own 40 s floor)."""
DEFAULT_PER_SECOND = SCHEDULED_PER_SECOND
DEFAULT_CONCURRENCY = 32
"""Requests in flight at once: enough that a slow route (a 500 discord.py retries for 25 s) holds back nobody."""


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
        self.per_second = per_second
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


class RateBudget(Pacer):
    """The process's one pacer for scheduled requests (see the module docstring)."""

    def set_rate(self, per_second: float) -> None:
        """Pace at ``per_second`` from the next turn on (a process of a cluster whose share of the bot's servers
        changed). Lanes made earlier keep their own rate, each turn of theirs still a turn of this budget."""
        if not 0 < per_second <= DISCORD_GLOBAL_PER_SECOND:
            raise ValueError(f"per_second must be in (0, {DISCORD_GLOBAL_PER_SECOND}], got {per_second}")
        self.per_second = per_second
        self.interval = 1.0 / per_second

    def lane(self, per_second: float, concurrency: int = 1) -> Lane:
        """A slower limit for one kind of request; each of its turns is a turn of this budget too."""
        return Lane(self, per_second, concurrency)


class Lane:
    def __init__(self, budget: RateBudget, per_second: float, concurrency: int) -> None:
        if per_second > budget.per_second:
            raise ValueError(f"a lane ({per_second}/s) cannot be faster than its budget ({budget.per_second}/s)")
        self.budget = budget
        self._own = Pacer(per_second, concurrency, clock=budget._clock, sleep=budget._sleep)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        # The budget's turn first, the lane's last: the request follows the lane's turn at once, so the lane's
        # spacing holds where it matters (a budget turn taken early is at worst a turn unused).
        async with self.budget.slot(), self._own.slot():
            yield
