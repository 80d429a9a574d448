"""The APScheduler wrapper: stable job ids (rebuilding never duplicates), tracked tasks, a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduling.scheduler import JobScheduler
from bot.scheduling.tasks import TaskTracker


async def test_a_job_runs_at_its_time() -> None:
    scheduler = JobScheduler()
    scheduler.start()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    try:
        scheduler.at("test:soon", datetime.now(UTC) + timedelta(milliseconds=50), job)
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        await scheduler.shutdown()


async def test_a_job_that_fires_hours_late_still_runs() -> None:
    """The machine slept or the clock jumped: APScheduler would drop a job more than 1 s late by default; ours runs,
    and what it runs (a feed's sweep) decides by its grace what is posted late and what is skipped."""
    scheduler = JobScheduler()
    scheduler.start()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    try:
        scheduler.at("test:missed", datetime.now(UTC) - timedelta(hours=3), job)
        await asyncio.wait_for(ran.wait(), 5)
    finally:
        await scheduler.shutdown()


async def test_sync_keeps_stable_ids_and_removes_stale_jobs() -> None:
    scheduler = JobScheduler()
    scheduler.start()

    async def job() -> None:
        return None

    later = datetime.now(UTC) + timedelta(hours=1)
    wanted = {f"due:{n}": (later + timedelta(minutes=n), job) for n in range(3)}
    try:
        assert scheduler.sync("due:", wanted) == (3, 0)
        assert scheduler.sync("due:", wanted) == (0, 0)  # rebuilding again changes nothing
        scheduler.every("sweep", timedelta(minutes=10), job)
        del wanted["due:1"]
        assert scheduler.sync("due:", wanted) == (0, 1)
        assert scheduler.job_ids("due:") == {"due:0", "due:2"}
        assert scheduler.job_ids() == {"due:0", "due:2", "sweep"}
        with pytest.raises(ValueError, match="does not start with"):
            scheduler.sync("due:", {"other": (later, job)})
    finally:
        await scheduler.shutdown()


async def test_sync_keeps_a_job_that_is_due_but_has_not_fired_yet() -> None:
    """A feed's timer is due, but the loop has not got to it (it was busy); a reschedule meanwhile asks only for
    instants still ahead. Dropping the timer would lose that sweep: it is kept and runs as soon as it can."""
    scheduler = JobScheduler()
    scheduler.start()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    try:
        scheduler.at("due:now", datetime.now(UTC) - timedelta(milliseconds=1), job)
        scheduler.at("due:later", datetime.now(UTC) + timedelta(hours=1), job)
        # No await in between: APScheduler has not had a turn of the loop to run "due:now".
        assert scheduler.sync("due:", {}) == (0, 1)
        assert scheduler.job_ids("due:") == {"due:now"}
        await asyncio.wait_for(ran.wait(), 5)  # a deadline for a broken scheduler, not a pause: it runs at once
    finally:
        await scheduler.shutdown()


async def test_shutdown_cancels_and_awaits_running_work() -> None:
    scheduler = JobScheduler()
    scheduler.start()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def long_job() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler.at("test:long", datetime.now(UTC), long_job)
    await asyncio.wait_for(started.wait(), 5)
    await scheduler.shutdown()
    assert cancelled.is_set() and not scheduler.running and len(scheduler.tasks) == 0


async def test_a_failing_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskTracker()

    async def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="bot.scheduling.tasks"):
        tasks.spawn(broken(), name="broken-job")
        await tasks.wait_idle()
    assert "background task broken-job failed" in caplog.text and "boom" in caplog.text
    await tasks.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        tasks.spawn(broken(), name="too-late")
