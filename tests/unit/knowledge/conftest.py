"""Fixtures the knowledge tests share."""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.db.connection import Connection
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.knowledge.service import KnowledgeService


@pytest.fixture
def knowledge(conn: Connection, content: Content) -> KnowledgeService:
    """The shipped knowledge base, its votes and unanswered questions kept in the test's database."""
    return content.knowledge.with_feedback(KnowledgeFeedbackRepository(conn))
