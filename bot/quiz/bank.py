"""The question bank: every `data/quizzes/*.yaml` file loaded, checked against the knowledge base, ready to draw from.

A file looks like this::

    questions:
      - id: step-1-pass-fail-date          # stable: answers and review queues refer to it
        topic: usmle                        # a pathway stage
        entry: step-1                       # the knowledge entry to read after a wrong answer
        question: Step 1 is reported as pass/fail for exams taken on or after which date?
        options: ["January 26, 2022", "January 1, 2020", "July 1, 2022", "January 26, 2021"]
        answer: January 26, 2022            # exactly one of the options
        explanation: ...                    # <= 400 characters
        source: https://www.usmle.org/common-questions?category=Step%201
        difficulty: medium                  # easy | medium | hard

Every problem in every file is collected and raised together, each naming the file, the line, the field and the
question it belongs to.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml
from bot.knowledge.models import Stage
from bot.quiz.models import Question
from bot.text import quote_user_text

log = logging.getLogger(__name__)


class UnknownTopicError(ValueError):
    """The topic a user typed is not a stage of the pathway (or has no questions)."""


@dataclass(frozen=True)
class ShuffledOptions:
    """A question's options in the order one quiz shows them."""

    options: tuple[str, ...]
    correct_index: int


def shuffle_options(question: Question, seed: int, position: int) -> ShuffledOptions:
    """The options of ``question`` in a fixed order for this quiz (``seed``) and this place in it (``position``).

    A string seed goes through SHA-512 inside ``random``, so the order does not depend on PYTHONHASHSEED: the same
    quiz shows the same order after a restart, while another quiz (or a second attempt in a review) shows another.
    """
    order = list(range(len(question.options)))
    random.Random(f"{seed}:{position}:{question.id}").shuffle(order)
    options = tuple(question.options[i] for i in order)
    return ShuffledOptions(options, order.index(question.correct_index))


def _topic_key(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").replace("_", " ").split())


class QuestionBank:
    """All questions, in file order, with lookups by id and topic."""

    def __init__(self, questions: Sequence[Question]) -> None:
        self.questions = tuple(questions)
        self._by_id = {q.id: q for q in self.questions}
        if len(self._by_id) != len(self.questions):
            raise ValueError("question ids must be unique")
        by_topic: dict[Stage, list[Question]] = {}
        for question in self.questions:
            by_topic.setdefault(question.topic, []).append(question)
        self._by_topic = {stage: tuple(by_topic[stage]) for stage in Stage if stage in by_topic}
        self._topic_names: dict[str, Stage] = {}
        for stage in self._by_topic:
            self._topic_names[_topic_key(stage.value)] = stage
            self._topic_names[_topic_key(stage.label)] = stage

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return isinstance(question_id, str) and question_id in self._by_id

    def get(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)

    def topics(self) -> tuple[Stage, ...]:
        """The stages that have questions, in pathway order."""
        return tuple(self._by_topic)

    def questions_for(self, topic: Stage | None) -> tuple[Question, ...]:
        return self.questions if topic is None else self._by_topic.get(topic, ())

    def count(self, topic: Stage | None = None) -> int:
        return len(self.questions_for(topic))

    def resolve_topic(self, text: str | Stage | None) -> Stage | None:
        """``None`` for a mixed quiz; a stage for its id (``match-week``) or label (``Match Week and SOAP``)."""
        if text is None or isinstance(text, Stage):
            if isinstance(text, Stage) and text not in self._by_topic:
                raise UnknownTopicError(f"There are no questions on {text.label} yet.")
            return text
        key = _topic_key(text)
        if not key or key in {"all", "any", "mixed", "everything"}:
            return None
        stage = self._topic_names.get(key)
        if stage is None:
            names = ", ".join(f"`{s.value}`" for s in self._by_topic)
            # The text is what the user typed: shown escaped, so it cannot ping or format the message.
            raise UnknownTopicError(f"I don't know the topic '{quote_user_text(text, 60)}'. Pick one of: {names}.")
        return stage

    def pick(self, topic: str | Stage | None, count: int, rng: random.Random) -> list[Question]:
        """Up to ``count`` different questions on ``topic`` (all topics when None), in random order.

        A mixed quiz takes the topics in turn, so five questions cover five stages rather than whatever stage has
        the most questions. Fewer than ``count`` come back when the topic has fewer questions.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        stage = self.resolve_topic(topic)
        if stage is not None:
            pool = list(self._by_topic[stage])
            rng.shuffle(pool)
            return pool[:count]
        decks = [list(questions) for questions in self._by_topic.values()]
        rng.shuffle(decks)
        for deck in decks:
            rng.shuffle(deck)
        picked: list[Question] = []
        while len(picked) < count and any(decks):
            for deck in decks:
                if deck and len(picked) < count:
                    picked.append(deck.pop())
        return picked


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
    if kind == "enum" and err["loc"] and err["loc"][0] == "topic":
        stages = ", ".join(s.value for s in Stage)
        return f"unknown topic {err['input']!r}; use one of: {stages}"
    return str(err["msg"]).removeprefix("Value error, ")


def _question_problems(doc: YamlDocument, index: int, raw: Any, error: ValidationError) -> list[DataProblem]:
    label = _label(raw, index)
    return [
        doc.problem(["questions", index, *err["loc"]], f"question {label}: {_message(err)}")
        for err in error.errors(include_url=False)
    ]


@dataclass
class _Seen:
    """Where each id and question text was first seen, for duplicate checks across files."""

    ids: dict[str, str]
    texts: dict[str, str]


def _load_file(
    doc: YamlDocument, known_entries: Collection[str], seen: _Seen
) -> tuple[list[Question], list[DataProblem]]:
    problems: list[DataProblem] = []
    data = doc.data
    if not isinstance(data, dict) or "questions" not in data:
        return [], [DataProblem(doc.path, 1, "", "the file must be a mapping with a `questions:` list")]
    for key in data:
        if key != "questions":
            problems.append(doc.problem([str(key)], "is not a known field; the file holds only `questions:`"))
    items = data["questions"]
    if not isinstance(items, list) or not items:
        problems.append(doc.problem(["questions"], "must be a non-empty list of questions"))
        return [], problems
    questions: list[Question] = []
    for index, raw in enumerate(items):
        try:
            question = Question.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_question_problems(doc, index, raw, exc))
            continue
        label = repr(question.id)
        where = f"{doc.path.name}:{doc.line_of(['questions', index, 'id'])}"
        usable = True
        if question.id in seen.ids:
            problems.append(
                doc.problem(
                    ["questions", index, "id"], f"question {label}: the id is already used at {seen.ids[question.id]}"
                )
            )
            usable = False
        else:
            seen.ids[question.id] = where
        if question.entry not in known_entries:
            problems.append(
                doc.problem(
                    ["questions", index, "entry"], f"question {label}: unknown knowledge entry {question.entry!r}"
                )
            )
            usable = False
        text_key = question.question.casefold()
        if text_key in seen.texts:
            problems.append(
                doc.problem(
                    ["questions", index, "question"],
                    f"question {label}: the same question is already asked at {seen.texts[text_key]}",
                )
            )
        else:
            seen.texts[text_key] = where
        if usable:
            questions.append(question)
    return questions, problems


def load_question_bank(directory: Path, known_entries: Collection[str]) -> QuestionBank:
    """Load every ``*.yaml`` in ``directory``; raises DataFileError listing every problem in every file."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise DataFileError([DataProblem(directory, None, "", "no question files (*.yaml) found")])
    problems: list[DataProblem] = []
    questions: list[Question] = []
    seen = _Seen({}, {})
    for path in paths:
        try:
            doc = parse_yaml(path)
        except DataFileError as exc:
            problems.extend(exc.problems)
            continue
        file_questions, file_problems = _load_file(doc, known_entries, seen)
        questions.extend(file_questions)
        problems.extend(file_problems)
    if problems:
        raise DataFileError(problems)
    log.info("loaded %d quiz questions from %d files in %s", len(questions), len(paths), directory)
    return QuestionBank(questions)
