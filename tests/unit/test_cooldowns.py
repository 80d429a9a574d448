"""The per-user cooldown policy (bot/cooldowns.py) and the message a member sees when a limit is reached."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cooldowns import DEFAULT_LIMITS, Cooldowns, Limit
from bot.ui.cooldowns import CooldownActive
from bot.ui.errors import describe_user_error
from tests.unit.nasty import PROPERTY_SETTINGS

T0 = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
LIMIT = Limit(3, dt.timedelta(seconds=60))


def test_a_burst_up_to_the_limit_passes_and_the_next_use_waits_for_the_oldest() -> None:
    cooldowns = Cooldowns({"ask": LIMIT})
    for second in range(3):
        assert cooldowns.hit("ask", 1, T0 + dt.timedelta(seconds=second)) is None
    assert cooldowns.hit("ask", 1, T0 + dt.timedelta(seconds=10)) == T0 + dt.timedelta(seconds=60)
    # Refused uses are not counted: at the time given, the command works again.
    assert cooldowns.hit("ask", 1, T0 + dt.timedelta(seconds=30)) == T0 + dt.timedelta(seconds=60)
    assert cooldowns.hit("ask", 1, T0 + dt.timedelta(seconds=60)) is None
    assert cooldowns.hit("ask", 1, T0 + dt.timedelta(seconds=60.5)) == T0 + dt.timedelta(seconds=61)


def test_limits_are_per_user_and_per_command() -> None:
    cooldowns = Cooldowns({"ask": LIMIT, "timeline": LIMIT})
    for _ in range(3):
        assert cooldowns.hit("ask", 1, T0) is None
    assert cooldowns.hit("ask", 1, T0) is not None
    assert cooldowns.hit("ask", 2, T0) is None
    assert cooldowns.hit("timeline", 1, T0) is None
    assert cooldowns.hit("pathway", 1, T0) is None  # no limit declared: never refused


def test_disabled_cooldowns_never_refuse_and_remember_nothing() -> None:
    cooldowns = Cooldowns({"ask": LIMIT}, enabled=False)
    assert all(cooldowns.hit("ask", 1, T0) is None for _ in range(100))
    assert len(cooldowns) == 0


def test_memory_is_bounded_and_reset_forgets_a_user() -> None:
    cooldowns = Cooldowns({"ask": LIMIT}, max_tracked=100)
    for user in range(1000):
        cooldowns.hit("ask", user, T0)
    assert len(cooldowns) == 100
    for _ in range(3):
        cooldowns.hit("ask", 5000, T0)
    assert cooldowns.hit("ask", 5000, T0) is not None
    cooldowns.reset(5000)
    assert cooldowns.hit("ask", 5000, T0) is None
    cooldowns.reset()
    assert len(cooldowns) == 0


def test_bad_limits_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="positive period"):
        Limit(0, dt.timedelta(seconds=1))
    with pytest.raises(ValueError, match="positive period"):
        Limit(1, dt.timedelta(0))
    with pytest.raises(ValueError, match="aware"):
        Cooldowns({"ask": LIMIT}).hit("ask", 1, dt.datetime(2027, 1, 1))  # noqa: DTZ001 (naive on purpose)


# How often a very keen person could use each command: reading an answer, answering a quiz, opening a file.
HUMAN_PACE = {
    "ask": dt.timedelta(seconds=4),
    "timeline": dt.timedelta(seconds=5),
    "quiz start": dt.timedelta(seconds=12),
    "quiz review": dt.timedelta(seconds=12),
    "quiz leaderboard": dt.timedelta(seconds=6),
    "readiness start": dt.timedelta(seconds=6),
    "milestones calendar": dt.timedelta(seconds=12),
    "mydata export": dt.timedelta(minutes=2),
}


@pytest.mark.parametrize("command", sorted(DEFAULT_LIMITS))
def test_a_person_never_meets_the_default_limits(command: str) -> None:
    cooldowns = Cooldowns()
    pace = HUMAN_PACE[command]
    for step in range(200):
        assert cooldowns.hit(command, 1, T0 + step * pace) is None, (command, step)


def test_every_limited_command_has_a_human_pace() -> None:
    assert set(HUMAN_PACE) == set(DEFAULT_LIMITS)


@PROPERTY_SETTINGS
@given(
    st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), min_size=1, max_size=80),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=120),
)
def test_never_more_than_the_limit_in_any_window(offsets: list[float], uses: int, seconds: int) -> None:
    limit = Limit(uses, dt.timedelta(seconds=seconds))
    cooldowns = Cooldowns({"cmd": limit})
    allowed: list[dt.datetime] = []
    for offset in sorted(offsets):
        now = T0 + dt.timedelta(seconds=offset)
        retry_at = cooldowns.hit("cmd", 7, now)
        if retry_at is None:
            allowed.append(now)
        else:
            assert now < retry_at <= now + limit.per
            # Waiting until the time given is enough.
            probe = Cooldowns({"cmd": limit})
            for earlier in allowed:
                probe.hit("cmd", 7, earlier)
            assert probe.hit("cmd", 7, retry_at) is None
    for index, start in enumerate(allowed):
        in_window = [t for t in allowed[index:] if t < start + limit.per]
        assert len(in_window) <= uses


def test_the_message_says_when_to_try_again_as_a_discord_timestamp() -> None:
    retry_at = dt.datetime(2027, 3, 1, 12, 0, 30, 250_000, tzinfo=dt.UTC)
    message = describe_user_error(CooldownActive("ask", retry_at))
    assert message is not None
    assert f"<t:{int(retry_at.timestamp()) + 1}:R>" in message  # rounded up, never too early
    assert "/ask" in message and len(message) < 200
