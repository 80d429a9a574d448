"""When the bot lacks a permission in a server, the message a moderator sees names the permission and the channel:
a 403 while answering a command, a declared bot permission check, and the announcements' pause notice."""

from __future__ import annotations

import logging
from unittest.mock import AsyncMock, MagicMock

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.milestones.models import Notice, PauseReason
from bot.ui.channels import bold_list, lacking
from bot.ui.errors import describe_missing_permission, report_interaction_error
from bot.ui.milestones import PAUSE_HELP, notice_text

CHANNEL = 555555555555555555
EVERY_POSTING_PERMISSION = "**View Channel**, **Send Messages**, **Embed Links** and **Read Message History**"


def interaction(perms: discord.Permissions, *, channel: type[object] = discord.TextChannel) -> MagicMock:
    mock = MagicMock(spec=discord.Interaction)
    mock.id, mock.guild_id, mock.channel_id = 1, 2, CHANNEL
    mock.app_permissions = perms
    mock.channel = MagicMock(spec=channel)
    mock.user = MagicMock(spec=discord.Member, id=3)
    mock.response = MagicMock(spec=discord.InteractionResponse)
    mock.response.is_done.return_value = False
    mock.response.send_message = AsyncMock()
    return mock


def forbidden(code: int = 50013, text: str = "Missing Permissions") -> discord.Forbidden:
    response = MagicMock(spec=aiohttp.ClientResponse, status=403, reason="Forbidden")
    return discord.Forbidden(response, {"code": code, "message": text})


def invoke_error(cause: Exception) -> app_commands.CommandInvokeError:
    command = MagicMock(spec=app_commands.Command)
    command.name = "calendar"
    error = app_commands.CommandInvokeError(command, cause)
    error.__cause__ = cause
    return error


def test_lacking_names_what_discords_settings_show() -> None:
    perms = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=False)
    assert lacking(perms, in_thread=False) == ["Embed Links", "Read Message History"]
    assert lacking(perms, in_thread=True) == ["Send Messages in Threads", "Embed Links", "Read Message History"]
    assert lacking(perms, in_thread=False, files=True)[-1] == "Attach Files"
    assert bold_list(["A"]) == "**A**" and bold_list(["A", "B", "C"]) == "**A**, **B** and **C**"


def test_a_403_while_answering_names_the_missing_permissions_and_the_channel() -> None:
    perms = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)
    message = describe_missing_permission(interaction(perms), invoke_error(forbidden()))
    assert message == (
        f"I can't do that in <#{CHANNEL}>: my role needs **Embed Links** and **Attach Files** there. A server "
        "moderator can give them in the channel's settings (Permissions) or in Server Settings > Roles; then try again."
    )
    in_a_thread = interaction(discord.Permissions(view_channel=True), channel=discord.Thread)
    message = describe_missing_permission(in_a_thread, forbidden(50001, "Missing Access"))
    assert message is not None and "**Send Messages in Threads**" in message


def test_a_403_for_a_permission_outside_the_channel_set_still_names_the_channel() -> None:
    everything = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )
    message = describe_missing_permission(interaction(everything), forbidden())
    assert message == (
        "Discord refused this: I lack a permission it needs (Missing Permissions). A server moderator can check my "
        f"role's permissions in Server Settings > Roles and in the settings of <#{CHANNEL}>."
    )


def test_a_declared_bot_permission_check_names_the_permission_and_the_channel() -> None:
    error = app_commands.BotMissingPermissions(["embed_links", "manage_events"])
    message = describe_missing_permission(interaction(discord.Permissions.none()), error)
    assert message is not None
    assert f"in <#{CHANNEL}>: my role needs **Embed Links** and **Manage Events** there" in message


def test_other_errors_are_not_taken_for_a_permission() -> None:
    perms = discord.Permissions.none()
    assert (
        describe_missing_permission(interaction(perms), forbidden(50007, "Cannot send messages to this user")) is None
    )
    assert describe_missing_permission(interaction(perms), invoke_error(KeyError("x"))) is None


async def test_the_moderator_is_told_privately_and_the_log_has_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    answered = interaction(discord.Permissions(view_channel=True, send_messages=True, read_message_history=True))
    with caplog.at_level(logging.WARNING, logger="bot.ui.errors"):
        await report_interaction_error(answered, invoke_error(forbidden()), "/milestones calendar")
    told = answered.response.send_message.await_args
    assert told is not None and told.kwargs == {"ephemeral": True}
    assert told.args[0].startswith(f"I can't do that in <#{CHANNEL}>: my role needs **Embed Links**")
    assert "reference" not in told.args[0]
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert f"missing permission in channel {CHANNEL}" in record.getMessage()


def test_the_paused_announcements_name_every_permission_a_post_needs_and_the_channel() -> None:
    notice = Notice(guild_id=2, recipients=(3,), reason=PauseReason.NO_PERMISSION, channel_id=CHANNEL)
    text = notice_text(notice, "IMG Study Hall")
    assert f"I can no longer post in <#{CHANNEL}>" in text
    assert f"Give my role {EVERY_POSTING_PERMISSION} in <#{CHANNEL}>, then run `/announcements resume`." in text
    assert EVERY_POSTING_PERMISSION in PAUSE_HELP[PauseReason.NO_PERMISSION]
