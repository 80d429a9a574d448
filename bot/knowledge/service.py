"""The knowledge feature as the cogs and the CLI use it: answer a question, look up or browse a topic, take feedback."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.feedback import REASONS_KEPT, ReasonSummary, VoteNote, VoteReason, summarise
from bot.knowledge.loader import KnowledgeBase, load_knowledge_base
from bot.knowledge.models import KnowledgeEntry, Stage
from bot.knowledge.pathway import PathwayStage, PathwayStep, load_pathway, steps_of
from bot.knowledge.question_groups import QuestionGroup, group_questions
from bot.knowledge.repository import (
    UNANSWERED_KEPT,
    KnowledgeFeedbackRepository,
    MemberVote,
    UnansweredQuestion,
    VoteTally,
)
from bot.knowledge.search import SUGGESTION_MIN_SCORE, KnowledgeSearch, SearchResult, normalize
from bot.validation import UserInputError, parse_options

log = logging.getLogger(__name__)

BROWSE_PAGE_SIZE = 25
"""Entries per page when browsing a stage: one Discord select menu holds at most 25 options."""

GROUPED_WORDINGS = 1_000
"""The most asked stored wordings the report groups: a server rarely has as many within the 90 days they are kept.
Grouping that many takes ~35 ms when they share few words and ~300 ms at worst, when every wording shares common words
with every group (measured on this project's 2-core machine), so it runs on a thread, not on the bot's event loop."""

ANSWERS_KEPT = 2_048
"""/ask answers kept by question, the least recently asked dropped first: about 1.3 KB each, 2.6 MB when full."""

RUNNER_UP_SHARE = 0.7
"""An answer's buttons offer first the other entries search ranked next for the question (at most RUNNER_UPS of
them) that score at least this share of the answer's score, then the answer's own related entries. Where search put a
neighbouring entry first, the one the member wanted is then often a click away (``bench/answer_buttons.py``, measured
2026-12-07: on the fresh rounds 1-17 the answer or one of its three buttons is right for 95.5 % of in-scope questions,
against 91.8 % with related entries alone). A runner-up close to the answer means search hesitated; one far below it
is usually a neighbour of a clear answer ("when is match day": early matches), and would only push out the answer's
curated next steps. At 0.7, 147 of the 164 questions a runner-up rescues at 0.5 are still rescued, and 1,001 fewer
right answers give up a related entry for one (2,199 at 0.5; 3,374 questions)."""
SURE_ANSWER = 0.99
"""An answer scoring this much covers the whole question ("when is match day" -> Match Day, 0.996): no runner-up is
offered beside it. On rounds 1-17 no rescued question is lost by it, and 47 more right answers keep their related
entries."""
RUNNER_UPS = 2
"""At most two runner-ups, so an answer keeps a button for one of its related entries (its curated next steps); three
found the wanted entry a point more often but left hundreds of answers with no related entry at all."""

NO_THUMBS_DOWN = (
    "You have no 👎 on this answer any more (you marked it helpful, or deleted your data), so there is nothing to "
    "explain. Press 👎 on the answer again if you changed your mind."
)


@dataclass(frozen=True)
class Answer:
    """What /ask shows: the entry that answers, and the entries to offer as buttons beside it (the question's
    runner-ups, then the answer's related entries: ``KnowledgeService.offered_with``)."""

    result: SearchResult
    entry: KnowledgeEntry | None
    offered: tuple[KnowledgeEntry, ...]
    suggestions: tuple[KnowledgeEntry, ...]


@dataclass(frozen=True)
class BrowsePage:
    """One page of a stage's entries, for browsing with /topic and no name."""

    stage: Stage
    entries: tuple[KnowledgeEntry, ...]
    page: int
    """0-based."""
    pages: int
    total: int
    """Entries in the whole stage."""

    @property
    def first(self) -> int:
        """The number of this page's first entry in the whole stage (1-based)."""
        return self.page * BROWSE_PAGE_SIZE + 1


class KnowledgeService:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        search: KnowledgeSearch,
        pathway: tuple[PathwayStage, ...],
        feedback: KnowledgeFeedbackRepository | None,
    ) -> None:
        self.knowledge = knowledge
        self.search_index = search
        self.pathway_stages = pathway
        self.pathway_steps: tuple[PathwayStep, ...] = steps_of(pathway)
        self._feedback = feedback
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        """``answer`` per question as asked (after validation), for the questions members ask again word for word.
        Nothing else decides an answer: the curated entries and their index never change while the bot runs, and
        the server's own entries are searched apart (``ServerEntries``)."""
        self._related: dict[tuple[str, int], tuple[KnowledgeEntry, ...]] = {}
        """``related_to`` per (entry id, limit): the curated entries and their index never change while the bot
        runs, and every /ask answer needs its entry's related ones (one lookup instead of comparing entries)."""

    @classmethod
    def load(
        cls, data_dir: Path, feedback: KnowledgeFeedbackRepository | None = None, build_index_now: bool = True
    ) -> KnowledgeService:
        """Load and index everything; raises DataFileError naming the file, line and field on bad data. Without
        ``build_index_now`` the search index is built once ``search_index.start_building()`` is called."""
        knowledge = load_knowledge_base(data_dir / "knowledge")
        pathway = load_pathway(data_dir / "pathway.yaml", knowledge)
        search = KnowledgeSearch.from_data_dir(knowledge, data_dir, build_now=build_index_now)
        return cls(knowledge, search, pathway, feedback)

    def with_feedback(self, feedback: KnowledgeFeedbackRepository) -> KnowledgeService:
        return KnowledgeService(self.knowledge, self.search_index, self.pathway_stages, feedback)

    def search(self, question: str, limit: int = 3) -> SearchResult:
        return self.search_index.search(question, limit=limit)

    def answer(self, question: str) -> Answer:
        kept = self._answers.get(question)
        if kept is not None:
            self._answers.move_to_end(question)
            return kept
        answer = self._answers[question] = self._search_answer(question)
        if len(self._answers) > ANSWERS_KEPT:
            self._answers.popitem(last=False)
        return answer

    def _search_answer(self, question: str) -> Answer:
        result = self.search_index.search(question, limit=4)
        entry = result.best
        if entry is not None:
            return Answer(result, entry, self.offered_with(result), ())
        suggestions = tuple(h.entry for h in result.hits[:3] if h.score >= SUGGESTION_MIN_SCORE)
        return Answer(result, None, (), suggestions)

    def offered_with(self, result: SearchResult, limit: int = 3) -> tuple[KnowledgeEntry, ...]:
        """The buttons under an answer: the entries ranked next for the question that come close to the answer
        (RUNNER_UP_SHARE), then the answer's related entries, ``limit`` in all, each once. Nothing for a question
        search did not answer (its reply offers suggestions instead)."""
        if result.best is None:
            return ()
        best = result.hits[0]
        # An answer that covers the whole question ("when is match day": its title) leaves search no doubt to share.
        hesitant = 0 < best.score < SURE_ANSWER
        offered = [
            hit.entry
            for hit in result.hits[1 : 1 + RUNNER_UPS]
            if hesitant and hit.score >= RUNNER_UP_SHARE * best.score
        ]
        for related in self.related_to(best.entry, limit):
            if all(related.id != other.id for other in offered):
                offered.append(related)
        return tuple(offered[:limit])

    def related_to(self, entry: KnowledgeEntry, limit: int = 3) -> tuple[KnowledgeEntry, ...]:
        """The entry's own related list first, then its nearest neighbours by search."""
        if self.knowledge.get(entry.id) is not entry:  # not one of this knowledge base's entries: not kept
            return self._find_related(entry, limit)
        key = (entry.id, limit)
        known = self._related.get(key)
        if known is None:
            known = self._related[key] = self._find_related(entry, limit)
        return known

    def _find_related(self, entry: KnowledgeEntry, limit: int) -> tuple[KnowledgeEntry, ...]:
        found: list[KnowledgeEntry] = []
        for related_id in entry.related:
            related = self.knowledge.get(related_id)
            if related is not None and related not in found:
                found.append(related)
        if len(found) < limit:
            for hit in self.search_index.search(f"{entry.title} {' '.join(entry.aliases)}", limit=limit + 2).hits:
                if hit.entry.id != entry.id and hit.entry not in found:
                    found.append(hit.entry)
        return tuple(found[:limit])

    def topic(self, name: str) -> KnowledgeEntry | None:
        """Resolve what /topic received: an id from autocomplete, or a title or alias typed by hand."""
        direct = self.knowledge.get(name.strip().lower())
        if direct is not None:
            return direct
        wanted = normalize(name).strip()
        for entry in self.knowledge.entries:
            if wanted == normalize(entry.title).strip() or wanted in (normalize(a).strip() for a in entry.aliases):
                return entry
        return None

    def autocomplete(self, typed: str, limit: int = 25) -> list[KnowledgeEntry]:
        return self.search_index.suggest(typed, limit=limit)

    def entries_by_stage(self) -> list[tuple[Stage, list[KnowledgeEntry]]]:
        """Every stage in order with its entries."""
        stages: dict[Stage, list[KnowledgeEntry]] = {stage: [] for stage in Stage}
        for entry in self.knowledge.entries:
            stages[entry.stage].append(entry)
        return [(stage, entries) for stage, entries in stages.items() if entries]

    def browse_stages(self) -> list[tuple[Stage, int]]:
        """The stages that have entries, in the order of the road, each with how many."""
        return [(stage, len(entries)) for stage, entries in self.entries_by_stage()]

    def browse(self, stage: str, page: int = 0) -> BrowsePage:
        """Page ``page`` of a stage's entries, by title. A page past the end (the knowledge base shrank since the
        button was made) shows the last one; a stage that no longer exists is a UserInputError."""
        try:
            wanted = Stage(stage)
        except ValueError:
            raise UserInputError("That part of the knowledge base no longer exists. Use /topic again.") from None
        entries = sorted(
            (e for e in self.knowledge.entries if e.stage is wanted), key=lambda e: (e.title.casefold(), e.id)
        )
        pages = max(1, -(-len(entries) // BROWSE_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        shown = entries[page * BROWSE_PAGE_SIZE : (page + 1) * BROWSE_PAGE_SIZE]
        return BrowsePage(wanted, tuple(shown), page, pages, len(entries))

    def stale(self, today: dt.date, days: int | None = None) -> list[KnowledgeEntry]:
        """Entries to review: written for a cycle that has ended, or (with ``days``) not reviewed for that long."""
        cutoff = today - dt.timedelta(days=days) if days is not None else None
        found = (
            e for e in self.knowledge.entries if e.cycle_over(today) or (cutoff is not None and e.reviewed < cutoff)
        )
        return sorted(found, key=lambda e: (e.reviewed, e.id))

    # -- feedback (needs the database) ----------------------------------------------------------------------------

    def _repo(self) -> KnowledgeFeedbackRepository:
        if self._feedback is None:
            raise RuntimeError("this KnowledgeService was built without a database")
        return self._feedback

    async def vote(self, entry_id: str, user_id: int, helpful: bool, now: dt.datetime) -> VoteTally:
        if entry_id not in self.knowledge:
            raise KeyError(entry_id)
        await self._repo().record_vote(entry_id, user_id, helpful, now)
        return await self._repo().tally(entry_id)

    async def member_vote(self, entry_id: str, user_id: int) -> MemberVote | None:
        return await self._repo().member_vote(entry_id, user_id)

    async def explain_vote(
        self, entry_id: str, user_id: int, guild_id: int | None, reason: str, now: dt.datetime
    ) -> VoteReason:
        """Keep why the member marked ``entry_id`` not helpful (in server ``guild_id``; None: a DM).

        UserInputError when the reason is not one of ``VoteReason`` or the member no longer has a 👎 on it."""
        try:
            chosen = VoteReason(reason)
        except ValueError:
            raise UserInputError("Please pick one of the reasons in the menu.") from None
        if not await self._repo().explain_vote(entry_id, user_id, guild_id, now, chosen):
            raise UserInputError(NO_THUMBS_DOWN)
        return chosen

    async def note_vote(self, entry_id: str, user_id: int, guild_id: int | None, typed: str, now: dt.datetime) -> str:
        """Keep what the member wrote about their 👎, cleaned (``VoteNote``); returns it, "" when it was blank and
        a note given before was removed. UserInputError when too long or when there is no 👎 to explain."""
        note = parse_options(VoteNote, text=typed).text
        if not await self._repo().note_vote(entry_id, user_id, guild_id, now, note or None):
            raise UserInputError(NO_THUMBS_DOWN)
        return note

    async def vote_reasons(self, guild_id: int, notes: int = 3) -> list[ReasonSummary]:
        """/knowledge report: why members of this server marked entries not helpful (no DM's, no other server's)."""
        return summarise(await self._repo().server_reasons(guild_id), notes=notes)

    async def all_vote_reasons(self, notes: int = 3) -> list[ReasonSummary]:
        """`imgbot kb report`: every server's reasons and the DMs', each summary with its server."""
        return summarise(await self._repo().all_reasons(), notes=notes)

    async def purge_vote_reasons(self, now: dt.datetime) -> int:
        """Forget reasons and notes last given more than ``REASONS_KEPT`` (90 days) ago; returns how many votes."""
        return await self._repo().purge_reasons(now - REASONS_KEPT)

    async def record_unanswered(self, question: str, guild_id: int | None, now: dt.datetime) -> None:
        """Count a question nothing answered, for the moderators of the server it was asked in (None: a DM, seen
        only by the operator's `imgbot kb report`). The cog never calls this for a question asked privately."""
        # Kept normalised and without the asker, so moderators see what is missing and nobody is identified.
        text = " ".join(normalize(question).split())[:300]
        if text:
            await self._repo().record_unanswered(text, guild_id, now)

    async def report(self, guild_id: int, limit: int = 20) -> tuple[list[VoteTally], list[UnansweredQuestion]]:
        """/knowledge report: votes on every entry, and this server's own unanswered questions."""
        return await self._tallies(), await self._repo().top_unanswered(guild_id, limit)

    async def report_all(self, limit: int = 20) -> tuple[list[VoteTally], list[UnansweredQuestion]]:
        """`imgbot kb report`: votes, and every server's unanswered questions (each with its server)."""
        return await self._tallies(), await self._repo().all_unanswered(limit)

    async def question_groups(self, guild_id: int, limit: int = 20) -> list[QuestionGroup]:
        """/knowledge report: this server's unanswered questions grouped by what they ask, the most asked first."""
        stored = await self._repo().top_unanswered(guild_id, GROUPED_WORDINGS)
        return (await asyncio.to_thread(group_questions, stored))[:limit]

    async def all_question_groups(self, limit: int = 20) -> list[QuestionGroup]:
        """`imgbot kb report`: every server's groups (and the DMs'), each within its server, the most asked first."""
        stored = await self._repo().all_unanswered(GROUPED_WORDINGS)
        return (await asyncio.to_thread(group_questions, stored))[:limit]

    async def purge_unanswered(self, now: dt.datetime) -> int:
        """Forget unanswered questions last asked more than ``UNANSWERED_KEPT`` (90 days) ago; returns how many."""
        return await self._repo().purge_unanswered(now - UNANSWERED_KEPT)

    async def vote_tallies(self) -> list[VoteTally]:
        """Votes on every curated entry, the most voted first."""
        return await self._tallies()

    async def _tallies(self) -> list[VoteTally]:
        return sorted(await self._repo().tallies(), key=lambda t: (-(t.helpful + t.not_helpful), t.entry_id))
