"""/mydata's share of /mydates: the dates, the DM pause, the per-server sharing, and the reminder rows of the shared
``deliveries`` table (they name the member only in ``target_ref`` and their key, which no column-name check can
find, so they are exported and deleted here explicitly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.mydates.repository import MyDatesRepository


@dataclass(frozen=True)
class MyDatesData:
    """A ``bot.privacy.PersonalDataSource``."""

    repository: MyDatesRepository
    name: str = "my_dates"
    covers: frozenset[tuple[str, str]] = frozenset(
        {("my_dates", "user_id"), ("my_dates_dm_pauses", "user_id"), ("my_dates_sharing", "user_id")}
    )

    async def export(self, user_id: int) -> Any:
        return await self.repository.export_user_data(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return await self.repository.delete_user_data(user_id)

    async def user_ids(self) -> set[int]:
        return await self.repository.user_ids()
