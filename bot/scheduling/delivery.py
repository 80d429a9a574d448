"""Exactly-once delivery of scheduled messages: claim, send with a deterministic nonce, record.

The protocol, per delivery key (one per server, milestone or event, occurrence and reminder):

1. **Claim**: insert the delivery row as ``claimed`` (the key is the primary key, so only one claim can exist) and
   commit, *before* sending.
2. **Send** with ``nonce = delivery_nonce(key)`` and ``enforce_nonce``: if a message with that nonce was already
   created in the last few minutes, Discord returns that message instead of creating a second one.
3. **Record**: mark the row ``sent`` with the message id.

A crash between 2 and 3 leaves a ``claimed`` row. How long Discord remembers a nonce is not documented ("the past
few minutes"), so the next process never relies on it: a claim it did not make itself is first looked up in the
channel's history by its reference (a digest of the nonce shown in the message footer), from the moment it was
claimed, and sent again (with the same nonce) only when it is surely not there. A claim this process made and could
not finish (a transient failure) is sent again with its nonce alone for ``nonce_trust`` after the claim, and looked
up like the others after that. A problem the server must fix (deleted channel, missing permission, deleted role)
marks the row ``failed``; a transient one (Discord down) leaves it ``claimed`` for the next attempt.

The row also says what was delivered (target kind, reference, offset, occurrence), so a claim left by a crash can be
rebuilt without the plan that made it.

Several processes of one bot (a cluster, SHARDS) share the table. Each claims as itself (``claim_process``), and a claim
another process made is left alone while that process runs (``ClaimOwners.alive``: its heartbeat is recent, and on
the same machine its pid exists): only a claim whose maker is gone is taken over, in one statement that succeeds for
one taker only, then looked up and sent as above. So two processes whose shard ranges overlap by mistake still send
each delivery once.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import Clock, from_db, from_db_or_none, to_db, utc_now

log = logging.getLogger(__name__)

NONCE_LENGTH = 25
"""Discord accepts message nonces of at most 25 characters."""
DEFAULT_NONCE_TRUST = timedelta(minutes=2)
"""How long after a claim made by this same process Discord's nonce check is relied on alone (it keeps nonces for
"the past few minutes"). A claim left by an earlier process is always looked up first, however recent."""

CRASH_AFTER_SEND_ENV = "IMGBOT_TEST_CRASH_AFTER_SEND"
"""Test hook, read only by ``bot/app.py`` and set only by tests/e2e/test_delivery_e2e.py (milestones) and
tests/e2e/test_studygroups_schedule_e2e.py (study groups): with ``1`` the process exits (``os._exit(9)``) right
after a message was sent and before it was recorded, to prove the nonce protocol."""


TARGET_KINDS = frozenset(
    {
        "milestone",  # bot/milestones: milestone announcements and their reminders
        "event",  # bot/milestones: a server's own events' reminders
        "discord-event",  # bot/milestones/discord_events.py: a Discord scheduled event created
        "studygroup-prompt",  # bot/studygroups: the daily check-in prompt
        "studygroup-recap",  # bot/studygroups: the weekly recap
        "studygroup-nudge",  # bot/studygroups/nudges.py: a streak reminder by DM
        "mydate-reminder",  # bot/mydates: a reminder of a member's own date by DM
    }
)
"""Every ``deliveries.target_kind`` a feature writes. The table no longer lists them (its CHECK went in migration
0023), so a new scheduled feature adds its kind here instead of rebuilding the table; ``DeliveryRepository`` refuses
any other before writing, as the CHECK did."""

DELIVERIES_KEPT = timedelta(days=400)
"""A finished delivery row is forgotten once it was due, was about a moment, and was finished more than this long ago
(``DeliveryRepository.prune_finished``, run daily by ``bot.privacy.RetentionSweep``).

The row is what keeps a post from being made twice, so it must outlive every way its item could be due again, and
400 days is far past all of them: a feed never looks further back for what it missed than its ``max_lookback`` (30
days for announcements, 2 for the others), whatever the grace window (``DELIVERY_GRACE_HOURS``); a Discord event is
planned only while its milestone is ahead, and ``occurs_at`` is that milestone; and it is more than a year, so every
row of the last cycle's milestones is still there when the next cycle's are announced. A claim is never forgotten,
however old: whether it was posted is unknown until recovery settles it. (A server event moved to a new time more
than 400 days after a reminder went out gets that reminder again, for its new time.) The rows that name a member go
much sooner: streak reminders after 3 days, reminders of a member's own dates 30 days after the date, as /privacy
says."""

PRUNE_BATCH = 1_000
"""Rows forgotten per transaction, so that a large backlog never holds other writers (claims of posts due meanwhile)
for long: on the development machine at a load average of 9, a backlog of 250,000 rows took 250 transactions of
0.16 s on average and 0.5 s at most (one transaction for all of it: 12 s)."""


def delivery_nonce(key: str) -> str:
    """A nonce that is the same for every attempt at one delivery: 25 base32 characters (125 bits) of SHA-256."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:NONCE_LENGTH]


def delivery_reference(nonce: str) -> str:
    """The short reference a delivered message carries in its footer (where members do not see it: the footer icon's
    URL, ``bot.ui.channels.set_reference_footer``); finds the message again after a crash."""
    return nonce[:10]


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class ProblemKind(StrEnum):
    """Why a delivery cannot be made until someone in the server fixes something."""

    CHANNEL_GONE = "channel-gone"
    NO_PERMISSION = "no-permission"
    ROLE_GONE = "role-gone"
    SERVER_GONE = "server-gone"
    REJECTED = "rejected"
    """Discord refused the message itself (a bug of ours); logged as an error, nothing is paused."""


class DeliveryProblem(Exception):
    def __init__(self, kind: ProblemKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail


class TransientDeliveryError(Exception):
    """Try again later: Discord or the server is temporarily unavailable.

    ``retry_after`` is how long Discord asked to wait (a 429 longer than discord.py's ``max_ratelimit_timeout``);
    the runner waits at least that long before trying this delivery again.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SkipDelivery(Exception):
    """Raised by a feed's send before it sends anything: this delivery will not be made (recorded as skipped with
    ``reason``; a weekly recap of a week nobody checked in, say)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery row. ``status`` and the fields after it change as the delivery progresses."""

    key: str
    group_key: str
    guild_id: int
    channel_id: int
    target_kind: str
    target_ref: str
    offset_seconds: int
    occurs_at: datetime
    fire_at: datetime
    nonce: str
    late: bool = False
    status: DeliveryStatus = DeliveryStatus.CLAIMED
    reason: str | None = None
    message_id: int | None = None
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
    claim_process: str | None = None
    """The process of a cluster that claimed it (None: a process alone, which no other process runs beside)."""


_COLUMNS = (
    "key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, occurs_at, fire_at, nonce, late, "
    "status, reason, message_id, claimed_at, finished_at, claim_process"
)


def _record(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        key=row["key"],
        group_key=row["group_key"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        target_kind=row["target_kind"],
        target_ref=row["target_ref"],
        offset_seconds=row["offset_seconds"],
        occurs_at=from_db(row["occurs_at"]),
        fire_at=from_db(row["fire_at"]),
        nonce=row["nonce"],
        late=bool(row["late"]),
        status=DeliveryStatus(row["status"]),
        reason=row["reason"],
        message_id=row["message_id"],
        claimed_at=from_db_or_none(row["claimed_at"]),
        finished_at=from_db_or_none(row["finished_at"]),
        claim_process=row["claim_process"],
    )


class DeliveryRepository:
    """SQL for the ``deliveries`` table (and the watermark of runs in ``bot_meta``)."""

    def __init__(self, conn: Connection, owner: str | None = None) -> None:
        self._conn = conn
        self.owner = owner
        """This process in a cluster (its instance): written as ``claim_process`` of its claims."""

    async def get(self, key: str) -> DeliveryRecord | None:
        async with self._conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row else None

    async def _insert(self, record: DeliveryRecord) -> bool:
        if record.target_kind not in TARGET_KINDS:
            raise ValueError(f"unknown delivery target kind {record.target_kind!r}: add it to TARGET_KINDS")
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                f"INSERT INTO deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (key) DO NOTHING",
                (
                    record.key,
                    record.group_key,
                    record.guild_id,
                    record.channel_id,
                    record.target_kind,
                    record.target_ref,
                    record.offset_seconds,
                    to_db(record.occurs_at),
                    to_db(record.fire_at),
                    record.nonce,
                    int(record.late),
                    record.status.value,
                    record.reason,
                    record.message_id,
                    to_db(record.claimed_at) if record.claimed_at else None,
                    to_db(record.finished_at) if record.finished_at else None,
                    record.claim_process,
                ),
            )
            return cursor.rowcount == 1

    async def claim(self, record: DeliveryRecord, now: datetime) -> bool:
        """Insert the row as claimed (committed); False when a row with this key already exists."""
        claimed = replace(record, status=DeliveryStatus.CLAIMED, claimed_at=now, claim_process=self.owner)
        return await self._insert(claimed)

    async def take_over(self, key: str, previous: str | None) -> bool:
        """Make a claim another process left this process's; False when it is no longer that one's claim (finished,
        or taken over by another process first)."""
        maker = "claim_process IS NULL" if previous is None else "claim_process = ?"
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                f"UPDATE deliveries SET claim_process = ? WHERE key = ? AND status = 'claimed' AND {maker}",
                (self.owner, key) if previous is None else (self.owner, key, previous),
            )
            return cursor.rowcount == 1

    async def skip(self, record: DeliveryRecord, reason: str, now: datetime) -> None:
        """Record that this delivery will not be made (a new row, or a claim given up)."""
        if not await self._insert(replace(record, status=DeliveryStatus.SKIPPED, reason=reason, finished_at=now)):
            await self._finish(record.key, DeliveryStatus.SKIPPED, now, reason=reason)

    async def mark_sent(self, key: str, message_id: int, now: datetime, *, late: bool | None = None) -> None:
        """Record the message; ``late`` (when given) is whether the message said it was posted late, decided when it
        was sent rather than when it was claimed."""
        await self._finish(key, DeliveryStatus.SENT, now, message_id=message_id, late=late)

    async def give_up(self, key: str, reason: str, now: datetime) -> None:
        """Record a claim as skipped (and write nothing if the row is gone)."""
        await self._finish(key, DeliveryStatus.SKIPPED, now, reason=reason)

    async def mark_failed(self, key: str, reason: str, now: datetime) -> None:
        await self._finish(key, DeliveryStatus.FAILED, now, reason=reason)

    async def reopen(self, key: str) -> bool:
        """Make a skipped row a claim again (its outcome unknown: it is recovered like one left by a crash)."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE deliveries SET status = 'claimed', reason = NULL, finished_at = NULL "
                "WHERE key = ? AND status = 'skipped'",
                (key,),
            )
            return cursor.rowcount == 1

    async def _finish(
        self,
        key: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        reason: str | None = None,
        message_id: int | None = None,
        late: bool | None = None,
    ) -> None:
        # Only a claim can be finished: a row already sent, failed or skipped keeps its outcome, whoever asks later.
        async with write_transaction(self._conn):
            await self._conn.execute(
                "UPDATE deliveries SET status = ?, reason = COALESCE(?, reason), message_id = COALESCE(?, message_id), "
                "late = COALESCE(?, late), finished_at = ? WHERE key = ? AND status = 'claimed'",
                (status.value, reason, message_id, None if late is None else int(late), to_db(now), key),
            )

    async def statuses(self, keys: Sequence[str]) -> dict[str, DeliveryStatus]:
        """The status of each of these keys that has a row (asked in batches: SQLite limits bound variables)."""
        found: dict[str, DeliveryStatus] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            marks = ", ".join("?" * len(batch))
            async with self._conn.execute(
                f"SELECT key, status FROM deliveries WHERE key IN ({marks})", tuple(batch)
            ) as cursor:
                found.update({row[0]: DeliveryStatus(row[1]) for row in await cursor.fetchall()})
        return found

    async def known_since(
        self, since: datetime, kinds: Sequence[str]
    ) -> dict[str, tuple[str, datetime, DeliveryStatus]]:
        """Every row of these target kinds due at or after ``since``: key -> (group key, fire_at, status).

        The kinds are required, as for ``claimed``: the other features' rows are none of the caller's business.
        """
        marks = ", ".join("?" * len(kinds))
        async with self._conn.execute(
            f"SELECT key, group_key, fire_at, status FROM deliveries WHERE fire_at >= ? AND target_kind IN ({marks})",
            (to_db(since), *kinds),
        ) as cursor:
            rows = await cursor.fetchall()
        return {row[0]: (row[1], from_db(row[2]), DeliveryStatus(row[3])) for row in rows}

    async def claimed(self, kinds: Sequence[str]) -> list[DeliveryRecord]:
        """Unfinished claims of these target kinds, oldest first.

        The kinds are required: each feature recovers only its own claims. (The announcer once took a study group's
        claim for a milestone whose target was gone and marked it skipped.)
        """
        marks = ", ".join("?" * len(kinds))
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE status = 'claimed' AND target_kind IN ({marks}) ORDER BY fire_at",
            tuple(kinds),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def recent(self, guild_id: int, kinds: Sequence[str], limit: int = 5) -> list[DeliveryRecord]:
        """The server's latest finished deliveries (sent, failed or skipped) of these target kinds, newest first.

        The kinds are required because several features share this table: a server's announcement status must not
        list its study groups' prompts.
        """
        marks = ", ".join("?" * len(kinds))
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND status != 'claimed' "
            f"AND target_kind IN ({marks}) ORDER BY finished_at DESC LIMIT ?",
            (guild_id, *kinds, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def prune_finished(self, before: datetime) -> int:
        """Forget the finished rows due, about a moment, and finished before ``before`` (``DELIVERIES_KEPT`` says why
        that is safe); claims stay. How many went.

        In transactions of ``PRUNE_BATCH`` rows: the first run after an upgrade may have years of backlog."""
        # Text comparisons are time comparisons: every column is written by to_db (bot/db/timestamps.py).
        stamp = to_db(before)
        pruned = 0
        while True:
            async with write_transaction(self._conn):
                # By key (the primary key), which both engines have; SQLite's rowid is not PostgreSQL's.
                cursor = await self._conn.execute(
                    "DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries WHERE status != 'claimed' "
                    "AND finished_at < ? AND fire_at < ? AND occurs_at < ? LIMIT ?)",
                    (stamp, stamp, stamp, PRUNE_BATCH),
                )
            deleted = max(cursor.rowcount, 0)
            pruned += deleted
            if deleted < PRUNE_BATCH:
                return pruned

    async def watermark(self, name: str) -> datetime | None:
        async with self._conn.execute("SELECT value FROM bot_meta WHERE key = ?", (f"watermark:{name}",)) as cursor:
            row = await cursor.fetchone()
        return from_db(row[0]) if row else None

    async def set_watermark(self, name: str, moment: datetime) -> None:
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"watermark:{name}", to_db(moment)),
            )

    async def advance_watermark(self, name: str, moment: datetime) -> None:
        """Move the watermark to ``moment``, never back (two sweeps finishing out of order leave the later one)."""
        async with write_transaction(self._conn):
            # Both values are written by to_db (UTC, fixed width), so comparing the text compares the instants.
            await self._conn.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > bot_meta.value",
                (f"watermark:{name}", to_db(moment)),
            )


class Outcome(StrEnum):
    SENT = "sent"
    RECOVERED = "recovered"
    """A claim left by a crash: sent again with its nonce, or found in the channel's history."""
    ALREADY_DONE = "already-done"
    FAILED = "failed"
    RETRY_LATER = "retry-later"
    SKIPPED = "skipped"
    """The feed decided, just before sending, not to send it (``SkipDelivery``)."""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    outcome: Outcome
    message_id: int | None = None
    problem: DeliveryProblem | None = None
    reason: str | None = None
    """Why it was skipped or is retried later."""
    retry_after: float | None = None
    """How long Discord asked to wait before a retry (a long 429), when it said."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery claimed (or found already claimed, or finished) and not sent yet: ``Deliverer.claim``."""

    record: DeliveryRecord
    recovering: bool
    """The row existed before this attempt: a crash or a transient failure left it, so it may have been posted."""
    done: DeliveryResult | None = None
    """Set when there is nothing left to do (the row is finished)."""


class ClaimOwners(Protocol):
    """Which processes of a cluster are running (bot/observability/cluster.py)."""

    async def alive(self, instance: str) -> bool: ...


SendFn = Callable[[str], Awaitable[int]]
"""Sends the message with the given nonce; returns its id. Raises DeliveryProblem or TransientDeliveryError."""
FindFn = Callable[[DeliveryRecord], Awaitable[int | None]]
"""Looks for a message already posted for a claimed delivery (by its reference); its id, or None when it surely was
not posted. Raises TransientDeliveryError when it cannot tell yet (the claim then waits), SkipDelivery when it never
will (the claim is given up rather than risk a second post) or DeliveryProblem."""
PostedLookup = Callable[[int, int, str, datetime], Awaitable[int | None]]
"""``(guild_id, channel_id, reference, since)``: a message of ours showing ``ref {reference}`` posted in that
channel after ``since``, searched in its history from ``since`` on; its id, or None."""


def find_by_reference(lookup: PostedLookup) -> FindFn:
    """The ``FindFn`` of a feature whose messages show ``delivery_reference(nonce)``: the record's channel is
    searched from the moment the delivery was claimed."""

    async def find(record: DeliveryRecord) -> int | None:
        since = record.claimed_at or record.fire_at
        return await lookup(record.guild_id, record.channel_id, delivery_reference(record.nonce), since)

    return find


class Deliverer:
    def __init__(
        self,
        repository: DeliveryRepository,
        *,
        clock: Clock = utc_now,
        nonce_trust: timedelta = DEFAULT_NONCE_TRUST,
        crash_after_send: bool = False,
        owners: ClaimOwners | None = None,
    ) -> None:
        self.repository = repository
        self.owners = owners
        """In a cluster: which other processes still run, whose claims are theirs to finish."""
        self._clock = clock
        self.nonce_trust = nonce_trust
        self.crash_after_send = crash_after_send
        self._claimed_here: dict[str, datetime] = {}
        """Unfinished claims this Deliverer made, with when, oldest first: only these may rely on the nonce alone.
        Entries older than ``nonce_trust`` are dropped as new claims come (they are looked up either way)."""

    async def deliver(self, record: DeliveryRecord, send: SendFn, find: FindFn | None = None) -> DeliveryResult:
        """Make one delivery at most once (see the module docstring). Problems are returned, not raised."""
        claim = await self.claim(record)
        if claim.done is not None:
            return claim.done
        return await self.complete(claim, send, find)

    async def claim(self, record: DeliveryRecord) -> Claim:
        """Step 1: the row is claimed (committed) before anything is sent; or the existing row says what is left."""
        repo = self.repository
        existing = await repo.get(record.key)
        if existing is None:
            now = self._clock()
            if await repo.claim(record, now):
                self._remember(record.key, now)
                return Claim(record, recovering=False)
            existing = await repo.get(record.key)
            if existing is None:  # claimed, finished and deleted (/mydata delete) by another task meanwhile
                return Claim(record, recovering=False)
        if existing.status is not DeliveryStatus.CLAIMED:
            self._claimed_here.pop(record.key, None)
            return Claim(existing, recovering=True, done=DeliveryResult(Outcome.ALREADY_DONE, existing.message_id))
        busy = await self._claimed_elsewhere(existing)
        if busy is not None:
            return Claim(existing, recovering=True, done=busy)
        return Claim(replace(existing, claim_process=repo.owner), recovering=True)

    async def _claimed_elsewhere(self, existing: DeliveryRecord) -> DeliveryResult | None:
        """None when the unfinished claim is this process's to finish: its own, or one it took over from a process
        that is gone. Otherwise why not: another running process holds it (or took it over first)."""
        repo = self.repository
        maker = existing.claim_process
        if repo.owner is None or maker == repo.owner:
            return None
        if maker is not None and self.owners is not None and await self.owners.alive(maker):
            return DeliveryResult(Outcome.RETRY_LATER, reason=f"claimed by process {maker}, which is running")
        if not await repo.take_over(existing.key, maker):
            return DeliveryResult(Outcome.RETRY_LATER, reason="another process took the claim over first")
        log.info("delivery %s: took over the claim of %s, which is gone", existing.key, maker or "an earlier process")
        return None

    async def give_up_unless_posted(self, record: DeliveryRecord, find: FindFn | None, reason: str) -> DeliveryResult:
        """A delivery too late to be made: recorded as skipped with ``reason``, unless it was claimed and ``find``
        finds it in the channel (a crash after the send and before its record): then it is recorded as sent.

        An existing claim is only ever skipped once ``find`` said it was not posted: calling it skipped on its age
        alone would record a post that is in the channel as never made."""
        repo = self.repository
        existing = await repo.get(record.key)
        if existing is None:
            # Never claimed, so never sent. (A claim made meanwhile keeps its row: ``skip`` then finishes it.)
            await repo.skip(replace(record, late=True), reason, self._clock())
            return DeliveryResult(Outcome.SKIPPED, reason=reason)
        if existing.status is not DeliveryStatus.CLAIMED:
            return DeliveryResult(Outcome.ALREADY_DONE, existing.message_id)
        busy = await self._claimed_elsewhere(existing)
        if busy is not None:
            return busy
        if find is not None:
            looked = await self._look_up(existing, find)
            if looked is not None:
                return looked
        await repo.give_up(existing.key, reason, self._clock())
        return DeliveryResult(Outcome.SKIPPED, reason=reason)

    def _remember(self, key: str, now: datetime) -> None:
        claimed = self._claimed_here
        claimed.pop(key, None)
        claimed[key] = now
        # Insertion order is claim order, so the expired ones are at the front.
        while claimed:
            oldest = next(iter(claimed))
            if now - claimed[oldest] <= self.nonce_trust:
                break
            del claimed[oldest]

    async def _look_up(self, record: DeliveryRecord, find: FindFn) -> DeliveryResult | None:
        """The result when the look-up settles the claim (found, failed, unknowable, not now); None: surely not
        posted, send it."""
        repo = self.repository
        try:
            found = await find(record)
        except SkipDelivery as unknowable:
            log.warning("delivery %s given up: %s", record.key, unknowable.reason)
            await repo.give_up(record.key, unknowable.reason, self._clock())
            return DeliveryResult(Outcome.SKIPPED, reason=unknowable.reason)
        except DeliveryProblem as problem:
            await repo.mark_failed(record.key, str(problem), self._clock())
            return DeliveryResult(Outcome.FAILED, problem=problem)
        except TransientDeliveryError as error:
            # Unsure whether it went out: sending now could post it twice, so the claim waits.
            reason = f"could not check whether it was posted: {error}"
            return DeliveryResult(Outcome.RETRY_LATER, reason=reason, retry_after=error.retry_after)
        if found is None:
            return None
        await repo.mark_sent(record.key, found, self._clock())
        # Logged once it is recorded: "recorded it" must be true when the line appears (tests wait for it).
        log.info("delivery %s was posted before a crash (message %s); recorded it", record.key, found)
        return DeliveryResult(Outcome.RECOVERED, found)

    def _must_look_up(self, record: DeliveryRecord) -> bool:
        """Whether a claim left unfinished must be looked for before it is sent again: always when an earlier process
        (or a reopened row) left it, else once Discord may have forgotten its nonce."""
        claimed_here = self._claimed_here.get(record.key)
        return claimed_here is None or self._clock() - claimed_here > self.nonce_trust

    async def complete(
        self,
        claim: Claim,
        send: SendFn,
        find: FindFn | None = None,
        *,
        sent_late: Callable[[], bool | None] = lambda: None,
    ) -> DeliveryResult:
        """Steps 2 and 3: send with the nonce (after looking for the message when the claim was left by an earlier
        process, or is older than ``nonce_trust``) and record. ``sent_late`` says, after ``send`` returned, whether
        the message said "late"."""
        if claim.done is not None:
            return claim.done
        result = await self._complete(claim, send, find, sent_late)
        if result.outcome is not Outcome.RETRY_LATER:
            self._claimed_here.pop(claim.record.key, None)
        return result

    async def _complete(
        self, claim: Claim, send: SendFn, find: FindFn | None, sent_late: Callable[[], bool | None]
    ) -> DeliveryResult:
        repo, record = self.repository, claim.record
        if claim.recovering and find is not None and self._must_look_up(record):
            looked_up = await self._look_up(record, find)
            if looked_up is not None:
                return looked_up
        try:
            message_id = await send(record.nonce)
        except SkipDelivery as skipped:
            # Only the claim is finished: a row deleted meanwhile (/mydata delete) is not written again.
            await repo.give_up(record.key, skipped.reason, self._clock())
            return DeliveryResult(Outcome.SKIPPED, reason=skipped.reason)
        except DeliveryProblem as problem:
            await repo.mark_failed(record.key, str(problem), self._clock())
            return DeliveryResult(Outcome.FAILED, problem=problem)
        except TransientDeliveryError as error:
            # The claim stays, to be sent again with the same nonce (the caller logs it and plans the retry).
            return DeliveryResult(Outcome.RETRY_LATER, reason=str(error), retry_after=error.retry_after)
        if self.crash_after_send:
            log.critical(
                "%s is set: exiting after sending %s and before recording it", CRASH_AFTER_SEND_ENV, record.key
            )
            os._exit(9)
        await repo.mark_sent(record.key, message_id, self._clock(), late=sent_late())
        return DeliveryResult(Outcome.RECOVERED if claim.recovering else Outcome.SENT, message_id)
