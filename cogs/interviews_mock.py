"""`/interview mock`: mock interview sessions in a study group's channel (the command itself is in
``cogs/interviews.py``, in the /interview group; this module is its glue).

The session's message is public and pings nobody; everything personal (the questions to ask, who interviews whom
for me, the feedback) comes in private replies to its buttons. The buttons are DynamicItems whose custom_id carries
the action and the session id, so a message posted before a restart keeps working after it; the service checks
every click against the database (the phase, who is at which table). The timers (``bot.interviews.mock_timers``) post
a new message for each phase through ``DiscordMockPoster``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import TYPE_CHECKING, Any

import discord

from bot.interviews.mock import ROUNDS, Phase
from bot.interviews.mock_service import FeedbackTarget, MockInterviewService, SessionView
from bot.interviews.mock_timers import MockTimers
from bot.interviews.options import MAX_FEEDBACK_CHARS, MockFeedback, MockOptions, parse
from bot.ui import mock_interviews as screens
from bot.ui.channels import Postable, missing_permissions
from bot.ui.delivery_errors import delivery_errors
from bot.ui.errors import BaseModal, guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.permissions import has_server_permissions
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

FORM_TIMEOUT = 30 * 60
"""How long an opened feedback form waits (a form does not survive a restart; the button that opens it does)."""
NO_PINGS = discord.AllowedMentions.none()
LABELS = {
    "join": "Join",
    "leave": "Leave",
    "start": "Start",
    "end": "End session",
    "q": "My questions",
    "fb1": "Give feedback · round 1",
    "fb2": "Give feedback · round 2",
    "mine": "My feedback",
}
STYLES = {
    "join": discord.ButtonStyle.success,
    "start": discord.ButtonStyle.primary,
    "end": discord.ButtonStyle.danger,
    "q": discord.ButtonStyle.primary,
    "fb1": discord.ButtonStyle.success,
    "fb2": discord.ButtonStyle.success,
}


def _parts(interaction: Interaction) -> tuple[MockInterviewService, MockTimers]:
    # The cog is found by name: ``cogs/interviews.py`` imports this module, not the other way round.
    cog = interaction.client.get_cog("Interviews")
    service, timers = getattr(cog, "mock", None), getattr(cog, "mock_timers", None)
    if not isinstance(service, MockInterviewService) or not isinstance(timers, MockTimers):
        raise UserInputError("Mock interviews are not available right now. Please try again in a minute.")
    return service, timers


class SessionLocks:
    """A lock per session, while someone holds it (the cog keeps one of these)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, session_id: int) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock


def session_lock(interaction: Interaction, session_id: int) -> asyncio.Lock:
    locks = getattr(interaction.client.get_cog("Interviews"), "mock_locks", None)
    if not isinstance(locks, SessionLocks):
        raise UserInputError("Mock interviews are not available right now. Please try again in a minute.")
    return locks(session_id)


def is_moderator(interaction: Interaction) -> bool:
    """Moderators of study groups (Manage Channels, as for /studygroup-admin) may run any session."""
    return has_server_permissions(interaction, manage_channels=True)


# -- the session's message -------------------------------------------------------------------------------------------


class MockButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ivm:(?P<action>join|leave|start|end|q|fb1|fb2|mine):(?P<id>[0-9]{1,18})",
):
    """Every button of a session's message: the action and the session travel in the custom_id."""

    def __init__(self, action: str, session_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=f"ivm:{action}:{session_id}",
                label=LABELS[action],
                style=STYLES.get(action, discord.ButtonStyle.secondary),
            )
        )
        self.action, self.session_id = action, session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> MockButton:
        return cls(match["action"], int(match["id"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service, timers = _parts(interaction)
        user_id = interaction.user.id
        if self.action in {"join", "leave", "start", "end"}:
            # One change of the public message at a time: two members joining at once must not have the slower
            # answer redraw the list without the other.
            async with session_lock(interaction, self.session_id):
                await self._change(interaction, service, timers)
        elif self.action == "q":
            assignment = await service.assignment(self.session_id, user_id)
            await interaction.response.send_message(embed=screens.assignment_embed(assignment), ephemeral=True)
        elif self.action == "mine":
            received = await service.feedback_received(self.session_id, user_id)
            await interaction.response.send_message(embed=screens.feedback_embed(received), ephemeral=True)
        else:
            round_ = 1 if self.action == "fb1" else 2
            target = await service.feedback_target(self.session_id, round_, user_id)
            await interaction.response.send_modal(MockFeedbackModal(target, user_id=user_id))

    async def _change(self, interaction: Interaction, service: MockInterviewService, timers: MockTimers) -> None:
        user_id = interaction.user.id
        if self.action == "join":
            view, joined = await service.join(self.session_id, user_id)
            if not joined:
                raise UserInputError("You are in already. The session starts when its starter presses **Start**.")
            await redraw(interaction, view)
        elif self.action == "leave":
            await redraw(interaction, await service.leave(self.session_id, user_id))
        elif self.action == "start":
            view = await service.begin(self.session_id, user_id, moderator=is_moderator(interaction))
            timers.arm(self.session_id, view.state)
            await redraw(interaction, view)
        else:
            view = await service.end(self.session_id, user_id, moderator=is_moderator(interaction))
            timers.stopped(self.session_id)
            await redraw(interaction, view, ended_by=user_id)


def session_view(view: SessionView) -> discord.ui.View | None:
    """The buttons of the session's phase (none once nothing is left to do)."""
    state, session_id = view.state, view.session.id
    actions: list[str]
    if state.phase is Phase.LOBBY:
        actions = ["join", "leave", "start", "end"]
    else:
        feedback = [f"fb{r}" for r in range(1, ROUNDS + 1) if state.round_started(r)]
        actions = (["q"] if state.phase in {Phase.ROUND, Phase.BREAK} else []) + feedback
        actions += ["mine"] if state.started else []
        actions += ["end"] if state.phase.running else []
    if not actions:
        return None
    buttons = discord.ui.View(timeout=None)
    for action in actions:
        buttons.add_item(MockButton(action, session_id))
    return buttons


def new_message(view: SessionView) -> dict[str, Any]:
    """A new session message: its embed, and its buttons when there are any (``send`` takes no empty view)."""
    buttons = session_view(view)
    message: dict[str, Any] = {"embed": screens.session_embed(view), "allowed_mentions": NO_PINGS}
    if buttons is not None:
        message["view"] = buttons
    return message


async def redraw(interaction: Interaction, view: SessionView, *, ended_by: int | None = None) -> None:
    """Show the session's new state on the message whose button was pressed, and remember it is shown there."""
    await interaction.response.edit_message(
        embed=screens.session_embed(view, ended_by=ended_by), view=session_view(view), allowed_mentions=NO_PINGS
    )
    if interaction.message is not None:
        service, _ = _parts(interaction)
        await service.set_message(view.session.id, interaction.message.id, view.state.key)


# -- the feedback form -----------------------------------------------------------------------------------------------


class MockFeedbackModal(BaseModal):
    """Clarity, structure and content from 1 to 5, one strength, one suggestion: for the candidate's eyes only."""

    def __init__(self, target: FeedbackTarget, *, user_id: int) -> None:
        super().__init__(
            title=f"Feedback · round {target.round}",
            form=f"ivm:fbform:{target.session_id}:{target.round}",
            user_id=user_id,
            timeout=FORM_TIMEOUT,
        )
        self.session_id, self.round = target.session_id, target.round
        previous = target.previous

        def score(custom_id: str, label: str, value: int | None) -> discord.ui.TextInput[MockFeedbackModal]:
            return discord.ui.TextInput(
                label=label,
                custom_id=custom_id,
                placeholder="1, 2, 3, 4 or 5",
                default=None if value is None else str(value),
                min_length=1,
                max_length=3,
            )

        self.clarity = score(
            "clarity", "Clarity: 1 (needs work) to 5 (excellent)", previous.clarity if previous else None
        )
        self.structure = score(
            "structure", "Structure: 1 to 5 (a clear shape, STAR)", previous.structure if previous else None
        )
        self.content = score(
            "content", "Content: 1 to 5 (real examples, substance)", previous.content if previous else None
        )
        self.strength: discord.ui.TextInput[MockFeedbackModal] = discord.ui.TextInput(
            label="One strength",
            custom_id="strength",
            style=discord.TextStyle.paragraph,
            placeholder="What worked well, e.g. a vivid ICU example with a clear result.",
            default=previous.strength if previous else None,
            max_length=MAX_FEEDBACK_CHARS,
        )
        self.suggestion: discord.ui.TextInput[MockFeedbackModal] = discord.ui.TextInput(
            label="One suggestion",
            custom_id="suggestion",
            style=discord.TextStyle.paragraph,
            placeholder="One thing to change next time, e.g. answer the gap question in two sentences.",
            default=previous.suggestion if previous else None,
            max_length=MAX_FEEDBACK_CHARS,
        )
        for field in (self.clarity, self.structure, self.content, self.strength, self.suggestion):
            self.add_item(field)

    async def on_submit(self, interaction: HookInteraction) -> None:
        form = parse(
            MockFeedback,
            clarity=self.clarity.value,
            structure=self.structure.value,
            content=self.content.value,
            strength=self.strength.value,
            suggestion=self.suggestion.value,
        )
        service, _ = _parts(interaction)
        saved = await service.give_feedback(self.session_id, self.round, interaction.user.id, form)
        await interaction.response.send_message(screens.feedback_saved_text(saved), ephemeral=True)


# -- /interview mock -------------------------------------------------------------------------------------------------


def require_postable(interaction: Interaction, channel_id: int) -> None:
    """Refuse a group channel the bot cannot post the session in, before the session is opened."""
    guild = interaction.guild
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if guild is None or not isinstance(channel, Postable):
        raise UserInputError(
            f"I can't find the study group's channel (<#{channel_id}>). A moderator can move the group to another "
            "channel with `/studygroup-admin edit`."
        )
    missing = missing_permissions(channel, guild.me)
    if missing:
        raise UserInputError(
            f"I can't post the session in <#{channel_id}>: I need **{', '.join(missing)}** there. A moderator can "
            "give my role these permissions in the channel's settings."
        )


async def open_mock(interaction: Interaction, options: MockOptions) -> None:
    """Open a session in the group's channel: the public message with Join and Start, then a private word to the
    member who opened it."""
    if interaction.guild_id is None:
        raise UserInputError("Mock interviews run in a server's study group: use `/interview mock` in the server.")
    service, timers = _parts(interaction)
    view = await service.open_session(
        interaction.guild_id,
        interaction.channel_id or 0,
        interaction.user.id,
        moderator=is_moderator(interaction),
        options=options,
        channel_check=lambda channel_id: require_postable(interaction, channel_id),
    )
    session = view.session
    # Posting in the group's channel may wait on a rate limit longer than Discord waits for an answer.
    await interaction.response.defer(ephemeral=True, thinking=True)
    channel = interaction.client.get_partial_messageable(session.channel_id, guild_id=session.guild_id)
    try:
        message = await channel.send(**new_message(view))
    except discord.HTTPException:
        await service.abandon(session.id)
        raise
    await service.set_message(session.id, message.id, view.state.key)
    timers.arm(session.id, view.state)
    await interaction.followup.send(screens.opened_text(view, message.jump_url), ephemeral=True)


# -- what the timers post --------------------------------------------------------------------------------------------


class DiscordMockPoster:
    """The timers' side of Discord (``bot.interviews.mock_timers.MockPoster``)."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    async def _channel(self, view: SessionView) -> discord.PartialMessageable:
        await self.bot.wait_until_ready()
        return self.bot.get_partial_messageable(view.session.channel_id, guild_id=view.session.guild_id)

    async def post(self, view: SessionView, previous_message_id: int | None) -> int:
        channel = await self._channel(view)
        session, state = view.session, view.state
        with delivery_errors(f"mock interview session {session.id}'s {state.key} message"):
            message = await channel.send(
                **new_message(view),
                # Tried again after a 5xx or a timeout: if Discord had made the message, the nonce returns it.
                nonce=f"ivm{session.id}{state.phase.value[:2]}{state.round}",
            )
        if previous_message_id is not None and previous_message_id != message.id:
            # The buttons live on the newest message; the older one keeps its text. Its buttons would still work
            # (they carry the session), so a failure here only leaves them showing.
            try:
                await channel.get_partial_message(previous_message_id).edit(view=None)
            except discord.HTTPException:
                log.info("could not take the buttons off mock session %d's message %d", session.id, previous_message_id)
        return message.id

    async def edit(self, view: SessionView) -> None:
        channel = await self._channel(view)
        assert view.session.message_id is not None
        with delivery_errors(f"mock interview session {view.session.id}'s message"):
            await channel.get_partial_message(view.session.message_id).edit(
                embed=screens.session_embed(view), view=session_view(view)
            )
