"""The button that opens a knowledge entry privately, shown under any feature's message (an answer, a quiz
explanation, a milestone announcement, a readiness result).

It lives here, outside every extension, so that each extension that shows it builds the same class: an extension
that defined it would be imported by the others, and reloading it would leave them holding the old class (which
discord.py registers again whenever they send it). The click is answered by the knowledge cog, found when it
happens, so a reloaded cog answers with its new code.

Interactions are typed ``discord.Interaction[Any]``: ``bot.app`` imports this module through the announcements'
adapter, so it may not name ``ImgBot`` (``bot/ui/interaction.py`` does).
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeVar, runtime_checkable

import discord

from bot.text import shorten
from bot.ui.errors import guarded
from bot.validation import UserInputError

KNOWLEDGE_COG = "Knowledge"
"""The cog that answers the click (``KnowledgeCog`` in cogs/knowledge.py)."""


@runtime_checkable
class EntryOpener(Protocol):
    async def open_entry(self, interaction: discord.Interaction[Any], entry_id: str) -> None:
        """Show the entry to whoever clicked, privately, with its votes and related entries."""


class OpenEntryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"kb:open:(?P<entry_id>[a-z0-9-]{1,60})"
):
    """Opens a knowledge entry privately for whoever clicks it."""

    def __init__(self, entry_id: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=shorten(label, 80), style=discord.ButtonStyle.secondary, custom_id=f"kb:open:{entry_id}"
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OpenEntryButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["entry_id"], label or match["entry_id"])

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        opener = interaction.client.get_cog(KNOWLEDGE_COG)
        if not isinstance(opener, EntryOpener):
            # Only while the knowledge extension is being reloaded (or failed to load).
            raise UserInputError("The knowledge base is not available right now. Please try again in a minute.")
        await opener.open_entry(interaction, self.entry_id)


ViewT = TypeVar("ViewT", bound=discord.ui.View)


def untracked(view: ViewT) -> ViewT:
    """``view``, marked finished so that discord.py does not keep it per message it is sent with.

    Only for a view of ``DynamicItem``s: a click on one is routed by its custom_id to a fresh item (registered with
    ``add_dynamic_items`` at start-up), never to the view sent, so keeping the view does nothing for its buttons. It
    still costs: an ephemeral message's view gets a 15-minute timeout task each time. A finished view can be sent
    again and again, so the same answer's buttons are built once (cogs/knowledge.py)."""
    if not all(isinstance(item, discord.ui.DynamicItem) for item in view.children):
        raise ValueError("only a view of dynamic items works without being tracked")
    view.stop()
    return view
