"""Application commands the bot registered (global and per server), kept across bot restarts like Discord does."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from dataclasses import dataclass, field

from discord_emulator.models import InteractionError, JsonDict
from discord_emulator.snowflake import SnowflakeFactory

log = logging.getLogger(__name__)

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


@dataclass(eq=False)
class RegisteredCommand:
    id: int
    application_id: int
    guild_id: int | None
    name: str
    type: int
    description: str
    options: list[JsonDict] = field(default_factory=list)
    default_member_permissions: str | None = None
    contexts: list[int] | None = None
    integration_types: list[int] = field(default_factory=lambda: [0])
    nsfw: bool = False
    version: int = 0
    name_localizations: dict[str, str] | None = None
    description_localizations: dict[str, str] | None = None

    def payload(self) -> JsonDict:
        data: JsonDict = {
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
            "default_member_permissions": self.default_member_permissions,
            "type": self.type,
            "name": self.name,
            "name_localizations": self.name_localizations,
            "description": self.description,
            "description_localizations": self.description_localizations,
            "dm_permission": self.contexts is None or 1 in self.contexts,
            "contexts": self.contexts,
            "integration_types": self.integration_types,
            "nsfw": self.nsfw,
        }
        if self.options:
            data["options"] = copy.deepcopy(self.options)
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data

    def allowed_in_dm(self) -> bool:
        if self.guild_id is not None:
            return False
        return self.contexts is None or 1 in self.contexts

    def resolve_path(self, path: list[str]) -> tuple[list[JsonDict], list[str]]:
        """Walk "group sub" names down the options tree; returns (the leaf's options, the names walked)."""
        options = self.options
        walked: list[str] = []
        for part in path:
            match = next(
                (o for o in options if o.get("name") == part and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)),
                None,
            )
            if match is None:
                available = [o.get("name") for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
                raise InteractionError(
                    f"/{self.name} has no subcommand {' '.join([*walked, part])!r}; it has {available}"
                )
            walked.append(part)
            options = match.get("options") or []
        if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
            available = [o.get("name") for o in options]
            raise InteractionError(f"/{' '.join([self.name, *walked])} needs a subcommand: one of {available}")
        return options, walked

    def __repr__(self) -> str:
        scope = f"guild={self.guild_id}" if self.guild_id else "global"
        return f"<Command /{self.name} id={self.id} {scope}>"


def _definition_key(body: JsonDict) -> str:
    return json.dumps(body, sort_keys=True, default=str)


class CommandRegistry:
    def __init__(self, application_id: int, ids: SnowflakeFactory) -> None:
        self.application_id = application_id
        self.ids = ids
        self._scopes: dict[int | None, dict[tuple[int, str], RegisteredCommand]] = {}
        self._definitions: dict[int, str] = {}
        self.changed = asyncio.Event()
        self.registrations = 0

    def bulk_overwrite(self, guild_id: int | None, body: list[JsonDict]) -> list[RegisteredCommand]:
        """PUT semantics: commands matched by (type, name) keep their id; missing ones are deleted."""
        old = self._scopes.get(guild_id, {})
        new: dict[tuple[int, str], RegisteredCommand] = {}
        for item in body:
            ctype = int(item.get("type") or CHAT_INPUT)
            name = str(item.get("name"))
            key = (ctype, name)
            previous = old.get(key)
            definition = _definition_key(item)
            if previous is not None and self._definitions.get(previous.id) == definition:
                new[key] = previous
                continue
            command = self._build(guild_id, item, previous.id if previous else None)
            self._definitions[command.id] = definition
            new[key] = command
        self._scopes[guild_id] = new
        self.registrations += 1
        self.changed.set()
        return list(new.values())

    def _build(self, guild_id: int | None, item: JsonDict, keep_id: int | None) -> RegisteredCommand:
        contexts = item.get("contexts")
        if contexts is None and item.get("dm_permission") is False:
            contexts = [0]
        perms = item.get("default_member_permissions")
        return RegisteredCommand(
            id=keep_id or self.ids.next(),
            application_id=self.application_id,
            guild_id=guild_id,
            name=str(item.get("name")),
            type=int(item.get("type") or CHAT_INPUT),
            description=str(item.get("description") or ""),
            options=copy.deepcopy(item.get("options") or []),
            default_member_permissions=str(perms) if perms is not None else None,
            contexts=list(contexts) if contexts is not None else None,
            integration_types=list(item.get("integration_types") or [0]),
            nsfw=bool(item.get("nsfw")),
            version=self.ids.next(),
            name_localizations=item.get("name_localizations"),
            description_localizations=item.get("description_localizations"),
        )

    def in_scope(self, guild_id: int | None = None) -> list[RegisteredCommand]:
        return list(self._scopes.get(guild_id, {}).values())

    def all(self) -> list[RegisteredCommand]:
        return [c for scope in self._scopes.values() for c in scope.values()]

    def available_in(self, guild_id: int | None) -> list[RegisteredCommand]:
        """What a user sees in the command picker: the server's commands, then global ones."""
        scoped = self.in_scope(guild_id) if guild_id is not None else []
        names = {(c.type, c.name) for c in scoped}
        return scoped + [c for c in self.in_scope(None) if (c.type, c.name) not in names]

    def find(self, name: str, guild_id: int | None, ctype: int = CHAT_INPUT) -> RegisteredCommand | None:
        if guild_id is not None:
            found = self._scopes.get(guild_id, {}).get((ctype, name))
            if found is not None:
                return found
        return self._scopes.get(None, {}).get((ctype, name))

    def get(self, command_id: int) -> RegisteredCommand | None:
        return next((c for c in self.all() if c.id == command_id), None)

    def delete(self, command_id: int) -> bool:
        for scope in self._scopes.values():
            for key, command in list(scope.items()):
                if command.id == command_id:
                    del scope[key]
                    return True
        return False

    @property
    def empty(self) -> bool:
        return not any(self._scopes.values())

    def describe(self) -> str:
        return ", ".join(f"/{c.name}" for c in self.all()) or "(none)"
