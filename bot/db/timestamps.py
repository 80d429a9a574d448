"""The one clock, and the one way a moment is written to the database and read back.

Every timestamp column holds UTC ISO 8601 with microseconds, ``2026-03-09T09:00:00.000000+00:00``: one width and one
offset, so that comparing the text compares the instants. SQL relies on it without parsing anything: ``ORDER BY
fire_at``, ``last_seen < ?``, the watermark's ``excluded.value > value``. (Readiness once left the fraction out when
it was zero and votes were written as given: migration 0022 rewrote those rows in this form.)

Times inside the bot are aware and in UTC (the user's zone only at the edge), so a naive datetime is a bug: it is
refused here, in both directions, rather than taken for local time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Where a service reads "now": ``utc_now`` in production; tests pass a fixed or moving one."""


def utc_now() -> dt.datetime:
    """The real clock: now, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` in UTC; ValueError when it is naive (its zone unknown, so its instant too)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: times must be timezone-aware (UTC)")
    return moment.astimezone(dt.UTC)


def to_db(moment: dt.datetime) -> str:
    """The column text for ``moment`` (module docstring); ValueError when it is naive."""
    return as_utc(moment).isoformat(timespec="microseconds")


def from_db(text: str) -> dt.datetime:
    """The moment a column holds, aware in UTC; ValueError when the text is not a timestamp with its offset."""
    return as_utc(dt.datetime.fromisoformat(text))


def from_db_or_none(text: str | None) -> dt.datetime | None:
    """``from_db`` for a column that may be NULL."""
    return None if text is None else from_db(text)
