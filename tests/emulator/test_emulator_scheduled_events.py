"""The emulator's guild scheduled event routes as the bot uses them (bot/milestones/discord_events.py): external
events need an end time, a location and a future start; Create Events allows the bot's own events, Manage Events
anyone's; a refusal is 403 50013; bodies and answers are checked against Discord's OpenAPI schema (the gateway
dispatch of a created event is covered with the fixture bot in test_emulator_bot.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from discord_emulator import Emulator, Perm, World
from discord_emulator.world import Guild, ScheduledEvent

pytestmark = pytest.mark.asyncio(loop_scope="function")


@dataclass
class Api:
    emu: Emulator
    http: aiohttp.ClientSession
    guild: Guild

    @property
    def events_url(self) -> str:
        return f"{self.emu.api_base}/guilds/{self.guild.id}/scheduled-events"

    async def call(self, method: str, url: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.emu.token}"}
        async with self.http.request(method, url, json=body, headers=headers) as resp:
            return resp.status, (await resp.json() if resp.status != 204 else None)

    def set_bot_permissions(self, permissions: int) -> None:
        self.emu.world.bot_role(self.guild).permissions = permissions


@pytest_asyncio.fixture
async def api() -> AsyncIterator[Api]:
    async with Emulator(World.default()) as emu, aiohttp.ClientSession() as http:
        yield Api(emu, http, emu.world.guild("IMG Study Hall"))


def external(start: datetime, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Match Day: results released (Match 2027)",
        "description": "Projected date.",
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "entity_type": 3,
        "privacy_level": 2,
        "entity_metadata": {"location": "https://www.nrmp.org/residency-applicants/soap/"},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def test_create_list_and_move_an_external_event(api: Api) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=100)
    status, created = await api.call("POST", api.events_url, external(start))
    assert status == 200 and created["entity_type"] == 3 and created["creator_id"] == str(api.emu.world.bot.id)
    assert created["entity_metadata"] == {"location": "https://www.nrmp.org/residency-applicants/soap/"}
    status, listed = await api.call("GET", f"{api.events_url}?with_user_count=false")
    assert status == 200 and [e["id"] for e in listed] == [created["id"]]

    later = start + timedelta(days=7)
    move = {"scheduled_start_time": later.isoformat(), "scheduled_end_time": (later + timedelta(hours=1)).isoformat()}
    status, moved = await api.call("PATCH", f"{api.events_url}/{created['id']}", {**move, "description": "Official."})
    assert status == 200 and moved["description"] == "Official."
    event = api.guild.scheduled_events[int(created["id"])]
    assert event.scheduled_start_time == later and event.location == created["entity_metadata"]["location"]
    api.emu.assert_clean()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"entity_metadata": {}}, "entity_metadata.location"),
        ({"name": ""}, "name"),
        ({"privacy_level": 1}, "privacy_level"),
    ],
)
async def test_invalid_external_events_are_refused_naming_the_field(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    status, body = await api.call("POST", api.events_url, external(start, **changes))
    assert status == 400 and body["code"] == 50035
    assert any(v.field == field or v.field.startswith(field) for v in api.emu.violations), api.emu.violations
    assert api.guild.scheduled_events == {}


async def test_a_start_in_the_past_and_limits_are_refused(api: Api) -> None:
    status, body = await api.call("POST", api.events_url, external(datetime.now(UTC) - timedelta(minutes=1)))
    assert status == 400 and "scheduled_start_time" in body["errors"]
    long = external(datetime.now(UTC) + timedelta(days=3), name="x" * 101, description="y" * 1001)
    status, body = await api.call("POST", api.events_url, long)
    assert status == 400
    fields = {v.field for v in api.emu.violations}
    assert {"name", "description"} <= fields, fields


async def test_permissions_create_events_for_its_own_manage_events_for_anyones(api: Api) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    api.set_bot_permissions(int(Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES))
    status, body = await api.call("POST", api.events_url, external(start))
    assert (status, body["code"]) == (403, 50013)

    api.set_bot_permissions(int(Perm.VIEW_CHANNEL | Perm.CREATE_EVENTS))
    status, own = await api.call("POST", api.events_url, external(start))
    assert status == 200
    status, _ = await api.call("PATCH", f"{api.events_url}/{own['id']}", {"description": "moved"})
    assert status == 200
    admins = ScheduledEvent(
        id=api.emu.ids.next(),
        guild_id=api.guild.id,
        name="Mock exam",
        scheduled_start_time=start,
        scheduled_end_time=start + timedelta(hours=3),
        entity_type=3,
        location="Zoom",
        creator_id=api.guild.owner_id,
    )
    api.guild.scheduled_events[admins.id] = admins
    status, body = await api.call("PATCH", f"{api.events_url}/{admins.id}", {"description": "mine now"})
    assert (status, body["code"]) == (403, 50013)
    api.set_bot_permissions(int(Perm.VIEW_CHANNEL | Perm.MANAGE_EVENTS))
    status, _ = await api.call("PATCH", f"{api.events_url}/{admins.id}", {"description": "fine"})
    assert status == 200
    status, body = await api.call("PATCH", f"{api.events_url}/999", {"description": "x"})
    assert (status, body["code"]) == (404, 10070)
