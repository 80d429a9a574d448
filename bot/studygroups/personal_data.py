"""/mydata's share of study groups: memberships, check-ins, settings, departures and streak-nudge deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.studygroups.service import StudyGroupService


@dataclass(frozen=True)
class StudyGroupData:
    """A ``bot.privacy.PersonalDataSource``. The streak-nudge rows of ``deliveries`` hold the member's id in
    ``target_ref`` and in their key, a column no name pattern can find, so the service deletes them too
    (tests/unit/test_personal_data.py searches every column of every table for the id)."""

    service: StudyGroupService
    name: str = "study_groups"
    covers: frozenset[tuple[str, str]] = frozenset(
        {
            ("study_group_members", "user_id"),
            ("study_checkins", "user_id"),
            ("study_member_settings", "user_id"),
            ("study_departures", "user_id"),
        }
    )

    async def export(self, user_id: int) -> Any:
        return await self.service.export_user_data(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return await self.service.delete_user_data(user_id)

    async def user_ids(self) -> set[int]:
        return await self.service.user_ids()
