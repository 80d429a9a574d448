"""A refused form: every problem in one message, what was typed, and a **Fix it** button that opens it again.

Discord cannot answer a modal submit with another modal, so a refused form cannot simply re-open: the answer says
what to fix and offers **Fix it**, whose click may open the modal, pre-filled with what was typed.

What was typed has to survive until that click, restarts included, and a custom_id holds only 100 characters. A
short form (one number) carries it in the button's custom_id; a long one (the check-in's two paragraphs) carries it
in the refusal itself, one embed field per filled field, which the member sees ("what you typed") and Discord sends
back with the click (``typed_from_message``). Nothing is stored, so there is nothing to forget either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.text import defuse_pings
from bot.ui.colours import BRAND_COLOUR
from bot.ui.embeds import FIELD_VALUE_LIMIT

log = logging.getLogger(__name__)

FIX_LABEL = "Fix it"
PROBLEM_MARK = "⚠️ "
"""Before the name of a field that has a problem, on the "what you typed" list."""
CONTENT_LIMIT = 2000
_DEFUSED = re.compile(r"@\u200b(?=everyone|here)|<\u200b(?=@[!&]?\d+>)")
"""What ``defuse_pings`` did to a value: the zero-width space after the ``@`` or ``<`` of a ping."""


@dataclass(frozen=True)
class FormField:
    """One text input of a form: its custom_id (``key``) and the short name the refusal shows it under."""

    key: str
    name: str


def problems_text(problems: Sequence[str], *, what: str = "Nothing was saved") -> str:
    """``**Nothing was saved.** Please fix this:`` and the problems, one per line, then how to fix them."""
    head = "Please fix this:" if len(problems) == 1 else f"Please fix these {len(problems)} things:"
    lines = [f"**{what}.** {head}", *(f"• {defuse_pings(problem)}" for problem in problems)]
    lines.append(f"Press **{FIX_LABEL}** to open the form again with what you typed.")
    text = "\n".join(lines)
    return text if len(text) <= CONTENT_LIMIT else text[: CONTENT_LIMIT - 1] + "…"


def typed_embed(fields: Sequence[FormField], typed: Mapping[str, str], wrong: frozenset[str]) -> discord.Embed:
    """What was typed, one field per filled input (``wrong`` ones marked): the state ``typed_from_message`` reads.

    Values are kept whole (a form's inputs are at most 1,000 characters here, under the 1,024 of a field), as they
    are what the form is filled with again. Pings are defused like everything the bot echoes (a zero-width space
    after ``@`` or ``<``), and put back when read: the form gets exactly what was typed."""
    embed = discord.Embed(title="What you typed", colour=BRAND_COLOUR)
    for field in fields:
        value = typed.get(field.key, "")
        if not value.strip():
            continue
        shown = defuse_pings(value)
        if len(shown) > FIELD_VALUE_LIMIT:
            # Only a text of little but pings gets this long (each defused one grows by a character): its end is
            # dropped rather than the whole screen refused.
            log.info("typed value of %s longer than an embed field once defused; shortened", field.key)
            shown = shown[:FIELD_VALUE_LIMIT]
        mark = PROBLEM_MARK if field.key in wrong else ""
        embed.add_field(name=f"{mark}{field.name}", value=shown, inline=False)
    if not embed.fields:
        embed.description = "Every field was empty."
    return embed


def typed_from_message(message: discord.Message | None, fields: Sequence[FormField]) -> dict[str, str]:
    """What ``typed_embed`` put on ``message`` (the one a Fix it button is on), by field key."""
    return typed_from_embeds(message.embeds if message is not None else [], fields)


def typed_from_embeds(embeds: Sequence[discord.Embed], fields: Sequence[FormField]) -> dict[str, str]:
    """What ``typed_embed`` shows, by field key (empty fields are absent)."""
    if not embeds:
        return {}
    by_name = {field.name: field.key for field in fields}
    typed: dict[str, str] = {}
    for shown in embeds[0].fields:
        name = (shown.name or "").removeprefix(PROBLEM_MARK)
        if name in by_name and shown.value:
            typed[by_name[name]] = restore_pings(shown.value)
    return typed


def restore_pings(value: str) -> str:
    """What was typed, from what a refusal showed of it: the pings ``defuse_pings`` broke put back."""
    return _DEFUSED.sub(lambda m: m.group(0)[0], value)


def fix_button(custom_id: str) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=FIX_LABEL, style=discord.ButtonStyle.primary, custom_id=custom_id)
