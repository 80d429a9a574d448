"""Ranking knowledge entries for a free-text question, the way IMGs actually type it.

Entries live in an in-memory SQLite FTS5 index (title, aliases, tags, summary, body, and the questions members ask
about each entry) and an embedding index (bot/knowledge/semantic.py), both built on a thread of their own at
start-up. A question written in another language is told the knowledge base is in English (language.py), and chat for
the server (thanks, congratulations, "dm me": focus.py) gets no answer; any other question goes through:

- normalisation, for entries and questions alike, that makes the many spellings of one thing one token ("H-1B",
  "h1b" -> ``h1b``; "Step II" -> ``step2``; "non-US IMG" -> ``nonusimg``; "if i don't match" -> ``unmatched``;
  "wen" -> "when") and drops Discord noise (mentions, emoji, links, markdown, "plsss");
- spelling correction of unknown words towards the words that name topics ("recomendation"), never of a common word
  spelled right ("cancer" is not "cancel");
- concepts: each meaningful word, or a multi-word key of ``data/search/synonyms.yaml``, with its other names there
  ("lor" -> "letter of recommendation"). A concept is a *topic* word; *context* (who asks: "as a non-US IMG",
  "from Egypt", "for IM", "with 240 CK"), which weighs little when the question names a topic too; *weak* (everyday
  words and question words: "good", "options", "when"; and words that only ever appear in running text), capped
  low; or a *number*; the name of another country's or profession's exam, or of a subject next to the entries that
  none covers (``elsewhere`` in synonyms.yaml: "PLAB", "NCLEX", "visit me", "credit card") weighs heavily against
  every entry;
- evidence per entry: the concepts it names, weighted by specificity (IDF) and by the field they are in (title >
  aliases > summary > tags > body), against those it lacks (a word the knowledge base never uses weighs most);
- resemblance: how well an entry's closest member question and the question cover each other;
- meaning: each entry's closeness to the question by embeddings;
- ranking by coverage, BM25 (each concept by its own name), how much the title names, resemblance, meaning, and
  titles or aliases found word for word; a question that is nothing but an entry's title or alias is that entry;
- background: in a message of several sentences, the words only the story around the question uses weigh less
  (focus.py), when the asking sentences name a topic of their own;
- confidence: the best entry's coverage (or resemblance). Below CONFIDENCE_THRESHOLD (lower for long questions) the
  bot says it has no curated answer instead of guessing, unless the entry is also close in meaning
  (CLOSE_CONFIDENCE, SEMANTIC_CONFIRM); an answer also needs a word that names something, not everyday words alone.

Every weight is a constant just below; the ranking formula that combines them is ``_ranking_scores`` (its terms are
``_ranking_parts``, on which bench/fit_ranking.py fits the shares and the answer bar), computed for all entries at once
with numpy (a question costs a fraction of a millisecond). ``KnowledgeSearch.rank`` gives the unrounded
figures behind ``search``: ``bench/kb_search.py --dump`` / ``--check-against`` compare them for every question of the
retrieval sets, to show that a change meant only to make search faster answers exactly as before.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.datafiles import DataFileError, YamlDocument, parse_yaml, validate_document
from bot.knowledge.classifier import (
    CLASSIFIER_FILE,
    EntryClassifier,
    fingerprint,
    texts_fingerprint,
    train,
    training_texts,
)
from bot.knowledge.focus import focus, is_chat, without_wishes
from bot.knowledge.language import looks_non_english
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import KnowledgeEntry

if TYPE_CHECKING:
    from bot.knowledge.semantic import SemanticIndex

log = logging.getLogger(__name__)

# The figures below were set on tests/retrieval/questions.yaml, dev_questions.yaml and the fresh rounds 1 and 2
# together (the answer bar and the background share on rounds 1-3 as well; never on round 4), and sit on a broad
# plateau: nearby values give the same results within a question or two (tests/retrieval/README.md).
#
# bench/fit_ranking.py fits the ranking shares (COVER_SHARE ... DEFINED_BONUS) by a listwise softmax over each
# question's candidates, and the answer bar by grid search, on every labelled set, and scores each round it left out.
# Measured 2026-12-07 with the content of that day: fitted leave-one-round-out (rounds 8-14) they do no better than
# these hand-set figures at the same out-of-scope refusal (top-1 85.0 against 85.3 %, top-3 92.9 against 92.8 %,
# out-of-scope refused 93.7 % both); a fit that seemed to win did so by answering more out-of-scope questions. So
# the hand-set figures stay; run the script again before changing one.

# Share of the question's weight the best entry must cover to count as an answer, for a question of up to
# LONG_QUESTION_TERMS concepts. Each concept beyond lowers the bar by LONG_QUESTION_EASING, down to
# LONG_QUESTION_FLOOR: every detail of a long message ("graduated 2019, house job, 2 years in ER, 150 programs")
# weighs against every entry, so a long question in scope covers less than a short one, while the near misses that
# should be refused ("tourist visa for thailand", "h1b for a software engineer") are short. Chosen on the fresh
# rounds 1-3 and the curated sets together (_answer_easing), never on round 4.
CONFIDENCE_THRESHOLD = 0.55
LONG_QUESTION_TERMS = 5
LONG_QUESTION_EASING = 0.04
LONG_QUESTION_FLOOR = 0.25
# ...and the least weight of matched words: one common word ("test", "best") is not a pathway question. A title or
# alias of three words or more found word for word ("am i an img") is enough, however common its words.
MIN_MATCHED_WEIGHT = 0.7
# How much of a word's weight an entry covers by naming it in its title, aliases, tags, summary, body or the
# questions members ask about it. The title says what the entry is about; the body of a long entry touches many
# subjects it is not about; a word of one member's question ("scared", "wife") is evidence, not a definition.
FIELD_CREDITS = (1.0, 0.9, 0.5, 0.75, 0.3, 0.8)
# Words the knowledge base never uses (pizza, bitcoin, pilot) are the evidence that a question is about something
# else, so each weighs this much against the answer...
UNKNOWN_WORD_WEIGHT = 3.0
# ...while a pathway word the entry lacks is only a detail of the question ("attending", "home country"), and counts
# for this share of its weight...
KNOWN_UNMATCHED_SHARE = 0.5
# ...and a word of running text only ("laptop", "phone") for this share of its specificity, though it weighs little
# for an entry that has it: it names no topic, but a question about it is often about something else.
PLAIN_UNMATCHED_SHARE = 0.6
# ...and the name of another country's or profession's exam or licence (PLAB, NCLEX: data/search/synonyms.yaml,
# `elsewhere`) weighs this much against every entry, even one that mentions it in passing: the question is about a
# pathway the knowledge base does not cover, however many US pathway words it shares ("PLAB 2 slot dates"). At 6.0,
# a question sharing three or four pathway words ("software engineer ... H-1B lottery", "SCFHS Prometric exam")
# was still answered; 8.0 refuses them with no in-scope question of any set lost.
ELSEWHERE_WEIGHT = 8.0
# Numbers (years, scores) say little about which topic is asked.
NUMBER_WEIGHT = 0.5
# Everyday words ("good", "tips", "worth") are rare in a small set of entries, which makes their IDF look
# specific when it is not; they weigh at most this much.
WEAK_WEIGHT = 0.5
# Who is asking ("as a non-US IMG", "for IM", "from Egypt") is context, not the topic: when the question also names
# something else, a context word keeps this share of its weight.
CONTEXT_SHARE = 0.3
# BM25 field weights: title, aliases, tags, summary, body, questions.
FIELD_WEIGHTS = (8.0, 10.0, 3.0, 4.0, 0.5, 2.0)
# Shares of the ranking score: coverage, BM25 (relative to the best entry) and how much of the question the title
# names (an alias may only mention a neighbouring subject: "step 3 for visa"). BM25 was 0.4 before the title's recall
# had a share of its own (TITLE_RECALL_SHARE): at 0.3, 6 more questions of rounds 1-9 right at top-1; BM25 alone let
# an entry whose title says "H-1B" outrank the one on finding H-1B programs. Only their ratios matter: a hit's score
# is its ranking score over the best one's.
COVER_SHARE = 0.6
BM25_SHARE = 0.3
TITLE_SHARE = 0.1
# An entry's closest member question ("what if i dont match") stands in for the entry's own coverage of the question
# when it covers more; this is its share in the ranking.
EXAMPLE_SHARE = 0.5
# An entry joins the candidates by its members' questions alone when one covers at least this much of the question.
EXAMPLE_CANDIDATE = 0.25
# The meaning signal (bot/knowledge/semantic.py): entries closer than SEMANTIC_MIN (cosine) are ignored, the
# SEMANTIC_CANDIDATES closest join the candidates, and closeness above SEMANTIC_MIN counts for SEMANTIC_SHARE of the
# ranking. An entry at least SEMANTIC_CONFIRM close answers with word coverage from CLOSE_CONFIDENCE (lowered for
# long questions as CONFIDENCE_THRESHOLD is).
SEMANTIC_MIN = 0.35
SEMANTIC_CANDIDATES = 5
SEMANTIC_SHARE = 0.4
SEMANTIC_CONFIRM = 0.5
CLOSE_CONFIDENCE = 0.45
# The entry classifier (bot/knowledge/classifier.py): each entry's log-probability below the most probable one's,
# floored at -CLASSIFIER_FLOOR, counts for CLASSIFIER_SHARE of the ranking. Chosen on every labelled set together
# (rounds 1-19 and the curated sets, none trained on): top-1 86.0 -> 87.1 % of the labelled questions.
CLASSIFIER_SHARE = 0.05
CLASSIFIER_FLOOR = 5.0
# An entry the search did not answer with is offered (after a refusal, or in autocomplete) only when its hit score
# (the best entry's coverage of the question, scaled by this entry's ranking against the best) reaches this: "best
# pizza" shares one everyday word with some entry, and offering that entry would look random.
SUGGESTION_MIN_SCORE = 0.3
# A word only the background of a long message uses (the sentences around the question: bot/knowledge/focus.py)
# keeps this share of its weight, for and against an entry.
BACKGROUND_SHARE = 0.45
# ...provided the asking sentences name at least this many topics themselves.
BACKGROUND_MIN_TOPICS = 1
# Share of the ranking for how much of an entry's title the question names: of two entries the question matches
# equally ("how to send my transcript to ERAS"), the one whose title it names more of ("Medical school transcript in
# ERAS", not "USMLE transcript in ERAS ($80 fee, release and resend)"). The share is of the title's words plus one,
# so that a title of one word ("Observerships") is not all named by any question that says it.
TITLE_RECALL_SHARE = 0.15
# Bonuses to the ranking (not the confidence) when a title or alias appears word for word in the question (full for
# three words or more), when it is the whole question, and when the question asks what it means.
PHRASE_BONUS = 0.3
NAMED_BONUS = 0.3
DEFINED_BONUS = 0.3

_COLUMNS = ("title", "aliases", "tags", "summary", "body", "questions")
# A word in one of these fields of some entry names a topic.
_NAMING_COLUMNS = frozenset({"title", "aliases", "tags"})
# Multi-word synonym keys are matched over at most this many words of the question...
_MAX_KEY_WORDS = 4
# ...and titles and aliases over at most this many.
_MAX_PHRASE_WORDS = 8
# Per-word caches are bounded: free text from users must not grow memory forever.
_CACHE_LIMIT = 50_000

_ZERO_WIDTH = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_TOKEN = re.compile(r"[a-z0-9]+")
# A number and the word right after it, if any ("5k", "3 yrs", "12-year"): what the rules about units need.
_NUMBER_UNIT = re.compile(r"\d+\s*-?\s*([a-z]*)")
# Discord markup that is not words: mentions <@123>, channels <#123>, custom emoji <:name:123>, :shortcodes:, links.
# Mentions typed as text ("@everyone", "@MatchBot") say who is addressed, not what is asked.
_DISCORD_MARKUP = re.compile(
    r"<(?:@[!&]?|#|a?:\w+:)\d+>|(?<!\w):[a-z0-9_+-]+:(?!\w)|https?://\S+|(?<![\w.])@\w+", re.IGNORECASE
)
_INTERNAL_MEDICINE = re.compile(r"\bIM\b")
# Abbreviations that are also English words, read as the abbreviation only when typed in capitals in a message that
# is not shouted ("my SON letter" is the Statement of Need; "MY SON IS..." and "my son" are a son).
_CAPITALS_ABBREVIATIONS = {"SON": " statement of need ", "NExT": " nextexam "}
_CAPITALS_ABBREVIATION = re.compile(r"\b(?:" + "|".join(_CAPITALS_ABBREVIATIONS) + r")\b")
# A message is shouted when an ordinary small word is in capitals ("MY SON IS..."): counting capitals alone would
# call "ECFMG SON for J1?" shouted, and members' questions are full of abbreviations.
_SHOUTED_WORD = re.compile(
    r"\b(?:MY|IS|ARE|THE|AND|FOR|HOW|WHAT|WHY|WHEN|CAN|HELP|PLEASE|ME|IT|TO|OF|ON|WITH|THIS|THAT|WILL|NOT|HAVE|HAS|"
    r"DOES|DID|WAS|HE|SHE|HIS|HER|GET|NEED|ANY|URGENT)\b"
)


def _capitals_abbreviations(text: str) -> str:
    if _SHOUTED_WORD.search(text):
        return text
    return _CAPITALS_ABBREVIATION.sub(lambda m: _CAPITALS_ABBREVIATIONS[m.group(0)], text)


# "II" and "IIs" in capitals are interview invites ("got my first II", "0 IIs"), except as a numeral: "Step II",
# "Part II", or the ECG leads "II, III, aVF".
_INTERVIEW_INVITE = re.compile(r"(?<![\w-])(?:(\w+)[ -])?IIs?\b(?!,?\s*III)")
_NUMBERED_BY_II = frozenset(
    {"step", "part", "phase", "stage", "grade", "class", "level", "type", "war", "lead", "world"}
)
_POSSESSIVE = re.compile(r"'s\b")
# The name of the person a member quotes ("my friend Priya says", "my senior Ahmed told me") is who said it, not
# what is asked: a capitalised word right after a relative, friend or colleague, and before a verb of saying or
# doing, is dropped. Without the verb it may be what is asked ("my wife Canadian citizen", "my senior Matched with
# 230"), and a name in capitals ("my friend IM resident") is an abbreviation: both stay.
_QUOTED_PERSON = re.compile(
    r"\b((?:[Mm]y|[Oo]ur)\s+(?:friend|senior|junior|sister|brother|cousin|colleague|classmate|batchmate|roommate|"
    r"mentor|uncle|aunt|wife|husband|neighbou?r)s?)\s+[A-Z][a-z]+\b(?=\s+(?:says?|said|tells?|told|thinks?|thought|"
    r"asks?|asked|mentioned|suggest(?:s|ed)?|believes?|recommend(?:s|ed)?|writes?|wrote|is|was|has|had|got|did|does)\b)"
)
_MARKDOWN = re.compile(r"[*_`~|]+|^\s*(?:>+|-#)\s?", re.MULTILINE)
# What any markdown has: a text without it is left as it is.
_MARKDOWN_SIGN = re.compile(r"[*_`~|>]|-#")
# A greeting that opens a message and says whom it is for ("Good day house,", "Please my people,", "Hi po!", "Dear
# seniors,"): its words ("house", "people") are no part of the question, and weigh against every answer.
_SALUTATION = re.compile(
    r"^\W*(?:(?:hi+|hello|hey|oi|ola|hola|buenas|good\s+(?:day|morning|evening|eve|afternoon)|dear|greetings|please|"
    r"pls|plz|yalla|salam|namaste)\b)?([^,.!?:;\n]{0,40})[,.!?:;\n]+",
    re.IGNORECASE,
)
_ADDRESSEES_TEXT = """
    house people peeps fam family team all everyone everybody guys folks friends frnds colleagues seniors juniors
    doctors docs doc drs dr sir sirs maam madam mam bhai bhaiya didi brothers sisters bro bros sis po pessoal gente
    amigos my the dear respected esteemed fellow imgs members community group doctor doctors ya yaa
"""
_ADDRESSEES = frozenset(_ADDRESSEES_TEXT.split())
# Chat spellings of the small words that say what is asked ("wen is the deadline", "hw to apply", "shd i take
# step 3"), and of negations, which the rules below need spelled out.
_SHORTHAND = {
    "wen": "when",
    "whn": "when",
    "wat": "what",
    "wht": "what",
    "wut": "what",
    "hw": "how",
    "hws": "how is",
    "shd": "should",
    "shud": "should",
    "shld": "should",
    "cn": "can",
    "abt": "about",
    "wer": "where",
    "whr": "where",
    "wher": "where",
    "wich": "which",
    "dnt": "dont",
    "dint": "didnt",
    "didnot": "didnt",
    "donot": "dont",
    "b4": "before",
    "bcz": "because",
    "becoz": "because",
    "thru": "through",
    "n": "and",
    "wid": "with",
    "wth": "with",
    "frm": "from",
    "hv": "have",
    "hav": "have",
    "bt": "but",
    "wud": "would",
    "cud": "could",
    "cld": "could",
    "wil": "will",
    "gud": "good",
    "bec": "because",
    "bcoz": "because",
    "becuz": "because",
    "tht": "that",
    "dis": "this",
    "smth": "something",
    "sth": "something",
    "evry": "every",
    "othr": "other",
    "frnd": "friend",
    "vry": "very",
    "thnx": "thanks",
    "srsly": "seriously",
    "lemme": "let me",
    "gimme": "give me",
    "any1": "anyone",
    "some1": "someone",
    "sum1": "someone",
    "every1": "everyone",
    "evry1": "everyone",
    "knw": "know",
    "kno": "know",
    "rly": "really",
    "wrk": "work",
    "w/o": "without",
    "w/": "with",
    "b/w": "between",
    # Chat abbreviations: typed as they are, each would be a word no entry has, which weighs heavily against every
    # answer (UNKNOWN_WORD_WEIGHT) though it says nothing about the topic.
    # Words run together in chat: typed as one, each is a word no entry has.
    "alot": "a lot",
    "abit": "a bit",
    "atleast": "at least",
    "aswell": "as well",
    "incase": "in case",
    "infact": "in fact",
    "ofcourse": "of course",
    "eachother": "each other",
    "q": "question",
    "qs": "questions",
    "wats": "what is",
    "whts": "what is",
    "wt": "what",
    "rn": "right now",
    "atm": "at the moment",
    "asap": "soon",
    "imo": "in my opinion",
    "idk": "i dont know",
    "dunno": "dont know",
    "tbh": "to be honest",
    "lmk": "let me know",
    "nah": "no",
    "nope": "no",
    "yea": "yes",
    "yeah": "yes",
    "yep": "yes",
    "yup": "yes",
    "ofc": "of course",
    "prolly": "probably",
    "gotta": "have to",
    "bout": "about",
    "thn": "then",
    "esp": "especially",
    "diff": "different",
    "approx": "about",
    "yr": "year",
    "yrs": "years",
    "mnth": "month",
    "mnths": "months",
    "mos": "months",
    "wk": "week",
    "wks": "weeks",
    "mins": "minutes",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "govt": "government",
    "dept": "department",
    "msg": "message",
    "msgs": "messages",
    "appt": "appointment",
    "req": "requirement",
    "reqs": "requirements",
    "doc": "doctor",
    "prof": "professor",
    "univ": "university",
    "enuf": "enough",
    # Months as members shorten them: the month itself, an everyday word like its full name.
    "jan": "january",
    "feb": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
}
_SHORTHAND_WORD = re.compile(r"(?<![\w/])(?:" + "|".join(re.escape(k) for k in _SHORTHAND) + r")(?![\w/])")
# A chat spelling is a whole run of word characters and slashes ("w/o", "b4"), since _SHORTHAND_WORD needs neither
# before nor after it: a text with no such run that is a key of _SHORTHAND has none.
_WORD_OR_SLASHES = re.compile(r"[\w/]+")
_SHORTHAND_KEYS = frozenset(_SHORTHAND)
# Letters typed again and again for emphasis ("plsss", "hiii", "sooo"); no English word has three in a row.
_REPEATED_LETTER = re.compile(r"([a-z])\1{2,}")

# Specialties as members name them, for the rules below that need to know one.
_SPECIALTIES = (
    r"psych|psychiatry|peds|paeds|pediatrics|neuro|neurology|pathology|surgery|gen\s+surg|radiology|rads|"
    r"anesthesia|anesthesiology|family\s+medicine|fm|internal\s+medicine|obgyn|derm|dermatology|ophtho|"
    r"ophthalmology|ortho|orthopedics|urology|ent|emergency\s+medicine|neurosurgery|pm&r|pmr"
)

_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"], start=2
    )
}


class _Rule(NamedTuple):
    """One spelling rule of ``_CANONICAL``, with what a text needs for the rule to have anything to replace (a
    tuple, unpacked in ``normalize``'s loop: the fastest way to read its fields)."""

    # A piece of text it needs ("" for none), or one of the others...
    trigger: str
    others: tuple[str, ...]
    # ...whether it needs a digit...
    needs_digit: bool
    # ...and the words of which one must follow a number ("5k", "3 yrs"), if any.
    units: frozenset[str] | None
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]


def _rule(trigger: str, pattern: str, replacement: str | Callable[[re.Match[str]], str]) -> _Rule:
    needs_digit = trigger.startswith("#")
    trigger = trigger.removeprefix("#")
    if trigger.startswith("="):
        return _Rule("", (), True, frozenset(trigger[1:].split()), re.compile(pattern), replacement)
    first, *others = trigger.split("|")
    return _Rule(first, tuple(others), needs_digit, None, re.compile(pattern), replacement)


# Spellings that mean one thing. Applied to entries and questions alike, so both sides agree. Each rule has pieces of
# text it cannot match without, "|" between them ("" for none), checked first: most texts skip most rules, and a
# question is read and start-up is done faster. A trigger that starts with "#" also needs a digit (``\d``) in the
# text: the rules about numbers, about a dozen, are most of the time spent on a question that has none; "#=" and
# words: a number followed by one of the words (after spaces or a hyphen), as in "5k" or "3 yrs", since most
# questions that have numbers have none of the units.
_CANONICAL: tuple[_Rule, ...] = tuple(
    _rule(trigger, pattern, replacement)
    for trigger, pattern, replacement in (
        ("u.", r"\bu\.\s?s\.(\s?a\.?)?", " us "),
        ("1", r"\bh\s*-?\s*1\s*-?\s*b\b", " h1b "),
        # "H1" alone is the H-1B in members' shorthand ("j1 or h1 which better").
        ("1", r"\bh-?1\b", " h1b "),
        ("1", r"\bj\s*-?\s*1\b", " j1 "),
        # Every other visa class the same way: "F-1", "J-2", "H-4", "B-2", "O-1" are one token each, as "f1" is.
        ("2019", r"\bds\s*-?\s*2019\b", " ds2019 "),
        ("212", r"\b212\s*\(?\s*e\s*\)?", " 212e "),
        # Immigration forms are one token each ("I-765", "I-485", "I-90"), as the entries' aliases spell them ("i765").
        ("#i-", r"\bi-(\d{2,3})\b", r" i\1 "),
        # A visa refusal under section 214(b), however typed: "214b", "214 (b)".
        ("214", r"\b214\s*\(?\s*b\b\s*\)?", " 214b "),
        # The visitor visa's two classes typed as one word ("b1b2 ok for observership?") are the two classes.
        ("b1b2", r"\bb1b2\b", " b1 b2 "),
        ("cex", r"\bmini\s*-?\s*cex\b", " minicex "),
        ("pgy", r"\bpgy\s*-?\s*(\d)\b", r" pgy\1 "),
        ("sub", r"\bsub\s*-?\s*i(nternships?|s)?\b", r" subinternship "),
        ("step", r"\bstep\s*-?\s*(?:3|iii|three)\b", " step3 "),
        ("step", r"\bstep\s*-?\s*(?:2|ii|two)\s*-?\s*(ck|cs)\b", r" step2 \1 "),
        ("step", r"\bstep\s*-?\s*(?:2|ii|two)\b", " step2 "),
        ("#=ck cs", r"\b2\s*-?\s*(ck|cs)\b", r" step2 \1 "),
        ("step", r"\bstep\s*-?\s*(?:1|i|one)\b", " step1 "),
        ("/", r"\bpass\s*/\s*fail\b", " pass fail "),
        ("/", r"\bp\s*/\s*f\b", " pass fail "),
        # "non-US IMG" and "US-IMG" are one thing each, not "us" (a stopword) next to "img".
        ("mg", r"\bnon\s*-?\s*(?:us|usa|american)\s*-?\s*(?:imgs?|fmgs?)\b", " nonusimg "),
        ("mg", r"\b(?:us|usa|american)\s*-?\s*(?:imgs?|fmgs?)\b", " usimg "),
        # "didn't match", "did not get matched", "no match": one word, so it is not read as "match" (a word of
        # nearly every entry) next to filler.
        (
            "match",
            r"\b(?:did\s*not|didnt|couldnt|could\s*not|failed\s+to|never)\s+(?:get\s+|got\s+)?match(?:ed)?\b",
            " unmatched ",
        ),
        # "what if i don't match", "if we do not get matched": the worry is about not matching. Only with a person
        # before it, because "my names don't match" is a question about documents.
        (
            "match",
            r"\b(?:i|we|you|u|he|she|they)\s+(?:am\s+|was\s+|were\s+|is\s+|are\s+|have\s+|has\s+)?(?:dont|do\s+not|"
            r"doesnt|does\s+not|wont|will\s+not|cant|cannot|can\s+not|may\s+not|might\s+not|not|never)\s+"
            r"(?:get\s+|got\s+|be\s+|been\s+)?match(?:ed|ing)?\b",
            " unmatched ",
        ),
        ("match", r"\b(?:not\s+matched|not\s+matching|no\s+match|without\s+matching)\b", " unmatched "),
        # "everyone matched except me", "all my friends matched but me": the asker is the one who did not.
        ("matched", r"\bmatched\s+(?:except|but|other\s+than|apart\s+from)\s+(?:me|myself|us)\b", " unmatched "),
        # "thank you mail", "thank-you note": the note sent after an interview, one word (not "thank" and "you",
        # stopwords, next to "mail").
        (
            "thank",
            r"\bthank\s*-?\s*(?:you|u)\s+(?:e-?)?(?:notes?|mails?|emails?|letters?|cards?|messages?|msgs?)\b",
            " thankyou note ",
        ),
        # "five years out", "two interviews": a number spelled out is the number ("Step two" is read above). As a
        # word it is one the entries seldom use, which would weigh against every answer like a word of another topic.
        (
            "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve",
            r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b",
            lambda m: f" {_NUMBER_WORDS[m.group(0)]} ",
        ),
        # "how is CaRMS different from the NRMP": a comparison, as "CaRMS vs NRMP" asks it
        # ("my name is different from my passport" is not).
        (
            "differ",
            r"\b(?:is|are)\s+(?:an?\s+|the\s+)?(\w+)\s+different\s+(?:from|than|to)\s+(?:an?\s+|the\s+)?(\w+)\b",
            r" \1 vs \2 ",
        ),
        # "j1 or h1b which is better", "IM or FM, which": a choice between two, as "J-1 vs H-1B" asks it.
        ("which", r"\b(\w+)\s+or\s+(\w+)\s*,?\s+(?=which\b)", r" \1 vs \2 "),
        # "the difference between a J-1 and an H-1B" asks what "J-1 vs H-1B" asks.
        (
            "between",
            r"\bdiff(?:erence|erent)?s?\s+(?:between|b/w)\s+(?:an?\s+|the\s+)?(\w+)\s+and\s+(?:an?\s+|the\s+)?(\w+)\b",
            r" \1 vs \2 ",
        ),
        ("%", r"%", " percent "),
        # "fm+im", "im or fm", "peds/im": "im" joined to another specialty is internal medicine, not "I'm"
        # (in capitals "IM" is read as the specialty before this).
        (
            "im",
            r"\b(" + _SPECIALTIES + r"|em)\s*(\+|/|&|\bor\b|\band\b|\bvs\b)\s*im\b",
            r" \1 \2 internal medicine ",
        ),
        (
            "im",
            r"\bim\s*(\+|/|&|\bor\b|\band\b|\bvs\b)\s*(" + _SPECIALTIES + r"|em)\b",
            r" internal medicine \1 \2 ",
        ),
        # "2nd look" is the second look (a post-interview visit), not a look numbered 2.
        ("2nd", r"\b2nd\s*-?\s*look", " second look "),
        ("#=st nd rd th", r"\b(\d+)(?:st|nd|rd|th)\b", r" \1 "),
        # "5k", "100k": the amount in full, as the entries write it.
        ("#=k", r"\b(\d+)\s?k\b", r" \g<1>000 "),
        # A number glued to its unit ("4mo", "36hr", "9pm", "2x", "225ish") is the number and the unit's word; the
        # glued token is a word no entry has, which would weigh against every answer.
        ("#=mo mos mnth mnths", r"\b(\d+)\s?(?:mo|mos|mnths?)\b", r" \1 months "),
        ("#=hr hrs", r"\b(\d+)\s?hrs?\b", r" \1 hours "),
        # "15 min" is minutes; "min passing score", with no number before it, a minimum.
        ("#=min mins", r"\b(\d+)\s?mins?\b", r" \1 minutes "),
        ("min", r"\bmin\b", " minimum "),
        ("#=wk wks", r"\b(\d+)\s?(?:wks?)\b", r" \1 weeks "),
        ("#=am pm", r"\b(\d+)\s?(?:am|pm)\b", r" \1 "),
        ("#=x", r"\b(\d+)x\b", r" \1 times "),
        ("#=ish", r"\b(\d+)ish\b", r" \1 "),
        # "I'm 38", "38 years old", "42yo": the asker's age, which the entries call age ("i am 38 with two kids,
        # too late?"); not "I'm 25 days out" or "I have 38 programs".
        (
            "#",
            r"\b(?:(?:im|i\s+am|iam)\s+([1-7]\d)\b(?!\s*(?:days?|weeks?|months?|hours?|minutes?|programs?|"
            r"interviews?|apps?|applications?|percent|%|k|usd|dollars?|\$))|([1-7]\d)\s*-?\s*(?:years?\s*-?\s*old|yrs?\s*-?\s*old|"
            r"y/?o|yo)\b|aged\s+([1-7]\d)\b)",
            r" age \1\2\3 ",
        ),
        # "7yr", "2 yrs", "3-year": one spelling, so "7 year rule" is found however it is typed.
        ("#=yr yrs year years", r"\b(\d+)\s*-?\s*(?:yrs?|years?)\b", r" \1 year "),
        ("gyn", r"\bob\s*/?\s*-?\s*gyn\b", " obgyn "),
        # Questions someone else asks the member ("what questions do programs ask", "what questions do IMGs get
        # asked") are interview questions; the questions the member asks are "questions to ask".
        (
            "question",
            r"\bquestions\s+(?:do|will|did|would|might|could|can)\s+(?!i\b|we\b)(\w+(?:\s+\w+)?)\s+(?:\w+\s+)?"
            r"(?:get\s+)?ask(?:ed)?\b",
            r" interview questions \1 ask ",
        ),
        ("question", r"\bquestions\s+(?:do|should|can|could|shall|would)\s+(?:i|we)\s+ask\b", " questions to ask "),
        # A specialty said to be IMG-friendly ("psych img friendly?", "is pathology friendly for IMGs") is an
        # IMG-friendly specialty: the question is how IMGs match in it, not how to judge one program.
        (
            "friendly",
            r"\b(specialt(?:y|ies)|" + _SPECIALTIES + r")\b((?:\s+(?!programs?\b)\w+){0,4}?\s+(?:img\s*-?\s*friendly|"
            r"friendly\s+(?:for|to)\s+imgs?)\b)(?!\s+specialty\b)",
            r" \1\2 specialty ",
        ),
        ("validation", r"\bre-?\s*validation\b", " revalidation "),
        # The NRMP's "All In" policy is named by two stopwords: "all-in", or "all in" before "policy", is one word.
        # So is "all in" that a rule applies to or that something breaks: "does all in apply to prelims", "isnt that
        # against all in", "under all in" ("all in one sitting" stays two words).
        (
            "all",
            r"\ball\s*-\s*in\b|\ball\s+in\b(?=\s*-?\s*(?:polic|rules?\b))",
            " allin ",
        ),
        # ...and "all in" asked about as a rule that applies ("does all in apply to prelims"), not "go all in, apply
        # to 200 programs".
        ("all", r"\b(does|do|would|will)\s+(?:the\s+)?all\s+in\b(?=\s+appl(?:y|ies)\b)", r" \1 allin "),
        ("all", r"\b(against|violat\w*|break\w*|under|nrmp)\s+all\s+in\b", r" \1 allin "),
        ("non", r"\bnon\s*-\s*", " non "),
    )
)

# Words that carry no meaning for finding an entry. Chat filler of Discord servers included: greetings, apologies for
# a ping, and the small words of Hinglish, Bengali, Arabic, Tagalog and Nigerian Pidgin chat ("oga", "abeg").
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
    ive dont didnt doesnt isnt cant wont ill youre theyre thats theres hows hasnt havent wasnt werent arent
    wouldnt shouldnt couldnt congrats congratulations heard hear till went ppl bc cuz coz lol lmao btw nothing
    im told tho though hmm kinda sorta doubt doubts query queries mam maam madam bhai brother sister
    kya hai hain ho hoga ka ki ke ko mein se aur bhi toh yaar kaise kab kitna kitne milega karna chahiye
    kar karun karu karein karen karte karta karti kiya kiye kia hota hoti hote tha thi raha rahi rahe rha rhi rhe
    sakta sakti sakte skta skte lena lun loon dena doon dun padega padegi wala wale wali bahut bohat bhot mujhe
    mujhko mera meri hum humko hame hamein apna apni apne kaun kaunsa kaunse konsa kahan kaha kyun kyu kyunki
    kyuki lekin par pe nahi nahin nhi na agar abhi ab phir fir wapas sab kuch kuchh koi bata batao batana
    batayein samajh samjhao zaroori zaruri chalega chalegi milta milti milegi lagenge lagega lagta lagti jaldi
    accha acha theek thik haan ji bhaiya didi yar jab tak wahan yahan jo jaise aisa aise aap tum unko usko uska
    uski unka inka iska iski sath saath liye liya diya dekh dekho dekhna hua hue hui gaye gaya gayi hogi honge
    chahte chahta chahti shuru
    since ago around across against along among behind despite near onto toward towards unless whether within
    not anymore anyway usa america american
    assalam assalamu salam salaam alaikum alaykum walaikum wallahi inshallah insha mashallah alhamdulillah namaste
    hola youll itll theyll weve shes hes
    po opo lang naman sana kasi mga oi pessoal gente obrigado obrigada buenas gracias amigos yalla wallah habibi
    akhi ukhti de del regarding concerning needful
    sorry apologies apologise apologize ping pinging tagging
    yo sup heya hiya dude bot bots
    oga una wan abeg dey wetin sha abi shey oya aaya aayi aaye
    ami amar amake apni apnar apnara tumi tomar tomra ki kore koren korbo korbe korte korle mone hoy hobe hocche
    achhe ache ase naki kintu ekta ekhon tahole jodi keno kothay kivabe bolun bolen bolo janaben dada apu vai
"""
# Question words that say what kind of answer is wanted ("when": a date, a deadline): not content, but they tell
# apart entries on one subject (the rank list, its deadline), so search keeps them as everyday words.
_QUESTION_WORDS = frozenset({"when", "how much"})
STOPWORDS = frozenset(_STOPWORD_TEXT.split()) - _QUESTION_WORDS

# Everyday words that rarely decide the topic. They are still searched (an alias such as "good step 2 score" or
# "time limit" still matches word for word) but weigh little; see WEAK_WEIGHT. How a member feels ("terrified",
# "crying") and how often something happens ("commonly") are among them: no entry uses most of them, so as words
# the knowledge base never uses they weighed against every answer to the question they came with.
_WEAK_TEXT = """
    good best better worse worst worth bad great fine right wrong sure true real possible important enough
    exactly tips tip advice guide guidance thing things stuff lot lots way ways make makes made use used using
    work works take takes taking took give gives giving gave put keep see look looking find found try trying
    many much long time times anything everything somebody people person someone whole full everyone okay
    mean means meaning happen happens happened ready done already also seniors senior colleagues
    today tomorrow currently normally usually generally able worried confused test tests buy purchase
    recommend recommended options option difference differences different count counts considered consider
    allowed late early soon next first back new process problem problems issue issues requirement requirements
    procedure revert juniors junior cycle cycles year years forgot forget panic panicking scared nervous dream
    sounding generic hit fast quick total overall complete vs versus pros cons advantages disadvantages benefits
    downside downsides january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    fee fees cost costs price prices pricing charge charges paid pay paying payment expensive cheap afford
    affordable dollar dollars usd money budget lakh lakhs rupees spend spent paise saal baar pehle baad
    yesterday urgent urgently pointless useless honestly seriously dealbreaker vibes
    increase increases increased jump jumps jumped rise rises higher lower double doubles extra
    decent reasonable realistic realistically solid fair proper properly sufficient adequate
    auto automatic automatically
    commonly typically typical often frequently sometimes mostly rarely ever
    terrified devastated heartbroken breathe crying cried cry overwhelmed
    shattered afraid frightened sad upset desperate ashamed embarrassed shaking freaking stupid silly dumb
    confuse confusing clarify clarification share sharing main batch batchmates classmates server servers
    channel channels realized realised realize realise noticed
    exist exists existing roughly waste wasted wasting idea ideas easy easier easily
    top highly honest trust affect affects affected bother bothered smart somewhere maybe difficult
    advantage happy nice super huge tiny tired suppose literally seems felt meanwhile afterwards besides barely
    annoying perfect terribly regret bored quiet
    normal hurt understand mention small saw almost strong stronger weaker point single forever always
    nobody clear everywhere reasons talk quickly worry chose straight wrote sent taken left stop stopped
    stopping care due especially received partly pressure forgetting forgotten panicked safer risk click written
    promise value tight forward approach scale pull rough newer direct deal goal bound upcoming remotely
    mad rude eyes medium effect holistically unreliable woke ton rich
    possibility carefully remember less none gone talking picked anywhere hurting pushed forces himself herself
    elsewhere tries mid path ruining pressured
"""
WEAK_WORDS = (frozenset(_WEAK_TEXT.split()) | _QUESTION_WORDS) - STOPWORDS
# Exams whose three-digit score IMGs state as part of their profile.
_SCORED_EXAMS = frozenset({"step1", "step2", "ck", "step3"})


class _Kind(Enum):
    TOPIC = "topic"
    CONTEXT = "context"
    # An everyday word: in WEAK_WORDS, or in the entries' text but never in a title, alias or tag.
    WEAK = "weak"
    # A word of the entries' running text only ("laptop", "options"): it names no topic, so it weighs little for
    # an entry that has it; but a question about it that the entry does not mention is a different question.
    PLAIN = "plain"
    NUMBER = "number"

    # Kinds are hashed a few hundred times per question (as keys of the concept cache, in _NAMING_KINDS); Enum's
    # own __hash__ is Python code. Members are singletons compared by identity, so identity's hash agrees.
    __hash__ = object.__hash__


# Kinds of words that name something: a topic, or who is asking and with what ("CK 212", "as an IMG").
_NAMING_KINDS = frozenset({_Kind.TOPIC, _Kind.CONTEXT})


class _SynonymFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    synonyms: dict[str, list[str]]
    context: list[str] = []
    elsewhere: list[str] = []


def _check_elsewhere(document: YamlDocument, loaded: _SynonymFile) -> None:
    """An ``elsewhere`` phrase must not also name a pathway concept (a synonym) or be a context word: it would weigh
    heavily against every question that uses it in its pathway sense ("wedding" is marriage, and a name changed after
    it is a question for ECFMG)."""
    named = {" ".join(tokenize(name)) for key, names in loaded.synonyms.items() for name in (key, *names)}
    named |= {" ".join(tokenize(phrase)) for phrase in loaded.context}
    problems = [
        document.problem(("elsewhere", index), f"{phrase!r} is also a synonym or context word: keep it in one place")
        for index, phrase in enumerate(loaded.elsewhere)
        if " ".join(tokenize(phrase)) in named
    ]
    if problems:
        raise DataFileError(problems)


def normalize(text: str) -> str:
    """Lowercase, strip accents and invisible characters, and unify the spellings in ``_CANONICAL``."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", _ZERO_WIDTH.sub("", text))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    # Each pattern below is tried only on a text that has what it needs (a scan for a letter or two costs much
    # less than trying a pattern at every position of the text).
    text = _without_markup(text)
    # "IM" in capitals is the specialty; "im" and "Im" are "I'm" typed without the apostrophe.
    if "IM" in text:
        text = _INTERNAL_MEDICINE.sub(" internal medicine ", text)
    if "SON" in text or "NExT" in text:
        text = _capitals_abbreviations(text)
    if "my" in text or "My" in text or "our" in text or "Our" in text:
        text = _QUOTED_PERSON.sub(r"\1", text)
    if "II" in text:
        text = _INTERVIEW_INVITE.sub(_interview_invite, text)
    text = _REPEATED_LETTER.sub(r"\1", text.lower())
    if "'" in text or "’" in text:
        # "dean's letter" -> "dean letter", "don't" -> "dont" (a stopword) rather than "don" and "t".
        text = _POSSESSIVE.sub("", text.replace("’", "'")).replace("'", "")
    text = _spelled_out(text)
    # The words right after the text's numbers, worked out when a rule about numbers first needs them, and again
    # after a rule changes the text.
    units: frozenset[str] | None = None
    for trigger, others, needs_digit, needs_unit, pattern, replacement in _CANONICAL:
        if trigger not in text and not (others and any(other in text for other in others)):
            continue
        if needs_digit:
            if units is None:
                units = frozenset(_NUMBER_UNIT.findall(text))
            # No number at all, or none followed by a word the rule needs.
            if not units or (needs_unit is not None and needs_unit.isdisjoint(units)):
                continue
        replaced = pattern.sub(replacement, text)
        if replaced is not text:  # re returns the very text when nothing matched
            text, units = replaced, None
    # The rules pad what they write with spaces; one space between words keeps normalising idempotent.
    return " ".join(text.split())


def _without_markup(text: str) -> str:
    """The text without Discord markup and markdown (``_DISCORD_MARKUP``, ``_MARKDOWN``)."""
    if "<" in text or ":" in text or "@" in text:
        text = _DISCORD_MARKUP.sub(" ", text)
    # Discord markdown (**bold**, `code`, ~~strike~~, ||spoiler||) is emphasis, not words; "_" joins no words either.
    if _MARKDOWN_SIGN.search(text):
        text = _MARKDOWN.sub(" ", text)
    return text


def _spelled_out(text: str) -> str:
    """Chat spellings (``_SHORTHAND``) spelled out, in a lowercased text."""
    if _SHORTHAND_KEYS.isdisjoint(_WORD_OR_SLASHES.findall(text)):
        return text
    return _SHORTHAND_WORD.sub(lambda m: _SHORTHAND[m.group(0)], text)


# "what is SOAP?", "what is this MSPE thing,", "what is the meaning of ROL", "what does YOG mean": the name asked
# about, up to the end of its clause.
_DEFINITION = re.compile(
    r"\b(?:what\s+is\s+(?:the\s+)?meaning\s+of|meaning\s+of|what\s+is|whats|what\s+are|what\s+does|"
    r"explain(?:\s+to\s+me|\s+me)?)\s+"
    r"(?:this\s+|that\s+|the\s+|an?\s+)?([a-z0-9][a-z0-9 -]{0,40}?)"
    r"\s*(?:\s(?:thing|stuff|exactly|actually|mean|means))?"
    r"\s*(?:[?,.!;:]|$|\s+and\s|\s+or\s|\s+like\s|\s+(?:pls|please|simply)\b)"
)


def _without_salutation(text: str) -> str:
    """The message without an opening greeting to its readers ("Good day house, ..."), which is all words of
    address; anything else in the opening clause ("Hey is step 1 pass fail, or not?") keeps it whole."""
    found = _SALUTATION.match(text)
    # With no greeting word, the clause must still name whom it addresses ("Doctor, what is...", "Seniors,").
    if found is None or not all(w in _ADDRESSEES for w in _TOKEN.findall(found.group(1).lower())):
        return text
    if not found.group(0)[: found.start(1)].strip(" \t\n*_~>") and not found.group(1).strip():
        return text
    rest = text[found.end() :]
    return rest if rest.strip() else text


def _interview_invite(match: re.Match[str]) -> str:
    before = match.group(1)
    if before and before.lower() in _NUMBERED_BY_II:
        return match.group(0)
    return f"{before or ''} interview invite "


def _answer_easing(concepts: int) -> float:
    """How much lower the confidence a question of this many concepts needs (CONFIDENCE_THRESHOLD)."""
    return LONG_QUESTION_EASING * max(0, concepts - LONG_QUESTION_TERMS)


def _plain_text(text: str) -> str:
    """The question as words for the meaning signal: no Discord markup or markdown, chat spellings spelled out, but
    otherwise as typed (the embeddings know "H-1B" and "didn't" better than this module's tokens)."""
    text = _without_markup(text)
    if "II" in text:
        text = _INTERVIEW_INVITE.sub(_interview_invite, text)
    return " ".join(_spelled_out(text.lower()).split())


def _sizes_by_first_word(keys: Iterable[tuple[str, ...]], longest: int) -> dict[str, tuple[int, ...]]:
    """For each word, the lengths (longest first, at most ``longest``) of the keys that start with it."""
    sizes: dict[str, set[int]] = {}
    for key in keys:
        if key and len(key) <= longest:
            sizes.setdefault(key[0], set()).add(len(key))
    return {word: tuple(sorted(found, reverse=True)) for word, found in sizes.items()}


def _runs(owners: list[int]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Where each run of equal values starts in ``owners``, and the value of each run."""
    starts = [i for i, owner in enumerate(owners) if i == 0 or owner != owners[i - 1]]
    return np.asarray(starts, dtype=np.intp), np.asarray([owners[i] for i in starts], dtype=np.intp)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def classifier_words(text: str) -> list[str]:
    """A text's words as the entry classifier reads them (``classifier_forms``)."""
    return classifier_forms(_TOKEN.findall(normalize(text)))


def classifier_forms(tokens: Iterable[str]) -> list[str]:
    """Words as the entry classifier reads them: search's spellings, stopwords left out, each word without its
    inflection ("contacts", "applying": "contact", "apply"), so that a question's form of a word is the entries'."""
    return [_inflection_root(_fold(token)) for token in tokens if token not in STOPWORDS]


# Words that ask whether a score is good enough ("ck 228 enuf for fm?", "is 235 good or bad for IM"): then the score
# the asker states is the subject, not context. On every labelled set: top-1 +5 questions, none lost (2026-12-07).
_ADEQUACY_TEXT = "enough competitive decent okay ok good low high bad chance chances realistic"
_ADEQUACY = frozenset(_ADEQUACY_TEXT.split())


def _stated_scores(tokens: list[str]) -> set[int]:
    """Positions of a score the asker states about themselves ("with 240 ck", "step 1 pass, ck 238").

    IMGs often open with their profile before the question; the exam named next to their own score is context,
    like their country, unless the question is about nothing else or asks whether the score is enough
    (_ADEQUACY).
    """
    stated: set[int] = set()
    if _SCORED_EXAMS.isdisjoint(tokens):  # most questions name no scored exam: nothing below can match
        return stated
    if not _ADEQUACY.isdisjoint(tokens):  # "235 on CK, is that enough for IM?": the score is what is asked about
        return stated
    content = [i for i, t in enumerate(tokens) if t not in STOPWORDS]
    for before, after in itertools.pairwise(content):
        pair = (tokens[before], tokens[after])
        for exam, score in (pair, pair[::-1]):
            if exam in _SCORED_EXAMS and score.isdigit() and 150 <= int(score) <= 300:
                stated.update((before, after))
    # "step 2 ck 240": the exam's other word too.
    for before, after in itertools.pairwise(content):
        if after in stated and tokens[before] in _SCORED_EXAMS:
            stated.add(before)
    return stated


_INFLECTIONS = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ly", ""))


def _inflection_root(word: str) -> str:
    """A word without an inflection ("applying", "applied", "applies" -> "apply"; "planned" -> "plan"), so that two
    forms of one word compare equal while derived words ("election", "elective") do not."""
    for suffix, replacement in _INFLECTIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _fold(token: str) -> str:
    """A word without its plural "s", so that "no interview yet" finds the alias "no interviews"."""
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


# Articles and possessives inside a title or alias say nothing about it: "change the program" is the alias "change
# program", "send my transcript" is "send transcript".
_PHRASE_FILLER = frozenset({"a", "an", "the", "my", "your", "our", "his", "her", "their"})


def _phrase_tokens(tokens: Iterable[str]) -> tuple[str, ...]:
    """Words as titles and aliases are matched word for word: folded, without articles and possessives."""
    return tuple(_fold(t) for t in tokens if t not in _PHRASE_FILLER)


def content_terms(text: str) -> list[str]:
    """The meaningful words of a question, in order, without repeats."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token not in STOPWORDS and token not in _QUESTION_WORDS:
            seen.setdefault(token, None)
    return list(seen)


@dataclass(frozen=True)
class SearchHit:
    entry: KnowledgeEntry
    # 0..1: how well the best entry covers the question, scaled by this entry's ranking score relative to the best.
    score: float


@dataclass(frozen=True)
class SearchResult:
    question: str
    terms: tuple[str, ...]
    hits: tuple[SearchHit, ...]
    confidence: float
    answered: bool
    # Written in another language: the knowledge base is in English, and the bot says so instead of guessing.
    not_english: bool = False
    # Said to the server, not asked ("thanks", "hello", "congrats"): no answer, no suggestion, nothing to record.
    chat: bool = False

    @property
    def best(self) -> KnowledgeEntry | None:
        return self.hits[0].entry if self.answered and self.hits else None


@dataclass(frozen=True)
class RankedEntry:
    """A candidate entry with the unrounded figures it was ranked by."""

    entry: KnowledgeEntry
    # The ranking score: coverage, BM25, title, resemblance and meaning shares, and the phrase bonuses.
    score: float
    # How much of the question's weight it covers (or its closest member question does); the best one's is the
    # confidence.
    cover: float
    # Cosine closeness to the question by embeddings (0 without the meaning signal).
    meaning: float
    # It has a word that names something with enough weight, or a title or alias of three words found as typed.
    substantial: bool
    # The whole question is its title or an alias, or asks what one of them means ("what is MSPE, ...").
    named: bool


@dataclass(frozen=True)
class Ranking:
    """The best candidates for a question, best first, before ``search`` rounds them into hits."""

    terms: tuple[str, ...]
    ranked: tuple[RankedEntry, ...]
    not_english: bool = False
    chat: bool = False


@dataclass(frozen=True)
class _Concept:
    """One thing the question says: a word, or a multi-word synonym key, with the other names it goes by."""

    text: str
    # The word or phrase itself, then its synonyms; an entry that names any of them names the concept.
    variants: tuple[str, ...]
    kind: _Kind


@dataclass(frozen=True)
class _Found:
    """Where a word or phrase occurs in the knowledge base."""

    # Entry -> the credit of the strongest field it appears in (FIELD_CREDITS).
    credits: dict[int, float]
    # Some entry has it in its title, aliases or tags: it names a topic. A word that only ever appears in running
    # text ("options", "exactly") is an everyday word, however rare.
    named: bool
    # The same credits as one value per entry (0 where it is absent), so a question's evidence is added up for all
    # entries at once. Read only: words found nowhere share one row of zeros.
    row: NDArray[np.float64]


class _Term(NamedTuple):
    """A concept of the question, with the entries that contain it and what it weighs for and against them (a
    tuple: a long question makes a few dozen, and a tuple is made several times faster than a frozen dataclass)."""

    concept: _Concept
    credits: dict[int, float]
    row: NDArray[np.float64]
    weight: float
    penalty: float


@dataclass
class _Index:
    conn: sqlite3.Connection
    entries: list[KnowledgeEntry]
    vocabulary: list[str]
    vocabulary_set: frozenset[str]
    # Each entry's title and aliases as token sequences, to recognise them word for word in a question.
    phrases: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    # The titles and aliases made only of context words and stopwords.
    context_phrases: frozenset[tuple[str, ...]] = frozenset()
    # The lengths of the titles and aliases (of at most _MAX_PHRASE_WORDS) that start with each word.
    phrase_sizes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # Each title and alias by its meaningful words only ("am i an img" -> ("img",)), to recognise a question that
    # is nothing but the name of a topic ("what is an img").
    names: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    # The questions members ask (each entry's `questions`), stored entry by entry: the entry each one belongs to...
    examples: list[int] = field(default_factory=list)
    # ...how many different meaningful words each has...
    example_sizes: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    # ...where each entry's run of them starts, and that entry...
    example_starts: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    example_entries: NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    # ...and, for each of their words (folded), the questions that use it.
    example_words: dict[str, set[int]] = field(default_factory=dict)
    # The members' questions that contain each concept looked up so far (by its names).
    examples_cache: dict[tuple[str, ...], NDArray[np.intp]] = field(default_factory=dict)
    # Where each word or phrase looked up so far occurs; and each concept of several names (all of them merged).
    found_cache: dict[str, _Found] = field(default_factory=dict)
    concept_cache: dict[tuple[str, ...], _Found] = field(default_factory=dict)
    # Each word's spelling correction (itself when it needs none), once worked out.
    corrections: dict[str, str] = field(default_factory=dict)
    # Each name's own BM25 against every entry that has it (the entries, their scores), for _bm25.
    bm25_cache: dict[str, tuple[NDArray[np.intp], NDArray[np.float64]]] = field(default_factory=dict)
    # Each title's meaningful words (folded): the entries whose title has each word, and how many each title has.
    title_words: dict[str, list[int]] = field(default_factory=dict)
    title_sizes: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    # The meaningful words of each concept's names looked up so far.
    name_words_cache: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    # Every word the entries spell, in any field, sorted: the forms a question's word may be another form of.
    surface: list[str] = field(default_factory=list)
    # The vocabulary's words of each length window (length, distance), for spelling correction.
    spellings_near: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    # The credits of a word found nowhere: zero for every entry (shared, so it is read only).
    nowhere: NDArray[np.float64] = field(init=False)
    # The IDF of a word by the number of entries that have it (0 to all of them), worked out once.
    idf: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.nowhere = np.zeros(len(self.entries))
        self.nowhere.flags.writeable = False
        n = len(self.entries)
        self.idf = [math.log((n - frequency + 0.5) / (frequency + 0.5) + 1.0) for frequency in range(n + 1)]


def _found(index: _Index, credits: dict[int, float], named: bool) -> _Found:
    if not credits:
        return _Found(credits, named, index.nowhere)
    row = np.zeros(len(index.entries))
    row[list(credits)] = list(credits.values())
    row.flags.writeable = False
    return _Found(credits, named, row)


@dataclass(frozen=True)
class _Evidence:
    """What each entry has of the question's words, one value per entry."""

    # The weight of the question it answers (a word's weight times the credit of the field it is in)...
    matched: NDArray[np.float64]
    # ...the penalty it avoids (what it leaves out weighs against it)...
    covered: NDArray[np.float64]
    # ...the weight its title names...
    titled: NDArray[np.float64]
    # ...and whether it has a word that names something (see _NAMING_KINDS).
    topical: NDArray[np.bool_]


def _evidence(terms: list[_Term], size: int) -> _Evidence:
    found = [term for term in terms if term.credits]
    if not found:
        return _Evidence(np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size, dtype=bool))
    # One row per word of the question, over every entry: one that lacks the word adds the weight times 0, which
    # leaves its sum as it was. Summed down the rows, in the question's order, as adding word by word would.
    rows = np.array([term.row for term in found])
    weights = np.array([[term.weight] for term in found])
    penalties = np.array([[term.penalty] for term in found])
    naming = [term.concept.kind in _NAMING_KINDS for term in found]
    return _Evidence(
        np.add.reduce(weights * rows, axis=0),
        np.add.reduce(penalties * rows, axis=0),
        np.add.reduce(weights * (rows == FIELD_CREDITS[0]), axis=0),
        np.logical_or.reduce(rows[naming] > 0, axis=0),
    )


@dataclass(frozen=True)
class _RankingParts:
    """The terms the ranking score adds up, one value per entry each, before their shares (RANKING_FEATURES names
    them in this order; bench/fit_ranking.py fits the shares on them)."""

    # How much of the question's weight it covers (or its closest member question does): the best one's is the
    # confidence.
    cover: NDArray[np.float64]
    # FTS5's BM25 relative to the best entry's (0..1).
    bm25: NDArray[np.float64]
    # The share of the question's weight its title names.
    titled: NDArray[np.float64]
    # How well its closest member question covers the question.
    resemblance: NDArray[np.float64]
    # Closeness in meaning above SEMANTIC_MIN, scaled to 0..1.
    meaning: NDArray[np.float64]
    # A title or alias found word for word (0..1 by its length), the whole question, or asked the meaning of.
    phrase: NDArray[np.float64]
    named: NDArray[np.float64]
    defined: NDArray[np.float64]
    # The share of its title's words the question names.
    title_recall: NDArray[np.float64]
    # The entry classifier's log-probability below the best entry's, floored, times the share of the question's
    # words it knows (0 without the classifier).
    likely: NDArray[np.float64]
    # It has enough to answer at all.
    substantial: NDArray[np.bool_]

    def matrix(self) -> NDArray[np.float64]:
        """One row per entry, one column per RANKING_FEATURES."""
        return np.column_stack([getattr(self, name) for name in RANKING_FEATURES])


RANKING_FEATURES = (
    "cover",
    "bm25",
    "titled",
    "resemblance",
    "meaning",
    "phrase",
    "named",
    "defined",
    "title_recall",
    "likely",
)


def _ranking_parts(
    terms: list[_Term],
    evidence: _Evidence,
    named: NDArray[np.intp],
    resemblance: NDArray[np.float64],
    meaning: NDArray[np.float64],
    bm25: NDArray[np.float64],
    phrase_lengths: dict[int, int],
    defined: NDArray[np.intp] | None = None,
    title_recall: NDArray[np.float64] | None = None,
    likely: NDArray[np.float64] | None = None,
) -> _RankingParts:
    """The terms of the ranking formula (``_ranking_scores``) for every entry at once.

    ``named``: the entries whose title or alias is the whole question; ``resemblance``: how well each entry's
    closest member question covers this one; ``meaning``: cosine closeness (0 without the meaning signal);
    ``bm25``: FTS5's BM25 (negative, best most negative; 0 for no match); ``phrase_lengths``: the longest title or
    alias of each entry found word for word in the question (entries with none are left out); ``defined``: the
    entries whose title or alias the question asks the meaning of ("what is this SOAP thing").
    """
    size = len(resemblance)
    total_weight = sum(t.weight for t in terms) or 1.0
    total_penalty = sum(t.penalty for t in terms)
    matched = evidence.matched
    against = total_penalty - evidence.covered
    cover = np.divide(matched, matched + against, out=np.zeros_like(matched), where=matched != 0)
    cover[named] = 1.0
    # A question much like one members ask about this entry is evidence of its own.
    cover = np.maximum(cover, resemblance)
    # bm25() is negative, best most negative: relative strength in 0..1 against the best entry.
    best_bm25 = float(bm25.min()) or -1.0
    # A single word ("img") is context in most questions; several words in a row, or the whole question, are the
    # user naming the topic.
    phrase = np.zeros(size)
    for rowid, length in phrase_lengths.items():  # a few entries at most
        if length >= 2 or (length == 1 and len(terms) == 1):
            phrase[rowid] = min(1.0, length / 3 if length >= 2 else 1.0)
    is_named = np.zeros(size)
    is_named[named] = 1.0
    is_defined = np.zeros(size)
    if defined is not None:
        is_defined[defined] = 1.0
    # Everyday words alone ("good evening", "test") are no pathway question, however well an entry has them: an
    # answer needs a word that names a topic, or a title or alias of three words found as typed.
    substantial = (matched >= MIN_MATCHED_WEIGHT) & evidence.topical
    for rowid, length in phrase_lengths.items():
        if length >= 3:
            substantial[rowid] = True
    return _RankingParts(
        cover=cover,
        bm25=bm25 / best_bm25,
        titled=evidence.titled / total_weight,
        resemblance=resemblance,
        meaning=np.maximum(0.0, meaning - SEMANTIC_MIN) / (1 - SEMANTIC_MIN),
        phrase=phrase,
        named=is_named,
        defined=is_defined,
        title_recall=np.zeros(size) if title_recall is None else title_recall,
        likely=np.zeros(size) if likely is None else likely,
        substantial=substantial,
    )


def _ranking_scores(
    terms: list[_Term],
    evidence: _Evidence,
    named: NDArray[np.intp],
    resemblance: NDArray[np.float64],
    meaning: NDArray[np.float64],
    bm25: NDArray[np.float64],
    phrase_lengths: dict[int, int],
    defined: NDArray[np.intp] | None = None,
    title_recall: NDArray[np.float64] | None = None,
    likely: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """The ranking formula, for every entry at once: each entry's ranking score, its cover of the question (the
    best one's is the confidence), and whether it has enough to answer at all. The arguments are
    ``_ranking_parts``'s; every weight is a constant at the top of this module. Summed from the parts, the scores
    equal those of the formula before the parts existed to within rounding (the last bit of most scores differs: a
    share now multiplies a ratio already taken), which ``bench/kb_search.py --check-against`` allows (1e-9); no
    answer or order of the retrieval sets changed."""
    parts = _ranking_parts(
        terms, evidence, named, resemblance, meaning, bm25, phrase_lengths, defined, title_recall, likely
    )
    score = (
        COVER_SHARE * parts.cover
        + BM25_SHARE * parts.bm25
        + TITLE_SHARE * parts.titled
        + EXAMPLE_SHARE * parts.resemblance
        + SEMANTIC_SHARE * parts.meaning
    )
    score += PHRASE_BONUS * parts.phrase
    score += NAMED_BONUS * parts.named
    score += DEFINED_BONUS * parts.defined
    score += TITLE_RECALL_SHARE * parts.title_recall
    score += CLASSIFIER_SHARE * parts.likely
    return score, parts.cover, parts.substantial


class KnowledgeSearch:
    """An in-memory FTS5 index of the knowledge base, with query understanding around it."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        synonyms: dict[str, list[str]] | None = None,
        context: Iterable[str] = (),
        semantic: bool = True,
        elsewhere: Iterable[str] = (),
        build_now: bool = True,
        classifier_path: Path | None = None,
    ) -> None:
        self.knowledge = knowledge
        self._classifier_path = classifier_path
        self._classifier: EntryClassifier | None = None
        # Single-word keys, and multi-word keys as token tuples (matched over adjacent words of the question).
        self.synonyms: dict[str, tuple[str, ...]] = {}
        self._multi_word: dict[tuple[str, ...], tuple[str, ...]] = {}
        for key, alternatives in (synonyms or {}).items():
            key_tokens = tuple(tokenize(key))
            names = tuple(dict.fromkeys(" ".join(tokens) for tokens in map(tokenize, alternatives) if tokens))
            if len(key_tokens) == 1:
                self.synonyms[key_tokens[0]] = names
            elif key_tokens:
                self._multi_word[key_tokens] = names
        self.context = frozenset(" ".join(tokenize(word)) for word in context) - {""}
        self._context_words = frozenset(_fold(word) for phrase in self.context for word in phrase.split())
        # The context words and phrases as matched inside titles and aliases (folded), by the words they start with.
        self._context_keys = frozenset(_phrase_tokens(phrase.split()) for phrase in self.context)
        self._context_sizes = _sizes_by_first_word(self._context_keys, _MAX_PHRASE_WORDS)
        # Other countries' and professions' exams and licences: each is one concept, never a typo of a known word.
        self.elsewhere = frozenset(" ".join(tokenize(name)) for name in elsewhere) - {""}
        for phrase in self.elsewhere:
            if " " in phrase:
                self._multi_word.setdefault(tuple(phrase.split()), ())
        for phrase in self.context:
            # A context phrase ("home country") is one concept, like a multi-word synonym key.
            if " " in phrase:
                self._multi_word.setdefault(tuple(phrase.split()), ())
        # The sizes of the multi-word keys that start with each word, longest first, so a question's words are
        # tried only against keys that could start there.
        self._key_sizes = _sizes_by_first_word(self._multi_word, _MAX_KEY_WORDS)
        # Each concept made so far, by its text and kind: the same few hundred words come up again and again.
        self._concepts_made: dict[tuple[str, _Kind], _Concept] = {}
        # The indexes take a few hundred milliseconds (the embedding model most of it), so they are built on a
        # thread of their own while start-up goes on (connecting to Discord takes longer); the first search waits
        # for them. Content is validated before this point, so a data error still stops start-up at once. With
        # ``build_now`` false the thread starts at ``start_building`` (or the first search): start-up validates the
        # rest of the content first, which the builder would otherwise slow down by holding the GIL half the time.
        self._built: tuple[_Index, SemanticIndex | None] | None = None
        self._failure: BaseException | None = None
        self._builder = threading.Thread(target=self._build_all, args=(semantic,), name="knowledge-index", daemon=True)
        self._start_lock = threading.Lock()
        if build_now:
            self.start_building()

    @classmethod
    def from_data_dir(cls, knowledge: KnowledgeBase, data_dir: Path, build_now: bool = True) -> KnowledgeSearch:
        path = data_dir / "search" / "synonyms.yaml"
        if not path.exists():
            return cls(knowledge, build_now=build_now)
        document = parse_yaml(path)
        loaded = validate_document(document, _SynonymFile)
        _check_elsewhere(document, loaded)
        return cls(
            knowledge,
            loaded.synonyms,
            loaded.context,
            elsewhere=loaded.elsewhere,
            build_now=build_now,
            classifier_path=data_dir / CLASSIFIER_FILE,
        )

    def start_building(self) -> None:
        """Start building the indexes on their thread, unless that has started already."""
        with self._start_lock:
            if self._builder.ident is None:
                self._builder.start()

    def _build_all(self, semantic: bool) -> None:
        started = time.perf_counter()
        try:
            index = self._build(self.knowledge.entries)
        except BaseException as exc:  # logged here, and handed to whoever searches, on their thread
            log.exception("the knowledge search index could not be built: /ask and /topic will fail")
            self._failure = exc
            return
        meaning = None
        if semantic:
            try:
                from bot.knowledge.semantic import SemanticIndex  # numpy and the model: only on this thread

                meaning = SemanticIndex(self.knowledge.entries)
            except Exception:
                # The word index alone still answers (a little less well): better than no answers at all.
                log.exception("the meaning signal could not be built; knowledge search runs on words alone")
        if meaning is not None and self._classifier_path is not None:
            self._classifier = self._current_classifier(self._classifier_path, meaning.dimensions)
        self._built = (index, meaning)
        log.info("knowledge search index ready in %.0f ms", (time.perf_counter() - started) * 1000)

    def training_words(self) -> list[tuple[int, list[str]]]:
        """Every entry's training texts (classifier.training_texts) read into words, with the entry's position."""
        return [
            (position, classifier_words(text))
            for position, entry in enumerate(self.knowledge.entries)
            for text in training_texts(entry)
        ]

    def _current_classifier(self, path: Path, meaning_dimensions: int) -> EntryClassifier | None:
        """The shipped classifier, if it was trained on the texts of now; None (and a warning) otherwise. Search
        answers without it, a little less well, whatever is wrong with the file."""
        if not path.exists():
            log.warning(
                "there is no entry classifier at %s; knowledge search runs without it (`imgbot kb classifier`)", path
            )
            return None
        try:
            classifier = EntryClassifier.load(path)
            classifier.check_shapes(meaning_dimensions)
        except Exception as exc:  # empty, cut short, corrupt or for another model: any of numpy's many errors
            log.warning(
                "the entry classifier %s could not be read (%s); knowledge search runs without it "
                "(`imgbot kb classifier` trains it again)",
                path,
                exc,
            )
            return None
        if classifier.texts_fingerprint != texts_fingerprint(self.knowledge.entries):
            log.warning(
                "the entry classifier %s was trained on other entries; knowledge search runs "
                "without it (`imgbot kb classifier` trains it again)",
                path,
            )
            return None
        return classifier

    def train_classifier(self, progress: Callable[[int], None] | None = None) -> EntryClassifier:
        """Train the entry classifier on the entries and search rules of now (``imgbot kb classifier``)."""
        semantic = self.semantic
        if semantic is None:
            raise RuntimeError("the meaning signal could not be built, and the classifier needs it")
        return train(self.knowledge.entries, self.training_words(), semantic.text_vectors, progress)

    def classifier_is_current(self) -> bool | None:
        """Whether the shipped classifier fits the entries and rules of now, as the bot checks it at start-up (the
        texts as written) and as training read them (their words after every search rule); None: there is none.
        No index needed."""
        path = self._classifier_path
        if path is None or not path.exists():
            return None
        try:
            shipped = EntryClassifier.load(path)
        except Exception:  # unreadable, whatever numpy raised
            return False
        ids = [entry.id for entry in self.knowledge.entries]
        return shipped.texts_fingerprint == texts_fingerprint(self.knowledge.entries) and (
            shipped.fingerprint == fingerprint(ids, self.training_words())
        )

    @property
    def classifier_path(self) -> Path | None:
        return self._classifier_path

    @property
    def classifier(self) -> EntryClassifier | None:
        self.wait_until_ready()
        return self._classifier

    def wait_until_ready(self) -> None:
        """Block until the indexes are built (at once after the first time); re-raise a failure to build them."""
        if self._built is None:
            self.start_building()
            self._builder.join()
            if self._failure is not None:
                raise RuntimeError("the knowledge search index could not be built") from self._failure

    @property
    def _index(self) -> _Index:
        if self._built is None:  # read a few dozen times per search: the usual case first
            self.wait_until_ready()
            assert self._built is not None
        return self._built[0]

    @property
    def semantic(self) -> SemanticIndex | None:
        self.wait_until_ready()
        assert self._built is not None
        return self._built[1]

    def _build(self, entries: Iterable[KnowledgeEntry]) -> _Index:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(
            "CREATE VIRTUAL TABLE kb USING fts5(title, aliases, tags, summary, body, questions, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        entry_list = list(entries)
        vocabulary: set[str] = set()
        phrases: dict[tuple[str, ...], list[int]] = {}
        names: dict[tuple[str, ...], list[int]] = {}
        examples: list[int] = []
        example_sizes: list[int] = []
        example_words: dict[str, set[int]] = {}
        rows = []
        surface: set[str] = set()
        title_words: dict[str, list[int]] = {}
        title_sizes: list[int] = []
        for rowid, entry in enumerate(entry_list):
            title_set = {_fold(t) for t in tokenize(entry.title) if t not in STOPWORDS}
            title_sizes.append(len(title_set) or 1)
            for word in title_set:
                title_words.setdefault(word, []).append(rowid)
            for name in (entry.title, *entry.aliases):
                name_words = tokenize(name)
                tokens = _phrase_tokens(name_words)
                if len(tokens) >= 2 or (tokens and name_words[0] not in STOPWORDS):
                    phrases.setdefault(tokens, []).append(rowid)
                meaningful = tuple(_fold(t) for t in name_words if t not in STOPWORDS)
                if meaningful and rowid not in names.get(meaningful, ()):
                    names.setdefault(meaningful, []).append(rowid)
            fields = (
                entry.title,
                " ; ".join(entry.aliases),
                " ".join(entry.tags),
                entry.summary,
                entry.body,
                " ; ".join(entry.questions),
            )
            normalized = [normalize(f) for f in fields]
            for question in entry.questions:
                example = len(examples)
                example_tokens = frozenset(_fold(t) for t in tokenize(question) if t not in STOPWORDS)
                examples.append(rowid)
                example_sizes.append(len(example_tokens) or 1)
                for word in example_tokens:
                    example_words.setdefault(word, set()).add(example)
            # Typos are corrected only towards the words that name topics (not every word of every body), so
            # an ordinary word such as "seniors" is never turned into a different one ("mentors").
            for text in normalized[:4]:
                vocabulary.update(_TOKEN.findall(text))
            for text in normalized:
                surface.update(_TOKEN.findall(text))
            rows.append((rowid, *normalized))
        conn.executemany(
            "INSERT INTO kb(rowid, title, aliases, tags, summary, body, questions) VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
        vocabulary.update(self.synonyms)
        vocabulary.update(word for key in self._multi_word for word in key)
        vocabulary.update(word for phrase in self.context for word in phrase.split())
        vocabulary -= STOPWORDS
        words = sorted(vocabulary)
        context_phrases = frozenset(
            phrase for phrase in phrases if all(w in self._context_words or w in STOPWORDS for w in phrase)
        )
        return _Index(
            conn,
            entry_list,
            words,
            frozenset(words),
            phrases,
            context_phrases,
            _sizes_by_first_word(phrases, _MAX_PHRASE_WORDS),
            names,
            examples,
            np.asarray(example_sizes, dtype=np.float64),
            *_runs(examples),
            example_words,
            surface=sorted(surface),
            title_words=title_words,
            title_sizes=np.asarray(title_sizes, dtype=np.float64),
        )

    # -- looking words up ----------------------------------------------------------------------------------------

    def _lookup(self, phrase: str) -> _Found:
        """The entries containing the word or phrase, and in which fields."""
        index = self._index
        found = index.found_cache.get(phrase)
        if found is not None:
            return found
        credits: dict[int, float] = {}
        named = False
        for column, credit in zip(_COLUMNS, FIELD_CREDITS, strict=True):
            for (rowid,) in index.conn.execute("SELECT rowid FROM kb WHERE kb MATCH ?", (f'{column}: "{phrase}"',)):
                named = named or column in _NAMING_COLUMNS
                if credit > credits.get(rowid, 0.0):
                    credits[rowid] = credit
        if named and " " not in phrase and not self._spelled_in_entries(phrase):
            # FTS5's stemmer makes "election" "elective" and "regarding" "regarded": a word the entries never spell,
            # in this or another inflection, is only a relative of theirs, so it names none of their topics (a
            # word of running text, see _Kind.PLAIN).
            named = False
        found = _found(index, credits, named)
        if len(index.found_cache) < _CACHE_LIMIT:
            index.found_cache[phrase] = found
        return found

    def _spelled_in_entries(self, word: str) -> bool:
        """Whether the entries spell the word, or another inflection of it ("applied" for "applying")."""
        surface = self._index.surface
        start = bisect.bisect_left(surface, word[:3])
        if start < len(surface) and surface[start] == word:
            return True
        root = _inflection_root(word)
        for known in itertools.islice(surface, start, None):
            if not known.startswith(word[:3]):
                return False
            if known == word or _inflection_root(known) == root:
                return True
        return False

    # -- query understanding -------------------------------------------------------------------------------------

    def _correct(self, term: str) -> str:
        """Replace an unknown word by the closest known one, if it is close enough to be a typo."""
        index = self._index
        if (
            term in index.vocabulary_set
            or term in WEAK_WORDS
            or len(term) < 5
            or term.isdigit()
            or term in self.elsewhere
        ):
            return term
        corrected = index.corrections.get(term)
        if corrected is None:
            corrected = self._closest_known(term)
            if len(index.corrections) < _CACHE_LIMIT:
                index.corrections[term] = corrected
        return corrected

    def _closest_known(self, term: str) -> str:
        if self._lookup(term).credits:
            return term
        # Doing a thing again is the thing ("rewrite", "resend", "reupload"), when the entries never say it so.
        if term.startswith("re") and len(term) >= 6 and self._lookup(term[2:]).credits:
            return term[2:]
        # A common word spelled right is no typo, however close to a topic word: "cancer" is not "cancel",
        # "password" not "passport", "president" not "resident".
        semantic = self.semantic
        if semantic is not None and semantic.is_word(term):
            return term
        max_distance = 1 if len(term) < 8 else 2
        candidates = process.extract(
            term, self._spellings_near(len(term), max_distance), scorer=OSA.distance, score_cutoff=max_distance, limit=8
        )
        if not candidates:
            return term
        best_distance = min(c[1] for c in candidates)
        # Among equally close words prefer the one most entries use: typos are of common words.
        closest = [c[0] for c in candidates if c[1] == best_distance]
        return max(closest, key=lambda w: (len(self._lookup(w).credits), w))

    def _spellings_near(self, length: int, distance: int) -> list[str]:
        """The known words within ``distance`` letters of ``length`` long, in the vocabulary's order: no other word
        is that few edits away, and equally close ones come out in the same order as from the whole vocabulary."""
        index = self._index
        key = (length, distance)
        near = index.spellings_near.get(key)
        if near is None:
            near = [word for word in index.vocabulary if abs(len(word) - length) <= distance]
            index.spellings_near[key] = near
        return near

    def _kind(self, text: str) -> _Kind:
        if text.isdigit():
            return _Kind.NUMBER
        if text in self.context:
            return _Kind.CONTEXT
        if text in WEAK_WORDS:
            return _Kind.WEAK
        return _Kind.TOPIC

    def _concepts(self, tokens: list[str]) -> list[_Concept]:
        """The question's words and multi-word synonym keys, each once, with the names they go by."""
        concepts: dict[str, _Concept] = {}
        stated = _stated_scores(tokens)
        position = 0
        while position < len(tokens):
            for size in self._key_sizes.get(tokens[position], ()):
                if size > len(tokens) - position:
                    continue
                key = tuple(tokens[position : position + size])
                if key in self._multi_word:
                    text = " ".join(key)
                    if text not in concepts:
                        concepts[text] = self._concept(text, self._kind(text))
                    position += size
                    break
            else:
                token = tokens[position]
                if token not in STOPWORDS and token not in concepts:
                    kind = _Kind.CONTEXT if position in stated else self._kind(token)
                    concepts[token] = self._concept(token, kind)
                position += 1
        return list(concepts.values())

    def _concept(self, text: str, kind: _Kind) -> _Concept:
        """The concept of a word (or a multi-word key, words apart by spaces) as ``kind``, with its other names."""
        made = self._concepts_made.get((text, kind))
        if made is None:
            names = self._multi_word[tuple(text.split())] if " " in text else self.synonyms.get(text, ())
            made = _Concept(text, (text, *names), kind)
            if len(self._concepts_made) < _CACHE_LIMIT:
                self._concepts_made[(text, kind)] = made
        return made

    def _find(self, concept: _Concept) -> _Found:
        """The entries that contain the concept by any of its names, with the best credit among them."""
        if len(concept.variants) == 1:
            return self._lookup(concept.text)
        index = self._index
        cached = index.concept_cache.get(concept.variants)
        if cached is not None:
            return cached
        merged: dict[int, float] = {}
        named = False
        for variant in concept.variants:
            found = self._lookup(variant)
            named = named or found.named
            for rowid, credit in found.credits.items():
                if credit > merged.get(rowid, 0.0):
                    merged[rowid] = credit
        result = _found(index, merged, named)
        if len(index.concept_cache) < _CACHE_LIMIT:
            index.concept_cache[concept.variants] = result
        return result

    def _idf(self, document_frequency: int) -> float:
        return self._index.idf[document_frequency]

    def _weight(self, concept: _Concept, found: _Found, has_topic: bool) -> float:
        if concept.kind is _Kind.NUMBER:
            return NUMBER_WEIGHT
        if concept.kind is _Kind.CONTEXT and not found.credits:
            return 0.0  # "from Egypt": says nothing for or against any entry
        idf = self._idf(len(found.credits))
        if concept.kind in (_Kind.WEAK, _Kind.PLAIN):
            return min(idf, WEAK_WEIGHT)
        if concept.kind is _Kind.CONTEXT:
            # "born in the US": a word only the entries' running text uses says little about any of them.
            if max(found.credits.values()) < FIELD_CREDITS[_COLUMNS.index("summary")]:
                idf = min(idf, WEAK_WEIGHT)
            return idf * CONTEXT_SHARE if has_topic else idf
        return idf

    def _phrase_matches(self, folded: tuple[str, ...], skip_context: bool) -> dict[int, int]:
        """For each entry, the length of its longest title or alias that the question (its words as
        ``_phrase_tokens`` makes them) contains word for word.

        With ``skip_context``, titles and aliases made only of context words ("non us img") do not count: in a
        question that also names a topic they are the asker describing themselves, not naming the topic.
        """
        index = self._index
        found: dict[int, int] = {}
        words = list(folded)
        # In a question that names a topic, who asks may sit inside the name of the topic: "how many IM programs" is
        # the alias "how many programs", "img friendly FM programs" is "img friendly programs".
        variants = [words]
        if skip_context:
            reduced = self._without_context(words)
            if len(reduced) < len(words):
                variants.append(reduced)
        sizes_of, phrases, context_phrases = index.phrase_sizes, index.phrases, index.context_phrases
        for tokens in variants:
            length = len(tokens)
            for start, token in enumerate(tokens):
                if token not in sizes_of:  # most words start no title or alias
                    continue
                for size in sizes_of[token]:
                    if start + size > length:
                        continue
                    phrase = tuple(tokens[start : start + size])
                    if skip_context and phrase in context_phrases:
                        continue
                    for rowid in phrases.get(phrase, ()):
                        if found.get(rowid, 0) < size:
                            found[rowid] = size
        return found

    def _without_context(self, words: list[str]) -> list[str]:
        """The words without the context words and phrases among them ("internal medicine", "img", "india")."""
        kept: list[str] = []
        position = 0
        while position < len(words):
            for size in self._context_sizes.get(words[position], ()):
                if tuple(words[position : position + size]) in self._context_keys:
                    position += size
                    break
            else:
                kept.append(words[position])
                position += 1
        return kept

    def _analyse(self, tokens: list[str], background: frozenset[str] = frozenset()) -> tuple[list[_Term], bool]:
        """The question's concepts with their weights; and whether it names a topic beyond its context words.
        Concepts whose words are all in ``background`` (said around the question, not in it) weigh less."""
        concepts = self._concepts(tokens)
        # Another pathway's exam is found in no entry for this question, whichever entries name it in passing.
        finds = [_found(self._index, {}, True) if c.text in self.elsewhere else self._find(c) for c in concepts]
        concepts = [
            self._concept(c.text, _Kind.PLAIN) if c.kind is _Kind.TOPIC and found.credits and not found.named else c
            for c, found in zip(concepts, finds, strict=True)
        ]
        has_topic = any(c.kind is _Kind.TOPIC and found.credits for c, found in zip(concepts, finds, strict=True))

        # The background weighs less only when the asking sentences name a topic of their own: in "my wife comes on
        # J-2. can she work there?" the question is all in the background.
        in_background = [bool(background) and all(w in background for w in c.text.split()) for c in concepts]
        asked_topics = sum(
            c.kind is _Kind.TOPIC and found.named and not behind
            for c, found, behind in zip(concepts, finds, in_background, strict=True)
        )
        share = BACKGROUND_SHARE if asked_topics >= BACKGROUND_MIN_TOPICS else 1.0
        terms = []
        for concept, found, behind in zip(concepts, finds, in_background, strict=True):
            weight = self._weight(concept, found, has_topic)
            # What the entry lacks weighs against it: an unknown word, UNKNOWN_WORD_WEIGHT (context words and
            # numbers are never unknown); a word of running text, its full specificity; others, their weight.
            if concept.text in self.elsewhere:
                # In the story around a question ("my parents say go back and do FCPS") it is a detail, no more.
                penalty = UNKNOWN_WORD_WEIGHT if behind else ELSEWHERE_WEIGHT
            elif not found.credits and concept.kind is _Kind.TOPIC:
                penalty = UNKNOWN_WORD_WEIGHT
            elif concept.kind is _Kind.PLAIN:
                penalty = self._idf(len(found.credits)) * PLAIN_UNMATCHED_SHARE
            else:
                penalty = weight * KNOWN_UNMATCHED_SHARE
            if behind:
                weight, penalty = weight * share, penalty * share
            terms.append(_Term(concept, found.credits, found.row, weight, penalty))
        return terms, has_topic

    def _examples_with(self, concept: _Concept) -> NDArray[np.intp]:
        """The members' questions that contain the concept by any of its names (every word of a name, any order)."""
        index = self._index
        cached = index.examples_cache.get(concept.variants)
        if cached is not None:
            return cached
        words = index.example_words
        found: set[int] = set()
        for variant in concept.variants:
            tokens = [_fold(t) for t in variant.split() if t not in STOPWORDS]
            if tokens and all(t in words for t in tokens):
                found |= set.intersection(*(words[t] for t in tokens))
        result = np.fromiter(sorted(found), dtype=np.intp, count=len(found))
        if len(index.examples_cache) < _CACHE_LIMIT:
            index.examples_cache[concept.variants] = result
        return result

    def _example_cover(self, terms: list[_Term]) -> NDArray[np.float64]:
        """For each entry, how well its closest member question covers this question (as coverage does)."""
        index = self._index
        found_cover = np.zeros(len(index.entries))
        count = len(index.examples)
        if not count:
            return found_cover
        # Per member question (arrays over all of them: a common word is in hundreds, and numpy adds faster than
        # dictionaries): the weight of the question it has, the penalty it avoids, how many of its words it has,
        # and whether one of them names something. Each term's member questions hold each of them once, so one
        # bincount (which adds in the order given, from zero) gives the very sums that adding term by term would, in
        # a few numpy calls instead of four per term.
        founds: list[NDArray[np.intp]] = []
        kept_terms: list[_Term] = []
        naming: list[NDArray[np.intp]] = []
        for term in terms:
            found = self._examples_with(term.concept)
            if found.size:
                founds.append(found)
                kept_terms.append(term)
                if term.concept.kind in _NAMING_KINDS:
                    naming.append(found)
        if not naming:
            return found_cover  # nothing usable: see below
        where = np.concatenate(founds)
        sizes = [found.size for found in founds]
        matched = np.bincount(where, np.array([t.weight for t in kept_terms]).repeat(sizes), count)
        penalty_in = np.bincount(where, np.array([t.penalty for t in kept_terms]).repeat(sizes), count)
        words_in = np.bincount(
            where, np.array([t.concept.text.count(" ") + 1.0 for t in kept_terms]).repeat(sizes), count
        )
        topical = np.zeros(count, dtype=bool)
        topical[np.concatenate(naming)] = True
        # Sharing only everyday words with a member's question ("good evening") is no resemblance.
        usable = np.flatnonzero(topical & (matched >= MIN_MATCHED_WEIGHT))
        if not usable.size:
            return found_cover
        total_penalty = sum(t.penalty for t in terms)
        kept = matched[usable]
        cover = np.zeros(count)
        # ...times how much of the member's question this one covers: "observership in usa" is all of "how to get an
        # observership in the usa", but little of "is an observership in the usa worth it at 40". (Only the usable
        # ones: the others cover nothing.)
        cover[usable] = (
            kept
            / (kept + total_penalty - penalty_in[usable])
            * np.minimum(1.0, words_in[usable] / index.example_sizes[usable])
        )
        # Member questions are stored entry by entry: the best of each entry's run.
        found_cover[index.example_entries] = np.maximum.reduceat(cover, index.example_starts)
        return found_cover

    def search(self, question: str, limit: int = 3) -> SearchResult:
        ranking = self.rank(question, limit)
        if ranking.not_english:
            return SearchResult(question, (), (), 0.0, False, not_english=True)
        if not ranking.ranked:
            return SearchResult(question, ranking.terms, (), 0.0, False, chat=ranking.chat)
        top = ranking.ranked[0]
        # The classifier's share is at most 0, so a weak off-topic question's best score can be below 0: then no
        # entry deserves a share of it (hit scores of 0 offer nothing as a suggestion).
        best_score = top.score if top.score > 0 else math.inf
        hits = tuple(
            SearchHit(ranked.entry, round(max(0.0, min(1.0, top.cover * ranked.score / best_score)), 4))
            for ranked in ranking.ranked
        )
        confidence = top.cover
        # Words that cover the question well enough answer it; words that cover less answer it only when the entry
        # is also close in meaning ("is it over for me" after a failed score), which off-topic questions seldom are.
        easing = _answer_easing(len(ranking.terms))
        sure = confidence >= max(LONG_QUESTION_FLOOR, CONFIDENCE_THRESHOLD - easing) or (
            confidence >= max(LONG_QUESTION_FLOOR, CLOSE_CONFIDENCE - easing) and top.meaning >= SEMANTIC_CONFIRM
        )
        answered = top.named or (sure and top.substantial)
        return SearchResult(question, ranking.terms, hits, round(confidence, 4), answered)

    def rank(self, question: str, limit: int = 3) -> Ranking:
        """The ``limit`` best candidates for the question with the unrounded figures ``search`` decides by (for
        benchmarks and tuning: bench/kb_search.py --check-against compares them before and after a change)."""
        index = self._index
        if looks_non_english(question, index.vocabulary_set):
            return Ranking((), (), not_english=True)
        if is_chat(question):
            # Thanks, congratulations, "dm me": for the server, not the knowledge base; no answer, no suggestion.
            return Ranking((), (), chat=True)
        # Greetings and good wishes before the question are said to the readers, not asked.
        question = _without_salutation(without_wishes(question))
        normalized = normalize(question)
        words = _TOKEN.findall(normalized)
        # Each word as search spells it, worked out once: a long message repeats its words, in its sentences too.
        spelled = {word: word if word in STOPWORDS else self._correct(word) for word in dict.fromkeys(words)}
        tokens = [spelled[word] for word in words]
        background = self._background_words(question, spelled)
        terms, has_topic = self._analyse(tokens, background)
        texts = tuple(t.concept.text for t in terms)
        # The whole question is the title or an alias of an entry ("ecfmg", "tell me about yourself", "what is an
        # img"): the user named the topic, as with /topic, however common or filler-like its words are.
        folded = _phrase_tokens(tokens)
        meaningful = tuple(_fold(t) for t in tokens if t not in STOPWORDS)
        named_rows = set(index.phrases.get(folded) or index.names.get(meaningful) or ())
        named = np.fromiter(sorted(named_rows), dtype=np.intp, count=len(named_rows))
        # BM25 cannot weigh words differently, so when the question names a topic only the topic words go into
        # its query: "as a non-US IMG" would pull every question towards the IMG entry, "options" towards any
        # entry that happens to say it.
        searched = [t for t in terms if t.credits and (t.concept.kind is _Kind.TOPIC or not has_topic)]
        # Everything below is one value per entry, for all entries at once.
        resemblance = self._example_cover(terms)
        # Candidates: every entry that contains one of those concepts by any of its names, whose members'
        # questions resemble this one, or that is among the closest in meaning.
        candidate = resemblance >= EXAMPLE_CANDIDATE
        candidate[named] = True
        if searched:
            candidate |= np.logical_or.reduce(np.array([term.row for term in searched]) > 0, axis=0)
        meaning = np.zeros(len(index.entries))
        semantic = self.semantic
        vector = None
        if semantic is not None:
            # Embedded as cleaned for words (no markdown, mentions or chat spellings): "**when** is `soap`" means
            # what "when is soap" means.
            vector = semantic.vector(_plain_text(question))
            sims = semantic.similarities_to(vector)
            closest = sims.argsort()[::-1][:SEMANTIC_CANDIDATES]
            candidate[closest[sims[closest] >= SEMANTIC_MIN]] = True
            meaning = sims.astype(np.float64)
        if not candidate.any():
            return Ranking(texts, ())
        lengths = self._phrase_matches(folded, skip_context=has_topic)
        defined_rows = self._defined(normalized)
        defined = np.fromiter(sorted(defined_rows), dtype=np.intp, count=len(defined_rows))
        likely = None
        classifier = self._classifier
        if classifier is not None:
            # The words of the asking sentences only: a long message's background (a husband's H-1B before "do I
            # register with the NRMP") would otherwise vote for its own entry as loudly as the question.
            asked = classifier_forms(t for t in tokens if t not in background)
            log_probabilities = classifier.log_probabilities(asked, vector).astype(np.float64)
            likely = classifier.known_share(asked) * np.maximum(
                log_probabilities - log_probabilities.max(), -CLASSIFIER_FLOOR
            )
        score, cover, substantial = _ranking_scores(
            terms,
            _evidence(terms, len(index.entries)),
            named,
            resemblance,
            meaning,
            self._bm25(searched),
            lengths,
            defined,
            self._title_recall(terms),
            likely,
        )
        rows = np.flatnonzero(candidate)
        # Best first; equal scores in the entries' order (a stable sort of rows in ascending order).
        best = rows[np.argsort(-score[rows], kind="stable")[:limit]]
        return Ranking(
            texts,
            tuple(
                RankedEntry(
                    index.entries[rowid],
                    float(score[rowid]),
                    float(cover[rowid]),
                    float(meaning[rowid]),
                    bool(substantial[rowid]),
                    rowid in named_rows or rowid in defined_rows,
                )
                for rowid in best.tolist()
            ),
        )

    def _title_recall(self, terms: list[_Term]) -> NDArray[np.float64]:
        """For each entry, the share of its title's meaningful words that the question names, by any of their names
        ("sop" names "personal statement")."""
        index = self._index
        words: set[str] = set()
        for term in terms:
            words |= self._name_words(term.concept.variants)
        rows = [row for word in words for row in index.title_words.get(word, ())]
        hits = np.bincount(rows, minlength=len(index.entries)) if rows else np.zeros(len(index.entries))
        return hits / (index.title_sizes + 1)

    def _name_words(self, names: tuple[str, ...]) -> frozenset[str]:
        """The meaningful words (folded) of a concept's names."""
        cache = self._index.name_words_cache
        found = cache.get(names)
        if found is None:
            found = frozenset(_fold(w) for name in names for w in name.split() if w not in STOPWORDS)
            if len(cache) < _CACHE_LIMIT:
                cache[names] = found
        return found

    def _defined(self, normalized: str) -> set[int]:
        """The entries whose title or alias the question asks the meaning of: "what is this SOAP thing, ...",
        "what is meaning of MSPE?", "pls explain SOAP like im 5". Inside a longer message a name of one word earns
        no phrase bonus (it is often context), but asked about like this it is the topic."""
        index = self._index
        rows: set[int] = set()
        if "what" not in normalized and "meaning" not in normalized and "explain" not in normalized:
            return rows
        for found in _DEFINITION.finditer(normalized):
            words = [t if t in STOPWORDS else self._correct(t) for t in _TOKEN.findall(found.group(1))]
            meaningful = tuple(_fold(t) for t in words if t not in STOPWORDS)
            rows.update(index.phrases.get(_phrase_tokens(words)) or index.names.get(meaningful) or ())
        return rows

    def _background_words(self, question: str, spelled: dict[str, str]) -> frozenset[str]:
        """The words of a long message that only its background uses (bot/knowledge/focus.py), as searched
        (``spelled``: words already spelled so, as the whole message has them)."""
        parts = focus(question)
        if not parts.background:
            return frozenset()

        def words(sentences: tuple[str, ...]) -> set[str]:
            # Spelled as search() spells the question's words, so that the two can be compared.
            return {
                spelled[t] if t in spelled else t if t in STOPWORDS else self._correct(t)
                for s in sentences
                for t in tokenize(s)
            }

        return frozenset(words(parts.background) - words(parts.asked))

    def _bm25(self, searched: list[_Term]) -> NDArray[np.float64]:
        """BM25 of every entry (0 for one that has none of them) for the searched concepts, each by its own name
        when the entries use it.

        BM25 sums over the words it is given: an entry that uses "fee", "cost" and "price" must not count three
        times for one "fee" in the question.
        """
        size = len(self._index.entries)
        names = (
            t.concept.variants if not self._lookup(t.concept.text).credits else (t.concept.text,) for t in searched
        )
        found = [self._name_bm25(name) for name in dict.fromkeys(n for group in names for n in group)]
        if not found:
            return np.zeros(size)
        # Each name has an entry once, so one bincount (adding in the order given, from zero) adds up the very sums
        # that adding name by name would.
        rows = np.concatenate([rows for rows, _ in found])
        # (Weighted, bincount counts in float64 already: the conversion copies nothing; it tells the type checker.)
        return np.bincount(rows, np.concatenate([scores for _, scores in found]), size).astype(np.float64, copy=False)

    def _name_bm25(self, name: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The entries that have the word or phrase, and its BM25 in each (FIELD_WEIGHTS by field).

        FTS5 scores an OR of phrases as the sum, phrase by phrase in the order given, of each phrase's own BM25
        (a phrase's IDF counts the entries that have it, whatever else is asked), so adding these in the same order
        gives the very sums that one query of all the names would, without a query per question.
        """
        index = self._index
        cached = index.bm25_cache.get(name)
        if cached is not None:
            return cached
        weights = ", ".join(str(w) for w in FIELD_WEIGHTS)
        found = index.conn.execute(f"SELECT rowid, bm25(kb, {weights}) FROM kb WHERE kb MATCH ?", (f'"{name}"',))
        pairs = found.fetchall()
        cached = (np.asarray([r for r, _ in pairs], dtype=np.intp), np.asarray([b for _, b in pairs]))
        if len(index.bm25_cache) < _CACHE_LIMIT:
            index.bm25_cache[name] = cached
        return cached

    def suggest(self, prefix: str, limit: int = 25) -> list[KnowledgeEntry]:
        """Entries for autocomplete: title or alias starting with what was typed, then containing it, then fuzzy."""
        typed = normalize(prefix).strip()
        entries = self._index.entries
        if not typed:
            return entries[:limit]
        # A title or alias that starts with what was typed ("so" -> "soap") first, then one of whose later words
        # does ("so" -> "primary source verification"), then one containing it.
        starts, word_starts, contains = [], [], []
        for entry in entries:
            names = [normalize(entry.title), *(normalize(a) for a in entry.aliases), entry.id]
            if any(n.startswith(typed) for n in names):
                starts.append(entry)
            elif any(w.startswith(typed) for n in names for w in n.split()):
                word_starts.append(entry)
            elif any(typed in n for n in names):
                contains.append(entry)
        found = starts + word_starts + contains
        if len(found) < limit and len(typed) >= 3:
            seen = {e.id for e in found}
            for hit in self.search(prefix, limit=limit).hits:
                if hit.entry.id not in seen and hit.score >= SUGGESTION_MIN_SCORE:
                    found.append(hit.entry)
                    seen.add(hit.entry.id)
        return found[:limit]
