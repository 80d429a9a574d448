"""/mydates without Discord: the options (a date ahead, in a real zone, a custom date with a title, reminders as
/event add reads them), the service (at most 50 dates, removal by id or name, the .ics), reminders by DM through the
scheduling runner (exactly once across a restart, the announcements' grace and late policy, a member whose DMs are
closed paused and told once), the exams line of a weekly recap (opt-in, per server, named only on request), and
/mydata export and delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import icalendar
import pytest

from bot.content import Content
from bot.db.connection import Connection
from bot.milestones.reminders import parse_reminders
from bot.mydates.models import (
    DEFAULT_REMINDERS,
    FORGET_AFTER,
    MAX_DATES,
    AddDateOptions,
    DateKind,
    MyDate,
    ShareOptions,
)
from bot.mydates.reminders import (
    PAUSED,
    REMOVED,
    MyDateReminders,
    PlannedReminder,
    parse_reminder_key,
    plan_reminders,
    reminder_key,
)
from bot.mydates.repository import REMINDER_TARGET_KIND, MyDatesRepository
from bot.mydates.service import MyDatesService
from bot.privacy import DELETION_LABELS, deletion_counts_text, personal_data_for
from bot.scheduling import (
    DeliveryProblem,
    DeliveryRepository,
    DeliveryStatus,
    JobScheduler,
    ProblemKind,
    RateBudget,
    Runner,
    SkipReason,
    SweepReport,
    delivery_reference,
)
from bot.studygroups.recap import ExamsAhead
from bot.text import would_ping
from bot.ui.mydates import dates_embed
from bot.ui.studygroups import exams_ahead_line
from bot.validation import UserInputError, parse_options, parse_options_with
from discord_emulator.contract import check_message_body
from tests.unit.conftest import memory_or_postgres
from tests.unit.test_personal_data import traces

ALICE, BOB, CAROL = 731_245_678_901_234_567, 845_129_876_543_210_987, 402_117_894_126_911_500
GUILD, OTHER_GUILD = 1_183_440_317_201_907_712, 1_098_765_432_109_876_543
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
GRACE = dt.timedelta(hours=6)


@dataclass
class Clock:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class FakeDMs:
    """Discord's DMs as the feed sees them: nonces remembered (a resend returns the first message), members who do
    not accept DMs (403 50007), a history searchable by the ``ref`` in each footer, and whether each went out late."""

    sent: list[tuple[PlannedReminder, bool]] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)
    by_reference: dict[str, int] = field(default_factory=dict)
    attempts: int = 0

    async def send_reminder(self, reminder: PlannedReminder, *, late: bool, nonce: str) -> int:
        self.attempts += 1
        if reminder.date.user_id in self.closed:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, "403 50007 Cannot send messages to this user")
        reference = delivery_reference(nonce)
        if reference not in self.by_reference:
            self.sent.append((reminder, late))
            self.by_reference[reference] = 7000 + len(self.sent)
        return self.by_reference[reference]

    async def find_reminder(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        return self.by_reference.get(reference)


@dataclass
class Setup:
    conn: Connection
    clock: Clock
    repository: MyDatesRepository
    service: MyDatesService
    deliveries: DeliveryRepository
    dms: FakeDMs
    feed: MyDateReminders
    runner: Runner

    async def sweep(self) -> SweepReport:
        return await self.runner.sweep(self.feed)

    async def restarted(self) -> SweepReport:
        """A start-up sweep by a new feed and runner on the same database: what a restart of the bot builds."""
        feed = MyDateReminders(self.repository, self.dms, grace=GRACE, clock=self.clock)
        runner = Runner(JobScheduler(), self.deliveries, RateBudget(50, 8))
        runner.add(feed)
        return await runner.sweep(feed, "start-up")

    def options(self, **typed: Any) -> AddDateOptions:
        values = {"kind": "step2ck", "date": "2027-03-04", "time": "09:00", "timezone": "Asia/Kolkata"} | typed
        return parse_options_with(AddDateOptions, {"now": self.clock()}, **values)

    async def add(self, user_id: int = ALICE, **typed: Any) -> Any:
        return await self.service.add(user_id, self.options(**typed))


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """``conn`` in memory on SQLite: no test here opens the database a second time."""
    return await memory_or_postgres(backend, request)


@pytest.fixture
async def setup(conn: Connection) -> AsyncIterator[Setup]:
    clock = Clock()
    repository = MyDatesRepository(conn)
    deliveries = DeliveryRepository(conn)
    dms = FakeDMs()
    feed = MyDateReminders(repository, dms, grace=GRACE, clock=clock)
    runner = Runner(JobScheduler(), deliveries, RateBudget(50, 8))
    runner.add(feed)
    service = MyDatesService(repository, clock=clock, on_change=lambda: runner.reschedule(feed))
    try:
        yield Setup(conn, clock, repository, service, deliveries, dms, feed, runner)
    finally:
        await runner.scheduler.shutdown()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


# -- the options -------------------------------------------------------------------------------------------------


def parse(**typed: Any) -> AddDateOptions:
    values = {"kind": "step2ck", "date": "2027-03-04", "time": "09:00", "timezone": "Asia/Kolkata"} | typed
    return parse_options_with(AddDateOptions, {"now": NOW}, **values)


def refused(**typed: Any) -> str:
    with pytest.raises(UserInputError) as error:
        parse(**typed)
    message = str(error.value)
    assert message and not would_ping(message)
    return message


def test_a_date_is_read_in_its_zone_with_the_default_reminders() -> None:
    options = parse()
    assert options.kind is DateKind.STEP2CK and options.title is None
    assert options.starts_at == at("2027-03-04T03:30:00+00:00")  # 09:00 in Kolkata
    assert options.reminders == DEFAULT_REMINDERS == parse_reminders("7d,1d,2h")
    # The zone as members type it, the same way /settings reads it.
    assert parse(timezone="kolkata").timezone == "Asia/Kolkata"
    assert parse(timezone="Asia/Calcutta").timezone == "Asia/Kolkata"


def test_reminders_as_event_add_reads_them_or_none() -> None:
    assert parse(reminders="3d, 12h").reminders == (dt.timedelta(days=3), dt.timedelta(hours=12))
    assert parse(reminders="none").reminders == () == parse(reminders="Off").reminders
    assert parse(reminders="   ").reminders == DEFAULT_REMINDERS
    message = refused(reminders="soon")
    assert "`soon` is not a reminder I understand" in message and "Or `none` for no reminders." in message
    assert "listed twice" in refused(reminders="1d,1d")


def test_a_past_or_impossible_time_is_refused_saying_how_to_fix_it() -> None:
    past = refused(date="2026-12-01", time="15:29")  # 09:59 UTC: a minute ago
    assert past.startswith("2026-12-01 15:29 in Asia/Kolkata has already passed (it is now 2026-12-01 15:30 there)")
    assert "Use YYYY-MM-DD" in refused(date="04/03/2027")
    assert "is not a real date" in refused(date="2027-02-30")
    assert "Use HH:MM in 24-hour time" in refused(time="9am")
    assert "more than three years ahead" in refused(date="2031-01-01")
    # Daylight-saving time skips 02:30 in New York on 14 March 2027: refused, never silently moved by an hour.
    assert "does not exist in America/New_York" in refused(date="2027-03-14", time="02:30", timezone="New York")
    assert "abbreviation" in refused(timezone="EST")


def test_a_custom_date_needs_a_title_and_titles_are_tidied_and_never_ping() -> None:
    assert refused(kind="custom") == "A custom date needs a title, e.g. `title: Mock OET speaking`."
    assert "Pick the kind of date from the list" in refused(kind="exam")
    custom = parse(kind="custom", title="  Mock   OET\nspeaking ")
    assert custom.title == "Mock OET speaking"
    pinging = parse(kind="interview", title="Mayo <@123456789012345678> @everyone")
    assert pinging.title is not None and not would_ping(pinging.title) and "Mayo" in pinging.title
    assert "Keep the title to 80 characters (it has 81)" in refused(kind="custom", title="x" * 81)
    assert "Give the title some words" in refused(kind="custom", title="!!!")
    # A title on any other kind is a detail of it.
    assert parse(kind="Interview", title="Mayo Clinic IM").kind is DateKind.INTERVIEW


def test_share_options() -> None:
    assert parse_options(ShareOptions, share="on", named=None) == ShareOptions(share=True, named=False)
    assert parse_options(ShareOptions, share="off", named=True).share is False
    with pytest.raises(UserInputError, match="Pick `on` or `off`"):
        parse_options(ShareOptions, share="maybe", named=None)


# -- the service -------------------------------------------------------------------------------------------------


async def test_add_list_remove_and_reminders_already_passed(setup: Setup) -> None:
    soon = await setup.add(kind="oet", date="2026-12-03", time="12:00", timezone="UTC")
    # Two days ahead: the 7-day reminder had already passed when it was added, so it is never sent.
    assert soon.upcoming == (dt.timedelta(days=1), dt.timedelta(hours=2)) and soon.passed == (dt.timedelta(days=7),)
    later = await setup.add(kind="custom", title="Mock OET speaking", reminders="none")
    assert later.upcoming == () and later.passed == ()
    assert [d.name for d in await setup.service.dates(ALICE)] == ["OET exam", "Mock OET speaking"]
    assert await setup.service.dates(BOB) == ()

    labels = await setup.service.choices(ALICE, "mock")
    assert labels == [("Mock OET speaking · 2027-03-04 09:00 (Asia/Kolkata)", later.date.id)]
    # Another member's date cannot be removed, even by its id.
    with pytest.raises(UserInputError, match="You have no dates saved"):
        await setup.service.remove(BOB, str(later.date.id))
    removed = await setup.service.remove(ALICE, "mock oet  SPEAKING")
    assert removed.id == later.date.id
    with pytest.raises(UserInputError, match="Pick it from the list"):
        await setup.service.remove(ALICE, str(later.date.id))
    assert [d.id for d in await setup.service.dates(ALICE)] == [soon.date.id]


async def test_at_most_fifty_dates_a_member(setup: Setup) -> None:
    for day in range(MAX_DATES):
        await setup.add(date=f"{dt.date(2027, 1, 1) + dt.timedelta(days=day)}")
    with pytest.raises(UserInputError, match=f"You already have {MAX_DATES} dates saved"):
        await setup.add()
    await setup.add(BOB)  # another member's count is their own
    assert len(await setup.service.choices(ALICE, "")) == 25  # what autocomplete can show


async def test_the_calendar_has_each_date_with_its_reminders_as_alarms(setup: Setup) -> None:
    added = await setup.add(
        kind="interview", title="Mayo Clinic IM", date="2027-01-09", time="08:00", timezone="Chicago"
    )
    file = await setup.service.calendar(ALICE)
    assert file.filename == "my-dates.ics" and file.dates == 1
    [event] = icalendar.Calendar.from_ical(file.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Interview: Mayo Clinic IM"
    assert event.decoded("DTSTART") == at("2027-01-09T14:00:00+00:00")
    assert str(event["UID"]) == f"mydate-{ALICE}-{added.date.id}@mydates.img-pathway-bot.invalid"
    alarms = sorted(-alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
    assert alarms == sorted(DEFAULT_REMINDERS)
    assert (await setup.service.calendar(BOB)).dates == 0


async def test_dates_are_forgotten_thirty_days_after_they_pass(setup: Setup) -> None:
    await setup.add(date="2026-12-02", time="12:00", timezone="UTC", reminders="2h")
    await setup.add(date="2026-12-20", time="12:00", timezone="UTC")
    setup.clock.now = at("2026-12-02T10:00:00+00:00")
    await setup.sweep()  # the 2-hour reminder goes out: a row naming Alice
    setup.clock.now = at("2026-12-02T12:00:00+00:00") + FORGET_AFTER + dt.timedelta(minutes=1)
    assert await setup.service.forget_passed() == (1, 1)
    assert [d.starts_at for d in await setup.service.dates(ALICE)] == [at("2026-12-20T12:00:00+00:00")]


# -- reminders by DM ---------------------------------------------------------------------------------------------


def test_keys_name_the_member_the_date_and_the_reminder() -> None:
    key = reminder_key(ALICE, 12, dt.timedelta(days=7))
    assert key == f"md:{ALICE}:12:604800"
    assert parse_reminder_key(key) == (ALICE, 12, dt.timedelta(days=7))
    assert parse_reminder_key("md:1:2") is None and parse_reminder_key("sg:nudge:1:2026-01-01") is None


async def test_planned_only_from_when_the_date_was_added(setup: Setup) -> None:
    added = (await setup.add(kind="oet", date="2026-12-03", time="12:00", timezone="UTC")).date
    planned = plan_reminders([added], NOW - dt.timedelta(days=30), NOW + dt.timedelta(days=30))
    assert [p.offset for p in planned] == [dt.timedelta(days=1), dt.timedelta(hours=2)]


async def test_each_reminder_is_sent_once_on_time_and_again_never_after_a_restart(setup: Setup) -> None:
    added = (await setup.add(date="2026-12-10", time="12:00", timezone="UTC")).date
    setup.clock.now = at("2026-12-03T12:00:00+00:00")  # 7 days before, to the second
    report = await setup.sweep()
    assert len(report.sent) == 1 and report.late == []
    [(reminder, late)] = setup.dms.sent
    assert reminder.date.id == added.id and reminder.offset == dt.timedelta(days=7) and not late
    assert (await setup.restarted()).sent == []
    assert len(setup.dms.sent) == 1
    record = await setup.deliveries.get(reminder.key)
    assert record is not None and record.status is DeliveryStatus.SENT and record.target_ref == str(ALICE)
    assert record.guild_id == 0 and record.target_kind == REMINDER_TARGET_KIND


async def test_a_claim_left_by_a_crash_is_found_and_not_sent_twice(setup: Setup) -> None:
    added = (await setup.add(date="2026-12-10", time="12:00", timezone="UTC")).date
    reminder = PlannedReminder(added, dt.timedelta(days=7))
    setup.clock.now = reminder.fire_at + dt.timedelta(minutes=5)
    # Sent, then the process died before recording it: the row is claimed and the DM exists.
    await setup.deliveries.claim(reminder.record(), reminder.fire_at)
    await setup.dms.send_reminder(reminder, late=False, nonce=reminder.record().nonce)
    report = await setup.restarted()
    assert report.recovered == [reminder.key] and len(setup.dms.sent) == 1
    record = await setup.deliveries.get(reminder.key)
    assert record is not None and record.status is DeliveryStatus.SENT


async def test_after_downtime_within_the_grace_the_latest_reminder_is_sent_marked_late(setup: Setup) -> None:
    await setup.add(date="2026-12-10", time="12:00", timezone="UTC", reminders="1d,3h,2h")
    # Down from before the 3-hour reminder until 10 minutes after the 2-hour one.
    setup.clock.now = at("2026-12-10T10:10:00+00:00")
    report = await setup.restarted()
    [(reminder, late)] = setup.dms.sent
    assert reminder.offset == dt.timedelta(hours=2) and late and report.late == [reminder.key]
    skipped = {key: reason for key, reason in report.skipped}
    assert list(skipped) == [reminder_key(ALICE, reminder.date.id, dt.timedelta(hours=3))]
    # The 1-day reminder is older than the grace window: skipped too, never sent.
    setup.clock.now = at("2026-12-10T10:20:00+00:00")
    assert (await setup.sweep()).sent == []


async def test_beyond_the_grace_a_reminder_is_skipped(setup: Setup) -> None:
    added = (await setup.add(date="2026-12-10", time="12:00", timezone="UTC", reminders="1d")).date
    setup.clock.now = at("2026-12-09T11:00:00+00:00")
    await setup.sweep()  # the bot ran until an hour before the reminder
    setup.clock.now = at("2026-12-09T12:00:00+00:00") + GRACE + dt.timedelta(minutes=1)
    report = await setup.restarted()
    assert report.sent == [] and setup.dms.sent == []
    assert report.skipped == [(reminder_key(ALICE, added.id, dt.timedelta(days=1)), SkipReason.BEYOND_GRACE.value)]


async def test_a_removed_date_sends_nothing(setup: Setup) -> None:
    added = (await setup.add(date="2026-12-10", time="12:00", timezone="UTC", reminders="1d")).date
    reminder = PlannedReminder(added, dt.timedelta(days=1))
    await setup.service.remove(ALICE, str(added.id))
    setup.clock.now = reminder.fire_at
    assert (await setup.sweep()).sent == [] and setup.dms.attempts == 0
    assert await setup.feed.recover(reminder.record()) == REMOVED


async def test_closed_dms_pause_the_reminders_until_the_member_uses_mydates_told_once(setup: Setup) -> None:
    setup.dms.closed.add(CAROL)
    await setup.add(CAROL, date="2026-12-10", time="12:00", timezone="UTC", reminders="1d,2h")
    setup.clock.now = at("2026-12-09T12:00:00+00:00")
    report = await setup.sweep()
    assert report.failed and setup.dms.attempts == 1
    # The next reminder is not even tried: skipped, with why.
    setup.clock.now = at("2026-12-10T10:00:00+00:00")
    report = await setup.sweep()
    assert setup.dms.attempts == 1 and [reason for _, reason in report.skipped] == [PAUSED]
    # Carol uses /mydates: told once, and her reminders are back on.
    pause = await setup.service.take_pause(CAROL)
    assert pause is not None and pause.about == "Step 2 CK exam" and pause.paused_at == at("2026-12-09T12:00:00+00:00")
    assert await setup.service.take_pause(CAROL) is None
    setup.dms.closed.clear()
    await setup.add(CAROL, date="2026-12-11", time="12:00", timezone="UTC", reminders="1h")
    setup.clock.now = at("2026-12-11T11:00:00+00:00")
    assert len((await setup.sweep()).sent) == 1


async def test_timers_are_armed_at_the_due_instants(setup: Setup) -> None:
    setup.runner.scheduler.start()
    await setup.add(date="2026-12-02", time="12:00", timezone="UTC", reminders="1d,2h")
    wakeups = await setup.feed.wakeups(setup.clock())
    assert sorted(wakeups.values()) == [at("2026-12-01T12:00:00+00:00"), at("2026-12-02T10:00:00+00:00")]
    assert set(wakeups) <= set(setup.runner.scheduler.job_ids())


# -- weekly recaps -----------------------------------------------------------------------------------------------


async def test_the_recap_counts_only_members_who_opted_in_here_and_names_only_those_who_asked(setup: Setup) -> None:
    recap_at = NOW + dt.timedelta(days=1)
    for user in (ALICE, BOB, CAROL):
        await setup.add(user, kind="oet", date="2026-12-10", time="09:00", timezone="UTC")
    await setup.service.share(ALICE, GUILD, parse_options(ShareOptions, share="on", named=True))
    await setup.service.share(BOB, GUILD, parse_options(ShareOptions, share="on", named=None))
    await setup.service.share(CAROL, OTHER_GUILD, parse_options(ShareOptions, share="on", named=True))
    members = (BOB, ALICE, CAROL)
    exams = await setup.service.exams_ahead(GUILD, members, recap_at)
    assert exams == ExamsAhead(members=2, named=(ALICE,), days=14)
    assert exams_ahead_line(exams) == f"2 members have an exam in the next 14 days. Good luck, <@{ALICE}>!"
    # An interview is not an exam; a date beyond 14 days is not counted; a member who turned it off is not counted.
    await setup.add(BOB, kind="interview", date="2026-12-05", time="09:00", timezone="UTC")
    assert await setup.service.exams_ahead(GUILD, members, recap_at + dt.timedelta(days=20)) is None
    await setup.service.share(ALICE, GUILD, parse_options(ShareOptions, share="off", named=None))
    assert await setup.service.exams_ahead(GUILD, members, recap_at) == ExamsAhead(1, (), 14)
    assert exams_ahead_line(ExamsAhead(1, (), 14)) == "1 member has an exam in the next 14 days. Good luck!"
    many = exams_ahead_line(ExamsAhead(12, tuple(range(1, 13)), 14), limit=2)
    assert many.endswith("Good luck, <@1>, <@2> and 10 more!")


# -- /mydata ------------------------------------------------------------------------------------------------------


async def test_export_and_delete_cover_everything_and_leave_others_alone(setup: Setup, content: Content) -> None:
    setup.dms.closed.add(ALICE)
    for user in (ALICE, BOB):
        await setup.add(user, kind="custom", title="Mock exam", date="2026-12-10", time="12:00", timezone="UTC")
        await setup.service.share(user, GUILD, parse_options(ShareOptions, share="on", named=True))
    setup.clock.now = at("2026-12-09T12:00:00+00:00")
    await setup.sweep()  # Bob's reminder is sent; Alice's is refused, which pauses hers
    # The same sources as /mydata (the CLI's ``imgbot privacy`` builds them like this too).
    personal = personal_data_for(setup.conn, content, clock=setup.clock)
    exported = (await personal.export(ALICE))["my_dates"]
    assert [d["title"] for d in exported["dates"]] == ["Mock exam"]
    assert exported["shared_in_weekly_recaps"][0]["server_id"] == str(GUILD)  # ids are strings in an export
    assert exported["reminders_sent_or_skipped"][0]["status"] == "failed"
    assert exported["reminders_paused"]["about"] == "Mock exam"
    assert ALICE in await personal.user_ids()

    counts = await personal.delete(ALICE)
    assert {k: v for k, v in counts.items() if k.startswith("my_dates")} == {
        "my_dates": 1,
        "my_dates_settings": 2,
        "my_dates_reminders": 1,
    }
    assert set(counts) <= set(DELETION_LABELS)
    assert "1 date of your own (/mydates)" in deletion_counts_text(counts)
    assert await traces(setup.conn, ALICE) == {}
    assert ALICE not in await personal.user_ids() and BOB in await personal.user_ids()
    assert len(await setup.service.dates(BOB)) == 1


# -- the list screen -----------------------------------------------------------------------------------------------


def test_fifty_dates_with_the_longest_titles_fit_one_list_and_the_rest_is_counted() -> None:
    # Markdown characters are escaped when shown, doubling their length: the worst case for the list.
    title = "*_" * 40
    dates = [
        MyDate(i, ALICE, DateKind.CUSTOM, title, NOW + dt.timedelta(days=i + 1), "Asia/Kolkata", DEFAULT_REMINDERS, NOW)
        for i in range(MAX_DATES)
    ]
    embed = dates_embed(dates, NOW)
    assert not list(check_message_body({"embeds": [embed.to_dict()]}))
    lines = (embed.description or "").splitlines()
    shown = len(lines) - 1
    assert 10 < shown < MAX_DATES and lines[-1] == f"…and {MAX_DATES - shown} more: `/mydates calendar` has them all."
    short = dates_embed(dates[:3], NOW)
    assert len((short.description or "").splitlines()) == 3
