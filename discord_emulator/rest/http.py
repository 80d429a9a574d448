"""What a route handler receives and answers, in Discord's shapes: the request, the response, the error bodies.

Shared by the pipeline (``api.py``) and every resource's routes; imports nothing else of the REST layer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from discord_emulator.messages import UploadedFile
from discord_emulator.models import JsonDict


class DiscordError(Exception):
    """An error answer in Discord's shape: {"message", "code"} (+ "errors" for Invalid Form Body)."""

    def __init__(self, status: int, code: int, message: str, errors: JsonDict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JsonDict:
        body: JsonDict = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


def form_error(problems: list[tuple[str, str]]) -> DiscordError:
    """400 Invalid Form Body with Discord's nested `errors` tree, so discord.py prints 'In content: ...'."""
    errors: JsonDict = {}
    for field_path, message in problems:
        node = errors
        for part in re.findall(r"[^.\[\]]+", field_path) or ["_root"]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return DiscordError(400, 50035, "Invalid Form Body", errors)


@dataclass
class RestRequest:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    # When the request reached the emulator, before it parsed and checked the body: the emulator's own work on a
    # request never counts against the bot (interaction deadline, callback latency).
    received_at: float = 0.0

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise DiscordError(400, 50035, f"Invalid Form Body: {name} is not a snowflake") from None

    @property
    def json(self) -> JsonDict:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class RestResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # No answer at all: the connection is closed instead (a "drop" fault). Recorded with status 0.
    dropped: bool = False
    # A "malformed" fault's answer: not what the route returns, on purpose, so the contract check leaves it alone.
    injected: bool = False


@dataclass
class RequestRecord:
    """One request the bot made, as seen by the emulator (for waiting on it and for debugging)."""

    method: str
    path: str
    route: str
    status: int
    body: Any
    at: float
    seq: int = 0


Handler = Callable[[RestRequest], Awaitable[RestResponse]]


def ok(body: Any = None, status: int = 200) -> RestResponse:
    return RestResponse(status if body is not None else 204, body)


def require_content(body: JsonDict, files: list[UploadedFile]) -> None:
    keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    if not files and not any(body.get(k) for k in keys):
        raise DiscordError(400, 50006, "Cannot send an empty message")
