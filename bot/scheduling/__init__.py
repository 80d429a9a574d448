"""The machinery for everything the bot does on a schedule (see ``runner`` for the whole picture).

- ``runner``: ``Feed`` (one kind of scheduled post), ``Worker`` (a periodic job) and the one ``Runner`` that runs
  them all: watermarks, grace, recovery, backoff, per-item isolation, late-at-send.
- ``scheduler.JobScheduler``: APScheduler's clock (the only timer mechanism), jobs under stable ids, tracked tasks.
- ``delivery``: exactly-once delivery (claim, send with a deterministic nonce, record) and its table.
- ``grace``: which missed deliveries are still posted (late) and which are skipped.
- ``pacing``: the process's one ``RateBudget`` under Discord's global limit.
- ``clock``: the clock feeds run by (the end-to-end tests can move it).

No discord import here: a feed's adapter, built in ``bot/app.py``, talks to Discord.
"""

from bot.db.timestamps import Clock
from bot.scheduling.clock import TEST_CLOCK_OFFSET_ENV, OffsetClock, clock_from_env
from bot.scheduling.delivery import (
    CRASH_AFTER_SEND_ENV,
    DELIVERIES_KEPT,
    TARGET_KINDS,
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Outcome,
    PostedLookup,
    ProblemKind,
    SkipDelivery,
    TransientDeliveryError,
    delivery_nonce,
    delivery_reference,
    find_by_reference,
)
from bot.scheduling.grace import SkipReason, Triage, triage_missed
from bot.scheduling.pacing import SCHEDULED_PER_SECOND, Pacer, RateBudget
from bot.scheduling.runner import (
    FIRST_RETRY,
    LATE_AFTER,
    Feed,
    FeedPolicy,
    Hold,
    Item,
    Runner,
    Skip,
    Sweep,
    SweepReport,
    Worker,
)
from bot.scheduling.scheduler import JobScheduler
from bot.scheduling.tasks import TaskTracker

__all__ = [
    "CRASH_AFTER_SEND_ENV",
    "DELIVERIES_KEPT",
    "FIRST_RETRY",
    "LATE_AFTER",
    "SCHEDULED_PER_SECOND",
    "TARGET_KINDS",
    "TEST_CLOCK_OFFSET_ENV",
    "Clock",
    "Deliverer",
    "DeliveryProblem",
    "DeliveryRecord",
    "DeliveryRepository",
    "DeliveryResult",
    "DeliveryStatus",
    "Feed",
    "FeedPolicy",
    "Hold",
    "Item",
    "JobScheduler",
    "OffsetClock",
    "Outcome",
    "Pacer",
    "PostedLookup",
    "ProblemKind",
    "RateBudget",
    "Runner",
    "Skip",
    "SkipDelivery",
    "SkipReason",
    "Sweep",
    "SweepReport",
    "TaskTracker",
    "TransientDeliveryError",
    "Triage",
    "Worker",
    "clock_from_env",
    "delivery_nonce",
    "delivery_reference",
    "find_by_reference",
    "triage_missed",
]
