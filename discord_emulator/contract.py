"""Contract checks: request and response bodies against Discord's OpenAPI spec, plus the limits the spec misses.

The spec is loaded at run time from outside the repository (never copied in). Bodies are validated with jsonschema's
Draft 2020-12 validator; validators are compiled once per (operation, direction, status) and cached. For anyOf/oneOf
unions the error reported is the one from the branch whose `type` discriminator matched, so a bad embed reads
`data.embeds[0].description: 4113 > 4096` instead of "not valid under any of the given schemas".
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from discord_emulator.mentions import allowed_mentions_problem

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_ENV = "DISCORD_API_SPEC"


def default_spec_path() -> Path:
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared/reference/discord-api-spec/openapi.json"


@dataclass(frozen=True)
class Violation:
    """One way a request (or the emulator's own response) breaks Discord's contract."""

    method: str
    path: str
    field: str
    message: str
    source: str = "request"  # "request", "limit", "response", "interaction", "gateway"

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


Problem = tuple[str, str]  # (field path, message)


def short_path(path: str) -> str:
    """Abbreviate interaction and webhook tokens so violation lines stay readable."""
    return "/".join(p if len(p) <= 32 else p[:8] + "…" for p in path.split("/"))


# ----- the OpenAPI part ---------------------------------------------------------------------------------------


class SpecIndex:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.paths: dict[str, Any] = spec.get("paths", {})
        components = copy.deepcopy(spec.get("components", {}))
        # discord.py sends some snowflakes as JSON integers (allowed_mentions.users, message_reference ids) and
        # Discord accepts them; the spec types snowflakes as strings only. Accept both, still pattern-checked.
        schemas = components.setdefault("schemas", {})
        if "SnowflakeType" in schemas:
            schemas["SnowflakeType"] = {
                "type": ["string", "integer"],
                "pattern": "^(0|[1-9][0-9]*)$",
                "minimum": 0,
            }
        self.components = components
        self._validators: dict[tuple[str, str, str], Draft202012Validator | None] = {}

    def _operation(self, method: str, template: str) -> dict[str, Any] | None:
        item = self.paths.get(template)
        if not isinstance(item, dict):
            return None
        op = item.get(method.lower())
        return op if isinstance(op, dict) else None

    def validator(self, method: str, template: str, kind: str) -> Draft202012Validator | None:
        """kind is "request" or a response status code such as "200"."""
        key = (method, template, kind)
        if key in self._validators:
            return self._validators[key]
        schema: dict[str, Any] | None = None
        op = self._operation(method, template)
        if op is not None:
            if kind == "request":
                content = op.get("requestBody", {}).get("content", {})
                schema = content.get("application/json", {}).get("schema")
            else:
                response = op.get("responses", {}).get(kind, {})
                schema = response.get("content", {}).get("application/json", {}).get("schema")
        validator = None
        if isinstance(schema, dict):
            wrapped = dict(schema)
            wrapped["components"] = self.components
            validator = Draft202012Validator(wrapped)
        self._validators[key] = validator
        return validator

    def named(self, schema_name: str) -> Draft202012Validator:
        key = ("SCHEMA", schema_name, "")
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"#/components/schemas/{schema_name}", "components": self.components}
            )
            self._validators[key] = validator
        return validator


def _field_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(body)"


def _is_discriminator_miss(errors: list[ValidationError]) -> bool:
    for err in errors:
        rel = list(err.relative_path)
        if rel == ["type"] or (not rel and err.validator == "type"):
            return True
    return False


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        candidates = [errs for errs in branches.values() if not _is_discriminator_miss(errs)]
        if not candidates:
            return [error]
        best = min(candidates, key=len)
        out: list[ValidationError] = []
        for sub in best:
            out.extend(_leaf_errors(sub))
        return out
    return [error]


def _describe(error: ValidationError) -> Problem:
    path = list(error.absolute_path)
    inst = error.instance
    value = error.validator_value
    v = error.validator
    if v == "maxLength" and isinstance(inst, str):
        return _field_path(path), f"{len(inst)} > {value}"
    if v == "minLength" and isinstance(inst, str):
        return _field_path(path), f"{len(inst)} < {value}"
    if v == "maxItems" and isinstance(inst, list):
        return _field_path(path), f"{len(inst)} items > {value}"
    if v == "minItems" and isinstance(inst, list):
        return _field_path(path), f"{len(inst)} items < {value}"
    if v in ("maximum", "minimum"):
        op = ">" if v == "maximum" else "<"
        return _field_path(path), f"{inst} {op} {value}"
    if v == "required" and isinstance(inst, dict) and isinstance(value, list):
        missing = [k for k in value if k not in inst]
        return _field_path([*path, missing[0] if missing else "?"]), "required field missing"
    if v == "type":
        return _field_path(path), f"expected {value}, got {type(inst).__name__} {_short(inst)}"
    if v in ("enum", "const"):
        return _field_path(path), f"{_short(inst)} is not allowed (expected {value})"
    if v == "pattern":
        return _field_path(path), f"{_short(inst)} does not match {value}"
    return _field_path(path), error.message[:300]


def shape(value: Any) -> Any:
    """A hashable skeleton of a JSON value: keys and types, small integers (type/style/flags) kept verbatim.

    The emulator's own responses are generated from a few templates, so validating each distinct shape once
    catches its mistakes without paying for a full schema walk on every response.
    """
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", frozenset(shape(v) for v in value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -1 < value < 1 << 20 else "int"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# ----- the limits the spec misses -----------------------------------------------------------------------------

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
_EMBED_LIMITS = {"title": 256, "description": 4096}
_SELECT_TYPES = {3, 5, 6, 7, 8}
_V2_FLAG = 1 << 15


def valid_command_name(name: str) -> bool:
    """Discord's `^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, without the third-party `regex` module."""
    if not 1 <= len(name) <= 32:
        return False
    for ch in name:
        if ch in "-_'":
            continue
        if unicodedata.category(ch)[0] in ("L", "N"):
            continue
        if "\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f":
            continue
        return False
    return True


def embed_characters(embed: dict[str, Any]) -> int:
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    for fld in embed.get("fields") or []:
        if isinstance(fld, dict):
            total += len(str(fld.get("name") or "")) + len(str(fld.get("value") or ""))
    footer = embed.get("footer") or {}
    author = embed.get("author") or {}
    if isinstance(footer, dict):
        total += len(str(footer.get("text") or ""))
    if isinstance(author, dict):
        total += len(str(author.get("name") or ""))
    return total


def _p(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


def check_message_body(body: Any, prefix: str = "") -> Iterator[Problem]:
    """Content, embeds, components and allowed_mentions of anything that creates or edits a message."""
    if not isinstance(body, dict):
        return
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        yield _p(prefix, "content"), f"{len(content)} > {CONTENT_MAX}"
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        if len(embeds) > EMBEDS_MAX:
            yield _p(prefix, "embeds"), f"{len(embeds)} items > {EMBEDS_MAX}"
        total = 0
        for i, embed in enumerate(embeds):
            if not isinstance(embed, dict):
                continue
            here = _p(prefix, f"embeds[{i}]")
            total += embed_characters(embed)
            for key, limit in _EMBED_LIMITS.items():
                text = embed.get(key)
                if isinstance(text, str) and len(text) > limit:
                    yield f"{here}.{key}", f"{len(text)} > {limit}"
            fields = embed.get("fields") or []
            if len(fields) > 25:
                yield f"{here}.fields", f"{len(fields)} items > 25"
            for j, fld in enumerate(fields):
                if not isinstance(fld, dict):
                    continue
                for key, limit in (("name", 256), ("value", 1024)):
                    text = str(fld.get(key) or "")
                    if not text.strip():
                        yield f"{here}.fields[{j}].{key}", "must not be empty"
                    elif len(text) > limit:
                        yield f"{here}.fields[{j}].{key}", f"{len(text)} > {limit}"
            footer = embed.get("footer")
            if isinstance(footer, dict) and len(str(footer.get("text") or "")) > 2048:
                yield f"{here}.footer.text", f"{len(str(footer.get('text')))} > 2048"
            author = embed.get("author")
            if isinstance(author, dict) and len(str(author.get("name") or "")) > 256:
                yield f"{here}.author.name", f"{len(str(author.get('name')))} > 256"
        if total > EMBED_TOTAL_MAX:
            yield _p(prefix, "embeds"), f"{total} characters in all embeds > {EMBED_TOTAL_MAX}"
    components = body.get("components")
    if isinstance(components, list):
        flags = body.get("flags") or 0
        yield from check_message_components(components, _p(prefix, "components"), v2=bool(flags & _V2_FLAG))
    problem = allowed_mentions_problem(body.get("allowed_mentions"))
    if problem:
        yield _p(prefix, "allowed_mentions"), problem


def check_message_components(components: list[Any], prefix: str, *, v2: bool) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    if not v2:
        if len(components) > 5:
            yield prefix, f"{len(components)} action rows > 5"
        for i, row in enumerate(components):
            here = f"{prefix}[{i}]"
            if not isinstance(row, dict):
                continue
            if row.get("type") != 1:
                yield f"{here}.type", f"top-level component {row.get('type')} needs the IS_COMPONENTS_V2 flag"
                continue
            children = row.get("components") or []
            buttons = [c for c in children if isinstance(c, dict) and c.get("type") == 2]
            selects = [c for c in children if isinstance(c, dict) and c.get("type") in _SELECT_TYPES]
            if len(buttons) > 5:
                yield f"{here}.components", f"{len(buttons)} buttons > 5"
            if selects and len(children) > 1:
                yield f"{here}.components", "a select menu must be alone in its action row"
            if not children:
                yield f"{here}.components", "an action row needs at least one component"
    else:
        total = sum(1 for _ in _walk(components, prefix))
        if total > 40:
            yield prefix, f"{total} components > 40"
    for where, comp in _walk(components, prefix):
        yield from _check_component(comp, where, seen)


def _walk(components: list[Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here = f"{prefix}[{i}]"
        yield here, comp
        if isinstance(comp.get("components"), list):
            yield from _walk(comp["components"], f"{here}.components")
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                yield f"{here}.{key}", comp[key]
                inner = comp[key].get("components")
                if isinstance(inner, list):
                    yield from _walk(inner, f"{here}.{key}.components")


def _check_component(comp: dict[str, Any], where: str, seen: dict[str, str]) -> Iterator[Problem]:
    ctype = comp.get("type")
    custom_id = comp.get("custom_id")
    if isinstance(custom_id, str):
        if len(custom_id) > 100:
            yield f"{where}.custom_id", f"{len(custom_id)} > 100"
        elif not custom_id:
            yield f"{where}.custom_id", "must not be empty"
        if custom_id in seen:
            yield f"{where}.custom_id", f"duplicate custom_id {custom_id!r} (also at {seen[custom_id]})"
        else:
            seen[custom_id] = where
    if ctype == 2:
        label = comp.get("label")
        if isinstance(label, str) and len(label) > 80:
            yield f"{where}.label", f"{len(label)} > 80"
        style = comp.get("style")
        if style == 5:
            if not comp.get("url"):
                yield f"{where}.url", "a link button needs a url"
            if custom_id:
                yield f"{where}.custom_id", "a link button cannot have a custom_id"
        elif style != 6 and not custom_id:
            yield f"{where}.custom_id", "a non-link button needs a custom_id"
        if not label and not comp.get("emoji"):
            yield f"{where}.label", "a button needs a label or an emoji"
    elif ctype in _SELECT_TYPES:
        placeholder = comp.get("placeholder")
        if isinstance(placeholder, str) and len(placeholder) > 150:
            yield f"{where}.placeholder", f"{len(placeholder)} > 150"
        min_v, max_v = comp.get("min_values", 1), comp.get("max_values", 1)
        if isinstance(min_v, int) and not 0 <= min_v <= 25:
            yield f"{where}.min_values", f"{min_v} outside 0-25"
        if isinstance(max_v, int) and not 1 <= max_v <= 25:
            yield f"{where}.max_values", f"{max_v} outside 1-25"
        if ctype == 3:
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                yield f"{where}.options", f"{len(options)} options (must be 1-25)"
            if isinstance(max_v, int) and max_v > len(options) and options:
                yield f"{where}.max_values", f"{max_v} > {len(options)} options"
            values: set[str] = set()
            for k, opt in enumerate(options):
                if not isinstance(opt, dict):
                    continue
                for key in ("label", "value", "description"):
                    text = opt.get(key)
                    if isinstance(text, str) and len(text) > 100:
                        yield f"{where}.options[{k}].{key}", f"{len(text)} > 100"
                    if key != "description" and (not isinstance(text, str) or not text):
                        yield f"{where}.options[{k}].{key}", "must not be empty"
                value = opt.get("value")
                if isinstance(value, str):
                    if value in values:
                        yield f"{where}.options[{k}].value", f"duplicate value {value!r}"
                    values.add(value)


def check_modal(data: Any, prefix: str = "data") -> Iterator[Problem]:
    if not isinstance(data, dict):
        yield prefix, "modal data missing"
        return
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        yield f"{prefix}.title", f"{len(title) if isinstance(title, str) else 0} characters (must be 1-45)"
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        yield f"{prefix}.custom_id", "must be 1-100 characters"
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        yield f"{prefix}.components", f"{len(components)} components (must be 1-5)"
    for where, comp in _walk(components, f"{prefix}.components"):
        ctype = comp.get("type")
        if ctype == 4:
            label = comp.get("label")
            if isinstance(label, str) and len(label) > 45:
                yield f"{where}.label", f"{len(label)} > 45"
            placeholder = comp.get("placeholder")
            if isinstance(placeholder, str) and len(placeholder) > 100:
                yield f"{where}.placeholder", f"{len(placeholder)} > 100"
            value = comp.get("value")
            if isinstance(value, str) and len(value) > 4000:
                yield f"{where}.value", f"{len(value)} > 4000"
            cid = comp.get("custom_id")
            if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
                yield f"{where}.custom_id", "must be 1-100 characters"
        elif ctype == 18:
            label = comp.get("label")
            if not isinstance(label, str) or not 1 <= len(label) <= 45:
                yield f"{where}.label", f"{len(label) if isinstance(label, str) else 0} characters (must be 1-45)"
            description = comp.get("description")
            if isinstance(description, str) and len(description) > 100:
                yield f"{where}.description", f"{len(description)} > 100"


def check_autocomplete(data: Any, prefix: str = "data") -> Iterator[Problem]:
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        yield f"{prefix}.choices", "required field missing"
        return
    if len(choices) > 25:
        yield f"{prefix}.choices", f"{len(choices)} items > 25"
    for i, choice in enumerate(choices):
        yield from _check_choice(choice, f"{prefix}.choices[{i}]")


def _check_choice(choice: Any, where: str) -> Iterator[Problem]:
    if not isinstance(choice, dict):
        return
    name = choice.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        yield f"{where}.name", f"{len(name) if isinstance(name, str) else 0} characters (must be 1-100)"
    value = choice.get("value")
    if isinstance(value, str) and len(value) > 100:
        yield f"{where}.value", f"{len(value)} > 100"


def check_commands(body: Any) -> Iterator[Problem]:
    """A bulk overwrite (PUT) of application commands, or a single command (POST)."""
    commands = body if isinstance(body, list) else [body]
    counts: dict[int, int] = defaultdict(int)
    names: dict[tuple[int, str], int] = {}
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            continue
        here = f"[{i}]" if isinstance(body, list) else ""
        ctype = cmd.get("type") or 1
        counts[ctype] += 1
        name = cmd.get("name")
        if isinstance(name, str):
            key = (ctype, name)
            if key in names:
                yield _p(here, "name"), f"duplicate command name {name!r} (also at [{names[key]}])"
            names[key] = i
        yield from _check_command(cmd, here, ctype)
    limits = {1: 100, 2: 15, 3: 15}
    for ctype, count in counts.items():
        if count > limits.get(ctype, 100):
            yield "(body)", f"{count} commands of type {ctype} > {limits.get(ctype, 100)}"


def _check_name(name: Any, where: str, *, chat_input: bool) -> Iterator[Problem]:
    if not isinstance(name, str):
        yield where, "required field missing"
        return
    if chat_input:
        if not valid_command_name(name):
            yield where, f"{name!r} does not match ^[-_'\\p{{L}}\\p{{N}}]{{1,32}}$"
        elif name != name.lower():
            yield where, f"{name!r} must be lowercase"
    elif not 1 <= len(name) <= 32:
        yield where, f"{len(name)} characters (must be 1-32)"


def _check_description(desc: Any, where: str) -> Iterator[Problem]:
    if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
        yield where, f"{len(desc) if isinstance(desc, str) else 0} characters (must be 1-100)"


def _check_command(cmd: dict[str, Any], here: str, ctype: int) -> Iterator[Problem]:
    chat_input = ctype == 1
    yield from _check_name(cmd.get("name"), _p(here, "name"), chat_input=chat_input)
    if chat_input:
        yield from _check_description(cmd.get("description"), _p(here, "description"))
        yield from _check_options(cmd.get("options") or [], _p(here, "options"), parent_type=None)
        total = _command_characters(cmd)
        if total > 8000:
            yield _p(here, "name"), f"{total} characters in name, descriptions and choices > 8000"
    elif cmd.get("description"):
        yield _p(here, "description"), "user and message commands must have an empty description"


def _check_options(options: list[Any], prefix: str, *, parent_type: int | None) -> Iterator[Problem]:
    if len(options) > 25:
        yield prefix, f"{len(options)} items > 25"
    seen_optional = False
    names: set[str] = set()
    for i, opt in enumerate(options):
        if not isinstance(opt, dict):
            continue
        where = f"{prefix}[{i}]"
        otype = opt.get("type")
        yield from _check_name(opt.get("name"), f"{where}.name", chat_input=True)
        yield from _check_description(opt.get("description"), f"{where}.description")
        name = opt.get("name")
        if isinstance(name, str):
            if name in names:
                yield f"{where}.name", f"duplicate option name {name!r}"
            names.add(name)
        if otype in (1, 2):
            if otype == 2 and parent_type is not None:
                yield f"{where}.type", "a subcommand group must be a top-level option"
            if otype == 1 and parent_type == 1:
                yield f"{where}.type", "a subcommand cannot contain subcommands"
            yield from _check_options(opt.get("options") or [], f"{where}.options", parent_type=otype)
            continue
        if parent_type == 2:
            yield f"{where}.type", "a subcommand group may only contain subcommands"
        required = bool(opt.get("required"))
        if required and seen_optional:
            yield f"{where}.required", "required options must come before optional ones"
        if not required:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            yield f"{where}.choices", f"{len(choices)} items > 25"
        if choices and opt.get("autocomplete"):
            yield f"{where}.autocomplete", "autocomplete cannot be combined with choices"
        for j, choice in enumerate(choices):
            yield from _check_choice(choice, f"{where}.choices[{j}]")


def _command_characters(cmd: dict[str, Any]) -> int:
    total = len(str(cmd.get("name") or "")) + len(str(cmd.get("description") or ""))
    for opt in cmd.get("options") or []:
        if isinstance(opt, dict):
            total += _command_characters(opt)
            for choice in opt.get("choices") or []:
                if isinstance(choice, dict):
                    total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total


_LIMIT_CHECKS: dict[tuple[str, str], str] = {
    ("POST", "/channels/{channel_id}/messages"): "message",
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): "message",
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"): "message",
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): "message",
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): "message",
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): "callback",
    ("POST", "/channels/{channel_id}/threads"): "forum_post",
    ("PATCH", "/channels/{channel_id}"): "channel_edit",
    ("PUT", "/applications/{application_id}/commands"): "commands",
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): "commands",
    ("POST", "/applications/{application_id}/commands"): "commands",
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"): "commands",
}


def check_channel_edit(body: Any) -> Iterator[Problem]:
    """PATCH /channels/{id}: a forum tag's name is at most 20 characters (the spec says 50; Discord refuses more)."""
    tags = body.get("available_tags") if isinstance(body, dict) else None
    for i, tag in enumerate(tags if isinstance(tags, list) else []):
        name = tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and not 1 <= len(name) <= 20:
            yield f"available_tags[{i}].name", f"{len(name)} characters (must be 1-20)"


def limit_problems(method: str, template: str, body: Any) -> list[Problem]:
    kind = _LIMIT_CHECKS.get((method, template))
    if kind == "message":
        return list(check_message_body(body))
    if kind == "forum_post" and isinstance(body, dict) and isinstance(body.get("message"), dict):
        # A forum post's first message is a message like any other: a bot's content stops at 2,000 characters.
        return list(check_message_body(body["message"], "message"))
    if kind == "channel_edit":
        return list(check_channel_edit(body))
    if kind == "commands":
        return list(check_commands(body))
    if kind == "callback" and isinstance(body, dict):
        ctype = body.get("type")
        data = body.get("data")
        if ctype in (4, 7):
            return list(check_message_body(data, "data"))
        if ctype == 8:
            return list(check_autocomplete(data))
        if ctype == 9:
            return list(check_modal(data))
    return []


# ----- the checker --------------------------------------------------------------------------------------------


class ContractChecker:
    """Validates bodies; `schema_status` says whether the OpenAPI part is active and why not."""

    def __init__(self, spec_path: Path | str | None = None, *, enabled: bool = True) -> None:
        self.spec_path = Path(spec_path) if spec_path is not None else default_spec_path()
        self.enabled = enabled
        self._index: SpecIndex | None = None
        self.ignored: list[re.Pattern[str]] = []
        self._valid_shapes: set[tuple[str, str, int, Any]] = set()
        if not enabled:
            self.schema_status = "disabled: contract_checks=False"
        elif not self.spec_path.is_file():
            self.schema_status = f"skipped: no OpenAPI spec at {self.spec_path} (set {SPEC_ENV})"
            log.warning("Discord OpenAPI schema checks %s", self.schema_status)
        else:
            with self.spec_path.open(encoding="utf-8") as fh:
                self._index = SpecIndex(json.load(fh))
            self.schema_status = f"active: {len(self._index.paths)} paths from {self.spec_path}"

    @property
    def schema_active(self) -> bool:
        return self._index is not None

    def ignore(self, pattern: str) -> None:
        """Stop reporting violations whose text matches `pattern` (for a known gap in the spec)."""
        self.ignored.append(re.compile(pattern))

    def _keep(self, problems: Iterable[Problem], method: str, path: str) -> list[Problem]:
        out: list[Problem] = []
        seen: set[str] = set()
        for fld, message in problems:
            if fld in seen:
                continue
            text = f"{method} {path}: {fld}: {message}"
            if any(p.search(text) for p in self.ignored):
                continue
            seen.add(fld)
            out.append((fld, message))
        return out

    def check_request(self, method: str, template: str, path: str, body: Any) -> list[Problem]:
        if not self.enabled or body is None:
            return []
        problems = limit_problems(method, template, body)
        if self._index is not None:
            validator = self._index.validator(method, template, "request")
            if validator is not None:
                problems.extend(self._schema_problems(validator, body))
        return self._keep(problems, method, path)

    def check_response(self, method: str, template: str, path: str, status: int, body: Any) -> list[Problem]:
        if not self.enabled or self._index is None or body is None:
            return []
        validator = self._index.validator(method, template, str(status))
        if validator is None:
            return []
        key = (method, template, status, shape(body))
        if key in self._valid_shapes:
            return []
        problems = self._keep(self._schema_problems(validator, body), method, path)
        if not problems:
            self._valid_shapes.add(key)
        return problems

    def check_schema(self, schema_name: str, instance: Any) -> list[Problem]:
        """Validate any object (e.g. a gateway event's message) against a named component schema."""
        if self._index is None:
            return []
        return self._schema_problems(self._index.named(schema_name), instance)

    @staticmethod
    def _schema_problems(validator: Draft202012Validator, body: Any) -> list[Problem]:
        problems: list[Problem] = []
        for error in validator.iter_errors(body):
            for leaf in _leaf_errors(error):
                problems.append(_describe(leaf))
        return problems
