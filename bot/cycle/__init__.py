"""The Match cycle calendar: every date of every Match cycle, official or projected, in one place.

Build one ``CycleCalendar`` at start-up (``CycleCalendar.from_directory(settings.data_dir / "cycles")``, which also
loads the milestone words in ``milestone-kinds.yaml``) and pass it to whatever needs dates: the /timeline planner,
milestone announcements, .ics exports, ``imgbot kb validate``.
"""

from bot.cycle.calendar import CycleCalendar
from bot.cycle.ics import CalendarItem, milestone_item, to_ics
from bot.cycle.loader import CycleFile, load_cycle_dir, load_cycle_file
from bot.cycle.models import (
    KIND_INFO,
    NRMP_ZONE,
    KindInfo,
    KindWords,
    Milestone,
    MilestoneKind,
    MilestoneStatus,
    Reminder,
    Source,
)
from bot.cycle.words import KINDS_FILE, MilestoneWords, load_milestone_words

__all__ = [
    "KINDS_FILE",
    "KIND_INFO",
    "NRMP_ZONE",
    "CalendarItem",
    "CycleCalendar",
    "CycleFile",
    "KindInfo",
    "KindWords",
    "Milestone",
    "MilestoneKind",
    "MilestoneStatus",
    "MilestoneWords",
    "Reminder",
    "Source",
    "load_cycle_dir",
    "load_cycle_file",
    "load_milestone_words",
    "milestone_item",
    "to_ics",
]
