"""The processes of a cluster in ``status_processes`` (bot/observability/cluster.py): who runs, overlap warnings."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.db.connection import Connection
from bot.db.postgres import PgConnection
from bot.observability.cluster import ProcessIdentity, ProcessRegistry, instance_key, server_share, slot_shards
from bot.observability.status import STALE_AFTER, LiveFigures, ProcessBeat, StatusReport, status_json, status_text

T0 = dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def a_dead_pid() -> int:
    """The pid of a process that has ended (and been reaped), so no process has it now."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


class Processes:
    """Processes of a cluster as the bot runs them: on PostgreSQL each holds the advisory lock of its instance on a
    connection of its own while it runs (bot/app.py), and ``kill`` ends that connection as a SIGKILL would."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sessions: dict[str, asyncpg.Connection] = {}

    async def hold(self, me: ProcessIdentity) -> None:
        """What a process does before it registers (bot/app.py): hold the lock named after it."""
        if isinstance(self.conn, PgConnection):
            session = await asyncpg.connect(self.conn.url)
            await session.execute("SELECT pg_advisory_lock($1)", instance_key(me.instance))
            self.sessions[me.instance] = session

    async def start(self, registry: ProcessRegistry, me: ProcessIdentity) -> list[str]:
        await self.hold(me)
        return sorted(p.slot for p in await registry.register(me))

    async def kill(self, me: ProcessIdentity) -> None:
        session = self.sessions.pop(me.instance, None)
        if session is not None:
            await session.close()

    async def close(self) -> None:
        for session in self.sessions.values():
            await session.close()


@pytest.fixture
async def processes(conn: Connection) -> AsyncIterator[Processes]:
    running = Processes(conn)
    try:
        yield running
    finally:
        await running.close()


def test_a_slot_names_its_shards_and_their_count() -> None:
    assert slot_shards("0-3/8") == (frozenset({0, 1, 2, 3}), 8)
    assert slot_shards("1,5/6") == (frozenset({1, 5}), 6)


async def test_a_process_is_alive_while_it_runs_and_not_once_it_stopped(conn: Connection, processes: Processes) -> None:
    clock = Clock()
    registry = ProcessRegistry(conn, clock)
    me = ProcessIdentity.new("0-3/8", T0)
    assert await processes.start(registry, me) == []
    assert await registry.alive(me.instance) and not await registry.alive("4-7/8:unknown")
    await registry.beat(me, LiveFigures(latency=None, guilds=3000, jobs=0), "stopped")
    if isinstance(conn, PgConnection):
        # On PostgreSQL its lock says it runs: a row can say anything a second before a SIGKILL.
        assert await registry.alive(me.instance)
        await processes.kill(me)
    assert not await registry.alive(me.instance)


async def test_on_sqlite_a_process_whose_heartbeat_is_old_is_not_alive(conn: Connection, processes: Processes) -> None:
    if isinstance(conn, PgConnection):
        pytest.skip("on PostgreSQL the instance's lock says whether it runs (the test above)")
    clock = Clock()
    registry = ProcessRegistry(conn, clock)
    me = ProcessIdentity.new("0-3/8", T0)
    await processes.start(registry, me)
    clock.now = T0 + STALE_AFTER + dt.timedelta(seconds=1)
    assert not await registry.alive(me.instance)  # no heartbeat for too long: crashed
    await registry.beat(me, LiveFigures(latency=0.04, guilds=3000, jobs=12))
    assert await registry.alive(me.instance)


async def test_a_killed_process_is_not_alive_and_is_marked_stopped_when_the_next_one_starts(
    conn: Connection, processes: Processes
) -> None:
    registry = ProcessRegistry(conn, Clock())
    killed = ProcessIdentity("0-3/8:dead", "0-3/8", ProcessIdentity.new("x", T0).host, a_dead_pid(), T0)
    await processes.start(registry, killed)
    await processes.kill(killed)
    assert not await registry.alive(killed.instance)  # its heartbeat is recent, but it is gone: SIGKILL
    restarted = ProcessIdentity.new("0-3/8", T0)
    assert await processes.start(registry, restarted) == []  # not an overlap: the predecessor is gone
    states = {p.instance: p.state for p in await registry.processes()}
    assert states == {killed.instance: "stopped", restarted.instance: "running"}


async def test_overlapping_shards_or_another_shard_count_are_reported(conn: Connection, processes: Processes) -> None:
    registry = ProcessRegistry(conn, Clock())
    assert await processes.start(registry, ProcessIdentity.new("0-3/8", T0)) == []
    assert await processes.start(registry, ProcessIdentity.new("4-7/8", T0)) == []  # disjoint: fine
    assert await processes.start(registry, ProcessIdentity.new("3-4/8", T0)) == ["0-3/8", "4-7/8"]
    # Another count splits the servers differently: everyone overlaps.
    assert len(await processes.start(registry, ProcessIdentity.new("8-9/10", T0))) == 3


async def test_imgbot_status_lists_the_processes(conn: Connection, processes: Processes) -> None:
    clock = Clock()
    registry = ProcessRegistry(conn, clock)
    me = ProcessIdentity.new("0-3/8", T0)
    await processes.start(registry, me)
    await registry.beat(me, LiveFigures(latency=0.0415, guilds=3011, jobs=12))
    report = StatusReport(T0, None, [], [], "database", processes=tuple(await registry.processes()))
    assert report.running  # one process of the cluster runs
    text = status_text(report)
    assert "Processes:" in text
    assert f"shards 0-3/8: running, {me.host} pid {os.getpid()}, heartbeat 0s ago, 3,011 servers, latency 42 ms" in text
    listed = status_json(report)["processes"]
    assert isinstance(listed, list) and listed[0]["shards"] == "0-3/8" and listed[0]["running"] is True


async def test_two_overlapping_processes_starting_at_the_same_moment_are_reported(
    conn: Connection, processes: Processes
) -> None:
    """Each writes its own row before it reads the others': whichever reads last sees the other one. Read first,
    both could read before either wrote, and neither would warn."""
    first, second = ProcessIdentity.new("0-3/6", T0), ProcessIdentity.new("2-5/6", T0)
    await processes.hold(first)
    await processes.hold(second)
    found = await asyncio.gather(
        ProcessRegistry(conn, Clock()).register(first), ProcessRegistry(conn, Clock()).register(second)
    )
    reported = {p.instance for overlapping in found for p in overlapping}
    assert reported & {first.instance, second.instance}, found


def test_a_process_paces_at_its_share_of_the_servers_once_every_shard_has_reported() -> None:
    now = T0
    me = ProcessIdentity("0-1/6:a", "0-1/6", "h", 1, T0)

    def beat(instance: str, slot: str, guilds: int, state: str = "running") -> ProcessBeat:
        return ProcessBeat(instance, slot, "h", 2, state, T0, now, None, guilds, 0)  # type: ignore[arg-type]

    two = [beat("2-3/6:b", "2-3/6", 1944)]
    assert server_share(me, 2050, two, now) is None  # shards 4-5 have not reported: not known yet
    three = [*two, beat("4-5/6:c", "4-5/6", 2006)]
    assert server_share(me, 2050, three, now) == pytest.approx(2050 / 6000)
    stopped = [*two, beat("4-5/6:c", "4-5/6", 2006, "stopped")]
    assert server_share(me, 2050, stopped, now) is None  # a shard nobody runs: shares by shards again
    assert server_share(me, 0, three, now) is None
