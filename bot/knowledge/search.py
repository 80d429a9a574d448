"""Ranking knowledge entries for a free-text question, the way IMGs actually type it.

The ranking itself is SQLite FTS5's BM25 over weighted fields (aliases and title count most), on an in-memory index
built once at start-up. Around it:

- normalisation that makes the many spellings of one thing the same token, for entries and questions alike
  ("H-1B", "h1b", "H 1B" -> ``h1b``; "Step 2", "step II" -> ``step2``);
- spelling correction of unknown words against the entries' own vocabulary ("recomendation");
- a synonym table in ``data/search/synonyms.yaml`` for the abbreviations of the community ("LoR", "YOG", "ROL");
- a confidence measure: how much of the question, weighted by how specific each word is (IDF), the best entry
  covers. Below the threshold the bot says it has no curated answer instead of guessing.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.datafiles import load_yaml_model
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import KnowledgeEntry

log = logging.getLogger(__name__)

# Share of the question's weight the best entry must cover to count as an answer.
CONFIDENCE_THRESHOLD = 0.55
# BM25 field weights: title, aliases, tags, summary, body.
FIELD_WEIGHTS = (8.0, 10.0, 3.0, 4.0, 1.0)
MAX_RESULTS = 10

_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(r"[a-z0-9]+")

# Spellings that mean one thing. Applied to entries and questions alike, so both sides agree.
_CANONICAL: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bu\.\s?s\.(\s?a\.?)?", " us "),
        (r"\bh\s*-?\s*1\s*-?\s*b\b", " h1b "),
        (r"\bj\s*-?\s*1\b", " j1 "),
        (r"\bds\s*-?\s*2019\b", " ds2019 "),
        (r"\b212\s*\(?\s*e\s*\)?", " 212e "),
        (r"\bmini\s*-?\s*cex\b", " minicex "),
        (r"\bpgy\s*-?\s*(\d)\b", r" pgy\1 "),
        (r"\bsub\s*-?\s*i(nternships?|s)?\b", r" subinternship "),
        (r"\bstep\s*-?\s*(?:3|iii|three)\b", " step3 "),
        (r"\bstep\s*-?\s*(?:2|ii|two)\s*-?\s*(ck|cs)\b", r" step2 \1 "),
        (r"\bstep\s*-?\s*(?:2|ii|two)\b", " step2 "),
        (r"\b2\s*-?\s*(ck|cs)\b", r" step2 \1 "),
        (r"\bstep\s*-?\s*(?:1|i|one)\b", " step1 "),
        (r"\bpass\s*/\s*fail\b", " pass fail "),
        (r"\bob\s*/?\s*-?\s*gyn\b", " obgyn "),
        (r"\bre-?\s*validation\b", " revalidation "),
        (r"\bnon\s*-\s*", " non "),
    )
)

# Words that carry no meaning for finding an entry. Chat filler of Discord servers included.
_STOPWORD_TEXT = """
    a about above after again all also am an and any anyone anybody anything are as at be because been before
    being below between both but by can could did do does doing done during each either else even ever every few
    for from further get gets getting got had has have having he her here hers him his how i if im in into is it
    its itself just know let lets like may me might mine more most much must my myself need needs no nor now of
    off on once only or other our ours out over own please pls plz same she should so some someone somebody
    something such tell than that the their theirs them then there these they this those through to too under
    until up upon us very was we were what whats whatever when whenever where which while who whom whose why
    will with would you your yours yourself guys guy hi hello hey hii thanks thank thx bro sis dear friends
    friend folks everyone anyone ok okay really actually basically still already yet one ones u ur r y ya yes
    plus via per etc eg ie explain explained info information question questions ask asking wondering wonder
    help anybody kindly sir want wanted wanna gonna going go goes say says said think thinks thought
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class _SynonymFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    synonyms: dict[str, list[str]]


def normalize(text: str) -> str:
    """Lowercase, strip accents and invisible characters, and unify the spellings in ``_CANONICAL``."""
    text = unicodedata.normalize("NFKD", _ZERO_WIDTH.sub("", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("’", "'").replace("'s ", " ")
    for pattern, replacement in _CANONICAL:
        text = pattern.sub(replacement, text)
    return text


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def content_terms(text: str) -> list[str]:
    """The meaningful words of a question, in order, without repeats."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token not in STOPWORDS:
            seen.setdefault(token, None)
    return list(seen)


@dataclass(frozen=True)
class SearchHit:
    entry: KnowledgeEntry
    # 0..1: how well this entry covers the question, scaled by its BM25 rank relative to the best hit.
    score: float


@dataclass(frozen=True)
class SearchResult:
    question: str
    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    confidence: float
    answered: bool

    @property
    def best(self) -> KnowledgeEntry | None:
        return self.hits[0].entry if self.answered and self.hits else None


@dataclass
class _Index:
    conn: sqlite3.Connection
    entries: list[KnowledgeEntry]
    vocabulary: list[str]
    vocabulary_set: frozenset[str]
    doc_frequency_cache: dict[str, frozenset[int]] = field(default_factory=dict)


class KnowledgeSearch:
    """An in-memory FTS5 index of the knowledge base, with query understanding around it."""

    def __init__(self, knowledge: KnowledgeBase, synonyms: dict[str, list[str]] | None = None) -> None:
        self.knowledge = knowledge
        self.synonyms = {normalize(k).strip(): [t for s in v for t in tokenize(s)] for k, v in (synonyms or {}).items()}
        self._index = self._build(knowledge.entries)

    @classmethod
    def from_data_dir(cls, knowledge: KnowledgeBase, data_dir: Path) -> KnowledgeSearch:
        path = data_dir / "search" / "synonyms.yaml"
        synonyms = load_yaml_model(path, _SynonymFile).synonyms if path.exists() else {}
        return cls(knowledge, synonyms)

    def _build(self, entries: Iterable[KnowledgeEntry]) -> _Index:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(
            "CREATE VIRTUAL TABLE kb USING fts5(title, aliases, tags, summary, body, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        entry_list = list(entries)
        vocabulary: set[str] = set()
        rows = []
        for rowid, entry in enumerate(entry_list):
            fields = (
                entry.title,
                " ; ".join(entry.aliases),
                " ".join(entry.tags),
                entry.summary,
                entry.body,
            )
            normalized = [normalize(f) for f in fields]
            for text in normalized:
                vocabulary.update(_TOKEN.findall(text))
            rows.append((rowid, *normalized))
        conn.executemany("INSERT INTO kb(rowid, title, aliases, tags, summary, body) VALUES (?, ?, ?, ?, ?, ?)", rows)
        vocabulary.update(self.synonyms)
        vocabulary -= STOPWORDS
        words = sorted(vocabulary)
        return _Index(conn, entry_list, words, frozenset(words))

    # -- query understanding -------------------------------------------------------------------------------------

    def _correct(self, term: str) -> str:
        """Replace an unknown word by the closest known one, if it is close enough to be a typo."""
        index = self._index
        if term in index.vocabulary_set or len(term) < 4 or term.isdigit():
            return term
        max_distance = 1 if len(term) < 7 else 2
        candidates = process.extract(term, index.vocabulary, scorer=OSA.distance, score_cutoff=max_distance, limit=8)
        if not candidates:
            return term
        best_distance = min(c[1] for c in candidates)
        # Among equally close words prefer the one most entries use: typos are of common words.
        closest = [c[0] for c in candidates if c[1] == best_distance]
        return max(closest, key=lambda w: (len(self._docs_with(w)), w))

    def _expand(self, terms: list[str]) -> dict[str, list[str]]:
        """Each query term with the synonym terms it brings; multi-word keys match adjacent terms."""
        expansions: dict[str, list[str]] = {t: [] for t in terms}
        for i, term in enumerate(terms):
            expansions[term].extend(self.synonyms.get(term, []))
            if i + 1 < len(terms):
                pair = f"{term} {terms[i + 1]}"
                if pair in self.synonyms:
                    expansions[term].extend(self.synonyms[pair])
        return expansions

    def _docs_with(self, term: str) -> frozenset[int]:
        cache = self._index.doc_frequency_cache
        found = cache.get(term)
        if found is None:
            rows = self._index.conn.execute("SELECT rowid FROM kb WHERE kb MATCH ?", (f'"{term}"',)).fetchall()
            found = frozenset(r[0] for r in rows)
            if len(cache) < 50_000:  # bounded: free text from users must not grow memory forever
                cache[term] = found
        return found

    def _idf(self, term: str) -> float:
        n = len(self._index.entries)
        df = len(self._docs_with(term))
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    # -- search --------------------------------------------------------------------------------------------------

    def search(self, question: str, limit: int = 3) -> SearchResult:
        raw_terms = content_terms(question)
        terms = list(dict.fromkeys(self._correct(t) for t in raw_terms))
        if not terms:
            return SearchResult(question, (), (), 0.0, False)
        expansions = self._expand(terms)
        all_terms = list(dict.fromkeys([*terms, *(s for syns in expansions.values() for s in syns)]))
        match = " OR ".join(f'"{t}"' for t in all_terms)
        rows = self._index.conn.execute(
            f"SELECT rowid, bm25(kb, {', '.join(str(w) for w in FIELD_WEIGHTS)}) AS rank "
            "FROM kb WHERE kb MATCH ? ORDER BY rank LIMIT ?",
            (match, MAX_RESULTS),
        ).fetchall()
        if not rows:
            return SearchResult(question, tuple(terms), (), 0.0, False)

        weights = {t: self._idf(t) for t in terms}
        total_weight = sum(weights.values()) or 1.0

        def coverage(rowid: int) -> float:
            covered = 0.0
            for term in terms:
                if any(rowid in self._docs_with(t) for t in (term, *expansions[term])):
                    covered += weights[term]
            return covered / total_weight

        best_rank = rows[0][1]
        hits = []
        for rowid, rank in rows[:limit]:
            relative = rank / best_rank if best_rank else 0.0  # bm25() is negative: best is most negative
            hits.append(SearchHit(self._index.entries[rowid], round(coverage(rowid) * relative, 4)))
        confidence = coverage(rows[0][0])
        return SearchResult(
            question, tuple(terms), tuple(hits), round(confidence, 4), confidence >= CONFIDENCE_THRESHOLD
        )

    def suggest(self, prefix: str, limit: int = 25) -> list[KnowledgeEntry]:
        """Entries for autocomplete: title or alias starting with what was typed, then containing it, then fuzzy."""
        typed = normalize(prefix).strip()
        entries = self._index.entries
        if not typed:
            return entries[:limit]
        starts, contains = [], []
        for entry in entries:
            names = [normalize(entry.title), *(normalize(a) for a in entry.aliases), entry.id]
            if any(n.startswith(typed) or any(w.startswith(typed) for w in n.split()) for n in names):
                starts.append(entry)
            elif any(typed in n for n in names):
                contains.append(entry)
        found = starts + contains
        if len(found) < limit and len(typed) >= 3:
            seen = {e.id for e in found}
            for hit in self.search(prefix, limit=limit).hits:
                if hit.entry.id not in seen:
                    found.append(hit.entry)
                    seen.add(hit.entry.id)
        return found[:limit]
