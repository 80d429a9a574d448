"""The status: snapshots, the heartbeat and errors in the database, the deliveries of the last 24 hours, display."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable

import aiosqlite
import asyncpg
import pytest

from bot.db.connection import Connection
from bot.db.timestamps import to_db
from bot.observability.context import interaction_fields, log_context
from bot.observability.repository import KEEP_ERRORS, StatusRepository
from bot.observability.service import StatusService, stored_report
from bot.observability.status import (
    STALE_AFTER,
    DeliveryCounts,
    ErrorCollector,
    ErrorNote,
    Heartbeat,
    LiveFigures,
    ShardFigures,
    StatusMonitor,
    StatusReport,
    custom_id_prefix,
    status_json,
    status_text,
)

NOW = dt.datetime(2026, 2, 16, 12, 0, tzinfo=dt.UTC)
STARTED = NOW - dt.timedelta(hours=3, minutes=25)
FIGURES = LiveFigures(latency=0.0425, guilds=2, jobs=17)


def heartbeat(beat_at: dt.datetime = NOW, state: str = "running", latency: float | None = 0.0425) -> Heartbeat:
    return Heartbeat(4242, state, STARTED, beat_at, latency, 2, 17)  # type: ignore[arg-type]


def report(beat: Heartbeat | None, errors: Iterable[ErrorNote] = (), source: str = "database") -> StatusReport:
    deliveries = [DeliveryCounts("milestone", sent=5, late=1, skipped=1, failed=1, pending=2), DeliveryCounts("event")]
    return StatusReport(NOW, beat, deliveries, list(errors), source)  # type: ignore[arg-type]


async def insert_delivery(
    conn: Connection,
    key: str,
    kind: str,
    status: str,
    finished: dt.datetime | None,
    *,
    late: bool = False,
    claimed: dt.datetime | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, "
        "occurs_at, fire_at, nonce, late, status, claimed_at, finished_at) "
        "VALUES (?, 'g', 1, 2, ?, 'r', 0, ?, ?, 'nonce', ?, ?, ?, ?)",
        (
            key,
            kind,
            to_db(NOW),
            to_db(NOW),
            int(late),
            status,
            to_db(claimed or finished or NOW),
            to_db(finished) if finished else None,
        ),
    )


# -- the monitor and its log handler --------------------------------------------------------------------------------


def test_error_collector_notes_errors_with_their_reference_and_where_never_who() -> None:
    monitor = StatusMonitor(STARTED, pid=1)
    logger = logging.getLogger("tests.status.collector")
    collector = ErrorCollector(monitor)
    logger.addHandler(collector)
    try:
        logger.warning("not an error")
        with log_context(interaction=1, command="/ask", user=555):
            try:
                raise RuntimeError("index not loaded")
            except RuntimeError:
                logger.exception("error %s in /ask (user %s)", "c0ffee", 555, extra={"reference": "c0ffee"})
        with log_context(job="sg:prompt:2"):
            logger.error("plain failure\nwith a second line")
    finally:
        logger.removeHandler(collector)
    newest, oldest = monitor.recent_errors()
    assert oldest.reference == "c0ffee" and oldest.summary == "/ask: RuntimeError: index not loaded"
    assert "555" not in oldest.summary
    assert newest.summary == "sg:prompt:2: plain failure" and len(newest.reference) == 6
    assert oldest.at.tzinfo is not None
    assert [n.reference for n in monitor.take_unsaved()] == ["c0ffee", newest.reference]
    assert monitor.take_unsaved() == []


def test_a_stored_summary_names_no_member() -> None:
    # error_log is not covered by /mydata export and delete: custom ids that carry a user id are cut to their name,
    # and a Discord id or "user ..." in the message is replaced.
    owner = 712345678901234567
    monitor = StatusMonitor(STARTED, pid=1)
    logger = logging.getLogger("tests.status.private")
    collector = ErrorCollector(monitor)
    logger.addHandler(collector)
    try:
        for payload in (
            {"id": 9, "type": 3, "data": {"custom_id": f"sg:share:{owner}"}, "user": {"id": str(owner)}},
            {"id": 10, "type": 5, "data": {"custom_id": f"{owner}"}, "member": {"user": {"id": str(owner)}}},
        ):
            with log_context(**interaction_fields(payload)):
                try:
                    raise LookupError(f"no progress for {owner} (user={owner})")
                except LookupError:
                    logger.exception("error in a view (interaction 9, user %s)", owner)
        logger.error("a nudge for user %s failed", 42)
    finally:
        logger.removeHandler(collector)
    summaries = [note.summary for note in reversed(monitor.recent_errors())]
    assert summaries == [
        "sg:share: LookupError: no progress for <id> (user <id>)",
        "modal: LookupError: no progress for <id> (user <id>)",
        "a nudge for user <id> failed",
    ]
    assert custom_id_prefix("quiz:group:17:3:2") == "quiz:group" and custom_id_prefix("kb:pathway") == "kb:pathway"


def test_unsaved_errors_are_bounded_before_the_first_heartbeat() -> None:
    monitor = StatusMonitor(STARTED, pid=7, keep=3)
    for n in range(50):
        monitor.note_error(ErrorNote(NOW, f"r{n}", "x"))
    unsaved = monitor.take_unsaved()
    assert [n.reference for n in unsaved] == ["r47", "r48", "r49"]
    monitor.note_error(ErrorNote(NOW, "r50", "x"))
    monitor.keep_unsaved(unsaved)  # the write failed: put back, ahead of the newer one, still bounded
    assert [n.reference for n in monitor.take_unsaved()] == ["r48", "r49", "r50"]


def test_monitor_keeps_only_the_last_errors_and_snapshots_live_figures() -> None:
    monitor = StatusMonitor(STARTED, pid=7, keep=3)
    for n in range(5):
        monitor.note_error(ErrorNote(NOW, f"r{n}", "x"))
    assert [n.reference for n in monitor.recent_errors()] == ["r4", "r3", "r2"]
    beat = monitor.heartbeat(FIGURES, NOW)
    assert beat == Heartbeat(7, "running", STARTED, NOW, 0.0425, 2, 17)
    with pytest.raises(ValueError, match="aware"):
        StatusMonitor(dt.datetime(2026, 1, 1))  # noqa: DTZ001 (naive on purpose)


# -- what is shown --------------------------------------------------------------------------------------------------


def test_running_means_a_recent_running_heartbeat() -> None:
    assert report(heartbeat()).running
    assert report(heartbeat(NOW - STALE_AFTER)).running
    assert not report(heartbeat(NOW - STALE_AFTER - dt.timedelta(seconds=1))).running
    assert not report(heartbeat(state="stopped")).running
    assert not report(None).running


def test_text_shows_every_figure() -> None:
    note = ErrorNote(NOW - dt.timedelta(minutes=5), "c0ffee", "/ask: RuntimeError: boom")
    text = status_text(report(heartbeat(NOW - dt.timedelta(seconds=30)), [note]))
    lines = text.splitlines()
    assert lines[0] == "Bot:             running (pid 4242, heartbeat 30s ago)"
    assert "Uptime:          3h 25m" in lines
    assert "Gateway latency: 42 ms" in lines
    assert "Servers:         2" in lines and "Scheduled jobs:  17" in lines
    assert "Deliveries in the last 24 hours:" in lines
    assert "  milestone reminders: 5 sent (1 late), 1 skipped, 1 failed, 2 pending" in lines
    assert "  server events:       0 sent, 0 skipped, 0 failed" in lines
    assert lines[-2:] == ["Last errors:", "  2026-02-16 11:55:00Z: [c0ffee] /ask: RuntimeError: boom"]


def test_text_for_a_stopped_dead_or_never_started_bot() -> None:
    stopped = status_text(report(heartbeat(NOW - dt.timedelta(hours=1), "stopped", None)))
    assert "stopped (pid 4242" in stopped and "Ran for:" in stopped and "2h 25m" in stopped
    assert "Gateway latency: not measured yet" in stopped
    dead = status_text(report(heartbeat(NOW - dt.timedelta(hours=1))))
    assert "not running (no heartbeat for too long" in dead and "heartbeat 1h 0m ago" in dead
    never = status_text(report(None))
    assert never.startswith("Bot: no heartbeat yet") and "  none" in never


def test_json_has_stable_keys_and_plain_values() -> None:
    document = status_json(report(heartbeat(NOW - dt.timedelta(seconds=30)), [ErrorNote(NOW, "abc123", "boom")]))
    assert document["running"] is True and document["source"] == "database"
    beat = document["heartbeat"]
    assert isinstance(beat, dict)
    assert beat["latency_ms"] == 42.5 and beat["age_seconds"] == 30.0 and beat["uptime_seconds"] == 12300.0
    assert beat["guilds"] == 2 and beat["jobs"] == 17 and beat["pid"] == 4242
    assert document["deliveries"] == {
        "milestone": {"sent": 5, "late": 1, "skipped": 1, "failed": 1, "pending": 2},
        "event": {"sent": 0, "late": 0, "skipped": 0, "failed": 0, "pending": 0},
    }
    assert document["errors"] == [{"at": NOW.isoformat(), "reference": "abc123", "summary": "boom"}]
    assert status_json(report(None))["heartbeat"] is None


# -- the database ---------------------------------------------------------------------------------------------------


async def test_heartbeat_is_one_row_replaced_at_every_beat(conn: Connection) -> None:
    repository = StatusRepository(conn)
    assert await repository.heartbeat() is None
    await repository.write(heartbeat(NOW - dt.timedelta(minutes=1), latency=None))
    await repository.write(heartbeat(NOW, latency=float("inf")))  # discord.py's "not measured yet"
    assert await repository.heartbeat() == heartbeat(NOW, latency=None)
    await repository.write(heartbeat(NOW))
    assert await repository.heartbeat() == heartbeat(NOW)
    async with conn.execute("SELECT COUNT(*) FROM status_heartbeat") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (1,)


async def test_errors_are_kept_newest_first_and_pruned(conn: Connection) -> None:
    repository = StatusRepository(conn)
    notes = [ErrorNote(NOW + dt.timedelta(seconds=n), f"{n:06x}", f"error {n}") for n in range(KEEP_ERRORS + 5)]
    await repository.write(heartbeat(), notes[:50])
    await repository.write(heartbeat(), notes[50:])
    recent = await repository.recent_errors(3)
    assert [n.summary for n in recent] == [f"error {n}" for n in (KEEP_ERRORS + 4, KEEP_ERRORS + 3, KEEP_ERRORS + 2)]
    async with conn.execute("SELECT COUNT(*) FROM error_log") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (KEEP_ERRORS,)


async def test_deliveries_of_the_last_24_hours_by_kind_and_outcome(conn: Connection) -> None:
    hour = dt.timedelta(hours=1)
    rows = [
        ("m1", "milestone", "sent", NOW - hour, False),
        ("m2", "milestone", "sent", NOW - 2 * hour, True),
        ("m3", "milestone", "sent", NOW - 25 * hour, False),  # too old
        ("m4", "milestone", "skipped", NOW - 3 * hour, False),
        ("m5", "milestone", "failed", NOW - 23 * hour, False),
        ("e1", "event", "failed", NOW - 30 * hour, False),  # too old
        ("p1", "studygroup-prompt", "sent", NOW - 5 * hour, True),
        ("p2", "studygroup-prompt", "skipped", NOW - 6 * hour, False),
        ("r1", "studygroup-recap", "sent", NOW - hour, False),
    ]
    for key, kind, status, finished, late in rows:
        await insert_delivery(conn, key, kind, status, finished, late=late)
    # Claimed and not finished: sending now, or waiting for a retry, is pending; a claim older than the window is a
    # leftover nobody will go back to, not pending for ever.
    await insert_delivery(conn, "m6", "milestone", "claimed", None, claimed=NOW - dt.timedelta(minutes=1))
    await insert_delivery(conn, "p3", "studygroup-prompt", "claimed", None, claimed=NOW - 23 * hour)
    await insert_delivery(conn, "d1", "discord-event", "claimed", None, claimed=NOW - 40 * hour)
    await conn.commit()

    counts = {c.kind: c for c in await StatusRepository(conn).deliveries_since(NOW - 24 * hour)}
    assert counts["milestone"] == DeliveryCounts("milestone", sent=2, late=1, skipped=1, failed=1, pending=1)
    assert counts["event"] == DeliveryCounts("event")
    assert counts["studygroup-prompt"] == DeliveryCounts("studygroup-prompt", sent=1, late=1, skipped=1, pending=1)
    assert counts["studygroup-recap"] == DeliveryCounts("studygroup-recap", sent=1)
    assert counts["discord-event"] == DeliveryCounts("discord-event")
    assert list(counts)[:4] == ["milestone", "event", "studygroup-prompt", "studygroup-recap"]


# -- the service ----------------------------------------------------------------------------------------------------


class SignallingRepository(StatusRepository):
    """A real repository that also says when it wrote, so a test can await the write."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.written = asyncio.Event()

    async def write(self, beat: Heartbeat, errors: Iterable[ErrorNote] = ()) -> None:
        await super().write(beat, errors)
        self.written.set()


async def test_an_error_is_stored_at_once_not_at_the_next_beat(conn: Connection) -> None:
    monitor = StatusMonitor(STARTED, pid=9)
    repository = SignallingRepository(conn)
    service = StatusService(monitor, repository, lambda: FIGURES, interval=dt.timedelta(hours=1), clock=lambda: NOW)
    runner = asyncio.create_task(service.run())
    try:
        await asyncio.sleep(0)  # let the loop start waiting
        monitor.note_error(ErrorNote(NOW, "feed01", "/ask: RuntimeError: boom"))
        await asyncio.wait_for(repository.written.wait(), 5)
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
    stored = await stored_report(repository, NOW)
    assert [n.reference for n in stored.errors] == ["feed01"]
    assert stored.heartbeat == Heartbeat(9, "running", STARTED, NOW, 0.0425, 2, 17) and stored.running
    assert monitor.on_error is None


async def test_a_failed_write_keeps_the_errors_for_the_next_beat(conn: Connection) -> None:
    monitor = StatusMonitor(STARTED, pid=9)
    service = StatusService(monitor, StatusRepository(conn), lambda: FIGURES, clock=lambda: NOW)
    monitor.note_error(ErrorNote(NOW, "aaaaaa", "first"))
    await conn.execute("DROP TABLE error_log")
    with pytest.raises((aiosqlite.OperationalError, asyncpg.UndefinedTableError)):
        await service.beat()
    assert [n.reference for n in monitor.take_unsaved()] == ["aaaaaa"]


async def test_live_report_uses_memory_for_the_bot_and_the_database_for_deliveries(
    conn: Connection,
) -> None:
    await insert_delivery(conn, "m1", "milestone", "sent", NOW - dt.timedelta(hours=1))
    await conn.commit()
    monitor = StatusMonitor(STARTED, pid=9)
    monitor.note_error(ErrorNote(NOW, "bbbbbb", "boom"))
    service = StatusService(monitor, StatusRepository(conn), lambda: FIGURES, clock=lambda: NOW)
    live = await service.live_report()
    assert live.source == "live" and live.running and live.heartbeat is not None
    assert live.heartbeat.guilds == 2 and live.heartbeat.latency == 0.0425
    assert live.deliveries[0] == DeliveryCounts("milestone", sent=1)
    assert [n.reference for n in live.errors] == ["bbbbbb"]
    assert "(pid 9, live)" in status_text(live)
    assert await StatusRepository(conn).heartbeat() is None  # a live report writes nothing


# -- shards ---------------------------------------------------------------------------------------------------------


def sharded(*shards: ShardFigures) -> Heartbeat:
    return dataclasses.replace(heartbeat(NOW - dt.timedelta(seconds=30)), shards=shards)


def test_text_shows_each_shard_with_its_state_latency_and_servers() -> None:
    beat = sharded(
        ShardFigures(0, "ready", 0.041, 1012),
        ShardFigures(1, "connecting", None, 0),
        ShardFigures(2, "disconnected", 0.25, 1),
    )
    lines = status_text(report(beat)).splitlines()
    assert "Gateway latency: 42 ms (average)" in lines
    assert "Shards:          3: 1 ready, 1 connecting, 1 disconnected" in lines
    start = lines.index("Gateway shards:")
    assert lines[start + 1 : start + 4] == [
        "  Shard 0: ready, 41 ms, 1,012 servers",
        "  Shard 1: connecting, not measured yet, 0 servers",
        "  Shard 2: disconnected, 250 ms, 1 server",
    ]
    assert lines[start + 4] == "Deliveries in the last 24 hours:"
    one = status_text(report(sharded(ShardFigures(0, "ready", 0.04, 2))))
    assert "Shards:          1, all ready" in one and "Gateway latency: 42 ms\n" in one  # one shard: no average


def test_many_shards_are_summed_up_listing_those_not_ready() -> None:
    shards = [ShardFigures(n, "ready", 0.030 + n / 1000, 1000) for n in range(40)]
    shards[17] = ShardFigures(17, "disconnected", None, 998)
    text = status_text(report(sharded(*shards)))
    assert "Shards:          40: 39 ready, 1 disconnected" in text
    assert "  Latency:  30 ms to 69 ms" in text
    assert "  Shard 17: disconnected, not measured yet, 998 servers" in text
    assert "Shard 3:" not in text


def test_json_lists_the_shards() -> None:
    beat = sharded(ShardFigures(0, "ready", 0.0412, 3), ShardFigures(1, "connecting", None, 0))
    document = status_json(report(beat))
    assert isinstance(document["heartbeat"], dict)
    assert document["heartbeat"]["shards"] == [
        {"id": 0, "state": "ready", "latency_ms": 41.2, "guilds": 3},
        {"id": 1, "state": "connecting", "latency_ms": None, "guilds": 0},
    ]
    unsharded = status_json(report(heartbeat()))["heartbeat"]
    assert isinstance(unsharded, dict) and unsharded["shards"] == []


async def test_the_shards_are_replaced_with_every_heartbeat(conn: Connection) -> None:
    repository = StatusRepository(conn)
    first = sharded(ShardFigures(0, "ready", 0.04, 2), ShardFigures(1, "connecting", float("inf"), 0))
    await repository.write(first)
    stored = await repository.heartbeat()
    assert stored is not None and stored.shards == (
        ShardFigures(0, "ready", 0.04, 2),
        ShardFigures(1, "connecting", None, 0),  # discord.py's "not measured yet" is stored as unknown
    )
    await repository.write(sharded(ShardFigures(0, "disconnected", None, 2)))
    stored = await repository.heartbeat()
    assert stored is not None and stored.shards == (ShardFigures(0, "disconnected", None, 2),)


async def test_the_live_report_carries_the_probe_shards(conn: Connection) -> None:
    shards = (ShardFigures(0, "ready", 0.02, 1), ShardFigures(1, "ready", 0.03, 1))
    figures = dataclasses.replace(FIGURES, shards=shards)
    service = StatusService(StatusMonitor(STARTED, pid=7), StatusRepository(conn), lambda: figures, clock=lambda: NOW)
    live = await service.live_report()
    assert live.heartbeat is not None and live.heartbeat.shards == shards
    await service.beat()
    stored = await stored_report(StatusRepository(conn), NOW)
    assert stored.heartbeat is not None and stored.heartbeat.shards == shards
