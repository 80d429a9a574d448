"""/mydata's share of the knowledge base: the member's "Was this helpful?" votes, with why one was not if they said.
(The entries a moderator wrote for their server are ``ServerEntryAuthors`` in ``bot.knowledge.server_entries``.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.knowledge.repository import KnowledgeFeedbackRepository


@dataclass(frozen=True)
class KnowledgeVotes:
    """A ``bot.privacy.PersonalDataSource``: votes on knowledge-base answers (``entry_votes``)."""

    repository: KnowledgeFeedbackRepository
    name: str = "knowledge_votes"
    covers: frozenset[tuple[str, str]] = frozenset({("entry_votes", "user_id")})

    async def export(self, user_id: int) -> Any:
        return await self.repository.export_votes(user_id)

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"knowledge_votes": await self.repository.delete_votes(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.repository.voter_ids()
