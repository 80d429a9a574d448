"""The bot's periodic jobs as ``bot/app.py`` wires them: every one registered with the runner, each with a timeout but
the heartbeat, and the privacy retention sweep scheduled daily and run at start-up, where it forgets what /privacy
says is kept only for a while and delivery records long past."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BACKUP_JOB, HEARTBEAT_JOB, ImgBot
from bot.content import Content
from bot.knowledge.community import FORGET_JOB as COMMUNITY_FORGET_JOB
from bot.knowledge.repository import UNANSWERED_KEPT
from bot.knowledge.server_entries import RETENTION_JOB as SERVER_ENTRIES_JOB
from bot.mydates.service import PURGE_JOB as MYDATES_PURGE_JOB
from bot.privacy import RETENTION_JOB
from bot.quiz.group_timers import EXPIRY_JOB
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import SESSION_TTL
from bot.scheduling.delivery import DELIVERIES_KEPT, DeliveryRecord, DeliveryRepository, delivery_nonce
from bot.studygroups.reconcile import RECONCILE_JOB
from bot.studygroups.retention import PURGE_JOB
from tests.conftest import make_settings

SERVER = 4242


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[ImgBot]:
    instance = ImgBot(make_settings(tmp_path), content)
    # The client's own set-up (no login, no gateway): work that needs the gateway waits for a ready that never comes
    # and is cancelled at close, as in a bot that has not connected yet.
    async with instance:
        await instance.prepare()
        yield instance


async def test_every_worker_is_registered_and_all_but_the_heartbeat_have_a_timeout(bot: ImgBot) -> None:
    workers = {worker.name: worker for worker in bot.workers}
    assert set(workers) == {
        PURGE_JOB,
        RETENTION_JOB,
        RECONCILE_JOB,
        EXPIRY_JOB,
        HEARTBEAT_JOB,
        BACKUP_JOB,
        MYDATES_PURGE_JOB,
        SERVER_ENTRIES_JOB,
        COMMUNITY_FORGET_JOB,
    }
    assert workers[HEARTBEAT_JOB].timeout is None
    for name, worker in workers.items():
        if name != HEARTBEAT_JOB:
            assert worker.timeout is not None and worker.timeout > dt.timedelta(0), name
    backup_timeout = workers[BACKUP_JOB].timeout
    assert backup_timeout is not None and backup_timeout >= dt.timedelta(minutes=30), "backups may take minutes"
    retention = workers[RETENTION_JOB]
    assert retention.every == dt.timedelta(days=1) and retention.at_start and not retention.needs_ready
    # A server's own entries: it must know every server the bot is in before it may count one as left.
    server_entries = workers[SERVER_ENTRIES_JOB]
    assert server_entries.at_start and server_entries.needs_ready
    # Ask the community's askers are forgotten after 90 days: daily, and at start-up to catch up after downtime.
    forget = workers[COMMUNITY_FORGET_JOB]
    assert forget.every == dt.timedelta(days=1) and forget.at_start and not forget.needs_ready


async def test_a_process_of_a_cluster_without_shard_0_runs_only_the_jobs_of_its_own_servers(
    tmp_path: Path, content: Content
) -> None:
    """The jobs over the whole database run in the process with shard 0; the others keep their heartbeat and the
    jobs for their own servers (the member check, their knowledge entries' retention, their abandoned quizzes)."""
    instance = ImgBot(make_settings(tmp_path, shards="2-3", shard_count=4), content)
    async with instance:
        await instance.prepare()
        names = {worker.name for worker in instance.workers}
        assert names == {HEARTBEAT_JOB, RECONCILE_JOB, SERVER_ENTRIES_JOB, EXPIRY_JOB}


async def test_a_process_with_a_small_share_of_the_rate_budget_starts(tmp_path: Path, content: Content) -> None:
    """1 shard of 10 paces its scheduled work at 4.6/s, slower than the member lookups' own 5/s: their lane is capped
    at the budget instead of refusing to start (``Lane``: never faster than its budget)."""
    instance = ImgBot(make_settings(tmp_path, shards="3", shard_count=10), content)
    assert instance.settings.scheduled_rate_share == pytest.approx(0.1)
    async with instance:
        await instance.prepare()
        assert HEARTBEAT_JOB in {worker.name for worker in instance.workers}


async def test_the_privacy_retention_sweep_runs_at_start_up_and_then_daily(bot: ImgBot) -> None:
    now = dt.datetime.now(dt.UTC)
    readiness = ReadinessRepository(bot.db)
    stale, fresh = now - SESSION_TTL - dt.timedelta(hours=1), now - SESSION_TTL + dt.timedelta(hours=1)
    await readiness.put_session(111, {}, "step1", completed=False, started_at=stale, updated_at=stale)
    await readiness.put_session(222, {}, "step1", completed=False, started_at=fresh, updated_at=fresh)
    knowledge = bot.services.knowledge
    await knowledge.record_unanswered("an old question", SERVER, now - UNANSWERED_KEPT - dt.timedelta(hours=1))
    await knowledge.record_unanswered("a recent question", SERVER, now - dt.timedelta(days=1))
    deliveries = DeliveryRepository(bot.db)
    for key, when in (
        ("sg:recap:1:long-ago", now - DELIVERIES_KEPT - dt.timedelta(hours=1)),
        ("sg:recap:1:recent", now),
    ):
        posted = DeliveryRecord(key, "sg:1", SERVER, 7, "studygroup-recap", "1", 0, when, when, delivery_nonce(key))
        await deliveries.claim(posted, when)
        await deliveries.mark_sent(key, 1, when)

    runner = bot.services.runner
    # start() spawns the workers' start-up runs last and returns without awaiting: the task is still there below.
    await runner.start()
    next_run = runner.scheduler.next_run(RETENTION_JOB)
    assert next_run is not None
    assert abs(next_run - (now + dt.timedelta(days=1))) < dt.timedelta(minutes=1)
    # The start-up run needs no gateway: it runs now, in a task of its own, awaited here.
    [start_up] = [task for task in asyncio.all_tasks() if task.get_name() == f"{RETENTION_JOB}:start-up"]
    await start_up

    assert await readiness.get_session(111) is None, "an unfinished assessment past 30 days is forgotten"
    assert await readiness.get_session(222) is not None
    assert [q.question for q in (await knowledge.report(SERVER))[1]] == ["a recent question"]
    assert await deliveries.get("sg:recap:1:long-ago") is None, "a delivery record past 400 days is forgotten"
    assert await deliveries.get("sg:recap:1:recent") is not None
