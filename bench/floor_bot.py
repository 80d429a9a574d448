"""The floor for /ask: the least a discord.py bot can do to answer it, run by bench/e2e_latency.py as its own process.

One slash command, ``/ask question [private]``, answered with one embed looked up in a dict (question -> title and
text), read at start-up from the JSON file named by FLOOR_ANSWERS. Nothing else: no database, no search, no cooldown,
no log context, no error handler, no buttons. It connects with the same gateway options as the real bot (intents,
no member cache, no chunking), so the two differ only in what each does per interaction.

Run by the benchmark with the emulator's DISCORD_TOKEN, DISCORD_API_BASE and DISCORD_GATEWAY_URL in its environment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.discord_internals import use_endpoints  # noqa: E402

READY_LINE = "floor bot ready"
NOT_FOUND = {"title": "No curated answer yet", "description": "I don't have a reviewed answer for that yet."}


class FloorBot(discord.Client):
    def __init__(self, answers: dict[str, dict[str, str]]) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(
            intents=intents,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.tree = app_commands.CommandTree(self)
        self.answers = answers

        @self.tree.command(name="ask", description="Ask a question")
        @app_commands.describe(question="Your question", private="Show the answer only to you")
        async def ask(interaction: discord.Interaction[Any], question: str, private: bool = False) -> None:
            found = self.answers.get(question, NOT_FOUND)
            embed = discord.Embed(title=found["title"], description=found["description"])
            await interaction.response.send_message(embed=embed, ephemeral=private)

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_ready(self) -> None:
        print(f"{READY_LINE} in {len(self.guilds)} servers", flush=True)


async def run(answers: dict[str, dict[str, str]]) -> None:
    use_endpoints(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"])
    client = FloorBot(answers)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stopper.cancel()
            runner.result()
            return
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    answers = json.loads(Path(os.environ["FLOOR_ANSWERS"]).read_text(encoding="utf-8"))
    asyncio.run(run(answers))


if __name__ == "__main__":
    main()
