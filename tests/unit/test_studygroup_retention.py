"""Members leaving a server: the retention job deletes their data there once the server's period is over, runs
under one stable job id and once at start-up, and a member who comes back first keeps everything."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiosqlite
import pytest

from bot.db.connection import open_database
from bot.privacy import privacy_sections
from bot.scheduling import DeliveryRecord, DeliveryRepository, JobScheduler, delivery_nonce
from bot.studygroups.models import (
    CheckInEntry,
    GroupCreateOptions,
    MemberSettingsOptions,
    RetentionOptions,
    parse_with_clock,
)
from bot.studygroups.nudges import nudge_delivery_key
from bot.studygroups.repository import NUDGE_TARGET_KIND, StudyGroupRepository
from bot.studygroups.retention import PURGE_JOB, RetentionPurger
from bot.studygroups.service import StudyGroupService

GUILD, CHANNEL = 1183449152834830386, 1183449153304596563
ALICE, BOB = 402117894126911488, 402117894126911499
START = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def conn() -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(":memory:")
    try:
        yield connection
    finally:
        await connection.close()


async def count(conn: aiosqlite.Connection, sql: str, *args: object) -> int:
    async with conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def test_purge_runs_at_start_and_under_one_job_and_deletes_after_the_period(
    conn: aiosqlite.Connection,
) -> None:
    clock = Clock()
    service = StudyGroupService(StudyGroupRepository(conn), clock)
    options = parse_with_clock(GroupCreateOptions, clock(), name="Crew", channel_id=CHANNEL, timezone="UTC")
    await service.create_group(GUILD, options, creator_id=ALICE)
    await service.set_retention(GUILD, parse_with_clock(RetentionOptions, clock(), days=2))
    await service.update_settings(BOB, parse_with_clock(MemberSettingsOptions, clock(), timezone="UTC", nudge=True))
    for user in (ALICE, BOB):
        await service.check_in(GUILD, user, CheckInEntry.model_validate({"studied": "renal"}), channel_id=CHANNEL)
    # Bob was nudged once; that record names him too.
    key = nudge_delivery_key(BOB, clock().date())
    await DeliveryRepository(conn).claim(
        DeliveryRecord(
            key, f"sg-nudge:{BOB}", 0, 0, NUDGE_TARGET_KIND, str(BOB), 0, clock(), clock(), delivery_nonce(key)
        ),
        clock(),
    )
    await service.member_left(GUILD, BOB)
    await service.member_left(GUILD, ALICE)
    clock.now += dt.timedelta(days=1)
    assert await service.member_returned(GUILD, ALICE) == 1

    clock.now += dt.timedelta(days=1, minutes=1)  # Bob's two days are over while the bot was down
    scheduler = JobScheduler()
    purger = RetentionPurger(service, scheduler)
    try:
        await purger.start()
        await purger.start()
        assert scheduler.job_ids("sg:purge") == {PURGE_JOB}
        next_run = scheduler.next_run(PURGE_JOB)
        assert next_run is not None and next_run - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
        await scheduler.tasks.wait_idle()  # the start-up catch-up run
    finally:
        await scheduler.shutdown()

    for table in ("study_checkins", "study_group_members", "study_member_settings", "study_departures"):
        assert await count(conn, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", BOB) == 0, table
    assert await count(conn, "SELECT COUNT(*) FROM deliveries WHERE target_ref = ?", str(BOB)) == 0
    # Alice came back in time: her check-in and her group are still there.
    assert (await service.progress(GUILD, ALICE)).days == 1
    assert len(await service.my_groups(GUILD, ALICE)) == 1
    # Running again deletes nothing twice.
    again = await purger.run()
    assert again.purge.members == 0 and again.nudge_records_forgotten == 0


async def test_members_who_never_used_study_groups_leave_and_join_without_a_trace(conn: aiosqlite.Connection) -> None:
    service = StudyGroupService(StudyGroupRepository(conn), Clock())
    assert await service.member_left(GUILD, ALICE) == 0
    assert await service.member_returned(GUILD, ALICE) == 0
    assert await count(conn, "SELECT COUNT(*) FROM study_departures") == 0


def test_privacy_states_the_servers_retention_or_the_default() -> None:
    in_dm = dict(privacy_sections(None))["How long"]
    assert "the server's retention period (30 days unless the server changed it)" in in_dm
    assert "this server's retention period: **7 days**" in dict(privacy_sections(7))["How long"]
    assert "**1 day**" in dict(privacy_sections(1))["How long"]
    assert "**0 days**, so soon after you leave" in dict(privacy_sections(0))["How long"]
    assert all(len(body) <= 1024 for days in (None, 0, 365) for _, body in privacy_sections(days))
