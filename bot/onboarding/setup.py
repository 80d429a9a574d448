"""What /setup offers: the reminder choices of its announcement step, and the steps themselves.

The flow keeps no state of its own: what is saved is in the features' tables (changed through their services), and
a choice not saved yet rides in the custom_ids of the screen's buttons and menus, so a screen keeps working after a
restart. That is why a reminder choice is a one-letter key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum

from bot.milestones.reminders import describe_reminders, format_reminders, parse_reminders

log = logging.getLogger(__name__)


class Step(IntEnum):
    ANNOUNCEMENTS = 1
    EVENTS = 2
    STUDY_GROUP = 3
    HELP_CHANNEL = 4


STEPS = len(Step)


@dataclass(frozen=True, slots=True)
class ReminderChoice:
    key: str
    """One letter, carried in custom_ids."""
    label: str
    reminders: str | None
    """What /announcements setup's ``reminders:`` would be given; None: each milestone's own."""


OWN = "o"
"""Each milestone's own reminders (the default)."""
KEEP = "k"
"""The server's current reminders, when they are none of the presets (typed with /announcements setup)."""

PRESETS: tuple[ReminderChoice, ...] = (
    ReminderChoice(OWN, "Each milestone's own (recommended)", None),
    ReminderChoice("w", "7 days before, 1 day before and at the time", "7d,1d,0"),
    ReminderChoice("d", "1 day before and at the time", "1d,0"),
    ReminderChoice("t", "3 hours before and at the time", "3h,0"),
    ReminderChoice("n", "Only at the time", "0"),
)


def current_choice(reminders: tuple[timedelta, ...] | None) -> ReminderChoice:
    """The choice that stands for a subscription's reminders: a preset, or KEEP for others."""
    if reminders is None:
        return PRESETS[0]
    text = format_reminders(reminders)
    for preset in PRESETS:
        if preset.reminders is not None and format_reminders(parse_reminders(preset.reminders)) == text:
            return preset
    return ReminderChoice(KEEP, f"Keep: {describe_reminders(reminders)}", text)


def reminder_choices(current: tuple[timedelta, ...] | None) -> tuple[ReminderChoice, ...]:
    """The presets, plus the server's own reminders when they are none of them."""
    mine = current_choice(current)
    return (*PRESETS, mine) if mine.key == KEEP else PRESETS


def choice_for(key: str, current: tuple[timedelta, ...] | None) -> ReminderChoice:
    """The choice a key stands for; an unknown key (a screen from another version) falls back to the current one."""
    for choice in reminder_choices(current):
        if choice.key == key:
            return choice
    return current_choice(current)
