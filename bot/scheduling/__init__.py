"""Delivery machinery shared by every feature that posts at a set time (milestone announcements, server events).

- ``scheduler.JobScheduler``: APScheduler's clock, jobs rebuilt from the database under stable ids, tracked tasks.
- ``delivery``: exactly-once delivery (claim, send with a deterministic nonce, record) and its table.
- ``grace``: what to do with deliveries missed while the bot was down.
- ``pacing``: keeping a fan-out to thousands of servers under Discord's global rate limit.

No discord import here: the feature passes a ``send`` function that talks to Discord.
"""

from bot.scheduling.delivery import (
    CRASH_AFTER_SEND_ENV,
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Outcome,
    ProblemKind,
    TransientDeliveryError,
    delivery_nonce,
    delivery_reference,
)
from bot.scheduling.grace import SkipReason, Triage, triage_missed
from bot.scheduling.pacing import Pacer, fan_out
from bot.scheduling.scheduler import JobScheduler
from bot.scheduling.tasks import TaskTracker

__all__ = [
    "CRASH_AFTER_SEND_ENV",
    "Deliverer",
    "DeliveryProblem",
    "DeliveryRecord",
    "DeliveryRepository",
    "DeliveryResult",
    "DeliveryStatus",
    "JobScheduler",
    "Outcome",
    "Pacer",
    "ProblemKind",
    "SkipReason",
    "TaskTracker",
    "TransientDeliveryError",
    "Triage",
    "delivery_nonce",
    "delivery_reference",
    "fan_out",
    "triage_missed",
]
