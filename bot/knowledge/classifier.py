"""Which entry a question is about, by a linear classifier trained on the entries' own texts.

Search's ranking adds up hand-weighed evidence (words covered, BM25, closeness in meaning, how much the question looks
like one of an entry's member questions). It chooses well between entries far apart and less well between close
siblings ("step-2-ck" or "step-2-ck-timing"), where what decides is which words *tell the entries apart*. A
multinomial logistic regression learns exactly that from every entry's title, summary, aliases and member questions
(about 4,100 texts, 139 entries), on two kinds of features: the question's words and pairs of adjacent words as search
spells them (TF-IDF, unit length), and its meaning vector (bot/knowledge/semantic.py). Nothing from the labelled
question sets of tests/retrieval/ is trained on; they measure it (README, "Search quality").

Training takes about a minute, too long for start-up, so the weights are made once by ``imgbot kb classifier``
and shipped in ``data/search/entry-classifier.npz`` with a fingerprint of the exact features they were trained on
(each text's words as ``normalize`` reads them, and the entry ids). An entry or a search rule changed since then
changes the fingerprint: ``imgbot kb validate`` and the tests say so, and the bot runs without the classifier (a
warning in the log) rather than with weights for other texts.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.knowledge.models import KnowledgeEntry

log = logging.getLogger(__name__)

CLASSIFIER_FILE = Path("search") / "entry-classifier.npz"
"""Beside the synonyms, under the data directory."""

FEATURES_VERSION = 1
"""Raised when the features change in a way the fingerprint of the texts' words cannot see (the meaning vector)."""

_L2 = 1e-5
_STEPS = 300
_LEARNING_RATE = 0.05


def training_texts(entry: KnowledgeEntry) -> list[str]:
    """The texts an entry is known by: those the meaning signal embeds, in the same order."""
    return [entry.title, entry.summary, *entry.aliases, *entry.questions]


def features_of(words: Sequence[str]) -> list[str]:
    """The word features of a text already read into search's words (stopwords out): each word, and each pair of
    neighbours ("step2_ck", "rank_list"), which tells apart what single words share."""
    return [*words, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]


def fingerprint(ids: Sequence[str], texts_words: Sequence[tuple[int, Sequence[str]]]) -> str:
    """Of the features trained on: the entry ids and each text's words as search read them. Any change to an entry
    or to a search rule that reads a training text differently changes it (``imgbot kb validate`` and the tests)."""
    digest = hashlib.sha256(f"v{FEATURES_VERSION}\n".encode())
    digest.update("\n".join(ids).encode())
    for label, words in texts_words:
        digest.update(f"\n{label}:{' '.join(words)}".encode())
    return digest.hexdigest()


def texts_fingerprint(entries: Sequence[KnowledgeEntry]) -> str:
    """Of the entries' training texts as written: checked at start-up, where reading 4,000 texts into words for
    ``fingerprint`` would cost a tenth of a second. A search rule changed since training is caught by the tests."""
    digest = hashlib.sha256(f"v{FEATURES_VERSION}\n".encode())
    for entry in entries:
        digest.update(f"\n{entry.id}\n".encode())
        digest.update("\n".join(training_texts(entry)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class EntryClassifier:
    ids: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float32]
    word_weights: NDArray[np.float16]  # vocabulary x entries
    meaning_weights: NDArray[np.float32]  # meaning dimensions x entries
    bias: NDArray[np.float32]
    fingerprint: str
    texts_fingerprint: str

    def log_probabilities(self, words: Sequence[str], meaning: NDArray[np.float32] | None) -> NDArray[np.float32]:
        """Log-probability of each entry (in ``ids`` order) for a question read into ``words`` with meaning vector
        ``meaning`` (None or zeros: no meaning features)."""
        z = self.bias.copy()
        columns, values = word_vector(self.vocabulary, self.idf, features_of(words))
        if len(columns):
            z += values @ self.word_weights[columns].astype(np.float32)
        if meaning is not None:
            z += meaning @ self.meaning_weights
        z -= z.max()
        return z - np.float32(np.log(np.exp(z).sum()))

    def known_share(self, words: Sequence[str]) -> float:
        """How many of the words the classifier was trained on (0 to 1; 0 for no words): its say over a question
        mostly in words it never saw (a misspelt or mixed-language message search reads only a few words of) rests
        on the few it knows."""
        return sum(word in self.vocabulary for word in words) / len(words) if words else 0.0

    def check_shapes(self, meaning_dimensions: int) -> None:
        """Raise ValueError unless every array fits the ids, the vocabulary and the meaning vectors' size: a file
        for another model or cut short must not fail every search later."""
        entries, words = len(self.ids), len(self.vocabulary)
        if (
            self.word_weights.shape != (words, entries)
            or self.idf.shape != (words,)
            or self.bias.shape != (entries,)
            or self.meaning_weights.shape != (meaning_dimensions, entries)
        ):
            raise ValueError(
                f"arrays of other shapes than {entries} entries, {words} words and {meaning_dimensions} meaning "
                "dimensions"
            )

    def save(self, path: Path) -> None:
        """Write the file whole or not at all: a crash while writing leaves the old file (or none), never half."""
        buffer = io.BytesIO()
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            buffer,
            ids=np.array(self.ids),
            words=np.array(words),
            idf=self.idf,
            word_weights=self.word_weights,
            meaning_weights=self.meaning_weights,
            bias=self.bias,
            fingerprint=np.array(self.fingerprint),
            texts_fingerprint=np.array(self.texts_fingerprint),
        )
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(buffer.getvalue())
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> EntryClassifier:
        with np.load(path, allow_pickle=False) as data:
            words = [str(w) for w in data["words"]]
            return cls(
                ids=tuple(str(i) for i in data["ids"]),
                vocabulary={w: i for i, w in enumerate(words)},
                idf=data["idf"].astype(np.float32),
                word_weights=data["word_weights"].astype(np.float16),
                meaning_weights=data["meaning_weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                fingerprint=str(data["fingerprint"]),
                texts_fingerprint=str(data["texts_fingerprint"]),
            )


def word_vector(
    vocabulary: dict[str, int], idf: NDArray[np.float32], feature_list: Sequence[str]
) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """A text's word features as a sparse TF-IDF vector of unit length: its columns and their values."""
    counts: dict[int, int] = {}
    for feature in feature_list:
        column = vocabulary.get(feature)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float32, count=len(counts)) * idf[columns]
    length = float(np.sqrt(values @ values))
    return columns, values / length if length else values


def train(
    entries: Sequence[KnowledgeEntry],
    texts_words: Sequence[tuple[int, Sequence[str]]],
    meanings: NDArray[np.float32],
    progress: Callable[[int], None] | None = None,
) -> EntryClassifier:
    """Fit the weights on ``texts_words`` (each training text's entry position and its words, entry by entry) and
    their meaning vectors (one row per text, in the same order). Deterministic on one machine: the same texts give
    the same weights (another processor's BLAS may differ in the last bits)."""
    ids = [entry.id for entry in entries]
    labels = np.array([label for label, _ in texts_words], dtype=np.intp)
    feature_lists = [features_of(words) for _, words in texts_words]
    document_frequency: dict[str, int] = {}
    for features in feature_lists:
        for feature in set(features):
            document_frequency[feature] = document_frequency.get(feature, 0) + 1
    vocabulary = {feature: i for i, feature in enumerate(sorted(document_frequency))}
    idf = np.zeros(len(vocabulary), dtype=np.float32)
    for feature, column in vocabulary.items():
        idf[column] = np.log((1 + len(feature_lists)) / (1 + document_frequency[feature])) + 1
    # The texts' word vectors as one sparse matrix, by rows (forward) and by columns (gradient).
    rows, columns, values = [], [], []
    for row, features in enumerate(feature_lists):
        cols, vals = word_vector(vocabulary, idf, features)
        rows.append(np.full(len(cols), row, dtype=np.intp))
        columns.append(cols)
        values.append(vals)
    row_of = np.concatenate(rows)
    column_of = np.concatenate(columns)
    value_of = np.concatenate(values).astype(np.float32)
    row_starts = np.searchsorted(row_of, np.arange(len(feature_lists)))
    has_words = np.diff(np.append(row_starts, len(row_of))) > 0  # a text of stopwords only has none
    by_column = np.argsort(column_of, kind="stable")
    column_starts = np.searchsorted(column_of[by_column], np.arange(len(vocabulary)))
    texts, classes, dimensions = len(feature_lists), len(ids), meanings.shape[1]

    def sparse_times(weights: NDArray[np.float32]) -> NDArray[np.float32]:
        product = np.zeros((texts, classes), dtype=np.float32)
        product[has_words] = np.add.reduceat(weights[column_of] * value_of[:, None], row_starts[has_words], axis=0)
        return product

    def sparse_transposed_times(gradient: NDArray[np.float32]) -> NDArray[np.float32]:
        products = gradient[row_of[by_column]] * value_of[by_column][:, None]
        return np.add.reduceat(products, column_starts, axis=0)

    word_weights = np.zeros((len(vocabulary), classes), dtype=np.float32)
    meaning_weights = np.zeros((dimensions, classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    target = np.zeros((texts, classes), dtype=np.float32)
    target[np.arange(texts), labels] = 1.0
    parameters = [word_weights, meaning_weights, bias]
    first = [np.zeros_like(p) for p in parameters]
    second = [np.zeros_like(p) for p in parameters]
    for step in range(1, _STEPS + 1):
        z = sparse_times(word_weights) + meanings @ meaning_weights + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        gradient = ((p - target) / texts).astype(np.float32)
        gradients = [
            sparse_transposed_times(gradient) + _L2 * word_weights,
            meanings.T @ gradient + _L2 * meaning_weights,
            gradient.sum(axis=0),
        ]
        # Adam: the word features' scales differ by orders of magnitude (idf), which plain steps handle badly.
        for parameter, g, m, v in zip(parameters, gradients, first, second, strict=True):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            parameter -= _LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        if progress is not None:
            progress(step)
    return EntryClassifier(
        tuple(ids),
        vocabulary,
        idf,
        word_weights.astype(np.float16),
        meaning_weights,
        bias,
        fingerprint(ids, texts_words),
        texts_fingerprint(entries),
    )
