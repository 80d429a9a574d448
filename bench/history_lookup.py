"""How long the look-up after a restart takes: reading a channel's history from a claim until the post is found.

Run: .venv/bin/python bench/history_lookup.py [--sizes 100,500,1000] [--repeat 5]

For each size N, a channel gets N members' messages after the claim and then the bot's post carrying the reference,
so the search (``bot.ui.channels.search_history``, the code the bot runs) reads all N + 1 messages, oldest first, in
pages of 100. discord.py runs in this process, logged in to the emulator over REST (no gateway), so every page is a
real HTTP request and a real parse. Prints, per N, the pages read and the median / max time of ``--repeat`` searches,
and what a search past ``HISTORY_CAP`` does (it gives the claim up). Against Discord each page is one round trip more
(and a turn of the bot's rate budget), which this figure does not include: add pages x the round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import discord
import discord.http

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.scheduling.delivery import SkipDelivery  # noqa: E402
from bot.ui.channels import HISTORY_CAP, search_history  # noqa: E402
from discord_emulator import Emulator, World  # noqa: E402

HISTORY_ROUTE = "GET /channels/{channel_id}/messages"


async def measure(size: int, repeat: int) -> tuple[int, list[float], str]:
    async with Emulator(World.default()) as emu:
        discord.http.Route.BASE = emu.api_base
        client = discord.Client(intents=discord.Intents.none())
        await client.login(emu.token)
        try:
            me = client.user
            assert me is not None
            general, alice = emu.world.channel("general"), emu.world.users["alice"]
            channel = client.get_partial_messageable(general.id)
            claimed_at = datetime.now(UTC)
            for n in range(size):
                await emu.send_message(alice, general, f"message {n}")
            reference = "benchrefer"
            embed = discord.Embed(title="Check-in time").set_footer(text=f"ref {reference}")
            posted = (await channel.send(embed=embed)).id
            timings: list[float] = []
            pages = 0
            outcome = ""
            for _ in range(repeat):
                before = sum(1 for r in emu.requests if r.route == HISTORY_ROUTE)
                began = time.perf_counter()
                try:
                    found = await search_history(channel, me, reference, claimed_at, "#general")
                    outcome = "found" if found == posted else f"not found ({found})"
                except SkipDelivery as skipped:
                    outcome = f"given up: {skipped.reason}"
                timings.append((time.perf_counter() - began) * 1000)
                pages = sum(1 for r in emu.requests if r.route == HISTORY_ROUTE) - before
            return pages, timings, outcome
        finally:
            await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=f"100,500,{HISTORY_CAP - 1},{HISTORY_CAP + 100}")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"HISTORY_CAP = {HISTORY_CAP:,} messages")
    for size in (int(s) for s in args.sizes.split(",")):
        pages, timings, outcome = await measure(size, args.repeat)
        print(
            f"{size:6,} messages before the post: {pages:3} pages, median {statistics.median(timings):7.1f} ms, "
            f"max {max(timings):7.1f} ms: {outcome}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
