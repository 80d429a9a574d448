"""The clock scheduled work runs by, and the end-to-end tests' way to move it.

Production uses ``system_clock``. A weekly recap is due at the end of a group's week, and a clock that jumps hours
ahead cannot be waited for, so ``IMGBOT_TEST_CLOCK_OFFSET_SECONDS`` (read once, at wiring time in ``bot/app.py``,
only when the bot talks to a local emulator, ``bot.config.active_test_hooks``, and logged at WARNING) moves the
clock of every feed by that many seconds: milestone announcements and Discord events, study groups (their service
too: check-ins, streaks) and nudges read "now" from it, and nothing else changes. Timers still run on the real clock
(``JobScheduler.now``); the runner arms each one at the same distance from the real now as its due time is from the
moved one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

TEST_CLOCK_OFFSET_ENV = "IMGBOT_TEST_CLOCK_OFFSET_SECONDS"
"""Test hook, set only by end-to-end tests (study-group schedules, the clock jump): seconds added to the clock of
every feed (``bot/app.py``). Ignored against real Discord (``bot.config.active_test_hooks``)."""


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OffsetClock:
    """The system clock moved by a fixed ``offset`` (which may be negative)."""

    offset: timedelta

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """``system_clock``, or an ``OffsetClock`` when the test hook is set; ValueError when it is not a number."""
    raw = environ.get(TEST_CLOCK_OFFSET_ENV, "").strip()
    if not raw:
        return system_clock
    try:
        offset = timedelta(seconds=float(raw))
    except (ValueError, OverflowError):
        raise ValueError(f"{TEST_CLOCK_OFFSET_ENV} must be a number of seconds, not {raw!r}") from None
    log.warning(
        "%s=%s: scheduled work believes it is %s (a test hook; never set it in production)",
        TEST_CLOCK_OFFSET_ENV,
        raw,
        (datetime.now(UTC) + offset).isoformat(timespec="seconds"),
    )
    return OffsetClock(offset)
