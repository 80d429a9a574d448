"""The services every cog reaches through the bot: built once in setup_hook, released in close()."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.cooldowns import Cooldowns
from bot.knowledge.community import CommunityService
from bot.knowledge.server_entries import ServerEntries
from bot.knowledge.service import KnowledgeService
from bot.milestones.service import MilestoneService
from bot.mydates.service import MyDatesService
from bot.privacy import PersonalData
from bot.quiz.group_timers import GroupQuizTimers
from bot.quiz.service import QuizService
from bot.readiness.service import ReadinessService
from bot.scheduling.runner import Runner
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.nudges import NudgeDispatcher
from bot.studygroups.retention import RetentionPurger
from bot.studygroups.service import StudyGroupService


@dataclass(frozen=True)
class Services:
    knowledge: KnowledgeService
    server_entries: ServerEntries
    """A server's own knowledge entries (``/knowledge add``), searched beside the curated ones in that server."""
    community: CommunityService
    """Ask the community: each server's help channel and the questions members posted there from ``/ask``."""
    readiness: ReadinessService
    quiz: QuizService
    milestones: MilestoneService
    studygroups: StudyGroupService
    personal_data: PersonalData
    studygroup_dispatch: StudyGroupDispatcher
    studygroup_nudges: NudgeDispatcher
    studygroup_retention: RetentionPurger
    mydates: MyDatesService
    quiz_timers: GroupQuizTimers
    runner: Runner
    """Every scheduled post and periodic job (``bot.scheduling.runner``): features ask it to re-arm their timers."""
    cooldowns: Cooldowns = field(default_factory=Cooldowns)
