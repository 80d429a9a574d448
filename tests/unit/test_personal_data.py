"""/mydata across every feature: after a delete nothing of the member is left in any table, others keep
theirs, and every column that looks like it holds a person's id is covered, so a new feature cannot forget
it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.config import Settings
from bot.content import Content
from bot.db.connection import Connection
from bot.db.postgres import PgConnection
from bot.db.schema import table_columns
from bot.interviews.mock import Phase, State, Table
from bot.interviews.mock_repository import MockRepository
from bot.interviews.repository import InterviewRepository
from bot.knowledge.community_repository import CommunityRepository
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.knowledge.server_entries import ServerEntryForm
from bot.knowledge.server_repository import ServerEntryRepository
from bot.milestones.repository import MilestoneRepository
from bot.mydates.models import DateKind
from bot.mydates.reminders import reminder_key
from bot.mydates.repository import REMINDER_TARGET_KIND, MyDatesRepository
from bot.privacy import (
    DELETION_LABELS,
    PRIVACY_SECTIONS,
    PRIVACY_TEXT,
    BackupPolicy,
    PersonalData,
    describe_deletion,
    parse_user_id,
    personal_columns,
    privacy_sections,
)
from bot.quiz.options import QuizStartOptions
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.models import Area, AreaStatus, OverallLevel
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.scheduling import DeliveryRecord, DeliveryRepository, delivery_nonce
from bot.studygroups.models import CheckInEntry, GroupCreateOptions, MemberSettingsOptions, parse_with_clock
from bot.studygroups.nudges import nudge_delivery_key
from bot.studygroups.repository import NUDGE_TARGET_KIND, StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from bot.validation import parse_form, parse_options

# Snowflake-sized ids that no other number in the database contains, so a text search finds only them.
ALICE = 731_245_678_901_234_567
BOB = 845_129_876_543_210_987
GUILD, OTHER_GUILD = 4_000_000_000_000_001, 4_000_000_000_000_002
CHANNEL, QUIZ_CHANNEL, OTHER_CHANNEL = 5_000_000_000_000_001, 5_000_000_000_000_002, 5_000_000_000_000_003
NOW = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return NOW


@pytest.fixture
def services(conn: Connection, content: Content) -> dict[str, Any]:
    return {
        "quiz": QuizService(content.quiz_bank, QuizRepository(conn), clock=clock),
        "readiness": ReadinessService(
            ReadinessRepository(conn), content.specialties, content.calendar, clock, words=content.questionnaire_words
        ),
        "studygroups": StudyGroupService(StudyGroupRepository(conn), clock),
    }


@pytest.fixture
def personal(conn: Connection, services: dict[str, Any]) -> PersonalData:
    return PersonalData.for_features(conn, clock=clock, **services)


async def populate(conn: Connection, services: dict[str, Any]) -> None:
    """Give Alice and Bob data in every feature, including a group quiz Alice started and both are playing."""
    votes = KnowledgeFeedbackRepository(conn)
    for user in (ALICE, BOB):
        await votes.record_vote("soap", user, True, NOW)

    quiz: QuizService = services["quiz"]
    for user in (ALICE, BOB):
        solo = await quiz.start_solo(
            user, guild_id=GUILD, channel_id=CHANNEL, options=parse_options(QuizStartOptions, questions=3)
        )
        await quiz.answer_solo(user, 0, number=solo.question.number)
    group = await quiz.start_group(GUILD, QUIZ_CHANNEL, ALICE, parse_options(QuizStartOptions, mode="group"))
    for user in (ALICE, BOB):
        await quiz.answer_group(QUIZ_CHANNEL, user, 1, number=group.question.number)

    readiness = ReadinessRepository(conn)
    for user in (ALICE, BOB):
        await readiness.add_result(
            user,
            NOW,
            OverallLevel.NEEDS_WORK,
            {Area.USMLE: AreaStatus.READY, Area.USCE: AreaStatus.RED_FLAG},
            keep=5,
        )
        await readiness.put_session(
            user, {"target_match": "2028"}, "step1", completed=False, started_at=NOW, updated_at=NOW
        )

    groups: StudyGroupService = services["studygroups"]
    await groups.create_group(
        GUILD, parse_with_clock(GroupCreateOptions, NOW, name="Evening", channel_id=CHANNEL), creator_id=BOB
    )
    await groups.create_group(
        OTHER_GUILD,
        parse_with_clock(GroupCreateOptions, NOW, name="Other", channel_id=OTHER_CHANNEL),
        creator_id=ALICE,
    )
    for user in (ALICE, BOB):
        await groups.update_settings(
            user, parse_with_clock(MemberSettingsOptions, NOW, timezone="Asia/Kolkata", nudge=True)
        )
        await groups.check_in(
            GUILD,
            user,
            CheckInEntry.model_validate({"studied": f"cardio, with <@{user}> notes", "questions": "40"}),
            channel_id=CHANNEL,
        )
        await groups.check_in(
            OTHER_GUILD, user, CheckInEntry.model_validate({"studied": "renal"}), channel_id=OTHER_CHANNEL
        )
    await groups.member_left(OTHER_GUILD, ALICE, NOW)
    # A streak nudge DM each: the row names the member only in its key and target_ref.
    deliveries = DeliveryRepository(conn)
    for user in (ALICE, BOB):
        key = nudge_delivery_key(user, NOW.date())
        record = DeliveryRecord(
            key, f"sg-nudge:{user}", 0, 0, NUDGE_TARGET_KIND, str(user), 0, NOW, NOW, delivery_nonce(key)
        )
        await deliveries.claim(record, NOW)
        await deliveries.mark_sent(key, 1_400_000_000_000_000_000 + user % 1000, NOW)

    interviews = InterviewRepository(conn)
    for user in (ALICE, BOB):
        await interviews.add_note(user, "tell-me-about-yourself", "Tell me about yourself.", "Too long.", NOW)
        await interviews.add_entry(user, "Mercy Hospital IM", NOW.date(), 4, "J-1 only", NOW)
    # Their own dates: shared in a server's recaps, a reminder DM sent (a row naming them in its key and
    # target_ref), and reminders paused after a refused DM.
    dates = MyDatesRepository(conn)
    for user in (ALICE, BOB):
        starts_at, offset = NOW + dt.timedelta(days=7), dt.timedelta(days=1)
        added = await dates.add(
            user, DateKind.OET, f"OET with <@{user}>", starts_at, "Asia/Kolkata", (offset,), NOW, limit=50
        )
        assert added is not None
        await dates.set_sharing(user, GUILD, True, True, NOW)
        await dates.pause(user, "OET exam", NOW)
        key = reminder_key(user, added.id, offset)
        record = DeliveryRecord(
            key,
            f"md:{user}:{added.id}",
            0,
            0,
            REMINDER_TARGET_KIND,
            str(user),
            86400,
            starts_at,
            NOW,
            delivery_nonce(key),
        )
        await deliveries.claim(record, NOW)
        await deliveries.mark_sent(key, 1_500_000_000_000_000_000 + user % 1000, NOW)
    # A mock interview session Alice started with Bob: she interviewed him in round 1 and gave him feedback; in round
    # 2 she received feedback from a second interviewer who has since deleted their data (author 0, no seat).
    mock = MockRepository(conn)
    lobby = State(Phase.LOBBY, 0, NOW)
    session = await mock.create_session(
        guild_id=GUILD, channel_id=CHANNEL, group_id=1, started_by=ALICE, minutes=10, seed=7, state=lobby, now=NOW
    )
    assert session is not None
    for user in (ALICE, BOB):
        await mock.add_participant(session, user, NOW, 16)
    await mock.start(session, lobby, State(Phase.ROUND, 1, NOW), [Table(ALICE, BOB)], NOW)
    await mock.save_feedback(session, 1, ALICE, BOB, (4, 3, 5), "A clear story.", "Shorter start.", NOW)
    await mock.save_feedback(session, 2, 0, ALICE, (3, 4, 4), "Warm and honest.", "One example more.", NOW)

    # A server's own knowledge entries: Alice added one that Bob changed last, Bob added another.
    server_entries = ServerEntryRepository(conn)
    resources = parse_form(ServerEntryForm, title="Resources", answer="Pinned in #resources.")
    added = await server_entries.add(GUILD, resources, ALICE, NOW, limit=200)
    assert added is not None
    await server_entries.update(GUILD, added.id, resources, BOB, NOW)
    hours = parse_form(ServerEntryForm, title="Study hall hours", answer="Evenings.")
    await server_entries.add(GUILD, hours, BOB, NOW, limit=200)

    # Ask the community: Alice asked with her name, Bob anonymously (his id is still kept, privately).
    community = CommunityRepository(conn)
    await community.set_help_channel(GUILD, CHANNEL, NOW)
    for user, anonymous in ((ALICE, False), (BOB, True)):
        asked = await community.reserve(
            GUILD, CHANNEL, user, "Does a gap year hurt?", "programs", anonymous, NOW, since=NOW - dt.timedelta(hours=1)
        )
        assert asked is not None

    milestones = MilestoneRepository(conn)
    await milestones.save_subscription(GUILD, CHANNEL, None, None, ALICE, NOW)
    await milestones.save_subscription(OTHER_GUILD, OTHER_CHANNEL, None, None, BOB, NOW)
    for user in (ALICE, BOB):
        await milestones.add_event(
            GUILD,
            CHANNEL,
            "Mock exam",
            "",
            NOW + dt.timedelta(days=7),
            "UTC",
            (dt.timedelta(days=1),),
            user,
            NOW,
        )


async def traces(conn: Connection, user_id: int) -> dict[str, int]:
    """Rows per table in which any column, as text, holds the id (equals it, or contains it: JSON state, keys)."""
    columns: dict[str, list[str]] = {}
    for table, column in await table_columns(conn):
        columns.setdefault(table, []).append(column)
    found: dict[str, int] = {}
    for table, names in columns.items():
        # As text on both backends (PostgreSQL compares a BIGINT column with a text pattern only once cast).
        condition = " OR ".join(f'CAST("{c}" AS TEXT) LIKE ?' for c in names)
        params = [f"%{user_id}%"] * len(names)
        async with conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE {condition}', params) as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            found[table] = int(row[0])
    return found


async def test_every_personal_column_is_covered(personal: PersonalData, conn: Connection) -> None:
    columns = await personal_columns(conn)
    assert ("study_checkins", "user_id") in columns and ("server_events", "created_by") in columns
    assert await personal.uncovered_columns() == [], (
        "a table stores a person's id that /mydata delete does not remove: add a PersonalDataSource for it "
        "in the feature (bot/<feature>/personal_data.py) and list it in PersonalData.for_features (bot/privacy.py)"
    )
    # Every covered column exists: a renamed column would otherwise silently drop out of the check.
    assert personal.covered <= set(columns)


async def test_a_new_table_with_a_user_column_is_caught(personal: PersonalData, conn: Connection) -> None:
    await conn.executescript(
        "CREATE TABLE future_feature (id INTEGER PRIMARY KEY, owner_id INTEGER, note TEXT);"
        "CREATE TABLE future_votes (voter_user INTEGER, reviewed_by INTEGER, member_id INTEGER, score "
        "INTEGER);"
    )
    assert await personal.uncovered_columns() == [
        ("future_feature", "owner_id"),
        ("future_votes", "voter_user"),
        ("future_votes", "reviewed_by"),
        ("future_votes", "member_id"),
    ]


async def test_delete_leaves_nothing_of_the_member_in_any_table(
    personal: PersonalData, conn: Connection, services: dict[str, Any]
) -> None:
    await populate(conn, services)
    before = await traces(conn, ALICE)
    # Every feature holds something of Alice before (the check is not vacuous).
    for table in (
        "entry_votes",
        "quiz_answers",
        "quiz_runs",
        "readiness_results",
        "readiness_sessions",
        "study_checkins",
        "study_group_members",
        "study_member_settings",
        "study_departures",
        "deliveries",
        "milestone_subscriptions",
        "server_events",
        "interview_notes",
        "interview_log",
        "my_dates",
        "my_dates_sharing",
        "my_dates_dm_pauses",
        "mock_sessions",
        "mock_participants",
        "mock_seats",
        "mock_feedback",
        "server_entries",
    ):
        assert table in before, table
    bob_before = await personal.export(BOB)
    bob_traces = await traces(conn, BOB)

    counts = await personal.delete(ALICE)

    assert await traces(conn, ALICE) == {}
    if not isinstance(conn, PgConnection):
        # PostgreSQL always enforces foreign keys; SQLite only on a connection that turned them on, so it is asked.
        async with conn.execute("PRAGMA foreign_key_check") as cursor:
            assert await cursor.fetchall() == []
    # Bob keeps all of his, and his export is unchanged (the group quiz Alice started goes on, unnamed).
    assert await traces(conn, BOB) == bob_traces
    bob_after = await personal.export(BOB)
    assert {k: v for k, v in bob_after.items() if k != "exported_at"} == {
        k: v for k, v in bob_before.items() if k != "exported_at"
    }
    assert counts["knowledge_votes"] == 1
    assert counts["studygroup_checkins"] == 2 and counts["studygroup_settings"] == 1
    assert counts["studygroup_departures"] == 1 and counts["server_records_unnamed"] == 2
    assert counts["studygroup_nudges"] == 1
    assert counts["server_entries_unnamed"] == 1
    assert (counts["my_dates"], counts["my_dates_settings"], counts["my_dates_reminders"]) == (1, 2, 1)
    assert counts["quiz_records"] > 0 and counts["readiness_records"] > 0
    assert set(counts) <= set(DELETION_LABELS)
    summary = describe_deletion(counts)
    assert summary.startswith("Deleted: 1 vote on an answer,") and "2 study-group check-ins" in summary

    again = await personal.delete(ALICE)
    assert set(again.values()) == {0}
    assert describe_deletion(again) == "There was nothing stored about you, so nothing needed deleting."


async def test_export_holds_everything_as_json(
    personal: PersonalData, conn: Connection, services: dict[str, Any]
) -> None:
    await populate(conn, services)
    data = json.loads(await personal.export_json(ALICE))
    assert data["user_id"] == str(ALICE) and data["exported_at"] == "2026-11-22T15:00:00+00:00"
    assert [v["entry"] for v in data["knowledge_votes"]] == ["soap"]
    assert len(data["quiz"]["quiz_answers"]) == 1 and len(data["quiz"]["quiz_runs_started"]) == 2
    assert len(data["quiz"]["running_group_quizzes"]) == 1
    assert data["readiness"]["readiness_saved_results"][0]["overall"] == "needs_work"
    assert data["readiness"]["readiness_in_progress"]["current_question"] == "step1"
    study = data["study_groups"]
    assert study["studygroup_settings"]["timezone"] == "Asia/Kolkata"
    assert study["studygroup_settings"]["streak_nudges"] is True
    assert sorted(c["studied"] for c in study["studygroup_checkins"]) == [
        f"cardio, with <@{ALICE}> notes",
        "renal",
    ]
    assert [m["left_reason"] for m in study["studygroup_memberships"]] == [None, "left_server"]
    assert [d["server_id"] for d in study["studygroup_left_servers"]] == [str(OTHER_GUILD)]
    assert [n["status"] for n in study["studygroup_streak_nudges"]] == ["sent"]
    records = data["server_records"]
    assert [r["server_id"] for r in records["milestone_announcements_set_up"]] == [str(GUILD)]
    assert [r["title"] for r in records["server_events_created"]] == ["Mock exam"]
    mine = data["my_dates"]
    assert [d["kind"] for d in mine["dates"]] == ["oet"] and mine["reminders_paused"]["about"] == "OET exam"
    assert [r["status"] for r in mine["reminders_sent_or_skipped"]] == ["sent"]
    mock = data["interviews"]["mock_interviews"]
    assert [(s["your_seat"], s["you_started_it"]) for s in mock["sessions"]] == [("first", True)]
    assert [f["strength"] for f in mock["feedback_received"]] == ["Warm and honest."]
    assert [f["suggestion"] for f in mock["feedback_given"]] == ["Shorter start."]
    # Nothing of Bob's is in Alice's export.
    assert str(BOB) not in json.dumps(data)


def _numbers(value: Any, key: str = "") -> list[tuple[str, Any]]:
    """(key, value) of every number in the export, however deep."""
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _numbers(v, k)]
    if isinstance(value, list):
        return [found for v in value for found in _numbers(v, key)]
    return [(key, value)] if isinstance(value, int | float) and not isinstance(value, bool) else []


async def test_every_id_in_the_export_is_a_string(
    personal: PersonalData, conn: Connection, services: dict[str, Any]
) -> None:
    # server_id, guild_id and channel_id were numbers above 2**53, which JavaScript (and many JSON readers) round.
    await populate(conn, services)
    data = json.loads(await personal.export_json(ALICE))
    numbers = _numbers(data)
    assert numbers, "the export has counts and scores: the check below must see some numbers"
    ids = [(key, value) for key, value in numbers if key == "id" or key.endswith(("_id", "_ids"))]
    assert ids == [], ids
    assert [(key, value) for key, value in numbers if abs(value) >= 2**53] == []
    study = data["study_groups"]
    assert [d["server_id"] for d in study["studygroup_left_servers"]] == [str(OTHER_GUILD)]
    assert data["server_records"]["milestone_announcements_set_up"][0]["channel_id"] == str(CHANNEL)


async def test_export_of_a_stranger_is_empty(personal: PersonalData) -> None:
    data = await personal.export(123)
    assert data["knowledge_votes"] == [] and data["study_groups"]["studygroup_checkins"] == []
    assert data["study_groups"]["studygroup_settings"] is None


def test_privacy_text_is_plain_and_fits_discord() -> None:
    assert all(len(title) <= 256 and len(body) <= 1024 for title, body in PRIVACY_SECTIONS)
    # Shown as the fields of one embed (/privacy's Details): at most 25 fields and 6,000 characters in all.
    assert len(PRIVACY_SECTIONS) <= 25
    assert sum(len(title) + len(body) for title, body in PRIVACY_SECTIONS) <= 6000 - 256
    for words in ("why", "How long", "30 days", "/mydata export", "/mydata delete", "without who asked"):
        assert words in PRIVACY_TEXT


def test_privacy_tells_how_long_backups_keep_data_and_that_deletions_are_reapplied() -> None:
    backups = dict(privacy_sections(None, BackupPolicy(interval_hours=24, keep=7)))["Backups"]
    assert "Every 24 hours" in backups and "last 7 copies" in backups and "up to 7 days" in backups
    assert "applied to it again" in backups and "never the id itself" in backups
    assert "up to 42 hours" in dict(privacy_sections(None, BackupPolicy(6, 7)))["Backups"]
    assert "up to 1 hour" in dict(privacy_sections(None, BackupPolicy(1, 1)))["Backups"]
    off = dict(privacy_sections(None, BackupPolicy(0, 7)))["Backups"]
    assert "no backups" in off and "up to" not in off and "applied to it again" in off
    # The defaults are the settings' defaults.
    fields = Settings.model_fields
    defaults = BackupPolicy(fields["backup_interval_hours"].default, fields["backup_keep"].default)
    assert privacy_sections(None, defaults) == PRIVACY_SECTIONS
    for days in (None, 0, 365):
        for policy in (BackupPolicy(24, 7), BackupPolicy(0, 1), BackupPolicy(0.5, 1000), BackupPolicy(1, 1)):
            assert all(len(body) <= 1024 for _, body in privacy_sections(days, policy))
    assert "90 days after it was last asked" in PRIVACY_TEXT and "private: True" in PRIVACY_TEXT


def test_the_deletion_reply_tells_the_truth_about_backups() -> None:
    counts = {"knowledge_votes": 1}
    assert describe_deletion(counts, BackupPolicy(24, 7)) == (
        "Deleted: 1 vote on an answer. Nothing about you is left in the bot's database but a scrambled note of this "
        "deletion, kept so that it is applied again if an older backup is ever restored. Backups made before now "
        "still hold your data for up to 7 days."
    )
    assert describe_deletion(counts, BackupPolicy(0, 7)).endswith("applied again if an older backup is ever restored.")


def test_a_user_id_typed_by_an_operator_is_checked() -> None:
    assert parse_user_id(f" {ALICE} ") == ALICE
    for bad in ("", "abc", "-731245678901234567", "12345", "1" * 20, "9" * 19, "７" * 18, "7312456789012345e1"):
        assert parse_user_id(bad) is None, bad
