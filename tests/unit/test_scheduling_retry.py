"""RetryBackoff: a run that left deliveries Discord refused for now is run again soon, on a doubling backoff up to a
cap, through one job with a stable id; a run that left nothing resets the delay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.scheduling import DEFAULT_FIRST_RETRY, JobScheduler, RetryBackoff

JOB = "feature:retry"


@pytest.fixture
async def scheduler() -> AsyncIterator[JobScheduler]:
    running = JobScheduler()
    running.start()
    try:
        yield running
    finally:
        await running.shutdown()


async def never_called() -> None:
    raise AssertionError("the retry job must not run during this test")


def assert_armed(scheduler: JobScheduler, before: datetime, delay: timedelta) -> None:
    """The retry job runs `delay` after the moment it was armed, which lies between `before` and now."""
    run_at = scheduler.next_run(JOB)
    assert run_at is not None, "no retry job armed"
    assert before + delay <= run_at <= scheduler.now() + delay


async def test_retries_start_at_15_s_double_up_to_the_cap_and_reset_after_a_clean_run(scheduler: JobScheduler) -> None:
    backoff = RetryBackoff(scheduler, JOB, never_called, cap=timedelta(minutes=1))
    assert backoff.first == DEFAULT_FIRST_RETRY == timedelta(seconds=15)
    delays = []
    for to_retry in (3, 1, 1, 1, 1):
        before = scheduler.now()
        delay = backoff.after_run(to_retry)
        assert delay is not None
        assert_armed(scheduler, before, delay)
        delays.append(delay.total_seconds())
    assert delays == [15, 30, 60, 60, 60]
    assert scheduler.job_ids("feature:") == {JOB}, "arming again replaces the job, never adds a second"
    assert backoff.after_run(0) is None
    assert backoff.next_delay == timedelta(seconds=15)
    before = scheduler.now()
    assert backoff.after_run(2) == timedelta(seconds=15)
    assert_armed(scheduler, before, timedelta(seconds=15))


async def test_the_armed_job_runs_the_feature_again() -> None:
    scheduler = JobScheduler()
    scheduler.start()
    ran = asyncio.Event()

    async def run() -> None:
        ran.set()

    try:
        backoff = RetryBackoff(scheduler, JOB, run, first=timedelta(milliseconds=50), cap=timedelta(seconds=1))
        assert backoff.after_run(1) == timedelta(milliseconds=50)
        async with asyncio.timeout(10):
            await ran.wait()
        assert scheduler.job_ids(JOB) == set(), "a one-off job"
    finally:
        await scheduler.shutdown()


def test_nothing_is_armed_and_the_delay_kept_while_the_scheduler_is_stopped() -> None:
    # A run outside the bot's lifetime (a command-line run, a unit test) must not start timers.
    scheduler = JobScheduler()
    backoff = RetryBackoff(scheduler, JOB, never_called, cap=timedelta(minutes=5))
    assert backoff.after_run(4) is None
    assert backoff.next_delay == timedelta(seconds=15)
    assert scheduler.job_ids() == set()


@pytest.mark.parametrize(
    ("first", "cap"),
    [
        (timedelta(0), timedelta(minutes=5)),
        (timedelta(seconds=-1), timedelta(minutes=5)),
        (timedelta(minutes=6), timedelta(minutes=5)),
    ],
)
def test_delays_must_be_positive_and_the_first_within_the_cap(first: timedelta, cap: timedelta) -> None:
    with pytest.raises(ValueError, match="first"):
        RetryBackoff(JobScheduler(), JOB, never_called, first=first, cap=cap)
