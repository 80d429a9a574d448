"""A meaning-based signal beside the word-based ranking: how close a question is to each entry, by static embeddings.

WordLlama (https://github.com/dleemiller/WordLlama) ships its 256-dimension token embeddings and tokenizer inside
its PyPI wheel; a text's embedding is the average of its tokens' vectors, so it costs about 0.1 ms on a CPU and
nothing is downloaded at run time. Only the two files are used from the package: importing it would configure
logging, pull in requests, and keep a float32 copy of the 32,000 x 256 table (about 75 MB more memory than the
float16 table mapped here); the averaging is the same as WordLlama's (tests/unit/knowledge/test_semantic.py checks).

Each entry is represented by its title, summary, aliases and the questions members ask about it; an entry's
similarity to a question is that of its closest text. It catches what words alone miss ("what about the contract"
after "matched!!", "is it over for me" after a score) but cannot tell scope alone: off-topic questions still land
near something, so the ranking uses it as one share of the score and the answer threshold asks for word evidence too.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

from bot.knowledge.classifier import training_texts
from bot.knowledge.models import KnowledgeEntry

log = logging.getLogger(__name__)

_MODEL = "l2_supercat"
_DIMENSIONS = 256
_WORD_MARK = "\u2581"
"""What the tokenizer writes for a space (and at the start of a text): every word's first token begins with it."""
_WORDS_KEPT = 50_000
"""Words whose tokens are kept (``TokenEmbeddings.embed_one``): free text from members must not grow memory forever."""
_WORD_KEPT_LENGTH = 40
"""Longer words (a pasted link, a run of letters) are tokenized each time, not kept: each would hold many tokens."""


def _words_tokenized_apart(vocabulary: Iterable[str]) -> bool:
    """Whether no token spans a space: every token that holds the word mark holds it first, or is marks only (runs
    of spaces, which ``embed_one`` never splits). Then tokenizing words one by one gives the tokens of the whole."""
    return all(_WORD_MARK not in token[1:] or not token.strip(_WORD_MARK) for token in vocabulary)


def _package_dir() -> Path:
    """Where the wordllama package is installed, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the wordllama package is not installed (pip install wordllama)")
    return Path(next(iter(spec.submodule_search_locations)))


def _map_tensor(path: Path, name: str) -> NDArray[np.float16]:
    """A float16 tensor of a safetensors file, mapped rather than read: only the rows a text uses are ever loaded,
    which keeps about 14 of the table's 16 MB out of memory. The format is an 8-byte little-endian header length, a
    JSON header giving each tensor's dtype, shape and byte range, then the data."""
    with path.open("rb") as file:
        (header_length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_length))
    tensor = header[name]
    if tensor["dtype"] != "F16":
        raise ValueError(f"{path.name}: {name} is {tensor['dtype']}, expected F16")
    start, _ = tensor["data_offsets"]
    return np.memmap(path, dtype=np.float16, mode="r", offset=8 + header_length + start, shape=tuple(tensor["shape"]))


class TokenEmbeddings:
    """WordLlama's tokenizer and token table: a text's vector is the mean of its tokens' rows."""

    def __init__(self) -> None:
        package = _package_dir()
        self._tokenizer = Tokenizer.from_file(str(package / "tokenizers" / f"{_MODEL}_tokenizer_config.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._table = _map_tensor(package / "weights" / f"{_MODEL}_{_DIMENSIONS}.safetensors", "embedding.weight")
        # The same mapped rows as a plain array: indexing a memmap wraps every result in a memmap of its own.
        self._rows = self._table.view(np.ndarray)
        # Each word's token ids, as ``embed_one`` splits a text (see there); bounded like search's per-word caches.
        self._word_ids: dict[str, list[int]] = {}
        vocabulary = self._tokenizer.get_vocab()
        self._starts_word = np.zeros(len(vocabulary), dtype=bool)
        self._starts_word[[i for token, i in vocabulary.items() if token.startswith(_WORD_MARK)]] = True
        self._words_apart = _words_tokenized_apart(vocabulary)

    def is_word(self, word: str) -> bool:
        """Whether the tokenizer has the word whole (as it starts a word): a common English word ("cancer",
        "password"), not a misspelling, which it splits into pieces ("recomendation")."""
        return self._tokenizer.token_to_id("▁" + word) is not None

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit vector per text (a zero vector for a text with no tokens)."""
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        # Only the ids are used: the fast encoding leaves out the character offsets, half the time of a question's
        # encoding (the ids are the same).
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            if encoding.ids:  # ids come from this tokenizer, so they index the table
                # The plain array of the mapped rows: a memmap would wrap each text's rows in a memmap of their own.
                vectors[row] = self._rows[encoding.ids].mean(axis=0, dtype=np.float32)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        np.divide(vectors, lengths, out=vectors, where=lengths > 0)
        return vectors

    def embed_one(self, text: str) -> NDArray[np.float32]:
        """``embed([text])[0]``, bit for bit, at a fraction of its cost for a text of words seen before.

        Tokenizing is most of a question's embedding (a BPE pass over the whole text, and the tokenizer's thread
        pool for a batch). This tokenizer has no merge across a space (``_words_tokenized_apart``), so a text of
        words between single spaces is the concatenation of its words' tokens: each word is tokenized once and
        kept. Any other text (two spaces in a row, the tokenizer's own word mark typed) is tokenized whole."""
        ids = self._ids(text)
        if not ids:
            return np.zeros(self._rows.shape[1], dtype=np.float32)
        # The same arithmetic as ``embed``, so the same bits: the mean as numpy's ``mean`` takes it (a float32 sum,
        # divided in place by the count), then the 2-norm as ``linalg.norm`` takes it.
        vector: NDArray[np.float32] = np.add.reduce(self._rows[ids], axis=0, dtype=np.float32)
        np.true_divide(vector, np.intp(len(ids)), out=vector, casting="unsafe")
        length = np.sqrt(np.add.reduce(vector * vector))
        if length > 0:
            vector /= length
        return vector

    def learn_words(self, words: Iterable[str]) -> None:
        """Tokenize these words ahead of ``embed_one`` (in one pass), as it would when a text first has them."""
        new = sorted({word for word in words if _WORD_MARK not in word and word not in self._word_ids})
        room = _WORDS_KEPT - len(self._word_ids)
        if new and room > 0:
            self._ids(" ".join(new[:room]))

    def _ids(self, text: str) -> list[int]:
        words = text.split(" ")
        if not self._words_apart or _WORD_MARK in text or "" in words:
            return list(self._tokenizer.encode(text, add_special_tokens=False).ids)
        known = self._word_ids
        try:  # most questions: every word seen before
            return [token for word in words for token in known[word]]
        except KeyError:
            pass
        new = [word for word in dict.fromkeys(words) if word not in known]
        if new and len(known) < _WORDS_KEPT:
            # The new words in one pass, split where each word's first token (the one with the word mark) starts.
            found = self._tokenizer.encode(" ".join(new), add_special_tokens=False).ids
            starts = np.flatnonzero(self._starts_word[found]).tolist()
            if len(starts) == len(new) and starts[0] == 0:
                for word, start, end in zip(new, starts, [*starts[1:], len(found)], strict=True):
                    if len(word) <= _WORD_KEPT_LENGTH:
                        known[word] = found[start:end]
        if any(word not in known for word in words):  # the cache is full, or a word did not split as expected
            return list(self._tokenizer.encode(text, add_special_tokens=False).ids)
        return [token for word in words for token in known[word]]


class SemanticIndex:
    """Every entry's texts embedded once; ``similarities`` gives each entry's best cosine to a question."""

    def __init__(self, entries: Sequence[KnowledgeEntry], model: TokenEmbeddings | None = None) -> None:
        # A product of 3,000 x 256 by 256 takes about 0.05 ms on one BLAS thread and ten times that on several
        # (starting them costs more than the work). Nothing else in the bot uses BLAS.
        threadpool_limits(1, user_api="blas")
        self._model = model or TokenEmbeddings()
        texts: list[str] = []
        starts: list[int] = []
        for entry in entries:
            starts.append(len(texts))
            texts += training_texts(entry)
        self._starts = np.asarray(starts, dtype=np.intp)
        self._vectors = self._model.embed(texts)
        # Questions use the entries' words: tokenized now, on the index's thread, they are not tokenized in /ask.
        self._model.learn_words(word for text in texts for word in text.lower().split())

    def is_word(self, word: str) -> bool:
        """Whether the word is a common word as spelled (TokenEmbeddings.is_word)."""
        return self._model.is_word(word)

    @property
    def dimensions(self) -> int:
        return int(self._vectors.shape[1])

    @property
    def text_vectors(self) -> NDArray[np.float32]:
        """Each entry's texts' vectors, entry by entry in the order of ``classifier.training_texts``."""
        return self._vectors

    def vector(self, question: str) -> NDArray[np.float32]:
        """The question's unit vector (zeros when the tokenizer knows nothing of it: emoji only)."""
        return self._model.embed_one(question)

    def similarities(self, question: str) -> NDArray[np.float32]:
        """Cosine similarity of the question to each entry (by position), the best over the entry's texts."""
        return self.similarities_to(self.vector(question))

    def similarities_to(self, vector: NDArray[np.float32]) -> NDArray[np.float32]:
        """``similarities`` of a question whose vector is already made."""
        if not vector.any():  # nothing the tokenizer knows (emoji only): close to nothing
            return np.zeros(len(self._starts), dtype=np.float32)
        return np.maximum.reduceat(self._vectors @ vector, self._starts)
