"""Delivery machinery shared by every feature that posts at a set time (milestones, server events, study groups).

- ``scheduler.JobScheduler``: APScheduler's clock, jobs rebuilt from the database under stable ids, tracked tasks.
- ``delivery``: exactly-once delivery (claim, send with a deterministic nonce, record) and its table.
- ``grace``: what to do with deliveries missed while the bot was down.
- ``clock``: the clock a feature's schedule runs by (the end-to-end tests can move the study groups' one).
- ``pacing``: keeping a fan-out to thousands of servers under Discord's global rate limit.
- ``retry``: running again soon, with a doubling backoff, after a run that left deliveries Discord refused for now.

No discord import here: the feature passes a ``send`` function that talks to Discord.
"""

from bot.scheduling.clock import TEST_CLOCK_OFFSET_ENV, Clock, OffsetClock, clock_from_env, system_clock
from bot.scheduling.delivery import (
    CRASH_AFTER_SEND_ENV,
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Outcome,
    PostedLookup,
    ProblemKind,
    TransientDeliveryError,
    delivery_nonce,
    delivery_reference,
    find_by_reference,
)
from bot.scheduling.grace import SkipReason, Triage, triage_missed
from bot.scheduling.pacing import Pacer, fan_out
from bot.scheduling.retry import DEFAULT_FIRST_RETRY, RetryBackoff
from bot.scheduling.scheduler import JobScheduler
from bot.scheduling.tasks import TaskTracker

__all__ = [
    "CRASH_AFTER_SEND_ENV",
    "DEFAULT_FIRST_RETRY",
    "TEST_CLOCK_OFFSET_ENV",
    "Clock",
    "Deliverer",
    "DeliveryProblem",
    "DeliveryRecord",
    "DeliveryRepository",
    "DeliveryResult",
    "DeliveryStatus",
    "JobScheduler",
    "OffsetClock",
    "Outcome",
    "Pacer",
    "PostedLookup",
    "ProblemKind",
    "RetryBackoff",
    "SkipReason",
    "TaskTracker",
    "TransientDeliveryError",
    "Triage",
    "clock_from_env",
    "delivery_nonce",
    "delivery_reference",
    "fan_out",
    "find_by_reference",
    "system_clock",
    "triage_missed",
]
