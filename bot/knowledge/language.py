"""Telling a question written in another language from an English one, so the bot can say it answers in English.

The knowledge base is in English. A question in Hindi, Arabic or Spanish finds nothing, or worse, finds an entry by
the one English acronym it contains ("USMLE"): the kind answer is to say so, in English. Questions in English mixed
with Hindi or Urdu words typed in Latin letters ("bhai step 2 kab dena chahiye") are how many members write, and are
answered as usual.
"""

from __future__ import annotations

import re
import unicodedata

# Words common in Spanish, Portuguese, French, German, Italian, Turkish and Indonesian questions that are not
# English words (or are too rare in English questions to mislead). Accents are removed before the check.
_FOREIGN_TEXT = """
    que es el la de se lo un como cuando donde cual cuales porque puedo necesito tengo hola gracias para los las
    del una unos necesario debo hacer medico medicos residencia examen examenes quiero saber cuanto tiempo despues
    antes tambien pero mas muy esta estoy soy
    quando onde qual quais posso preciso tenho obrigado voce voces nao sim fazer quanto tempo depois tambem
    mas muito estou sou medicos residencia
    quand comment pourquoi est-ce je suis les des pour avec dans mais tres bonjour merci faut
    wie wann warum ich bin und ist der die das nicht mit fur auch kann
    quale quando perche sono della delle grazie
    nasil nedir ne zaman icin ile ve bir mi mu
    apakah bagaimana kapan saya untuk dengan tidak bisa
"""
_FOREIGN_WORDS = frozenset(_FOREIGN_TEXT.split())
# English words that show a question is at least partly English.
_ENGLISH_TEXT = """
    the a an is are was i you my me do does did can could should would will how what when where which who why
    to for of in on and or with after before if not no yes it this that have has get need still
"""
_ENGLISH_WORDS = frozenset(_ENGLISH_TEXT.split())
_WORD = re.compile(r"[^\W\d_]+")


def _latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def looks_non_english(text: str) -> bool:
    """Whether ``text`` is mostly written in a language other than English."""
    words = _WORD.findall(text)
    if not words:
        return False
    # By words, not letters: "मैं USMLE कैसे दूं" is Hindi with one English acronym, though the acronym has more
    # letters than the Hindi words once their vowel signs (marks, not letters) are left out.
    other_script = sum(1 for w in words if not _latin(w[0]))
    if other_script / len(words) >= 0.5:
        return True
    # English questions seldom have accented words ("résumé" aside); "¿" and "¡" are Spanish only.
    accented = sum(1 for w in words if not w.isascii())
    plain = unicodedata.normalize("NFKD", text.lower())
    words = _WORD.findall("".join(ch for ch in plain if not unicodedata.combining(ch)))
    foreign = sum(1 for w in words if w in _FOREIGN_WORDS) + accented + ("¿" in text or "¡" in text)
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    return foreign >= 2 and foreign > english
