"""Per-user cooldowns for the commands that cost most: the policy as plain logic, no Discord in here.

Burst limits (N uses in a sliding window), generous enough that a person using the bot never meets them; they stop a
script or a stuck key from making the bot build hundreds of answers, files or quizzes a minute. The app command check
that applies them and the message a member sees are in ``bot.ui.cooldowns``.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``uses`` in any window of ``per``."""

    uses: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.uses < 1 or self.per <= timedelta(0):
            raise ValueError(f"a limit needs at least one use in a positive period, not {self.uses} per {self.per}")


# Keyed by the command's qualified name. Chosen from what each command costs (a search and an embed, a file, a
# quiz drawn and stored, member lookups) and how fast a person can really type and read.
DEFAULT_LIMITS: Mapping[str, Limit] = {
    "ask": Limit(20, timedelta(minutes=1)),
    "timeline": Limit(15, timedelta(minutes=1)),
    "quiz start": Limit(12, timedelta(minutes=2)),
    "quiz review": Limit(12, timedelta(minutes=2)),
    "quiz leaderboard": Limit(10, timedelta(minutes=1)),
    "readiness start": Limit(10, timedelta(minutes=1)),
    "milestones calendar": Limit(5, timedelta(minutes=1)),
    "mydata export": Limit(5, timedelta(minutes=10)),
}

MAX_TRACKED = 50_000
"""(command, user) pairs remembered at most; the least recently used are forgotten first (memory stays bounded)."""


class Cooldowns:
    """Sliding-window counters per (command, user). ``hit`` records a use or says when the next one is allowed."""

    def __init__(
        self, limits: Mapping[str, Limit] = DEFAULT_LIMITS, *, enabled: bool = True, max_tracked: int = MAX_TRACKED
    ) -> None:
        self.limits = dict(limits)
        self.enabled = enabled
        self.max_tracked = max_tracked
        self._uses: OrderedDict[tuple[str, int], deque[datetime]] = OrderedDict()

    def limit_for(self, command: str) -> Limit | None:
        return self.limits.get(command) if self.enabled else None

    def hit(self, command: str, user_id: int, now: datetime) -> datetime | None:
        """Count one use of ``command`` by ``user_id`` at ``now``; None if allowed, else when it will be allowed.

        A refused use is not counted, so waiting until the time given is always enough.
        """
        if now.tzinfo is None:
            raise ValueError("cooldowns need an aware datetime")
        limit = self.limit_for(command)
        if limit is None:
            return None
        key = (command, user_id)
        uses = self._uses.get(key)
        if uses is None:
            uses = self._uses[key] = deque(maxlen=limit.uses)
            self._forget_oldest()
        else:
            self._uses.move_to_end(key)
        while uses and uses[0] <= now - limit.per:
            uses.popleft()
        if len(uses) >= limit.uses:
            return uses[0] + limit.per
        uses.append(now)
        return None

    def _forget_oldest(self) -> None:
        while len(self._uses) > self.max_tracked:
            self._uses.popitem(last=False)

    def reset(self, user_id: int | None = None) -> None:
        """Forget the uses of one user (or everyone's)."""
        if user_id is None:
            self._uses.clear()
            return
        for key in [k for k in self._uses if k[1] == user_id]:
            del self._uses[key]

    def __len__(self) -> int:
        return len(self._uses)
