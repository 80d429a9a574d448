"""A server's own knowledge entries: what its moderators write with ``/knowledge add`` (their resources channel,
study-hall hours, mentorship program, local rules), found by ``/ask`` and ``/topic`` in that server only.

They are not curated: nobody reviewed them against sources, so they are never shown with the curated badge and never
hide a curated fact. The rules of precedence are the cog's (``cogs/knowledge.py``): a confident curated answer is
the answer and a matching server entry is offered beside it; a server entry is the answer only when no curated one
is.

Search is deliberately small and separate from the curated search (``bot.knowledge.search``, whose scoring this never
touches): the same tokenizer (``content_terms``: normalised words, stopwords dropped), and a word-overlap score over
the entry's title and other names (full credit) and its answer (``BODY_CREDIT``). An entry matches when enough of
the question's words are covered (``MATCH_MIN``) and at least one word that is not an everyday one names it (title
or other names), or when the question is nothing but its title or one of its other names. Each server's index is
built from the database on first use, kept in memory (the most recently used ``CACHE_LIMIT`` servers) and dropped
on every change, so the next question rebuilds it.

The bot removed from a server: its entries are kept for the server's retention period (the study-group setting,
``/studygroup-retention``), then deleted with the rest of the server's data, unless the bot is back first
(``ServerEntriesRetention``, a worker of the scheduling runner).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import io
import logging
import re
import zipfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from bot.db.timestamps import Clock, utc_now
from bot.knowledge.search import WEAK_WORDS, content_terms, normalize, tokenize
from bot.source_urls import check_source_url
from bot.studygroups.reconcile import ServerStatus
from bot.text import has_mention, has_words, would_ping
from bot.validation import FormErrors, UserInputError

if TYPE_CHECKING:
    from bot.knowledge.server_repository import ServerEntryRepository
    from bot.scheduling.pacing import Lane, Pacer

log = logging.getLogger(__name__)

MAX_ENTRIES = 200
"""Entries a server may have: enough for its own resources and rules, few enough to list and to search per question."""
MAX_TITLE_CHARS = 100
MAX_ALIASES_INPUT = 300
"""The "other names" field of the form: one line, names separated by commas."""
MAX_ALIAS_CHARS = 60
MAX_ALIASES = 15
MAX_ANSWER_CHARS = 4000
MAX_LINK_CHARS = 500

BODY_CREDIT = 0.5
"""A question word found only in the answer counts half: the answer mentions many things it is not about."""
WEAK_SHARE = 0.5
"""An everyday word ("good", "time", "tips": ``WEAK_WORDS`` of the curated search) weighs half as much."""
MATCH_MIN = 0.6
"""Share of the question's weight an entry must cover to match. With the name rule, "study hall hours?" finds the
entry "Study hall hours" and "best pizza" finds nothing however an entry mentions pizza."""
PREFIX_MIN = 5
"""A question word and a word of a title or other name match when one starts with the other and the shorter has at
least this many letters ("mentor" and "mentorship"); shorter ones must be equal ("step" is not "steps2")."""
CACHE_LIMIT = 256
"""Servers whose index stays in memory (the most recently asked). An index holds each entry's id, names and answer
words, never the answer text: a few hundred kilobytes for a full server, nothing for a server without entries."""
FILES_BEFORE_ZIP = 5
"""``/knowledge export``: up to this many entries are attached as one Markdown file each, more as one .zip."""

_SLUG = re.compile(r"[^a-z0-9]+")
SERVER_CHOICE_PREFIX = "srv:"
"""The value of a server entry in /topic's autocomplete (``srv:<id>``), beside the curated entries' ids."""


def _fold(term: str) -> str:
    """A word without its plural "s", as the curated search folds it ("hours" finds "hour")."""
    return term[:-1] if len(term) > 3 and term.endswith("s") and not term.endswith("ss") else term


def terms_of(text: str) -> tuple[str, ...]:
    """The meaningful words of a text, normalised and folded, in order, without repeats."""
    return tuple(dict.fromkeys(_fold(t) for t in content_terms(text)))


# -- the form ---------------------------------------------------------------------------------------------------------


def _one_line(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text.")
    return " ".join(value.split())


def split_aliases(text: str) -> list[str]:
    """The "other names" field: names separated by commas (or new lines), each on one line, blanks dropped."""
    return [" ".join(part.split()) for part in re.split(r"[,\n]", text) if part.strip()]


class ServerEntryForm(BaseModel):
    """What ``/knowledge add`` and ``/knowledge edit`` take, by the form's field ids; every problem is reported at once
    (``bot.validation.parse_form``). Text is kept as typed, trimmed; pings are neutralised where it is shown."""

    model_config = ConfigDict(frozen=True)

    title: str
    aliases: tuple[str, ...] = ()
    answer: str
    link: str | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        text = _one_line(value, "The title")
        if not text:
            raise ValueError("Give the entry a title, e.g. `Study hall hours`.")
        if has_mention(text):
            raise ValueError("A title cannot contain mentions: name the topic, e.g. `Study hall hours`.")
        if not has_words(text):
            raise ValueError("Give the title some words, not only symbols or emoji.")
        if len(text) > MAX_TITLE_CHARS:
            raise ValueError(f"Keep the title to {MAX_TITLE_CHARS} characters (it has {len(text)}).")
        return text

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        if not isinstance(value, str):
            raise ValueError("Other names must be text, separated by commas.")
        if len(value) > MAX_ALIASES_INPUT:
            raise ValueError(f"Keep the other names to {MAX_ALIASES_INPUT} characters in all (they have {len(value)}).")
        names: dict[str, str] = {}
        for name in split_aliases(value):
            if has_mention(name):
                raise ValueError("Other names cannot contain mentions: list words members type, e.g. `study hall`.")
            if not has_words(name):
                raise ValueError(f"“{name}” has no words: give each other name some words, separated by commas.")
            if len(name) > MAX_ALIAS_CHARS:
                raise ValueError(f"Keep each other name to {MAX_ALIAS_CHARS} characters (one has {len(name)}).")
            names.setdefault(name.casefold(), name)
        if len(names) > MAX_ALIASES:
            raise ValueError(f"Give at most {MAX_ALIASES} other names (there are {len(names)}).")
        return tuple(names.values())

    @field_validator("answer", mode="before")
    @classmethod
    def _answer(cls, value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("The answer must be text.")
        text = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        text = text.strip()
        if not text:
            raise ValueError("Write the answer members should get (up to 4,000 characters).")
        if not has_words(text):
            raise ValueError("Give the answer some words, not only symbols or emoji.")
        if len(text) > MAX_ANSWER_CHARS:
            raise ValueError(f"Keep the answer to {MAX_ANSWER_CHARS:,} characters (it has {len(text):,}).")
        return text

    @field_validator("link", mode="before")
    @classmethod
    def _link(cls, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("The link must be text.")
        text = value.strip()
        if not text:
            return None
        if len(text) > MAX_LINK_CHARS:
            raise ValueError(f"Keep the link to {MAX_LINK_CHARS} characters (it has {len(text)}).")
        # Shown as typed, so it must not be able to ping or to break out of the text around it.
        if "<" in text or ">" in text or would_ping(text):
            raise ValueError("The link cannot contain `<`, `>`, @everyone or @here: give the page's plain address.")
        try:
            return check_source_url(text)
        except ValueError as exc:
            raise ValueError(f"The link {exc}.") from None

    @field_validator("aliases")
    @classmethod
    def _not_the_title(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        title = info.data.get("title")
        if not isinstance(title, str):
            return value
        return tuple(name for name in value if name.casefold() != title.casefold())


def title_key(title: str) -> str:
    """What makes two titles the same in a server: case and spacing aside."""
    return " ".join(title.casefold().split())


# -- the entries ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerEntry:
    id: int
    guild_id: int
    title: str
    aliases: tuple[str, ...]
    answer: str
    link: str | None
    created_by: int
    """The moderator who added it; 0 when they deleted their data (/mydata delete un-names it)."""
    created_at: dt.datetime
    updated_by: int
    """The moderator who changed it last (the author until someone edits it); 0 when un-named."""
    updated_at: dt.datetime

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at

    @property
    def choice_value(self) -> str:
        return f"{SERVER_CHOICE_PREFIX}{self.id}"


@dataclass(frozen=True)
class AnsweredEntry:
    """How often /ask answered with one of the server's entries (/knowledge report: candidates for the curated base)."""

    id: int
    title: str
    times: int
    last: dt.datetime


@dataclass(frozen=True)
class ServerHit:
    """A server entry a question matches: its id and title (the entry itself is read when shown), and how well."""

    entry_id: int
    title: str
    score: float


@dataclass(frozen=True)
class _Indexed:
    id: int
    title: str
    updated_at: dt.datetime
    """With ``id``, what says the entry is unchanged: a rebuilt index reuses its words instead of reading it again."""
    names: frozenset[str]
    """The words of the title and the other names."""
    words: frozenset[str]
    """The words of the answer."""
    phrases: frozenset[tuple[str, ...]]
    """The title and each other name as its words: a question that is nothing but one of them is this entry."""
    spelled: tuple[str, ...]
    """The title and each other name normalised, for autocomplete and for a name typed in /topic."""

    @classmethod
    def of(cls, entry: ServerEntry) -> _Indexed:
        names = [entry.title, *entry.aliases]
        return cls(
            id=entry.id,
            title=entry.title,
            updated_at=entry.updated_at,
            names=frozenset(t for name in names for t in terms_of(name)),
            words=frozenset(terms_of(entry.answer)),
            phrases=frozenset(p for p in (terms_of(name) for name in names) if p),
            spelled=tuple(" ".join(tokenize(name)) for name in names),
        )


def _weight(term: str) -> float:
    return WEAK_SHARE if term in WEAK_WORDS else 1.0


class ServerEntryIndex:
    """One server's entries, ready to be searched by word overlap (see the module's docstring).

    Inverted: each word leads to the entries that have it in their names or in their answer, so a question costs a
    few dictionary look-ups per word, however many entries and however long their answers. Reading an answer's words
    is the costly part (the curated tokenizer: about 2 ms for 4,000 characters), so ``previous`` (the index this one
    replaces) lends the words of every entry that has not changed since."""

    def __init__(self, entries: Iterable[ServerEntry], previous: ServerEntryIndex | None = None) -> None:
        known = {(e.id, e.updated_at): e for e in previous.entries} if previous is not None else {}
        indexed = [known.get((entry.id, entry.updated_at)) or _Indexed.of(entry) for entry in entries]
        self.entries: tuple[_Indexed, ...] = tuple(sorted(indexed, key=lambda e: (e.title.casefold(), e.id)))
        self._by_name: dict[str, set[int]] = {}
        self._by_word: dict[str, set[int]] = {}
        self._by_phrase: dict[tuple[str, ...], set[int]] = {}
        for position, entry in enumerate(self.entries):
            for name in entry.names:
                self._by_name.setdefault(name, set()).add(position)
            for word in entry.words:
                self._by_word.setdefault(word, set()).add(position)
            for phrase in entry.phrases:
                self._by_phrase.setdefault(phrase, set()).add(position)
        self._long_names = sorted(name for name in self._by_name if len(name) >= PREFIX_MIN)

    def __len__(self) -> int:
        return len(self.entries)

    def _named_by(self, term: str) -> set[int]:
        """The entries whose names have ``term``, or (both long enough) a word it begins or that begins with it."""
        found = set(self._by_name.get(term, ()))
        if len(term) < PREFIX_MIN:
            return found
        at = bisect.bisect_left(self._long_names, term)
        while at < len(self._long_names) and self._long_names[at].startswith(term):
            found |= self._by_name[self._long_names[at]]
            at += 1
        for end in range(PREFIX_MIN, len(term)):
            found |= self._by_name.get(term[:end], set())
        return found

    def search(self, question: str, limit: int = 3) -> tuple[ServerHit, ...]:
        """The entries the question matches, best first (at most ``limit``): an entry the question names outright
        (its title or an other name) before one that only covers its words.

        An entry's score is the share of the question's weight it covers: a word in its names counts whole, a word
        only in its answer ``BODY_CREDIT``; it needs a word of its names that is not an everyday one."""
        if not self.entries:  # most servers have none: no need to read the question's words again
            return ()
        terms = terms_of(question)
        if not terms:
            return ()
        exact = self._by_phrase.get(terms, set())
        total = sum(_weight(t) for t in terms)
        covered: dict[int, float] = {}
        named: set[int] = set()
        for term in terms:
            in_names = self._named_by(term)
            if term not in WEAK_WORDS:
                named |= in_names
            for position in in_names:
                covered[position] = covered.get(position, 0.0) + _weight(term)
            for position in self._by_word.get(term, set()) - in_names:
                covered[position] = covered.get(position, 0.0) + _weight(term) * BODY_CREDIT
        scores = {p: 1.0 for p in exact}
        for position in named - exact:
            if (score := covered[position] / total) >= MATCH_MIN:
                scores[position] = score
        ranked = sorted(scores, key=lambda p: (p not in exact, -scores[p], p))
        return tuple(ServerHit(self.entries[p].id, self.entries[p].title, round(scores[p], 4)) for p in ranked[:limit])

    def suggest(self, typed: str, limit: int = 25) -> list[tuple[int, str]]:
        """(id, title) for autocomplete: a title or other name starting with what was typed, then one of whose words
        does, then one containing it; every entry by title when nothing was typed."""
        wanted = " ".join(tokenize(typed))
        if not wanted:
            return [(e.id, e.title) for e in self.entries[:limit]]
        starts, word_starts, contains = [], [], []
        for entry in self.entries:
            if any(name.startswith(wanted) for name in entry.spelled):
                starts.append(entry)
            elif any(word.startswith(wanted) for name in entry.spelled for word in name.split()):
                word_starts.append(entry)
            elif any(wanted in name for name in entry.spelled):
                contains.append(entry)
        return [(e.id, e.title) for e in (starts + word_starts + contains)[:limit]]

    def named(self, name: str) -> int | None:
        """The entry whose title or other name is ``name`` (typed by hand in /topic), if one is."""
        wanted = " ".join(tokenize(name))
        if not wanted:
            return None
        return next((e.id for e in self.entries if wanted in e.spelled), None)


# -- the feature ------------------------------------------------------------------------------------------------------


class DuplicateTitleError(Exception):
    """The server already has an entry with this title (the database's unique index said so)."""


def _duplicate(title: str) -> FormErrors:
    message = f"This server already has an entry called “{title}”: give this one another title, or edit that one."
    return FormErrors([("title", message)])


FULL_MESSAGE = (
    f"This server already has {MAX_ENTRIES} entries, the most it can have. Remove one with `/knowledge remove` "
    "(`/knowledge list` shows them all) to add another."
)
GONE_MESSAGE = "That entry is no longer in this server's knowledge base. `/knowledge list` shows what is."


class ServerEntries:
    """Add, change, remove, find and export a server's own entries; the per-server search indexes."""

    def __init__(
        self,
        repository: ServerEntryRepository,
        clock: Clock = utc_now,
        *,
        cache_limit: int = CACHE_LIMIT,
    ) -> None:
        self._repo = repository
        self.clock = clock
        self._cache_limit = cache_limit
        self._indexes: OrderedDict[int, ServerEntryIndex] = OrderedDict()
        self._stale: set[int] = set()
        """Servers whose cached index predates a change of their entries."""
        self._building: dict[int, asyncio.Future[ServerEntryIndex]] = {}
        self._changes = 0
        """Counts every change: an index read from the database while a change happened is not kept (it may be
        the state before the change)."""

    # -- the index ----------------------------------------------------------------------------------------------

    async def index(self, guild_id: int) -> ServerEntryIndex:
        cached = self._indexes.get(guild_id)
        if cached is not None:
            self._indexes.move_to_end(guild_id)
            if guild_id not in self._stale:
                return cached
        # Questions asked while the index is being built wait for that one build rather than each starting its own
        # (after a restart, a busy full server would otherwise tokenize its answers once per question).
        building = self._building.get(guild_id)
        if building is None:
            building = asyncio.ensure_future(self._build(guild_id, cached))
            self._building[guild_id] = building
            building.add_done_callback(lambda done: self._built(guild_id, done))
        return await asyncio.shield(building)

    async def _build(self, guild_id: int, previous: ServerEntryIndex | None) -> ServerEntryIndex:
        changes = self._changes
        rows = await self._repo.entries(guild_id)
        # On a thread: a full server's first reading takes a few hundred milliseconds of tokenizing, which must not
        # hold up every other interaction; after a change only the changed entry is read again.
        index = await asyncio.to_thread(ServerEntryIndex, rows, previous)
        if changes == self._changes:
            self._indexes[guild_id] = index
            self._indexes.move_to_end(guild_id)
            self._stale.discard(guild_id)
            while len(self._indexes) > self._cache_limit:
                evicted, _ = self._indexes.popitem(last=False)
                self._stale.discard(evicted)
        return index

    def _built(self, guild_id: int, done: asyncio.Future[ServerEntryIndex]) -> None:
        if self._building.get(guild_id) is done:
            del self._building[guild_id]
        if not done.cancelled() and done.exception() is not None:
            # Whoever asked gets the error through the shared error path; logged here too in case nobody waited.
            log.warning("could not build the knowledge index of server %d", guild_id, exc_info=done.exception())

    def _changed(self, guild_id: int) -> None:
        self._changes += 1
        if guild_id in self._indexes:
            # Kept until the next question, which rebuilds it lending it the words of the unchanged entries.
            self._stale.add(guild_id)

    async def search(self, guild_id: int | None, question: str, limit: int = 3) -> tuple[ServerHit, ...]:
        """The server's entries ``question`` matches (none outside a server)."""
        if guild_id is None:
            return ()
        return (await self.index(guild_id)).search(question, limit)

    async def choices(self, guild_id: int | None, typed: str, limit: int = 25) -> list[tuple[int, str]]:
        if guild_id is None:
            return []
        return (await self.index(guild_id)).suggest(typed, limit)

    async def find(self, guild_id: int | None, name: str) -> ServerEntry | None:
        """What /topic received, as a server entry: ``srv:<id>`` from autocomplete, or a title or other name typed
        by hand; None outside a server or when it names none of this server's entries."""
        if guild_id is None:
            return None
        text = name.strip()
        if text.startswith(SERVER_CHOICE_PREFIX) and text[len(SERVER_CHOICE_PREFIX) :].isdigit():
            return await self._repo.entry(guild_id, int(text[len(SERVER_CHOICE_PREFIX) :]))
        entry_id = (await self.index(guild_id)).named(text)
        return None if entry_id is None else await self._repo.entry(guild_id, entry_id)

    # -- managing entries ---------------------------------------------------------------------------------------

    async def entry(self, guild_id: int, entry_id: int) -> ServerEntry:
        found = await self._repo.entry(guild_id, entry_id)
        if found is None:
            raise UserInputError(GONE_MESSAGE)
        return found

    async def entries(self, guild_id: int) -> list[ServerEntry]:
        """Every entry of the server, by title."""
        return await self._repo.entries(guild_id)

    async def resolve(self, guild_id: int, typed: str) -> ServerEntry:
        """The entry a moderator picked in /knowledge edit or remove (its id from autocomplete, or its title)."""
        text = typed.strip().removeprefix(SERVER_CHOICE_PREFIX)
        # isdecimal, not isdigit: "²" is a digit that int() cannot read.
        if text.isdecimal():
            found = await self._repo.entry(guild_id, int(text))
            if found is not None:
                return found
        found = await self.find(guild_id, typed)
        if found is None:
            raise UserInputError(
                "This server has no entry by that name. Pick one from the list as you type (`/knowledge list` shows "
                "them all)."
            )
        return found

    async def count(self, guild_id: int) -> int:
        return await self._repo.count(guild_id)

    async def ensure_room(self, guild_id: int) -> None:
        """Refuse (UserInputError) when the server has no room for another entry: before opening the form."""
        if await self._repo.count(guild_id) >= MAX_ENTRIES:
            raise UserInputError(FULL_MESSAGE)

    async def add(self, guild_id: int, user_id: int, form: ServerEntryForm) -> ServerEntry:
        """Add the entry; FormErrors on the title when the server has one by that name, UserInputError when full."""
        try:
            added = await self._repo.add(guild_id, form, user_id, self.clock(), limit=MAX_ENTRIES)
        except DuplicateTitleError:
            raise _duplicate(form.title) from None
        if added is None:
            raise UserInputError(FULL_MESSAGE)
        self._changed(guild_id)
        log.info("server %d added knowledge entry %d", guild_id, added.id)
        return added

    async def edit(self, guild_id: int, entry_id: int, user_id: int, form: ServerEntryForm) -> ServerEntry:
        try:
            changed = await self._repo.update(guild_id, entry_id, form, user_id, self.clock())
        except DuplicateTitleError:
            raise _duplicate(form.title) from None
        if changed is None:
            raise UserInputError(GONE_MESSAGE)
        self._changed(guild_id)
        return changed

    async def remove(self, guild_id: int, entry_id: int) -> ServerEntry | None:
        """Remove the entry; None when it was already gone."""
        removed = await self._repo.remove(guild_id, entry_id)
        self._changed(guild_id)
        return removed

    # -- what was asked --------------------------------------------------------------------------------------------

    async def count_answer(self, guild_id: int, entry_id: int) -> bool:
        """Count that /ask answered with the entry (never who asked); False when it was removed meanwhile."""
        return await self._repo.count_answer(guild_id, entry_id, self.clock())

    async def most_answered(self, guild_id: int, limit: int = 10) -> list[AnsweredEntry]:
        """The server's entries /ask answered with most often: what members ask the curated base lacks."""
        return await self._repo.most_answered(guild_id, limit)

    # -- the bot leaving a server --------------------------------------------------------------------------------

    async def server_left(self, guild_id: int) -> bool:
        """The bot was removed from the server: the retention clock of its entries starts (if it has any)."""
        started = await self._repo.mark_left(guild_id, self.clock())
        if started:
            log.info("no longer in server %d: its knowledge entries are kept for its retention period", guild_id)
        return started

    async def server_back(self, guild_id: int) -> bool:
        """The bot is in the server again: its entries are kept."""
        back = await self._repo.clear_left(guild_id)
        if back:
            log.info("back in server %d: its knowledge entries are kept", guild_id)
        return back

    async def departures(self) -> list[tuple[int, dt.datetime]]:
        """The servers the bot was removed from that still have entries, each with when."""
        return await self._repo.departures()

    async def guilds_with_entries(self) -> list[int]:
        return await self._repo.guilds_with_entries()

    async def delete_server(self, guild_id: int) -> int:
        """Delete every entry of the server (its retention ran out); returns how many."""
        deleted = await self._repo.delete_server(guild_id)
        self._changed(guild_id)
        return deleted


# -- retention --------------------------------------------------------------------------------------------------------

RETENTION_JOB = "kb:server-entries-retention"
RETENTION_EVERY = dt.timedelta(hours=1)
"""Entries go at most an hour after the server's retention ran out, as study-group data does (``sg:purge``)."""
RETENTION_TIMEOUT = dt.timedelta(minutes=10)
"""A few indexed statements, and one request to Discord per server that was left while the bot was offline (paced):
minutes only if hundreds of servers removed the bot during a downtime."""


class ServerPresence(Protocol):
    """Whether the bot is still in a server (``bot/adapters/member_directory.py``'s ``DiscordMemberDirectory``)."""

    def server_status(self, guild_id: int) -> ServerStatus: ...

    async def confirm_removed(self, guild_id: int) -> bool: ...


@dataclass(frozen=True)
class RetentionReport:
    left_while_offline: int
    back: int
    servers_purged: int
    entries_deleted: int


class ServerEntriesRetention:
    """Deletes the entries of servers the bot was removed from once their retention period is over.

    The cog records a removal as it happens (``on_guild_remove``) and a return (``on_guild_join``); each run also
    looks at the bot's own list of servers, as the study groups' daily member check does, for what happened while
    the bot was offline: a server with entries that is not listed, and that Discord confirms the bot was removed from,
    starts its retention now (so the period is never shorter than the server chose); a server that is listed again
    keeps its entries. A worker of the scheduling runner, after ready (the list is complete only then)."""

    def __init__(
        self,
        service: ServerEntries,
        presence: ServerPresence,
        retention_days: Callable[[int], Awaitable[int]],
        pacer: Lane | Pacer | None = None,
        owns: Callable[[int], bool] | None = None,
    ) -> None:
        self.service = service
        self.presence = presence
        self.retention_days = retention_days
        self.pacer = pacer
        self.owns = owns
        """In a cluster of processes (SHARDS): the servers this process serves, the only ones it looks at. Another
        process's server is not in this one's list: it would look removed, or (``server_status`` says UNAVAILABLE
        for it) back, and its retention would be cancelled at every run. None: every server."""

    async def run(self) -> RetentionReport:
        service = self.service
        now = service.clock()
        mine = self.owns or (lambda guild_id: True)
        departures = {guild_id: at for guild_id, at in await service.departures() if mine(guild_id)}
        left = back = purged = deleted = 0
        for guild_id in filter(mine, await service.guilds_with_entries()):
            status = self.presence.server_status(guild_id)
            if status is ServerStatus.ELSEWHERE:
                # Another process of the cluster serves it, and runs this job for it.
                departures.pop(guild_id, None)
                continue
            if guild_id in departures:
                # Listed again (available or in an outage): the bot was added back while it was offline.
                if status is not ServerStatus.NOT_LISTED:
                    await service.server_back(guild_id)
                    departures.pop(guild_id)
                    back += 1
                continue
            if status is ServerStatus.NOT_LISTED and await self._confirmed_removed(guild_id):
                await service.server_left(guild_id)
                departures[guild_id] = now
                left += 1
        for guild_id, left_at in departures.items():
            if left_at + dt.timedelta(days=await self.retention_days(guild_id)) > now:
                continue
            deleted += await service.delete_server(guild_id)
            purged += 1
        if left or back or purged:
            log.info(
                "server knowledge entries: %d servers left while I was offline, %d servers I am back in, %d entries "
                "of %d servers past their retention deleted",
                left,
                back,
                deleted,
                purged,
            )
        return RetentionReport(left, back, purged, deleted)

    async def _confirmed_removed(self, guild_id: int) -> bool:
        if self.pacer is None:
            return await self.presence.confirm_removed(guild_id)
        async with self.pacer.slot():
            return await self.presence.confirm_removed(guild_id)


# -- /mydata ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerEntryAuthors:
    """A ``bot.privacy.PersonalDataSource``: the entries a moderator added or last changed name them. The entries
    belong to the server, so /mydata delete un-names them (0) and leaves them to the server."""

    repository: ServerEntryRepository
    name: str = "server_knowledge_entries"
    covers: frozenset[tuple[str, str]] = frozenset({("server_entries", "created_by"), ("server_entries", "updated_by")})

    async def export(self, user_id: int) -> Any:
        return [
            {
                "server_id": entry.guild_id,
                "title": entry.title,
                "other_names": list(entry.aliases),
                "answer": entry.answer,
                "link": entry.link,
                "added_by_you": entry.created_by == user_id,
                "added_at": entry.created_at.isoformat(timespec="seconds"),
                "last_changed_by_you": entry.updated_by == user_id,
                "last_changed_at": entry.updated_at.isoformat(timespec="seconds"),
            }
            for entry in await self.repository.entries_named(user_id)
        ]

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"server_entries_unnamed": await self.repository.unname(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.repository.user_ids()


# -- /knowledge export ------------------------------------------------------------------------------------------------


def slug(text: str, limit: int = 60) -> str:
    """``Study hall hours!`` -> ``study-hall-hours``: a curated entry id (lowercase words joined by hyphens)."""
    words = _SLUG.split(normalize(text))
    out = ""
    for word in (w for w in words if w):
        longer = f"{out}-{word}" if out else word
        if len(longer) > limit:
            break
        out = longer
    return out


def _summary(answer: str) -> str:
    """The answer's first sentence, as the curated ``summary`` (10 to 150 characters) would start."""
    first = " ".join(answer.split())
    match = re.match(r"(.{10,}?[.!?])(\s|$)", first)
    sentence = match.group(1) if match else first
    return sentence if len(sentence) <= 150 else sentence[:149].rstrip() + "…"


def _yaml(fields: dict[str, Any]) -> str:
    """Front matter fields as the curated files write them: in order, lists inline, any script as typed."""
    return yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None).rstrip()


def entry_markdown(entry: ServerEntry, entry_id: str, server_name: str) -> str:
    """One entry as a ``data/knowledge/<id>.md`` file to propose for the curated base: the curated front matter with
    what the server entry has (id, title, summary, aliases, its link as a source, its title as a member's question),
    and comments for what a curator must add before it can be merged (the stage, official sources, the review date).
    Nothing in it says it was reviewed: it was not."""
    front: dict[str, Any] = {
        "id": entry_id,
        "title": entry.title,
        "summary": _summary(entry.answer),
        "aliases": list(dict.fromkeys(a.lower() for a in entry.aliases)),
        "tags": [],
    }
    sources = [{"title": entry.title, "url": entry.link}] if entry.link else []
    rest: dict[str, Any] = {"sources": sources, "related": [], "questions": [entry.title]}
    stages = "eligibility, ecfmg, usmle, usce, documents, eras, programs, interviews, ranking, match-week, visa, " + (
        "residency, planning"
    )
    lines = [
        "---",
        f"# Proposed for the curated knowledge base from the server entry “{entry.title}” of {server_name},",
        f"# last changed {entry.updated_at:%Y-%m-%d}. Not reviewed: before it can be merged, a curator sets",
        "# stage, checks every fact against official sources (listed under sources), and sets reviewed to that day.",
        _yaml(front),
        f"stage:  # one of: {stages}",
        "reviewed:  # the day a curator checked it against its sources (YYYY-MM-DD)",
        _yaml(rest),
        "---",
        entry.answer,
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes


def export_files(entries: Sequence[ServerEntry], server_name: str) -> list[ExportFile]:
    """``/knowledge export``: one Markdown file per entry (``FILES_BEFORE_ZIP`` or fewer), else one .zip of them all.
    File names are the entries' proposed ids, made unique."""
    used: set[str] = set()
    files = []
    for entry in entries:
        base = slug(entry.title) or f"server-entry-{entry.id}"
        suffix = f"-{entry.id}"
        entry_id = base if base not in used else base[: 60 - len(suffix)].rstrip("-") + suffix
        used.add(entry_id)
        files.append(ExportFile(f"{entry_id}.md", entry_markdown(entry, entry_id, server_name).encode("utf-8")))
    if len(files) <= FILES_BEFORE_ZIP:
        return files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.writestr(file.filename, file.data)
    return [ExportFile(f"{slug(server_name) or 'server'}-knowledge.zip", buffer.getvalue())]
