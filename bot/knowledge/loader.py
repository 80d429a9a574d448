"""Loading `data/knowledge/*.md` into validated entries, reporting every problem with its file and line."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from bot.datafiles import DataFileError, DataProblem, YamlDocument, split_front_matter, validation_problems
from bot.knowledge.models import KnowledgeEntry

log = logging.getLogger(__name__)


class KnowledgeBase:
    """All entries, by id, in a stable order (pathway stage, then title)."""

    def __init__(self, entries: tuple[KnowledgeEntry, ...]) -> None:
        self.entries = entries
        self._by_id = {e.id: e for e in entries}

    def get(self, entry_id: str) -> KnowledgeEntry | None:
        return self._by_id.get(entry_id)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, str) and self.get(entry_id) is not None


def load_entry(path: Path) -> KnowledgeEntry:
    """Load one entry file; raises DataFileError naming the field and line."""
    return _load_entry(path)[0]


def _load_entry(path: Path) -> tuple[KnowledgeEntry, YamlDocument]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([DataProblem(path, None, "", f"cannot read file: {exc}")]) from exc
    doc, body, body_line = split_front_matter(path, text)
    if not isinstance(doc.data, dict):
        raise DataFileError([DataProblem(path, 2, "", "front matter must be a mapping of fields")])
    try:
        entry = KnowledgeEntry.model_validate({**doc.data, "body": body})
    except ValidationError as exc:
        problems = validation_problems(doc, exc)
        # The body is not in the front matter: point at the line where it starts.
        problems = [DataProblem(p.path, body_line, p.field, p.message) if p.field == "body" else p for p in problems]
        raise DataFileError(problems) from exc
    if entry.id != path.stem:
        raise DataFileError([doc.problem(["id"], f"must match the file name ({path.stem!r})")])
    return entry, doc


def load_knowledge_base(directory: Path) -> KnowledgeBase:
    """Load every entry in ``directory``; all problems across all files are collected before raising."""
    problems: list[DataProblem] = []
    entries: list[KnowledgeEntry] = []
    docs: dict[str, YamlDocument] = {}
    paths = sorted(directory.glob("*.md"))
    if not paths:
        raise DataFileError([DataProblem(directory, None, "", "no knowledge entries (*.md) found")])
    for path in paths:
        try:
            entry, doc = _load_entry(path)
        except DataFileError as exc:
            problems.extend(exc.problems)
            continue
        entries.append(entry)
        docs[entry.id] = doc
    known = {e.id for e in entries}
    for entry in entries:
        doc = docs[entry.id]
        for index, related in enumerate(entry.related):
            if related == entry.id:
                problems.append(doc.problem(["related", index], "an entry cannot be related to itself"))
            elif related not in known:
                problems.append(doc.problem(["related", index], f"unknown entry id {related!r}"))
    if problems:
        raise DataFileError(problems)
    entries.sort(key=lambda e: (e.stage.order, e.title.lower()))
    log.info("loaded %d knowledge entries from %s", len(entries), directory)
    return KnowledgeBase(tuple(entries))
