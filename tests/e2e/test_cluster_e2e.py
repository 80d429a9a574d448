"""A cluster of bot processes (SHARDS, SHARD_COUNT) sharing one PostgreSQL, against one emulator: a milestone falling
due in every server is posted exactly once when three processes run disjoint shard ranges, when one of them is killed
(SIGKILL) halfway through its servers and restarted at once, and when two processes are started with overlapping
ranges (the second one warns in its log). `imgbot status --json` lists the processes with their shards.

The scenarios of bench/cluster_fanout.py (6,000 servers on 6 shards, README's figures table) on 450 servers and 3
shards, so that the fan-out takes seconds: each process's share of the scheduled budget is 46/3 posts a second, about
10 s for its 150 servers. No wall-clock bound is asserted (the figures are the bench's), so the tests run beside
others; they are `heavy`: three bot processes and an emulator with 450 servers take both cores.

No fixed sleep decides "exactly once": the bench counts every post the emulator creates, waits until every delivery
row in the database is `sent` (a killed process's unconfirmed claim is confirmed by its successor, found by its nonce),
stops the processes and waits until the emulator has no connection or request left (``Emulator.wait_idle``), so
nothing sent can still arrive. Its waits have deadlines: a process ready within 60 s (a start on a busy machine takes
seconds), the fan-out within three times its floor plus 120 s (retries of a claim start at 15 s and double).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.cluster_fanout import Figures, disjoint_ranges, measure, overlapping_ranges
from discord_emulator import World
from discord_emulator.gateway import shard_of
from tests.conftest import new_postgres_database
from tests.postgres_server import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]

SERVERS = 450
SHARD_COUNT = 3
LEAD = 15.0
"""Seconds from seeding to the due instant: about what three processes starting together need on a busy 2-core
machine (8 to 10 s measured, more beside other tests). A later start only means the first posts go out as the others
connect: what is asserted does not depend on it."""
STAGGERED_LEAD = 35.0
"""The same for two processes started one after another (each identifies two shards, 5 s apart, and the second starts
5 s after the first is ready: 26 s measured), so that both schedule the shared shard's servers when they fall due."""


async def run_cluster(
    postgres: PostgresServer,
    tmp_path: Path,
    *,
    max_concurrency: int,
    ranges: tuple[str, ...] | None = None,
    kill: bool = False,
    lead: float = LEAD,
) -> Figures:
    url = await new_postgres_database(postgres)
    figures = await measure(
        SERVERS,
        shard_count=SHARD_COUNT,
        ranges=ranges,
        kill=kill,
        lead=lead,
        database_url=url,
        work_dir=tmp_path,
        max_concurrency=max_concurrency,
    )
    print("\n" + "\n".join(figures.lines()))  # in the test's log (shown with -s or on failure)
    return figures


def assert_exactly_once(figures: Figures) -> None:
    assert (figures.delivered, figures.duplicates, figures.losses) == (SERVERS, 0, 0), figures.lines()
    assert figures.rows == {"sent": SERVERS}, figures.rows


def servers_per_shard() -> Counter[int]:
    """As bench/cluster_fanout.py generates the world (seeded with the server count)."""
    world = World.generate(SERVERS, members_per_guild=2, seed=SERVERS)
    return Counter(shard_of(guild.id, SHARD_COUNT) for guild in world.bot_guilds())


def running(figures: Figures) -> dict[str, int]:
    """The processes `imgbot status --json` lists as running: shards -> their servers."""
    return {p["shards"]: p["guilds"] for p in figures.processes if p["running"]}


@pytest.mark.heavy  # three bot processes and 450 servers: never beside another heavy test (tests/conftest.py)
async def test_three_processes_with_their_own_shards_post_a_milestone_to_every_server_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    # Discord accepts an IDENTIFY per shard at a time (max_concurrency 3): the processes start together.
    figures = await run_cluster(postgres, tmp_path, max_concurrency=SHARD_COUNT)
    assert_exactly_once(figures)
    assert figures.ranges == disjoint_ranges(SHARD_COUNT) == ("0", "1", "2")
    per_shard = servers_per_shard()
    assert running(figures) == {f"{shard}/{SHARD_COUNT}": per_shard[shard] for shard in range(SHARD_COUNT)}
    assert all(not lines for lines in figures.warnings.values()), figures.warnings
    assert figures.identify_too_soon == 0
    # Each process claimed (and posted) the announcements of its own shard's servers, and only those.
    assert figures.claims_by_process == {f"{shard}/{SHARD_COUNT}": per_shard[shard] for shard in range(SHARD_COUNT)}
    assert figures.foreign_claims == 0


@pytest.mark.heavy
async def test_a_process_killed_in_the_middle_of_the_fan_out_and_restarted_still_posts_exactly_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    figures = await run_cluster(postgres, tmp_path, max_concurrency=SHARD_COUNT, kill=True)
    assert_exactly_once(figures)
    assert figures.victim_posted is not None
    posted, own = figures.victim_posted
    assert 0 < posted < own, figures.victim_posted
    victim = figures.outputs[f"shards-{figures.ranges[1]}"]
    assert victim.count("--- start #") == 2, "killed and restarted"
    # Killed as its post was created, before it heard back: its successor took that claim over and found the post.
    assert "took over the claim of" in victim.split("--- start #2")[1], victim[-3000:]
    # The killed life is listed as stopped (its successor saw its pid gone), the three running ones with their shards.
    assert sorted(running(figures)) == ["0/3", "1/3", "2/3"]
    stopped = [p for p in figures.processes if not p["running"]]
    assert [(p["shards"], p["state"]) for p in stopped] == [("1/3", "stopped")], figures.processes


@pytest.mark.heavy
# Two bot processes, PostgreSQL and 450 servers within a 120 s bound: beside the other workers it ran out of time in
# two full runs of 2026-12-08 (green alone and with both cores busy), so it runs with the `alone` tests.
@pytest.mark.alone
async def test_two_processes_with_overlapping_shards_still_post_exactly_once_and_the_second_warns(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    # One IDENTIFY per 5 s (max_concurrency 1): the second process starts once the first is ready, and 5 s after.
    figures = await run_cluster(
        postgres, tmp_path, ranges=overlapping_ranges(SHARD_COUNT), max_concurrency=1, lead=STAGGERED_LEAD
    )
    assert_exactly_once(figures)
    first, second = figures.ranges
    assert (first, second) == ("0-1", "1-2")
    assert figures.warnings[f"shards-{first}"] == []
    [warning] = figures.warnings[f"shards-{second}"]
    assert "has shards 0-1/3, overlapping this one's 1-2/3" in warning, warning
    assert sorted(running(figures)) == ["0-1/3", "1-2/3"]
    assert figures.identify_too_soon == 0
