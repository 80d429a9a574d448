"""Validating command options at the boundary: pydantic models in, one friendly sentence out on error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class UserInputError(Exception):
    """A mistake the user can fix; the message says how. Shown ephemerally, never logged as a bug."""


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
