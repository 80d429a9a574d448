"""Interview practice notes, the interview log and mock interview sessions in /mydata export and /mydata delete
(``bot/privacy.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.db.connection import Connection
from bot.interviews.mock_repository import Feedback, MockRepository
from bot.interviews.repository import InterviewRepository


def _feedback(item: Feedback) -> dict[str, Any]:
    return {
        "session": item.session_id,
        "round": item.round,
        "clarity": item.clarity,
        "structure": item.structure,
        "content": item.content,
        "strength": item.strength,
        "suggestion": item.suggestion,
        "given_at": item.created_at.isoformat(timespec="seconds"),
        "updated_at": item.updated_at.isoformat(timespec="seconds"),
    }


@dataclass(frozen=True)
class InterviewData:
    """A ``PersonalDataSource``: the member's notes on practice answers and their interview log, with the rank
    draft's order and notes (columns of the log), all theirs alone, so delete removes the rows; and their mock
    interview sessions (``MockRepository.delete_user``: the feedback they received goes, the feedback they gave
    stays with its candidate without their name)."""

    repository: InterviewRepository
    mock: MockRepository
    name: str = "interviews"
    covers: frozenset[tuple[str, str]] = frozenset(
        {
            ("interview_notes", "user_id"),
            ("interview_log", "user_id"),
            ("mock_sessions", "started_by"),
            ("mock_participants", "user_id"),
            ("mock_seats", "user_id"),
            ("mock_feedback", "user_id"),
            ("mock_feedback", "author_id"),
        }
    )

    @classmethod
    def of(cls, conn: Connection) -> InterviewData:
        return cls(InterviewRepository(conn), MockRepository(conn))

    async def _mock_export(self, user_id: int) -> dict[str, Any]:
        sessions = [
            {
                "session": session.id,
                "server_id": str(session.guild_id),
                "study_group_id": session.group_id,
                "opened_at": session.created_at.isoformat(timespec="seconds"),
                "state": session.state.phase.value,
                "you_started_it": session.started_by == user_id,
                # first: interviewer in round 1, candidate in round 2; second: the other way round; extra:
                # interviewer in both rounds.
                "your_seat": seat,
            }
            for session, seat in await self.mock.sessions_of(user_id)
        ]
        return {
            "sessions": sessions,
            # Who gave or received it is left out: it names another member.
            "feedback_received": [_feedback(f) for f in await self.mock.feedback_received(user_id)],
            "feedback_given": [_feedback(f) for f in await self.mock.feedback_given(user_id)],
        }

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
            "mock_interviews": await self._mock_export(user_id),
        }

    async def delete(self, user_id: int) -> dict[str, int]:
        notes, entries = await self.repository.delete_user(user_id)
        return {"interview_notes": notes, "interview_log_entries": entries, **await self.mock.delete_user(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.repository.user_ids() | await self.mock.user_ids()
