"""/ask, /topic and /pathway: curated, sourced answers to pathway questions."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.knowledge.feedback import MAX_NOTE_CHARS, VoteReason
from bot.knowledge.models import KnowledgeEntry
from bot.knowledge.options import MAX_QUESTION_CHARS, AskOptions, TopicOptions
from bot.knowledge.pathway import PathwayStage
from bot.knowledge.server_entries import MAX_ENTRIES, SERVER_CHOICE_PREFIX, ServerEntries, ServerHit
from bot.knowledge.service import NO_THUMBS_DOWN, Answer, BrowsePage, KnowledgeService
from bot.text import quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, NOTICE_COLOUR
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.embeds import entry_embed
from bot.ui.errors import BaseModal, guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.knowledge_browse import entry_options, page_embed, stage_options, stages_embed
from bot.ui.knowledge_entry import KNOWLEDGE_COG, OpenEntryButton, untracked
from bot.ui.knowledge_feedback import (
    REASON_PLACEHOLDER,
    TELL_US_MORE,
    note_noted,
    reason_noted,
    reason_options,
    vote_thanks,
)
from bot.ui.knowledge_report import REPORT_LINES, KnowledgeReport, report_embed
from bot.ui.permissions import server_permissions_check
from bot.ui.plural import plural
from bot.ui.server_knowledge import choice_name, server_entry_embed
from bot.validation import UserInputError, parse_options
from cogs import community, server_knowledge

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

SERVER_CHOICES = 5
"""/topic's autocomplete keeps room for this many of the server's own entries beside the curated ones (25 in all)."""
NOTE_FORM_TIMEOUT = 15 * 60
"""Seconds a **Tell us more** form stays open: long enough to write a line, short enough not to pile up."""


def knowledge_of(interaction: Interaction) -> KnowledgeService:
    return interaction.client.services.knowledge


# -- buttons and selects that keep working after a restart (their state lives in the custom_id) -------------------


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"kb:vote:(?P<entry_id>[a-z0-9-]{1,60}):(?P<helpful>[01])"
):
    """Helpful / not helpful: one vote per person per entry; clicking again changes it."""

    def __init__(self, entry_id: str, helpful: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
                custom_id=f"kb:vote:{entry_id}:{int(helpful)}",
            )
        )
        self.entry_id = entry_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["entry_id"], match["helpful"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = knowledge_of(interaction)
        if self.entry_id not in service.knowledge:
            raise UserInputError("That entry is no longer in the knowledge base, so the vote was not recorded.")
        tally = await service.vote(self.entry_id, interaction.user.id, self.helpful, dt.datetime.now(dt.UTC))
        thanks = vote_thanks(tally, self.helpful, in_server=interaction.guild_id is not None)
        if self.helpful:
            await interaction.response.send_message(thanks, ephemeral=True)
            return
        # 👎 asks why, privately and optionally; a reason given before (the same 👎 pressed again) shows as chosen.
        given = await service.member_vote(self.entry_id, interaction.user.id)
        view = reasons_view(self.entry_id, given.reason if given else None)
        await interaction.response.send_message(thanks, view=view, ephemeral=True)


# -- 👎 asks why -------------------------------------------------------------------------------------------------


def reasons_view(entry_id: str, current: VoteReason | None) -> discord.ui.View:
    """The reasons menu and **Tell us more**, under the private answer to a 👎."""
    view = discord.ui.View(timeout=None)
    view.add_item(ReasonSelect(entry_id, current))
    view.add_item(TellUsMoreButton(entry_id))
    return view


def _known_entry(interaction: Interaction, entry_id: str) -> KnowledgeService:
    service = knowledge_of(interaction)
    if entry_id not in service.knowledge:
        raise UserInputError("That entry is no longer in the knowledge base, so there is nothing to explain.")
    return service


class ReasonSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"kb:why:(?P<entry_id>[a-z0-9-]{1,60})"):
    """Why the member's 👎: one reason from a short list, changed by picking another."""

    def __init__(self, entry_id: str, current: VoteReason | None = None) -> None:
        options = [
            discord.SelectOption(label=label, value=value, default=chosen)
            for label, value, chosen in reason_options(current)
        ]
        super().__init__(
            discord.ui.Select(custom_id=f"kb:why:{entry_id}", placeholder=REASON_PLACEHOLDER, options=options)
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ReasonSelect:
        return cls(match["entry_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick a reason from the menu.")
        service = _known_entry(interaction, self.entry_id)
        reason = await service.explain_vote(
            self.entry_id, interaction.user.id, interaction.guild_id, values[0], dt.datetime.now(dt.UTC)
        )
        await interaction.response.edit_message(
            content=reason_noted(reason, in_server=interaction.guild_id is not None),
            view=reasons_view(self.entry_id, reason),
        )


class TellUsMoreButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"kb:more:(?P<entry_id>[a-z0-9-]{1,60})"
):
    """Opens a short form for a line in the member's own words about their 👎 (what they wrote before, to edit)."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=TELL_US_MORE, emoji="💬", style=discord.ButtonStyle.secondary, custom_id=f"kb:more:{entry_id}"
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> TellUsMoreButton:
        return cls(match["entry_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = _known_entry(interaction, self.entry_id)
        given = await service.member_vote(self.entry_id, interaction.user.id)
        if given is None or given.helpful:
            raise UserInputError(NO_THUMBS_DOWN)
        await interaction.response.send_modal(VoteNoteModal(self.entry_id, given.note, user_id=interaction.user.id))


class VoteNoteModal(BaseModal):
    """**Tell us more**: one optional line about a 👎; sent empty, it removes the line given before."""

    def __init__(self, entry_id: str, current: str | None, *, user_id: int) -> None:
        super().__init__(title=TELL_US_MORE, form=f"kb:note:{entry_id}", user_id=user_id, timeout=NOTE_FORM_TIMEOUT)
        self.entry_id = entry_id
        self.note: discord.ui.TextInput[VoteNoteModal] = discord.ui.TextInput(
            label="What was wrong or missing?",
            custom_id="note",
            style=discord.TextStyle.paragraph,
            placeholder="e.g. the fee changed this year; nothing about my visa; too long to read on a phone",
            default=current,
            required=False,
            max_length=MAX_NOTE_CHARS,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: HookInteraction) -> None:
        service = _known_entry(interaction, self.entry_id)
        note = await service.note_vote(
            self.entry_id, interaction.user.id, interaction.guild_id, self.note.value, dt.datetime.now(dt.UTC)
        )
        await interaction.response.send_message(
            note_noted(note, in_server=interaction.guild_id is not None),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class PathwaySelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"kb:pathway"):
    """The /pathway menu: each option opens a stage, privately, with a button per step.

    A menu posted before the road had stages offers entry ids: those still open their entry."""

    def __init__(self, service: KnowledgeService | None = None) -> None:
        options = [
            discord.SelectOption(label=label, value=value, description=description)
            for label, value, description in (pathway_options(service.pathway_stages) if service else ())
        ]
        super().__init__(
            discord.ui.Select(
                custom_id="kb:pathway",
                placeholder="Open a step of the road…",
                options=options or [discord.SelectOption(label="…", value="none")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PathwaySelect:
        return cls(knowledge_of(interaction))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick a step from the menu.")
        service = knowledge_of(interaction)
        stage = next((s for s in service.pathway_stages if str(s.number) == values[0]), None)
        if stage is None:
            await send_entry(interaction, values[0])
            return
        view = discord.ui.View(timeout=None)
        for number, step in enumerate(stage.steps, start=1):
            view.add_item(OpenEntryButton(step.entry.id, f"{stage.number}.{number} {step.label}"))
        await interaction.response.send_message(
            embed=stage_embed(stage, len(service.pathway_stages)), view=view, ephemeral=True
        )


# -- /topic with no name: browse by stage ---------------------------------------------------------------------------


def stages_view(service: KnowledgeService) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(BrowseStageSelect(service))
    return view


def browse_view(page: BrowsePage) -> discord.ui.View:
    """A page of a stage: its topics menu, then All parts and, when the stage has more pages, Previous and Next."""
    view = discord.ui.View(timeout=None)
    view.add_item(BrowseEntrySelect(page))
    view.add_item(BrowseNavButton("", 0, "All parts", "↩️"))
    if page.page > 0:
        view.add_item(BrowseNavButton(page.stage.value, page.page - 1, "Previous", "◀️"))
    if page.page + 1 < page.pages:
        view.add_item(BrowseNavButton(page.stage.value, page.page + 1, "Next", "▶️"))
    return view


async def show_browse(interaction: Interaction, stage: str, page: int) -> None:
    """Replace the browsing screen with a stage's page, or with the stages (``stage`` empty)."""
    service = knowledge_of(interaction)
    if not stage:
        await interaction.response.edit_message(embed=stages_embed(service.browse_stages()), view=stages_view(service))
        return
    shown = service.browse(stage, page)
    await interaction.response.edit_message(embed=page_embed(shown), view=browse_view(shown))


class BrowseStageSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"kb:browse"):
    """The browsing screen's first menu: the stages of the road; picking one shows its topics in its place."""

    def __init__(self, service: KnowledgeService | None = None) -> None:
        options = [
            discord.SelectOption(label=label, value=value, description=description)
            for label, value, description in (stage_options(service.browse_stages()) if service else ())
        ]
        super().__init__(
            discord.ui.Select(
                custom_id="kb:browse",
                placeholder="Pick a part of the road…",
                options=options or [discord.SelectOption(label="…", value="none")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BrowseStageSelect:
        return cls(knowledge_of(interaction))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick a part of the road from the menu.")
        await show_browse(interaction, values[0], 0)


class BrowseEntrySelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"kb:browse:(?P<stage>[a-z-]{1,30}):(?P<page>\d{1,4})",
):
    """A stage's topics, one page of at most 25: picking one opens it privately, as /topic does."""

    def __init__(self, page: BrowsePage | None = None, *, custom_id: str = "kb:browse:none:0") -> None:
        options = [
            discord.SelectOption(label=label, value=value, description=description)
            for label, value, description in (entry_options(page) if page else ())
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"kb:browse:{page.stage.value}:{page.page}" if page else custom_id,
                placeholder="Open a topic…",
                options=options or [discord.SelectOption(label="…", value="none")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BrowseEntrySelect:
        # The picked value is all the callback needs; the options are not rebuilt.
        return cls(custom_id=match.group(0))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick a topic from the menu.")
        await send_entry(interaction, values[0])


class BrowseNavButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"kb:browse-go:(?P<stage>[a-z-]{0,30}):(?P<page>\d{1,4})",
):
    """Moves the browsing screen: to another page of a stage, or back to the stages (an empty stage)."""

    def __init__(self, stage: str, page: int, label: str, emoji: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=discord.ButtonStyle.secondary, custom_id=f"kb:browse-go:{stage}:{page}"
            )
        )
        self.stage = stage
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> BrowseNavButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["stage"], int(match["page"]), label or "…")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await show_browse(interaction, self.stage, self.page)


ANSWER_VIEWS_KEPT = 2_048
"""Answer views kept built, the least recently used dropped first. An answer's buttons depend on the question too
(its runner-ups: KnowledgeService.offered_with), so there are more than entries: the ~4,000 questions of the retrieval
sets give about 1,900, a few KB each."""

_answer_views: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], discord.ui.View] = OrderedDict()
"""An answer's buttons without server entries, by what they show: the same for every /ask with that entry and the
same buttons."""


def answer_view(
    service: KnowledgeService,
    entry: KnowledgeEntry,
    offered: tuple[KnowledgeEntry, ...] | None = None,
    server: tuple[ServerHit, ...] = (),
) -> discord.ui.View:
    """Vote buttons and a button per entry offered beside this one: ``offered`` as the answer found them (the
    question's runner-ups, then related entries), else the entry's related ones (/topic); ``server``: the server's
    own entries the question also matched, offered below as **From this server**.

    Every item is a dynamic one, so the view is sent untracked; without server entries it is built once per entry and
    buttons (it shows nothing else) and sent as it is: building it cost about a tenth of an answer's time outside the
    search."""
    others = service.related_to(entry) if offered is None else offered
    key = (entry.id, tuple((other.id, other.title) for other in others))
    if not server and (kept := _answer_views.get(key)) is not None:
        _answer_views.move_to_end(key)
        return kept
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(entry.id, True))
    view.add_item(VoteButton(entry.id, False))
    for other in others:
        item = OpenEntryButton(other.id, other.title)
        item.item.row = 1
        view.add_item(item)
    server_knowledge.add_server_buttons(view, server, row=2)
    untracked(view)
    if not server:
        _answer_views[key] = view
        if len(_answer_views) > ANSWER_VIEWS_KEPT:
            _answer_views.popitem(last=False)
    return view


def suggestions_view(entries: tuple[KnowledgeEntry, ...], server: tuple[ServerHit, ...] = ()) -> discord.ui.View:
    """Curated topics close to the question, then (below) other server entries it matched. Dynamic items only: the
    caller sends it untracked (``untracked``) once it has added what it adds."""
    view = discord.ui.View(timeout=None)
    for entry in entries[:5]:
        view.add_item(OpenEntryButton(entry.id, entry.title))
    server_knowledge.add_server_buttons(view, server, row=1)
    return view


async def send_entry(interaction: Interaction, entry_id: str) -> None:
    service = knowledge_of(interaction)
    entry = service.knowledge.get(entry_id)
    if entry is None:
        raise UserInputError("That topic is no longer in the knowledge base. Try `/topic` to find it again.")
    await interaction.response.send_message(embed=entry_embed(entry), view=answer_view(service, entry), ephemeral=True)


CHAT_REPLY = (
    "Hi! 👋 I answer questions about the road to a US residency: ECFMG, USMLE, US clinical experience, letters, "
    "ERAS, interviews, the rank list, Match Week, SOAP and visas. Ask one, for example `/ask question: when is "
    "SOAP?`, or see `/help`."
)
"""The reply to a greeting or thanks sent to /ask ("hello", "thank you"): kept out of the unanswered questions."""


def no_answer_embed(question: str, answer: Answer, *, noted: bool = True, in_server: bool = True) -> discord.Embed:
    if answer.result.not_english:
        return discord.Embed(
            title="I can only answer in English for now",
            description=(
                "Thank you for asking! My knowledge base is written in English, so I can't read this question well "
                "enough to answer it safely.\n\nCould you ask it in English? Simple words are perfect, for example "
                "“when is SOAP?”, “Step 2 CK passing score” or “J-1 waiver”. `/pathway` shows every topic."
            ),
            colour=NOTICE_COLOUR,
        )
    embed = discord.Embed(
        title="No curated answer yet",
        description=(
            f"I don't have a reviewed answer for “{quote_user_text(question, 200)}” yet, and I'd rather not guess.\n\n"
            + (
                "You asked privately, so your question was not kept."
                if not noted
                else "Your question has been noted (without your name) so moderators can add it."
                if in_server
                else "Your question has been noted (without your name) for the people who keep the knowledge base. "
                "In your server, members can help with it too."
            )
        ),
        colour=NOTICE_COLOUR,
    )
    if answer.suggestions:
        embed.add_field(
            name="These topics may help",
            value="\n".join(f"• **{e.title}**: {shorten(e.summary, 150)}" for e in answer.suggestions),
            inline=False,
        )
    embed.set_footer(
        text="Tip: use short words like “SOAP”, “Step 2 CK score” or “J-1 waiver”. /pathway shows every step."
    )
    return embed


def pathway_options(stages: tuple[PathwayStage, ...]) -> list[tuple[str, str, str]]:
    """The /pathway menu: (label, value, description) per stage, its steps named in the description."""
    return [
        (
            shorten(f"{stage.number}. {stage.label}", 100),
            str(stage.number),
            shorten(" · ".join(step.label for step in stage.steps), 100),
        )
        for stage in stages
    ]


def pathway_embed(service: KnowledgeService) -> discord.Embed:
    lines = [
        f"**{stage.number}.** {stage.label} · {plural(len(stage.steps), 'step')}" for stage in service.pathway_stages
    ]
    embed = discord.Embed(
        title="The road to a US residency",
        description="\n".join(lines),
        colour=BRAND_COLOUR,
    )
    embed.set_footer(text="Pick a step in the menu to see what it involves. Ask anything with /ask.")
    return embed


def stage_embed(stage: PathwayStage, stages: int) -> discord.Embed:
    """One stage of the road: its steps, each with the summary of its entry (a button below opens the entry)."""
    embed = discord.Embed(title=shorten(f"{stage.number}. {stage.label}", 256), colour=BRAND_COLOUR)
    embed.set_author(name=f"The road to a US residency · step {stage.number} of {stages}")
    lines = [
        f"**{stage.number}.{number} {step.label}**\n{shorten(step.entry.summary, 300)}"
        for number, step in enumerate(stage.steps, start=1)
    ]
    embed.description = shorten("\n\n".join(lines), 4096)
    embed.set_footer(text="Press a step below to read it in full. /pathway shows the whole road.")
    return embed


class KnowledgeCog(commands.Cog, name=KNOWLEDGE_COG):
    """Pathway answers from the curated knowledge base."""

    knowledge_admin = app_commands.Group(
        name="knowledge",
        description="Knowledge-base tools for server moderators",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> KnowledgeService:
        return self.bot.services.knowledge

    @property
    def server_entries(self) -> ServerEntries:
        return self.bot.services.server_entries

    async def open_entry(self, interaction: Interaction, entry_id: str) -> None:
        """What an ``OpenEntryButton`` (bot/ui/knowledge_entry.py) shows, under any feature's message."""
        await send_entry(interaction, entry_id)

    @app_commands.command(name="ask", description="Ask about the road to US residency: ECFMG, USMLE, ERAS, Match…")
    @app_commands.describe(
        question="Your question in your own words, e.g. “when does ERAS open?” (max 300 characters)",
        private="Show the answer only to you (default: everyone in the channel sees it)",
    )
    @per_user_cooldown()
    async def ask(
        self,
        interaction: Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
        private: bool = False,
    ) -> None:
        options = parse_options(AskOptions, question=question, private=private)
        answer = self.service.answer(options.question)
        # The server's own entries are searched beside the curated ones, never instead: a confident curated answer
        # is the answer and they are offered below it; one of them answers only when no curated entry does.
        server = await self.server_entries.search(interaction.guild_id, options.question)
        if answer.entry is None and (own := await server_knowledge.matched_entry(interaction, server)) is not None:
            await interaction.response.send_message(
                embed=server_entry_embed(own, question=options.question),
                view=untracked(suggestions_view(answer.suggestions, server[1:])),
                ephemeral=options.private,
            )
            # Counted for the report's "entries asked for most" (never who asked), after the answer is on its way.
            await self.server_entries.count_answer(own.guild_id, own.id)
            return
        if answer.result.chat:
            # "hello", "thank you": said to the bot, not asked of it. Nothing is missing from the knowledge base.
            await interaction.response.send_message(CHAT_REPLY, ephemeral=True)
            return
        if answer.entry is None:
            # Never kept when asked privately; otherwise only this server's moderators see it (a DM's: no server).
            noted = not answer.result.not_english and not options.private
            in_server = interaction.guild_id is not None
            embeds, view = (
                [no_answer_embed(options.question, answer, noted=noted, in_server=in_server)],
                suggestions_view(answer.suggestions),
            )
            # Ask the community (cogs/community.py), where the server has a help channel to ask it in: a button
            # that can only answer "no help channel yet" would be a dead end for the member.
            if in_server and await community.has_help_channel(interaction):
                community.offer(embeds, view, options.question)
            asked_at = dt.datetime.now(dt.UTC)
            await interaction.response.send_message(embeds=embeds, view=untracked(view), ephemeral=True)
            if noted:
                # After the reply, like count_answer above: a write waits its turn behind other writers (on
                # PostgreSQL several round trips), and the member's answer need not wait for the moderators' list.
                await self.service.record_unanswered(options.question, interaction.guild_id, asked_at)
            return
        await interaction.response.send_message(
            embed=entry_embed(answer.entry, question=options.question),
            view=answer_view(self.service, answer.entry, answer.offered, server),
            ephemeral=options.private,
        )

    @app_commands.command(name="topic", description="Read one topic of the knowledge base by name, or browse them all")
    @app_commands.describe(
        name="Start typing: SOAP, Step 2 CK, J-1 waiver, ERAS token… (leave it out to browse by stage)",
        private="Show the entry only to you (default: everyone in the channel sees it)",
    )
    async def topic(
        self, interaction: Interaction, name: app_commands.Range[str, 1, 100] | None = None, private: bool = False
    ) -> None:
        if name is None:
            # Browsing is a private screen whatever ``private`` says: picking through menus is not for the channel.
            await interaction.response.send_message(
                embed=stages_embed(self.service.browse_stages()), view=stages_view(self.service), ephemeral=True
            )
            return
        options = parse_options(TopicOptions, name=name)
        entry = self.service.topic(options.name)
        # A curated topic first: a server entry by the same name is still one pick away in the list as you type.
        own = await self.server_entries.find(interaction.guild_id, options.name) if entry is None else None
        if own is not None:
            await interaction.response.send_message(embed=server_entry_embed(own), ephemeral=private)
            return
        if entry is None:
            close = self.service.autocomplete(options.name, limit=3)
            hint = f" Did you mean: {', '.join(f'**{e.title}**' for e in close)}?" if close else ""
            shown = quote_user_text(options.name, 80)
            raise UserInputError(f"There is no topic called “{shown}”.{hint} Pick one from the list as you type.")
        await interaction.response.send_message(
            embed=entry_embed(entry), view=answer_view(self.service, entry), ephemeral=private
        )

    @topic.autocomplete("name")
    async def topic_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        # The server's own entries (marked) after the curated ones, with room kept for a few of them.
        own = await self.server_entries.choices(interaction.guild_id, current[:100], limit=SERVER_CHOICES)
        curated = [
            app_commands.Choice(name=shorten(entry.title, 100), value=entry.id)
            for entry in self.service.autocomplete(current[:100], limit=25 - len(own))
        ]
        return curated + [
            app_commands.Choice(name=choice_name(title), value=f"{SERVER_CHOICE_PREFIX}{entry_id}")
            for entry_id, title in own
        ]

    @app_commands.command(name="pathway", description="The whole road from medical school to residency, step by step")
    @app_commands.describe(private="Show it only to you (default: everyone in the channel sees it)")
    async def pathway(self, interaction: Interaction, private: bool = False) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(PathwaySelect(self.service))
        await interaction.response.send_message(embed=pathway_embed(self.service), view=view, ephemeral=private)

    @knowledge_admin.command(
        name="report", description="Unanswered questions grouped, entries asked for most, and why 👎"
    )
    @server_permissions_check(manage_guild=True)
    async def report(self, interaction: Interaction) -> None:
        if interaction.guild_id is None:  # guild_only: Discord never sends it from a DM
            raise UserInputError("Use /knowledge report in a server.")
        embed = report_embed(await self.gather_report(interaction.guild_id), self.title_of)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def gather_report(self, guild_id: int) -> KnowledgeReport:
        """Everything /knowledge report shows, of this server only (the votes are per curated entry)."""
        return KnowledgeReport(
            groups=await self.service.question_groups(guild_id, limit=REPORT_LINES),
            tallies=await self.service.vote_tallies(),
            reasons=await self.service.vote_reasons(guild_id),
            answered=await self.server_entries.most_answered(guild_id, limit=REPORT_LINES),
        )

    def title_of(self, entry_id: str) -> str:
        entry = self.service.knowledge.get(entry_id)
        return entry.title if entry else entry_id

    # -- the server's own entries (cogs/server_knowledge.py does the work) ----------------------------------------

    async def entry_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=value)
            for name, value in await server_knowledge.entry_choices(interaction, current)
        ]

    @knowledge_admin.command(name="add", description="Write an answer of this server's own for /ask and /topic")
    @server_permissions_check(manage_guild=True)
    async def add_entry(self, interaction: Interaction) -> None:
        await server_knowledge.open_add_form(interaction)

    @knowledge_admin.command(name="edit", description="Change one of this server's own entries")
    @app_commands.describe(entry="The entry to change: start typing its title")
    @app_commands.autocomplete(entry=entry_autocomplete)
    @server_permissions_check(manage_guild=True)
    async def edit_entry(self, interaction: Interaction, entry: app_commands.Range[str, 1, 100]) -> None:
        await server_knowledge.open_edit_form(interaction, entry)

    @knowledge_admin.command(name="remove", description="Remove one of this server's own entries")
    @app_commands.describe(entry="The entry to remove: start typing its title")
    @app_commands.autocomplete(entry=entry_autocomplete)
    @server_permissions_check(manage_guild=True)
    async def remove_entry(self, interaction: Interaction, entry: app_commands.Range[str, 1, 100]) -> None:
        await server_knowledge.ask_to_remove(interaction, entry)

    @knowledge_admin.command(name="list", description=f"This server's own entries (at most {MAX_ENTRIES})")
    @server_permissions_check(manage_guild=True)
    async def list_entries(self, interaction: Interaction) -> None:
        await server_knowledge.show_list(interaction, 0, new=True)

    @knowledge_admin.command(name="settings", description="The help channel where members can ask the community")
    @server_permissions_check(manage_guild=True)
    async def settings(self, interaction: Interaction) -> None:
        await community.show_settings(interaction)

    @knowledge_admin.command(name="export", description="This server's own entries as Markdown files")
    @server_permissions_check(manage_guild=True)
    async def export_entries(self, interaction: Interaction) -> None:
        await server_knowledge.send_export(interaction)


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(
        OpenEntryButton,
        VoteButton,
        PathwaySelect,
        ReasonSelect,
        TellUsMoreButton,
        BrowseStageSelect,
        BrowseEntrySelect,
        BrowseNavButton,
    )
    await bot.add_cog(KnowledgeCog(bot))
