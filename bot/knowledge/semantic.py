"""A meaning-based signal beside the word-based ranking: how close a question is to each entry, by static embeddings.

WordLlama (https://github.com/dleemiller/WordLlama) ships its 256-dimension token embeddings and tokenizer inside
its PyPI wheel; an embedding is the average of the question's token vectors, so it costs about 0.1 ms on a CPU and
nothing is downloaded at run time. The library's own loader looks for the tokenizer in the wrong folder and then
tries Hugging Face, so the two files are opened here directly from the installed package.

Each entry is represented by its title, summary, aliases and the questions members ask about it; an entry's
similarity to a question is that of its closest text. It catches what words alone miss ("what about the contract"
after "matched!!", "is it over for me" after a score) but cannot tell scope alone: off-topic questions still land
near something, so the ranking uses it as one share of the score and the answer threshold asks for word evidence too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from safetensors import safe_open
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer
from wordllama.inference import WordLlamaInference

from bot.knowledge.models import KnowledgeEntry

log = logging.getLogger(__name__)

_MODEL = "l2_supercat"
_DIMENSIONS = 256


def load_model() -> WordLlamaInference:
    """The embedding model from the files inside the installed wordllama package (no network)."""
    package = resources.files("wordllama")
    tokenizer_file = package / "tokenizers" / f"{_MODEL}_tokenizer_config.json"
    weights_file = package / "weights" / f"{_MODEL}_{_DIMENSIONS}.safetensors"
    with resources.as_file(tokenizer_file) as tokenizer_path, resources.as_file(weights_file) as weights_path:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        with safe_open(str(weights_path), framework="np", device="cpu") as tensors:
            embedding = tensors.get_tensor("embedding.weight")
    return WordLlamaInference(embedding, tokenizer, binary=False)


class SemanticIndex:
    """Every entry's texts embedded once; ``similarities`` gives each entry's best cosine to a question."""

    def __init__(self, entries: Sequence[KnowledgeEntry], model: WordLlamaInference | None = None) -> None:
        # A product of 2,000 x 256 by 256 takes about 0.05 ms on one BLAS thread and ten times that on several
        # (starting them costs more than the work). Nothing else in the bot uses BLAS.
        threadpool_limits(1, user_api="blas")
        self._model = model or load_model()
        texts: list[str] = []
        starts: list[int] = []
        for entry in entries:
            starts.append(len(texts))
            texts += [entry.title, entry.summary, *entry.aliases, *entry.questions]
        self._starts = np.asarray(starts, dtype=np.intp)
        self._vectors: NDArray[np.float32] = np.asarray(self._model.embed(texts, norm=True), dtype=np.float32)

    def similarities(self, question: str) -> NDArray[np.float32]:
        """Cosine similarity of the question to each entry (by position), the best over the entry's texts."""
        vector = np.asarray(self._model.embed([question], norm=False), dtype=np.float32)[0]
        length = float(np.linalg.norm(vector))
        if not length:  # nothing the tokenizer knows (emoji only): close to nothing
            return np.zeros(len(self._starts), dtype=np.float32)
        return np.maximum.reduceat(self._vectors @ (vector / length), self._starts)
