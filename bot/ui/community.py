"""The screens of **Ask the community**: the offer under /ask's refusal, the preview of the post, what the member is
told once it is posted, the help channel's settings screen (/knowledge settings and /setup), and the replies to
**Mark as answer**.

A screen carries what its buttons need in itself, as the forms do (``bot.ui.forms``): the member's question rides in
a "Your question" field (pings broken, put back when read), the choices in the buttons' custom_ids. Nothing is stored
before the member presses **Post it**, so an offer they ignore leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.knowledge.community import COOLDOWN, CommunityPost, Marker, minutes
from bot.text import defuse_pings, quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, COMMUNITY_COLOUR, NOTICE_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.forms import restore_pings
from bot.ui.onboarding import Notice
from bot.ui.server_knowledge import typed_embeds

log = logging.getLogger(__name__)

QUESTION_FIELD = "Your question"
OFFER_TITLE = "Ask the community"
ASK_LABEL = "Ask the community"
NAMED_LABEL = "With my name"
ANONYMOUS_LABEL = "Anonymously"
POST_LABEL = "Post it"
ENTRY_LABEL = "Make it a server entry"
CANCELLED = "Not posted. Your question stays with you; `/ask` again any time."


def question_field(embed: discord.Embed, question: str) -> None:
    embed.add_field(name=QUESTION_FIELD, value=shorten(defuse_pings(question), FIELD_VALUE_LIMIT), inline=False)


def question_from(embeds: Sequence[discord.Embed]) -> str | None:
    """The member's question as a screen carries it (``question_field``), exactly as typed; None if it has none."""
    for embed in embeds:
        for shown in embed.fields:
            if shown.name == QUESTION_FIELD and shown.value:
                return restore_pings(shown.value)
    return None


def offer_embed(question: str) -> discord.Embed:
    """Under /ask's refusal in a server: the way to the people who may know."""
    embed = discord.Embed(
        title=OFFER_TITLE,
        description=(
            "Members of this server may know. **Ask the community** posts your question in the server's help "
            "channel, with your name or anonymously as you choose; you see the post before it goes."
        ),
        colour=COMMUNITY_COLOUR,
    )
    question_field(embed, question)
    return embed


# -- the preview ------------------------------------------------------------------------------------------------------


def where_text(channel_mention: str, *, forum: bool, tag: str | None) -> str:
    if not forum:
        return f"in {channel_mention}, as a message with a thread for the replies"
    if tag is None:
        return f"in {channel_mention}, as a forum post"
    return f"in {channel_mention}, as a forum post tagged **{tag}**"


def preview_embeds(
    question: str, post: CommunityPost, *, channel_mention: str, forum: bool, tag: str | None, anonymous: bool
) -> list[discord.Embed]:
    """The choice and the post exactly as it will look (its title and first message)."""
    shown_as = (
        "**anonymously**: the post does not say who asked. I keep your user id privately, so that you can mark the "
        "answer and find it in `/mydata` (see `/privacy`)."
        if anonymous
        else "**with your name**: the post shows who asked (nobody is pinged)."
    )
    choice = discord.Embed(
        title="Ask the community: check your post",
        description=(
            f"This is exactly what I will post {where_text(channel_mention, forum=forum, tag=tag)}, "
            f"{shown_as}\n\nPick **{NAMED_LABEL}** or **{ANONYMOUS_LABEL}**, change the stage if I guessed it wrong, "
            f"then **{POST_LABEL}**. You can post one question every {minutes(COOLDOWN)} minutes."
        ),
        colour=COMMUNITY_COLOUR,
    )
    question_field(choice, question)
    preview = discord.Embed(title=post.title, description=shorten(post.content, DESCRIPTION_LIMIT), colour=BRAND_COLOUR)
    preview.set_author(name="Preview of the post")
    return [choice, preview]


def posted_text(link: str, *, forum: bool, tag: str | None, untagged_reason: str | None) -> str:
    """What the member is told, privately, once the question is up."""
    what = (f"forum post tagged **{tag}**" if tag else "forum post") if forum else "message with a thread"
    text = f"✅ Posted. Your question is up as a {what}: {link}\nReplies appear there; "
    text += "you (or a moderator) can mark the one that answers it with **Apps → Mark as answer**."
    if forum and tag is None and untagged_reason:
        text += f"\n(It has no stage tag: {untagged_reason})"
    return text


def maybe_posted_text(channel_mention: str) -> str:
    """Posting failed without a clear answer from Discord (a 5xx, a timeout, a dropped connection): it may have
    done it. The cooldown holds, so a second press cannot post the question twice."""
    return (
        f"⚠️ Discord did not answer clearly, so your question may have been posted. Look in {channel_mention} before "
        f"asking again; if it is not there, you can post it in {minutes(COOLDOWN)} minutes."
    )


# -- the help channel's settings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HelpChannelCheck:
    """What the bot can do in a help channel: what it cannot do without (``missing``), what works less well without
    (``limited``: permission name, what it is for), and the forum tags it still lacks."""

    mention: str
    forum: bool
    missing: tuple[str, ...] = ()
    limited: tuple[tuple[str, str], ...] = ()
    tags_missing: tuple[str, ...] = ()
    gone: bool = False
    """The channel was deleted (or the bot can no longer see it at all)."""

    @property
    def usable(self) -> bool:
        return not self.gone and not self.missing


def channel_status_lines(check: HelpChannelCheck | None) -> list[str]:
    """The help channel as it is now, and what the bot can and cannot do there."""
    if check is None:
        return [
            "**Help channel:** none yet, so **Ask the community** tells members a moderator has to set one.",
        ]
    kind = (
        "a forum: each question is a post, tagged by stage"
        if check.forum
        else "a text channel: each question is a message with a thread"
    )
    lines = [f"**Help channel:** {check.mention}, {kind}."]
    if check.gone:
        lines.append("⚠️ I can no longer see it (deleted, or hidden from me). Pick another channel.")
        return lines
    if check.missing:
        lines.append(
            f"⚠️ Members' questions can't be posted: I need **{', '.join(check.missing)}** there. Grant it in the "
            "channel's settings (Permissions, my role), or pick another channel."
        )
    else:
        lines.append("✅ I can post members' questions there.")
    for permission, purpose in check.limited:
        lines.append(f"⚠️ Without **{permission}** there, {purpose}.")
    if check.tags_missing and not any(name == "Manage Channels" for name, _ in check.limited):
        lines.append(f"The forum's stage tags are added with the first question ({len(check.tags_missing)} to add).")
    return lines


def settings_embed(check: HelpChannelCheck | None, notice: Notice | None = None) -> discord.Embed:
    """/knowledge settings: the help channel of **Ask the community**, with what works there and what does not."""
    lines = [
        "When `/ask` has no reviewed answer, members may post their question in the help channel (with their name "
        "or anonymously) and mark the reply that answers it. A forum works best: questions are tagged by stage and "
        "**Answered** once marked.",
        "",
        *channel_status_lines(check),
        "",
        f"Each member can post one question every {minutes(COOLDOWN)} minutes. Pick a channel below to change it; "
        "**Turn off** stops the offer.",
    ]
    embed = discord.Embed(
        title="Knowledge settings: Ask the community",
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=NOTICE_COLOUR if notice is not None and notice.problem else COMMUNITY_COLOUR,
    )
    if notice is not None:
        name, value = notice.field()
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text="Only you see this. /setup has the same step.")
    return embed


def help_channel_line(check: HelpChannelCheck | None) -> str:
    """One line for /setup's summary."""
    if check is None:
        return "none (members can't post questions /ask could not answer)"
    if not check.usable:
        return f"{check.mention} ⚠️ I can't post there (`/knowledge settings` says why)"
    return f"{check.mention} ({'forum' if check.forum else 'text channel with threads'})"


# -- Mark as answer ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkOutcome:
    """What marking did on Discord: the tag or the thread's new name (or why not), the note in the thread, and
    whether the asker was told."""

    answer_link: str
    post_problem: str | None = None
    noted_in_thread: bool = True
    asker_told: bool | None = None
    """True: DM sent; False: their DMs are closed to the bot; None: not needed (the asker marked it, or the
    question no longer names anyone)."""


def thread_note(answer_link: str, marker: Marker, *, changed: bool = False) -> str:
    who = "The asker" if marker is Marker.ASKER else "A moderator"
    if changed:
        return f"✅ {who} changed the answer to this reply: {answer_link}"
    return f"✅ {who} marked this reply as the answer: {answer_link}"


def marked_text(outcome: MarkOutcome, marker: Marker, *, can_make_entry: bool) -> str:
    lines = [f"✅ Marked {outcome.answer_link} as the answer."]
    if outcome.post_problem:
        lines.append(f"⚠️ {outcome.post_problem}")
    if not outcome.noted_in_thread:
        lines.append("⚠️ I could not say so in the thread (I need **Send Messages in Threads** there).")
    if outcome.asker_told is True:
        lines.append("The asker was told by DM.")
    elif outcome.asker_told is False:
        lines.append("I could not DM the asker (their DMs are closed to me); they will see it in the thread.")
    if marker is Marker.MODERATOR:
        if can_make_entry:
            lines.append(
                f"**{ENTRY_LABEL}** opens `/knowledge add` filled with the question and this answer, so `/ask` "
                "answers it next time."
            )
        else:
            lines.append("A moderator with **Manage Server** can make it a server entry with `/knowledge add`.")
    return "\n".join(lines)


def asker_dm(question: str, answer_link: str, server_name: str) -> str:
    return (
        f"✅ Your question “{quote_user_text(question, 200)}” in **{quote_user_text(server_name, 100)}** has an "
        f"answer, marked by a moderator: {answer_link}"
    )


def entry_embeds(title: str, answer: str) -> list[discord.Embed]:
    """What a server entry made of the question and its answer would start as, in the refusal form's own layout, so
    that **Make it a server entry** reads it back as **Fix it** does (``bot.ui.server_knowledge.typed_from``)."""
    embeds = typed_embeds({"title": title, "answer": answer}, frozenset())
    embeds[0].title = "The server entry it would make"
    return embeds
