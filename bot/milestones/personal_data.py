"""/mydata's share of milestones: the server announcements and events a moderator set up name them, so that they can
be told about problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.milestones.repository import MilestoneRepository


@dataclass(frozen=True)
class ServerRecords:
    """A ``bot.privacy.PersonalDataSource``: milestone subscriptions and server events keep the moderator who set
    them up. The records belong to the server, so deleting a member's data removes their id and leaves the
    announcements running."""

    repository: MilestoneRepository
    name: str = "server_records"
    covers: frozenset[tuple[str, str]] = frozenset(
        {("milestone_subscriptions", "configured_by"), ("server_events", "created_by")}
    )

    async def export(self, user_id: int) -> Any:
        return await self.repository.export_named(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"server_records_unnamed": await self.repository.unname(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.repository.named_user_ids()
