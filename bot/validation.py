"""Validating command options at the boundary: pydantic models in, one friendly sentence out on error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class UserInputError(Exception):
    """A mistake the user can fix; the message says how. Shown ephemerally, never logged as a bug."""


@dataclass(frozen=True)
class ChannelRef:
    """A channel named in a ``Refusal``: the screen shows it as a link to the channel."""

    id: int


RefusalField = str | tuple[str, ...] | ChannelRef
"""A name someone typed or chose (a study group's, a member's), several names, or a channel."""


class Refusal(UserInputError):
    """A UserInputError whose message names things: ``template`` has a ``{field}`` for each, and the screen decides
    how they look (``bot.ui.errors.user_message``: names quoted safely and in bold, a channel as its link), so the
    domain writes no Discord markup. As text (logs, tests) names are in quotes and a channel is its id."""

    def __init__(self, template: str, **fields: RefusalField) -> None:
        self.template = template
        self.fields = fields
        super().__init__(template.format_map({key: _plain(value) for key, value in fields.items()}))


def _plain(value: RefusalField) -> str:
    if isinstance(value, ChannelRef):
        return f"channel {value.id}"
    if isinstance(value, tuple):
        return ", ".join(f'"{name}"' for name in value)
    return f'"{value}"'


class FormErrors(UserInputError):
    """Every problem of one submitted form, as (field, message) pairs, so the member fixes them all at once.

    Its text is the messages one per line; a screen that can re-open the form (``bot.ui.forms``) shows them with
    what was typed."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__("\n".join(message for _, message in self.problems))

    @property
    def fields(self) -> frozenset[str]:
        """The fields with a problem."""
        return frozenset(name for name, _ in self.problems)


def parse_form(model: type[ModelT], **fields: Any) -> ModelT:
    """Validate a form's fields (a modal's text inputs, by their custom_id); ``FormErrors`` with every field's
    problem, in the order of the model's fields, when any is wrong, so the member fixes them all at once."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors(include_url=False):
            cause = error.get("ctx", {}).get("error")
            message = str(cause) if isinstance(cause, ValueError) else str(error["msg"]).removeprefix("Value error, ")
            problems.append((str(error["loc"][0]) if error["loc"] else "", message))
        raise FormErrors(problems) from exc


def parse_options(model: type[ModelT], **options: Any) -> ModelT:
    """Build ``model`` from a command's options or raise UserInputError with a readable explanation."""
    return parse_options_with(model, None, **options)


def parse_options_with(model: type[ModelT], context: Mapping[str, Any] | None, /, **options: Any) -> ModelT:
    """``parse_options`` with a validation ``context`` for the model's validators (``{"now": ...}`` where a date
    must be ahead, or zone suggestions depend on the time)."""
    try:
        return model.model_validate(options, context=dict(context) if context is not None else None)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first.get("ctx", {}).get("error") is None and first["loc"]:
            name = str(first["loc"][0]).replace("_", " ")
            if not message.lower().startswith(name):
                message = f"`{name}`: {message}"
        raise UserInputError(message) from exc
