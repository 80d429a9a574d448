"""Delivery keys and nonces, and the claim / send / record protocol against a real (in-memory) database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.content import Content
from bot.cycle import CycleCalendar, MilestoneKind, Reminder
from bot.db.connection import Connection
from bot.db.timestamps import to_db
from bot.milestones.models import (
    PauseReason,
    ServerEvent,
    Status,
    Subscription,
    event_delivery,
    milestone_delivery,
)
from bot.scheduling import delivery
from bot.scheduling.delivery import (
    DELIVERIES_KEPT,
    NONCE_LENGTH,
    TARGET_KINDS,
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    Outcome,
    ProblemKind,
    SkipDelivery,
    TransientDeliveryError,
    delivery_nonce,
    delivery_reference,
)
from tests.unit.conftest import memory_or_postgres

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeChannel:
    """Discord's side of one channel: a repeated nonce returns the first message, as with enforce_nonce."""

    def __init__(self) -> None:
        self.by_nonce: dict[str, int] = {}
        self.sends: list[str] = []
        self.next_id = 1000

    async def send(self, nonce: str) -> int:
        self.sends.append(nonce)
        if nonce not in self.by_nonce:
            self.next_id += 1
            self.by_nonce[nonce] = self.next_id
        return self.by_nonce[nonce]


@pytest.fixture
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """``conn`` in memory on SQLite: no test here opens the database a second time."""
    return await memory_or_postgres(backend, request)


def record(key: str = "e:1:7:0:20270303T120000Z") -> DeliveryRecord:
    return DeliveryRecord(
        key=key,
        group_key="e:1:7:20270303T120000Z",
        guild_id=1,
        channel_id=2,
        target_kind="event",
        target_ref="7",
        offset_seconds=0,
        occurs_at=NOW,
        fire_at=NOW,
        nonce=delivery_nonce(key),
    )


# -- keys and nonces -------------------------------------------------------------------------------------------------


def subscription(guild_id: int = 42) -> Subscription:
    return Subscription(
        guild_id=guild_id,
        channel_id=7,
        role_id=None,
        reminders=None,
        status=Status.ACTIVE,
        paused_reason=None,
        configured_by=5,
        active_since=NOW - timedelta(days=400),
        created_at=NOW,
        updated_at=NOW,
    )


def test_milestone_key_names_server_milestone_occurrence_and_reminder(content: Content) -> None:
    rol = CycleCalendar((), content.calendar.words).get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    planned = milestone_delivery(subscription(), Reminder(rol, timedelta(days=7)))
    assert planned.key == f"m:42:rol-deadline-2027:7d:{rol.at:%Y%m%dT%H%MZ}"
    assert planned.group_key == f"m:42:rol-deadline-2027:{rol.at:%Y%m%dT%H%MZ}"
    assert planned.fire_at == rol.at - timedelta(days=7)
    other_server = milestone_delivery(subscription(43), Reminder(rol, timedelta(days=7)))
    assert other_server.key != planned.key and other_server.nonce != planned.nonce


def test_event_key_changes_when_the_event_moves() -> None:
    event = ServerEvent(
        id=9,
        guild_id=42,
        channel_id=7,
        title="Mock exam",
        description="",
        starts_at=NOW,
        zone="UTC",
        reminders=(timedelta(hours=1),),
        status=Status.ACTIVE,
        paused_reason=None,
        created_by=5,
        created_at=NOW - timedelta(days=1),
    )
    planned = event_delivery(event, timedelta(hours=1), None)
    assert planned.key == "e:42:9:1h:20270303T120000Z"
    moved = event_delivery(replace(event, starts_at=NOW + timedelta(hours=1)), timedelta(hours=1), None)
    assert moved.key == "e:42:9:1h:20270303T130000Z" and moved.nonce != planned.nonce


def test_nonce_is_short_deterministic_and_distinct() -> None:
    keys = [f"m:{guild}:rol-deadline-2027:{o}:20270304T0200Z" for guild in range(500) for o in ("7d", "1d", "0")]
    nonces = [delivery_nonce(key) for key in keys]
    assert all(len(n) == NONCE_LENGTH and n.isalnum() for n in nonces)
    assert len(set(nonces)) == len(keys)
    assert delivery_nonce(keys[0]) == nonces[0]
    assert delivery_reference(nonces[0]) == nonces[0][:10]
    assert PauseReason.CHANNEL_GONE.value == "channel-gone"


# -- the protocol ----------------------------------------------------------------------------------------------------


async def test_sends_once_and_records(conn: Connection) -> None:
    repo, channel = DeliveryRepository(conn), FakeChannel()
    deliverer = Deliverer(repo, clock=Clock(NOW))
    first = await deliverer.deliver(record(), channel.send)
    again = await deliverer.deliver(record(), channel.send)
    assert first.outcome is Outcome.SENT and again.outcome is Outcome.ALREADY_DONE
    assert len(channel.sends) == 1 and again.message_id == first.message_id
    stored = await repo.get(record().key)
    assert stored is not None and stored.status is DeliveryStatus.SENT and stored.message_id == first.message_id


async def test_claim_is_committed_before_sending(conn: Connection) -> None:
    repo = DeliveryRepository(conn)
    seen: list[DeliveryStatus | None] = []

    async def send(nonce: str) -> int:
        stored = await repo.get(record().key)
        seen.append(stored.status if stored else None)
        return 1

    await Deliverer(repo, clock=Clock(NOW)).deliver(record(), send)
    assert seen == [DeliveryStatus.CLAIMED]


async def test_crash_between_send_and_record_resends_with_the_same_nonce(conn: Connection) -> None:
    repo, channel, clock = DeliveryRepository(conn), FakeChannel(), Clock(NOW)
    # The first process claimed and sent, then died before recording.
    assert await repo.claim(record(), NOW)
    first_id = await channel.send(record().nonce)
    clock.now = NOW + timedelta(seconds=20)
    result = await Deliverer(repo, clock=clock).deliver(record(), channel.send)
    assert result.outcome is Outcome.RECOVERED and result.message_id == first_id
    assert channel.sends == [record().nonce, record().nonce] and len(channel.by_nonce) == 1


async def test_old_claim_is_looked_up_before_sending_again(conn: Connection) -> None:
    repo, channel, clock = DeliveryRepository(conn), FakeChannel(), Clock(NOW)
    assert await repo.claim(record(), NOW)
    clock.now = NOW + timedelta(minutes=30)  # Discord no longer remembers the nonce
    looked_up: list[str] = []

    async def find(claimed: DeliveryRecord) -> int | None:
        looked_up.append(delivery_reference(claimed.nonce))
        return 777

    result = await Deliverer(repo, clock=clock).deliver(record(), channel.send, find)
    assert result.outcome is Outcome.RECOVERED and result.message_id == 777
    assert channel.sends == [] and looked_up == [record().nonce[:10]]


async def test_a_claim_left_by_an_earlier_process_is_looked_up_however_recent(conn: Connection) -> None:
    # Discord does not document how long it remembers a nonce, so after a restart the history is always read.
    repo, channel, clock = DeliveryRepository(conn), FakeChannel(), Clock(NOW)
    assert await repo.claim(record(), NOW)  # the earlier process claimed, posted (or not) and died
    clock.now = NOW + timedelta(seconds=5)
    looked_up: list[str] = []

    async def not_there(claimed: DeliveryRecord) -> int | None:
        looked_up.append(claimed.key)
        return None

    result = await Deliverer(repo, clock=clock).deliver(record(), channel.send, not_there)
    assert looked_up == [record().key]
    assert result.outcome is Outcome.RECOVERED and channel.sends == [record().nonce]  # surely not posted: sent

    async def there(_: DeliveryRecord) -> int | None:
        return 4242

    second = replace(record("e:1:7:0:20270304T120000Z"), nonce=delivery_nonce("second"))
    assert await repo.claim(second, NOW)
    result = await Deliverer(repo, clock=clock).deliver(second, channel.send, there)
    assert result.outcome is Outcome.RECOVERED and result.message_id == 4242
    assert channel.sends == [record().nonce]  # found: not sent again
    stored = await repo.get(second.key)
    assert stored is not None and (stored.status, stored.message_id) == (DeliveryStatus.SENT, 4242)


async def test_a_claim_of_this_process_trusts_its_nonce_only_for_a_while(conn: Connection) -> None:
    repo, channel, clock = DeliveryRepository(conn), FakeChannel(), Clock(NOW)
    failures = 2
    looked_up: list[str] = []

    async def flaky(nonce: str) -> int:
        nonlocal failures
        if failures:
            failures -= 1
            raise TransientDeliveryError("503")
        return await channel.send(nonce)

    async def find(claimed: DeliveryRecord) -> int | None:
        looked_up.append(claimed.key)
        return None

    deliverer = Deliverer(repo, clock=clock, nonce_trust=timedelta(minutes=2))
    assert (await deliverer.deliver(record(), flaky, find)).outcome is Outcome.RETRY_LATER
    clock.now = NOW + timedelta(minutes=1)  # its own claim, within the trust: the nonce alone
    assert (await deliverer.deliver(record(), flaky, find)).outcome is Outcome.RETRY_LATER
    assert looked_up == []
    clock.now = NOW + timedelta(minutes=3)  # Discord may have forgotten the nonce: looked up first
    assert (await deliverer.deliver(record(), flaky, find)).outcome is Outcome.RECOVERED
    assert looked_up == [record().key] and len(channel.sends) == 1


async def test_a_claim_that_can_never_be_checked_is_given_up_not_sent(conn: Connection) -> None:
    # The history past the look-up's cap: whether it was posted cannot be known, and posting twice is worse.
    repo, channel = DeliveryRepository(conn), FakeChannel()
    assert await repo.claim(record(), NOW)

    async def past_the_cap(_: DeliveryRecord) -> int | None:
        raise SkipDelivery("could not check whether it was posted: more than 1,000 messages")

    result = await Deliverer(repo, clock=Clock(NOW)).deliver(record(), channel.send, past_the_cap)
    assert result.outcome is Outcome.SKIPPED and channel.sends == []
    stored = await repo.get(record().key)
    assert stored is not None and stored.status is DeliveryStatus.SKIPPED
    assert stored.reason == "could not check whether it was posted: more than 1,000 messages"


async def test_a_problem_marks_the_row_failed(conn: Connection) -> None:
    repo = DeliveryRepository(conn)

    async def send(nonce: str) -> int:
        raise DeliveryProblem(ProblemKind.CHANNEL_GONE, "10003 Unknown Channel")

    result = await Deliverer(repo, clock=Clock(NOW)).deliver(record(), send)
    assert result.outcome is Outcome.FAILED and result.problem is not None
    assert result.problem.kind is ProblemKind.CHANNEL_GONE
    stored = await repo.get(record().key)
    assert stored is not None and stored.status is DeliveryStatus.FAILED and "10003" in (stored.reason or "")


async def test_a_transient_error_leaves_the_claim_for_a_retry(conn: Connection) -> None:
    repo, channel = DeliveryRepository(conn), FakeChannel()
    attempts = 0

    async def flaky(nonce: str) -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise TransientDeliveryError("503")
        return await channel.send(nonce)

    deliverer = Deliverer(repo, clock=Clock(NOW))
    assert (await deliverer.deliver(record(), flaky)).outcome is Outcome.RETRY_LATER
    assert [r.key for r in await repo.claimed(["event"])] == [record().key]
    assert (await deliverer.deliver(record(), flaky)).outcome is Outcome.RECOVERED
    assert await repo.claimed(["event"]) == []


async def test_skip_records_why(conn: Connection) -> None:
    repo = DeliveryRepository(conn)
    await repo.skip(record(), "beyond-grace", NOW)
    stored = await repo.get(record().key)
    assert stored is not None and (stored.status, stored.reason) == (DeliveryStatus.SKIPPED, "beyond-grace")
    # A skipped delivery is never sent afterwards.
    channel = FakeChannel()
    assert (await Deliverer(repo, clock=Clock(NOW)).deliver(record(), channel.send)).outcome is Outcome.ALREADY_DONE
    assert channel.sends == []


async def test_recent_lists_only_the_kinds_asked_for(conn: Connection) -> None:
    # Study-group prompts share the table; a server's announcement status must not show them.
    repo, channel = DeliveryRepository(conn), FakeChannel()
    deliverer = Deliverer(repo, clock=Clock(NOW))
    await deliverer.deliver(record(), channel.send)
    prompt = replace(record("sg:prompt:1:2027-03-03"), target_kind="studygroup-prompt", nonce=delivery_nonce("sg"))
    await deliverer.deliver(prompt, channel.send)
    assert [r.key for r in await repo.recent(1, ["milestone", "event"])] == [record().key]
    assert [r.key for r in await repo.recent(1, ["studygroup-prompt"])] == [prompt.key]


async def test_known_since_lists_only_the_kinds_asked_for(conn: Connection) -> None:
    # The announcer asks which of its deliveries exist; a study group's prompts or nudges are none of its business
    # (and loading them would grow with every member's nudges).
    repo, channel = DeliveryRepository(conn), FakeChannel()
    deliverer = Deliverer(repo, clock=Clock(NOW))
    await deliverer.deliver(record(), channel.send)
    prompt = replace(record("sg:prompt:1:2027-03-03"), target_kind="studygroup-prompt", nonce=delivery_nonce("sg"))
    await deliverer.deliver(prompt, channel.send)
    since = NOW - timedelta(days=1)
    assert list(await repo.known_since(since, ["milestone", "event"])) == [record().key]
    assert list(await repo.known_since(since, ["studygroup-prompt"])) == [prompt.key]
    assert await repo.known_since(NOW + timedelta(minutes=1), ["event"]) == {}


async def test_reopen_makes_only_a_skipped_row_a_claim_again(conn: Connection) -> None:
    repo = DeliveryRepository(conn)
    await repo.skip(record(), "not planned", NOW)
    assert await repo.reopen(record().key)
    stored = await repo.get(record().key)
    assert stored is not None and (stored.status, stored.reason, stored.finished_at) == (
        DeliveryStatus.CLAIMED,
        None,
        None,
    )
    await repo.mark_sent(record().key, 5, NOW)
    assert not await repo.reopen(record().key)  # a sent row stays sent
    assert [r.key for r in await repo.claimed(["event"])] == []


async def test_claims_are_listed_per_kind_and_a_finished_row_keeps_its_outcome(conn: Connection) -> None:
    # Found by CI: the announcer recovered a study group's claim as a milestone whose target was gone and marked it
    # skipped, after the study group had recorded it sent.
    repo = DeliveryRepository(conn)
    prompt = replace(record("sg:prompt:1:2027-03-03"), target_kind="studygroup-prompt", nonce=delivery_nonce("sg"))
    assert await repo.claim(prompt, NOW)
    assert await repo.claimed(["milestone", "event"]) == []
    assert [r.key for r in await repo.claimed(["studygroup-prompt"])] == [prompt.key]
    await repo.mark_sent(prompt.key, 77, NOW)
    await repo.skip(prompt, "target-gone", NOW)
    await repo.mark_failed(prompt.key, "late", NOW)
    stored = await repo.get(prompt.key)
    assert stored is not None and stored.status is DeliveryStatus.SENT and stored.message_id == 77


async def test_an_old_claim_that_cannot_be_checked_waits_instead_of_sending_again(conn: Connection) -> None:
    # Found in review: a failed history read used to count as "not posted", so the message went out a second time.
    repo, channel, clock = DeliveryRepository(conn), FakeChannel(), Clock(NOW)
    assert await repo.claim(record(), NOW)
    clock.now = NOW + timedelta(minutes=10)

    async def unsure(_: DeliveryRecord) -> int | None:
        raise TransientDeliveryError("Discord answered 503")

    async def forbidden(_: DeliveryRecord) -> int | None:
        raise DeliveryProblem(ProblemKind.NO_PERMISSION, "50013 Missing Access")

    result = await Deliverer(repo, clock=clock).deliver(record(), channel.send, unsure)
    assert result.outcome is Outcome.RETRY_LATER and channel.sends == []
    result = await Deliverer(repo, clock=clock).deliver(record(), channel.send, forbidden)
    assert result.outcome is Outcome.FAILED and channel.sends == []
    stored = await repo.get(record().key)
    assert stored is not None and stored.status is DeliveryStatus.FAILED


# -- the kinds of delivery, and how long a row is kept -------------------------------------------------------------


def test_every_feature_kind_is_allowed_and_every_allowed_kind_is_a_feature_s() -> None:
    from bot.milestones.discord_event_plan import TARGET_KIND as DISCORD_EVENT_KIND
    from bot.milestones.models import TargetKind
    from bot.mydates.repository import REMINDER_TARGET_KIND
    from bot.studygroups.dispatch import KINDS as STUDYGROUP_KINDS
    from bot.studygroups.repository import NUDGE_TARGET_KIND

    written = {
        *(kind.value for kind in TargetKind),
        DISCORD_EVENT_KIND,
        *STUDYGROUP_KINDS.values(),
        NUDGE_TARGET_KIND,
        REMINDER_TARGET_KIND,
    }
    assert written == TARGET_KINDS


async def test_an_unknown_kind_is_refused_by_the_repository_not_the_table(conn: Connection) -> None:
    repo = DeliveryRepository(conn)
    unknown = replace(record("x:1"), target_kind="newsletter")
    with pytest.raises(ValueError, match="newsletter"):
        await repo.claim(unknown, NOW)
    with pytest.raises(ValueError, match="newsletter"):
        await repo.skip(unknown, "not now", NOW)
    assert await repo.get(unknown.key) is None
    # The table lists no kinds any more (migration 0023): a new feature needs no rebuild, only TARGET_KINDS.
    cursor = await conn.execute(
        "INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, "
        "occurs_at, fire_at, nonce, status) VALUES ('x:2', 'x:2', 1, 2, 'newsletter', '1', 0, ?, ?, 'n', 'sent')",
        (to_db(NOW), to_db(NOW)),
    )
    assert cursor.rowcount == 1
    await conn.rollback()


async def test_finished_rows_long_past_are_pruned_and_claims_never(conn: Connection) -> None:
    repo = DeliveryRepository(conn)
    cutoff = NOW - DELIVERIES_KEPT
    old = cutoff - timedelta(microseconds=1)

    async def row(key: str, *, fire_at: datetime, occurs_at: datetime, finished_at: datetime | None) -> None:
        kept = replace(record(key), fire_at=fire_at, occurs_at=occurs_at, nonce=delivery_nonce(key))
        assert await repo.claim(kept, fire_at)
        if finished_at is not None:
            await repo.mark_sent(key, 1, finished_at)

    await row("sent-long-ago", fire_at=old, occurs_at=old, finished_at=old)
    await repo.skip(replace(record("skipped-long-ago"), fire_at=old, occurs_at=old), "beyond-grace", old)
    await row("claimed-long-ago", fire_at=old, occurs_at=old, finished_at=None)
    await row("sent-at-the-cutoff", fire_at=cutoff, occurs_at=cutoff, finished_at=cutoff)
    # Due long ago but recorded only recently (given up after a long outage): its outcome is recent news.
    await row("finished-recently", fire_at=old, occurs_at=old, finished_at=NOW - timedelta(days=1))
    # Made long ago for a moment still ahead (a Discord event for next year's Match Day): still planned.
    await row("about-the-future", fire_at=old, occurs_at=NOW + timedelta(days=30), finished_at=old)

    assert await repo.prune_finished(cutoff) == 2
    left = {r[0] for r in await (await conn.execute("SELECT key FROM deliveries")).fetchall()}
    assert left == {"claimed-long-ago", "sent-at-the-cutoff", "finished-recently", "about-the-future"}
    assert await repo.prune_finished(cutoff) == 0, "a second run deletes nothing twice"


async def test_a_large_backlog_is_pruned_batch_after_batch_until_none_is_left(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "PRUNE_BATCH", 2)
    repo = DeliveryRepository(conn)
    old = NOW - DELIVERIES_KEPT - timedelta(days=1)
    for n in range(5):
        await repo.skip(replace(record(f"old-{n}"), fire_at=old, occurs_at=old), "beyond-grace", old)
    assert await repo.claim(replace(record("old-claim"), fire_at=old, occurs_at=old), old)
    # Batches of 2: 2, 2, then 1 (fewer than a batch: done).
    assert await repo.prune_finished(NOW - DELIVERIES_KEPT) == 5
    left = [r[0] for r in await (await conn.execute("SELECT key FROM deliveries")).fetchall()]
    assert left == ["old-claim"]


class Owners:
    """Which processes of a cluster run (``ClaimOwners``)."""

    def __init__(self, *running: str) -> None:
        self.running = set(running)

    async def alive(self, instance: str) -> bool:
        return instance in self.running


async def test_a_claim_another_running_process_holds_is_left_to_it(conn: Connection) -> None:
    """Two processes whose shards overlap by mistake: the second one never sends what the first one claimed while
    the first one runs, nor gives it up as too late; once the first is gone, exactly one process takes it over,
    looks for it in the channel and sends it."""
    first, second = DeliveryRepository(conn, owner="0-3/8:aaa"), DeliveryRepository(conn, owner="2-5/8:bbb")
    channel, clock = FakeChannel(), Clock(NOW)
    owners = Owners("0-3/8:aaa", "2-5/8:bbb")
    assert await first.claim(record(), NOW)  # the first is about to send it
    looked_up: list[str] = []

    async def not_there(claimed: DeliveryRecord) -> int | None:
        looked_up.append(claimed.key)
        return None

    deliverer = Deliverer(second, clock=clock, owners=owners)
    busy = await deliverer.deliver(record(), channel.send, not_there)
    assert busy.outcome is Outcome.RETRY_LATER and busy.reason == "claimed by process 0-3/8:aaa, which is running"
    late = await deliverer.give_up_unless_posted(record(), not_there, "too late")
    assert late.outcome is Outcome.RETRY_LATER  # not skipped under the first one's feet
    assert channel.sends == [] and looked_up == []
    stored = await first.get(record().key)
    assert stored is not None and (stored.status, stored.claim_process) == (DeliveryStatus.CLAIMED, "0-3/8:aaa")
    owners.running.discard("0-3/8:aaa")  # killed before it sent
    # Two processes saw it was the dead one's: one statement each, and only the first takes it.
    third = DeliveryRepository(conn, owner="4-7/8:ccc")
    assert await third.take_over(record().key, "0-3/8:aaa")
    assert not await second.take_over(record().key, "0-3/8:aaa")
    owners.running.add("4-7/8:ccc")  # the taker runs: the claim is its to finish
    busy = await deliverer.deliver(record(), channel.send, not_there)
    assert busy.outcome is Outcome.RETRY_LATER and busy.reason == "claimed by process 4-7/8:ccc, which is running"
    assert channel.sends == []
    owners.running.discard("4-7/8:ccc")
    done = await deliverer.deliver(record(), channel.send, not_there)
    assert done.outcome is Outcome.RECOVERED and channel.sends == [record().nonce] and looked_up == [record().key]
    stored = await first.get(record().key)
    assert stored is not None and (stored.status, stored.claim_process) == (DeliveryStatus.SENT, "2-5/8:bbb")


async def test_a_process_alone_recovers_every_claim_as_before(conn: Connection) -> None:
    """No cluster (no owner): claims of an earlier process (even one that was part of a cluster) are recovered at
    once, without asking who runs."""
    assert await DeliveryRepository(conn, owner="0-3/8:aaa").claim(record(), NOW)
    channel = FakeChannel()
    result = await Deliverer(DeliveryRepository(conn), clock=Clock(NOW), owners=Owners("0-3/8:aaa")).deliver(
        record(), channel.send
    )
    assert result.outcome is Outcome.RECOVERED and channel.sends == [record().nonce]
