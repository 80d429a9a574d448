"""The meaning signal: the same vectors as WordLlama's own code, no download, and sensible closeness."""

from __future__ import annotations

import numpy as np
from wordllama.inference import WordLlamaInference

from bot.knowledge.semantic import TokenEmbeddings, _package_dir

TEXTS = ["what if i dont match", "Match Day results at noon ET", "soap??", "🙂", ""]


def test_vectors_are_wordllamas_own() -> None:
    ours = TokenEmbeddings()
    tokenizer = type(ours._tokenizer).from_file(
        str(_package_dir() / "tokenizers" / "l2_supercat_tokenizer_config.json")
    )
    theirs = WordLlamaInference(ours._table, tokenizer).embed(TEXTS[:3], norm=True)
    assert np.allclose(ours.embed(TEXTS[:3]), theirs, atol=1e-5)


def test_texts_without_tokens_are_zero_and_the_rest_unit_length() -> None:
    vectors = TokenEmbeddings().embed(TEXTS)
    assert not vectors[-1].any()
    lengths = np.linalg.norm(vectors[:4], axis=1)
    assert np.allclose(lengths, 1.0, atol=1e-5)


def test_related_texts_are_closer_than_unrelated_ones() -> None:
    worry, unmatched, pizza = TokenEmbeddings().embed(
        ["what happens if i do not match", "Did not match: what to do next", "best pizza in new york"]
    )
    assert worry @ unmatched > worry @ pizza
