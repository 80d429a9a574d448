"""Ask the community, on Discord: the offer under /ask's refusal, the preview and the post (a forum post tagged by
stage, or a message with a thread), /knowledge settings' help-channel screen, and the **Mark as answer** message
context menu.

The rules (the stage, the post's text, the tags, who may mark, the cooldown) are ``bot.knowledge.community``'s; the
screens ``bot.ui.community``'s. Every button is a DynamicItem whose state is in its custom_id or on its own message,
so it keeps working after a restart. ``/knowledge settings`` is declared in ``cogs/knowledge.py`` (a subcommand lives
in its group's cog) and calls ``show_settings`` here; /setup's step calls ``save_help_channel`` too, so both save the
same way after the same checks.

Everything a member typed is posted with no mentions allowed and every ping broken (``compose_post``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.knowledge.community import (
    ALREADY_MARKED,
    ANSWERED_TAG,
    NOT_A_QUESTION,
    NOT_ALLOWED,
    STAGE_TAGS,
    CommunityPost,
    CommunityQuestion,
    CommunityService,
    MarkChange,
    Marker,
    answer_problem,
    answered_title,
    compose_post,
    cooldown_text,
    entry_title,
    may_mark,
    parse_stage,
    plan_tags,
    question_stage,
    stage_tag,
    stage_value,
)
from bot.knowledge.models import Stage
from bot.ui.community import (
    ANONYMOUS_LABEL,
    ASK_LABEL,
    CANCELLED,
    ENTRY_LABEL,
    NAMED_LABEL,
    POST_LABEL,
    HelpChannelCheck,
    MarkOutcome,
    asker_dm,
    entry_embeds,
    marked_text,
    maybe_posted_text,
    offer_embed,
    posted_text,
    preview_embeds,
    question_from,
    settings_embed,
    thread_note,
)
from bot.ui.errors import guarded, user_message
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.onboarding import Notice
from bot.ui.permissions import (
    has_server_permissions,
    lacking,
    permission_names,
    require_channel_permissions,
    require_server_permissions,
)
from bot.ui.server_knowledge import typed_from
from bot.validation import UserInputError
from cogs.server_knowledge import ServerEntryModal, entries_of

if TYPE_CHECKING:
    from bot.app import ImgBot
    from bot.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

HelpChannel = discord.ForumChannel | discord.TextChannel

HELP_CHANNEL_TYPES = [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]
"""What a help channel may be: a forum (best: posts tagged by stage) or a text channel (a thread per question)."""
NEEDED_IN_FORUM = {"view_channel": True, "send_messages": True}
NEEDED_IN_TEXT = {"view_channel": True, "send_messages": True, "create_public_threads": True}
"""What the bot cannot post a question without (Discord's own permission for each way of posting)."""
HELPFUL = (
    ("send_messages_in_threads", "I can't say in the thread which reply was marked as the answer"),
    ("manage_threads", "a marked answer can't tag the post Answered (forum) or rename its thread"),
)
"""What posting works without, less well."""
NO_TAGS = "I can't add tags to this forum (I need **Manage Channels** there); a moderator can add them or grant it"
ARCHIVE_AFTER: Literal[10080] = 10080
"""Minutes of quiet before a question's thread in a text channel is archived: a week, time enough for an answer."""
MARK_AS_ANSWER = "Mark as answer"
NO_HELP_CHANNEL = (
    "This server has no help channel for questions yet, so I can't post yours. A moderator can set one with "
    "`/knowledge settings` (or `/setup`)."
)


def bot_of(interaction: Interaction) -> ImgBot:
    return interaction.client


def community_of(interaction: Interaction) -> CommunityService:
    return bot_of(interaction).services.community


def guild_of(interaction: Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


# -- the help channel -------------------------------------------------------------------------------------------------


def find_tag(forum: discord.ForumChannel, name: str) -> discord.ForumTag | None:
    wanted = name.casefold()
    return next((tag for tag in forum.available_tags if tag.name.casefold() == wanted), None)


def check_channel(guild: discord.Guild, channel_id: int) -> HelpChannelCheck:
    """What the bot can do in the help channel, as the settings screen and the refusals say it."""
    channel = guild.get_channel(channel_id)
    mention = f"<#{channel_id}>"
    if not isinstance(channel, discord.ForumChannel | discord.TextChannel):
        return HelpChannelCheck(mention, forum=False, gone=True)
    forum = isinstance(channel, discord.ForumChannel)
    perms = channel.permissions_for(guild.me)
    missing = lacking(perms, NEEDED_IN_FORUM if forum else NEEDED_IN_TEXT)
    limited = [(permission_names([name]), purpose) for name, purpose in HELPFUL if not getattr(perms, name)]
    tags: tuple[str, ...] = ()
    if isinstance(channel, discord.ForumChannel):
        plan = plan_tags([tag.name for tag in channel.available_tags])
        tags = plan.add + plan.no_room
        if tags and not perms.manage_channels:
            limited.append(("Manage Channels", "I can't add the stage tags, so questions are posted untagged"))
        elif plan.no_room:
            limited.append(("room for tags", f"{len(plan.no_room)} of my tags don't fit (a forum has 20 at most)"))
    return HelpChannelCheck(
        mention,
        forum=forum,
        missing=tuple(permission_names([name]) for name in missing),
        limited=tuple(limited),
        tags_missing=tags,
    )


async def current_check(interaction: Interaction) -> HelpChannelCheck | None:
    guild = guild_of(interaction)
    channel_id = await community_of(interaction).help_channel(guild.id)
    return None if channel_id is None else check_channel(guild, channel_id)


async def save_help_channel(interaction: Interaction, channel_id: int | None) -> Notice:
    """Set (or, None, clear) the server's help channel after the checks of /knowledge settings; UserInputError when
    the bot could not post there (nothing is saved then). Used by /knowledge settings and by /setup."""
    guild = guild_of(interaction)
    service = community_of(interaction)
    if channel_id is None:
        await service.set_help_channel(guild.id, None)
        return Notice("Ask the community is off: members are told a moderator has to set a help channel.")
    check = check_channel(guild, channel_id)
    if check.gone:
        raise UserInputError("Pick a text channel or a forum of this server that I can see.")
    if check.missing:
        raise UserInputError(
            f"I can't post members' questions in {check.mention}: I need **{', '.join(check.missing)}** there. Grant "
            "it in the channel's settings (Permissions, my role), or pick another channel."
        )
    await service.set_help_channel(guild.id, channel_id)
    where = "as forum posts tagged by stage" if check.forum else "as messages, each with a thread"
    return Notice(f"Members' questions now go to {check.mention}, {where}.")


def settings_view(check: HelpChannelCheck | None, channel_id: int | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HelpChannelSelect(channel_id))
    view.add_item(TurnOffButton(disabled=check is None))
    return view


async def settings_screen(
    interaction: Interaction, notice: Notice | None = None
) -> tuple[discord.Embed, discord.ui.View]:
    guild = guild_of(interaction)
    channel_id = await community_of(interaction).help_channel(guild.id)
    check = None if channel_id is None else check_channel(guild, channel_id)
    return settings_embed(check, notice), settings_view(check, channel_id)


async def show_settings(interaction: Interaction) -> None:
    """/knowledge settings: the help channel, what works there, and the way to change it."""
    embed, view = await settings_screen(interaction)
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class HelpChannelSelect(discord.ui.DynamicItem[discord.ui.ChannelSelect[Any]], template=r"cq:set:ch"):
    """/knowledge settings' channel menu: saved at once when the bot can post there."""

    def __init__(self, channel_id: int | None = None) -> None:
        super().__init__(
            discord.ui.ChannelSelect(
                custom_id="cq:set:ch",
                channel_types=HELP_CHANNEL_TYPES,
                placeholder="The help channel (a forum or a text channel)…",
                default_values=[discord.Object(channel_id)] if channel_id else [],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HelpChannelSelect:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_server_permissions(interaction, manage_guild=True)
        picked = self.item.values[0].id if self.item.values else None
        try:
            notice = await save_help_channel(interaction, picked)
        except UserInputError as refused:
            notice = Notice(user_message(refused), problem=True)
        embed, view = await settings_screen(interaction, notice)
        await interaction.response.edit_message(embed=embed, view=view)


class TurnOffButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cq:set:off"):
    def __init__(self, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Turn off", style=discord.ButtonStyle.secondary, custom_id="cq:set:off", disabled=disabled
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> TurnOffButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_server_permissions(interaction, manage_guild=True)
        notice = await save_help_channel(interaction, None)
        embed, view = await settings_screen(interaction, notice)
        await interaction.response.edit_message(embed=embed, view=view)


# -- asking -----------------------------------------------------------------------------------------------------------


async def has_help_channel(interaction: Interaction) -> bool:
    """Whether the server has set a help channel (whether it still works is checked when the button is pressed)."""
    return (
        interaction.guild_id is not None
        and await community_of(interaction).help_channel(interaction.guild_id) is not None
    )


def offer(embeds: list[discord.Embed], view: discord.ui.View, question: str) -> None:
    """Add **Ask the community** to /ask's refusal (in a server): its embed, with the question, and its button."""
    embeds.append(offer_embed(question))
    button = AskCommunityButton()
    button.item.row = 2
    view.add_item(button)


@dataclass(frozen=True)
class Target:
    """Where a question goes: the help channel, and the tag it would get there."""

    channel: HelpChannel
    tag: str | None
    untagged_reason: str | None

    @property
    def forum(self) -> bool:
        return isinstance(self.channel, discord.ForumChannel)


async def posting_target(interaction: Interaction, stage: Stage | None) -> Target:
    """The help channel, after every check a member's question must pass before it is shown or posted: a channel is
    set, the bot can post there, the member can read it and post there themselves."""
    guild = guild_of(interaction)
    channel_id = await community_of(interaction).help_channel(guild.id)
    if channel_id is None:
        raise UserInputError(NO_HELP_CHANNEL)
    check = check_channel(guild, channel_id)
    if check.gone:
        raise UserInputError(
            "This server's help channel is gone (deleted, or hidden from me). A moderator can set another with "
            "`/knowledge settings`."
        )
    if check.missing:
        raise UserInputError(
            f"I can't post in {check.mention}: I need **{', '.join(check.missing)}** there. A moderator can grant it "
            "in the channel's settings, or set another help channel with `/knowledge settings`."
        )
    channel = guild.get_channel(channel_id)
    assert isinstance(channel, discord.ForumChannel | discord.TextChannel)
    if isinstance(interaction.user, discord.Member):
        # The answers come there: a member who cannot read the channel would never see them. And the bot posts for
        # the member, so it may not post where they may not (a read-only channel; discord.py's permissions_for
        # already takes everything from a timed-out member), anonymously or not. In a forum that is Create Posts.
        require_channel_permissions(
            interaction.user, channel, view_channel=True, read_message_history=True, send_messages=True
        )
    if not isinstance(channel, discord.ForumChannel):
        return Target(channel, None, None)
    name = stage_tag(stage)
    if find_tag(channel, name) is not None:
        return Target(channel, name, None)
    if not channel.permissions_for(guild.me).manage_channels:
        return Target(channel, None, NO_TAGS)
    if plan_tags([tag.name for tag in channel.available_tags], first=[name]).add[:1] != (name,):
        return Target(channel, None, "the forum has no room for another tag (20 at most)")
    return Target(channel, name, None)


def knowledge_of(interaction: Interaction) -> KnowledgeService:
    return bot_of(interaction).services.knowledge


def guess_stage(interaction: Interaction, question: str) -> Stage | None:
    """The stage of the road the question is about, from what the curated search finds for it."""
    hits = knowledge_of(interaction).search(question, limit=3).hits
    return question_stage([(hit.entry.stage, hit.score) for hit in hits])


def post_of(interaction: Interaction, question: str, stage: Stage | None, *, anonymous: bool) -> CommunityPost:
    mention = None if anonymous else interaction.user.mention
    return compose_post(question, asker_mention=mention, stage=stage)


def question_of(interaction: Interaction) -> str:
    question = question_from(interaction.message.embeds if interaction.message else [])
    if not question:
        raise UserInputError("This button no longer knows your question. Ask again with `/ask`.")
    return question


async def preview(
    interaction: Interaction, question: str, stage: Stage | None, *, anonymous: bool
) -> tuple[list[discord.Embed], discord.ui.View]:
    target = await posting_target(interaction, stage)
    post = post_of(interaction, question, stage, anonymous=anonymous)
    embeds = preview_embeds(
        question, post, channel_mention=target.channel.mention, forum=target.forum, tag=target.tag, anonymous=anonymous
    )
    view = discord.ui.View(timeout=None)
    view.add_item(ChoiceButton(stage, anonymous=False, chosen=not anonymous))
    view.add_item(ChoiceButton(stage, anonymous=True, chosen=anonymous))
    view.add_item(StageSelect(stage, anonymous=anonymous))
    view.add_item(PostButton(stage, anonymous=anonymous))
    view.add_item(CancelButton())
    return embeds, view


class AskCommunityButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cq:ask"):
    """**Ask the community** under /ask's refusal: the checks, then the preview (privately, as a new message)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=ASK_LABEL, emoji="🙋", style=discord.ButtonStyle.primary, custom_id="cq:ask")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AskCommunityButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        question = question_of(interaction)
        wait = await community_of(interaction).wait_left(guild.id, interaction.user.id)
        if wait:
            raise UserInputError(cooldown_text(wait))
        embeds, view = await preview(interaction, question, guess_stage(interaction, question), anonymous=True)
        await interaction.response.send_message(
            embeds=embeds, view=view, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


_STAGE = r"(?P<stage>[a-z-]{1,20})"


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"cq:who:{_STAGE}:(?P<anonymous>[01])"):
    """**With my name** / **Anonymously**: the preview shows the post as it would be."""

    def __init__(self, stage: Stage | None, *, anonymous: bool, chosen: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=ANONYMOUS_LABEL if anonymous else NAMED_LABEL,
                emoji="🕶️" if anonymous else "🙂",
                style=discord.ButtonStyle.primary if chosen else discord.ButtonStyle.secondary,
                custom_id=f"cq:who:{stage_value(stage)}:{int(anonymous)}",
                row=0,
            )
        )
        self.stage = stage
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChoiceButton:
        return cls(parse_stage(match["stage"]), anonymous=match["anonymous"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        embeds, view = await preview(interaction, question_of(interaction), self.stage, anonymous=self.anonymous)
        await interaction.response.edit_message(embeds=embeds, view=view)


class StageSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"cq:stage:(?P<anonymous>[01])"):
    """The stage the question is about (its tag in a forum): my guess, changed here."""

    def __init__(self, stage: Stage | None, *, anonymous: bool) -> None:
        options = [
            discord.SelectOption(label=tag, value=stage_value(each), description=each.label, default=each == stage)
            for each, tag in STAGE_TAGS.items()
        ]
        options.append(
            discord.SelectOption(
                label=stage_tag(None), value=stage_value(None), description="None of these", default=stage is None
            )
        )
        super().__init__(
            discord.ui.Select(
                custom_id=f"cq:stage:{int(anonymous)}", placeholder="The stage it is about…", options=options, row=1
            )
        )
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> StageSelect:
        return cls(None, anonymous=match["anonymous"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        stage = parse_stage(self.item.values[0]) if self.item.values else None
        embeds, view = await preview(interaction, question_of(interaction), stage, anonymous=self.anonymous)
        await interaction.response.edit_message(embeds=embeds, view=view)


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cq:cancel"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="cq:cancel", row=2)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CancelButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await interaction.response.edit_message(content=CANCELLED, embeds=[], view=None)


class PostButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"cq:post:{_STAGE}:(?P<anonymous>[01])"):
    """**Post it**: the member's consent to exactly the preview above it."""

    def __init__(self, stage: Stage | None, *, anonymous: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"{POST_LABEL} {'anonymously' if anonymous else 'with my name'}",
                style=discord.ButtonStyle.success,
                custom_id=f"cq:post:{stage_value(stage)}:{int(anonymous)}",
                row=2,
            )
        )
        self.stage = stage
        self.anonymous = anonymous

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PostButton:
        return cls(parse_stage(match["stage"]), anonymous=match["anonymous"] == "1")

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        question = question_of(interaction)
        target = await posting_target(interaction, self.stage)
        service = community_of(interaction)
        reserved = await service.reserve(
            guild.id, target.channel.id, interaction.user.id, question, self.stage, anonymous=self.anonymous
        )
        post = post_of(interaction, question, self.stage, anonymous=self.anonymous)
        # Creating tags and the post are a few requests: the preview is updated in place once they are done.
        await interaction.response.defer()
        try:
            thread, message, tag = await publish(target, post)
        except discord.RateLimited as error:
            # Longer than the bot waits (bot/app.py's max_ratelimit_timeout): the request was never made.
            await service.cancel(reserved)
            log.warning("could not post a community question in %d: rate limited", target.channel.id)
            await interaction.edit_original_response(
                content=f"⚠️ Discord is busy (try again in {error.retry_after:.0f} s). Nothing was posted."
            )
            return
        except discord.HTTPException as error:
            if error.status >= 500:
                await maybe_posted(interaction, target, error)
                return
            # Discord answered that it did not do it: the member may try again at once.
            await service.cancel(reserved)
            log.warning("could not post a community question in %d: %s %s", target.channel.id, error.status, error.text)
            await interaction.edit_original_response(
                content=f"⚠️ Discord refused the post ({error.status}: {error.text or 'no reason given'}). Nothing was "
                "posted; try again, or tell a moderator.",
            )
            return
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            await maybe_posted(interaction, target, error)
            return
        await service.posted(reserved, thread.id, message.id)
        reason = target.untagged_reason or (None if tag else "the forum has no room for another tag (20 at most)")
        await interaction.edit_original_response(
            content=posted_text(thread.jump_url, forum=target.forum, tag=tag, untagged_reason=reason),
            embeds=[],
            view=None,
        )


async def maybe_posted(interaction: Interaction, target: Target, error: BaseException) -> None:
    """The post's outcome is unknown: the reservation stays, so the cooldown holds and a second press cannot post
    the question twice; the member is told to look. (Any other error keeps it too, through the error path.)"""
    log.warning("posting a community question in %d: no clear answer (%r)", target.channel.id, error)
    await interaction.edit_original_response(content=maybe_posted_text(target.channel.mention), embeds=[], view=None)


# -- the Discord side of posting and marking ---------------------------------------------------------------------------


_tag_edits: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
"""One tag edit per forum at a time (a lock lives while someone holds or awaits it)."""


def tag_edit_lock(forum_id: int) -> asyncio.Lock:
    lock = _tag_edits.get(forum_id)
    if lock is None:
        lock = _tag_edits[forum_id] = asyncio.Lock()
    return lock


async def ensure_tags(forum: discord.ForumChannel, first: str) -> discord.ForumChannel:
    """Add the tags the forum lacks (``first`` before the others, as many as fit), if there are any; the forum as it
    is afterwards. The caller checked Manage Channels."""
    if not plan_tags([tag.name for tag in forum.available_tags], first=[first]).add:
        return forum
    # Discord replaces a forum's whole tag list with the one sent: two first posts at once, each adding the tags to
    # the list it read, would delete each other's (and take them off the post just made). So one edit per forum at a
    # time, on the tags as they are now: the cache may not have seen the edit before ours yet.
    async with tag_edit_lock(forum.id):
        fresh = await forum.guild.fetch_channel(forum.id)
        if isinstance(fresh, discord.ForumChannel):
            forum = fresh
        plan = plan_tags([tag.name for tag in forum.available_tags], first=[first])
        if not plan.add:
            return forum
        added = [discord.ForumTag(name=name, emoji="✅" if name == ANSWERED_TAG else None) for name in plan.add]
        edited = await forum.edit(available_tags=[*forum.available_tags, *added])
    log.info("added %d tags to the help forum %d of server %d", len(added), forum.id, forum.guild.id)
    return edited if isinstance(edited, discord.ForumChannel) else forum


async def publish(target: Target, post: CommunityPost) -> tuple[discord.Thread, discord.Message, str | None]:
    """Post the question: a forum post with its stage tag (added to the forum first if need be and allowed), or a
    message with a thread on it. Returns the thread, the question's message and the tag it got."""
    none = discord.AllowedMentions.none()
    channel = target.channel
    if isinstance(channel, discord.ForumChannel):
        tag = find_tag(channel, post.tag)
        if tag is None and target.tag is not None:
            channel = await ensure_tags(channel, post.tag)
            tag = find_tag(channel, post.tag)
        created = await channel.create_thread(
            name=post.title, content=post.content, applied_tags=[tag] if tag else [], allowed_mentions=none
        )
        return created.thread, created.message, tag.name if tag else None
    message = await channel.send(post.content, allowed_mentions=none)
    try:
        thread = await message.create_thread(name=post.title, auto_archive_duration=ARCHIVE_AFTER)
    except BaseException:
        # A question without its thread would collect answers nobody can mark: it goes, whatever went wrong (a
        # refusal, a 5xx, a timeout, a dropped connection, the bot stopping).
        with contextlib.suppress(Exception):
            await message.delete()
        raise
    return thread, message, None


async def mark_post(thread: discord.Thread) -> str | None:
    """Show the question is answered: the "Answered" tag on a forum post, "✅" before a thread's name. None when
    done; otherwise what stopped it, for the moderator or asker who marked."""
    guild = thread.guild
    perms = thread.permissions_for(guild.me)
    parent = thread.parent
    try:
        if isinstance(parent, discord.ForumChannel):
            answered = find_tag(parent, ANSWERED_TAG)
            if answered is None and perms.manage_channels:
                parent = await ensure_tags(parent, ANSWERED_TAG)
                answered = find_tag(parent, ANSWERED_TAG)
            if answered is None:
                return f"I could not tag the post **{ANSWERED_TAG}**: {NO_TAGS}."
            if any(tag.id == answered.id for tag in thread.applied_tags):
                return None
            if not perms.manage_threads:
                return f"I could not tag the post **{ANSWERED_TAG}** (I need **Manage Threads** in the forum)."
            kept = [tag for tag in thread.applied_tags if tag.id != answered.id][:4]
            await thread.edit(applied_tags=[*kept, answered], archived=False)
            return None
        renamed = answered_title(thread.name)
        if renamed == thread.name:
            return None
        if not perms.manage_threads:
            return "I could not mark the thread's name with ✅ (I need **Manage Threads** in its channel)."
        await thread.edit(name=renamed, archived=False)
        return None
    except discord.HTTPException as error:
        log.warning("could not mark thread %d answered: %s %s", thread.id, error.status, error.text)
        return f"Discord refused to mark the post answered ({error.status})."


async def note_in_thread(thread: discord.Thread, text: str) -> bool:
    if not thread.permissions_for(thread.guild.me).send_messages_in_threads:
        return False
    try:
        await thread.send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as error:
        log.warning("could not note the answer in thread %d: %s %s", thread.id, error.status, error.text)
        return False
    return True


async def tell_asker(client: discord.Client, user_id: int, text: str) -> bool:
    """DM the asker; False when Discord refuses (their DMs are closed to the bot, or they left every shared
    server): marking goes on without it."""
    try:
        channel = await client.create_dm(discord.Object(user_id))
        await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as error:
        log.info("could not DM a community question's asker: %s %s", error.status, error.text)
        return False
    return True


def is_moderator(interaction: Interaction) -> bool:
    return has_server_permissions(interaction, manage_guild=True) or has_server_permissions(
        interaction, manage_threads=True
    )


async def mark_as_answer(interaction: Interaction, message: discord.Message) -> None:
    """**Mark as answer** on a reply in a question's thread (see ``CommunityCog``)."""
    thread = interaction.channel
    question = await community_of(interaction).in_thread(thread.id) if isinstance(thread, discord.Thread) else None
    if question is None or not isinstance(thread, discord.Thread):
        raise UserInputError(NOT_A_QUESTION)
    marker = may_mark(question, interaction.user.id, moderator=is_moderator(interaction))
    if marker is None:
        raise UserInputError(NOT_ALLOWED)
    client = bot_of(interaction)
    problem = answer_problem(question, message.id, message.author.id, client.user.id if client.user else 0)
    if problem is not None:
        raise UserInputError(problem)
    await interaction.response.defer(ephemeral=True, thinking=True)
    marked = await community_of(interaction).mark_answer(question.id, message.id)
    if marked.change is MarkChange.SAME:
        # Marked twice (or by the asker and a moderator at once): the thread and the asker heard it the first time.
        await interaction.followup.send(ALREADY_MARKED, ephemeral=True)
        return
    changed = marked.change is MarkChange.CHANGED
    outcome = MarkOutcome(
        answer_link=message.jump_url,
        post_problem=await mark_post(thread),
        noted_in_thread=await note_in_thread(thread, thread_note(message.jump_url, marker, changed=changed)),
        # Only the first answer is news for the asker's DMs; a change is said in the thread they follow.
        asker_told=None
        if changed
        else await maybe_tell_asker(client, marked.question, marker, message.jump_url, thread.guild.name),
    )
    can_make_entry = marker is Marker.MODERATOR and has_server_permissions(interaction, manage_guild=True)
    reply: dict[str, Any] = {"content": marked_text(outcome, marker, can_make_entry=can_make_entry)}
    if can_make_entry:
        reply["embeds"] = entry_embeds(entry_title(question.question), message.content)
        view = discord.ui.View(timeout=None)
        view.add_item(MakeEntryButton())
        reply["view"] = view
    await interaction.followup.send(ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **reply)


async def maybe_tell_asker(
    client: discord.Client, question: CommunityQuestion, marker: Marker, link: str, server_name: str
) -> bool | None:
    """The asker hears of the answer privately when someone else marked it (None: no need, or nobody to tell)."""
    if marker is Marker.ASKER or not question.asked_by:
        return None
    return await tell_asker(client, question.asked_by, asker_dm(question.question, link, server_name))


class MakeEntryButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cq:entry"):
    """**Make it a server entry**: /knowledge add's form, filled with the question and the marked answer (read back
    from the reply it is on, as **Fix it** reads a refused form)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=ENTRY_LABEL, emoji="📝", style=discord.ButtonStyle.primary, custom_id="cq:entry")
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MakeEntryButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        require_server_permissions(interaction, manage_guild=True)
        await entries_of(interaction).ensure_room(guild.id)
        typed = typed_from(interaction.message.embeds if interaction.message else [])
        await interaction.response.send_modal(ServerEntryModal(None, typed, user_id=interaction.user.id))


class CommunityCog(commands.Cog, name="Community"):
    """**Mark as answer**, the message context menu of a community question's thread."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MARK_AS_ANSWER, callback=self.mark)
        self.menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def mark(self, interaction: Interaction, message: discord.Message) -> None:
        await mark_as_answer(interaction, message)


ITEMS = (
    HelpChannelSelect,
    TurnOffButton,
    AskCommunityButton,
    ChoiceButton,
    StageSelect,
    CancelButton,
    PostButton,
    MakeEntryButton,
)


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(*ITEMS)
    await bot.add_cog(CommunityCog(bot))
