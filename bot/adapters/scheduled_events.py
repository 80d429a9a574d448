"""The Discord side of scheduled events for Match Week, SOAP and Match Day (``bot.milestones.discord_events``).

Creating, editing and finding a server's events over REST, with Discord's answers turned into the delivery
machinery's terms: a missing permission is a ``DeliveryProblem`` (creating stops in that server and its admin is
told), Discord being unavailable a ``TransientDeliveryError`` (the next run tries again), an event deleted by an
admin ``EventGone`` (left deleted).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord_internals import create_scheduled_event, edit_scheduled_event, list_scheduled_events
from bot.milestones.discord_event_plan import EventPlan, EventsNotice
from bot.milestones.discord_events import EventGone, GuildReadiness
from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError
from bot.ui.channels import tell_server_admin
from bot.ui.delivery_errors import delivery_errors

log = logging.getLogger(__name__)

EXTERNAL = 3
GUILD_ONLY = 2
UNKNOWN_EVENT = 10070
PERMISSION_HELP = (
    "Give my role **Manage Events** (Server Settings > Roles > my role > Manage Events), then run "
    "`/announcements scheduled-events enabled:True` again."
)


def can_make_events(me: discord.Member) -> bool:
    perms = me.guild_permissions
    return perms.manage_events or perms.create_events


def _payload(plan: EventPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "description": plan.description,
        "scheduled_start_time": plan.start.isoformat(),
        "scheduled_end_time": plan.end.isoformat(),
        "entity_metadata": {"location": plan.location},
    }


def notice_text(notice: EventsNotice, server_name: str) -> str:
    server = f"**{discord.utils.escape_markdown(server_name)}**"
    names = ", ".join(f"“{name}”" for name in notice.names[:3])
    more = f" and {len(notice.names) - 3} more" if len(notice.names) > 3 else ""
    return (
        f"I could not add {names}{more} to the Events of {server}: Discord says I lack the permission.\n"
        f"{PERMISSION_HELP}\nMilestone announcements go on as before; other servers are not affected."
    )


class DiscordEventGateway:
    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    def readiness(self, guild_id: int) -> GuildReadiness:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return GuildReadiness.GONE
        if guild.unavailable:
            return GuildReadiness.UNAVAILABLE
        return GuildReadiness.READY if can_make_events(guild.me) else GuildReadiness.NO_PERMISSION

    async def _call(self, what: str, request: Any) -> Any:
        try:
            with delivery_errors(what, not_found=ProblemKind.SERVER_GONE):
                return await request
        except DeliveryProblem as problem:
            # An admin deleted the event in Discord: not a server problem, the event is simply gone.
            cause = problem.__cause__
            if isinstance(cause, discord.NotFound) and cause.code == UNKNOWN_EVENT:
                raise EventGone(f"{cause.code} {cause.text}") from cause
            raise

    async def create(self, guild_id: int, plan: EventPlan) -> int:
        payload = {**_payload(plan), "entity_type": EXTERNAL, "privacy_level": GUILD_ONLY}
        created = await self._call(f"the event {plan.uid}", create_scheduled_event(self.bot.http, guild_id, payload))
        return int(created["id"])

    async def edit(self, guild_id: int, event_id: int, plan: EventPlan) -> None:
        await self._call(
            f"moving the event {plan.uid}", edit_scheduled_event(self.bot.http, guild_id, event_id, _payload(plan))
        )

    async def find(self, guild_id: int, name: str) -> int | None:
        me = self.bot.user
        try:
            events = await self._call("listing events", list_scheduled_events(self.bot.http, guild_id))
        except (DeliveryProblem, EventGone) as error:
            # Unsure whether the event exists: creating it now could make a second one, so the claim waits.
            raise TransientDeliveryError(f"could not list server {guild_id}'s events: {error}") from error
        for event in events:
            if event.get("name") == name and me is not None and event.get("creator_id") == str(me.id):
                return int(event["id"])
        return None

    async def notify(self, notice: EventsNotice) -> bool:
        guild = self.bot.get_guild(notice.guild_id)
        text = notice_text(notice, guild.name if guild is not None else "a server")
        return await tell_server_admin(self.bot, notice.guild_id, notice.recipients, text, "Discord events stopped")
