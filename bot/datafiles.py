"""Loading curated data files (YAML and Markdown front matter) with errors that name file, line and field.

Every loader in the project goes through here so that a malformed file stops start-up (and `imgbot kb validate`)
with the same kind of message: ``data/quizzes/usmle.yaml:42: questions[3].answer: must be one of the options``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

# libyaml's parser when PyYAML was built with it: several times faster on start-up.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DataProblem:
    """One thing wrong with one data file."""

    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class DataFileError(Exception):
    """Raised when curated data cannot be loaded; carries every problem found, not only the first."""

    def __init__(self, problems: Sequence[DataProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def format_loc(loc: Sequence[int | str]) -> str:
    """Turn a pydantic location such as ``('questions', 3, 'answer')`` into ``questions[3].answer``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the deepest YAML node that ``loc`` reaches."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


@dataclass(frozen=True)
class YamlDocument:
    """Parsed YAML plus the node tree, so later validation errors can be mapped back to lines."""

    path: Path
    data: Any
    root: yaml.Node | None
    line_offset: int = 0

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        line = _line_of(self.root, loc)
        return None if line is None else line + self.line_offset

    def problem(self, loc: Sequence[int | str], message: str) -> DataProblem:
        return DataProblem(self.path, self.line_of(loc), format_loc(loc), message)


def parse_yaml(path: Path, text: str | None = None, line_offset: int = 0) -> YamlDocument:
    """Parse YAML text (read from ``path`` unless given); syntax errors become a DataFileError with the line."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError([DataProblem(path, None, "", f"cannot read file: {exc}")]) from exc
    try:
        # Compose once (keeping line marks for error messages), then build the Python objects from that tree.
        root = yaml.compose(text, Loader=_FAST_LOADER)
        data = yaml.SafeLoader("").construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError([DataProblem(path, line, "", f"invalid YAML: {problem}")]) from exc
    return YamlDocument(path=path, data=data, root=root, line_offset=line_offset)


def validation_problems(
    doc: YamlDocument, error: ValidationError, prefix: Sequence[int | str] = ()
) -> list[DataProblem]:
    """Map every pydantic error to the file, line and field it came from."""
    problems = []
    for err in error.errors(include_url=False):
        loc = [*prefix, *err["loc"]]
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(doc.problem(loc, message))
    return problems


def validate_document(doc: YamlDocument, model: type[ModelT], data: Any = None) -> ModelT:
    """Validate a parsed document against a pydantic model, raising DataFileError with lines on failure."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise DataFileError(validation_problems(doc, exc)) from exc


def load_yaml_model(path: Path, model: type[ModelT]) -> ModelT:
    """Read, parse and validate one YAML file."""
    return validate_document(parse_yaml(path), model)


def split_front_matter(path: Path, text: str) -> tuple[YamlDocument, str, int]:
    """Split a Markdown file into its parsed front matter, its body and the line where the body starts."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise DataFileError([DataProblem(path, 1, "", "missing front matter: the file must start with a '---' line")])
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            # Front matter starts on line 2 of the file, hence the offset of 1.
            return parse_yaml(path, front, line_offset=1), body, index + 2
    raise DataFileError([DataProblem(path, 1, "", "front matter is not closed: add a '---' line after it")])
