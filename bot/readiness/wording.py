"""Loading ``data/readiness/questionnaire.yaml``: the words of every /readiness question.

The file gives each question its title, its prompt, the placeholder of a number field, the label of every fixed
option, and the templates of options built from other data (Match years, specialties, passing-score periods). What
the questions are, in which order, which options exist and when a question applies are rules: the code declares them
(``StepSpec``, in ``assessment``) and the loader checks the file against that declaration, so every question and option
the rules use has its words, and the file names nothing the rules do not know.

Texts may use the ``{placeholders}`` their question declares (``{score}``, ``{year}``...); ``{{`` and ``}}`` write a
literal brace. A placeholder the code does not fill is refused at load, so rendering can never fail at run time.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field

from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml, validate_document

log = logging.getLogger(__name__)

QUESTIONNAIRE_FILE = Path("readiness") / "questionnaire.yaml"
"""Where the file lives under the data directory."""

# Discord's limits, as the assessment's Step checks them once rendered (a modal title, a select option's label).
MAX_TITLE = 45
MAX_PROMPT = 300
MAX_LABEL = 100


@dataclass(frozen=True)
class StepSpec:
    """What the rules expect the file to word for one question."""

    id: str
    options: tuple[str, ...] = ()
    """Values of the fixed options, in the order they are shown; the file labels each one and no other."""
    fields: frozenset[str] = frozenset()
    """Placeholders the title, prompt and placeholder may use."""
    texts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Further texts the question needs (templates of generated options), each with the placeholders it may use."""


@dataclass(frozen=True)
class StepWords:
    """The words of one question, checked against its ``StepSpec``. Options are in the spec's order."""

    title: str
    prompt: str
    placeholder: str
    options: Mapping[str, str]
    texts: Mapping[str, str]


QuestionnaireWords = Mapping[str, StepWords]
"""Every question's words by step id, in the order of the questions, as loaded from the file."""


_Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL)]


class _StepEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    placeholder: str = Field(default="", max_length=MAX_LABEL)
    options: dict[str, _Label] = Field(default_factory=dict)
    texts: dict[str, str] = Field(default_factory=dict)


class _QuestionnaireFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: dict[str, _StepEntry]


def _placeholder_problem(text: str, allowed: frozenset[str]) -> str | None:
    """Why ``text`` cannot be rendered with the placeholders ``allowed``, or None when it can."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return "a lone { or }: write {{ or }} for a brace"
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name in allowed and (spec or conversion):
            return f"write {{{name}}} without a format or conversion: the code formats the value"
        if name not in allowed:
            may = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "no placeholders"
            return f"unknown placeholder {{{name}}}: this text may use {may}"
    return None


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((value for name, value in node.value if name.value == key), None)
    return None


def _unquoted(doc: YamlDocument) -> list[DataProblem]:
    """Option values and labels YAML reads as something other than text: unquoted yes and no are booleans in YAML 1.1
    and 0 to 4 are numbers, so the option values "yes", "no", "0"... must be quoted. Found in the node tree, where the
    text as written and its line are still known."""
    problems = []
    steps = _child(doc.root, "steps")
    for step_key, step_node in steps.value if isinstance(steps, yaml.MappingNode) else ():
        for group in ("options", "texts"):
            entries = _child(step_node, group)
            for key_node, value_node in entries.value if isinstance(entries, yaml.MappingNode) else ():
                for node in (key_node, value_node):
                    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:str":
                        read_as = node.tag.rsplit(":", 1)[-1]
                        problems.append(
                            doc.problem(
                                ["steps", step_key.value, group, key_node.value],
                                f"write {node.value!r} in quotes: unquoted, YAML reads it as a {read_as}",
                            )
                        )
    return problems


def _check_step(doc: YamlDocument, spec: StepSpec, entry: _StepEntry) -> list[DataProblem]:
    where = ["steps", spec.id]
    problems = []
    for name in ("title", "prompt", "placeholder"):
        if (problem := _placeholder_problem(getattr(entry, name), spec.fields)) is not None:
            problems.append(doc.problem([*where, name], problem))
    for group, expected, given in (("options", spec.options, entry.options), ("texts", tuple(spec.texts), entry.texts)):
        missing = [name for name in expected if name not in given]
        if missing:
            problems.append(doc.problem([*where, group], f"missing {_names(missing)}"))
        for name in given:
            if name not in expected:
                known = f"it has {_names(expected)}" if expected else "it has none"
                problems.append(
                    doc.problem([*where, group, name], f"the question has no {group[:-1]} {name!r}; {known}")
                )
    for name, allowed in spec.texts.items():
        if name in entry.texts and (problem := _placeholder_problem(entry.texts[name], allowed)) is not None:
            problems.append(doc.problem([*where, "texts", name], problem))
    for value, label in entry.options.items():
        if (problem := _placeholder_problem(label, frozenset())) is not None:
            problems.append(doc.problem([*where, "options", value], problem))
    return problems


def load_questionnaire_words(path: Path, specs: Sequence[StepSpec]) -> QuestionnaireWords:
    """Read the file and check it against the questions the rules declare; DataFileError names file, line and field."""
    if not path.is_file():
        raise DataFileError([DataProblem(path, None, "", "questionnaire words file not found")])
    doc = parse_yaml(path)
    if unquoted := _unquoted(doc):
        raise DataFileError(unquoted)
    parsed = validate_document(doc, _QuestionnaireFile)
    by_id = {spec.id: spec for spec in specs}
    problems = []
    for step_id in parsed.steps:
        if step_id not in by_id:
            problems.append(
                doc.problem(["steps", step_id], f"no question {step_id!r}; the questions are {', '.join(by_id)}")
            )
    missing = [spec.id for spec in specs if spec.id not in parsed.steps]
    if missing:
        problems.append(doc.problem(["steps"], f"no words for question(s): {', '.join(missing)}"))
    for spec in specs:
        if spec.id in parsed.steps:
            problems.extend(_check_step(doc, spec, parsed.steps[spec.id]))
    if problems:
        raise DataFileError(problems)
    words = {
        spec.id: StepWords(
            title=entry.title,
            prompt=entry.prompt,
            placeholder=entry.placeholder,
            options={value: entry.options[value] for value in spec.options},
            texts=dict(entry.texts),
        )
        for spec in specs
        for entry in (parsed.steps[spec.id],)
    }
    log.info("loaded the words of %d questions from %s", len(words), path)
    return words
