"""Interactions a test (or a local-mode user) starts, how the bot answered them, and the payloads Discord would send.

An `Interaction` is both the emulator's record (id, token, response state) and the test's handle on it:
`await ix.response()` gives a `Reply`; `ix.messages` lists every message the interaction produced.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any, Literal

from discord_emulator.commands import SUB_COMMAND, SUB_COMMAND_GROUP, RegisteredCommand
from discord_emulator.messages import MessageStore, UploadedFile
from discord_emulator.models import (
    FLAG_EPHEMERAL,
    Answer,
    Attachment,
    InteractionError,
    JsonDict,
    Message,
    walk_components,
)
from discord_emulator.payloads import attachment_payload, channel_payload, member_payload, role_payload, user_payload
from discord_emulator.world import Channel, Guild, Member, Role, User, World

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

ReplyKind = Literal["message", "deferred", "modal", "autocomplete", "update"]


@dataclass
class ModalField:
    custom_id: str
    type: int
    label: str | None
    style: int | None = None
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    value: str | None = None
    placeholder: str | None = None
    options: list[JsonDict] = field(default_factory=list)


@dataclass
class Modal:
    title: str
    custom_id: str
    fields: list[ModalField]
    components: list[JsonDict]

    def field(self, custom_id: str) -> ModalField:
        for f in self.fields:
            if f.custom_id == custom_id:
                return f
        raise KeyError(
            f"modal {self.custom_id!r} has no field {custom_id!r}; it has {[f.custom_id for f in self.fields]}"
        )


def parse_modal(data: JsonDict) -> Modal:
    fields: list[ModalField] = []
    labels: dict[int, str] = {}
    for comp in walk_components(list(data.get("components") or [])):
        if comp.get("type") == 18 and isinstance(comp.get("component"), dict):
            labels[id(comp["component"])] = str(comp.get("label") or "")
    for comp in walk_components(list(data.get("components") or [])):
        ctype = comp.get("type")
        if ctype in (1, 18, 10) or not comp.get("custom_id"):
            continue
        fields.append(
            ModalField(
                custom_id=str(comp["custom_id"]),
                type=int(ctype or 0),
                label=comp.get("label") or labels.get(id(comp)),
                style=comp.get("style"),
                required=bool(comp.get("required", True)),
                min_length=comp.get("min_length"),
                max_length=comp.get("max_length"),
                value=comp.get("value"),
                placeholder=comp.get("placeholder"),
                options=list(comp.get("options") or []),
            )
        )
    return Modal(
        str(data.get("title") or ""), str(data.get("custom_id") or ""), fields, list(data.get("components") or [])
    )


@dataclass
class Reply:
    """How the bot answered an interaction.

    kind: "message" (type 4), "deferred" (type 5; `message` is the edited original or first followup),
    "update" (type 7, or 6 with deferred=True; `message` is the component's message), "modal" (type 9),
    "autocomplete" (type 8; see `choices`).
    """

    kind: ReplyKind
    interaction: Interaction
    message: Message | None = None
    modal: Modal | None = None
    choices: list[JsonDict] | None = None
    deferred: bool = False
    ephemeral: bool = False

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[JsonDict]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[JsonDict]:
        return self.message.components if self.message else []

    @property
    def attachments(self) -> list[Attachment]:
        return self.message.attachments if self.message else []

    @property
    def text(self) -> str:
        return self.message.text if self.message else ""

    def __repr__(self) -> str:
        return f"<Reply {self.kind} ephemeral={self.ephemeral} {self.text[:60]!r}>"


class Interaction:
    """One interaction: created by a test, delivered over the gateway, answered by the bot over REST."""

    def __init__(
        self,
        *,
        id: int,
        type: int,
        user: User,
        channel: Channel,
        guild: Guild | None,
        data: JsonDict,
        store: MessageStore,
        source_message: Message | None = None,
        command: RegisteredCommand | None = None,
        parent: Interaction | None = None,
    ) -> None:
        self.id = id
        self.type = type
        self.token = _token(id)
        self.user = user
        self.channel = channel
        self.guild = guild
        self.data = data
        self.command = command
        self.source_message = source_message
        self.parent = parent
        self.created_at = time.monotonic()
        self.delivered_at: float | None = None
        # When the bot's first response (the interaction callback) arrived: latency = this - delivered_at.
        self.callback_at: float | None = None
        self.callback_type: int | None = None
        # Set once the answer to the bot's callback has been written to it (a modal is registered only then).
        self.answered: Answer | None = None
        self.callback_flags = 0
        self.original_id: int | None = None
        self.followup_ids: list[int] = []
        self.modal: Modal | None = None
        self.choices: list[JsonDict] | None = None
        self.errors: list[str] = []
        self._store = store

    @property
    def command_name(self) -> str | None:
        return self.command.name if self.command else None

    @property
    def responded(self) -> bool:
        return self.callback_type is not None

    @property
    def original(self) -> Message | None:
        return self._store.get(self.original_id) if self.original_id is not None else None

    @property
    def messages(self) -> list[Message]:
        """The original response (if it is a message) and every followup, in order, as they are now."""
        ids = ([self.original_id] if self.original_id is not None and self.callback_type in (4, 5) else []) + [
            i for i in self.followup_ids if i != self.original_id
        ]
        return [m for m in (self._store.get(i) for i in ids) if m is not None and not m.deleted]

    def _settled(self) -> bool:
        if self.callback_type is None:
            return False
        if self.callback_type == 5:
            original = self.original
            return bool(self.followup_ids) or (original is not None and not original.loading)
        return True

    def reply(self) -> Reply:
        ctype = self.callback_type
        if ctype == 8:
            return Reply("autocomplete", self, choices=list(self.choices or []))
        if ctype == 9:
            return Reply("modal", self, modal=self.modal)
        if ctype in (6, 7):
            message = self._store.get(self.original_id) if self.original_id else self.source_message
            return Reply(
                "update", self, message=message, deferred=ctype == 6, ephemeral=bool(message and message.ephemeral)
            )
        original = self.original
        if ctype == 5:
            message = original if original is not None and not original.loading else None
            if message is None and self.followup_ids:
                message = self._store.get(self.followup_ids[0])
            return Reply(
                "deferred", self, message=message, deferred=True, ephemeral=bool(self.callback_flags & FLAG_EPHEMERAL)
            )
        return Reply("message", self, message=original, ephemeral=bool(original and original.ephemeral))

    async def response(self, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait for the bot's answer. After a defer (type 5) this waits for the edited original or a followup."""
        try:
            async with asyncio.timeout(timeout):
                async with self._store.changed:
                    await self._store.changed.wait_for(lambda: self._settled() or bool(self.errors))
        except TimeoutError:
            raise TimeoutError(self._timeout_reason(timeout)) from None
        if self.errors and not self._settled():
            raise InteractionError("; ".join(self.errors))
        return self.reply()

    async def wait_for_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until the interaction has at least `count` followup messages (the first after a defer counts)."""
        async with asyncio.timeout(timeout):
            async with self._store.changed:
                await self._store.changed.wait_for(lambda: len(self.followup_ids) >= count)
        return [m for m in (self._store.get(i) for i in self.followup_ids) if m is not None]

    def _timeout_reason(self, timeout: float) -> str:
        what = f"/{self.command_name}" if self.command_name else f"interaction type {self.type}"
        if self.delivered_at is None:
            return f"{what} was never delivered to the bot within {timeout}s (is it connected?)"
        if self.callback_type is None:
            return f"the bot did not answer {what} within {timeout}s (Discord shows 'The application did not respond')"
        return f"the bot deferred {what} but never edited the original or sent a followup within {timeout}s"

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} type={self.type} {self.command_name or self.data.get('custom_id')}>"


def interaction_metadata(ix: Interaction, original_response_id: int | None = None) -> JsonDict:
    """The `interaction_metadata` Discord puts on messages created in answer to an interaction."""
    owners = {"0": str(ix.guild.id)} if ix.guild is not None else {"0": "0"}
    data: JsonDict = {
        "id": str(ix.id),
        "type": ix.type,
        "user": user_payload(ix.user),
        "authorizing_integration_owners": owners,
    }
    if original_response_id is not None:
        data["original_response_message_id"] = str(original_response_id)
    if ix.type == APPLICATION_COMMAND and ix.command is not None:
        data["name"] = ix.command.name
        data["command_type"] = ix.command.type
        if ix.command.type == 3 and ix.data.get("target_id") is not None:
            # A message context-menu command: the message it was run on.
            data["target_message_id"] = str(ix.data["target_id"])
    elif ix.type == MESSAGE_COMPONENT and ix.source_message is not None:
        data["interacted_message_id"] = str(ix.source_message.id)
    elif ix.type == MODAL_SUBMIT:
        trigger = ix.parent
        if trigger is not None:
            data["triggering_interaction_metadata"] = interaction_metadata(trigger)
        else:
            data["triggering_interaction_metadata"] = {"id": "0", "type": 2, "authorizing_integration_owners": owners}
    return data


def _token(interaction_id: int) -> str:
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(48)}".encode()
    return urlsafe_b64encode(raw).decode().rstrip("=")


# ----- payload builders ---------------------------------------------------------------------------------------


def _channel_for_interaction(world: World, channel: Channel, user: User) -> JsonDict:
    payload = channel_payload(world, channel)
    payload["permissions"] = str(world.permissions_in(channel, user.id))
    return payload


def interaction_payload(world: World, ix: Interaction, *, locale: str = "en-US") -> JsonDict:
    """The INTERACTION_CREATE body, with every key discord.py reads unguarded (attachment_size_limit!)."""
    channel = ix.channel
    payload: JsonDict = {
        "id": str(ix.id),
        "application_id": str(world.application_id),
        "type": ix.type,
        "token": ix.token,
        "version": 1,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "channel_id": str(channel.id),
        "channel": _channel_for_interaction(world, channel, ix.user),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "app_permissions": str(world.permissions_in(channel, world.bot.id)),
    }
    if ix.guild is not None:
        member = ix.guild.member(ix.user) or Member(ix.user, ix.guild.id)
        payload["guild_id"] = str(ix.guild.id)
        payload["guild"] = {"id": str(ix.guild.id), "locale": ix.guild.preferred_locale, "features": []}
        payload["guild_locale"] = ix.guild.preferred_locale
        payload["member"] = member_payload(member, permissions=world.permissions_in(channel, ix.user.id))
        payload["authorizing_integration_owners"] = {"0": str(ix.guild.id)}
        payload["context"] = 0
    else:
        payload["user"] = user_payload(ix.user)
        payload["authorizing_integration_owners"] = {"0": "0"}
        payload["context"] = 1
    if ix.data:
        payload["data"] = ix.data
    return payload


class OptionBuilder:
    """Turns test-friendly option values into the typed option list and `resolved` data Discord sends."""

    def __init__(self, world: World, guild: Guild | None, channel: Channel, store: MessageStore) -> None:
        self.world = world
        self.guild = guild
        self.channel = channel
        self.store = store
        self.resolved: dict[str, dict[str, JsonDict]] = {}

    def _resolve(self, kind: str, key: int, value: JsonDict) -> None:
        self.resolved.setdefault(kind, {})[str(key)] = value

    def _user(self, raw: Any, name: str) -> User:
        if isinstance(raw, User):
            return raw
        if isinstance(raw, Member):
            return raw.user
        if isinstance(raw, int):
            user = self.world.get_user(raw)
        elif isinstance(raw, str):
            text = raw.strip()
            if text.startswith("<@") and text.endswith(">"):
                user = self.world.get_user(int(text.strip("<@!>")))
            else:
                user = self.world.users.get(text.lstrip("@"))
        else:
            user = None
        if user is None:
            raise InteractionError(f"option {name!r}: no user {raw!r}")
        return user

    def _add_user(self, user: User) -> None:
        self._resolve("users", user.id, user_payload(user))
        member = self.guild.member(user) if self.guild else None
        if member is not None:
            perms = self.world.permissions_in(self.channel, user.id)
            self._resolve("members", user.id, member_payload(member, permissions=perms, with_user=False))

    def _channel(self, raw: Any, name: str) -> Channel:
        if isinstance(raw, Channel):
            return raw
        channel: Channel | None = None
        if isinstance(raw, int):
            channel = self.world.get_channel(raw)
        elif isinstance(raw, str):
            text = raw.strip()
            if text.startswith("<#"):
                channel = self.world.get_channel(int(text.strip("<#>")))
            else:
                try:
                    channel = self.world.channel(text, self.guild)
                except KeyError:
                    channel = None
        if channel is None:
            raise InteractionError(f"option {name!r}: no channel {raw!r}")
        return channel

    def _add_channel(self, channel: Channel) -> None:
        permissions = str(self.world.permissions_in(channel, self.world.bot.id))
        if channel.is_thread:
            # Discord's docs promise only id, name, type, permissions, thread_metadata and parent_id, but it sends
            # the whole thread (ThreadResponse: owner_id, message_count, member_count, ...), and discord.py's
            # AppCommandThread reads those fields without a default.
            data = channel_payload(self.world, channel) | {"permissions": permissions}
        else:
            data = {
                "id": str(channel.id),
                "name": channel.name,
                "type": int(channel.type),
                "permissions": permissions,
                "parent_id": str(channel.parent_id) if channel.parent_id else None,
                "flags": 0,
            }
        self._resolve("channels", channel.id, data)

    def _role(self, raw: Any, name: str) -> Role:
        if isinstance(raw, Role):
            return raw
        if self.guild is None:
            raise InteractionError(f"option {name!r}: roles exist only in servers")
        role: Role | None = None
        if isinstance(raw, int):
            role = self.guild.roles.get(raw)
        elif isinstance(raw, str):
            text = raw.strip()
            if text.startswith("<@&"):
                role = self.guild.roles.get(int(text.strip("<@&>")))
            else:
                try:
                    role = self.guild.role(text)
                except KeyError:
                    role = None
        if role is None:
            raise InteractionError(f"option {name!r}: no role {raw!r}")
        return role

    def value(self, spec: JsonDict, raw: Any) -> Any:
        """The wire value for one option, checked against its definition as the Discord client would."""
        otype = int(spec.get("type") or 3)
        name = str(spec.get("name"))
        value: Any
        if otype == 3:
            value = str(raw)
            lo, hi = spec.get("min_length"), spec.get("max_length")
            if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
                raise InteractionError(f"option {name!r}: length {len(value)} outside {lo}-{hi}")
        elif otype == 4:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise InteractionError(f"option {name!r} wants an integer, not {raw!r}") from None
            self._range(spec, value, name)
        elif otype == 10:
            try:
                value = float(raw)
            except (TypeError, ValueError):
                raise InteractionError(f"option {name!r} wants a number, not {raw!r}") from None
            self._range(spec, value, name)
        elif otype == 5:
            if isinstance(raw, str):
                lowered = raw.strip().lower()
                if lowered not in ("true", "false", "yes", "no", "1", "0"):
                    raise InteractionError(f"option {name!r} wants true/false, not {raw!r}")
                value = lowered in ("true", "yes", "1")
            else:
                value = bool(raw)
        elif otype == 6:
            user = self._user(raw, name)
            self._add_user(user)
            value = str(user.id)
        elif otype == 7:
            channel = self._channel(raw, name)
            allowed = spec.get("channel_types")
            if allowed and int(channel.type) not in allowed:
                raise InteractionError(f"option {name!r}: #{channel.name} is not one of channel types {allowed}")
            self._add_channel(channel)
            value = str(channel.id)
        elif otype == 8:
            role = self._role(raw, name)
            self._resolve("roles", role.id, role_payload(role))
            value = str(role.id)
        elif otype == 9:
            if isinstance(raw, Role) or (isinstance(raw, str) and raw.startswith("<@&")):
                role = self._role(raw, name)
                self._resolve("roles", role.id, role_payload(role))
                value = str(role.id)
            else:
                user = self._user(raw, name)
                self._add_user(user)
                value = str(user.id)
        elif otype == 11:
            value = str(self._attachment(raw, name).id)
        else:
            raise InteractionError(f"option {name!r} has unsupported type {otype}")
        choices = spec.get("choices")
        if choices:
            allowed_values = [c.get("value") for c in choices]
            if value not in allowed_values:
                names = [c.get("name") for c in choices]
                match = next((c for c in choices if c.get("name") == raw), None)
                if match is None:
                    raise InteractionError(f"option {name!r}: {raw!r} is not one of the choices {names}")
                value = match.get("value")
        return value

    @staticmethod
    def _range(spec: JsonDict, value: float, name: str) -> None:
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise InteractionError(f"option {name!r}: {value} outside {lo}..{hi}")

    def _attachment(self, raw: Any, name: str) -> Attachment:
        if isinstance(raw, Attachment):
            attachment = raw
        elif isinstance(raw, tuple) and len(raw) == 2:
            filename, data = raw
            blob = data.encode() if isinstance(data, str) else bytes(data)
            attachment = self.store._new_attachment(self.channel.id, UploadedFile(0, str(filename), blob), None, None)
        else:
            raise InteractionError(f"option {name!r} wants (filename, bytes), not {type(raw).__name__}")
        self._resolve("attachments", attachment.id, attachment_payload(attachment))
        return attachment

    def options(self, specs: list[JsonDict], values: dict[str, Any], *, focused: str | None = None) -> list[JsonDict]:
        known = {str(s.get("name")): s for s in specs}
        unknown = [k for k in values if k not in known]
        if unknown:
            raise InteractionError(f"unknown option(s) {unknown}; the command has {list(known)}")
        out: list[JsonDict] = []
        for spec in specs:
            name = str(spec.get("name"))
            if name not in values or values[name] is None:
                if spec.get("required") and name != focused and focused is None:
                    raise InteractionError(f"required option {name!r} missing")
                continue
            otype = int(spec.get("type") or 3)
            if name == focused:
                if not spec.get("autocomplete"):
                    raise InteractionError(f"option {name!r} has no autocomplete")
                item: JsonDict = {"name": name, "type": otype, "value": str(values[name]), "focused": True}
            elif focused is not None and otype in (3, 4, 10):
                # While typing, the other options are sent as the raw text the user entered so far.
                item = {"name": name, "type": otype, "value": values[name] if otype != 3 else str(values[name])}
            else:
                item = {"name": name, "type": otype, "value": self.value(spec, values[name])}
            out.append(item)
        return out


def build_command_data(
    world: World,
    command: RegisteredCommand,
    path: list[str],
    values: dict[str, Any],
    builder: OptionBuilder,
    *,
    focused: str | None = None,
) -> JsonDict:
    leaf_specs, walked = command.resolve_path(path)
    options = builder.options(leaf_specs, values, focused=focused)
    # Wrap the leaf options in their subcommand (and group) layers, innermost first.
    specs_by_level: list[JsonDict] = []
    level = command.options
    for part in walked:
        spec = next(o for o in level if o.get("name") == part)
        specs_by_level.append(spec)
        level = spec.get("options") or []
    for spec in reversed(specs_by_level):
        kind = SUB_COMMAND if spec.get("type") == SUB_COMMAND else SUB_COMMAND_GROUP
        options = [{"name": spec.get("name"), "type": kind, "options": options}]
    data: JsonDict = {"id": str(command.id), "name": command.name, "type": command.type}
    if options:
        data["options"] = options
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    if builder.resolved:
        data["resolved"] = builder.resolved
    return data


def component_values_data(
    world: World, component: JsonDict, values: list[Any], builder: OptionBuilder
) -> tuple[list[str], JsonDict | None]:
    """The `values` (and `resolved`) a select sends, checked against the select's options and limits."""
    ctype = int(component.get("type") or 3)
    lo = int(component.get("min_values", 1) if component.get("min_values") is not None else 1)
    hi = int(component.get("max_values", 1) if component.get("max_values") is not None else 1)
    if not lo <= len(values) <= hi:
        raise InteractionError(f"select {component.get('custom_id')!r} takes {lo}-{hi} values, got {len(values)}")
    if ctype == 3:
        options = component.get("options") or []
        allowed = [o.get("value") for o in options]
        out: list[str] = []
        for v in values:
            if v in allowed:
                out.append(str(v))
                continue
            by_label = next((o for o in options if o.get("label") == v), None)
            if by_label is None:
                raise InteractionError(f"select {component.get('custom_id')!r} has no option {v!r}; options {allowed}")
            out.append(str(by_label.get("value")))
        return out, None
    out = []
    for v in values:
        if ctype == 5 or (ctype == 7 and not isinstance(v, Role)):
            user = builder._user(v, str(component.get("custom_id")))
            builder._add_user(user)
            out.append(str(user.id))
        elif ctype == 6 or ctype == 7:
            role = builder._role(v, str(component.get("custom_id")))
            builder._resolve("roles", role.id, role_payload(role))
            out.append(str(role.id))
        elif ctype == 8:
            channel = builder._channel(v, str(component.get("custom_id")))
            builder._add_channel(channel)
            out.append(str(channel.id))
    return out, builder.resolved or None


def modal_submit_components(modal: Modal, values: dict[str, Any]) -> list[JsonDict]:
    """The modal's components echoed back with the user's input, in the same layout (rows or labels)."""
    unknown = [k for k in values if k not in {f.custom_id for f in modal.fields}]
    if unknown:
        raise InteractionError(
            f"modal {modal.custom_id!r} has no field(s) {unknown}; it has {[f.custom_id for f in modal.fields]}"
        )
    for f in modal.fields:
        text = values.get(f.custom_id, f.value)
        if f.type == 4:
            if f.required and not text:
                raise InteractionError(f"modal field {f.custom_id!r} is required")
            if text and f.max_length is not None and len(str(text)) > f.max_length:
                raise InteractionError(f"modal field {f.custom_id!r}: {len(str(text))} > max_length {f.max_length}")
            if text and f.min_length is not None and len(str(text)) < f.min_length:
                raise InteractionError(f"modal field {f.custom_id!r}: {len(str(text))} < min_length {f.min_length}")

    def submitted(comp: JsonDict) -> JsonDict | None:
        ctype = comp.get("type")
        cid = comp.get("custom_id")
        if ctype == 1:
            children = [s for s in (submitted(c) for c in comp.get("components") or []) if s is not None]
            return {"type": 1, "id": comp.get("id"), "components": children}
        if ctype == 18:
            inner = submitted(comp.get("component") or {})
            return {"type": 18, "id": comp.get("id"), "component": inner} if inner else None
        if ctype == 10:
            return {"type": 10, "id": comp.get("id")}
        if not cid:
            return None
        value = values.get(str(cid))
        if ctype == 4:
            return {
                "type": 4,
                "id": comp.get("id"),
                "custom_id": cid,
                "value": str(value if value is not None else comp.get("value") or ""),
            }
        if ctype in (21,):
            return {"type": ctype, "id": comp.get("id"), "custom_id": cid, "value": value}
        if ctype == 23:
            return {"type": ctype, "id": comp.get("id"), "custom_id": cid, "value": bool(value)}
        listed = value if isinstance(value, list) else ([] if value is None else [value])
        return {"type": ctype, "id": comp.get("id"), "custom_id": cid, "values": [str(v) for v in listed]}

    out = [s for s in (submitted(c) for c in modal.components) if s is not None]
    return out
