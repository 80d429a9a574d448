"""A small real discord.py bot that exercises every emulated surface; run as a subprocess by the emulator tests.

It is pointed at the emulator exactly as the project's bot is: Route.BASE and DEFAULT_GATEWAY are overridden from
DISCORD_API_BASE and DISCORD_GATEWAY_URL before the client exists; the token comes from DISCORD_TOKEN.
FIXTURE_GUILD_ID names the server that gets the guild-scoped command.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
import os
import signal
import sys
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

log = logging.getLogger("fixture_bot")

TOPICS = ["soap", "step1", "step2ck", "oet", "match", "electives", "statement"]


def point_at_emulator() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])


class FeedbackModal(discord.ui.Modal, title="What was missing?"):
    details: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Details", style=discord.TextStyle.paragraph, custom_id="details", max_length=500
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Noted: {self.details.value}", ephemeral=True)


class FeedbackView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=600)

    @discord.ui.button(label="Helpful", style=discord.ButtonStyle.success, custom_id="feedback:yes")
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await interaction.response.edit_message(content=f"Thanks, {interaction.user.name}!", view=None)

    @discord.ui.button(label="Not helpful", style=discord.ButtonStyle.secondary, custom_id="feedback:no")
    async def not_helpful(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @discord.ui.button(label="Later", style=discord.ButtonStyle.secondary, custom_id="feedback:later")
    async def later(self, interaction: discord.Interaction, button: discord.ui.Button[FeedbackView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Saved for later.", view=None)


class TopicView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=600)

    @discord.ui.select(
        custom_id="topic:pick",
        placeholder="Choose a topic",
        options=[discord.SelectOption(label=t.upper(), value=t) for t in TOPICS[:4]],
        min_values=1,
        max_values=2,
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[TopicView]) -> None:
        await interaction.response.send_message(f"You picked {', '.join(select.values)}", ephemeral=True)


class FixtureBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents)
        self.guild_id = guild_id

    async def setup_hook(self) -> None:
        self.tree.error(self.on_tree_error)
        guild = discord.Object(self.guild_id)
        self.tree.add_command(guild_ping, guild=guild)
        await self.tree.sync()
        await self.tree.sync(guild=guild)
        log.info("fixture bot synced commands")

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        text = f"error: {type(original).__name__} {getattr(original, 'code', '')}".strip()
        log.warning("command failed: %s", text)
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
        else:
            await interaction.followup.send(text, ephemeral=True)

    async def on_ready(self) -> None:
        log.info("fixture bot ready as %s in %d guilds", self.user, len(self.guilds))

    async def on_member_remove(self, member: discord.Member) -> None:
        channel = member.guild.system_channel
        if channel is not None:
            await channel.send(f"{member.name} left the server", allowed_mentions=discord.AllowedMentions.none())

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if guild.system_channel is not None:
            await guild.system_channel.send(f"Hello, {guild.name}!")


@app_commands.command(name="ask", description="Ask a study question")
@app_commands.describe(question="What you want to know")
async def ask(interaction: discord.Interaction, question: str) -> None:
    embed = discord.Embed(title="Answer", description=f"About {question!r}: read the guide.", color=0x3498DB)
    embed.set_footer(text="IMG Study Hall")
    await interaction.response.send_message(f"Answer to: {question}", embed=embed, view=FeedbackView())


@app_commands.command(name="echo", description="Repeat text")
@app_commands.describe(text="Text to repeat", times="How many times", shout="Upper-case it", who="Who to greet")
async def echo(
    interaction: discord.Interaction,
    text: str,
    times: app_commands.Range[int, 1, 5] = 1,
    shout: bool = False,
    who: discord.Member | None = None,
) -> None:
    out = " ".join([text.upper() if shout else text] * times)
    if who is not None:
        out += f" (for {who.display_name}, roles: {', '.join(r.name for r in who.roles[1:]) or 'none'})"
    await interaction.response.send_message(out, allowed_mentions=discord.AllowedMentions.none())


@app_commands.command(name="shout", description="Repeat text without any mention protection")
async def shout(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text)


@app_commands.command(name="topic", description="Look up a topic")
@app_commands.describe(name="Topic name")
async def topic(interaction: discord.Interaction, name: str) -> None:
    await interaction.response.send_message(f"Topic: {name}")


@topic.autocomplete("name")
async def topic_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t.upper(), value=t) for t in TOPICS if t.startswith(current.lower())][:25]


@app_commands.command(name="pick", description="Pick topics from a menu")
async def pick(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Pick up to two topics", view=TopicView())


@app_commands.command(name="feedback", description="Tell us what was missing")
async def feedback(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(FeedbackModal())


@app_commands.command(name="slow", description="A slow answer")
async def slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await asyncio.sleep(0.1)
    await interaction.edit_original_response(content="Working on it: done.")
    await interaction.followup.send("Here is the detailed followup.")


@app_commands.command(name="sleepy", description="Answers late, without deferring")
async def sleepy(interaction: discord.Interaction) -> None:
    await asyncio.sleep(0.3)
    await interaction.response.send_message("Sorry, I dozed off.")


@app_commands.command(name="secret", description="An answer only you see")
async def secret(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Only you can see this.", ephemeral=True)


@app_commands.command(name="announce", description="Post the same announcement twice with one nonce")
async def announce(interaction: discord.Interaction, text: str) -> None:
    # Defer first: the sends below may be retried (429, 5xx) for longer than the 3 s Discord allows.
    await interaction.response.defer(ephemeral=True)
    assert isinstance(interaction.channel, discord.abc.Messageable)
    nonce = f"a{interaction.id}"
    first = await interaction.channel.send(text, nonce=nonce)
    # A retry after a lost response: same nonce, so Discord must not post it twice.
    second = await interaction.channel.send(text, nonce=nonce)
    await interaction.followup.send(f"posted {first.id} {second.id}")


@app_commands.command(name="notes", description="Send study notes as a file")
async def notes(interaction: discord.Interaction) -> None:
    data = b"SOAP: Subjective, Objective, Assessment, Plan\n"
    await interaction.response.send_message(
        "Notes attached.", file=discord.File(io.BytesIO(data), filename="soap-notes.txt")
    )
    assert isinstance(interaction.channel, discord.abc.Messageable)
    await interaction.channel.send(
        file=discord.File(io.BytesIO(b"\x89PNG fake"), filename="chart.png", description="A chart")
    )


@app_commands.command(name="dm", description="Get a DM from the bot")
async def dm(interaction: discord.Interaction) -> None:
    try:
        await interaction.user.send("Hello from the study bot!")
    except discord.Forbidden as exc:
        await interaction.response.send_message(f"Cannot DM you ({exc.code}).", ephemeral=True)
        return
    await interaction.response.send_message("Check your DMs.", ephemeral=True)


@app_commands.command(name="long", description="Send something too long")
@app_commands.choices(
    kind=[app_commands.Choice(name="content", value="content"), app_commands.Choice(name="embeds", value="embeds")]
)
async def long(interaction: discord.Interaction, kind: app_commands.Choice[str]) -> None:
    try:
        if kind.value == "content":
            await interaction.response.send_message("x" * 2001)
        else:
            # 1 + 3000 + 3000 characters: each embed is fine on its own, together they are one over 6000.
            embeds = [discord.Embed(title="t", description="d" * 3000), discord.Embed(description="d" * 3000)]
            await interaction.response.send_message(embeds=embeds)
    except discord.HTTPException as exc:
        await interaction.response.send_message(f"rejected {exc.status} {exc.code}", ephemeral=True)


@app_commands.command(name="post", description="Post into a channel")
async def post(interaction: discord.Interaction, channel_id: str, text: str) -> None:
    target = interaction.client.get_partial_messageable(int(channel_id))
    try:
        await target.send(text)
    except discord.HTTPException as exc:
        await interaction.response.send_message(f"failed {exc.status} {exc.code}", ephemeral=True)
        return
    await interaction.response.send_message("posted", ephemeral=True)


@app_commands.command(name="postin", description="Post into a channel or thread picked as an option")
async def post_in(interaction: discord.Interaction, channel: discord.TextChannel | discord.Thread, text: str) -> None:
    # discord.py parses `resolved` (AppCommandThread needs the whole thread), then swaps in the cached object.
    kind = "thread" if isinstance(channel, discord.Thread | app_commands.AppCommandThread) else "channel"
    parent = getattr(channel, "parent_id", None)
    assert interaction.guild is not None
    target = interaction.guild.get_channel_or_thread(channel.id)
    if not isinstance(target, discord.TextChannel | discord.Thread):
        await interaction.response.send_message(f"{kind} {channel.id} is not in the cache", ephemeral=True)
        return
    sent = await target.send(text)
    await interaction.response.send_message(
        f"{kind} {channel.name} (parent {parent}, owner {getattr(channel, 'owner_id', None)}): posted {sent.id}",
        ephemeral=True,
    )


@app_commands.command(name="schedule", description="Create, list and delete a study session event")
async def schedule(interaction: discord.Interaction, name: str) -> None:
    guild = interaction.guild
    assert guild is not None
    start = discord.utils.utcnow() + datetime.timedelta(days=2)
    event = await guild.create_scheduled_event(
        name=name,
        start_time=start,
        end_time=start + datetime.timedelta(hours=1),
        entity_type=discord.EntityType.external,
        privacy_level=discord.PrivacyLevel.guild_only,
        location="Zoom",
    )
    events = await guild.fetch_scheduled_events()
    await event.delete()
    after = await guild.fetch_scheduled_events()
    await interaction.response.send_message(f"created {event.name}; {len(events)} then {len(after)}")


@app_commands.command(name="whoami", description="What the server says about you")
async def whoami(interaction: discord.Interaction) -> None:
    assert interaction.guild is not None
    member = await interaction.guild.fetch_member(interaction.user.id)
    channel = await interaction.client.fetch_channel(interaction.channel_id or 0)
    roles = await interaction.guild.fetch_roles()
    fetched = await interaction.client.fetch_guild(interaction.guild.id)
    await interaction.response.send_message(
        f"{member.name} in {fetched.name}; channel {getattr(channel, 'name', '?')}; {len(roles)} roles", ephemeral=True
    )


study = app_commands.Group(name="study", description="Study groups")
group = app_commands.Group(name="group", description="Manage study groups", parent=study)


@group.command(name="create", description="Create a study group")
async def group_create(interaction: discord.Interaction, name: str, size: int = 4) -> None:
    await interaction.response.send_message(f"Created group {name} for {size}")


@group.command(name="list", description="List study groups")
async def group_list(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("No groups yet")


@app_commands.command(name="guildping", description="A server-only command")
async def guild_ping(interaction: discord.Interaction) -> None:
    await interaction.response.send_message(f"pong from {interaction.guild.name if interaction.guild else 'DM'}")


@app_commands.command(name="admin-only", description="Only for moderators")
@app_commands.default_permissions(manage_guild=True)
async def admin_only(interaction: discord.Interaction) -> None:
    perms = interaction.permissions
    if not perms.manage_guild:
        await interaction.response.send_message("You need Manage Server.", ephemeral=True)
        return
    await interaction.response.send_message("Welcome, moderator.", ephemeral=True)


@app_commands.command(name="badsync", description="Try to register a command Discord rejects")
async def badsync(interaction: discord.Interaction) -> None:
    client = interaction.client
    assert client.application_id is not None and interaction.guild_id is not None
    payload = [{"name": "Bad Name", "description": "spaces and capitals", "type": 1}]
    try:
        await client.http.bulk_upsert_guild_commands(client.application_id, interaction.guild_id, payload)
    except discord.HTTPException as exc:
        await interaction.response.send_message(f"rejected {exc.status} {exc.code}", ephemeral=True)
        return
    await interaction.response.send_message("accepted", ephemeral=True)


ALL_COMMANDS: tuple[app_commands.Command[Any, ..., Any] | app_commands.Group, ...] = (
    ask, echo, shout, topic, pick, feedback, slow, sleepy, secret, announce, notes, dm, long, post, post_in, schedule,
    whoami, study, admin_only, badsync,
)  # fmt: skip


async def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    point_at_emulator()
    bot = FixtureBot(int(os.environ["FIXTURE_GUILD_ID"]))
    for cmd in ALL_COMMANDS:
        bot.tree.add_command(cmd)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(os.environ["DISCORD_TOKEN"]))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        log.info("fixture bot shutting down")
    stopper.cancel()


if __name__ == "__main__":
    asyncio.run(main())
