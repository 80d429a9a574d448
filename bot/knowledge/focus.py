"""Which part of a long message is the question, and which part is the story around it.

Members often write several sentences about themselves before they ask ("I'm from Pakistan, graduated 2019, did house
job and 2 years in ER. Step 1 passed 2023, CK 238. Applied to 150 programs and have 2 interviews. Should I start
preparing for SOAP?"). Every word of the story is weighed like a word of the question, so a long story decides the
topic, or its details (a country, a job, a month) count against every entry and the question is refused. The
sentences that ask (ending in "?", or opening with a question word), and a line that leads into them ("Three
questions about SOAP:"), say what is wanted; the others are background,
which search weighs less (bot/knowledge/search.py, BACKGROUND_SHARE).

A message can also be chat for the server rather than a question: thanks ("ty", "thanks bot, that helped"),
congratulations ("congrats to everyone who matched!!"), greetings and introductions ("first message here, hi!"), a
call for company ("who's up studying") or for members to get in touch ("anyone in Lahore want to study together? dm
me"), or a task for a general assistant ("translate to spanish: ..."). Its topic words ("matched", "CK") would find an
entry, and answering chat with a knowledge entry looks broken, so search gives no answer to it (``is_chat``).
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

_WORD = re.compile(r"[a-z0-9]+")
# A Discord emoji written as text (":pray:") ends a sentence with a colon that leads into nothing.
_SHORTCODE_AT_END = re.compile(r":[a-z0-9_+-]+:$", re.IGNORECASE)
# Thanks, congratulations and good wishes. A sentence that opens with one ("congrats to everyone who matched!!",
# "thanks bot") and asks nothing is chat; one that only ends with it ("nrmp registration deadline, thanks") is a
# question signed off politely. "ty" and "tq" are also abbreviations ("TY vs prelim"), so they are chat only in a
# message of chat words alone (_CHAT_ONLY).
_THANKS_TEXT = (
    "thanks thank thx thnx thanx tnx tks tysm tyvm thankyou thanku congrats congratulations congratz grats cheers"
)
_THANKS = frozenset(_THANKS_TEXT.split())
# Words before the thanks that do not change what the sentence is ("ok thanks", "hi all, congrats").
_OPENING_TEXT = "ok okay oh omg wow hi hey hello guys all everyone and big huge many so really"
_OPENING = frozenset(_OPENING_TEXT.split())
# A sentence that goes with thanks: praise for the help ("you're a legend", "that really helped a lot").
_PRAISE_TEXT = "helped helpful helps legend lifesaver awesome amazing great best appreciated appreciate"
_PRAISE = frozenset(_PRAISE_TEXT.split())
# "thank you email", "thank-you notes": a topic of its own (what to send after an interview), not thanks.
_THANK_YOU_THING = re.compile(
    r"\bthank\s*-?\s*(?:you|u)\s+(?:e-?)?(?:notes?|mails?|emails?|letters?|cards?|messages?|msgs?)\b"
)
# "thanks in advance": a sign-off under a question, not thanks for an answer.
_IN_ADVANCE = re.compile(r"\b(?:thanks?|thx|ty)\s+(?:you\s+|u\s+)?in\s+adv(?:ance)?\b|\btia\b")
# Asking members to get in touch: the message is for people, not for the knowledge base.
_CONTACT_ME = re.compile(r"\b(?:dm|pm|inbox|message|msg|text|ping)\s+me\b|\bhmu\b")
_CONTACT_WORDS = ("dm", "pm", "inbox", "message", "msg", "text", "ping", "hmu")
# A member introducing themselves ("first message here, hi!", "new here", "just joined"): unless a sentence asks
# something, the message is for the server.
_INTRODUCTION = re.compile(
    r"\b(?:first\s+(?:message|msg|post|time\s+posting)|new\s+(?:here|member|to\s+(?:this|the)\s+(?:server|group))|"
    r"just\s+joined)\b"
)
# A call for company ("who's up?", "anyone awake studying at 3am", "anyone online for a study session?") is for the
# members, question mark or not; "anyone online who did SOAP?" goes on to ask them something.
_COMPANY = re.compile(r"^\W*(?:whos|who\s+is|anyone|anybody)\s+(?:else\s+)?(?:up|awake|online)\b(?!\s+(?:who|that)\b)")
# A task for a general assistant: translating text into another language ("translate to spanish: good morning",
# "can you translate this into French"); "translate my transcript?" asks whether it must be. Whether a document must
# be translated into English is a question for the knowledge base, so a message that mentions English is no task.
_TRANSLATE_OPENING = re.compile(
    r"^\W*(?:(?:can|could|would|will)\s+(?:you|u)\s+|pl(?:ea)?se?\s+|pls\s+|kindly\s+)?translate\s*"
    r"(?::|(?:this|that|these|it|the\s+following|for\s+me|to|into)\b)"
)
_TRANSLATE_INTO = re.compile(
    r"\btranslat\w*\b.{0,60}\b(?:to|into|in)\s+(?:french|spanish|german|arabic|hindi|urdu|chinese|mandarin|"
    r"portuguese|russian|italian|japanese|korean|turkish|bengali|tagalog|persian|farsi|polish)\b"
)
# A message of nothing but these is chat however it is read: greetings, thanks (with "ty"), who it is addressed
# to, and filler ("ty", "gm everyone", "thank you so much bro").
_CHAT_ONLY_TEXT = """
    ty tq you u so much very lot lots a the to for it this that bot guys guy everyone everybody all folks bro sis man
    dude fam team friends sir maam doc doctors seniors again really truly still and haha lol lmao yay hi hello hey hii
    hiya heya yo gm gn good morning evening night afternoon welcome bye goodbye salam salaam assalamu alaikum namaste
    hola k kk cool nice same too
"""
_CHAT_ONLY = _THANKS | _OPENING | _PRAISE | frozenset(_CHAT_ONLY_TEXT.split())
# Good wishes for a day or a season ("happy new year in advance guys", "eid mubarak everyone", "a very merry
# christmas to all"): chat like thanks. "advance" and "year" would otherwise find the advanced (PGY-2) positions.
# "happy match day" is a wish too; "happy to share my match list" is not (a wish names a day or a season). Matched on
# a sentence's words (lower case, no apostrophes), from its start.
_WISH = re.compile(
    r"(?:(?:a|very|wishing|wish|you|u|all|everyone|and)\s+)*"
    r"(?:(?:happy|merry|blessed|joyous)\s+(?:new\s+years?|ny|christmas|x\s*mas|holidays?|eid|diwali|deepavali|"
    r"ramadan|ramzan|easter|thanksgiving|hanukkah|chanukah|lunar\s+new\s+year|chinese\s+new\s+year|nowruz|navroz|"
    r"norooz|navratri|holi|pongal|onam|vaisakhi|baisakhi|lohri|durga\s+puja|dashain|tihar|independence\s+day|"
    r"new\s+week|weekend|friday|monday|match\s+day|doctors?\s+day|birthday|bday)|"
    r"(?:eid|ramadan|ramzan|jumm?a|jummah|jumuah)\s+(?:mubarak|kareem)|seasons?\s+greetings)\b"
)
# What may follow a wish in a sentence that is nothing but the wish ("... in advance to you and your families",
# "... to all who celebrate"); any other word ("happy new year everyone, when does eras open") makes it a question.
_WISH_FILLER_TEXT = """
    in advance of to and a very have wonderful blessed prosperous healthy peaceful joyful safe great year years eve
    ahead wishing wish you your families family may with from me us our my greetings happy merry who those celebrate
    celebrating inshallah insha allah
"""
_WISH_FILLER = _CHAT_ONLY | frozenset(_WISH_FILLER_TEXT.split())
# A clause that opens a message and ends at a comma or a sentence's end: a wish there ("Merry Christmas! what is the
# SOAP schedule") is dropped before search, or its words would weigh as background against every entry.
_OPENING_CLAUSE = re.compile(r"^\W*([^,.!?:;\n]+)[,.!?:;\n]+")


def _wish(words: list[str]) -> bool:
    """Whether the words are good wishes and nothing else (_WISH, _WISH_FILLER): one wish or several ("merry xmas
    and happy holidays"), signed from a place or a group in a word or two ("seasons greetings from lahore")."""
    rest = " ".join(words)
    wishes = 0
    while (found := _WISH.match(rest)) is not None:
        wishes += 1
        rest = rest[found.end() :].strip()
        if rest.startswith("and "):
            rest = rest[4:]
    after = rest.split()
    if "from" in after and len(after) - after.index("from") <= 3:
        after = after[: after.index("from")]
    return wishes > 0 and all(w in _WISH_FILLER or w.isdigit() for w in after)


def _courtesy_sentence(words: list[str]) -> bool:
    """Thanks, congratulations, good luck or good wishes: said to the server, asking nothing."""
    opening = next((w for w in words if w not in _OPENING), "")
    return opening in _THANKS or (opening == "good" and "luck" in words) or _wish(words)


def without_wishes(text: str) -> str:
    """The message without the good wishes it opens with ("Happy new year everyone, when does ERAS open?" asks
    when ERAS opens); a message of wishes alone is left whole (``is_chat`` tells it apart)."""
    while (found := _OPENING_CLAUSE.match(text)) is not None:
        rest = text[found.end() :]
        if not _WORD.search(rest.lower()) or not _wish(_WORD.findall(found.group(1).lower().replace("'", ""))):
            break
        text = rest
    return text


def _contact_me(lowered: str) -> bool:
    # The pattern needs one of these words (inside a longer one is enough to try it).
    return any(word in lowered for word in _CONTACT_WORDS) and bool(_CONTACT_ME.search(lowered))


def _translation_task(lowered: str) -> bool:
    # Both patterns need the word "translate" (or "translating", "translation").
    return (
        "translat" in lowered
        and "english" not in lowered
        and bool(_TRANSLATE_OPENING.search(lowered) or _TRANSLATE_INTO.search(lowered))
    )


def is_chat(text: str) -> bool:
    """Whether a message is chat for the server (thanks, congratulations, greetings, "dm me") that asks the
    knowledge base nothing. A sentence that asks ("thanks! when is SOAP?") keeps the message a question."""
    lowered = text.lower().replace("’", "'").replace("'", "")
    # Each pattern is tried only on a message that has a word it needs (scanning for it costs far less).
    if "thank" in lowered:
        lowered = _THANK_YOU_THING.sub(" ", lowered)
    if "adv" in lowered or "tia" in lowered:
        lowered = _IN_ADVANCE.sub(" ", lowered)
    if _contact_me(lowered) or _COMPANY.search(lowered) or _translation_task(lowered):
        return True
    words = _WORD.findall(lowered)
    if not words:
        return False
    if all(w in _CHAT_ONLY for w in words):
        return True
    sentences = [s for s in _SENTENCE_BREAK.split(lowered.strip()) if s.strip()]
    if any(_asks(s) for s in sentences):
        return False
    if _INTRODUCTION.search(lowered):
        return True
    said = [_WORD.findall(s) for s in sentences]
    # Thanks or congratulations, and nothing else but praise or chat words.
    return any(_courtesy_sentence(w) for w in said) and all(
        _courtesy_sentence(w) or any(x in _PRAISE for x in w) or all(x in _CHAT_ONLY for x in w) for w in said
    )


@dataclass(frozen=True)
class Focus:
    """A message split into the sentences that ask and the background around them."""

    asked: tuple[str, ...]
    background: tuple[str, ...]


def _asks(sentence: str) -> bool:
    # A line that ends with a colon leads into the questions ("Three questions about SOAP:", "quick doubt about
    # the J-1:"): it names what they are about.
    ending = sentence.rstrip(" )*_~`'\"")
    if ending.endswith("?") or (ending.endswith(":") and not _SHORTCODE_AT_END.search(ending)):
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
