"""The shared permission helpers: Discord's labels, unknown names caught early, refusals shown as they are."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.ui.errors import describe_user_error
from bot.ui.permissions import PermissionRefused, ServerPermissionCheck, lacking, permission_names


def test_names_read_as_in_discords_settings() -> None:
    assert permission_names(["manage_guild", "manage_channels"]) == "Manage Server, Manage Channels"
    assert permission_names(["send_messages_in_threads"]) == "Send Messages In Threads"


def test_lacking_lists_only_what_is_wanted_and_missing() -> None:
    granted = discord.Permissions(manage_channels=True, send_messages=True)
    wanted = {"manage_channels": True, "manage_guild": True, "send_messages": True, "administrator": False}
    assert lacking(granted, wanted) == ["manage_guild"]
    assert lacking(discord.Permissions.all(), wanted) == []


def test_a_misspelt_permission_fails_when_the_command_is_defined() -> None:
    with pytest.raises(TypeError, match="manage_server"):
        ServerPermissionCheck({"manage_server": True})
    assert ServerPermissionCheck({"manage_guild": True}).permissions == discord.Permissions(manage_guild=True)


@app_commands.command(name="example", description="A command whose body raises")
async def command(interaction: discord.Interaction[discord.Client]) -> None:
    raise PermissionRefused("never called")


def test_a_refusal_reaches_the_member_word_for_word() -> None:
    refusal = PermissionRefused("This command needs the **Manage Channels** permission for the whole server.")
    # Raised by a check it reaches the error path as is; raised in a command's body, wrapped by discord.py.
    assert describe_user_error(refusal) == str(refusal)
    wrapped = app_commands.CommandInvokeError(command, refusal)
    wrapped.__cause__ = refusal  # discord.py raises it "from" the original
    assert describe_user_error(wrapped) == str(refusal)
    assert isinstance(refusal, app_commands.CheckFailure)
