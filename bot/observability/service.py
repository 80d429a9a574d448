"""Status for the running bot (``/status``, the heartbeat) and for another process reading its database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from bot.db.timestamps import Clock, utc_now
from bot.observability.repository import StatusRepository
from bot.observability.status import (
    HEARTBEAT_INTERVAL,
    RECENT_ERRORS,
    Heartbeat,
    LiveFigures,
    ProcessBeat,
    State,
    StatusMonitor,
    StatusReport,
)

log = logging.getLogger(__name__)

DELIVERY_WINDOW = dt.timedelta(hours=24)


async def stored_report(
    repository: StatusRepository,
    now: dt.datetime,
    errors: int = RECENT_ERRORS,
    processes: Sequence[ProcessBeat] = (),
) -> StatusReport:
    """What the database says: the last heartbeat, the deliveries of the last 24 hours, the last errors (and the
    processes of a cluster, read by the caller from ``status_processes``)."""
    return StatusReport(
        processes=tuple(processes),
        now=now,
        heartbeat=await repository.heartbeat(),
        deliveries=await repository.deliveries_since(now - DELIVERY_WINDOW),
        errors=await repository.recent_errors(errors),
        source="database",
        window=DELIVERY_WINDOW,
    )


class StatusService:
    """Writes the heartbeat every ``interval`` (and soon after an error), and builds the live report.

    ``probe`` measures the bot (latency, servers, jobs); it is the only link to discord.py, kept in bot/app.py.
    """

    def __init__(
        self,
        monitor: StatusMonitor,
        repository: StatusRepository,
        probe: Callable[[], LiveFigures],
        *,
        interval: dt.timedelta = HEARTBEAT_INTERVAL,
        clock: Clock = utc_now,
    ) -> None:
        self.monitor = monitor
        self.repository = repository
        self.probe = probe
        self.interval = interval
        self.clock = clock
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _error_noted(self) -> None:
        # Errors may be logged from worker threads (backups); the event belongs to the loop.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def beat(self, state: State = "running") -> Heartbeat:
        """Write a heartbeat now, with any errors noted since the last one."""
        beat = self.monitor.heartbeat(self.probe(), self.clock(), state)
        errors = self.monitor.take_unsaved()
        try:
            await self.repository.write(beat, errors)
        except BaseException:
            self.monitor.keep_unsaved(errors)
            raise
        return beat

    async def run(self) -> None:
        """Beat every ``interval`` until cancelled; an error wakes it early so the error is stored at once.
        A failed write is logged and tried again at the next beat."""
        self._loop = asyncio.get_running_loop()
        self.monitor.on_error = self._error_noted
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval.total_seconds())
                self._wake.clear()
                try:
                    await self.beat()
                except Exception:
                    # Logged as a warning: an error here would wake this loop again at once.
                    log.warning("could not write the status heartbeat", exc_info=True)
        finally:
            self.monitor.on_error = None

    async def live_report(self) -> StatusReport:
        """The running bot's own view: live figures and errors, plus the database's delivery counts."""
        now = self.clock()
        return StatusReport(
            now=now,
            heartbeat=self.monitor.heartbeat(self.probe(), now),
            deliveries=await self.repository.deliveries_since(now - DELIVERY_WINDOW),
            errors=self.monitor.recent_errors(),
            source="live",
            window=DELIVERY_WINDOW,
        )
