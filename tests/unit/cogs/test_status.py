"""/status's embed: the sections of `imgbot status`, error times as Discord timestamps, summaries that never ping."""

from __future__ import annotations

import datetime as dt

from bot.observability.status import DeliveryCounts, ErrorNote, Heartbeat, StatusReport, status_text
from cogs.status import status_embed

NOW = dt.datetime(2026, 2, 16, 12, 0, tzinfo=dt.UTC)
AT = NOW - dt.timedelta(minutes=5)


def report_with(note: ErrorNote) -> StatusReport:
    beat = Heartbeat(4242, "running", NOW - dt.timedelta(hours=1), NOW, 0.04, 2, 17)
    return StatusReport(NOW, beat, [DeliveryCounts("milestone", sent=1)], [note], "live")


def test_error_times_are_discord_timestamps_in_the_embed_and_utc_text_on_the_command_line() -> None:
    report = report_with(ErrorNote(AT, "c0ffee", "/ask: ValueError: bad `<@123>` and @everyone *here*"))
    embed = status_embed(report)
    errors = {field.name: field.value for field in embed.fields}["Last errors"]
    unix = int(AT.timestamp())
    assert errors is not None and errors.startswith(f"<t:{unix}:f>: "), errors
    summary = errors.removeprefix(f"<t:{unix}:f>: ")
    # The summary is escaped and cannot ping; the timestamp before it is left intact.
    assert "\\[c0ffee\\]" in summary and "\\*here\\*" in summary
    assert "<@123>" not in summary and "@everyone" not in summary
    assert "2026-02-16" not in errors

    assert "  2026-02-16 11:55:00Z: [c0ffee] /ask: ValueError" in status_text(report)


def test_a_time_in_another_zone_is_still_shown_as_utc_text() -> None:
    kolkata = AT.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert "2026-02-16 11:55:00Z: [beef00] boom" in status_text(report_with(ErrorNote(kolkata, "beef00", "boom")))
    assert f"<t:{int(AT.timestamp())}:f>" in str(status_embed(report_with(ErrorNote(kolkata, "beef00", "boom"))).fields)
