"""Context-menu commands (right-click → Apps): what Discord puts in the interaction for a message command.

A message command (application command type 3) arrives as an APPLICATION_COMMAND interaction whose ``data`` names
the command, carries ``target_id`` (the message) and the message itself under ``resolved.messages``. The message is
sent whole, content included, whatever the app's intents: Discord lets an app read the message a member ran its
command on (the Message Content intent does not apply there).
"""

from __future__ import annotations

import logging

from discord_emulator.commands import MESSAGE_COMMAND, RegisteredCommand
from discord_emulator.models import JsonDict, Message
from discord_emulator.payloads import message_payload
from discord_emulator.world import World

log = logging.getLogger(__name__)


def message_command_data(world: World, command: RegisteredCommand, message: Message) -> JsonDict:
    """The interaction ``data`` of a message command run on ``message``."""
    if command.type != MESSAGE_COMMAND:
        raise ValueError(f"/{command.name} is not a message command (type {command.type})")
    target = str(message.id)
    payload = message_payload(world, message)
    if message.guild_id is not None:
        payload["guild_id"] = str(message.guild_id)
    data: JsonDict = {
        "id": str(command.id),
        "name": command.name,
        "type": MESSAGE_COMMAND,
        "target_id": target,
        "resolved": {"messages": {target: payload}},
    }
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    return data
