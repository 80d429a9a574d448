"""Answering a form (modal) the bot opened: ``fill Label: value ...`` on one line, and the values of select menus
and of a form's option fields picked by number or by name."""

from __future__ import annotations

import re
from typing import Any

from discord_emulator.interactions import Modal, ModalField
from discord_emulator.local.console import ConsoleError, rest_picks, split_named_values

EMPTY_FIELD = "-"
"""Typed for an optional form field, sends it empty (Enter keeps what the bot filled in, as it would in Discord)."""
FILLED_SHOWN = 60
"""Characters of a pre-filled form value shown in the field's prompt (the form above shows all of it)."""


def fill_values(modal: Modal, text: str) -> dict[str, Any]:
    """The values ``fill TEXT`` gives the form's fields (by label or custom id; a one-field form takes bare text).
    A field left out is not sent, so it keeps what the bot filled in."""
    names: dict[str, str] = {}
    for fld in modal.fields:
        names[fld.custom_id] = fld.custom_id
        if fld.label:
            names[fld.label] = fld.custom_id
    parsed = split_named_values(text, list(names))
    raw = {names[k]: v for k, v in parsed.values.items()}
    if parsed.leading:
        looks_named = re.match(r"^([^:]{2,60}):\s", parsed.leading)
        if len(modal.fields) != 1 or raw or looks_named:
            labels = ", ".join(f"{f.label or f.custom_id}:" for f in modal.fields)
            raise ConsoleError(f"write each field as `Label: value`; this form has {labels}")
        raw = {modal.fields[0].custom_id: parsed.leading}
    values: dict[str, Any] = {}
    for fld in modal.fields:
        if fld.custom_id in raw:
            value = raw[fld.custom_id]
            if value.strip() == EMPTY_FIELD and not fld.required and not fld.options:
                values[fld.custom_id] = ""
                continue
            values[fld.custom_id] = picked_options(fld, value) if fld.options else value
    return values


def picked_options(fld: ModalField, text: str) -> list[str]:
    """A form field with options (a select in a modal): the options named in ``text``, by number or name."""
    return [pick_option(fld.options, p, 1) for p in rest_picks(text.split())]


def one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= FILLED_SHOWN else flat[: FILLED_SHOWN - 1] + "…"


def pick_option(options: list[Any], pick: str, menu: int) -> str:
    """A select option by its number in the list (or its label or value, typed out)."""
    text = pick.strip()
    if text.isdigit():
        index = int(text)
        if not 1 <= index <= len(options):
            raise ConsoleError(f"menu {menu} has options 1-{len(options)}")
        return str(options[index - 1].get("value"))
    for option in options:
        if text.casefold() in (str(option.get("label")).casefold(), str(option.get("value")).casefold()):
            return str(option.get("value"))
    raise ConsoleError(f"menu {menu} has no option {text!r}; pick by number, 1-{len(options)}")
