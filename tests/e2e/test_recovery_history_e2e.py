"""After a crash, the real bot process looks for its post in the channel's history before sending it again, always:
even restarted at once (within the emulator's memory of the nonce, so the nonce alone would have hidden a mistake)
and in a busy channel (more than a page of members' messages between the claim and the post).

The kill between sending and recording is the test hook ``IMGBOT_TEST_CRASH_AFTER_SEND`` (bot/scheduling/delivery.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scheduling import CRASH_AFTER_SEND_ENV, delivery_reference
from discord_emulator import Emulator, World
from tests.e2e.conftest import running_bot
from tests.e2e.test_studygroups_schedule_e2e import ahead, count, create_group, prompt_of, query

pytestmark = pytest.mark.asyncio(loop_scope="module")

HISTORY_ROUTE = "GET /channels/{channel_id}/messages"
CHATTER = 150
"""Members' messages posted just before the prompt's time: inside the look-up's margin before the claim
(``HISTORY_MARGIN``, a minute), so the search from the claim reads them before it reaches the prompt."""


async def test_killed_after_posting_in_a_busy_channel_the_prompt_is_found_and_not_sent_again(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        study_room, alice = emu.world.channel("study-room"), emu.world.users["alice"]
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            for n in range(CHATTER):
                await emu.send_message(alice, study_room, f"anyone up for a Step 1 block? ({n})")
            wall, _ = ahead(4)
            await create_group(emu, "Busy crew", study_room, checkin_time=wall)
            assert await crashing.wait_exit(timeout=15) == 9
        first = await emu.wait_for_message(study_room, prompt_of("Busy crew"), timeout=1)
        assert query(database, "SELECT status, message_id FROM deliveries") == [("claimed", None)]
        for n in range(60):
            await emu.send_message(alice, study_room, f"checked in ({n})")

        # Back at once: the emulator (like Discord) still remembers the nonce, but the claim is an earlier process's,
        # so the bot reads the channel from the claim, page by page, finds the prompt by the reference in its footer
        # icon, and records it.
        reads_before = sum(1 for r in emu.requests if r.route == HISTORY_ROUTE)
        async with running_bot(emu, database, name="recovered") as bot:
            await bot.wait_for_output(r"was posted before a crash \(message \d+\); recorded it", timeout=15)
            await bot.wait_for_output(r"study-group deliveries start-up: 1 posted \(0 late, 1 recovered\)", timeout=5)
        assert count(emu, study_room, prompt_of("Busy crew")) == 1
        assert emu.stats.other["nonce_deduplicated"] == 0  # not sent again at all
        assert sum(1 for r in emu.requests if r.route == HISTORY_ROUTE) - reads_before >= 2  # more than one page
        assert query(database, "SELECT status, message_id FROM deliveries") == [("sent", first.id)]
        emu.assert_clean()


async def test_a_post_made_by_the_previous_version_with_ref_in_its_footer_text_is_found(tmp_path: Path) -> None:
    # Upgraded while a claim was open: the prompt in the channel was posted by the version that wrote `ref <reference>`
    # at the end of the footer's text (no icon). The new version still recognises it and does not post again.
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        study_room = emu.world.channel("study-room")
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            wall, _ = ahead(4)
            await create_group(emu, "Old hands", study_room, checkin_time=wall)
            assert await crashing.wait_exit(timeout=15) == 9
        first = await emu.wait_for_message(study_room, prompt_of("Old hands"), timeout=1)
        [(nonce,)] = query(database, "SELECT nonce FROM deliveries")
        footer = first.embeds[0]["footer"]
        assert footer["icon_url"].endswith(f"#ref={delivery_reference(nonce)}") and "ref" not in footer["text"]
        first.embeds[0]["footer"] = {"text": f"{footer['text']} · ref {delivery_reference(nonce)}"}

        async with running_bot(emu, database, name="upgraded") as bot:
            await bot.wait_for_output(r"was posted before a crash \(message \d+\); recorded it", timeout=15)
        assert count(emu, study_room, prompt_of("Old hands")) == 1
        assert query(database, "SELECT status, message_id FROM deliveries") == [("sent", first.id)]
        emu.assert_clean()
