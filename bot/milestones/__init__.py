"""Milestone announcements and server events: subscriptions, reminders, what an announcement says, and when.

- ``service.MilestoneService``: what the cogs call.
- ``announcer.MilestoneAnnouncer``: one scheduler job per due instant, fanning out to every subscribed server,
  exactly once (``bot.scheduling``), with the grace policy after downtime.
- ``planner``: which deliveries are due when, derived from the database and the cycle calendar.
- ``announcements``: the content of an announcement as plain values (``bot/ui/milestones.py`` draws it).
- ``reminders``, ``events``: parsing ``7d,1d,0`` and validating an event's date, time and zone.
"""

from bot.milestones.announcements import Announcement
from bot.milestones.announcer import Messenger, MilestoneAnnouncer, RunReport
from bot.milestones.models import Notice, PauseReason, PlannedDelivery, ServerEvent, Status, Subscription, TargetKind
from bot.milestones.planner import DeliveryPlanner
from bot.milestones.repository import MilestoneRepository
from bot.milestones.service import MilestoneService

__all__ = [
    "Announcement",
    "DeliveryPlanner",
    "Messenger",
    "MilestoneAnnouncer",
    "MilestoneRepository",
    "MilestoneService",
    "Notice",
    "PauseReason",
    "PlannedDelivery",
    "RunReport",
    "ServerEvent",
    "Status",
    "Subscription",
    "TargetKind",
]
