"""What to do with deliveries that were due while the bot was down.

Within the grace window (``DELIVERY_GRACE_HOURS``) a missed delivery is still sent, marked as posted late; beyond
it, it is skipped and logged. After a long outage a server must not get a flood of stale reminders, so only the
latest missed reminder of each occurrence (one milestone or event, in one server) is considered; the earlier ones
are superseded by it, and so is any reminder older than one already delivered.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Due(Protocol):
    @property
    def group_key(self) -> str:
        """The occurrence a delivery belongs to: all reminders of one milestone or event in one server."""
        ...

    @property
    def fire_at(self) -> datetime: ...


DueT = TypeVar("DueT", bound=Due)


class SkipReason(StrEnum):
    SUPERSEDED = "superseded"
    """A later reminder of the same occurrence was due too (or was already delivered)."""
    BEYOND_GRACE = "beyond-grace"
    """Due longer ago than the grace window."""


@dataclass(frozen=True)
class Triage(Generic[DueT]):
    late: list[DueT] = field(default_factory=list)
    skipped: list[tuple[DueT, SkipReason]] = field(default_factory=list)


def triage_missed(
    missed: Iterable[DueT],
    now: datetime,
    grace: timedelta,
    *,
    delivered_latest: Mapping[str, datetime] | None = None,
) -> Triage[DueT]:
    """Split deliveries due before ``now`` that were never made into (send late, skip with a reason).

    ``delivered_latest`` maps an occurrence to the ``fire_at`` of the latest reminder already delivered for it.
    """
    delivered_latest = delivered_latest or {}
    groups: dict[str, list[DueT]] = defaultdict(list)
    for item in missed:
        if item.fire_at > now:
            raise ValueError(f"{item.group_key} is due at {item.fire_at.isoformat()}, after now; it is not missed")
        groups[item.group_key].append(item)
    result: Triage[DueT] = Triage()
    for group_key, items in groups.items():
        items.sort(key=lambda item: item.fire_at)
        *earlier, latest = items
        result.skipped.extend((item, SkipReason.SUPERSEDED) for item in earlier)
        already = delivered_latest.get(group_key)
        if already is not None and already >= latest.fire_at:
            result.skipped.append((latest, SkipReason.SUPERSEDED))
        elif now - latest.fire_at <= grace:
            result.late.append(latest)
        else:
            result.skipped.append((latest, SkipReason.BEYOND_GRACE))
    result.late.sort(key=lambda item: item.fire_at)
    return result
