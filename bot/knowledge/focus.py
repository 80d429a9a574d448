"""Which part of a long message is the question, and which part is the story around it.

Members often write several sentences about themselves before they ask ("I'm from Pakistan, graduated 2019, did house
job and 2 years in ER. Step 1 passed 2023, CK 238. Applied to 150 programs and have 2 interviews. Should I start
preparing for SOAP?"). Every word of the story is weighed like a word of the question, so a long story decides the
topic, or its details (a country, a job, a month) count against every entry and the question is refused. The
sentences that ask (ending in "?", or opening with a question word) say what is wanted; the others are background,
which search weighs less (bot/knowledge/search.py, BACKGROUND_SHARE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at ".", "?" or "!" followed by a space, or at a line break ("$4.5k" and "v2.0" stay whole).
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+|\s*\n+\s*")
_FIRST_WORD = re.compile(r"[a-z']+")
# Words that open a sentence asking something, with or without a question mark ("how do i apply for soap",
# "please share the list"). "I", "my", "we" open statements about the asker.
_ASKING_OPENERS_TEXT = """
    what whats wat how hw when wen where which who whom whose why is isnt are arent am was were do does did dont
    doesnt didnt can cant could should shall shd will wont would may might must has have had any anyone anybody
    please pls plz kindly tell explain share suggest guide advise help
"""
_ASKING_OPENERS = frozenset(_ASKING_OPENERS_TEXT.split())


@dataclass(frozen=True)
class Focus:
    """A message split into the sentences that ask and the background around them."""

    asked: tuple[str, ...]
    background: tuple[str, ...]


def _asks(sentence: str) -> bool:
    if sentence.rstrip(" )*_~`'\"").endswith("?"):
        return True
    first = _FIRST_WORD.search(sentence.lower())
    return first is not None and first.group(0).replace("'", "") in _ASKING_OPENERS


def focus(text: str) -> Focus:
    """The asking sentences and the background of a message. A message of one sentence, or one where no sentence
    (or every sentence) asks, is all question: there is nothing to tell apart."""
    sentences = [s.strip() for s in _SENTENCE_BREAK.split(text.strip()) if s.strip()]
    if len(sentences) < 2:
        return Focus(tuple(sentences), ())
    asked = tuple(s for s in sentences if _asks(s))
    if not asked or len(asked) == len(sentences):
        return Focus(tuple(sentences), ())
    return Focus(asked, tuple(s for s in sentences if not _asks(s)))
