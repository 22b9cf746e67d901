"""The NumPy MiniLM gives sentence-transformers' vectors: `reference/minilm_reference.npy` was recorded from
sentence-transformers 6.3 (torch 2.14) encoding TEXTS with `normalize_embeddings=True`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pinhaven.search.text import semantic

if not semantic.is_installed():
    pytest.skip("the `semantic` extra is not installed", allow_module_level=True)

from pinhaven.search.text.minilm import MAX_TOKENS, MiniLM

# The last text is longer than MAX_TOKENS: truncation must match too.
TEXTS = [
    "a cosy reading nook with a green armchair",
    "Chocolate chip cookie recipe card",
    "x",
    "Ünïcödé café naïve 日本語 ✨",
    "Mid-century modern living room, walnut sideboard and brass lamp " * 30,
]
REFERENCE = Path(__file__).parent / "reference" / "minilm_reference.npy"


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM(semantic.model_dir())


def test_vectors_match_the_recorded_sentence_transformers_output(model: MiniLM) -> None:
    reference = np.load(REFERENCE)
    vectors = model.encode(TEXTS, batch_size=2)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), semantic.DIM)
    np.testing.assert_allclose(vectors, reference, atol=2e-5)
    assert len(model.tokenizer.encode(TEXTS[-1]).ids) == MAX_TOKENS


def test_batching_and_order_do_not_change_a_vector(model: MiniLM) -> None:
    one_by_one = np.vstack([model.encode([text]) for text in TEXTS])
    np.testing.assert_allclose(model.encode(TEXTS[::-1])[::-1], one_by_one, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(one_by_one, axis=1), 1.0, atol=1e-5)


def test_weights_are_mapped_from_the_package_file_not_copied(model: MiniLM) -> None:
    """Every process on a host shares the page cache's copy (what keeps a web process small)."""
    assert isinstance(model.word.base, np.memmap) or isinstance(model.word, np.memmap)
    assert not model.layers[0].intermediate.weight_t.flags.owndata
