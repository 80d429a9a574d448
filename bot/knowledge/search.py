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
CONFIDENCE_THRESHOLD = 0.44
# ...and the least weight of matched words: one common word ("test", "best") is not a pathway question.
MIN_MATCHED_WEIGHT = 1.0
# BM25 field weights: title, aliases, tags, summary, body. The body is long and full of everyday words, so a rare
# word that happens to be in one body must not outweigh the entry whose title or aliases name the subject.
FIELD_WEIGHTS = (8.0, 10.0, 3.0, 4.0, 0.5)
# A word found only in an entry's body covers that part of the question less than one in its title or aliases.
BODY_MATCH_CREDIT = 0.3
# Words the knowledge base never uses (pizza, bitcoin, pilot) are the evidence that a question is about something
# else, so each weighs this much against the answer...
UNKNOWN_WORD_WEIGHT = 2.0
# ...while a pathway word the best entry lacks is only a detail of the question ("attending", "home country"),
# and counts for this share of its weight.
KNOWN_UNMATCHED_SHARE = 0.5
# Numbers (years, scores) say little about which topic is asked; they weigh at most this much.
NUMBER_WEIGHT = 0.5
# Bonus to the ranking (not the confidence) when a title or alias appears word for word in the question.
PHRASE_BONUS = 0.3
# How many BM25 candidates are re-ranked by coverage.
CANDIDATES = 20
# Share of the final score that comes from BM25 (relative to the best candidate); the rest is coverage.
BM25_SHARE = 0.4
_STRONG_COLUMNS = "{title aliases tags summary}"

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
        (r"\bp\s*/\s*f\b", " pass fail "),
        (r"\bus\s*-?\s*imgs?\b", " us img "),
        (r"%", " percent "),
        (r"\bob\s*/?\s*-?\s*gyn\b", " obgyn "),
        (r"\bre-?\s*validation\b", " revalidation "),
        (r"\bnon\s*-\s*", " non "),
    )
)

# Words that carry no meaning for finding an entry. Chat filler of Discord servers included.
_STOPWORD_TEXT = """
    a about above after again all also am an and any anyone anybody anything are as at be because been before
    being below between both but by can could did do does doing done during each either else even ever every few
    for from further get gets getting got had has have having he her here hers him his how i if in into is it
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
    # Each entry's title and aliases as token sequences, to recognise them word for word in a question.
    phrases: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    doc_frequency_cache: dict[str, frozenset[int]] = field(default_factory=dict)
    strong_cache: dict[str, frozenset[int]] = field(default_factory=dict)


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
        phrases: dict[tuple[str, ...], list[int]] = {}
        rows = []
        for rowid, entry in enumerate(entry_list):
            for name in (entry.title, *entry.aliases):
                tokens = tuple(tokenize(name))
                if len(tokens) >= 2 or (tokens and tokens[0] not in STOPWORDS):
                    phrases.setdefault(tokens, []).append(rowid)
            fields = (
                entry.title,
                " ; ".join(entry.aliases),
                " ".join(entry.tags),
                entry.summary,
                entry.body,
            )
            normalized = [normalize(f) for f in fields]
            # Typos are corrected only towards the words that name topics (not every word of every body), so
            # an ordinary word such as "seniors" is never turned into a different one ("mentors").
            for text in normalized[:4]:
                vocabulary.update(_TOKEN.findall(text))
            rows.append((rowid, *normalized))
        conn.executemany("INSERT INTO kb(rowid, title, aliases, tags, summary, body) VALUES (?, ?, ?, ?, ?, ?)", rows)
        vocabulary.update(word for key in self.synonyms for word in key.split())
        vocabulary -= STOPWORDS
        words = sorted(vocabulary)
        return _Index(conn, entry_list, words, frozenset(words), phrases)

    # -- query understanding -------------------------------------------------------------------------------------

    def _correct(self, term: str) -> str:
        """Replace an unknown word by the closest known one, if it is close enough to be a typo."""
        index = self._index
        if term in index.vocabulary_set or len(term) < 5 or term.isdigit() or self._docs_with(term):
            return term
        max_distance = 1 if len(term) < 8 else 2
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

    def _lookup(self, cache: dict[str, frozenset[int]], term: str, columns: str) -> frozenset[int]:
        found = cache.get(term)
        if found is None:
            rows = self._index.conn.execute("SELECT rowid FROM kb WHERE kb MATCH ?", (f'{columns}"{term}"',)).fetchall()
            found = frozenset(r[0] for r in rows)
            if len(cache) < 50_000:  # bounded: free text from users must not grow memory forever
                cache[term] = found
        return found

    def _docs_with(self, term: str) -> frozenset[int]:
        return self._lookup(self._index.doc_frequency_cache, term, "")

    def _docs_naming(self, term: str) -> frozenset[int]:
        """Entries with the term in a strong field: title, aliases, tags or summary."""
        return self._lookup(self._index.strong_cache, term, f"{_STRONG_COLUMNS}: ")

    def _weight(self, term: str) -> float:
        n = len(self._index.entries)
        df = len(self._docs_with(term))
        if term.isdigit():
            return NUMBER_WEIGHT
        if df == 0:
            return UNKNOWN_WORD_WEIGHT
        return math.log((n - df + 0.5) / (df + 0.5) + 1.0)

    def _phrase_matches(self, tokens: list[str]) -> dict[int, int]:
        """For each entry, the length of its longest title or alias that the question contains word for word."""
        found: dict[int, int] = {}
        for size in range(min(len(tokens), 8), 0, -1):
            for start in range(len(tokens) - size + 1):
                for rowid in self._index.phrases.get(tuple(tokens[start : start + size]), ()):
                    found.setdefault(rowid, size)
        return found

    # -- search --------------------------------------------------------------------------------------------------

    def search(self, question: str, limit: int = 3) -> SearchResult:
        tokens = [t if t in STOPWORDS else self._correct(t) for t in tokenize(question)]
        terms = list(dict.fromkeys(t for t in tokens if t not in STOPWORDS))
        if not terms:
            return SearchResult(question, (), (), 0.0, False)
        expansions = self._expand(terms)
        all_terms = list(dict.fromkeys([*terms, *(s for syns in expansions.values() for s in syns)]))
        match = " OR ".join(f'"{t}"' for t in all_terms)
        rows = self._index.conn.execute(
            f"SELECT rowid, bm25(kb, {', '.join(str(w) for w in FIELD_WEIGHTS)}) AS rank "
            "FROM kb WHERE kb MATCH ? ORDER BY rank LIMIT ?",
            (match, CANDIDATES),
        ).fetchall()
        if not rows:
            return SearchResult(question, tuple(terms), (), 0.0, False)

        weights = {t: self._weight(t) for t in terms}
        unknown = {t for t in terms if not expansions[t] and not t.isdigit() and not self._docs_with(t)}

        def evidence(rowid: int) -> tuple[float, float]:
            """(matched, against): the weight of the question this entry answers, and the weight it leaves."""
            matched = against = 0.0
            for term in terms:
                if term in unknown:
                    against += UNKNOWN_WORD_WEIGHT
                    continue
                variants = (term, *expansions[term])
                weight = weights[term]
                if any(rowid in self._docs_naming(t) for t in variants):
                    matched += weight
                elif any(rowid in self._docs_with(t) for t in variants):
                    matched += weight * BODY_MATCH_CREDIT
                    against += weight * (1 - BODY_MATCH_CREDIT) * KNOWN_UNMATCHED_SHARE
                else:
                    against += weight * KNOWN_UNMATCHED_SHARE
            return matched, against

        def coverage(rowid: int) -> float:
            matched, against = evidence(rowid)
            return matched / (matched + against) if matched else 0.0

        # bm25() is negative, best most negative: relative strength in 0..1 against the best candidate.
        best_rank = rows[0][1] or -1.0
        phrase_lengths = self._phrase_matches(tokens)
        scored = []
        for rowid, rank in rows:
            cover = coverage(rowid)
            combined = (1 - BM25_SHARE) * cover + BM25_SHARE * (rank / best_rank)
            # A single word ("img") is context in most questions; several words in a row, or the whole question,
            # are the user naming the topic.
            length = phrase_lengths.get(rowid, 0)
            if length >= 2 or (length == 1 and len(terms) == 1):
                combined += PHRASE_BONUS * min(1.0, length / 3 if length >= 2 else 1.0)
            scored.append((combined, cover, rowid))
        scored.sort(key=lambda item: -item[0])
        top = scored[0]
        best_score = top[0] or 1.0
        hits = tuple(
            SearchHit(self._index.entries[rowid], round(min(1.0, top[1] * score / best_score), 4))
            for score, _, rowid in scored[:limit]
        )
        confidence = top[1]
        matched_weight = evidence(top[2])[0]
        answered = confidence >= CONFIDENCE_THRESHOLD and matched_weight >= MIN_MATCHED_WEIGHT
        return SearchResult(question, tuple(terms), hits, round(confidence, 4), answered)

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
