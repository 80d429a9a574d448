"""Validating command options at the boundary: pydantic models in, one friendly sentence out on error."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class UserInputError(Exception):
    """A mistake the user can fix; the message says how. Shown ephemerally, never logged as a bug."""


def parse_options(model: type[ModelT], **options: Any) -> ModelT:
    """Build ``model`` from a command's options or raise UserInputError with a readable explanation."""
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if first.get("ctx", {}).get("error") is None and first["loc"]:
            name = str(first["loc"][0]).replace("_", " ")
            if not message.lower().startswith(name):
                message = f"`{name}`: {message}"
        raise UserInputError(message) from exc
