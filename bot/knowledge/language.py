"""Telling a question written in another language from an English one, so the bot can say it answers in English.

The knowledge base is in English. A question in Hindi, Arabic or Spanish finds nothing, or worse, finds an entry by
the one English acronym it contains ("USMLE"): the kind answer is to say so, in English. Questions in English mixed
with Hindi or Urdu words typed in Latin letters ("bhai step 2 kab dena chahiye") are how many members write, and are
answered as usual.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

# Words common in Spanish, Portuguese, French, German, Italian, Turkish and Indonesian questions that are not
# English words (or are too rare in English questions to mislead). Accents are removed before the check.
_FOREIGN_TEXT = """
    que es el la de se lo un como cuando donde cual cuales porque puedo necesito tengo hola gracias para los las
    del una unos necesario debo hacer medico medicos residencia examen examenes quiero saber cuanto tiempo despues
    antes tambien pero mas muy esta estoy soy
    quando onde qual quais posso preciso tenho obrigado voce voces nao sim fazer quanto tempo depois tambem
    muito estou sou o e prazo exame ano vaga
    quand comment pourquoi je suis les des pour avec dans mais tres bonjour merci faut
    wie wann warum ich bin und ist der die das nicht mit fur auch kann
    quale perche sono della delle grazie
    nasil nedir ne zaman icin ile ve bir mi mu
    apakah bagaimana kapan saya untuk dengan tidak bisa
"""
_FOREIGN_WORDS = frozenset(_FOREIGN_TEXT.split())
# English words that show a question is at least partly English (besides the words of the knowledge base itself).
_ENGLISH_TEXT = """
    the a an is are was were am be been i im you my me we our do does did can could should would will how what
    when where which who why to for of in on at by from as and or with after before if not no yes it this that
    have has had get got need still there any about
"""
_ENGLISH_WORDS = frozenset(_ENGLISH_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+")


def _latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def _plain(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(ch))


def looks_non_english(text: str, known: Collection[str] = frozenset()) -> bool:
    """Whether ``text`` is mostly written in a language other than English.

    ``known`` holds the knowledge base's own words ("usmle", "ck", "grad", "chances"), which count as English: a
    member who names a school or a city ("Universidade de São Paulo grad, step 1 240, chances for IM?") is writing
    English.
    """
    if text.isascii():
        # Most questions: every letter is Latin and unaccented, and no "¿" or "¡", so only the word lists decide.
        # Lowercasing ASCII changes no letter into a non-letter, so the words of the lowercased text are its words.
        lowered = _WORD.findall(text.lower())
        if _FOREIGN_WORDS.isdisjoint(lowered):
            return False  # most English questions (and a text of no words): no foreign word at all, and it takes two
        words = _WORD.findall(text)
        foreign = sum(1 for i, w in enumerate(lowered) if w in _FOREIGN_WORDS and (i == 0 or not words[i][0].isupper()))
        english = sum(1 for w in lowered if w in _ENGLISH_WORDS or (w in known and w not in _FOREIGN_WORDS))
        return foreign >= 2 and foreign > english
    words = _WORD.findall(text)
    if not words:
        return False
    # By words, not letters: "मैं USMLE कैसे दूं" is Hindi with one English acronym, though the acronym has more
    # letters than the Hindi words once their vowel signs (marks, not letters) are left out.
    other_script = sum(1 for w in words if not _latin(w[0]))
    if other_script / len(words) >= 0.5:
        return True
    # English questions seldom have accented words, except names ("José", "Bogotá", "Montréal"), which are
    # capitalised; "¿" and "¡" are Spanish only.
    accented = sum(1 for w in words if not w.isascii() and not w[0].isupper())
    plain = [_plain(w) for w in words]
    # A capitalised "De" or "La" inside a question is part of a name ("Dr De La Cruz"), not Spanish.
    foreign = sum(1 for i, w in enumerate(plain) if w in _FOREIGN_WORDS and (i == 0 or not words[i][0].isupper()))
    foreign += accented + ("¿" in text or "¡" in text)
    english = sum(1 for w in plain if w in _ENGLISH_WORDS or (w in known and w not in _FOREIGN_WORDS))
    return foreign >= 2 and foreign > english
