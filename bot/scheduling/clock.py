"""The clock scheduled work runs by, and the end-to-end tests' way to move it.

Production uses ``bot.db.timestamps.utc_now``. A weekly recap is due at the end of a group's week, and a clock that
jumps hours ahead cannot be waited for, so ``IMGBOT_TEST_CLOCK_OFFSET_SECONDS`` (read once, at wiring time in
``bot/app.py``, only when the bot talks to a local emulator, ``bot.config.active_test_hooks``, and logged at WARNING)
moves the clock of every feed by that many seconds: milestone announcements and Discord events, study groups (their
service too: check-ins, streaks) and nudges read "now" from it, and nothing else changes. Timers still run on the
real clock (``JobScheduler.now``); the runner arms each one at the same distance from the real now as its due time is
from the moved one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db.timestamps import Clock, utc_now

log = logging.getLogger(__name__)

TEST_CLOCK_OFFSET_ENV = "IMGBOT_TEST_CLOCK_OFFSET_SECONDS"
"""Test hook, set only by end-to-end tests (study-group schedules, the clock jump): seconds added to the clock of
every feed (``bot/app.py``). Ignored against real Discord (``bot.config.active_test_hooks``)."""


@dataclass(frozen=True, slots=True)
class OffsetClock:
    """The system clock moved by a fixed ``offset`` (which may be negative)."""

    offset: timedelta

    def __call__(self) -> datetime:
        return utc_now() + self.offset


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """``utc_now``, or an ``OffsetClock`` when the test hook is set; ValueError when it is not a number."""
    raw = environ.get(TEST_CLOCK_OFFSET_ENV, "").strip()
    if not raw:
        return utc_now
    try:
        offset = timedelta(seconds=float(raw))
    except (ValueError, OverflowError):
        raise ValueError(f"{TEST_CLOCK_OFFSET_ENV} must be a number of seconds, not {raw!r}") from None
    log.warning(
        "%s=%s: scheduled work believes it is %s (a test hook; never set it in production)",
        TEST_CLOCK_OFFSET_ENV,
        raw,
        (utc_now() + offset).isoformat(timespec="seconds"),
    )
    return OffsetClock(offset)
