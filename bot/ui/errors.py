"""The one error path for commands, views and modals.

Users get a short, kind, ephemeral message; a real fault also gets a reference id that appears next to the
traceback in the log, so a moderator's report can be matched to it.

Its functions take ``discord.Interaction[Any]``: they need nothing of the bot's, and ``bot.app`` imports this module,
so it may not name ``ImgBot`` (``bot/ui/interaction.py`` does).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.observability.logs import new_reference
from bot.text import defuse_pings, quote_user_text
from bot.ui.channels import bold_list, lacking
from bot.ui.plural import plural
from bot.validation import ChannelRef, Refusal, RefusalField, UserInputError

log = logging.getLogger(__name__)


def _permission_names(missing: list[str]) -> str:
    return ", ".join(name.replace("_", " ").replace("guild", "server").title() for name in missing)


SHOWN_NAME_LIMIT = 60


def shown_name(name: str) -> str:
    """A name someone typed or chose (a study group's, a member's) inside a message: quoted safely, in bold."""
    return f"**{quote_user_text(name, SHOWN_NAME_LIMIT)}**"


def _shown_field(value: RefusalField) -> str:
    if isinstance(value, ChannelRef):
        return f"<#{value.id}>"
    if isinstance(value, tuple):
        return ", ".join(shown_name(name) for name in value)
    return shown_name(value)


def user_message(error: UserInputError) -> str:
    """What the member is told about a mistake they can fix: a ``Refusal``'s names and channels formatted for
    Discord, any other message as it is."""
    if isinstance(error, Refusal):
        return error.template.format_map({key: _shown_field(value) for key, value in error.fields.items()})
    return str(error)


def describe_user_error(error: BaseException) -> str | None:
    """The message for an error the user can fix, or None when it is a fault of ours."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError) and error.__cause__:
        error = error.__cause__
    if isinstance(error, UserInputError):
        # Services quote what was typed ("`<@123>` is not a time zone"); no message of ours ever means to ping.
        return defuse_pings(user_message(error))
    if isinstance(error, app_commands.MissingPermissions):
        return (
            f"This command needs the **{_permission_names(error.missing_permissions)}** permission. "
            "Ask a server moderator to run it."
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works inside a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {plural(max(1, round(error.retry_after)), 'second')}."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


MISSING_ACCESS, MISSING_PERMISSIONS = 50001, 50013
"""Discord's codes of a 403 the server's moderators fix: the bot's role lacks a permission (or the channel's)."""


def _cause(error: BaseException) -> BaseException:
    return error.__cause__ if isinstance(error, app_commands.CommandInvokeError) and error.__cause__ else error


def describe_missing_permission(interaction: discord.Interaction[Any], error: BaseException) -> str | None:
    """For a permission the bot lacks while answering (a check declared with bot_has_permissions, or Discord's 403):
    the permission and the channel, for the moderator who can grant it; None for any other error."""
    cause = _cause(error)
    where = f"<#{interaction.channel_id}>" if interaction.channel_id else "this channel"
    if isinstance(cause, app_commands.BotMissingPermissions):
        missing = [_permission_names([name]) for name in cause.missing_permissions]
    elif isinstance(cause, discord.Forbidden) and cause.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        # Discord does not say which permission; the bot's permissions in this channel came with the interaction.
        in_thread = isinstance(interaction.channel, discord.Thread)
        missing = lacking(interaction.app_permissions, in_thread=in_thread, files=True)
    else:
        return None
    if not missing:
        said = cause.text if isinstance(cause, discord.Forbidden) and cause.text else "Missing Permissions"
        return (
            f"Discord refused this: I lack a permission it needs ({said}). A server moderator can check my role's "
            f"permissions in Server Settings > Roles and in the settings of {where}."
        )
    return (
        f"I can't do that in {where}: my role needs {bold_list(missing)} there. A server moderator can give "
        f"{'it' if len(missing) == 1 else 'them'} in the channel's settings (Permissions) or in Server Settings > "
        "Roles; then try again."
    )


async def send_ephemeral(interaction: discord.Interaction[Any], content: str) -> None:
    """Answer the interaction privately whether or not it was already answered or deferred."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException:
        # The interaction may have expired; nothing more can be said to the user, the log has the cause.
        log.warning("could not deliver an error message for interaction %s", interaction.id)


ALREADY_ACKNOWLEDGED = 40060


def _already_acknowledged(error: BaseException) -> bool:
    cause = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) and error.__cause__ else error
    return isinstance(cause, discord.HTTPException) and cause.code == ALREADY_ACKNOWLEDGED


async def report_interaction_error(interaction: discord.Interaction[Any], error: BaseException, where: str) -> None:
    if _already_acknowledged(error):
        # Discord took our answer but its reply was lost (a 5xx), and discord.py's retry was told it was already
        # acknowledged: the member has their answer, and any further message would be a second one.
        log.warning(
            "%s: the answer to interaction %s arrived, but Discord's reply to it was lost", where, interaction.id
        )
        return
    message = describe_user_error(error)
    if message is not None:
        await send_ephemeral(interaction, message)
        return
    message = describe_missing_permission(interaction, error)
    if message is not None:
        # A server's set-up, not a fault of ours: one line, no traceback, and the moderators are told what to grant.
        log.warning(
            "%s: missing permission in channel %s (guild %s): %s",
            where,
            interaction.channel_id,
            interaction.guild_id,
            _cause(error),
        )
        await send_ephemeral(interaction, message)
        return
    reference = new_reference()
    original = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) and error.__cause__ else error
    log.error(
        "error %s in %s (interaction %s, user %s, guild %s)",
        reference,
        where,
        interaction.id,
        interaction.user.id if interaction.user else None,
        interaction.guild_id,
        exc_info=(type(original), original, original.__traceback__),
        # The log line's ref= field (and the status' last errors) show the same reference as the user's message.
        extra={"reference": reference},
    )
    await send_ephemeral(
        interaction,
        f"Sorry, something went wrong on my side. It has been logged with reference `{reference}`; "
        "please try again in a moment.",
    )


ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])


def guarded(
    callback: Callable[[ItemT, discord.Interaction[Any]], Coroutine[Any, Any, None]],
) -> Callable[[ItemT, discord.Interaction[Any]], Coroutine[Any, Any, None]]:
    """Route a DynamicItem callback's errors to the shared error path.

    discord.py only logs exceptions raised in dynamic-item callbacks (no on_error is called), so without this a
    user mistake would show as Discord's bare "This interaction failed".
    """

    @functools.wraps(callback)
    async def wrapper(self: ItemT, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as error:
            await report_interaction_error(interaction, error, f"component {type(self).__name__}")

    return wrapper


class BaseView(discord.ui.View):
    """A view whose errors take the common path."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_interaction_error(interaction, error, f"view {type(self).__name__}")


CUSTOM_ID_LIMIT = 100
"""Discord refuses a component or modal whose custom_id is longer than this."""


def member_form_id(form: str, user_id: int) -> str:
    """The custom_id of a form (modal) opened for one member: ``form`` names the form and what it is about
    (``sg:modal:12``), the member's id follows it.

    discord.py keeps open modals by custom_id alone and forgets one when it is submitted, so two members with the
    same form open at once must get different ids, or the first submit drops the second member's form and their
    answer ends in "This interaction failed". One member opening the same form twice keeps the newest, as Discord
    shows only one form at a time anyway.
    """
    custom_id = f"{form}:{user_id}"
    if len(custom_id) > CUSTOM_ID_LIMIT:
        raise ValueError(f"form custom_id {custom_id!r} is longer than Discord's {CUSTOM_ID_LIMIT} characters")
    return custom_id


class BaseModal(discord.ui.Modal):
    """A modal whose errors take the common path, opened for one member (its custom_id is ``member_form_id``)."""

    def __init__(self, *, title: str, form: str, user_id: int, timeout: float | None = None) -> None:
        super().__init__(title=title, custom_id=member_form_id(form, user_id), timeout=timeout)

    # discord.py's Modal narrows BaseView.on_error (no item argument), which mypy reports on every subclass.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await report_interaction_error(interaction, error, f"modal {type(self).__name__}")
