"""The real bot process on PostgreSQL (``DATABASE_URL``), against the emulator: /ask answers and its vote is kept; a
study group's scheduled prompt is posted once, a member's check-in from it is recorded, and both survive a restart
with nothing posted again; a milestone announcement (a server event in the subscribed channel) is posted once and
not again after the restart; /mydata export shows a member's data and /mydata delete leaves none of it in any table.

The same behaviours are tested on SQLite by their own modules (test_restart_e2e, test_studygroups_schedule_e2e,
test_studygroups_e2e, test_milestones_e2e); this module runs the paths that read and write the database once more
with PostgreSQL underneath. One bot for the module, on a fresh database of this worker's throwaway server (the
``postgres`` fixture, tests/conftest.py). On PostgreSQL the bot keeps nothing in files (its lock is an advisory lock,
the deletion ledger a schema of the same database); its DATABASE_PATH points into the module's temporary directory
all the same, and no SQLite database may appear there.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio

from bench.e2e_latency import measure
from bot.db.connection import PG_MIGRATIONS_DIR, discover_migrations
from bot.scheduling import CRASH_AFTER_SEND_ENV
from discord_emulator import Channel, Emulator, Message, Reply, User, World
from tests.conftest import new_postgres_database
from tests.e2e.conftest import Live, bot_env
from tests.e2e.harness import BotProcess
from tests.e2e.mydata import delete_everything
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

ZONE = "Asia/Kolkata"
READY_TIMEOUT = 40.0
"""As tests/e2e/conftest.py's running_bot: a start on a busy 2-core machine, with migrations on a fresh database."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """This module's bot on PostgreSQL (named ``live`` so tests/e2e/conftest.py's contract checks apply to it)."""
    url = await new_postgres_database(postgres, for_module=True)
    database = tmp_path_factory.mktemp("bot-pg") / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        bot = BotProcess(env=bot_env(emu, database), name="imgbot-pg", database_url=url)
        await bot.start()
        try:
            try:
                await emu.wait_until_ready(timeout=READY_TIMEOUT)
            except TimeoutError as exc:
                raise TimeoutError(f"{exc}\n--- bot output ---\n{bot.tail()}") from None
            yield Live(emu, bot, database)
            assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"
        finally:
            await bot.stop()


def url_of(live: Live) -> str:
    url = live.bot.database_url
    assert url is not None, "this module's bot runs on PostgreSQL"
    return url


async def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` ($1, $2… placeholders) read from the bot's PostgreSQL database, as tuples."""
    conn = await asyncpg.connect(url_of(live))
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


async def run(emu: Emulator, command: str, options: dict[str, Any] | None = None, **kw: Any) -> Reply:
    return await (await emu.slash(command, options, **kw)).response()


def ahead(seconds: float, zone: str) -> tuple[datetime, str, str]:
    """The instant ``seconds`` from now, and its date and time of day (HH:MM:SS) in ``zone``, as a member types."""
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    local = at.astimezone(ZoneInfo(zone))
    return at, f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"


def titled(title: str) -> Any:
    return lambda m: any(title in (e.get("title") or "") for e in m.embeds)


def count(emu: Emulator, channel: Channel, predicate: Any) -> int:
    return sum(1 for m in emu.messages_in(channel) if predicate(m))


async def check_in_from(emu: Emulator, prompt: Message, user: User, studied: str) -> dict[str, Any]:
    opened = await (await emu.click(prompt, label="Check in", user=user)).response()
    assert opened.kind == "modal" and opened.modal is not None, opened
    receipt = await (await emu.submit_modal(opened, {"studied": studied, "questions": "40"})).response()
    assert receipt.ephemeral, receipt
    embed: dict[str, Any] = receipt.embeds[0]
    return embed


async def test_the_bot_runs_on_postgresql_and_ask_answers(live: Live) -> None:
    emu, alice, general = live.emu, live.emu.world.users["alice"], live.emu.world.channel("general")
    # On PostgreSQL, and saying so (the URL has no password to hide here); DATABASE_PATH only places its files.
    await live.bot.wait_for_output(r"DATABASE_URL and DATABASE_PATH are both set: using DATABASE_URL", timeout=1)
    await live.bot.wait_for_output(rf"database: PostgreSQL at {re.escape(url_of(live))}", timeout=1)
    assert not live.database.exists(), "a bot on PostgreSQL made an SQLite database"
    # At the latest PostgreSQL migration (copied from the migrated template, tests/conftest.py; nothing left to apply).
    latest = discover_migrations(PG_MIGRATIONS_DIR)[-1].version
    assert await query(live, "SELECT MAX(version) FROM schema_version") == [(latest,)]

    answer = await run(emu, "ask", {"question": "what is the rank order list"}, user=alice, channel=general)
    assert answer.embeds and "rank order list" in json.dumps(answer.embeds).lower(), answer.embeds
    vote = await (await emu.click(answer, label="Helpful", user=alice)).response()
    assert vote.ephemeral and "1 👍" in vote.content, vote.content


async def test_a_prompt_and_a_milestone_announcement_post_once_and_a_restart_posts_neither_again(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, alice = world.users["dr_admin"], world.users["alice"]
    general, study_room, announcements = (
        world.channel("general"),
        world.channel("study-room"),
        world.channel("announcements"),
    )
    subscribed = await run(emu, "announcements setup", {"channel": announcements}, user=admin, channel=general)
    assert subscribed.ephemeral and subscribed.embeds[0]["title"] == "Milestone announcements are on"

    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    # Both due a few seconds from now: time enough for the two commands to be answered first.
    prompt_due, _, prompt_time = ahead(5, ZONE)
    created = await run(
        emu,
        "studygroup-admin create",
        {"name": "Night shift crew", "channel": study_room, "timezone": ZONE, "checkin_time": prompt_time},
        user=admin,
        channel=general,
    )
    assert created.ephemeral and f"created in <#{study_room.id}>" in created.content, created.content
    event_due, event_date, event_time = ahead(5, "America/New_York")
    added = await run(
        emu,
        "event add",
        {
            "title": "Mock OET speaking exam",
            "date": event_date,
            "time": event_time,
            "timezone": "America/New_York",
            "reminders": "0",
        },
        user=admin,
        channel=general,
    )
    assert added.embeds[0]["title"] == "Event added: Mock OET speaking exam", added.content
    assert f"<#{announcements.id}>" in added.embeds[0]["description"]  # the subscription's channel

    prompt = await emu.wait_for_message(study_room, titled("Check-in time: Night shift crew"), timeout=20)
    posted = await emu.wait_for_message(announcements, titled("Mock OET speaking exam"), timeout=20)
    # Nothing in flight and no retry pending: a second copy could not come later than this.
    await live.bot.wait_settled(sent_at_least=sent_before + 2, after=mark, timeout=30)
    assert prompt.created_at >= prompt_due - timedelta(seconds=1)
    assert posted.created_at >= event_due - timedelta(seconds=1)
    assert posted.embeds[0]["title"] == "📣 Starting now: Mock OET speaking exam"
    rows = await query(live, "SELECT target_kind, status, late, message_id FROM deliveries ORDER BY target_kind")
    assert rows == [("event", "sent", 0, posted.id), ("studygroup-prompt", "sent", 0, prompt.id)]

    receipt = await check_in_from(emu, prompt, alice, "Cardiology block, 40 questions")
    assert receipt["title"] == "Check-in recorded ✅" and "Streak: **1 day**" in receipt["description"]
    recorded = await query(live, "SELECT studied, questions FROM study_checkins WHERE user_id = $1", alice.id)
    assert recorded == [("Cardiology block, 40 questions", 40)]

    # Restarted: the start-up sweeps post nothing again, and the check-in is still there.
    since, mark = emu.identify_count, live.bot.lines_so_far
    await live.bot.restart()
    await emu.wait_for_identify(timeout=READY_TIMEOUT, since=since)
    await live.bot.wait_for_output(r"announcements start-up: 0 posted", timeout=20, after=mark)
    await live.bot.wait_for_output(r"study-group deliveries start-up: 0 posted", timeout=20, after=mark)
    assert count(emu, study_room, titled("Check-in time: Night shift crew")) == 1
    assert count(emu, announcements, titled("Mock OET speaking exam")) == 1
    progress = await run(emu, "progress", user=alice, channel=study_room)
    assert progress.ephemeral and "Streak: **1 day**" in progress.embeds[0]["description"], progress.embeds
    assert "40 questions" in {f["name"]: f["value"] for f in progress.embeds[0]["fields"]}["Last 7 days"]
    assert await query(live, "SELECT studied FROM study_checkins WHERE user_id = $1", alice.id) == [
        ("Cardiology block, 40 questions",)
    ]


async def test_killed_between_posting_an_announcement_and_recording_it_the_restart_does_not_post_it_again(
    live: Live,
) -> None:
    """The claim PostgreSQL keeps is found after the crash: the bot looks for its post and records it, no resend."""
    emu, world = live.emu, live.emu.world
    admin, general, announcements = world.users["dr_admin"], world.channel("general"), world.channel("announcements")
    title = "Mock Step 2 CK block"
    live.bot.env[CRASH_AFTER_SEND_ENV] = "1"
    try:
        since = emu.identify_count
        await live.bot.restart()
        await emu.wait_for_identify(timeout=READY_TIMEOUT, since=since)
        _, date, time = ahead(4, "UTC")
        options = {"title": title, "date": date, "time": time, "timezone": "UTC", "reminders": "0"}
        added = await run(emu, "event add", options, user=admin, channel=general)
        assert added.embeds[0]["title"] == f"Event added: {title}", added.content
        assert await live.bot.wait_exit(timeout=15) == 9
    finally:
        del live.bot.env[CRASH_AFTER_SEND_ENV]
    first = await emu.wait_for_message(announcements, titled(title), timeout=1)
    # The message went out and the process died before recording it: the row is still only claimed.
    claimed = "SELECT status, message_id FROM deliveries WHERE target_kind = 'event' AND status <> 'sent'"
    assert await query(live, claimed) == [("claimed", None)]

    since, mark = emu.identify_count, live.bot.lines_so_far
    await live.bot.start()
    await emu.wait_for_identify(timeout=READY_TIMEOUT, since=since)
    await live.bot.wait_for_output(r"was posted before a crash \(message \d+\); recorded it", timeout=15, after=mark)
    await live.bot.wait_for_output(r"announcements start-up: 1 posted \(0 late, 1 recovered\)", timeout=15, after=mark)
    await live.bot.wait_settled(sent_at_least=1, after=mark)  # counted below: no retry may still be pending
    assert count(emu, announcements, titled(title)) == 1
    rows = await query(live, "SELECT status, message_id FROM deliveries WHERE message_id = $1", first.id)
    assert rows == [("sent", first.id)]


async def test_mydata_export_shows_a_members_data_and_delete_leaves_none_in_any_table(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, carol, general = world.users["dr_admin"], world.users["carol"], world.channel("general")
    created = await run(
        emu, "studygroup-admin create", {"name": "General crew", "channel": general}, user=admin, channel=general
    )
    assert "created" in created.content, created.content
    await run(emu, "settings", {"timezone": "Europe/Berlin"}, user=carol, channel=general)
    opened = await run(emu, "checkin", user=carol, channel=general)  # the group posting in this channel
    assert opened.modal is not None, opened
    receipt = await (await emu.submit_modal(opened, {"studied": "Pathoma chapter 3", "questions": "25"})).response()
    assert receipt.embeds[0]["title"] == "Check-in recorded ✅", receipt.embeds
    answer = await run(emu, "ask", {"question": "what is ECFMG certification"}, user=carol, channel=general)
    vote = await (await emu.click(answer, label="Helpful", user=carol)).response()
    assert vote.ephemeral and "👍" in vote.content, vote.content

    exported = await run(emu, "mydata export", user=carol, channel=general)
    assert exported.ephemeral and len(exported.attachments) == 1
    data = json.loads(exported.attachments[0].data)
    assert data["user_id"] == str(carol.id)
    assert "Pathoma chapter 3" in json.dumps(data["study_groups"])
    check_in_row = data["study_groups"]["studygroup_checkins"][0]
    assert check_in_row["server_id"] == str(world.guild("IMG Study Hall").id)

    asked = await run(emu, "mydata delete", user=carol, channel=general)
    assert asked.ephemeral and "cannot be undone" in asked.content
    done = await delete_everything(emu, asked, carol)
    assert done.content.startswith("Deleted: ") and "study-group check-in" in done.content, done.content

    # Nothing of hers remains anywhere: every column of every table of every schema of the bot's database (the
    # deletion ledger's schema included: it keeps a keyed hash, never the id).
    needle = str(carol.id)
    tables = await query(
        live,
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )
    assert len(tables) > 5 and ("public", "study_checkins") in tables, tables
    found = []
    for schema, table in tables:
        for row in await query(live, f'SELECT * FROM "{schema}"."{table}"'):
            if any(needle in str(value) for value in row):
                found.append((schema, table, row))
    assert not found, found
    again = await run(emu, "mydata export", user=carol, channel=general)
    after = json.loads(again.attachments[0].data) if again.attachments else {}
    assert "Pathoma chapter 3" not in json.dumps(after), after


@pytest.mark.heavy  # two bots under bursts of /ask: never beside another heavy test (tests/conftest.py)
async def test_the_latency_bench_measures_the_bot_on_sqlite_and_on_a_throwaway_postgresql_in_one_run() -> None:
    """The code path of ``bench/e2e_latency.py --database both``, small (the floor left out: its own test has it)."""
    report = await measure(
        interactions=20, concurrency=5, repeat=1, warmup=5, databases=("sqlite", "postgresql"), floor=False
    )
    assert report.errors == 0 and report.compares_databases
    for which in ("bot", "bot-postgresql"):
        (burst,) = report.rounds[which]
        assert len(burst.latencies_ms) == 20 and burst.wall_s > 0, which
    assert report.rounds["floor"] == [] and len(report.ready_s) == len(report.postgres_ready_s) == 1
    assert report.database_ratio("p99") > 0 and report.database_ratio("throughput") > 0
    assert "database: PostgreSQL at postgresql://postgres@127.0.0.1:" in report.postgres_output
    assert "database: PostgreSQL" not in report.bot_output
