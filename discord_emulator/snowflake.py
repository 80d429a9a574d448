"""Discord-style snowflake ids: time-ordered 64-bit integers, rendered as strings on the wire."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

log = logging.getLogger(__name__)

DISCORD_EPOCH_MS = 1_420_070_400_000
_INCREMENT_BITS = 12
_MAX_INCREMENT = (1 << _INCREMENT_BITS) - 1


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def snowflake_at(moment: datetime, increment: int = 0, worker: int = 1) -> int:
    ms = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (worker << 17) | (increment & _MAX_INCREMENT)


class SnowflakeFactory:
    """Hands out unique, increasing snowflakes.

    With `start` the ids are deterministic (the clock starts there and only the increment advances), which is what
    generated worlds need so a seed reproduces the same ids. Without it the ids follow the wall clock, like
    messages and interactions created during a run.
    """

    def __init__(self, start: datetime | None = None, worker: int = 1) -> None:
        self._fixed = start is not None
        self._ms = int(start.timestamp() * 1000) if start is not None else 0
        self._increment = 0
        self._worker = worker & 0x1F

    def advance(self, milliseconds: int) -> None:
        """Move a fixed clock on (a deterministic world whose servers were created at different moments)."""
        if not self._fixed:
            raise ValueError("only a factory with a fixed start can be advanced")
        self._ms += milliseconds
        self._increment = 0

    def next(self) -> int:
        if self._fixed:
            if self._increment > _MAX_INCREMENT:
                self._ms += 1
                self._increment = 0
        else:
            now = int(time.time() * 1000)
            if now > self._ms:
                self._ms = now
                self._increment = 0
            elif self._increment > _MAX_INCREMENT:
                # More than 4096 ids in one millisecond: borrow from the next millisecond, as Discord's workers do.
                self._ms += 1
                self._increment = 0
        value = ((self._ms - DISCORD_EPOCH_MS) << 22) | (self._worker << 17) | self._increment
        self._increment += 1
        return value
