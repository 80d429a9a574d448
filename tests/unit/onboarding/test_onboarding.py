"""Onboarding without Discord: the welcome ledger (once, ever), /setup's reminder choices and custom_ids, and its
screens inside Discord's limits with the longest values they can be given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord
import pytest
from discord.ui import DynamicItem

from bot.db.connection import Connection
from bot.milestones.discord_event_plan import EventsSetting
from bot.milestones.models import PauseReason, Status, Subscription
from bot.milestones.reminders import MAX_REMINDERS, parse_reminders
from bot.onboarding.setup import KEEP, OWN, PRESETS, choice_for, current_choice, reminder_choices
from bot.onboarding.welcome import WelcomeLedger, WelcomeStatus
from bot.studygroups.models import MAX_GROUP_NAME, GroupCreateOptions, Schedule, StudyGroup, parse_form_with_clock
from bot.studygroups.service import GroupSummary
from bot.ui import onboarding as screens
from bot.ui.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.forms import FIX_LABEL, typed_embed
from bot.ui.onboarding import Notice
from bot.validation import FormErrors
from cogs.onboarding.flow import (
    GROUP_FIELDS,
    GROUP_FORM_KEYS,
    SETUP_ITEMS,
    AnnouncementChannelSelect,
    AnnouncementRemindersSelect,
    AnnouncementRoleSelect,
    AnnouncementSaveButton,
    GroupChannelSelect,
    GroupFormButton,
    HelpChannelStepSelect,
    SetupButton,
    typed_on_screen,
)

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)
BIG_ID = 2**64 - 1
"""The largest snowflake: 20 digits, the longest an id in a custom_id can be."""


@pytest.fixture
def ledger(conn: Connection) -> WelcomeLedger:
    """The ledger on the bot's database, on each backend (the ``conn`` fixture opens and closes it)."""
    return WelcomeLedger(conn, clock=lambda: NOW)


# -- the welcome ledger ----------------------------------------------------------------------------------------------


async def test_a_server_is_claimed_once(ledger: WelcomeLedger) -> None:
    assert await ledger.welcome(1) is None
    assert await ledger.claim(1) is True
    assert await ledger.claim(1) is False, "a second welcome, after a restart or a rejoin, is refused"
    claimed = await ledger.welcome(1)
    assert claimed is not None and claimed.status is WelcomeStatus.CLAIMED and claimed.claimed_at == NOW
    await ledger.record_sent(1, 10, 100)
    sent = await ledger.welcome(1)
    assert sent is not None and (sent.status, sent.channel_id, sent.message_id, sent.sent_at) == (
        WelcomeStatus.SENT,
        10,
        100,
        NOW,
    )
    assert await ledger.claim(1) is False
    assert await ledger.claim(2) is True, "servers are independent"


async def test_a_release_frees_only_an_unsent_claim(ledger: WelcomeLedger) -> None:
    assert await ledger.claim(1)
    await ledger.release(1, "Discord refused the post")
    assert await ledger.welcome(1) is None
    assert await ledger.claim(1), "nothing was posted, so a later invitation may welcome the server"
    await ledger.record_sent(1, 10, 100)
    await ledger.release(1, "a late release must not undo a welcome that was posted")
    assert await ledger.claim(1) is False


# -- the reminder choices ------------------------------------------------------------------------------------------


def test_every_preset_is_a_valid_reminders_option_with_a_one_letter_key() -> None:
    keys = [p.key for p in PRESETS]
    assert len(set(keys)) == len(keys) and KEEP not in keys
    assert all(len(key) == 1 and key.isascii() and key.islower() for key in [*keys, KEEP])
    for preset in PRESETS:
        if preset.reminders is not None:
            parse_reminders(preset.reminders)
    assert PRESETS[0].key == OWN and PRESETS[0].reminders is None


def test_the_current_reminders_map_to_a_preset_or_are_kept() -> None:
    assert current_choice(None).key == OWN
    assert current_choice(parse_reminders("0,1d,7d")).key == "w", "order does not matter"
    own = parse_reminders("2d,6h")
    kept = current_choice(own)
    assert kept.key == KEEP and kept.reminders == "2d,6h" and "2 days before" in kept.label
    assert [c.key for c in reminder_choices(own)] == [*(p.key for p in PRESETS), KEEP]
    assert [c.key for c in reminder_choices(None)] == [p.key for p in PRESETS]
    assert choice_for("w", None).reminders == "7d,1d,0"
    assert choice_for(KEEP, own).reminders == "2d,6h"
    assert choice_for("z", own).key == KEEP, "an unknown key falls back to what the server has"


# -- custom_ids --------------------------------------------------------------------------------------------------------


def items_with_longest_ids() -> list[DynamicItem[Any]]:
    choices = reminder_choices(parse_reminders("7d,3d,1d,12h,3h,0"))
    return [
        SetupButton("go:3", "Back", discord.ButtonStyle.secondary),
        SetupButton("e:off", "Turn off", discord.ButtonStyle.secondary),
        AnnouncementChannelSelect(BIG_ID, BIG_ID, KEEP),
        AnnouncementRoleSelect(BIG_ID, BIG_ID, KEEP),
        AnnouncementRemindersSelect(BIG_ID, BIG_ID, KEEP, choices),
        AnnouncementSaveButton(BIG_ID, BIG_ID, KEEP),
        GroupChannelSelect(BIG_ID),
        GroupFormButton(BIG_ID),
        HelpChannelStepSelect(BIG_ID),
    ]


def test_custom_ids_fit_and_are_read_back_after_a_restart() -> None:
    items = items_with_longest_ids()
    assert {type(item) for item in items} == set(SETUP_ITEMS)
    for item in items:
        custom_id = item.custom_id
        assert len(custom_id) <= 100, custom_id
        # The class's own template reads it back; no other item's template claims it.
        owners = [cls for cls in SETUP_ITEMS if cls.__discord_ui_compiled_template__.fullmatch(custom_id)]
        assert owners == [type(item)], (custom_id, owners)
    with_nothing = AnnouncementSaveButton(None, None, OWN)
    assert with_nothing.custom_id == "su:a:save:0:0:o" and with_nothing.item.disabled


def test_reminder_options_fit_a_menu() -> None:
    longest = parse_reminders("90d,30d,7d,1d12h,3h30m,0")
    assert len(longest) == MAX_REMINDERS
    select = AnnouncementRemindersSelect(1, None, KEEP, reminder_choices(longest)).item
    assert isinstance(select, discord.ui.Select)
    assert all(len(option.label) <= 100 for option in select.options)
    assert [o.value for o in select.options if o.default] == [KEEP]


def test_the_group_form_lists_every_mistake_and_fix_it_reads_what_was_typed() -> None:
    """A study-group form with four mistakes is refused once, naming all four (not one per try), and **Fix it**
    fills the form again from the refusal's own screen (no memory to lose in a restart)."""
    typed = {"name": "@everyone", "time": "25:00", "zone": "Mars/Base", "days": "someday"}
    with pytest.raises(FormErrors) as refused:
        parse_form_with_clock(
            GroupCreateOptions,
            NOW,
            name=typed["name"],
            channel_id=1,
            checkin_time=typed["time"],
            timezone=typed["zone"],
            days=typed["days"],
        )
    assert [GROUP_FORM_KEYS.get(name, name) for name, _ in refused.value.problems] == ["name", "time", "zone", "days"]
    screen = discord.Message.__new__(discord.Message)
    screen.embeds = [discord.Embed(title="step 3"), typed_embed(GROUP_FIELDS, typed, frozenset(typed))]
    assert typed_on_screen(screen) == typed, "pings shown defused are typed back as they were"
    screen.embeds = [discord.Embed(title="step 3")]
    assert typed_on_screen(screen) == {}, "a fresh screen opens an empty form"
    assert typed_on_screen(None) == {}
    assert GroupFormButton(5, label=FIX_LABEL).item.label == FIX_LABEL


# -- the screens within Discord's limits -----------------------------------------------------------------------------


def subscription(*, paused: bool = False) -> Subscription:
    return Subscription(
        guild_id=1,
        channel_id=BIG_ID,
        role_id=BIG_ID,
        reminders=parse_reminders("90d,30d,7d,1d12h,3h30m,0"),
        status=Status.PAUSED if paused else Status.ACTIVE,
        paused_reason=PauseReason.NO_PERMISSION if paused else None,
        configured_by=2,
        active_since=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


def groups(count: int) -> tuple[GroupSummary, ...]:
    schedule = Schedule(dt.time(20, 0), "America/Argentina/ComodRivadavia", frozenset({0, 2, 4}))
    return tuple(
        GroupSummary(
            StudyGroup(
                id=i,
                guild_id=1,
                channel_id=BIG_ID,
                name="W" * MAX_GROUP_NAME,
                schedule=schedule,
                created_at=NOW,
            ),
            members=1000 + i,
            is_member=False,
        )
        for i in range(count)
    )


def assert_fits(embed: discord.Embed) -> None:
    assert len(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= DESCRIPTION_LIMIT
    for field in embed.fields:
        assert 1 <= len(str(field.value)) <= FIELD_VALUE_LIMIT and 1 <= len(str(field.name)) <= 256


def test_every_screen_fits_with_the_longest_values() -> None:
    notice = Notice("x" * 5000, problem=True)
    paused = subscription(paused=True)
    choice = current_choice(paused.reminders)
    events = EventsSetting(guild_id=1, enabled=True, problem="no-permission")
    first = [("ask", "d" * 100), ("readiness start", "d" * 100), ("timeline", "d" * 100)]
    for embed in (
        screens.welcome_embed("N" * 100),
        screens.announcements_step_embed(paused, BIG_ID, BIG_ID, choice, notice),
        screens.announcements_step_embed(None, None, None, PRESETS[0]),
        screens.events_step_embed(paused, events, notice),
        screens.events_step_embed(None, None),
        screens.group_step_embed(groups(50), BIG_ID, may_create=True, notice=notice),
        screens.group_step_embed((), None, may_create=False),
        screens.summary_embed(paused, events, groups(50), first, notice, help_channel="h" * 2000),
        screens.help_step_embed(["s" * 1000] * 6, notice),
    ):
        assert_fits(embed)
    # A refused study-group form's screen has two embeds, and Discord counts 6,000 characters over both.
    longest = {"name": "N" * MAX_GROUP_NAME, "time": "t" * 20, "zone": "z" * 64, "days": "d" * 60}
    typed = typed_embed(GROUP_FIELDS, longest, frozenset(longest))
    step = screens.group_step_embed(groups(50), BIG_ID, may_create=True, notice=notice)
    assert_fits(typed)
    assert len(step) + len(typed) <= EMBED_TOTAL_LIMIT
    listed = screens.groups_text(groups(50))
    assert listed.count("\n") == screens.GROUPS_SHOWN and listed.endswith("…and 45 more (`/studygroup list`)")


def test_a_refusal_and_a_warning_are_told_apart() -> None:
    assert Notice("done").field()[0] == "✅ Saved"
    assert Notice("grant this", problem=True).field()[0] == "⚠️ Not saved"
    assert Notice("not mentionable", title="⚠️ Check this").field()[0] == "⚠️ Check this"
    assert "paused" not in screens.subscription_text(subscription()).lower()
    assert "⏸️" in screens.subscription_text(subscription(paused=True))
