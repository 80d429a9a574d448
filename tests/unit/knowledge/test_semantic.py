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


def test_one_text_embeds_bit_for_bit_as_a_batch_of_one() -> None:
    """``embed_one`` tokenizes word by word and keeps each word's tokens; the vector must still be the very same, for
    words seen before and new ones, and for texts it tokenizes whole (runs of spaces, the tokenizer's own mark)."""
    model = TokenEmbeddings()
    texts = [
        "what if i dont match",
        "what if i match",  # every word seen before
        "Match Day results at noon ET",
        "émigré naïve café",
        "日本語 テキスト",
        "🙂 soap??",
        "two  spaces",
        " leading and trailing ",
        "the ▁ mark typed",
        "line\nbreak",
        "",
    ]
    for _ in range(2):  # the second time from the kept words
        for text in texts:
            assert model.embed_one(text).tobytes() == model.embed([text])[0].tobytes(), text
    assert "match" in model._word_ids and "two" not in model._word_ids


def test_words_learnt_ahead_give_the_same_vectors() -> None:
    """The index tokenizes its texts' words at start (``learn_words``); a question of them is not tokenized again
    and embeds the same, bit for bit."""
    model = TokenEmbeddings()
    model.learn_words(["when", "does", "eras", "open?", "▁marked"])
    assert {"when", "does", "eras", "open?"} <= model._word_ids.keys() and "▁marked" not in model._word_ids
    for text in ["when does eras open?", "eras open? when", "when does eras open"]:
        assert model.embed_one(text).tobytes() == model.embed([text])[0].tobytes(), text
