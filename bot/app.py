"""The Bot subclass: resources are created in setup_hook and released in close(), never at import time."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import math
import os
from typing import Any

import aiosqlite
import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.content import Content
from bot.cooldowns import Cooldowns
from bot.db.backup import backup_database, check_integrity, prune_backups
from bot.db.connection import open_database, write_transaction
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.milestones.service import build_milestone_service
from bot.observability.context import with_interaction_context
from bot.observability.repository import StatusRepository
from bot.observability.service import StatusService
from bot.observability.status import ErrorCollector, LiveFigures, StatusMonitor
from bot.privacy import PersonalData
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.readiness.service import clock_from_env as readiness_clock_from_env
from bot.scheduling import CRASH_AFTER_SEND_ENV, Deliverer, DeliveryRepository, JobScheduler, clock_from_env
from bot.services import Services
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.nudges import NudgeDispatcher
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.retention import RetentionPurger
from bot.studygroups.service import StudyGroupService
from bot.ui.errors import report_interaction_error

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.knowledge", "cogs.readiness", "cogs.quiz", "cogs.milestones", "cogs.studygroups", "cogs.status")


def bot_intents(settings: Settings) -> discord.Intents:
    intents = discord.Intents.default()
    # Privileged (switch on "Server Members Intent" in the Developer Portal; a bot in 100+ servers needs Discord's
    # approval): members leaving a server end their study group memberships and start their data's retention clock;
    # coming back cancels the deletion. Without it the daily member check notices both, a day later at most.
    intents.members = settings.members_intent
    return intents


class ImgBot(commands.Bot):
    def __init__(self, settings: Settings, content: Content, *, force_sync: bool = False) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(settings),
            # Thousands of servers of 100+ members: no member list is downloaded or kept. Study groups only need the
            # join and leave events, which arrive without the cache (on_raw_member_remove).
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            # Nothing the bot sends pings anyone unless a feature opts in for one configured role.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
        )
        self.settings = settings
        self.content = content
        self.force_sync = force_sync
        self._db: aiosqlite.Connection | None = None
        self._services: Services | None = None
        self.synced_commands = False
        self._backup_task: asyncio.Task[None] | None = None
        self._scheduler: JobScheduler | None = None
        self.monitor = StatusMonitor(dt.datetime.now(dt.UTC))
        self._status: StatusService | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._error_collector: ErrorCollector | None = None
        # Every task discord.py starts for an interaction (command, autocomplete, component, modal) is created inside
        # this parser, so binding the interaction's id here tags every log record those tasks write.
        parsers = self._connection.parsers
        parsers["INTERACTION_CREATE"] = with_interaction_context(parsers["INTERACTION_CREATE"])

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the database is opened in setup_hook")
        return self._db

    @property
    def status_service(self) -> StatusService:
        if self._status is None:
            raise RuntimeError("the status service is built in prepare")
        return self._status

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook")
        return self._services

    async def setup_hook(self) -> None:
        await self.prepare()
        # APScheduler runs the clock from here on; its jobs are rebuilt from the database (milestone announcements).
        await self.services.milestones.announcer.start()
        await self.services.studygroup_dispatch.start()
        await self.services.studygroup_nudges.start()
        await self.services.studygroup_retention.start()
        await self.sync_commands()
        self._error_collector = ErrorCollector(self.monitor)
        logging.getLogger().addHandler(self._error_collector)
        if self.settings.backup_interval_hours > 0:
            self._backup_task = asyncio.create_task(self._backup_every_interval(), name="scheduled-backups")

    async def _backup_every_interval(self) -> None:
        """Back the database up every BACKUP_INTERVAL_HOURS, keeping BACKUP_KEEP copies; a failure is logged, and
        the next attempt still happens."""
        interval = self.settings.backup_interval_hours * 3600
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(
                    backup_database, self.settings.database_path, self.settings.backup_dir, dt.datetime.now(dt.UTC)
                )
                await asyncio.to_thread(prune_backups, self.settings.backup_dir, self.settings.backup_keep)
            except Exception:
                log.exception("scheduled database backup failed; the next one is in %.1f hours", interval / 3600)

    async def prepare(self) -> None:
        """Open the database, build the services and load every cog (everything but talking to Discord)."""
        path = self.settings.database_path
        if path.exists():
            problems = await asyncio.to_thread(check_integrity, path)
            if problems:
                raise RuntimeError(
                    f"the database {path} failed its integrity check ({'; '.join(problems[:3])}). "
                    "Restore a backup with `imgbot db restore FILE` (backups are in "
                    f"{self.settings.backup_dir})."
                )
        self._db = await open_database(path)
        self._status = StatusService(self.monitor, StatusRepository(self._db), self._live_figures)
        knowledge = self.content.knowledge.with_feedback(KnowledgeFeedbackRepository(self._db))
        # The system clock, unless an end-to-end test fixes the date (IMGBOT_TEST_READINESS_NOW, logged).
        readiness = ReadinessService(
            ReadinessRepository(self._db),
            self.content.specialties,
            self.content.calendar,
            readiness_clock_from_env(os.environ),
        )
        quiz = QuizService(
            self.content.quiz_bank,
            QuizRepository(self._db),
            group_question_time=dt.timedelta(seconds=self.settings.quiz_group_seconds),
        )
        self._scheduler = JobScheduler()
        # Tests only: exit between sending and recording a delivery (tests/e2e/test_delivery_e2e.py and
        # tests/e2e/test_studygroups_schedule_e2e.py).
        crash_after_send = os.environ.get(CRASH_AFTER_SEND_ENV) == "1"
        milestones = build_milestone_service(
            self._db,
            self.content.calendar,
            self._entry_title,
            self._scheduler,
            grace=dt.timedelta(hours=self.settings.delivery_grace_hours),
            crash_after_send=crash_after_send,
        )
        # The system clock, unless a test moves the study groups' one (IMGBOT_TEST_CLOCK_OFFSET_SECONDS, logged).
        studygroup_clock = clock_from_env(os.environ)
        studygroups = StudyGroupService(StudyGroupRepository(self._db), studygroup_clock)
        personal_data = PersonalData.for_features(self._db, quiz=quiz, readiness=readiness, studygroups=studygroups)
        deliveries = DeliveryRepository(self._db)
        studygroup_dispatch = StudyGroupDispatcher(
            studygroups,
            deliveries,
            Deliverer(deliveries, clock=studygroup_clock, crash_after_send=crash_after_send),
            self._scheduler,
            clock=studygroup_clock,
        )
        studygroup_nudges = NudgeDispatcher(
            studygroups, deliveries, Deliverer(deliveries, clock=studygroup_clock), self._scheduler
        )
        self._services = Services(
            knowledge=knowledge,
            readiness=readiness,
            quiz=quiz,
            milestones=milestones,
            studygroups=studygroups,
            personal_data=personal_data,
            studygroup_dispatch=studygroup_dispatch,
            studygroup_nudges=studygroup_nudges,
            studygroup_retention=RetentionPurger(studygroups, self._scheduler),
            cooldowns=Cooldowns(enabled=self.settings.command_cooldowns),
        )
        self.tree.error(self._on_app_command_error)
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    def _live_figures(self) -> LiveFigures:
        # discord.py reports an infinite latency until the gateway acknowledged its first heartbeat.
        latency = self.latency if math.isfinite(self.latency) else None
        jobs = len(self._scheduler.job_ids()) if self._scheduler is not None else 0
        return LiveFigures(latency=latency, guilds=len(self.guilds), jobs=jobs)

    def _entry_title(self, entry_id: str) -> str | None:
        entry = self.content.knowledge.knowledge.get(entry_id)
        return entry.title if entry is not None else None

    async def close(self) -> None:
        if self._scheduler is not None:
            # First, so no announcement is being posted while the connection and the database close.
            await self._scheduler.shutdown()
            self._scheduler = None
        if self._backup_task is not None:
            self._backup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backup_task
            self._backup_task = None
        await super().close()
        await self._stop_heartbeat()
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _stop_heartbeat(self) -> None:
        """Stop the heartbeat and record a clean stop (with any last errors) while the database is still open."""
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
            self._heartbeat_task = None
            if self._status is not None and self._db is not None:
                try:
                    await self._status.beat("stopped")
                except Exception:
                    log.warning("could not record the clean stop in the status heartbeat", exc_info=True)
        if self._error_collector is not None:
            logging.getLogger().removeHandler(self._error_collector)
            self._error_collector = None

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "unknown command"
        await report_interaction_error(interaction, error, f"/{command}")

    # -- command registration --------------------------------------------------------------------------------------

    def _sync_scope(self) -> discord.Object | None:
        return discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None

    def command_definitions_hash(self) -> str:
        """A fingerprint of what Discord would be told; registration is needed only when it changes."""
        guild = self._sync_scope()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        commands_ = self.tree.get_commands(guild=guild)
        payload = sorted((c.to_dict(self.tree) for c in commands_), key=lambda c: str(c["name"]))
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    async def sync_commands(self) -> bool:
        """Register the commands with Discord when their definitions changed (or when forced)."""
        guild = self._sync_scope()
        scope = f"guild:{guild.id}" if guild else "global"
        key = f"commands_hash:{self.application_id}:{scope}"
        fingerprint = self.command_definitions_hash()
        async with self.db.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] == fingerprint and not self.force_sync:
            log.info("commands unchanged since the last registration (%s); not syncing", scope)
            return False
        synced = await self.tree.sync(guild=guild)
        async with write_transaction(self.db):
            await self.db.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, fingerprint),
            )
        self.synced_commands = True
        log.info("registered %d commands (%s)", len(synced), scope)
        return True

    async def on_ready(self) -> None:
        user = self.user
        log.info("ready as %s (%s) in %d servers", user, user.id if user else "?", len(self.guilds))
        # The heartbeat starts with the gateway connection, so `imgbot sync` (no gateway) never writes one.
        beat = await self.status_service.beat()
        log.info("status heartbeat at ready: %d servers, %d scheduled jobs", beat.guilds, beat.jobs)
        if self._heartbeat_task is None:
            self._heartbeat_task = asyncio.create_task(self.status_service.run(), name="status-heartbeat")
