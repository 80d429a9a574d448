"""The interview question bank: every `data/interviews/*.yaml` file loaded and checked, ready to practise from.

A file holds the questions of one category::

    category: about-you                  # one of bot.interviews.models.Category
    questions:
      - id: tell-me-about-yourself       # stable: saved notes refer to it
        question: Tell me about yourself.
        look_for: ...                    # what interviewers look for (40 to 500 characters)
        structure: ...                   # how to build the answer (40 to 500 characters)
        pitfalls:                        # 1 to 4 common mistakes
          - ...
        source: https://...              # where the advice comes from (AAMC, NRMP, ECFMG, a school or program)
        reviewed: 2026-12-07             # when someone last checked it against the source

Every problem in every file is collected and raised together, each naming the file, the line, the field and the
question it belongs to.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml
from bot.interviews.models import Category, InterviewQuestion
from bot.text import quote_user_text

log = logging.getLogger(__name__)

MIN_PER_CATEGORY = 5
"""A category with fewer questions repeats itself within minutes of practice."""


class UnknownCategoryError(ValueError):
    """The category a user typed is not one of the bank's."""


@dataclass(frozen=True)
class Draw:
    """The question at one place of a practice sequence."""

    question: InterviewQuestion
    position: int
    """Place in the sequence, from 0; it keeps growing, and the questions start again in a new order each round."""
    number: int
    """1-based place of the question within its round."""
    total: int
    """Questions in a round (the category's, or the whole bank's)."""

    @property
    def round(self) -> int:
        return self.position // self.total


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


class InterviewBank:
    """All questions, in file order, with lookups by id and category."""

    def __init__(self, questions: Sequence[InterviewQuestion]) -> None:
        self.questions = tuple(questions)
        self._by_id = {q.id: q for q in self.questions}
        if len(self._by_id) != len(self.questions):
            raise ValueError("question ids must be unique")
        by_category: dict[Category, list[InterviewQuestion]] = {}
        for question in self.questions:
            by_category.setdefault(question.category, []).append(question)
        self._by_category = {c: tuple(by_category[c]) for c in Category if c in by_category}
        self._names: dict[str, Category] = {}
        for category in self._by_category:
            self._names[_key(category.value)] = category
            self._names[_key(category.label)] = category

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[InterviewQuestion]:
        return iter(self.questions)

    def get(self, question_id: str) -> InterviewQuestion | None:
        return self._by_id.get(question_id)

    def categories(self) -> tuple[Category, ...]:
        """The categories that have questions, in interview order."""
        return tuple(self._by_category)

    def questions_for(self, category: Category | None) -> tuple[InterviewQuestion, ...]:
        return self.questions if category is None else self._by_category.get(category, ())

    def count(self, category: Category | None = None) -> int:
        return len(self.questions_for(category))

    def resolve(self, text: str | Category | None) -> Category | None:
        """``None`` for every category; a category for its id (``about-you``) or its label."""
        if text is None:
            return None
        if isinstance(text, Category):
            if text not in self._by_category:
                raise UnknownCategoryError(f"There are no questions on {text.label} yet.")
            return text
        key = _key(text)
        if not key or key in {"all", "any", "mixed", "every category"}:
            return None
        category = self._names.get(key)
        if category is None:
            names = ", ".join(f"`{c.value}`" for c in self._by_category)
            # What the user typed is shown escaped, so it cannot ping or format the message.
            raise UnknownCategoryError(
                f"I don't know the category '{quote_user_text(text, 60)}'. Pick one from the list: {names}."
            )
        return category

    def draw(self, category: Category | None, seed: int, position: int) -> Draw:
        """The question at ``position`` of the practice sequence ``seed`` over ``category`` (every category: None).

        Each round shows every question once, in an order fixed by the seed and the round, so the buttons of a
        practice message (which carry only the seed and the position) show the same question after a restart, and
        a member sees every question before any comes back. A string seed goes through SHA-512 inside ``random``,
        so the order does not depend on PYTHONHASHSEED.
        """
        if position < 0:
            raise ValueError("position must be 0 or more")
        pool = sorted(self.questions_for(category), key=lambda q: q.id)
        if not pool:
            raise UnknownCategoryError("There are no practice questions in that category yet.")
        round_, number = divmod(position, len(pool))
        random.Random(f"interview:{seed}:{category.value if category else 'all'}:{round_}").shuffle(pool)
        return Draw(pool[number], position, number + 1, len(pool))


# -- loading ------------------------------------------------------------------------------------------------------


def _label(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return repr(raw["id"].strip())
    return f"#{index + 1}"


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not a field of a question (check the spelling)"
    return str(err["msg"]).removeprefix("Value error, ")


@dataclass
class _Seen:
    """Where each id and question text was first seen, for duplicate checks across files."""

    ids: dict[str, str]
    texts: dict[str, str]


def _file_category(doc: YamlDocument, data: dict[Any, Any]) -> tuple[Category | None, list[DataProblem]]:
    raw = data.get("category")
    if raw is None:
        names = ", ".join(c.value for c in Category)
        return None, [doc.problem(["category"], f"is missing: name the file's category, one of: {names}")]
    try:
        return Category(str(raw).strip()), []
    except ValueError:
        names = ", ".join(c.value for c in Category)
        return None, [doc.problem(["category"], f"unknown category {raw!r}; use one of: {names}")]


def _load_file(doc: YamlDocument, seen: _Seen) -> tuple[list[InterviewQuestion], list[DataProblem]]:
    data = doc.data
    if not isinstance(data, dict) or "questions" not in data:
        return [], [DataProblem(doc.path, 1, "", "the file must be a mapping with `category:` and a `questions:` list")]
    problems = [
        doc.problem([str(key)], "is not a known field; the file holds only `category:` and `questions:`")
        for key in data
        if key not in ("category", "questions")
    ]
    category, category_problems = _file_category(doc, data)
    problems.extend(category_problems)
    items = data["questions"]
    if not isinstance(items, list) or not items:
        problems.append(doc.problem(["questions"], "must be a non-empty list of questions"))
        return [], problems
    questions: list[InterviewQuestion] = []
    for index, raw in enumerate(items):
        label = _label(raw, index)
        if isinstance(raw, dict) and "category" in raw:
            problems.append(
                doc.problem(
                    ["questions", index, "category"],
                    f"question {label}: the category is set once, at the top of the file",
                )
            )
            continue
        if category is None:
            continue  # reported once for the file; the questions are checked again when it is fixed
        try:
            question = InterviewQuestion.model_validate({**raw, "category": category} if isinstance(raw, dict) else raw)
        except ValidationError as exc:
            problems.extend(
                doc.problem(["questions", index, *err["loc"]], f"question {label}: {_message(err)}")
                for err in exc.errors(include_url=False)
            )
            continue
        where = f"{doc.path.name}:{doc.line_of(['questions', index, 'id'])}"
        if question.id in seen.ids:
            problems.append(
                doc.problem(
                    ["questions", index, "id"], f"question {label}: the id is already used at {seen.ids[question.id]}"
                )
            )
            continue
        seen.ids[question.id] = where
        text_key = _key(question.question)
        if text_key in seen.texts:
            problems.append(
                doc.problem(
                    ["questions", index, "question"],
                    f"question {label}: the same question is already asked at {seen.texts[text_key]}",
                )
            )
            continue
        seen.texts[text_key] = where
        questions.append(question)
    return questions, problems


def load_interview_bank(directory: Path) -> InterviewBank:
    """Load every ``*.yaml`` in ``directory``; raises DataFileError listing every problem in every file."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise DataFileError([DataProblem(directory, None, "", "no interview question files (*.yaml) found")])
    problems: list[DataProblem] = []
    questions: list[InterviewQuestion] = []
    seen = _Seen({}, {})
    parsed = 0
    for path in paths:
        try:
            doc = parse_yaml(path)
        except DataFileError as exc:
            problems.extend(exc.problems)
            continue
        parsed += 1
        file_questions, file_problems = _load_file(doc, seen)
        questions.extend(file_questions)
        problems.extend(file_problems)
    if not problems and parsed == len(paths):
        # Only when every file loaded: a broken file would otherwise also make its category look short.
        counts = {c: sum(1 for q in questions if q.category is c) for c in Category}
        problems.extend(
            DataProblem(
                directory,
                None,
                f"category {category.value}",
                f"has {count} question(s); practice needs at least {MIN_PER_CATEGORY}",
            )
            for category, count in counts.items()
            if count < MIN_PER_CATEGORY
        )
    if problems:
        raise DataFileError(problems)
    log.info("loaded %d interview questions from %d files in %s", len(questions), len(paths), directory)
    return InterviewBank(questions)
