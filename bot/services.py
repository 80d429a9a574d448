"""The services every cog reaches through the bot: built once in setup_hook, released in close()."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.service import KnowledgeService


@dataclass(frozen=True)
class Services:
    knowledge: KnowledgeService
