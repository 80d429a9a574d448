"""Shared fixtures: the repository's real data, loaded once, and settings that never read the developer's .env.

Also what lets the suite run on several worker processes at once (pytest-xdist, see the Makefile's PARALLEL): a
Hypothesis profile that does not time examples, and the lock that keeps tests marked ``heavy`` apart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, settings

from bot.config import Settings
from bot.content import Content, load_content
from bot.db.connection import open_database
from tests.postgres_server import PostgresServer

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"

# Hypothesis checks properties, not speed: its default 200 ms deadline per example and its "too slow" health check
# time the wall clock, which on two cores shared by four test workers (and whatever else the machine runs) measures
# the machine, and fails a test as "flaky" when its rerun is quicker. A test with a speed to keep asserts it itself,
# on CPU time (tests/emulator/test_emulator_world.py). A test's own @settings still applies on top of this profile.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test`` runs the tests marked ``alone`` after the others and looks for them in tests/e2e only (collecting
    every test again costs about 10 s of CPU): one marked elsewhere would never run, so it stops the run instead."""
    e2e = REPO_ROOT / "tests" / "e2e"
    misplaced = [item.nodeid for item in items if item.get_closest_marker("alone") and e2e not in item.path.parents]
    if misplaced:
        raise pytest.UsageError(f"only tests under tests/e2e may be marked alone (Makefile): {misplaced}")


@pytest.fixture(autouse=True)
def heavy_tests_one_at_a_time(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """A test marked ``heavy`` (a fan-out to thousands of servers, a bot killed and restarted again and again, two bots
    measured side by side) waits until no other heavy test runs on any worker of this run: two of them at once would
    take both cores from each other and from every other test. An exclusive lock on a file in the run's temporary
    directory, which all of its workers share (each worker's own is a subdirectory of it); without workers there is
    nothing to wait for."""
    if request.node.get_closest_marker("heavy") is None or "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    with (tmp_path_factory.getbasetemp().parent / "heavy.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, after the test's teardown
        yield


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(DATA_DIR)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_path": tmp_path / "bot.sqlite3", "data_dir": DATA_DIR}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


BACKENDS = ["sqlite", "postgresql"]
"""Every test that touches the database runs once on each (the ``backend`` fixture)."""

TEMPLATE = "bot_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """This worker's own throwaway PostgreSQL server, with a template database that holds the bot's schema."""
    server = PostgresServer.start()
    try:

        async def make_template() -> None:
            conn = await asyncpg.connect(server.url())
            try:
                await conn.execute(f"CREATE DATABASE {TEMPLATE}")
            finally:
                await conn.close()
            migrated = await open_database(server.url(TEMPLATE))
            await migrated.close()

        # In a thread of its own: the fixture is often first requested from inside an async fixture (getfixturevalue
        # in tests/unit/conftest.py), where this thread's event loop is already running and asyncio.run would refuse.
        with concurrent.futures.ThreadPoolExecutor(1) as worker:
            worker.submit(asyncio.run, make_template()).result()
        yield server
    finally:
        server.stop()


_made_by_this_test: list[tuple[PostgresServer, str]] = []
"""The databases the running test made (this worker's), dropped after it: hundreds of copies would otherwise fill
the disk and make stopping the server take a minute."""


async def new_postgres_database(server: PostgresServer, *, for_module: bool = False) -> str:
    """A new database holding the bot's schema (copied from the template); its URL. Dropped after the test that made
    it, unless ``for_module`` (a module-scoped fixture's, which outlives that test): then when the server stops."""
    name = server.new_name()
    conn = await asyncpg.connect(server.url())
    try:
        # FILE_COPY copies the template's files; PostgreSQL 15's default (WAL_LOG) writes them through the WAL, which
        # for a small database is slower.
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
    finally:
        await conn.close()
    if not for_module:
        _made_by_this_test.append((server, name))
    return server.url(name)


@pytest.fixture(autouse=True)
def drop_test_databases() -> Iterator[None]:
    """After each test (and all its fixtures: autouse fixtures are set up first, so torn down last), drop the
    PostgreSQL databases it made, with any connection a test left open."""
    yield
    if not _made_by_this_test:
        return
    made = list(_made_by_this_test)
    _made_by_this_test.clear()

    async def drop() -> None:
        for server, name in made:
            conn = await asyncpg.connect(server.url())
            try:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            finally:
                await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, drop()).result()


async def new_empty_postgres_database(server: PostgresServer) -> str:
    """A new database without the bot's schema (copied from ``template0``, not the template), for tests of the
    migrations themselves; its URL."""
    name = server.new_name("empty")
    conn = await asyncpg.connect(server.url())
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY")
    finally:
        await conn.close()
    _made_by_this_test.append((server, name))
    return server.url(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on; a test that uses it runs once for each backend."""
    return str(request.param)
