"""Scheduled events: a server's events, created, edited and deleted with Discord's checks and permissions."""

from __future__ import annotations

from datetime import UTC, datetime

from discord_emulator.models import JsonDict
from discord_emulator.payloads import scheduled_event_payload
from discord_emulator.permissions import Perm
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, form_error, ok, unknown
from discord_emulator.world import Guild, ScheduledEvent


class ScheduledEventRoutes(Resource):
    """GET/POST /guilds/{id}/scheduled-events and GET/PATCH/DELETE one event."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/guilds/{guild_id}/scheduled-events", self.list_events)
        add("POST", "/guilds/{guild_id}/scheduled-events", self.create_event)
        add("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.get_event)
        add("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.edit_event)
        add("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.delete_event)

    def _event_permission(self, guild: Guild, event: ScheduledEvent | None = None) -> None:
        """Create Events lets the bot create events and edit or delete its own; anyone's need Manage Events."""
        world = self.emu.world
        perms = world.base_permissions(guild, world.bot.id)
        own = event is None or event.creator_id == world.bot.id
        if not perms & Perm.MANAGE_EVENTS and not (own and perms & Perm.CREATE_EVENTS):
            raise DiscordError(403, 50013, "Missing Permissions")

    def _event(self, req: RestRequest, guild: Guild) -> ScheduledEvent:
        event = guild.scheduled_events.get(req.int_param("guild_scheduled_event_id"))
        if event is None:
            raise unknown("Guild Scheduled Event", 10070)
        return event

    async def list_events(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        return ok([scheduled_event_payload(self.emu.world, e) for e in guild.scheduled_events.values()])

    async def get_event(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        return ok(scheduled_event_payload(self.emu.world, self._event(req, guild)))

    def _event_fields(self, guild: Guild, body: JsonDict, event: ScheduledEvent | None) -> JsonDict:
        problems: list[tuple[str, str]] = []
        now = datetime.now(UTC)
        values: JsonDict = {}
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if body.get(key) is not None:
                try:
                    moment = datetime.fromisoformat(str(body[key]).replace("Z", "+00:00"))
                except ValueError:
                    problems.append((key, "Invalid ISO8601 timestamp"))
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                values[key] = moment
        start = values.get("scheduled_start_time", event.scheduled_start_time if event else None)
        end = values.get("scheduled_end_time", event.scheduled_end_time if event else None)
        entity_type = int(body.get("entity_type") or (event.entity_type if event else 0))
        if start is None:
            problems.append(("scheduled_start_time", "This field is required"))
        elif "scheduled_start_time" in values and start < now:
            problems.append(("scheduled_start_time", "Cannot schedule event in the past."))
        if end is not None and start is not None and end <= start:
            problems.append(("scheduled_end_time", "Cannot schedule event to end before starting."))
        location = (
            (body.get("entity_metadata") or {}).get("location")
            if isinstance(body.get("entity_metadata"), dict)
            else None
        )
        if entity_type == 3:
            if end is None:
                problems.append(("scheduled_end_time", "External events require an end time."))
            if not location and not (event and event.location):
                problems.append(("entity_metadata.location", "External events require a location."))
        elif entity_type in (1, 2):
            channel_id = body.get("channel_id") or (event.channel_id if event else None)
            channel = self.emu.world.get_channel(int(channel_id)) if channel_id else None
            if channel is None or channel.guild_id != guild.id:
                problems.append(("channel_id", "Stage and voice events need a channel in this server."))
        elif event is None:
            problems.append(("entity_type", f"{entity_type} is not a valid entity type"))
        if event is None and body.get("privacy_level") != 2:
            problems.append(("privacy_level", "must be 2 (GUILD_ONLY)"))
        if (event is None or "name" in body) and not str(body.get("name") or "").strip():
            problems.append(("name", "This field is required"))
        if problems:
            for fld, message in problems:
                self.emu.record_violation(
                    "POST" if event is None else "PATCH", f"/guilds/{guild.id}/scheduled-events", fld, message
                )
            raise form_error(problems)
        values["entity_type"] = entity_type
        values["location"] = location
        return values

    async def create_event(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        self._event_permission(guild)
        body = req.json
        values = self._event_fields(guild, body, None)
        event = ScheduledEvent(
            id=self.emu.ids.next(),
            guild_id=guild.id,
            name=str(body.get("name") or ""),
            scheduled_start_time=values["scheduled_start_time"],
            scheduled_end_time=values.get("scheduled_end_time"),
            entity_type=values["entity_type"],
            privacy_level=int(body.get("privacy_level") or 2),
            description=body.get("description"),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            location=values.get("location"),
            creator_id=self.emu.world.bot.id,
        )
        guild.scheduled_events[event.id] = event
        payload = scheduled_event_payload(self.emu.world, event)
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok(payload)

    async def edit_event(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        event = self._event(req, guild)
        self._event_permission(guild, event)
        body = req.json
        values = self._event_fields(guild, body, event)
        if "name" in body:
            event.name = str(body["name"])
        if "description" in body:
            event.description = body["description"]
        if "status" in body:
            event.status = int(body["status"])
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if key in values:
                setattr(event, key, values[key])
        if values.get("location"):
            event.location = values["location"]
        event.entity_type = values["entity_type"]
        payload = scheduled_event_payload(self.emu.world, event)
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok(payload)

    async def delete_event(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        event = self._event(req, guild)
        self._event_permission(guild, event)
        payload = scheduled_event_payload(self.emu.world, event)
        del guild.scheduled_events[event.id]
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok()
