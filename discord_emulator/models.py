"""What the emulator stores about the bot's output: messages, their attachments, and helpers to inspect them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from discord_emulator.world import User


@dataclass(eq=False)
class Answer:
    """The emulator's answer to one REST request: ``written`` is set once it has been written to the bot."""

    written: asyncio.Event = field(default_factory=asyncio.Event)
    written_at: float | None = None

    def mark_written(self) -> None:
        self.written_at = time.monotonic()
        self.written.set()


REQUEST_ANSWERED: ContextVar[Answer | None] = ContextVar("request_answered", default=None)
"""While the REST layer handles a request: its answer (what it creates or changes remembers it)."""

log = logging.getLogger(__name__)

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_IS_COMPONENTS_V2 = 1 << 15

JsonDict = dict[str, Any]

_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


class InteractionError(Exception):
    """The test asked for something a Discord user could not do (unknown command, missing option, ...)."""


@dataclass(eq=False)
class Attachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def text(self, encoding: str = "utf-8") -> str:
        return self.data.decode(encoding)

    def __repr__(self) -> str:
        return f"<Attachment {self.filename} {self.size} bytes>"


def walk_components(components: list[JsonDict]) -> Iterator[JsonDict]:
    """Every component, depth first, through action rows, containers, sections (accessory) and labels."""
    for component in components:
        yield component
        children = component.get("components")
        if isinstance(children, list):
            yield from walk_components(children)
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


@dataclass(eq=False)
class Message:
    """A message as Discord stores it, plus what the emulator learnt while creating it."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JsonDict] = field(default_factory=list)
    components: list[JsonDict] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    nonce: str | int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    edited_at: datetime | None = None
    deleted: bool = False
    # The allowed_mentions object exactly as the bot sent it; None when the bot sent none (Discord then parses all).
    allowed_mentions: JsonDict | None = None
    # Who this message notified: "@everyone", "@here", "<@user_id>", "<@&role_id>".
    pings: list[str] = field(default_factory=list)
    mention_user_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    interaction_id: int | None = None
    interaction_type: int | None = None
    interaction_user: User | None = None
    command_name: str | None = None
    interaction_metadata: JsonDict | None = None
    webhook_id: int | None = None
    reference_id: int | None = None
    reactions: dict[str, set[int]] = field(default_factory=dict)
    edits: int = 0
    # Set once the answer to the request that last created or changed this message has been written to the bot:
    # until then the bot cannot know the message's id, so a click on its components could find no view.
    answered: Answer | None = field(default=None, repr=False, compare=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def text(self) -> str:
        """Content plus every embed's visible text and V2 text displays, for assertions and terminal output."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for fld in embed.get("fields") or []:
                parts.append(f"{fld.get('name', '')}: {fld.get('value', '')}")
            footer = embed.get("footer") or {}
            if footer.get("text"):
                parts.append(str(footer["text"]))
        for component in walk_components(self.components):
            if component.get("type") == 10 and component.get("content"):
                parts.append(str(component["content"]))
        return "\n".join(parts)

    def all_components(self) -> list[JsonDict]:
        return list(walk_components(self.components))

    @property
    def buttons(self) -> list[JsonDict]:
        return [c for c in walk_components(self.components) if c.get("type") == 2]

    @property
    def selects(self) -> list[JsonDict]:
        return [c for c in walk_components(self.components) if c.get("type") in _SELECT_TYPES]

    def find_component(
        self, *, label: str | None = None, custom_id: str | None = None, types: frozenset[int] | None = None
    ) -> JsonDict:
        matches = [
            c
            for c in walk_components(self.components)
            if (types is None or c.get("type") in types)
            and (label is None or c.get("label") == label)
            and (custom_id is None or c.get("custom_id") == custom_id)
        ]
        if not matches:
            wanted = f"label={label!r}" if label is not None else f"custom_id={custom_id!r}"
            have = [
                c.get("label") or c.get("custom_id") for c in walk_components(self.components) if c.get("type") != 1
            ]
            raise LookupError(f"message {self.id} has no component with {wanted}; it has {have}")
        if len(matches) > 1:
            raise LookupError(f"message {self.id} has {len(matches)} components matching; pass custom_id")
        return matches[0]

    def __repr__(self) -> str:
        preview = self.text.replace("\n", " ")[:60]
        return f"<Message id={self.id} channel={self.channel_id} {preview!r}>"
