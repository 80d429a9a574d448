"""Study groups' prompts and weekly recaps: a feed of the scheduling runner (``bot.scheduling.runner``).

The database is the truth: each sweep asks ``schedule.due_between`` what fell due since the last one (the runner's
watermark), and the runner delivers each occurrence by its key, exactly once, recording what is beyond its grace
window as skipped instead of posting it (a prompt more than an hour late is noise; a recap is worth a day). A
message sent more than two minutes after its time says it is late. A claim left by a crash is first looked for in
the channel's recent history by the ``ref`` in its footer once it is older than Discord's nonce memory, and sent
again with the same nonce otherwise. Timers are only a wake-up call: one job per instant at which some group's next
prompt or recap is due, re-armed after every sweep. A prompt Discord refused for the moment (a 503, a dropped
connection, a long 429) is retried alone 15 s later, then after 30 s, 1 min, ... up to the sweep interval; no other
group waits for it.

No discord import: ``PromptSender`` is implemented in ``bot/adapters/studygroup_posts.py`` and given here by
``bot/app.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.scheduling import (
    FIRST_RETRY,
    DeliveryRecord,
    Feed,
    FeedPolicy,
    Item,
    SkipDelivery,
    Sweep,
    delivery_nonce,
    delivery_reference,
)
from bot.studygroups import schedule as timing
from bot.studygroups.models import StudyGroup
from bot.studygroups.recap import ExamsAhead, WeeklyRecap
from bot.studygroups.service import StudyGroupService

log = logging.getLogger(__name__)

FEED = "studygroups"
JOB_PREFIX = "sg:at:"
RETRY_JOB = f"{FEED}:retry"
WATERMARK = FEED
KEY_PREFIX = timing.DELIVERY_KEY_PREFIX
KINDS = {timing.OccurrenceKind.PROMPT: "studygroup-prompt", timing.OccurrenceKind.RECAP: "studygroup-recap"}
MAX_LOOKBACK = dt.timedelta(days=2)
"""Older than the longest grace (a recap's day): after a long outage only recent occurrences are even recorded."""
NO_CHECK_INS = "no check-ins that week"
BEYOND_GRACE = "missed beyond the grace window"
GONE = "the study group is gone or archived"

ExamsAheadSource = Callable[[int, tuple[int, ...], dt.datetime], Awaitable[ExamsAhead | None]]
"""(server, the group's members, the recap's due time) -> the recap's exams line, if members opted in to it
(``bot.mydates``)."""


class PromptSender(Protocol):
    async def post_prompt(self, group: StudyGroup, occurrence: timing.Occurrence, *, late: bool, nonce: str) -> int:
        """Post the prompt (with its Check in button); the message id. Raises DeliveryProblem/TransientDeliveryError."""
        ...

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int: ...

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: dt.datetime) -> int | None:
        """A message of ours showing ``ref {reference}`` posted in the channel after ``since``, if any (read from
        its recent history; only for a claim left by a crash)."""
        ...


@dataclass(frozen=True, slots=True)
class GroupPost:
    group: StudyGroup
    occurrence: timing.Occurrence


delivery_key = timing.delivery_key


def job_id(instant: dt.datetime) -> str:
    return f"{JOB_PREFIX}{int(instant.timestamp())}"


class StudyGroupDispatcher(Feed[GroupPost]):
    name = FEED
    label = "study-group deliveries"
    kinds = tuple(KINDS.values())
    timer_prefix = JOB_PREFIX

    def __init__(
        self,
        service: StudyGroupService,
        sender: PromptSender,
        *,
        sweep_every: dt.timedelta = dt.timedelta(minutes=5),
        retry_first: dt.timedelta = FIRST_RETRY,
        clock: Callable[[], dt.datetime] | None = None,
        exams_ahead: ExamsAheadSource | None = None,
    ) -> None:
        self.service = service
        self.sender = sender
        self.exams_ahead = exams_ahead
        self.clock = clock or service.now
        self.policy = FeedPolicy(
            sweep_every=sweep_every,
            grace=timing.PROMPT_GRACE,
            max_lookback=MAX_LOOKBACK,
            retry_first=retry_first,
            beyond_grace=BEYOND_GRACE,
        )

    def _item(self, group: StudyGroup, occurrence: timing.Occurrence) -> Item[GroupPost]:
        key = delivery_key(occurrence)
        record = DeliveryRecord(
            key=key,
            group_key=f"{KEY_PREFIX}{group.id}",
            guild_id=group.guild_id,
            channel_id=group.channel_id,
            target_kind=KINDS[occurrence.kind],
            target_ref=str(group.id),
            offset_seconds=0,
            occurs_at=occurrence.due_at,
            fire_at=occurrence.due_at,
            nonce=delivery_nonce(key),
        )
        return Item(key, occurrence.due_at, GroupPost(group, occurrence), record, grace=occurrence.grace)

    async def due(self, sweep: Sweep) -> Sequence[Item[GroupPost]]:
        items = []
        for group in await self.service.active_groups():
            work = timing.due_between(group, sweep.since, sweep.until)
            # A group created (or moved to a time) just after its slot does not get that slot's prompt late.
            items += [self._item(group, o) for o in (*work.missed, *work.due) if o.due_at >= group.created_at]
        return sorted(items, key=lambda item: item.due_at)

    async def recover(self, record: DeliveryRecord) -> Item[GroupPost] | str:
        group = await self.service.get_group(int(record.target_ref))
        occurrence = _occurrence_of(record, group) if group is not None else None
        if group is None or occurrence is None or not group.active:
            return GONE
        return self._item(group, occurrence)

    async def wakeups(self, now: dt.datetime) -> Mapping[str, dt.datetime]:
        """One timer per instant at which some active group's next prompt or recap is due."""
        instants = set()
        for group in await self.service.active_groups():
            occurrence = timing.next_occurrence(group, now)
            if occurrence is not None:
                instants.add(occurrence.due_at)
        return {job_id(instant): instant for instant in instants}

    async def send(self, item: Item[GroupPost], *, nonce: str, late: bool) -> int:
        group, occurrence = item.payload.group, item.payload.occurrence
        if occurrence.kind is timing.OccurrenceKind.RECAP:
            recap = await self.service.weekly_recap(group.id, occurrence.week)
            if not recap.should_post:
                raise SkipDelivery(NO_CHECK_INS)
            if self.exams_ahead is not None:
                # Counted from the recap's due time, so a recap posted late says what it would have said on time.
                members = await self.service.member_ids(group.id)
                recap = replace(recap, exams_ahead=await self.exams_ahead(group.guild_id, members, occurrence.due_at))
            return await self.sender.post_recap(group, recap, late=late, nonce=nonce)
        return await self.sender.post_prompt(group, occurrence, late=late, nonce=nonce)

    async def find(self, item: Item[GroupPost], record: DeliveryRecord) -> int | None:
        since = record.claimed_at or record.fire_at
        return await self.sender.find_posted(
            record.guild_id, record.channel_id, delivery_reference(record.nonce), since
        )


def _occurrence_of(record: DeliveryRecord, group: StudyGroup) -> timing.Occurrence | None:
    """Rebuild a claimed row's occurrence from its key (``sg:prompt:{id}:{date}`` or ``sg:recap:{id}:{week}``)."""
    kind, _, rest = record.key.removeprefix(KEY_PREFIX).partition(":")
    _, _, when = rest.partition(":")
    try:
        if kind == timing.OccurrenceKind.PROMPT:
            return timing.prompt_on(group, dt.date.fromisoformat(when))
        if kind == timing.OccurrenceKind.RECAP:
            year, week = when.split("-W")
            return timing.recap_for(group, timing.IsoWeek(int(year), int(week)))
    except ValueError:
        log.warning("a claimed study-group delivery has a key I cannot read: %s", record.key)
    return None
