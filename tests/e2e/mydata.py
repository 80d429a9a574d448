"""/mydata delete's confirmation, pressed as a member would, for every e2e test that deletes a member's data."""

from __future__ import annotations

from discord_emulator import Emulator
from discord_emulator.interactions import Reply
from discord_emulator.models import Message
from discord_emulator.world import User


async def delete_everything(emu: Emulator, prompt: Reply | Message, user: User) -> Message:
    """Press **Delete everything** under /mydata delete's prompt and return the prompt as the bot leaves it: the
    press is acknowledged at once (deleting may take longer than Discord's 3 s), then the prompt is edited into
    what was deleted; this waits for that edit."""
    message = prompt.message if isinstance(prompt, Reply) else prompt
    assert message is not None, prompt
    before = message.edits
    pressed = await (await emu.click(message, label="Delete everything", user=user)).response()
    assert pressed.kind == "update" and pressed.deferred and pressed.message is message, pressed
    return await emu.wait_for_message(None, lambda m: m is message and m.edits > before, include_ephemeral=True)
