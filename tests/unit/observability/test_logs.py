"""Log records carry their interaction or job, errors carry the reference users see, and the token never shows."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.observability.context import (
    command_name,
    current,
    interaction_fields,
    log_context,
    with_interaction_context,
)
from bot.observability.logs import REDACTED, ContextFilter, JsonFormatter, TextFormatter, build_handler
from bot.scheduling.scheduler import JobScheduler
from bot.ui.errors import report_interaction_error

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.s3cr3t-t0k3n_value"
GUILD, USER, INTERACTION = 1183449152834830386, 987654321098765432, 1345678901234567890


def slash_payload(**data: Any) -> dict[str, Any]:
    return {
        "id": str(INTERACTION),
        "type": 2,
        "guild_id": str(GUILD),
        "member": {"user": {"id": str(USER)}},
        "data": data,
    }


class Captured(logging.Handler):
    """Records, enriched as the bot's handlers enrich them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


log = logging.getLogger("tests.observability")


def format_with(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    return formatter.format(record)


# -- context --------------------------------------------------------------------------------------------------------


def test_command_name_includes_groups_and_subcommands() -> None:
    assert command_name({"name": "ask", "options": [{"type": 3, "name": "question", "value": "x"}]}) == "/ask"
    assert command_name({"name": "quiz", "options": [{"type": 1, "name": "start", "options": []}]}) == "/quiz start"
    nested = {"name": "milestones", "options": [{"type": 2, "name": "events", "options": [{"type": 1, "name": "add"}]}]}
    assert command_name(nested) == "/milestones events add"


def test_interaction_fields_for_each_kind_never_include_what_was_typed() -> None:
    slash = interaction_fields(slash_payload(name="ask", options=[{"type": 3, "name": "question", "value": "SOAP?"}]))
    assert slash == {"interaction": str(INTERACTION), "command": "/ask", "guild": str(GUILD), "user": str(USER)}
    assert "SOAP" not in json.dumps(slash)

    button = interaction_fields({"id": "5", "type": 3, "user": {"id": "7"}, "data": {"custom_id": "kb:vote:soap:1"}})
    assert button == {"interaction": "5", "component": "kb:vote:soap:1", "user": "7"}  # a DM: no guild

    modal = interaction_fields(
        {"id": "6", "type": 5, "guild_id": "8", "member": {"user": {"id": "9"}}, "data": {"custom_id": "sg:checkin"}}
    )
    assert modal == {"interaction": "6", "modal": "sg:checkin", "guild": "8", "user": "9"}

    completing = interaction_fields({"id": "4", "type": 4, "data": {"name": "topic"}})
    assert completing == {"interaction": "4", "command": "/topic", "autocomplete": "1"}


async def test_tasks_started_by_the_parser_carry_the_interaction_and_others_do_not() -> None:
    seen: dict[str, dict[str, str]] = {}
    tasks: list[asyncio.Task[None]] = []

    async def handler(name: str) -> None:
        await asyncio.sleep(0)
        seen[name] = dict(current())

    def parse(payload: dict[str, Any]) -> None:
        # What discord.py does: start the command's task synchronously, return before it runs.
        tasks.append(asyncio.create_task(handler(payload["id"])))

    wrapped = with_interaction_context(parse)
    wrapped(slash_payload(name="ask"))
    wrapped({"id": "2", "type": 3, "user": {"id": "3"}, "data": {"custom_id": "kb:pathway"}})
    tasks.append(asyncio.create_task(handler("outside")))
    await asyncio.gather(*tasks)

    assert seen[str(INTERACTION)]["command"] == "/ask"
    assert seen["2"] == {"interaction": "2", "component": "kb:pathway", "user": "3"}
    assert seen["outside"] == {}
    assert dict(current()) == {}


def test_the_parser_wrapper_keeps_outer_fields_and_restores_them_when_parsing_fails() -> None:
    seen: list[dict[str, str]] = []

    def parse(payload: dict[str, Any]) -> None:
        seen.append(dict(current()))
        raise ValueError("malformed payload")

    wrapped = with_interaction_context(parse)
    with log_context(shard=0):
        with pytest.raises(ValueError):
            wrapped(slash_payload(name="ask"))
        assert dict(current()) == {"shard": "0"}
    with pytest.raises(ValueError):
        wrapped("not a mapping")
    assert seen[0] == {"shard": "0", **interaction_fields(slash_payload(name="ask"))}
    assert seen[1] == {}
    assert dict(current()) == {}


def test_log_context_nests_and_restores() -> None:
    with log_context(job="a"):
        with log_context(guild=1, user=None):
            assert dict(current()) == {"job": "a", "guild": "1"}
        assert dict(current()) == {"job": "a"}
    assert dict(current()) == {}


# -- formats --------------------------------------------------------------------------------------------------------


def test_text_lines_carry_the_context_fields(captured: Captured) -> None:
    with log_context(**interaction_fields(slash_payload(name="quiz", options=[{"type": 1, "name": "start"}]))):
        log.info("answered in %d ms", 12)
    log.info("outside any interaction")
    inside, outside = (format_with(TextFormatter(), r) for r in captured.records)
    assert inside.endswith(
        f'answered in 12 ms  interaction={INTERACTION} command="/quiz start" guild={GUILD} user={USER}'
    )
    assert outside.endswith("tests.observability: outside any interaction")
    assert inside[:20].endswith("Z")  # UTC timestamps


def test_text_fields_are_quoted_only_when_they_must_be(captured: Captured) -> None:
    with log_context(component="kb:open:soap", modal="a b", job='say "hi"', guild="x=y", user="two\nlines", shard=""):
        log.info("clicked")
    line = format_with(TextFormatter(), captured.records[0])
    assert line.endswith(
        'clicked  component=kb:open:soap modal="a b" job="say \\"hi\\"" guild="x=y" user="two\\nlines" shard=""'
    )


def test_json_lines_are_one_object_with_the_fields(captured: Captured) -> None:
    with log_context(job="ms:2027:eras-opens:7d"):
        log.warning("slow: %s", "5 s")
    record = json.loads(format_with(JsonFormatter(), captured.records[0]))
    assert record["level"] == "WARNING" and record["logger"] == "tests.observability"
    assert record["message"] == "slow: 5 s" and record["job"] == "ms:2027:eras-opens:7d"
    assert datetime.fromisoformat(record["time"]).tzinfo is not None
    assert "reference" not in record  # only errors get one


def test_errors_get_a_reference_and_keep_one_given_by_the_caller(captured: Captured) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("job failed")
    log.error("error %s in /ask", "abc123", extra={"reference": "abc123"})
    generated, given = captured.records
    text = format_with(TextFormatter(), generated)
    reference = generated.reference  # type: ignore[attr-defined]
    assert len(reference) == 6 and f"ref={reference}" in text.splitlines()[0]
    assert "RuntimeError: boom" in text  # the traceback follows the line
    document = json.loads(format_with(JsonFormatter(), given))
    assert document["reference"] == "abc123" and "RuntimeError" not in document.get("exception", "")
    assert "ref=abc123" in format_with(TextFormatter(), given)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_token_is_never_written(fmt: str) -> None:
    stream = io.StringIO()
    handler = build_handler(fmt, [TOKEN], stream)  # type: ignore[arg-type]
    logger = logging.getLogger(f"tests.observability.redact.{fmt}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting with %s", TOKEN)
        try:
            raise ValueError(f"bad header Authorization: Bot {TOKEN}")
        except ValueError:
            logger.exception("request failed")
        with log_context(job=f"weird:{TOKEN}"):
            logger.info("inside")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert TOKEN not in output and TOKEN.split(".")[-1] not in output
    assert output.count(REDACTED) == 3  # the message, the exception text, the context field
    if fmt == "json":
        lines = [json.loads(line) for line in output.splitlines()]
        assert [line["message"] for line in lines] == [f"connecting with {REDACTED}", "request failed", "inside"]
        assert "ValueError" in lines[1]["exception"]


# -- jobs and the error path ----------------------------------------------------------------------------------------


async def test_job_runs_and_their_failures_carry_the_job_id(captured: Captured) -> None:
    scheduler = JobScheduler()
    root = logging.getLogger()
    root.addHandler(captured)
    done = asyncio.Event()

    async def delivery() -> None:
        log.info("posting")
        await asyncio.sleep(0)
        done.set()
        raise RuntimeError("Discord said no")

    scheduler.start()
    try:
        scheduler.at("ms:2027:eras-opens:7d", datetime.now(UTC) + timedelta(milliseconds=20), delivery)
        await asyncio.wait_for(done.wait(), 5)
        await scheduler.tasks.wait_idle()
    finally:
        await scheduler.shutdown()
        root.removeHandler(captured)
    posting = next(r for r in captured.records if r.getMessage() == "posting")
    failure = next(r for r in captured.records if "failed" in r.getMessage())
    assert posting.context == {"job": "ms:2027:eras-opens:7d"}  # type: ignore[attr-defined]
    assert failure.context == {"job": "ms:2027:eras-opens:7d"}  # type: ignore[attr-defined]
    assert "job=ms:2027:eras-opens:7d ref=" in TextFormatter().format(failure)


async def test_a_job_scheduled_during_an_interaction_does_not_carry_its_id(captured: Captured) -> None:
    # Found by the fault suite: APScheduler's timer copied the context of the /event add that rescheduled it.
    scheduler = JobScheduler()
    root = logging.getLogger()
    root.addHandler(captured)
    done = asyncio.Event()

    async def delivery() -> None:
        log.info("posting")
        done.set()

    scheduler.start()
    try:
        with log_context(interaction="42", command="/event add"):
            scheduler.at("ev:7", datetime.now(UTC) + timedelta(milliseconds=20), delivery)
        await asyncio.wait_for(done.wait(), 5)
        await scheduler.tasks.wait_idle()
    finally:
        await scheduler.shutdown()
        root.removeHandler(captured)
    posting = next(r for r in captured.records if r.getMessage() == "posting")
    assert posting.context == {"job": "ev:7"}  # type: ignore[attr-defined]


async def test_the_reference_users_see_is_the_one_in_the_log_line() -> None:
    records = Captured()
    errors_log = logging.getLogger("bot.ui.errors")
    errors_log.addHandler(records)
    interaction = MagicMock(spec=discord.Interaction)
    interaction.id, interaction.guild_id = INTERACTION, GUILD
    interaction.user = MagicMock(spec=discord.Member, id=USER)
    interaction.response = MagicMock(spec=discord.InteractionResponse)
    interaction.response.is_done.return_value = False
    interaction.response.send_message = AsyncMock()
    try:
        try:
            raise KeyError("missing")
        except KeyError as exc:
            await report_interaction_error(interaction, exc, "/ask")
    finally:
        errors_log.removeHandler(records)
    told = interaction.response.send_message.await_args
    assert told is not None and told.kwargs == {"ephemeral": True}
    [record] = records.records
    reference = record.reference  # type: ignore[attr-defined]
    assert f"`{reference}`" in told.args[0]
    assert f"ref={reference}" in TextFormatter().format(record).splitlines()[0]
    assert json.loads(JsonFormatter().format(record))["reference"] == reference
