"""Where scheduled posts go, for every feature that posts on a schedule (announcements, study-group prompts, recaps
and nudges): which channels can take a post, finding a post of ours again after a crash, telling a server's admin.

The search by reference is how a claim left by an earlier process (or older than Discord's nonce memory) is checked:
each scheduled post carries its delivery reference (``bot.scheduling.delivery_reference``) in its embed's footer
icon, the bot's own avatar, as the fragment of the icon's URL (``#ref=lhgytgn752``). Members see a small avatar
beside the footer and no code; Discord keeps the URL as it was sent (``icon_url``; the image itself is fetched
through ``proxy_icon_url``, and a fragment never reaches a server, so the avatar is fetched and cached as usual).
Posts made before this carry ``ref <reference>`` at the end of the footer's text instead, and are still recognised.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiohttp
import discord

from bot.scheduling.delivery import SkipDelivery
from bot.ui.delivery_errors import delivery_errors

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread | discord.VoiceChannel | discord.StageChannel

HISTORY_MARGIN = timedelta(minutes=1)
"""The history is read from this long before the claim: the claim's time is the bot's clock and a message's id is
Discord's, and a host clock a little ahead must not hide the message."""
HISTORY_CAP = 1_000
"""At most this many messages are read, oldest first from the claim (10 requests of 100). The message, if it was
posted, comes soon after its claim, so only a channel with more than this many messages in between hides it: then
the claim is given up (recorded as skipped, with a warning) rather than risk posting it twice."""


POSTING_PERMISSIONS = ("View Channel", "Send Messages", "Embed Links", "Read Message History")
"""What a scheduled post needs in its channel (in a thread, Send Messages in Threads instead of Send Messages).
Read Message History: after a crash the bot finds its own post again in the channel's history; without it that check
could not tell "posted" from "not posted"."""


def lacking(perms: discord.Permissions, *, in_thread: bool, files: bool = False) -> list[str]:
    """Which of the channel permissions the features use ``perms`` lacks, named as Discord's settings show them
    (Attach Files only when ``files``: only replies to commands attach files)."""
    needed = {
        "View Channel": perms.view_channel,
        "Send Messages in Threads" if in_thread else "Send Messages": (
            perms.send_messages_in_threads if in_thread else perms.send_messages
        ),
        "Embed Links": perms.embed_links,
        "Read Message History": perms.read_message_history,
    }
    if files:
        needed["Attach Files"] = perms.attach_files
    return [name for name, granted in needed.items() if not granted]


def missing_permissions(channel: Postable, me: discord.Member) -> list[str]:
    return lacking(channel.permissions_for(me), in_thread=isinstance(channel, discord.Thread))


def bold_list(names: Sequence[str]) -> str:
    """``**A**, **B** and **C**``."""
    bold = [f"**{name}**" for name in names]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


REFERENCE_KEY = "ref"
_TEXT_REFERENCE = re.compile(rf"\b{REFERENCE_KEY} (\S+)")
REFERENCE_ICON_SIZE = 64
"""Pixels: Discord shows a footer icon at 20; 64 stays sharp on high-density screens and is a small download."""


def set_reference_footer(
    embed: discord.Embed, text: str, reference: str, sender: discord.abc.User | None
) -> discord.Embed:
    """The footer of a scheduled post: ``text`` for members, and ``reference`` where only the bot looks for it, the
    fragment of the footer icon's URL (``sender``'s avatar: the bot's). Without a sender (the bot not logged in,
    which cannot post anyway) the reference is written as text, the older form, rather than lost."""
    if sender is None:
        return embed.set_footer(text=f"{text} · {REFERENCE_KEY} {reference}")
    avatar = sender.display_avatar.with_size(REFERENCE_ICON_SIZE).url
    fragment = urllib.parse.urlencode({REFERENCE_KEY: reference})
    return embed.set_footer(text=text, icon_url=f"{urllib.parse.urldefrag(avatar).url}#{fragment}")


def footer_references(embed: discord.Embed) -> set[str]:
    """The delivery references an embed's footer carries: in its icon's URL (fragment or, should a proxy ever move
    it, query) and, for posts made before the icon held it, ``ref <reference>`` in its text."""
    found: set[str] = set()
    icon = embed.footer.icon_url
    if icon:
        parts = urllib.parse.urlsplit(icon)
        for part in (parts.fragment, parts.query):
            found.update(urllib.parse.parse_qs(part).get(REFERENCE_KEY, []))
    found.update(_TEXT_REFERENCE.findall(embed.footer.text or ""))
    return found


def carries_reference(message: discord.Message, me: discord.abc.Snowflake, reference: str) -> bool:
    """Whether ``message`` is ours and carries ``reference`` in an embed's footer (``footer_references``)."""
    return message.author.id == me.id and any(reference in footer_references(e) for e in message.embeds)


async def find_posted(
    client: discord.Client, guild_id: int, channel_id: int, reference: str, since: datetime
) -> int | None:
    """The id of our post carrying ``reference`` in the channel since ``since``; None if there is none."""
    guild = client.get_guild(guild_id)
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    me = client.user
    if channel is None or me is None or not isinstance(channel, Postable):
        return None
    return await search_history(channel, me, reference, since, f"#{channel_id}")


async def search_history(
    channel: discord.abc.Messageable, me: discord.abc.Snowflake, reference: str, since: datetime, where: str
) -> int | None:
    """The id of our message carrying ``reference`` in ``channel``, read oldest first from ``since`` (less
    ``HISTORY_MARGIN``) page by page; None when the history ends without it. Raises ``SkipDelivery`` when
    ``HISTORY_CAP`` messages were read without reaching the end: nobody can say whether it was posted."""
    after = discord.Object(discord.utils.time_snowflake(since - HISTORY_MARGIN))
    read = 0
    # A failed read is not "not posted": it raises, and the claim waits (or fails for a missing permission)
    # instead of being sent a second time.
    with delivery_errors(f"reading the history of {where}"):
        # One more than the cap: exactly HISTORY_CAP messages is a history read to its end, not one cut short.
        async for message in channel.history(limit=HISTORY_CAP + 1, after=after, oldest_first=True):
            if carries_reference(message, me, reference):
                return message.id
            read += 1
    if read > HISTORY_CAP:
        raise SkipDelivery(
            f"could not check whether it was posted: more than {HISTORY_CAP:,} messages in {where} since it was "
            "claimed (not posted again, to be sure it is not posted twice)"
        )
    return None


async def tell_server_admin(
    client: discord.Client, guild_id: int, recipients: Sequence[int], text: str, about: str
) -> bool:
    """DM ``text`` to the first of ``recipients`` (then the server's owner) who can be reached; False if nobody."""
    guild = client.get_guild(guild_id)
    candidates = list(recipients)
    if guild is not None and guild.owner_id is not None and guild.owner_id not in candidates:
        candidates.append(guild.owner_id)
    for user_id in candidates:
        try:
            dm = await client.create_dm(discord.Object(user_id))
            await dm.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError) as error:
            log.info("could not DM user %s about server %s: %s", user_id, guild_id, error)
            continue
        log.info("told user %s that %s in server %s", user_id, about, guild_id)
        return True
    return False
