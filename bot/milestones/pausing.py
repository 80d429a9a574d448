"""Pausing what a server problem breaks, and deciding whom to tell.

A deleted channel pauses the subscription posting there and the server's events in it; a missing permission does
the same; a deleted role pauses the subscription that pings it. Each call pauses only what is still active, in one
statement each, so of two concurrent reports of one problem only one produces a notice (one DM, not two).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.milestones.models import Notice, PauseReason
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import ProblemKind

log = logging.getLogger(__name__)

REASON_FOR_PROBLEM = {
    ProblemKind.CHANNEL_GONE: PauseReason.CHANNEL_GONE,
    ProblemKind.NO_PERMISSION: PauseReason.NO_PERMISSION,
    ProblemKind.ROLE_GONE: PauseReason.ROLE_GONE,
    ProblemKind.SERVER_GONE: PauseReason.SERVER_GONE,
}


async def pause_for_problem(
    repository: MilestoneRepository,
    guild_id: int,
    reason: PauseReason,
    now: datetime,
    *,
    channel_id: int | None = None,
    role_id: int | None = None,
    also_tell: int | None = None,
) -> Notice | None:
    """Pause what ``reason`` breaks in the server; the notice for its admins, or None when nothing changed (already
    paused, or nothing used that channel or role) or nobody can be told (the bot left the server)."""
    subscription = await repository.subscription(guild_id)
    events: list[str] = []
    if reason is PauseReason.ROLE_GONE:
        paused = role_id is not None and await repository.pause_subscriptions_with_role(guild_id, role_id, now)
    elif reason is PauseReason.SERVER_GONE:
        paused = await repository.pause_subscription(guild_id, reason, now)
        events = await repository.pause_events_in_channel(guild_id, None, reason, now)
    else:
        if channel_id is None:
            raise ValueError(f"{reason} needs the channel")
        paused = await repository.pause_subscription(guild_id, reason, now, channel_id=channel_id)
        events = await repository.pause_events_in_channel(guild_id, channel_id, reason, now)
    if not paused and not events:
        return None
    log.warning(
        "server %s: paused %s%s (%s, channel %s, role %s)",
        guild_id,
        "the milestone subscription" if paused else "",
        f"{' and ' if paused else ''}{len(events)} event(s)" if events else "",
        reason.value,
        channel_id,
        role_id,
    )
    if reason is PauseReason.SERVER_GONE:
        return None
    recipients: list[int] = []
    for user_id in (subscription.configured_by if subscription is not None else None, also_tell):
        # 0 is who set it up after their /mydata delete: nobody to DM (the server's owner is told instead).
        if user_id and user_id not in recipients:
            recipients.append(user_id)
    return Notice(
        guild_id=guild_id,
        recipients=tuple(recipients),
        reason=reason,
        channel_id=channel_id,
        role_id=role_id,
        subscription_paused=paused,
        events_paused=tuple(events),
    )
