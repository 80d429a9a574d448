"""A server's own knowledge entries: the form of /knowledge add and edit (with **Fix it**), the list, the removal
question, the export, the **From this server** buttons beside /ask's answers, and the bot leaving or rejoining a
server.

The commands themselves are declared in ``cogs/knowledge.py`` (a subcommand must live in the cog of its group,
/knowledge); they call the functions here. The rules live in ``bot.knowledge.server_entries``; the screens in
``bot.ui.server_knowledge``. Buttons are DynamicItems whose state is in the custom_id, so they keep working after a
restart, and every moderator button checks Manage Server again when clicked.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.knowledge.server_entries import ServerEntries, ServerEntry, ServerEntryForm, ServerHit, export_files
from bot.text import shorten
from bot.ui.errors import BaseModal, guarded
from bot.ui.forms import fix_button, problems_text
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.permissions import require_server_permissions
from bot.ui.server_knowledge import (
    export_text,
    list_embed,
    list_pages,
    remove_question,
    removed_text,
    saved_text,
    server_button_label,
    server_entry_embed,
    typed_embeds,
    typed_from,
    typed_of,
)
from bot.validation import FormErrors, UserInputError, parse_form

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

FORM_TIMEOUT = 30 * 60
"""An opened entry form waits this long: 4,000 characters take a while to write (a modal does not survive a restart;
a refusal's **Fix it** does)."""
TITLE_INPUT, ALIASES_INPUT, ANSWER_INPUT, LINK_INPUT = 100, 300, 4000, 500
"""The inputs' lengths: Discord stops typing there; ``ServerEntryForm`` checks the same limits."""


def entries_of(interaction: Interaction) -> ServerEntries:
    return interaction.client.services.server_entries


def guild_of(interaction: Interaction) -> int:
    if interaction.guild_id is None:  # the commands are guild_only; a button can only be on a server's message
        raise UserInputError("Server entries belong to a server: use this in one.")
    return interaction.guild_id


def moderator_guild(interaction: Interaction) -> int:
    """The server, after checking (again, at click time) that the member may manage its entries."""
    guild_id = guild_of(interaction)
    require_server_permissions(interaction, manage_guild=True)
    return guild_id


# -- the form --------------------------------------------------------------------------------------------------------


class ServerEntryModal(BaseModal):
    """Title, other names, answer and link of a server entry: empty for /knowledge add, the entry's for /knowledge
    edit, or what was typed when a refused form is fixed (``fixing``: the answer then replaces the refusal)."""

    def __init__(self, entry_id: int | None, typed: dict[str, str], *, user_id: int, fixing: bool = False) -> None:
        super().__init__(
            title="Change a server entry" if entry_id else "Add a server entry",
            form=f"sk:form:{entry_id or 'new'}",
            user_id=user_id,
            timeout=FORM_TIMEOUT,
        )
        self.entry_id = entry_id
        self.fixing = fixing

        def default(key: str, limit: int) -> str | None:
            # A default longer than its input's max_length would make Discord refuse the whole form.
            return typed.get(key, "")[:limit] or None

        self.entry_title: discord.ui.TextInput[ServerEntryModal] = discord.ui.TextInput(
            label="Title",
            custom_id="title",
            placeholder="Study hall hours",
            default=default("title", TITLE_INPUT),
            max_length=TITLE_INPUT,
        )
        self.aliases: discord.ui.TextInput[ServerEntryModal] = discord.ui.TextInput(
            label="Other names (optional, separated by commas)",
            custom_id="aliases",
            placeholder="study hall, voice room, group study",
            required=False,
            default=default("aliases", ALIASES_INPUT),
            max_length=ALIASES_INPUT,
        )
        self.answer: discord.ui.TextInput[ServerEntryModal] = discord.ui.TextInput(
            label="Answer",
            custom_id="answer",
            style=discord.TextStyle.paragraph,
            placeholder="What members should be told. Markdown and #channel links work; pings never ping.",
            default=default("answer", ANSWER_INPUT),
            max_length=ANSWER_INPUT,
        )
        self.link: discord.ui.TextInput[ServerEntryModal] = discord.ui.TextInput(
            label="Link (optional, https://…)",
            custom_id="link",
            placeholder="https://…",
            required=False,
            default=default("link", LINK_INPUT),
            max_length=LINK_INPUT,
        )
        for item in (self.entry_title, self.aliases, self.answer, self.link):
            self.add_item(item)

    def typed(self) -> dict[str, str]:
        return {
            "title": self.entry_title.value,
            "aliases": self.aliases.value,
            "answer": self.answer.value,
            "link": self.link.value,
        }

    async def on_submit(self, interaction: HookInteraction) -> None:
        guild_id = moderator_guild(interaction)
        service = entries_of(interaction)
        try:
            form = parse_form(ServerEntryForm, **self.typed())
            if self.entry_id is None:
                entry = await service.add(guild_id, interaction.user.id, form)
            else:
                entry = await service.edit(guild_id, self.entry_id, interaction.user.id, form)
        except FormErrors as refused:
            await self.refuse(interaction, refused)
            return
        added = self.entry_id is None
        total = await service.count(guild_id) if added else 0
        message: dict[str, Any] = {
            "content": saved_text(entry, added=added, total=total),
            "embed": server_entry_embed(entry),
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.fixing:
            await interaction.response.edit_message(view=None, **message)
        else:
            await interaction.response.send_message(ephemeral=True, **message)

    async def refuse(self, interaction: Interaction, refused: FormErrors) -> None:
        """Every problem at once, what was typed, and **Fix it** (a refusal being fixed is replaced, not added)."""
        view = discord.ui.View(timeout=None)
        view.add_item(FixEntryButton(self.entry_id))
        message: dict[str, Any] = {
            "content": problems_text(
                [text for _, text in refused.problems],
                what="The entry was not added" if self.entry_id is None else "Your changes were not saved",
            ),
            "embeds": typed_embeds(self.typed(), refused.fields),
            "view": view,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.fixing:
            await interaction.response.edit_message(**message)
        else:
            await interaction.response.send_message(ephemeral=True, **message)


class FixEntryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sk:fix:(?P<entry>new|[0-9]{1,20})"):
    """On a refused entry form: opens it again with what was typed (read from the refusal itself)."""

    def __init__(self, entry_id: int | None) -> None:
        super().__init__(fix_button(f"sk:fix:{entry_id or 'new'}"))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FixEntryButton:
        return cls(None if match["entry"] == "new" else int(match["entry"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild_id = moderator_guild(interaction)
        if self.entry_id is None:
            await entries_of(interaction).ensure_room(guild_id)
        else:
            await entries_of(interaction).entry(guild_id, self.entry_id)  # still there
        typed = typed_from(interaction.message.embeds if interaction.message else [])
        await interaction.response.send_modal(
            ServerEntryModal(self.entry_id, typed, user_id=interaction.user.id, fixing=True)
        )


# -- what the /knowledge commands do ---------------------------------------------------------------------------------


async def open_add_form(interaction: Interaction) -> None:
    guild_id = guild_of(interaction)
    # Refused before the form opens: nobody should write 4,000 characters to be told the server is full.
    await entries_of(interaction).ensure_room(guild_id)
    await interaction.response.send_modal(ServerEntryModal(None, {}, user_id=interaction.user.id))


async def open_edit_form(interaction: Interaction, typed: str) -> None:
    entry = await entries_of(interaction).resolve(guild_of(interaction), typed)
    await interaction.response.send_modal(ServerEntryModal(entry.id, typed_of(entry), user_id=interaction.user.id))


async def ask_to_remove(interaction: Interaction, typed: str) -> None:
    entry = await entries_of(interaction).resolve(guild_of(interaction), typed)
    view = discord.ui.View(timeout=None)
    view.add_item(RemoveEntryButton(entry.id, confirm=True))
    view.add_item(RemoveEntryButton(entry.id, confirm=False))
    await interaction.response.send_message(
        remove_question(entry), embed=server_entry_embed(entry), view=view, ephemeral=True
    )


async def show_list(interaction: Interaction, page: int, *, new: bool) -> None:
    entries = await entries_of(interaction).entries(guild_of(interaction))
    view = discord.ui.View(timeout=None)
    pages = list_pages(len(entries))
    page = min(max(page, 0), pages - 1)
    if page > 0:
        view.add_item(ListPageButton(page - 1, "Previous"))
    if page + 1 < pages:
        view.add_item(ListPageButton(page + 1, "Next"))
    if new:
        await interaction.response.send_message(embed=list_embed(entries, page), view=view, ephemeral=True)
    else:
        await interaction.response.edit_message(embed=list_embed(entries, page), view=view)


async def send_export(interaction: Interaction) -> None:
    entries = await entries_of(interaction).entries(guild_of(interaction))
    if not entries:
        raise UserInputError("This server has no entries to export yet. `/knowledge add` writes one.")
    name = interaction.guild.name if interaction.guild is not None else "this server"
    files = export_files(entries, name)
    await interaction.response.send_message(
        export_text(len(entries), len(files)),
        files=[discord.File(io.BytesIO(f.data), filename=f.filename) for f in files],
        ephemeral=True,
    )


async def entry_choices(interaction: Interaction, current: str) -> list[tuple[str, str]]:
    """(name, value) for the entry option of /knowledge edit and remove: the server's entries as typed."""
    found = await entries_of(interaction).choices(interaction.guild_id, current[:100], limit=25)
    return [(shorten(title, 100), str(entry_id)) for entry_id, title in found]


class RemoveEntryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sk:rm:(?P<entry>[0-9]{1,20}):(?P<confirm>[01])"
):
    """The removal question's answers: **Yes, remove it** or **Keep it**."""

    def __init__(self, entry_id: int, *, confirm: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Yes, remove it" if confirm else "Keep it",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"sk:rm:{entry_id}:{int(confirm)}",
            )
        )
        self.entry_id = entry_id
        self.confirm = confirm

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RemoveEntryButton:
        return cls(int(match["entry"]), confirm=match["confirm"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild_id = moderator_guild(interaction)
        if not self.confirm:
            await interaction.response.edit_message(content="Kept it: nothing was removed.", embed=None, view=None)
            return
        removed = await entries_of(interaction).remove(guild_id, self.entry_id)
        await interaction.response.edit_message(content=removed_text(removed), embed=None, view=None)


class ListPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sk:list:(?P<page>[0-9]{1,3})"):
    """Previous and Next on /knowledge list."""

    def __init__(self, page: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=f"sk:list:{page}")
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ListPageButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["page"]), label or "…")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        moderator_guild(interaction)
        await show_list(interaction, self.page, new=False)


# -- beside /ask's answers and in /topic -----------------------------------------------------------------------------


class ServerEntryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sk:open:(?P<entry>[0-9]{1,20})"):
    """**From this server: …** beside an answer: opens the server's entry privately for whoever clicks it."""

    def __init__(self, entry_id: int, title: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=server_button_label(title), style=discord.ButtonStyle.secondary, custom_id=f"sk:open:{entry_id}"
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ServerEntryButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["entry"]), label or "…")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        entry = await entries_of(interaction).entry(guild_of(interaction), self.entry_id)
        await interaction.response.send_message(embed=server_entry_embed(entry), ephemeral=True)


def add_server_buttons(view: discord.ui.View, hits: tuple[ServerHit, ...], *, row: int, limit: int = 2) -> None:
    """**From this server** buttons for the server entries a question also matched."""
    for hit in hits[:limit]:
        button = ServerEntryButton(hit.entry_id, hit.title)
        button.item.row = row
        view.add_item(button)


async def matched_entry(interaction: Interaction, hits: tuple[ServerHit, ...]) -> ServerEntry | None:
    """The best of the server entries a question matched, read afresh (None if it was removed meanwhile)."""
    if not hits or interaction.guild_id is None:
        return None
    try:
        return await entries_of(interaction).entry(interaction.guild_id, hits[0].entry_id)
    except UserInputError:
        return None


# -- the bot leaving or rejoining a server ---------------------------------------------------------------------------


class ServerKnowledgeCog(commands.Cog, name="Server knowledge"):
    """The retention clock of a server's entries: started when the bot is removed, stopped when it is back."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.bot.services.server_entries.server_left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.services.server_entries.server_back(guild.id)


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(FixEntryButton, RemoveEntryButton, ListPageButton, ServerEntryButton)
    await bot.add_cog(ServerKnowledgeCog(bot))
