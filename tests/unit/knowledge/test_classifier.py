"""The entry classifier: trained on the entries' own texts, shipped current, deterministic, and never used for texts it
was not trained on."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.content import Content
from bot.knowledge.classifier import EntryClassifier, train
from bot.knowledge.search import KnowledgeSearch, classifier_words
from tests.conftest import DATA_DIR, REPO_ROOT

FEW = 6
"""Entries a small classifier is trained on (the whole set takes about a minute)."""


def _small(content: Content) -> EntryClassifier:
    search = content.knowledge.search_index
    semantic = search.semantic
    assert semantic is not None
    texts = search.training_words()
    kept = [i for i, (position, _) in enumerate(texts) if position < FEW]
    return train(
        content.knowledge.knowledge.entries[:FEW],
        [texts[i] for i in kept],
        semantic.text_vectors[kept],
    )


def test_the_shipped_classifier_was_trained_on_the_entries_and_search_rules_of_now(content: Content) -> None:
    search = content.knowledge.search_index
    assert search.classifier_is_current() is True, (
        "data/search/entry-classifier.npz no longer fits the entries or the search rules: run "
        "`.venv/bin/imgbot kb classifier` and commit the file"
    )
    assert search.classifier is not None


def test_training_is_deterministic_and_fits_its_own_texts(content: Content) -> None:
    first, second = _small(content), _small(content)
    assert first.fingerprint == second.fingerprint
    assert np.array_equal(first.word_weights, second.word_weights)
    assert np.array_equal(first.meaning_weights, second.meaning_weights)
    semantic = content.knowledge.search_index.semantic
    assert semantic is not None
    right = 0
    entries = content.knowledge.knowledge.entries[:FEW]
    questions = [(position, q) for position, entry in enumerate(entries) for q in entry.questions]
    for position, question in questions:
        likely = first.log_probabilities(classifier_words(question), semantic.vector(question))
        right += int(likely.argmax()) == position
    assert right >= 0.9 * len(questions)


def test_saved_and_loaded_it_gives_the_same_probabilities(content: Content, tmp_path: Path) -> None:
    classifier = _small(content)
    path = tmp_path / "classifier.npz"
    classifier.save(path)
    loaded = EntryClassifier.load(path)
    assert loaded.ids == classifier.ids and loaded.fingerprint == classifier.fingerprint
    dimensions = classifier.meaning_weights.shape[0]
    words, vector = classifier_words("when is soap"), np.ones(dimensions, dtype=np.float32) / np.sqrt(dimensions)
    assert np.array_equal(loaded.log_probabilities(words, vector), classifier.log_probabilities(words, vector))
    assert np.array_equal(loaded.log_probabilities(words, None), classifier.log_probabilities(words, None))


def test_a_classifier_trained_on_other_texts_is_not_used(
    content: Content, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "classifier.npz"
    _small(content).save(path)
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.search"):
        search = KnowledgeSearch(content.knowledge.knowledge, classifier_path=path)
        assert search.classifier is None
        assert search.classifier_is_current() is False
        assert search.search("when is soap").answered  # search still answers, on its other signals
    assert "was trained on other entries" in caplog.text


@pytest.mark.parametrize("damage", ["empty", "cut short", "not a zip", "another model"])
def test_a_damaged_classifier_file_never_stops_search(
    content: Content, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    """Whatever is wrong with the file (a save interrupted before saves were atomic, a copy cut short, weights for
    another embedding model), search answers without it and says so in the log."""
    shipped = DATA_DIR / "search" / "entry-classifier.npz"
    path = tmp_path / "classifier.npz"
    if damage == "empty":
        path.write_bytes(b"")
    elif damage == "cut short":
        path.write_bytes(shipped.read_bytes()[:100_000])
    elif damage == "not a zip":
        path.write_bytes(b"not a classifier")
    else:
        good = EntryClassifier.load(shipped)
        replace(good, meaning_weights=good.meaning_weights[:128]).save(path)
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.search"):
        search = KnowledgeSearch(content.knowledge.knowledge, classifier_path=path)
        assert search.classifier is None
        assert search.search("when is soap").answered
        assert search.classifier_is_current() is False or damage == "another model"
    assert "could not be read" in caplog.text


def test_a_missing_classifier_is_said_in_the_log(
    content: Content, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.search"):
        search = KnowledgeSearch(content.knowledge.knowledge, classifier_path=tmp_path / "none.npz")
        assert search.classifier is None and search.classifier_is_current() is None
        assert search.search("when is soap").answered
    assert "there is no entry classifier" in caplog.text


def test_saving_replaces_the_file_whole(content: Content, tmp_path: Path) -> None:
    path = tmp_path / "classifier.npz"
    path.write_bytes(b"old")
    _small(content).save(path)
    assert EntryClassifier.load(path).ids == tuple(e.id for e in content.knowledge.knowledge.entries[:FEW])
    assert [p.name for p in tmp_path.iterdir()] == ["classifier.npz"]


@pytest.mark.parametrize("edit", ["a new word", "only letter case"])
def test_kb_validate_fails_while_the_classifier_is_stale(tmp_path: Path, edit: str) -> None:
    """Any change to a training text, even one search reads the same way (the bot checks the texts as written at
    start-up and would run without the classifier), fails validation."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    entry = data / "knowledge" / "soap.md"
    text = entry.read_text(encoding="utf-8")
    if edit == "a new word":
        text = text.replace('questions:\n  - "', 'questions:\n  - "by the way, ', 1)
    else:
        start = text.index('questions:\n  - "') + len('questions:\n  - "')
        text = text[:start] + text[start].upper() + text[start + 1 :]
    entry.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "validate"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "LOG_LEVEL": "ERROR", "DATA_DIR": str(data)},
        timeout=120,
    )
    assert done.returncode == 1
    assert "entry-classifier.npz: trained on other entries or search rules; run `imgbot kb classifier`" in done.stderr
