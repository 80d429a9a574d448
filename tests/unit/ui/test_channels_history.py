"""Finding a post of ours again after a restart (bot/ui/channels.py ``search_history``): real discord.py paging
against the emulator's history endpoint, bounded by the time of the claim and by ``HISTORY_CAP``.

discord.py runs in this process, logged in over REST only (no gateway): the history is read exactly as the bot reads
it, through ``channel.history(after=..., oldest_first=True)`` and its pages of 100.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import discord
import discord.http
import pytest

from bot.scheduling.delivery import SkipDelivery
from bot.ui import channels
from bot.ui.channels import (
    HISTORY_CAP,
    HISTORY_MARGIN,
    carries_reference,
    footer_references,
    search_history,
    set_reference_footer,
)
from discord_emulator import Emulator, World
from discord_emulator.world import Channel

HISTORY_ROUTE = "GET /channels/{channel_id}/messages"
REFERENCE = "abcdefghij"


@dataclass
class Setup:
    emu: Emulator
    client: discord.Client
    channel: Channel

    @property
    def me(self) -> discord.ClientUser:
        assert self.client.user is not None
        return self.client.user

    @property
    def messageable(self) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(self.channel.id)

    async def post(self, reference: str) -> int:
        """A scheduled post of ours, with its reference in the embed footer as every feed writes it."""
        embed = set_reference_footer(discord.Embed(title="Check-in time"), "Monday 02 March", reference, self.me)
        return (await self.messageable.send(embed=embed)).id

    async def chatter(self, count: int) -> None:
        """Members talking in the channel."""
        alice = self.emu.world.users["alice"]
        for n in range(count):
            await self.emu.send_message(alice, self.channel, f"message {n}")

    def pages_read(self) -> int:
        return sum(1 for r in self.emu.requests if r.route == HISTORY_ROUTE)

    async def search(self, since: datetime) -> int | None:
        return await search_history(self.messageable, self.me, REFERENCE, since, f"#{self.channel.id}")


@pytest.fixture
async def setup(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Setup]:
    async with Emulator(World.default()) as emu:
        # Restored by monkeypatch: nothing else in this process is pointed at this emulator afterwards.
        monkeypatch.setattr(discord.http.Route, "BASE", emu.api_base)
        client = discord.Client(intents=discord.Intents.none())
        await client.login(emu.token)
        try:
            yield Setup(emu, client, emu.world.channel("general"))
        finally:
            await client.close()


async def test_the_post_is_found_behind_more_than_a_page_of_messages(setup: Setup) -> None:
    # The claim, then a busy channel: 180 messages (members, and another post of ours) before the post went out and
    # 60 after. The look-up that read 50 messages never reached it.
    claimed_at = datetime.now(UTC)
    await setup.chatter(120)
    await setup.post("otherrefer")
    await setup.chatter(59)
    posted = await setup.post(REFERENCE)
    await setup.chatter(60)
    before = setup.pages_read()
    assert await setup.search(claimed_at) == posted
    assert setup.pages_read() - before == 2  # 100 + the page holding message 181: no further


async def test_not_there_when_the_history_ends_without_it(setup: Setup) -> None:
    claimed_at = datetime.now(UTC)
    await setup.chatter(230)
    await setup.post("otherrefer")
    before = setup.pages_read()
    assert await setup.search(claimed_at) is None
    assert setup.pages_read() - before == 3  # all 231 messages since the claim: 100, 100, 31


async def test_the_search_starts_at_the_claim_less_a_margin(setup: Setup) -> None:
    # Bounded by time, not by a count: what was posted before the claim (less the margin for a host clock a little
    # ahead of Discord's) is not read at all.
    posted = await setup.post(REFERENCE)
    await setup.chatter(150)
    now = datetime.now(UTC)
    before = setup.pages_read()
    assert await setup.search(now + HISTORY_MARGIN + timedelta(seconds=30)) is None
    assert setup.pages_read() - before == 1  # one empty page
    assert await setup.search(now + HISTORY_MARGIN - timedelta(seconds=30)) == posted


async def test_past_the_cap_the_claim_cannot_be_checked(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cap is 1,000 messages; 150 here keeps the test small, the rule is the same.
    assert HISTORY_CAP == 1_000
    monkeypatch.setattr(channels, "HISTORY_CAP", 150)
    claimed_at = datetime.now(UTC)
    await setup.chatter(151)
    posted = await setup.post(REFERENCE)
    with pytest.raises(SkipDelivery, match="more than 150 messages in #"):
        await setup.search(claimed_at)
    # With the post within one past the cap (the cap's messages read, then one more to know the history went on),
    # it is found as usual.
    monkeypatch.setattr(channels, "HISTORY_CAP", 151)
    assert await setup.search(claimed_at) == posted


async def test_the_dm_history_is_paged_the_same_way(setup: Setup) -> None:
    # Streak nudges go by DM, and a member may have talked to the bot since (bot/adapters/studygroup_posts.py).
    alice = setup.emu.world.users["alice"]
    dm = await setup.client.create_dm(discord.Object(alice.id))
    claimed_at = datetime.now(UTC)
    for n in range(120):
        await dm.send(f"earlier DM {n}")
    embed = set_reference_footer(discord.Embed(title="Your streak"), "Turn these off", REFERENCE, setup.me)
    nudge = await dm.send(embed=embed)
    found = await search_history(dm, setup.me, REFERENCE, claimed_at, f"the DMs with user {alice.id}")
    assert found == nudge.id


# -- where the reference is kept ---------------------------------------------------------------------------------


async def test_the_reference_survives_discords_round_trip_where_members_do_not_read_it(setup: Setup) -> None:
    # What the bot sends and what discord.py reads back from the history (the emulator answers with the embed as
    # Discord does, the icon's proxy URL added): the footer's text is the member's, the reference is in the icon.
    claimed_at = datetime.now(UTC)
    posted = await setup.post(REFERENCE)
    sent = setup.emu.messages_in(setup.channel)[-1].embeds[0]
    assert sent["footer"]["text"] == "Monday 02 March"
    assert sent["footer"]["icon_url"] == f"{setup.me.display_avatar.with_size(64).url}#ref={REFERENCE}"
    [message] = [m async for m in setup.messageable.history(after=discord.Object(posted - 1))]
    footer = message.embeds[0].footer
    assert footer.text == "Monday 02 March" and REFERENCE not in footer.text
    assert footer.icon_url is not None and footer.icon_url.endswith(f"#ref={REFERENCE}")
    assert footer.proxy_icon_url is not None and REFERENCE not in footer.proxy_icon_url
    assert footer_references(message.embeds[0]) == {REFERENCE}
    assert await setup.search(claimed_at) == posted


async def test_posts_made_before_the_icon_held_the_reference_are_still_found(setup: Setup) -> None:
    # A claim left by the previous version of the bot, whose post shows `ref <reference>` at the end of its footer.
    claimed_at = datetime.now(UTC)
    await setup.post("otherrefer")
    embed = discord.Embed(title="Check-in time").set_footer(text=f"Monday 02 March · ref {REFERENCE}")
    older = await setup.messageable.send(embed=embed)
    assert await setup.search(claimed_at) == older.id


async def test_only_our_own_post_with_that_very_reference_counts(setup: Setup) -> None:
    # A member quoting the reference, or a post of ours for another delivery, is not the post looked for.
    claimed_at = datetime.now(UTC)
    await setup.emu.send_message(setup.emu.world.users["alice"], setup.channel, f"what is ref {REFERENCE}?")
    await setup.post(REFERENCE[:-1] + "x")
    assert await setup.search(claimed_at) is None
    messages = [m async for m in setup.messageable.history(limit=2)]
    assert len(messages) == 2 and not any(carries_reference(m, setup.me, REFERENCE) for m in messages)


def test_without_the_bots_user_the_reference_is_written_as_text_rather_than_lost() -> None:
    embed = set_reference_footer(discord.Embed(title="Weekly recap"), "Week 02 Mar–08 Mar", REFERENCE, None)
    assert embed.footer.text == f"Week 02 Mar–08 Mar · ref {REFERENCE}" and embed.footer.icon_url is None
    assert footer_references(embed) == {REFERENCE}
