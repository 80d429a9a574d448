"""/mydata's share of quizzes: the member's answers and quizzes, their review queue, and their place in group
quizzes still running (kept in the quiz's saved state), through ``QuizService``, which holds the running ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.quiz.service import QuizService


@dataclass(frozen=True)
class QuizData:
    """A ``bot.privacy.PersonalDataSource``."""

    service: QuizService
    name: str = "quiz"
    # Group quizzes a member started keep running for the others with user_id 0
    # (QuizService.delete_user_data).
    covers: frozenset[tuple[str, str]] = frozenset({("quiz_answers", "user_id"), ("quiz_runs", "user_id")})

    async def export(self, user_id: int) -> Any:
        return await self.service.export_user_data(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"quiz_records": await self.service.delete_user_data(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.service.user_ids()
