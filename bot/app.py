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
from dataclasses import dataclass

import asyncpg
import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.announcements import DiscordMessenger
from bot.adapters.group_quiz import DiscordGroupQuizPoster, MemberNames
from bot.adapters.member_directory import DiscordMemberDirectory
from bot.adapters.scheduled_events import DiscordEventGateway
from bot.adapters.studygroup_posts import DiscordNudgeSender, DiscordPromptSender
from bot.config import Settings, active_test_hooks
from bot.content import Content
from bot.cooldowns import Cooldowns
from bot.db.backup import backup_database, ensure_sound, prune_backups
from bot.db.connection import Connection, open_database, postgres_upgrade_pending, write_transaction
from bot.db.errors import DatabaseProblem
from bot.db.lock import DatabaseInUse, PostgresLock
from bot.db.pg_backup import backup_postgres, finish_interrupted_restore, prune_pg_backups
from bot.discord_internals import wrap_interaction_parser
from bot.knowledge.community import FORGET_EVERY as COMMUNITY_FORGET_EVERY
from bot.knowledge.community import FORGET_JOB as COMMUNITY_FORGET_JOB
from bot.knowledge.community import FORGET_TIMEOUT as COMMUNITY_FORGET_TIMEOUT
from bot.knowledge.community import CommunityService
from bot.knowledge.community_repository import CommunityRepository
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.knowledge.server_entries import RETENTION_EVERY as SERVER_ENTRIES_EVERY
from bot.knowledge.server_entries import RETENTION_JOB as SERVER_ENTRIES_JOB
from bot.knowledge.server_entries import RETENTION_TIMEOUT as SERVER_ENTRIES_TIMEOUT
from bot.knowledge.server_entries import ServerEntries, ServerEntriesRetention
from bot.knowledge.server_repository import ServerEntryRepository
from bot.milestones.service import build_milestone_service
from bot.mydates.reminders import FEED as MYDATES_FEED
from bot.mydates.reminders import MyDateReminders
from bot.mydates.repository import MyDatesRepository
from bot.mydates.service import PURGE_EVERY as MYDATES_PURGE_EVERY
from bot.mydates.service import PURGE_JOB as MYDATES_PURGE_JOB
from bot.mydates.service import PURGE_TIMEOUT as MYDATES_PURGE_TIMEOUT
from bot.mydates.service import MyDatesService
from bot.observability.cluster import ProcessIdentity, ProcessRegistry, instance_key, server_share
from bot.observability.context import with_interaction_context
from bot.observability.repository import StatusRepository
from bot.observability.service import StatusService
from bot.observability.status import HEARTBEAT_INTERVAL, ErrorCollector, LiveFigures, State, StatusMonitor
from bot.privacy import (
    RETENTION_EVERY,
    RETENTION_JOB,
    RETENTION_TIMEOUT,
    BackupPolicy,
    PersonalData,
    RetentionSweep,
)
from bot.quiz.group_timers import EXPIRY_EVERY, EXPIRY_JOB, GroupQuizTimers
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.readiness.service import clock_from_env as readiness_clock_from_env
from bot.scheduling import (
    CRASH_AFTER_SEND_ENV,
    SCHEDULED_PER_SECOND,
    DeliveryRepository,
    JobScheduler,
    RateBudget,
    Runner,
    Worker,
    clock_from_env,
)
from bot.scheduling.pacing import Lane
from bot.services import Services
from bot.sharding import ShardedBot
from bot.startup_heap import freeze_startup_heap
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.nudges import NudgeDispatcher
from bot.studygroups.reconcile import (
    CONCURRENT_LOOKUPS,
    LOOKUPS_PER_SECOND,
    RECONCILE_EVERY,
    RECONCILE_JOB,
    MemberReconciler,
)
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.retention import PURGE_EVERY, PURGE_JOB, RetentionPurger
from bot.studygroups.service import StudyGroupService
from bot.ui.errors import report_interaction_error
from bot.ui.mydates import DiscordReminderSender

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.knowledge",
    "cogs.server_knowledge",
    "cogs.community",
    "cogs.readiness",
    "cogs.quiz",
    "cogs.milestones",
    "cogs.studygroups",
    "cogs.privacy",
    "cogs.mydates",
    "cogs.status",
    "cogs.onboarding",
    "cogs.interviews",
    "cogs.help",
)
MAX_RATELIMIT_TIMEOUT = 30.0
"""discord.py's max_ratelimit_timeout (30 s is its smallest): a 429 asking for a longer wait raises RateLimited
instead of sleeping, so a scheduled item Discord holds back fails alone and is retried, and nobody waits behind it."""
HEARTBEAT_JOB = "status:heartbeat"
_IN_USE_HINT = (
    "A restore or a migration: let it finish, then start the bot again. Another bot: stop it, or run every process "
    "as part of one cluster (SHARDS and SHARD_COUNT), which share the database"
)
PER_PROCESS_JOBS = frozenset({HEARTBEAT_JOB, RECONCILE_JOB, SERVER_ENTRIES_JOB, EXPIRY_JOB})
"""The periodic jobs every process of a cluster runs, each for its own servers: its heartbeat, the member check, the
servers it left while offline (their own entries) and abandoned group quizzes (each posts in its servers' channels).
The others work over the whole database and post nothing (purges, retention, backups): the process with shard 0 runs
them (``ShardedBot.runs_cluster_jobs``)."""
BACKUP_JOB = "db:backup"


def _lane(budget: RateBudget, per_second: float, concurrency: int = 1) -> Lane:
    """A slower limit of the process's budget, never faster than the budget: in a cluster a process's budget is its
    share of the bot's (1 shard of 10: 4.6/s), which may be slower than a lane's own rate (member lookups' 5/s)."""
    return budget.lane(min(per_second, budget.per_second), concurrency)


# How long each worker may run (``Worker.timeout``). A run that hangs (a request nobody answers, a database held by
# something else) is ended and logged, instead of having every later run skipped as "still running".
PURGE_TIMEOUT = dt.timedelta(minutes=10)
"""The study-group purge is a few indexed deletes (well under a second, even after a long downtime)."""
RECONCILE_TIMEOUT = dt.timedelta(hours=20)
"""The member check is paced at one lookup a second (3,600 servers an hour): even 50,000 servers with study-group
data finish in 14 hours. Still going after 20 it is stuck; what it recorded server by server stays, and ending it
lets the next daily run start on time."""
EXPIRY_TIMEOUT = dt.timedelta(minutes=5)
"""Quiz expiry marks quizzes in one transaction, then tells each group channel (four at a time), each post bounded
by discord.py's retries (about 25 s) and its longest rate-limit wait (30 s): minutes only if dozens end at once."""
BACKUP_TIMEOUT = dt.timedelta(hours=1)
"""Generous: a backup is one snapshot of the whole database, seconds for hundreds of MB and minutes for many GB on
a slow disk. Past an hour the worker is freed and the failure logged (the copying thread itself cannot be
interrupted; it ends on its own)."""


@dataclass(frozen=True)
class DiscordAdapters:
    """The Discord side of the scheduled features, built with the services so that none is half-built."""

    messenger: DiscordMessenger
    events: DiscordEventGateway
    prompts: DiscordPromptSender
    nudges: DiscordNudgeSender
    members: DiscordMemberDirectory
    quiz: DiscordGroupQuizPoster
    mydates: DiscordReminderSender


def bot_intents(settings: Settings) -> discord.Intents:
    intents = discord.Intents.default()
    # Privileged (switch on "Server Members Intent" in the Developer Portal; a bot in 100+ servers needs Discord's
    # approval): members leaving a server end their study group memberships and start their data's retention clock;
    # coming back cancels the deletion. Without it the daily member check notices both, a day later at most.
    intents.members = settings.members_intent
    return intents


class ImgBot(ShardedBot):
    """The bot: an AutoShardedBot with Discord's recommended shard count (bot/sharding.py). ``guild_ready(guild_id)``
    tells whether the shard serving a server is connected and ready, so scheduled sends can wait for it."""

    test_hooks: dict[str, str]
    """The test settings (IMGBOT_TEST_*) in effect, decided once when the services are built (bot.config)."""

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
            max_ratelimit_timeout=MAX_RATELIMIT_TIMEOUT,
            # A process of a cluster runs the shards SHARDS names out of SHARD_COUNT; alone, discord.py asks Discord.
            shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
            shard_count=settings.shard_count if settings.shard_ids is not None else None,
        )
        self.settings = settings
        self.content = content
        self.force_sync = force_sync
        self._db: Connection | None = None
        self._services: Services | None = None
        self.synced_commands = False
        self._scheduler: JobScheduler | None = None
        self._adapters: DiscordAdapters | None = None
        self.workers: tuple[Worker, ...] = ()
        """The periodic jobs registered with the runner (built in prepare)."""
        self.monitor = StatusMonitor(dt.datetime.now(dt.UTC))
        self._status: StatusService | None = None
        self._run_lock: PostgresLock | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._budget: RateBudget | None = None
        self._registry: ProcessRegistry | None = None
        self.process: ProcessIdentity | None = None
        """This process, when it is one of a cluster (SHARDS)."""
        self._beating = False
        self._error_collector: ErrorCollector | None = None
        # Every task discord.py starts for an interaction (command, autocomplete, component, modal) is created inside
        # this parser, so binding the interaction's id here tags every log record those tasks write.
        wrap_interaction_parser(self, with_interaction_context)

    @property
    def db(self) -> Connection:
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

    @property
    def adapters(self) -> DiscordAdapters:
        if self._adapters is None:
            raise RuntimeError("the Discord adapters are built with the services, in prepare")
        return self._adapters

    async def setup_hook(self) -> None:
        await self.prepare()
        # APScheduler runs the clock from here on: every feed's sweep and timers (rebuilt from the database), every
        # worker, and the group quizzes that were running.
        await self.services.runner.start()
        await self.services.quiz_timers.resume()
        await self.sync_commands()
        self._error_collector = ErrorCollector(self.monitor)
        logging.getLogger().addHandler(self._error_collector)
        await self._knowledge_search_built()

    async def _knowledge_search_built(self) -> None:
        """Wait, off the event loop, for the knowledge search's indexes (built on a thread of their own since the
        content loaded: bot/knowledge/search.py) before the gateway connects: otherwise the first /ask waits for
        them on the event loop, holding up every other interaction and the heartbeat. They are usually built by
        now (a few hundred milliseconds against the start-up's seconds). A failure to build them is logged where
        it happens; the bot still starts (its other features work) and /ask and /topic fail with an error."""
        with contextlib.suppress(RuntimeError):
            await asyncio.to_thread(self.services.knowledge.search_index.wait_until_ready)

    async def _backup(self) -> None:
        """Back the database up, keeping BACKUP_KEEP copies (a worker every BACKUP_INTERVAL_HOURS): a pg_dump
        archive on PostgreSQL, an SQLite snapshot otherwise."""
        now = dt.datetime.now(dt.UTC)
        if self.settings.database_url is not None:
            url = self.settings.database_url.get_secret_value()
            shown = self.settings.database_shown
            await asyncio.to_thread(backup_postgres, url, shown, self.settings.backup_dir, now)
            await asyncio.to_thread(prune_pg_backups, self.settings.backup_dir, self.settings.backup_keep)
            return
        await asyncio.to_thread(backup_database, self.settings.database_path, self.settings.backup_dir, now)
        await asyncio.to_thread(prune_backups, self.settings.backup_dir, self.settings.backup_keep)

    async def _scheduled_work_may_go(self, shard_id: int) -> None:
        if self._services is not None and self.is_ready():
            self.services.runner.wake_all(f"shard {shard_id} ready")

    async def _beat(self) -> None:
        """The status heartbeat (a worker every minute, and soon after an error is logged)."""
        try:
            await self._keep_run_lock()
            await self.status_service.beat()
            await self._process_beat("running")
        except Exception:
            # Logged as a warning: an error here would wake the heartbeat again at once.
            log.warning("could not write the status heartbeat", exc_info=True)

    async def prepare(self) -> None:
        """Open the database, build the services and load every cog (everything but talking to Discord)."""
        if self.settings.database_url is not None:
            if "database_path" in self.settings.model_fields_set:
                log.info("DATABASE_URL and DATABASE_PATH are both set: using DATABASE_URL")
            log.info("database: PostgreSQL at %s", self.settings.database_shown)
            url = self.settings.database_url.get_secret_value()
            self._db = await self._open_postgres(url)
            await finish_interrupted_restore(url)
        else:
            # A damaged file stops the start with one line pointing to `imgbot db restore` (DatabaseUnusable).
            await asyncio.to_thread(ensure_sound, self.settings.database_path, self.settings.backup_dir)
            self._db = await open_database(self.settings.database_path)
        one_process = self.settings.shard_ids is None  # a process of a cluster has its own row (status_processes)
        self._status = StatusService(
            self.monitor, StatusRepository(self._db, one_process=one_process), self._live_figures
        )
        knowledge = self.content.knowledge.with_feedback(KnowledgeFeedbackRepository(self._db))
        # Test settings (IMGBOT_TEST_*) only against a local emulator; against real Discord, ignored with a warning.
        hooks = active_test_hooks(self.settings, os.environ)
        self.test_hooks = hooks
        # The system clock, unless an end-to-end test fixes the date (IMGBOT_TEST_READINESS_NOW, logged).
        readiness = ReadinessService(
            ReadinessRepository(self._db),
            self.content.specialties,
            self.content.calendar,
            readiness_clock_from_env(hooks),
            words=self.content.questionnaire_words,
        )
        quiz = QuizService(
            self.content.quiz_bank,
            QuizRepository(self._db),
            group_question_time=dt.timedelta(seconds=self.settings.quiz_group_seconds),
        )
        self._scheduler = JobScheduler()
        # In a cluster each process paces its own scheduled work at its share of the bot's budget (SHARDS).
        budget = RateBudget(SCHEDULED_PER_SECOND * self.settings.scheduled_rate_share)
        self._budget = budget
        # Tests only: exit between sending and recording a scheduled post (tests/e2e/test_delivery_e2e.py and
        # tests/e2e/test_studygroups_schedule_e2e.py).
        crash_after_send = hooks.get(CRASH_AFTER_SEND_ENV) == "1"
        await self._join_cluster()
        me = self.process
        deliveries = DeliveryRepository(self._db, owner=me.instance if me is not None else None)
        # A scheduled post goes to a server only once the shard serving it is ready (bot/sharding.py); when a shard
        # becomes ready again, what was held back for it goes.
        runner = Runner(
            self._scheduler,
            deliveries,
            budget,
            ready=self.wait_until_ready,
            server_ready=self.guild_ready,
            owns=self.owns if self.settings.shard_ids is not None else None,
            watermark_scope=self.settings.cluster_slot,
            owners=self._registry,
            crash_after_send=crash_after_send,
        )
        # The Discord side of every scheduled feature, built here with the services (none is attached later).
        names = MemberNames(self)
        adapters = DiscordAdapters(
            messenger=DiscordMessenger(self),
            events=DiscordEventGateway(self),
            prompts=DiscordPromptSender(self),
            nudges=DiscordNudgeSender(self),
            members=DiscordMemberDirectory(self, _lane(budget, DiscordMemberDirectory.REST_PER_SECOND)),
            quiz=DiscordGroupQuizPoster(self, names, self._entry_title),
            mydates=DiscordReminderSender(self),
        )
        self._adapters = adapters
        # The system clock, unless a test moves it (IMGBOT_TEST_CLOCK_OFFSET_SECONDS, logged): every feed's.
        feed_clock = clock_from_env(hooks)
        milestones = build_milestone_service(
            self._db,
            self.content.calendar,
            self._entry_title,
            runner,
            adapters.messenger,
            adapters.events,
            grace=dt.timedelta(hours=self.settings.delivery_grace_hours),
            clock=feed_clock,
        )
        studygroups = StudyGroupService(StudyGroupRepository(self._db), feed_clock)
        personal_data = PersonalData.for_features(
            self._db, quiz=quiz, readiness=readiness, studygroups=studygroups, backups=BackupPolicy.of(self.settings)
        )
        # Before anything runs: a member deleted since the backup this database was restored from is deleted again.
        await personal_data.reapply_deletions()
        # A member's own dates: reminders by DM with the announcements' grace, and the exams line of weekly recaps.
        mydates_repository = MyDatesRepository(self._db)
        mydates = MyDatesService(
            mydates_repository, clock=feed_clock, on_change=lambda: runner.reschedule(MYDATES_FEED)
        )
        grace = dt.timedelta(hours=self.settings.delivery_grace_hours)
        runner.add(MyDateReminders(mydates_repository, adapters.mydates, grace=grace, clock=feed_clock))
        studygroup_dispatch = StudyGroupDispatcher(
            studygroups, adapters.prompts, clock=feed_clock, exams_ahead=mydates.exams_ahead
        )
        studygroup_nudges = NudgeDispatcher(studygroups, deliveries, adapters.nudges, clock=feed_clock)
        runner.add(studygroup_dispatch)
        runner.add(studygroup_nudges)
        retention = RetentionPurger(studygroups)
        reconciler = MemberReconciler(
            studygroups, adapters.members, _lane(budget, LOOKUPS_PER_SECOND, CONCURRENT_LOOKUPS)
        )
        quiz_timers = GroupQuizTimers(
            quiz, self._scheduler, adapters.quiz, owns=self.owns if self.settings.shard_ids is not None else None
        )
        # A server's own knowledge entries; when the bot leaves a server they go after its study-group retention.
        server_entries = ServerEntries(ServerEntryRepository(self._db), feed_clock)
        server_entries_retention = ServerEntriesRetention(
            server_entries,
            adapters.members,
            studygroups.retention_days,
            _lane(budget, LOOKUPS_PER_SECOND),
            # In a cluster each process looks after its own servers' entries (SERVER_ENTRIES_JOB runs in each).
            owns=self.owns if self.settings.shard_ids is not None else None,
        )
        # Ask the community: the help channels and the questions posted to them (go with the entries above).
        community = CommunityService(CommunityRepository(self._db), feed_clock)
        # What /privacy says is kept only for a while (unfinished readiness assessments, unanswered questions), and
        # delivery records long past (DELIVERIES_KEPT).
        privacy_retention = RetentionSweep(readiness, knowledge, deliveries)
        workers = [
            # Study-group data of members who left, past their server's retention period.
            Worker(PURGE_JOB, PURGE_EVERY, retention.run, needs_ready=False, timeout=PURGE_TIMEOUT),
            # Daily and at start-up, needing no gateway: what fell past its period while the bot was down goes first.
            Worker(RETENTION_JOB, RETENTION_EVERY, privacy_retention.run, needs_ready=False, timeout=RETENTION_TIMEOUT),
            Worker(RECONCILE_JOB, RECONCILE_EVERY, reconciler.run, timeout=RECONCILE_TIMEOUT),
            # After ready: the bot's list of servers says which ones it left (or came back to) while offline.
            Worker(
                SERVER_ENTRIES_JOB,
                SERVER_ENTRIES_EVERY,
                server_entries_retention.run,
                timeout=SERVER_ENTRIES_TIMEOUT,
            ),
            # The askers of community questions 90 days on, and posts that never reached Discord (what /privacy says).
            Worker(
                COMMUNITY_FORGET_JOB,
                COMMUNITY_FORGET_EVERY,
                community.forget_old,
                needs_ready=False,
                timeout=COMMUNITY_FORGET_TIMEOUT,
            ),
            # Dates passed 30 days ago, and their reminders' records, are forgotten (what /privacy says).
            Worker(
                MYDATES_PURGE_JOB,
                MYDATES_PURGE_EVERY,
                mydates.forget_passed,
                needs_ready=False,
                timeout=MYDATES_PURGE_TIMEOUT,
            ),
            Worker(EXPIRY_JOB, EXPIRY_EVERY, quiz_timers.expire, timeout=EXPIRY_TIMEOUT),
            # No timeout: a beat is one small write that logs its own failure as a warning. A timeout would log an
            # error, and every logged error wakes the heartbeat (monitor.on_error below): a stuck database would
            # then wake it again and again. A beat that hangs leaves the heartbeat stale, which `imgbot status`
            # reports as such.
            Worker(HEARTBEAT_JOB, HEARTBEAT_INTERVAL, self._beat, at_start=False, timeout=None),
        ]
        if self.settings.backup_interval_hours > 0:
            every = dt.timedelta(hours=self.settings.backup_interval_hours)
            workers.append(
                Worker(BACKUP_JOB, every, self._backup, at_start=False, needs_ready=False, timeout=BACKUP_TIMEOUT)
            )
        if not self.runs_cluster_jobs:
            # Jobs over the whole database run in the process with shard 0; the others keep those of their servers.
            workers = [w for w in workers if w.name in PER_PROCESS_JOBS]
        for worker in workers:
            runner.add_worker(worker)
        self.workers = tuple(workers)
        # An error logged anywhere is stored soon, not at the next beat.
        self.monitor.on_error = lambda: runner.run_worker_soon(HEARTBEAT_JOB)
        self.add_listener(self._scheduled_work_may_go, "on_shard_ready")
        self.add_listener(self._scheduled_work_may_go, "on_shard_resumed")
        self._services = Services(
            knowledge=knowledge,
            server_entries=server_entries,
            community=community,
            readiness=readiness,
            quiz=quiz,
            milestones=milestones,
            studygroups=studygroups,
            personal_data=personal_data,
            studygroup_dispatch=studygroup_dispatch,
            studygroup_nudges=studygroup_nudges,
            studygroup_retention=retention,
            mydates=mydates,
            quiz_timers=quiz_timers,
            runner=runner,
            cooldowns=Cooldowns(enabled=self.settings.command_cooldowns),
        )
        self.tree.error(self._on_app_command_error)
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    def _live_figures(self) -> LiveFigures:
        # discord.py reports an infinite latency until the gateway acknowledged its first heartbeat.
        latency = self.latency if math.isfinite(self.latency) else None
        jobs = len(self._scheduler.job_ids()) if self._scheduler is not None else 0
        return LiveFigures(latency=latency, guilds=len(self.guilds), jobs=jobs, shards=self.shard_figures())

    def _entry_title(self, entry_id: str) -> str | None:
        entry = self.content.knowledge.knowledge.get(entry_id)
        return entry.title if entry is not None else None

    async def close(self) -> None:
        self.monitor.on_error = None
        if self._scheduler is not None:
            # First, so nothing scheduled (a post, a backup, a beat) runs while the connection and the database close.
            await self._scheduler.shutdown()
            self._scheduler = None
        await super().close()
        await self._stop_heartbeat()
        if self._db is not None:
            await self._db.close()
            self._db = None
        if self._run_lock is not None:
            await self._run_lock.release()
            self._run_lock = None

    async def _open_postgres(self, url: str) -> Connection:
        """Take the run lock (bot/db/lock.py), then open (and upgrade) the database.

        The lock is held while the bot runs. A process of a cluster (SHARDS) holds it shared with the others; a bot
        run as one process holds it alone, so neither can start beside the other. A restore or a migration into the
        database, which want it alone, are refused meanwhile. Upgrading the schema needs it alone too: a process of
        a cluster that finds migrations to apply while other processes run refuses to start instead of changing the
        schema under them."""
        shown = self.settings.database_shown
        cluster = self.settings.shard_ids is not None
        try:
            lock = await PostgresLock.acquire(url, shown, "the bot", shared=cluster)
        except DatabaseInUse as exc:
            raise DatabaseProblem(f"cannot start: {exc}. {_IN_USE_HINT}") from None
        try:
            if cluster and await postgres_upgrade_pending(url):
                await lock.release()
                try:
                    alone = await PostgresLock.acquire(url, shown, "the bot (upgrading the database)", shared=False)
                except DatabaseInUse as exc:
                    raise DatabaseProblem(
                        f"cannot upgrade the database {shown} while other processes of the bot use it "
                        f"({exc.holder}): stop every process, start one (it upgrades the database), then the others"
                    ) from None
                async with alone:
                    upgraded = await open_database(url)
                    await upgraded.close()
                lock = await PostgresLock.acquire(url, shown, "the bot", shared=True)
            db = await open_database(url)
        except BaseException:
            await lock.release()
            raise
        self._run_lock = lock
        return db

    async def _join_cluster(self) -> None:
        """A process of a cluster (SHARDS): say so in the database, and warn when another running process has some
        of the same shards (both would schedule those servers; deliveries stay exactly once, through the claims)."""
        slot = self.settings.cluster_slot
        if slot is None or self._db is None:
            return
        self._registry = ProcessRegistry(self._db)
        self.process = ProcessIdentity.new(slot, self.monitor.started_at)
        if self._run_lock is not None:
            # The others tell this process runs from this lock (bot/observability/cluster.py), held as long as it.
            await self._run_lock.hold_key(instance_key(self.process.instance))
        for other in await self._registry.register(self.process):
            log.warning(
                "another running process (%s on %s, pid %d) has shards %s, overlapping this one's %s: give each "
                "process its own shards (SHARDS); deliveries stay exactly once, but those servers are scheduled twice",
                other.instance,
                other.host,
                other.pid,
                other.slot,
                slot,
            )
        log.info("process %s of a cluster: shards %s", self.process.instance, slot)

    async def _keep_run_lock(self) -> None:
        """PostgreSQL ends the lock with its connection (a restart of the server, a failover, a dropped connection)
        while the pool reconnects unnoticed: then a restore would no longer be refused. Take it again, or stop."""
        lock, url = self._run_lock, self.settings.database_url
        if lock is None or url is None or await lock.still_held():
            return
        log.error("the connection holding the database lock ended (PostgreSQL restarted?); taking the lock again")
        await lock.release()
        self._run_lock = None
        cluster = self.settings.shard_ids is not None
        try:
            again = await PostgresLock.acquire(
                url.get_secret_value(), self.settings.database_shown, "the bot", shared=cluster
            )
        except (DatabaseInUse, OSError, asyncpg.PostgresError) as exc:
            log.critical("cannot take the database lock again (%s): stopping, so nothing changes under a restore", exc)
            self._stopping = asyncio.get_running_loop().create_task(self.close())
            return
        if self.process is not None:
            await again.hold_key(instance_key(self.process.instance))
        self._run_lock = again

    async def _process_beat(self, state: State) -> None:
        if self._registry is not None and self.process is not None:
            await self._registry.beat(self.process, self._live_figures(), state)
            if state == "running" and self.settings.rate_share is None:
                await self._share_by_servers(self._registry, self.process)

    async def _share_by_servers(self, registry: ProcessRegistry, me: ProcessIdentity) -> None:
        """Pace at this process's share of the bot's servers once every shard's process has reported them: a fan-out
        ends when the process with the most servers is done, so shares by shards (equal for equal ranges) would
        leave the busiest one slowest. Each process reads the same heartbeats, so the shares add up to the budget."""
        share = server_share(me, len(self.guilds), await registry.processes(), dt.datetime.now(dt.UTC))
        budget = self._budget
        if share is None or budget is None:
            return
        rate = SCHEDULED_PER_SECOND * min(1.0, max(share, 0.01))
        if abs(rate - budget.per_second) > 0.02 * budget.per_second:
            log.info(
                "scheduled posts paced at %.1f/s: this process's share of the bot's servers (%.1f %%)",
                rate,
                share * 100,
            )
            budget.set_rate(rate)

    async def _stop_heartbeat(self) -> None:
        """Record a clean stop (with any last errors) while the database is still open (the heartbeat's worker
        stopped with the scheduler)."""
        if self._beating:
            self._beating = False
            if self._status is not None and self._db is not None:
                try:
                    await self._process_beat("stopped")
                    await self._status.beat("stopped")
                except Exception:
                    log.warning("could not record the clean stop in the status heartbeat", exc_info=True)
        if self._error_collector is not None:
            logging.getLogger().removeHandler(self._error_collector)
            self._error_collector = None

    async def _on_app_command_error(
        self, interaction: discord.Interaction[ImgBot], error: app_commands.AppCommandError
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
        await self._process_beat("running")
        log.info("status heartbeat at ready: %d servers, %d scheduled jobs", beat.guilds, beat.jobs)
        # From here on the heartbeat is a worker (every minute); before ready there is nothing to report.
        self._beating = True
        # Start-up is over once the search indexes are built: keep the garbage collector off what it left behind
        # (bot/startup_heap.py says why; once per process).
        await freeze_startup_heap(self.content.knowledge.search_index.wait_until_ready)
