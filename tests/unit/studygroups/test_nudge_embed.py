"""The streak-nudge DM's embed stays within Discord's limits however many servers the member studies in."""

from __future__ import annotations

import datetime as dt

from bot.studygroups.nudges import MemberNudge, StreakAtRisk
from bot.studygroups.streaks import streak_status
from bot.ui.studygroups import NUDGE_SERVERS_SHOWN, nudge_embed

TODAY = dt.date(2026, 11, 25)
DUE = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
# The longest name a server may have (100 characters), so each line is as long as it gets (60 after shortening).
LONG_NAME = "Night Owls Study Group for USMLE Step 1, Step 2 CK, OET and the Match, every evening " + "x" * 16


def nudge(servers: int) -> MemberNudge:
    # Streaks of 1 to `servers` days: check-ins on the days before today.
    at_risk = tuple(
        StreakAtRisk(
            guild_id=1_000 + n,
            streak=streak_status([TODAY - dt.timedelta(days=d) for d in range(1, n + 2)], TODAY),
            groups=(),
        )
        for n in range(servers)
    )
    return MemberNudge(402117894126911488, TODAY, DUE, at_risk)


def test_sixty_servers_show_the_first_ten_and_how_many_more() -> None:
    embed = nudge_embed(nudge(60), lambda guild_id: f"{LONG_NAME} {guild_id}", nonce="n" * 25, sender=None)
    description = embed.description or ""
    assert len(description) <= 4096 and len(embed) <= 6000
    server_lines = [line for line in description.splitlines() if line.startswith("🔥")]
    assert len(server_lines) == NUDGE_SERVERS_SHOWN == 10
    assert server_lines[0].startswith("🔥 **1 day** in ") and server_lines[1].startswith("🔥 **2 days** in ")
    assert "…and 50 more servers" in description.splitlines()
    assert description.endswith("type `/checkin`.")  # the how-to after the list is never cut off


def test_eleven_servers_say_one_more_server_and_ten_say_nothing_more() -> None:
    eleven = nudge_embed(nudge(11), str, nonce="n", sender=None).description or ""
    assert "…and 1 more server" in eleven.splitlines()
    ten = nudge_embed(nudge(10), str, nonce="n", sender=None).description or ""
    assert "more server" not in ten and ten.count("🔥") == 10
