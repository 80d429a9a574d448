"""Interview practice notes and the interview log in /mydata export and /mydata delete (``bot/privacy.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.interviews.repository import InterviewRepository


@dataclass(frozen=True)
class InterviewData:
    """A ``PersonalDataSource``: the member's notes on practice answers and their interview log, with the rank
    draft's order and notes (columns of the log). All of it is the member's alone, so delete removes the rows."""

    repository: InterviewRepository
    name: str = "interviews"
    covers: frozenset[tuple[str, str]] = frozenset({("interview_notes", "user_id"), ("interview_log", "user_id")})

    @classmethod
    def of(cls, conn: aiosqlite.Connection) -> InterviewData:
        return cls(InterviewRepository(conn))

    async def export(self, user_id: int) -> Any:
        notes = await self.repository.notes(user_id)
        entries = await self.repository.entries(user_id)
        return {
            "interview_practice_notes": [
                {
                    "question_id": n.question_id,
                    "question": n.question,
                    "note": n.note,
                    "saved_at": n.created_at.isoformat(timespec="seconds"),
                }
                for n in reversed(notes)
            ],
            "interview_log": [
                {
                    "program": e.program,
                    "date": e.date.isoformat(),
                    "impression": e.impression,
                    "notes": e.notes,
                    "rank_draft_position": e.rank_position,
                    "rank_draft_note": e.rank_note,
                    "logged_at": e.created_at.isoformat(timespec="seconds"),
                    "updated_at": e.updated_at.isoformat(timespec="seconds"),
                }
                for e in entries
            ],
        }

    async def delete(self, user_id: int) -> dict[str, int]:
        notes, entries = await self.repository.delete_user(user_id)
        return {"interview_notes": notes, "interview_log_entries": entries}

    async def user_ids(self) -> set[int]:
        return await self.repository.user_ids()
