"""A member's personal data across every feature: export it, delete it, and explain it in plain words.

``PersonalData`` asks each feature (a ``PersonalDataSource``) for what it holds about a user id and to delete
it. Every source declares the ``(table, column)`` pairs it covers; ``uncovered_columns`` lists the columns in
the live schema that look like they hold a person's id (``user_id``, ``member_id``, ``*_user``, ``*_by`` ...)
and that no source covers. A unit test fails on any such column, so a new feature cannot forget the members'
data; the app can also log them at start-up.

Each feature answers for its own data, over its own repository: its source lives in its package
(``bot/<feature>/personal_data.py``; ``ServerEntryAuthors`` in ``bot/knowledge/server_entries.py``,
``InterviewData`` in ``bot/interviews/personal.py``), and ``PersonalData.for_features`` composes them. This module
holds no feature's SQL.

Deleting is per source, each in its own transaction: if one fails, the others have already happened and
running the delete again finishes the job (every step is idempotent). Every deletion is first written to the
deletion ledger (``bot/deletion_ledger.py``), so that a database restored from an older backup is cleaned again:
``PersonalData.reapply_deletions`` at every start-up, ``reapply_deletions(conn, content)`` after a restore.

``RetentionSweep.run`` forgets what /privacy says is kept only for a while (unfinished readiness assessments,
unanswered questions), and old delivery records: the bot runs it daily and at start-up (``RETENTION_JOB``, registered
in ``bot/app.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.db.connection import Connection
from bot.db.schema import table_columns
from bot.db.timestamps import Clock, utc_now
from bot.deletion_ledger import DeletionLedger, user_hash
from bot.interviews.personal import InterviewData
from bot.knowledge.community import ASKER_KEPT, CommunityAskers
from bot.knowledge.community_repository import CommunityRepository
from bot.knowledge.feedback import REASONS_KEPT
from bot.knowledge.personal_data import KnowledgeVotes
from bot.knowledge.repository import UNANSWERED_KEPT, KnowledgeFeedbackRepository
from bot.knowledge.server_entries import ServerEntryAuthors
from bot.knowledge.server_repository import ServerEntryRepository
from bot.milestones.personal_data import ServerRecords
from bot.milestones.repository import MilestoneRepository
from bot.mydates.models import FORGET_AFTER
from bot.mydates.personal_data import MyDatesData
from bot.mydates.repository import MyDatesRepository
from bot.quiz.personal_data import QuizData
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.personal_data import ReadinessData
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import SESSION_TTL, ReadinessService
from bot.scheduling.delivery import DELIVERIES_KEPT, DeliveryRepository
from bot.studygroups.models import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS
from bot.studygroups.personal_data import StudyGroupData
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import NUDGE_RECORDS_KEPT, StudyGroupService
from bot.studygroups.streaks import NUDGE_LOCAL_TIME

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.content import Content
    from bot.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)

# Column names that hold a person's id: user_id, member_id, author_id, owner_id, host_user, voter_id? (no: add
# such names here when they appear), and "who did it" columns such as created_by or configured_by.
PERSONAL_COLUMN = re.compile(r"^(?:.*_)?(?:user|member|author|owner)(?:_id)?$|_by$", re.IGNORECASE)


_ID_KEY = re.compile(r"(?:^|_)ids?$")
SAFE_INTEGER = 2**53
"""JSON readers that hold numbers as doubles (JavaScript, spreadsheets) round integers from here on; Discord's ids are
far above it."""


def ids_as_strings(value: Any, key: str = "") -> Any:
    """``value`` with every id as a string, like the export's ``user_id``: any integer under a key named ``id``,
    ``…_id`` or ``…_ids`` (a server, channel or row id is a name, not a quantity), and any integer too large for a
    JSON reader that uses doubles (a snowflake under another name)."""
    if isinstance(value, Mapping):
        return {k: ids_as_strings(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [ids_as_strings(item, key) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and (_ID_KEY.search(key) or abs(value) >= SAFE_INTEGER):
        return str(value)
    return value


class PersonalDataSource(Protocol):
    """One feature's share of a member's data."""

    @property
    def name(self) -> str:
        """The section of the export, e.g. ``quiz``."""

    @property
    def covers(self) -> frozenset[tuple[str, str]]:
        """The (table, column) pairs holding user ids that ``delete`` clears."""

    async def export(self, user_id: int) -> Any:
        """Everything this feature holds about the user, as JSON-ready values."""

    async def delete(self, user_id: int) -> dict[str, int]:
        """Delete (or, for records that belong to a server, un-name) the user's data; counts by kind."""

    async def user_ids(self) -> set[int]:
        """Everyone this feature holds something about (to apply a deletion again, whose ledger keeps only a hash)."""


# -- the aggregator ------------------------------------------------------------------------------------------


async def personal_columns(conn: Connection) -> list[tuple[str, str]]:
    """Every (table, column) of the live schema whose name says it holds a person's id."""
    return [(table, column) for table, column in await table_columns(conn) if PERSONAL_COLUMN.search(column)]


@dataclass(frozen=True)
class BackupPolicy:
    """How the running bot backs its database up (``BACKUP_INTERVAL_HOURS``, ``BACKUP_KEEP``): what /privacy and
    /mydata delete say about copies in backups."""

    interval_hours: float
    keep: int

    @classmethod
    def of(cls, settings: Settings) -> BackupPolicy:
        return cls(settings.backup_interval_hours, settings.backup_keep)

    @property
    def kept_for(self) -> dt.timedelta | None:
        """How long something deleted stays in the scheduled backups: ``keep`` x ``interval`` (None: none made)."""
        return None if self.interval_hours <= 0 else dt.timedelta(hours=self.interval_hours * self.keep)


DEFAULT_BACKUPS = BackupPolicy(interval_hours=24, keep=7)
"""The settings' defaults (bot/config.py)."""


@dataclass(frozen=True)
class ReapplyReport:
    deletions: int
    """Deletions in the ledger this database had not applied."""
    members: int
    """Members of those found in the database and deleted again."""
    rows: int


class PersonalData:
    """/mydata export and /mydata delete across every feature, and the deletion ledger behind delete."""

    def __init__(
        self,
        conn: Connection,
        sources: Sequence[PersonalDataSource],
        clock: Clock = utc_now,
        *,
        backups: BackupPolicy | None = None,
    ) -> None:
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"personal data sources need distinct names: {names}")
        self._conn = conn
        self.sources = tuple(sources)
        self._clock = clock
        self.ledger = DeletionLedger(conn)
        self.backups = backups or DEFAULT_BACKUPS

    @classmethod
    def for_features(
        cls,
        conn: Connection,
        *,
        quiz: QuizService,
        readiness: ReadinessService,
        studygroups: StudyGroupService,
        clock: Clock = utc_now,
        backups: BackupPolicy | None = None,
    ) -> PersonalData:
        """Every feature the bot has today; add a source here when a feature stores something about people."""
        sources: list[PersonalDataSource] = [
            KnowledgeVotes(KnowledgeFeedbackRepository(conn)),
            QuizData(quiz),
            ReadinessData(readiness),
            StudyGroupData(studygroups),
            MyDatesData(MyDatesRepository(conn)),
            ServerRecords(MilestoneRepository(conn)),
            InterviewData.of(conn),
            ServerEntryAuthors(ServerEntryRepository(conn)),
            CommunityAskers(CommunityRepository(conn)),
        ]
        return cls(conn, sources, clock, backups=backups)

    @property
    def covered(self) -> frozenset[tuple[str, str]]:
        return frozenset().union(*(s.covers for s in self.sources))

    async def uncovered_columns(self) -> list[tuple[str, str]]:
        """Columns that look like they hold a person's id but no source deletes: should be empty."""
        covered = self.covered
        return [c for c in await personal_columns(self._conn) if c not in covered]

    async def export(self, user_id: int) -> dict[str, Any]:
        """Everything the bot holds about ``user_id``, one section per feature (JSON-ready)."""
        data: dict[str, Any] = {
            "about": "Everything this bot stores about you. See /privacy for why and for how long.",
            "user_id": str(user_id),
            "exported_at": self._clock().astimezone(dt.UTC).isoformat(timespec="seconds"),
        }
        for source in self.sources:
            data[source.name] = ids_as_strings(await source.export(user_id))
        return data

    async def export_json(self, user_id: int) -> bytes:
        """The export as the UTF-8 JSON file the cog attaches."""
        return to_json(await self.export(user_id))

    async def delete(self, user_id: int) -> dict[str, int]:
        """Delete everything about ``user_id`` everywhere; returns rows deleted (or un-named) by kind.

        The deletion goes to the ledger first, and is marked applied in this database last: a restored older
        backup, or a delete cut short by a crash, is finished at the next start (``reapply_deletions``). It is
        recorded even when nothing was found: an older backup may still hold the member."""
        entry = await self.ledger.record(user_id)
        counts = await self._delete_everywhere(user_id)
        await self.ledger.mark_applied([entry])
        log.info("deleted a member's personal data (%d rows); recorded in the deletion ledger", sum(counts.values()))
        return counts

    async def user_ids(self) -> set[int]:
        """Everyone any feature holds something about."""
        found: set[int] = set()
        for source in self.sources:
            found |= await source.user_ids()
        found.discard(0)
        return found

    async def reapply_deletions(self) -> ReapplyReport:
        """Apply again the ledger's deletions this database has not seen (it was restored from a backup older than
        them, or a delete was cut short), then mark them applied. The bot runs this at start-up before anything
        else; it costs one small read when nothing is pending."""
        pending = await self.ledger.pending()
        if not pending:
            return ReapplyReport(0, 0, 0)
        key = await self.ledger.key()
        wanted = {entry.user_hash for entry in pending}
        members = [uid for uid in sorted(await self.user_ids()) if user_hash(key, uid) in wanted]
        rows = 0
        for uid in members:
            rows += sum((await self._delete_everywhere(uid)).values())
        await self.ledger.mark_applied(pending)
        log.warning(
            "deletion ledger: applied again %d deletion(s) this database had not seen (%d member(s) still in it, "
            "%d rows); it was restored from an older backup, or a deletion was interrupted",
            len(pending),
            len(members),
            rows,
        )
        return ReapplyReport(len(pending), len(members), rows)

    async def _delete_everywhere(self, user_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for source in self.sources:
            for kind, number in (await source.delete(user_id)).items():
                counts[kind] = counts.get(kind, 0) + number
        return counts


def personal_data_for(
    conn: Connection,
    content: Content,
    *,
    clock: Clock = utc_now,
    backups: BackupPolicy | None = None,
) -> PersonalData:
    """``PersonalData`` over ``conn`` outside the running bot (`imgbot privacy`, after a restore): the same sources,
    services and ledger as /mydata."""
    return PersonalData.for_features(
        conn,
        quiz=QuizService(content.quiz_bank, QuizRepository(conn), clock=clock),
        readiness=ReadinessService(
            ReadinessRepository(conn), content.specialties, content.calendar, clock, words=content.questionnaire_words
        ),
        studygroups=StudyGroupService(StudyGroupRepository(conn), clock),
        clock=clock,
        backups=backups,
    )


async def reapply_deletions(conn: Connection, content: Content) -> ReapplyReport:
    """The restore hook: after a database file was replaced (``imgbot db restore``), apply again every deletion of
    the ledger (the file beside ``conn``'s database) that the restored database has not seen. ``conn`` must be
    migrated (``open_database``). The bot also does this at every start-up, so a file copied back by hand is
    cleaned before the bot answers anyone."""
    return await personal_data_for(conn, content).reapply_deletions()


# -- retention ------------------------------------------------------------------------------------------------

RETENTION_JOB = "privacy:retention"
RETENTION_EVERY = dt.timedelta(days=1)
"""What is past its period (30 and 90 days) is forgotten at most a day after /privacy says, and at every start-up;
each run is a few indexed statements. A worker of the scheduling runner (``bot/app.py``)."""
RETENTION_TIMEOUT = dt.timedelta(minutes=10)
"""A few indexed statements take well under a second even after months of downtime (the first delivery prune after
the upgrade that brought it, with years of records: under a minute); a run still going after this is stuck on the
database, and ending it lets the next day's run start (a prune cut short keeps what it already forgot)."""


@dataclass(frozen=True)
class RetentionRun:
    readiness_sessions: int
    unanswered_questions: int
    vote_reasons: int = 0
    deliveries: int = 0


class RetentionSweep:
    """Forgets what /privacy says is kept only for a while: unfinished readiness assessments 30 days after their
    last answer (``SESSION_TTL``), unanswered questions 90 days after they were last asked (``UNANSWERED_KEPT``),
    and why a member marked an answer not helpful 90 days after they said it (``REASONS_KEPT``); and the records of
    scheduled posts finished more than ``DELIVERIES_KEPT`` ago (400 days; these name servers and channels, not
    members: the rows that name a member go much sooner, with their feature's data, as /privacy says).
    The bot runs ``run`` as the worker ``RETENTION_JOB`` (every ``RETENTION_EVERY``, and once at start-up to catch up
    after downtime); it needs no gateway, and running it twice deletes nothing twice."""

    def __init__(
        self,
        readiness: ReadinessService,
        knowledge: KnowledgeService,
        deliveries: DeliveryRepository,
        clock: Clock = utc_now,
    ) -> None:
        self.readiness = readiness
        self.knowledge = knowledge
        self._clock = clock
        self.deliveries = deliveries

    async def run(self) -> RetentionRun:
        sessions = await self.readiness.purge_stale()
        questions = await self.knowledge.purge_unanswered(self._clock())
        reasons = await self.knowledge.purge_vote_reasons(self._clock())
        deliveries = await self.deliveries.prune_finished(self._clock() - DELIVERIES_KEPT)
        if sessions or questions or reasons or deliveries:
            log.info(
                "retention: forgot %d unfinished readiness assessment(s), %d unanswered question(s), the reasons "
                "for %d not-helpful vote(s) and %d delivery record(s)",
                sessions,
                questions,
                reasons,
                deliveries,
            )
        return RetentionRun(sessions, questions, reasons, deliveries)


def parse_user_id(text: str) -> int | None:
    """A Discord user id as an operator types it: 17 to 19 digits (every account since 2015) below 2**63; None
    when it is not one."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and 17 <= len(text) <= 19):
        return None
    value = int(text)
    return value if value < 2**63 else None


def to_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


# -- plain words ---------------------------------------------------------------------------------------------

DELETION_LABELS: dict[str, tuple[str, str]] = {
    "knowledge_votes": ("vote on an answer", "votes on answers"),
    "quiz_records": ("quiz record", "quiz records (answers and quizzes)"),
    "readiness_records": ("readiness record", "readiness records (assessment and saved results)"),
    "studygroup_checkins": ("study-group check-in", "study-group check-ins"),
    "studygroup_memberships": ("study-group membership", "study-group memberships"),
    "studygroup_settings": (
        "personal setting (time zone, reminders)",
        "personal settings (time zone, reminders)",
    ),
    "studygroup_departures": ("record of leaving a server", "records of leaving a server"),
    "studygroup_nudges": ("record of a streak reminder", "records of streak reminders"),
    "interview_notes": ("note on a practice answer", "notes on practice answers"),
    "interview_log_entries": ("interview in your log", "interviews in your log (with your rank draft)"),
    "my_dates": ("date of your own (/mydates)", "dates of your own (/mydates)"),
    "my_dates_settings": (
        "/mydates setting (recaps, paused reminders)",
        "/mydates settings (recaps, paused reminders)",
    ),
    "my_dates_reminders": ("record of a date reminder", "records of date reminders"),
    "mock_interview_sessions": ("place in a mock interview session", "places in mock interview sessions"),
    "mock_feedback_received": ("mock interview feedback you received", "mock interview feedback forms you received"),
    "mock_feedback_given_unnamed": (
        "mock interview feedback you gave, no longer naming you",
        "mock interview feedback forms you gave, no longer naming you",
    ),
    "mock_sessions_unnamed": (
        "mock interview session you started, no longer naming you",
        "mock interview sessions you started, no longer naming you",
    ),
    "server_records_unnamed": (
        "server announcement or event no longer naming you",
        "server announcements or events no longer naming you",
    ),
    "server_entries_unnamed": (
        "server knowledge entry no longer naming you",
        "server knowledge entries no longer naming you",
    ),
    "community_questions_unnamed": (
        "question you asked the community, no longer naming you",
        "questions you asked the community, no longer naming you",
    ),
}


def deletion_counts_text(counts: Mapping[str, int]) -> str:
    """``12 study-group check-ins, 1 vote on an answer`` (empty when nothing was deleted)."""
    parts = []
    for kind, number in counts.items():
        if number <= 0:
            continue
        one, many = DELETION_LABELS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
        parts.append(f"{number} {one if number == 1 else many}")
    return ", ".join(parts)


def describe_deletion(counts: Mapping[str, int], backups: BackupPolicy | None = None) -> str:
    """``Deleted: 12 study-group check-ins, 1 vote on an answer.`` or that there was nothing to delete; with
    ``backups``, what happens to the copies in backups."""
    deleted = deletion_counts_text(counts)
    if not deleted:
        return "There was nothing stored about you, so nothing needed deleting."
    text = (
        f"Deleted: {deleted}. Nothing about you is left in the bot's database but a scrambled note of this deletion, "
        "kept so that it is applied again if an older backup is ever restored."
    )
    kept_for = None if backups is None else backups.kept_for
    if kept_for is not None:
        text += f" Backups made before now still hold your data for up to {_duration(kept_for)}."
    return text


def _duration(delta: dt.timedelta) -> str:
    """``7 days``, ``36 hours``, ``1 hour``: rounded up, as an "up to" must be."""
    hours = delta.total_seconds() / 3600
    if hours < 48:
        whole = max(1, math.ceil(hours))
        return f"{whole} {'hour' if whole == 1 else 'hours'}"
    days = math.ceil(hours / 24)
    return f"{days} days"


def _backups_text(backups: BackupPolicy) -> str:
    again = (
        "If an older copy is ever restored, your /mydata delete is applied to it again before I answer anyone: for "
        "that I keep a list of deletions, each with a scrambled form of the user id (never the id itself)."
    )
    by_hand = "Copies made by hand last as long as whoever runs me keeps them."
    kept_for = backups.kept_for
    if kept_for is None:
        return f"I make no backups of my database by myself. {by_hand} {again}"
    every = "hour" if backups.interval_hours == 1 else f"{backups.interval_hours:g} hours"
    copies = "copy" if backups.keep == 1 else f"{backups.keep} copies"
    return (
        f"Every {every} I copy my database and keep the last {copies}, so what you delete stays in those copies for "
        f"up to {_duration(kept_for)}, then it is gone. {by_hand} {again}"
    )


def _retention_line(retention_days: int | None) -> str:
    if retention_days is None:
        period = f"the server's retention period ({DEFAULT_RETENTION_DAYS} days unless the server changed it)"
    elif retention_days == 0:
        period = "this server's retention period: **0 days**, so soon after you leave"
    else:
        period = f"this server's retention period: **{retention_days} {'day' if retention_days == 1 else 'days'}**"
    return (
        "• When you leave a server, your study groups there end, and your study-group data from that server is "
        f"deleted after {period}, unless you come back before then. (Servers choose 0 to {MAX_RETENTION_DAYS} "
        f"days; the default is {DEFAULT_RETENTION_DAYS}. Leaving while I am offline, or removing me from the "
        "server, is noticed within a day, and the period counts from then; /mydata delete always works.)"
    )


def privacy_sections(
    retention_days: int | None = None, backups: BackupPolicy = DEFAULT_BACKUPS
) -> tuple[tuple[str, str], ...]:
    """/privacy as (title, body) embed fields; ``retention_days`` is the server's setting when asked in a server
    (None: in a DM, where only the default can be stated); ``backups`` the bot's backup settings."""
    nudge_time = f"{NUDGE_LOCAL_TIME:%H:%M}"
    return (
        (
            "What I keep about you, and why",
            "Only what you give me through commands and buttons, so that each feature works for you:\n"
            "• **Study groups**: the groups you join, your check-ins (what you wrote, your numbers, the day), "
            "your time zone and whether you want streak reminders. For streaks, /progress and weekly recaps.\n"
            f"• **Streak reminders** (only if you turn them on): a DM at {nudge_time} your time when your streak "
            "would break tonight, and a note of the day it was sent, so it is sent only once.\n"
            "• **Quizzes**: your answers and scores. For your stats, the review of questions you missed, and "
            "leaderboards.\n"
            "• **Readiness**: an unfinished assessment (so you can resume it) and, only if you choose to save "
            "them, your results (the levels, not your answers). For /readiness history.\n"
            "• **Helpful votes** on answers, and why one was not, if you say. To improve the knowledge base (that "
            "server's moderators see why, not who).\n"
            "• If you set up milestone announcements or a server event as a moderator, your user id, so that I "
            "can tell you when something needs fixing.",
        ),
        (
            "Interview practice and your rank draft",
            "Only what you choose to save: notes on your practice answers (with the question), your interview log "
            "(program, date, impression, notes) and your rank draft's order and notes. Only you see them, in private "
            "replies; nothing is posted, shared or sent to NRMP unless you post it yourself. They stay until you "
            "delete them in /interview notes or /interview history, or all at once with /mydata delete.",
        ),
        (
            "Mock interviews",
            "When you take part in a mock interview session (/interview mock): that you joined, your table, and the "
            "feedback forms: those your interviewers gave you (only you read them, with My feedback) and those you "
            "gave (only your candidate reads them). Who sat together is used to pair members who have not "
            "practised together yet. It stays until /mydata delete: then the feedback you received is deleted, and "
            "the feedback you gave stays with the member you gave it to, without your name.",
        ),
        (
            "What I do not keep",
            "I do not read or store your messages. A question the knowledge base could not answer is kept as text "
            "only, without who asked, for the moderators of the server where it was asked (never one you asked "
            "with private: True). Nothing is sold or shared; other members only see what you post in "
            "the server, and weekly recaps name only members who checked in that week. Members of a study group "
            "you are in, and moderators (Manage Server), can see your streak and totals with /progress user:, "
            "privately.",
        ),
        (
            "How long",
            "• Check-ins, group memberships, quiz results, saved readiness results and votes stay until you "
            "delete them with /mydata delete.\n"
            f"• An unfinished readiness assessment is forgotten {SESSION_TTL.days} days after your last answer, an "
            f"unanswered question {UNANSWERED_KEPT.days} days after it was last asked, why you marked an answer not "
            f"helpful {REASONS_KEPT.days} days after you said it. The note that a streak reminder was sent is "
            f"forgotten {NUDGE_RECORDS_KEPT.days} days later.\n"
            f"{_retention_line(retention_days)}\n"
            "• The bot's technical logs, kept by whoever runs the bot to fix problems, can contain your user id.",
        ),
        (
            "Your own dates (/mydates)",
            "Only the dates you add: each one's kind, title, time and time zone, and its reminders. Adding a date "
            "with reminders is asking for them by DM (`reminders: none` adds one without); a note of each reminder "
            "sent keeps it from being sent twice. If I cannot DM you, I note it, pause your reminders and tell you "
            "the next time you use /mydates, which turns them back on. In a server where you turn on "
            "`/mydates share-in-recaps`, study-group weekly recaps count you among members with an exam in the next "
            "14 days, and name you only if you chose `named: True`. A date is forgotten "
            f"{FORGET_AFTER.days} days after it passes, with the notes of its reminders; `/mydates remove` and "
            "/mydata delete remove it sooner.",
        ),
        (
            "A server's own answers (/knowledge add)",
            "If you add or change one of a server's own knowledge entries as a moderator, your user id is kept with "
            "it and shown on it as who added or last edited it, and when. The entry belongs to the server: /mydata "
            "export lists it for you, /mydata delete removes your name from it (the entry stays, naming nobody), and "
            "it is deleted with the server's other data when I am removed from the server, after the server's "
            "retention period, unless I am added back first.",
        ),
        (
            "Ask the community",
            "If you post a question from /ask in a server's help channel, I keep it, where it went, its marked answer "
            "and your user id, also when anonymous (never shown; so you can mark the answer and find it in /mydata). "
            f"Your id goes {ASKER_KEPT.days} days after you asked, or at /mydata delete; the rest goes with the "
            "server's data if I am removed from it.",
        ),
        ("Backups", _backups_text(backups)),
        (
            "Your choices",
            "/mydata export sends you everything I hold about you as a file, only to you. /mydata delete removes "
            "all of it, in every feature, after you confirm, and tells you what was deleted. /settings changes "
            "your time zone and turns streak reminders on or off; if your DMs are closed to the bot, reminders "
            "turn themselves off.",
        ),
    )


PRIVACY_SECTIONS: tuple[tuple[str, str], ...] = privacy_sections()

PRIVACY_TEXT = "\n\n".join(f"**{title}**\n{body}" for title, body in PRIVACY_SECTIONS)
"""The whole /privacy text; ``PRIVACY_SECTIONS`` has the same words as embed fields (< 1024 chars)."""
