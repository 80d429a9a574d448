"""A server's own knowledge entries: the search beside the curated one, the limit of 200, one server never reaching
another's entries, the index following every change, the retention after the bot leaves a server, /mydata, and the
Markdown export a moderator can propose for the curated base, and the moderators' list at its fullest."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.datafiles import split_front_matter
from bot.db.connection import Connection
from bot.knowledge.models import KnowledgeEntry
from bot.knowledge.server_entries import (
    FILES_BEFORE_ZIP,
    FULL_MESSAGE,
    MAX_ENTRIES,
    ServerEntries,
    ServerEntriesRetention,
    ServerEntry,
    ServerEntryAuthors,
    ServerEntryForm,
    ServerEntryIndex,
    entry_markdown,
    export_files,
    slug,
)
from bot.knowledge.server_repository import ServerEntryRepository
from bot.studygroups.reconcile import ServerStatus
from bot.ui.embeds import DESCRIPTION_LIMIT
from bot.ui.server_knowledge import list_embed, list_pages
from bot.validation import FormErrors, UserInputError, parse_form
from discord_emulator.contract import check_message_body

GUILD, OTHER_GUILD = 1183440317201907712, 1190021588230107136
ADMIN, MOD = 402117894126911488, 511234987650123776
START = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
ONE_HOUR = dt.timedelta(hours=1)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(conn: Connection, clock: Clock) -> ServerEntries:
    return ServerEntries(ServerEntryRepository(conn), clock)


def form(title: str, answer: str = "Ask in #resources.", aliases: str = "", link: str = "") -> ServerEntryForm:
    return parse_form(ServerEntryForm, title=title, aliases=aliases, answer=answer, link=link)


def entry(entry_id: int, title: str, answer: str, aliases: tuple[str, ...] = ()) -> ServerEntry:
    return ServerEntry(entry_id, GUILD, title, aliases, answer, None, ADMIN, START, ADMIN, START)


# -- the search -------------------------------------------------------------------------------------------------------

HOURS = entry(1, "Study hall hours", "The voice room is open every evening from 8 to 11 p.m. IST.", ("study hall",))
MENTORS = entry(2, "Mentorship program", "Matched residents mentor two members each cycle.")
RULES = entry(3, "Server rules", "Be kind. No selling of question banks. Ask before you DM anyone.", ("rules",))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("study hall hours?", [1]),
        ("when is the study hall open", [1]),
        ("STUDY-HALL", [1]),  # an other name, as typed by anyone
        ("how do i find a mentor", [2]),  # "mentor" begins "mentorship"
        ("what are the server rules", [3]),
        ("can i sell my question bank", []),  # only words of the answer: not enough to name the entry
        ("best pizza in town", []),
        ("what is soap", []),
        ("good time", []),  # everyday words never name an entry
        ("", []),
        ("the of and", []),
    ],
)
def test_search_finds_an_entry_by_the_words_that_name_it(question: str, expected: list[int]) -> None:
    index = ServerEntryIndex([HOURS, MENTORS, RULES])
    assert [hit.entry_id for hit in index.search(question)] == expected


def test_a_question_that_is_an_entrys_name_matches_it_fully_and_best() -> None:
    attendance = entry(4, "Attendance hours", "Log your hours in the sheet.")
    zoom = entry(5, "Zoom room", "The link is pinned; it is open all day.", ("hours",))
    hits = ServerEntryIndex([attendance, zoom]).search("hours?")
    # Both cover the one word; the entry the question names outright comes first, whatever the titles' order.
    assert [(h.entry_id, h.score) for h in hits] == [(5, 1.0), (4, 1.0)]


def test_a_rebuilt_index_reads_again_only_the_entries_that_changed() -> None:
    first = ServerEntryIndex([HOURS, MENTORS])
    edited = dataclasses.replace(MENTORS, answer="Write to the residents in #pairing.", updated_at=START + ONE_HOUR)
    second = ServerEntryIndex([HOURS, edited], first)
    before, after = ({e.id: e for e in index.entries} for index in (first, second))
    assert after[HOURS.id] is before[HOURS.id] and after[MENTORS.id] is not before[MENTORS.id]
    assert "pairing" in after[MENTORS.id].words and "pairing" not in before[MENTORS.id].words


def test_autocomplete_and_names_typed_by_hand() -> None:
    index = ServerEntryIndex([RULES, HOURS, MENTORS])
    assert index.suggest("") == [(2, "Mentorship program"), (3, "Server rules"), (1, "Study hall hours")]
    assert index.suggest("st") == [(1, "Study hall hours")]
    assert index.suggest("hall") == [(1, "Study hall hours")]  # a later word
    assert index.suggest("ental") == []
    assert index.named("Study Hall") == 1 and index.named("rules") == 3 and index.named("study") is None


# -- the form ---------------------------------------------------------------------------------------------------------


def test_every_problem_of_a_form_is_reported_at_once() -> None:
    with pytest.raises(FormErrors) as refused:
        parse_form(
            ServerEntryForm, title="<@123> rules", aliases="ok, " + "y" * 61, answer="   ", link="http://example.org"
        )
    assert [name for name, _ in refused.value.problems] == ["title", "aliases", "answer", "link"]


def test_other_names_are_cleaned_and_a_link_is_kept_as_typed() -> None:
    parsed = form(
        "Study hall hours",
        aliases="study  hall, Study Hall,\nvoice room, ,study hall hours",
        link="  https://example.org/Hall?x=1  ",
    )
    assert parsed.aliases == ("study hall", "voice room")  # duplicates, blanks and the title itself dropped
    assert parsed.link == "https://example.org/Hall?x=1"
    for bad in ("https://medium.com/@everyone", "https://example.org/<@123>", "https://localhost/x", "ftp://x.org"):
        with pytest.raises(FormErrors) as refused:
            form("Title", link=bad)
        assert refused.value.fields == {"link"}, bad


# -- adding, changing, removing ---------------------------------------------------------------------------------------


async def test_the_201st_entry_is_refused_with_a_short_message(service: ServerEntries) -> None:
    for number in range(MAX_ENTRIES):
        await service.add(GUILD, ADMIN, form(f"Resource {number}"))
    with pytest.raises(UserInputError) as full:
        await service.ensure_room(GUILD)
    assert str(full.value) == FULL_MESSAGE and len(FULL_MESSAGE) < 200
    with pytest.raises(UserInputError, match="200 entries"):
        await service.add(GUILD, ADMIN, form("One more"))
    # Another server has room of its own.
    await service.ensure_room(OTHER_GUILD)
    await service.add(OTHER_GUILD, ADMIN, form("One more"))
    assert len(await service.entries(GUILD)) == MAX_ENTRIES


async def test_titles_are_unique_in_a_server_only(service: ServerEntries) -> None:
    first = await service.add(GUILD, ADMIN, form("Study hall hours"))
    with pytest.raises(FormErrors) as refused:
        await service.add(GUILD, MOD, form("STUDY HALL  hours"))
    assert refused.value.fields == {"title"} and "already has an entry called" in str(refused.value)
    await service.add(OTHER_GUILD, MOD, form("Study hall hours"))
    second = await service.add(GUILD, MOD, form("Mentors"))
    with pytest.raises(FormErrors):
        await service.edit(GUILD, second.id, MOD, form("study hall hours"))
    assert (await service.entry(GUILD, first.id)).title == "Study hall hours"


async def test_the_index_follows_every_change_and_never_crosses_servers(service: ServerEntries, clock: Clock) -> None:
    assert await service.search(GUILD, "study hall hours") == ()  # builds (and keeps) the empty index
    added = await service.add(GUILD, ADMIN, form("Study hall hours", aliases="voice room"))
    assert [h.entry_id for h in await service.search(GUILD, "study hall hours")] == [added.id]
    assert await service.search(OTHER_GUILD, "study hall hours") == ()
    assert await service.search(None, "study hall hours") == ()
    assert await service.find(OTHER_GUILD, added.choice_value) is None
    with pytest.raises(UserInputError):
        await service.entry(OTHER_GUILD, added.id)

    clock.now = START + dt.timedelta(hours=2)
    changed = await service.edit(GUILD, added.id, MOD, form("Library hours", answer="The library opens at 9."))
    assert (changed.created_by, changed.updated_by, changed.created_at, changed.updated_at) == (
        ADMIN,
        MOD,
        START,
        clock.now,
    )
    assert changed.edited
    assert await service.search(GUILD, "study hall hours") == ()
    assert [h.entry_id for h in await service.search(GUILD, "library hours")] == [added.id]

    assert await service.remove(GUILD, added.id) == changed
    assert await service.search(GUILD, "library hours") == ()
    assert await service.remove(GUILD, added.id) is None
    with pytest.raises(UserInputError):
        await service.edit(GUILD, added.id, MOD, form("Library hours"))


async def test_a_stale_index_read_during_a_change_is_not_kept(conn: Connection, clock: Clock) -> None:
    class SlowRepository(ServerEntryRepository):
        """Lets a change land while an index is being read."""

        def __init__(self, conn: Connection) -> None:
            super().__init__(conn)
            self.during_read: ServerEntries | None = None

        async def entries(self, guild_id: int) -> list[ServerEntry]:
            found = await super().entries(guild_id)
            if self.during_read is not None:
                service, self.during_read = self.during_read, None
                await service.add(guild_id, ADMIN, form("Mentors"))
            return found

    repository = SlowRepository(conn)
    service = ServerEntries(repository, clock)
    repository.during_read = service
    assert await service.search(GUILD, "mentors") == ()  # read before the entry was added...
    assert [h.title for h in await service.search(GUILD, "mentors")] == ["Mentors"]  # ...and not kept


async def test_questions_asked_while_an_index_is_built_share_that_build(conn: Connection, clock: Clock) -> None:
    class CountingRepository(ServerEntryRepository):
        reads = 0

        async def entries(self, guild_id: int) -> list[ServerEntry]:
            self.reads += 1
            return await super().entries(guild_id)

    repository = CountingRepository(conn)
    service = ServerEntries(repository, clock)
    await service.add(GUILD, ADMIN, form("Study hall hours"))
    results = await asyncio.gather(*(service.search(GUILD, "study hall hours") for _ in range(5)))
    assert repository.reads == 1 and all(len(hits) == 1 for hits in results)
    await service.search(GUILD, "study hall hours")
    assert repository.reads == 1  # kept


# -- the bot leaving a server -----------------------------------------------------------------------------------------


@dataclass
class Presence:
    """What the bot's list of servers says, and what Discord confirms when asked."""

    listed: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    asked: list[int] = field(default_factory=list)
    elsewhere: set[int] = field(default_factory=set)
    """Served by another process of a cluster (SHARDS)."""

    def server_status(self, guild_id: int) -> ServerStatus:
        if guild_id in self.elsewhere:
            return ServerStatus.ELSEWHERE
        return ServerStatus.AVAILABLE if guild_id in self.listed else ServerStatus.NOT_LISTED

    async def confirm_removed(self, guild_id: int) -> bool:
        self.asked.append(guild_id)
        return guild_id in self.removed


async def test_entries_go_after_the_servers_retention_once_the_bot_left(service: ServerEntries, clock: Clock) -> None:
    days = {GUILD: 7, OTHER_GUILD: 30}

    async def retention(guild_id: int) -> int:
        return days[guild_id]

    presence = Presence(listed={GUILD, OTHER_GUILD})
    retention_job = ServerEntriesRetention(service, presence, retention)
    await service.add(GUILD, ADMIN, form("Study hall hours"))
    await service.add(OTHER_GUILD, ADMIN, form("Q-bank rules"))
    assert await service.server_left(9_999) is False  # a server without entries leaves nothing to keep

    # Removed while online (the cog's listener): the clock starts now.
    presence.listed.discard(GUILD)
    assert await service.server_left(GUILD) is True
    clock.now = START + dt.timedelta(days=7) - dt.timedelta(seconds=1)
    report = await retention_job.run()
    assert report.entries_deleted == 0 and len(await service.entries(GUILD)) == 1
    assert presence.asked == []  # already known as left: Discord is not asked again
    clock.now = START + dt.timedelta(days=7)
    report = await retention_job.run()
    assert (report.servers_purged, report.entries_deleted) == (1, 1)
    assert await service.entries(GUILD) == [] and await service.search(GUILD, "study hall hours") == ()
    assert len(await service.entries(OTHER_GUILD)) == 1


async def test_a_removal_while_offline_counts_from_when_it_is_noticed_and_a_return_keeps_everything(
    service: ServerEntries, clock: Clock
) -> None:
    async def retention(guild_id: int) -> int:
        return 0

    presence = Presence(listed=set())
    retention_job = ServerEntriesRetention(service, presence, retention)
    await service.add(GUILD, ADMIN, form("Study hall hours"))
    # Not listed, but Discord does not confirm the removal (an outage, say): nothing changes.
    report = await retention_job.run()
    assert (report.left_while_offline, report.entries_deleted) == (0, 0) and presence.asked == [GUILD]
    assert await service.departures() == []
    # Listed again (added back while offline): the departure recorded by the listener is cleared.
    await service.server_left(GUILD)
    presence.listed.add(GUILD)
    report = await retention_job.run()
    assert report.back == 1 and await service.departures() == [] and len(await service.entries(GUILD)) == 1
    # Confirmed removed while offline: with 0 days, gone in the same run.
    presence.listed.clear()
    presence.removed.add(GUILD)
    report = await retention_job.run()
    assert (report.left_while_offline, report.servers_purged, report.entries_deleted) == (1, 1, 1)
    assert await service.departures() == [] and await service.guilds_with_entries() == []


async def test_a_process_of_a_cluster_leaves_the_entries_of_other_processes_servers_alone(
    service: ServerEntries, clock: Clock
) -> None:
    """In a cluster (SHARDS) a process's list has only its own servers, and for another process's server
    ``server_status`` says UNAVAILABLE (bot/adapters/member_directory.py): read as "listed again", it cancelled that
    server's departure at every run, so its entries were never deleted. Each process looks after its own servers."""

    async def retention(guild_id: int) -> int:
        return 7

    await service.add(GUILD, ADMIN, form("Study hall hours"))
    await service.add(OTHER_GUILD, ADMIN, form("Q-bank rules"))
    # The bot was removed from OTHER_GUILD; the process serving it recorded the departure as it happened.
    assert await service.server_left(OTHER_GUILD) is True

    class ServedElsewhere(Presence):
        def server_status(self, guild_id: int) -> ServerStatus:
            return ServerStatus.UNAVAILABLE if guild_id == OTHER_GUILD else super().server_status(guild_id)

    here = ServedElsewhere(listed={GUILD})
    this_process = ServerEntriesRetention(service, here, retention, owns=lambda guild_id: guild_id == GUILD)
    report = await this_process.run()
    assert (report.back, report.left_while_offline, report.servers_purged) == (0, 0, 0)
    assert [guild_id for guild_id, _ in await service.departures()] == [OTHER_GUILD], "its departure stands"
    assert here.asked == []

    # The process serving OTHER_GUILD deletes its entries once the retention period is over; GUILD's stay.
    clock.now = START + dt.timedelta(days=7)
    assert (await this_process.run()).servers_purged == 0
    there = ServerEntriesRetention(service, Presence(), retention, owns=lambda guild_id: guild_id == OTHER_GUILD)
    report = await there.run()
    assert (report.servers_purged, report.entries_deleted) == (1, 1)
    assert await service.entries(OTHER_GUILD) == [] and len(await service.entries(GUILD)) == 1


async def test_a_moderator_adding_an_entry_proves_the_bot_is_back(service: ServerEntries) -> None:
    await service.add(GUILD, ADMIN, form("Study hall hours"))
    await service.server_left(GUILD)
    await service.add(GUILD, ADMIN, form("Mentors"))
    assert await service.departures() == []


# -- /mydata ----------------------------------------------------------------------------------------------------------


async def test_mydata_exports_a_moderators_entries_and_delete_unnames_them(
    service: ServerEntries, conn: Connection, clock: Clock
) -> None:
    authors = ServerEntryAuthors(ServerEntryRepository(conn))
    hours = await service.add(GUILD, ADMIN, form("Study hall hours", link="https://example.org/hall"))
    clock.now = START + dt.timedelta(days=1)
    await service.edit(GUILD, hours.id, MOD, form("Study hall hours", answer="Evenings, 8 to 11."))
    await service.add(OTHER_GUILD, MOD, form("Q-bank rules"))
    assert await authors.user_ids() == {ADMIN, MOD}

    exported = await authors.export(ADMIN)
    assert exported == [
        {
            "server_id": GUILD,
            "title": "Study hall hours",
            "other_names": [],
            "answer": "Evenings, 8 to 11.",
            "link": None,
            "added_by_you": True,
            "added_at": START.isoformat(timespec="seconds"),
            "last_changed_by_you": False,
            "last_changed_at": clock.now.isoformat(timespec="seconds"),
        }
    ]
    assert [e["title"] for e in await authors.export(MOD)] == ["Study hall hours", "Q-bank rules"]

    assert await authors.delete(MOD) == {"server_entries_unnamed": 2}
    # The entries stay the server's, naming nobody for what the moderator did.
    kept = await service.entry(GUILD, hours.id)
    assert (kept.created_by, kept.updated_by) == (ADMIN, 0)
    assert await authors.user_ids() == {ADMIN}
    assert await authors.export(MOD) == []


# -- /knowledge export ------------------------------------------------------------------------------------------------


def test_an_exported_entry_is_a_curated_file_once_a_curator_adds_what_only_review_can() -> None:
    answer = (
        "Step 1 study groups meet on Tuesdays. Bring First Aid and a timer; we do 40 timed questions and review "
        "them together for an hour."
    )
    shown = ServerEntry(
        5,
        GUILD,
        "Step 1 study group!",
        ("Step-1 group", "S1 group"),
        answer,
        "https://example.org/s1",
        0,
        START,
        0,
        START,
    )
    text = entry_markdown(shown, slug(shown.title), "IMG Study Hall")
    front, body, _ = split_front_matter(Path("step-1-study-group.md"), text)
    assert isinstance(front.data, dict)
    assert front.data["id"] == "step1-study-group"
    assert front.data["summary"] == "Step 1 study groups meet on Tuesdays."
    assert front.data["aliases"] == ["step-1 group", "s1 group"]
    assert front.data["stage"] is None and front.data["reviewed"] is None  # never claims a review
    assert "reviewed" in text and "Not reviewed" in text
    completed = {**front.data, "stage": "usmle", "reviewed": START.date(), "body": body}
    entry_model = KnowledgeEntry.model_validate(completed)
    assert entry_model.sources[0].url == "https://example.org/s1" and entry_model.body == answer


def test_a_few_entries_are_files_of_their_own_more_are_one_zip_with_unique_names() -> None:
    few = [entry(n, "Rules" if n < 2 else f"Topic {n}", "Be kind.") for n in range(FILES_BEFORE_ZIP)]
    files = export_files(few, "IMG Study Hall")
    assert [f.filename for f in files] == ["rules.md", "rules-1.md", "topic-2.md", "topic-3.md", "topic-4.md"]
    many = [*few, entry(99, "مرحبا", "Hello.")]
    [archive] = export_files(many, "IMG Study Hall")
    assert archive.filename == "img-study-hall-knowledge.zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        assert zipped.namelist()[-1] == "server-entry-99.md"
        assert len(set(zipped.namelist())) == len(many)
    assert len(slug("word " * 40)) <= 60


def test_every_page_of_the_fullest_list_fits_discord() -> None:
    """200 entries whose titles and other names are all markdown (each character escaped, so twice as long)."""
    title, names = "*_" * 50, tuple(f"{'|~' * 14}{n}" for n in range(2))
    full = [
        ServerEntry(n, GUILD, f"{title[:97]}{n:03d}", names, "x", None, ADMIN, START, MOD, START + ONE_HOUR)
        for n in range(MAX_ENTRIES)
    ]
    pages = list_pages(len(full))
    assert pages == 20
    for page in range(pages):
        embed = list_embed(full, page)
        assert not list(check_message_body({"embeds": [embed.to_dict()]})), page
        assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert list_embed(full, 99).footer.text.startswith("Page 20 of 20.")  # a page past the end shows the last


async def test_a_process_of_a_cluster_leaves_another_processs_servers_alone(
    service: ServerEntries, clock: Clock
) -> None:
    """The process serving a server records its departure; another process's run neither calls it back nor purges
    its entries (each process runs the job for its own servers)."""

    async def retention(guild_id: int) -> int:
        return 0

    await service.add(GUILD, ADMIN, form("Study hall hours"))
    assert await service.server_left(GUILD) is True  # recorded by the process that serves it
    other_process = ServerEntriesRetention(service, Presence(elsewhere={GUILD}), retention)
    report = await other_process.run()
    assert (report.back, report.servers_purged, report.entries_deleted) == (0, 0, 0)
    assert [g for g, _ in await service.departures()] == [GUILD] and len(await service.entries(GUILD)) == 1
    own_process = ServerEntriesRetention(service, Presence(), retention)
    assert (await own_process.run()).entries_deleted == 1
