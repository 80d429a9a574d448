"""Milestone announcements and server events: subscriptions, reminders, what an announcement says, and when.

- ``service.MilestoneService``: what the cogs call.
- ``announcer.MilestoneAnnouncer``: the feed of announcements (``bot.scheduling.runner``): one timer per due
  instant, every subscribed server, exactly once, with the grace policy after downtime.
- ``discord_events.DiscordEventSync``: the feed that makes Discord scheduled events for Match Week, SOAP and Match
  Day in the servers that opted in.
- ``planner``: which deliveries are due when, derived from the database and the cycle calendar.
- ``announcements``: the content of an announcement as plain values (``bot/ui/milestones.py`` draws it).
- ``reminders``, ``events``: parsing ``7d,1d,0`` and validating an event's date, time and zone.
"""

from bot.milestones.announcements import Announcement
from bot.milestones.announcer import Messenger, MilestoneAnnouncer
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
    "ServerEvent",
    "Status",
    "Subscription",
    "TargetKind",
]
