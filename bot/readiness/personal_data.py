"""/mydata's share of readiness: an unfinished assessment and the saved results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.readiness.service import ReadinessService


@dataclass(frozen=True)
class ReadinessData:
    """A ``bot.privacy.PersonalDataSource``."""

    service: ReadinessService
    name: str = "readiness"
    # readiness_result_areas has no user column: its rows go with their result (ON DELETE CASCADE, and
    # explicitly).
    covers: frozenset[tuple[str, str]] = frozenset(
        {("readiness_sessions", "user_id"), ("readiness_results", "user_id")}
    )

    async def export(self, user_id: int) -> Any:
        return await self.service.export_user_data(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"readiness_records": await self.service.delete_user_data(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.service.user_ids()
