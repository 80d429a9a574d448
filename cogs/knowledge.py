"""/ask, /topic and /pathway: curated, sourced answers to pathway questions."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.knowledge.models import KnowledgeEntry
from bot.knowledge.options import MAX_QUESTION_CHARS, AskOptions, TopicOptions
from bot.knowledge.pathway import PathwayStage
from bot.knowledge.repository import UNANSWERED_KEPT, UnansweredQuestion, VoteTally
from bot.knowledge.service import Answer, KnowledgeService
from bot.text import quote_user_text, shorten
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.embeds import BRAND_COLOUR, NOTICE_COLOUR, entry_embed
from bot.ui.errors import guarded
from bot.ui.permissions import server_permissions_check
from bot.ui.plural import plural
from bot.validation import UserInputError, parse_options

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]


def knowledge_of(interaction: Interaction) -> KnowledgeService:
    return cast("ImgBot", interaction.client).services.knowledge


# -- buttons and selects that keep working after a restart (their state lives in the custom_id) -------------------


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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> OpenEntryButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["entry_id"], label or match["entry_id"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await send_entry(interaction, self.entry_id)


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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["entry_id"], match["helpful"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = knowledge_of(interaction)
        if self.entry_id not in service.knowledge:
            raise UserInputError("That entry is no longer in the knowledge base, so the vote was not recorded.")
        tally = await service.vote(self.entry_id, interaction.user.id, self.helpful, dt.datetime.now(dt.UTC))
        thanks = (
            "Thanks! Glad it helped."
            if self.helpful
            else "Thanks for telling us. Moderators review entries that people mark as not helpful."
        )
        await interaction.response.send_message(
            f"{thanks} ({tally.helpful} 👍 · {tally.not_helpful} 👎 so far)", ephemeral=True
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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
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


def answer_view(
    service: KnowledgeService, entry: KnowledgeEntry, related: tuple[KnowledgeEntry, ...] | None = None
) -> discord.ui.View:
    """Vote buttons and a button per related entry; ``related`` as the answer already found them, if it did."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(entry.id, True))
    view.add_item(VoteButton(entry.id, False))
    for other in service.related_to(entry) if related is None else related:
        item = OpenEntryButton(other.id, other.title)
        item.item.row = 1
        view.add_item(item)
    return view


def suggestions_view(entries: tuple[KnowledgeEntry, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for entry in entries[:5]:
        view.add_item(OpenEntryButton(entry.id, entry.title))
    return view


async def send_entry(interaction: Interaction, entry_id: str) -> None:
    service = knowledge_of(interaction)
    entry = service.knowledge.get(entry_id)
    if entry is None:
        raise UserInputError("That topic is no longer in the knowledge base. Try `/topic` to find it again.")
    await interaction.response.send_message(embed=entry_embed(entry), view=answer_view(service, entry), ephemeral=True)


def no_answer_embed(question: str, answer: Answer, *, noted: bool = True) -> discord.Embed:
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
                "Your question has been noted (without your name) so moderators can add it."
                if noted
                else "You asked privately, so your question was not kept."
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


def report_embed(
    tallies: list[VoteTally], unanswered: list[UnansweredQuestion], service: KnowledgeService
) -> discord.Embed:
    embed = discord.Embed(title="Knowledge base report", colour=BRAND_COLOUR)
    missing = [f"`{u.times}×` {quote_user_text(u.question, 90)}" for u in unanswered[:10]]
    embed.add_field(
        name="Questions without a curated answer", value=shorten("\n".join(missing) or "None yet.", 1024), inline=False
    )
    unhelpful = sorted((t for t in tallies if t.not_helpful), key=lambda t: (-t.not_helpful, t.entry_id))[:10]
    lines = []
    for tally in unhelpful:
        entry = service.knowledge.get(tally.entry_id)
        title = entry.title if entry else tally.entry_id
        lines.append(f"**{shorten(title, 60)}**: {tally.not_helpful} 👎 · {tally.helpful} 👍")
    embed.add_field(
        name="Entries marked not helpful", value=shorten("\n".join(lines) or "None yet.", 1024), inline=False
    )
    total = sum(t.helpful + t.not_helpful for t in tallies)
    embed.set_footer(
        text=f"{plural(total, 'vote')} in all. Questions: this server's own, stored without who asked them, kept "
        f"{UNANSWERED_KEPT.days} days after they were last asked; private ones are never stored."
    )
    return embed


class KnowledgeCog(commands.Cog, name="Knowledge"):
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
        if answer.entry is None:
            # Never kept when asked privately; otherwise only this server's moderators see it (a DM's: no server).
            noted = not answer.result.not_english and not options.private
            if noted:
                await self.service.record_unanswered(options.question, interaction.guild_id, dt.datetime.now(dt.UTC))
            await interaction.response.send_message(
                embed=no_answer_embed(options.question, answer, noted=noted),
                view=suggestions_view(answer.suggestions),
                ephemeral=True,
            )
            return
        await interaction.response.send_message(
            embed=entry_embed(answer.entry, question=options.question),
            view=answer_view(self.service, answer.entry, answer.related),
            ephemeral=options.private,
        )

    @app_commands.command(name="topic", description="Read one topic of the knowledge base, by name")
    @app_commands.describe(
        name="Start typing: SOAP, Step 2 CK, J-1 waiver, ERAS token…",
        private="Show the entry only to you (default: everyone in the channel sees it)",
    )
    async def topic(
        self, interaction: Interaction, name: app_commands.Range[str, 1, 100], private: bool = False
    ) -> None:
        options = parse_options(TopicOptions, name=name)
        entry = self.service.topic(options.name)
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
        return [
            app_commands.Choice(name=shorten(entry.title, 100), value=entry.id)
            for entry in self.service.autocomplete(current[:100], limit=25)
        ]

    @app_commands.command(name="pathway", description="The whole road from medical school to residency, step by step")
    @app_commands.describe(private="Show it only to you (default: everyone in the channel sees it)")
    async def pathway(self, interaction: Interaction, private: bool = False) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(PathwaySelect(self.service))
        await interaction.response.send_message(embed=pathway_embed(self.service), view=view, ephemeral=private)

    @knowledge_admin.command(name="report", description="Questions without an answer and entries marked not helpful")
    @server_permissions_check(manage_guild=True)
    async def report(self, interaction: Interaction) -> None:
        if interaction.guild_id is None:  # guild_only: Discord never sends it from a DM
            raise UserInputError("Use /knowledge report in a server.")
        tallies, unanswered = await self.service.report(interaction.guild_id, limit=10)
        await interaction.response.send_message(embed=report_embed(tallies, unanswered, self.service), ephemeral=True)


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(OpenEntryButton, VoteButton, PathwaySelect)
    await bot.add_cog(KnowledgeCog(bot))
