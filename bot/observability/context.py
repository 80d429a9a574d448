"""What a log record happened inside of: one interaction, or one run of a scheduled job.

The fields live in a ``ContextVar``. asyncio copies the current context into every task when it is created, so
binding the fields around the code that *creates* the tasks (discord.py's INTERACTION_CREATE parser, the scheduler's
job launcher) is enough for every record logged by those tasks, their callbacks and their error handlers to carry
them, without threading ids through every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

# An immutable default: a shared mutable one could be changed in place by mistake and leak into every context.
_fields: ContextVar[Mapping[str, str]] = ContextVar("imgbot_log_context", default=MappingProxyType({}))

# Discord's interaction types (https://discord.com/developers/docs/interactions/receiving-and-responding).
_APPLICATION_COMMAND, _COMPONENT, _AUTOCOMPLETE, _MODAL_SUBMIT = 2, 3, 4, 5
# Option types that are subcommands or subcommand groups: their names belong to the command's name.
_SUBCOMMAND_TYPES = (1, 2)


def current() -> Mapping[str, str]:
    """The fields bound in the running task (empty outside any interaction or job)."""
    return _fields.get()


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Bind ``fields`` (added to those already bound) for the code inside, and for every task it creates."""
    merged = {**_fields.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


@contextlib.contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Bind only ``job=<id>``, dropping whatever was bound around the caller.

    APScheduler arms its timers with ``loop.call_later``, which copies the context of whoever (re)scheduled the job:
    often an interaction such as ``/event add``. Merging would tag a later job run with that interaction's id.
    """
    token = _fields.set(MappingProxyType({"job": job_id}))
    try:
        yield
    finally:
        _fields.reset(token)


def command_name(data: Mapping[str, Any]) -> str:
    """``/quiz start`` from an application command's ``data``: the name plus any subcommand group and subcommand."""
    parts = [str(data.get("name", "?"))]
    options = data.get("options") or []
    while options and options[0].get("type") in _SUBCOMMAND_TYPES:
        parts.append(str(options[0].get("name", "?")))
        options = options[0].get("options") or []
    return "/" + " ".join(parts)


def interaction_fields(payload: Mapping[str, Any]) -> dict[str, str]:
    """The log fields of an INTERACTION_CREATE payload: its id, what was used, and where and by whom.

    Only ids and names the bot defined (command names, custom ids) are kept; nothing the user typed.
    """
    fields: dict[str, str] = {"interaction": str(payload.get("id", "?"))}
    data = payload.get("data") or {}
    kind = payload.get("type")
    if kind in (_APPLICATION_COMMAND, _AUTOCOMPLETE):
        fields["command"] = command_name(data)
        if kind == _AUTOCOMPLETE:
            fields["autocomplete"] = "1"
    elif kind == _COMPONENT:
        fields["component"] = str(data.get("custom_id", "?"))
    elif kind == _MODAL_SUBMIT:
        fields["modal"] = str(data.get("custom_id", "?"))
    if payload.get("guild_id"):
        fields["guild"] = str(payload["guild_id"])
    user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
    if user.get("id"):
        fields["user"] = str(user["id"])
    return fields


def with_interaction_context(parse: Callable[[Any], None]) -> Callable[[Any], None]:
    """Wrap discord.py's INTERACTION_CREATE parser so every task it starts carries the interaction's fields.

    The parser creates the command-tree, view, dynamic-item and modal tasks synchronously and then dispatches
    ``on_interaction``; each task copies the context bound here when it is created.
    """

    def parse_in_context(payload: Any) -> None:
        # Runs for every interaction, so without log_context's generator and copies: the fields are already strings.
        fields = interaction_fields(payload) if isinstance(payload, Mapping) else {}
        bound = _fields.get()
        token = _fields.set({**bound, **fields} if bound else fields)
        try:
            parse(payload)
        finally:
            _fields.reset(token)

    return parse_in_context
