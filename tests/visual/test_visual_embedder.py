from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.builtin import RAW_DIM, BuiltinEmbedder, colour_histogram
from pinhaven.search.visual.embedder import Embedder, Whitening, fit_whitening, prepare_image
from pinhaven.search.visual.synthetic import base_image, jpeg_bytes


def test_builtin_vectors_are_deterministic_unit_float32(originals, embedder):
    a = embedder.embed_images(originals[:5])
    b = embedder.embed_images(originals[:5])
    assert a.shape == (5, embedder.dim) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_images([]).shape == (0, embedder.dim)


def test_builtin_satisfies_the_embedder_protocol_and_versions_its_id(embedder):
    assert isinstance(embedder, Embedder)
    assert BuiltinEmbedder().model_id == "builtin-v1" and BuiltinEmbedder().dim == RAW_DIM
    assert embedder.model_id.startswith("builtin-v1-L") and embedder.model_id != "builtin-v1"


def test_mirror_image_gets_the_same_vector(originals, embedder):
    mirrored = [im.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for im in originals[:4]]
    a, b = embedder.embed_images(originals[:4]), embedder.embed_images(mirrored)
    assert np.min(np.sum(a * b, axis=1)) > 0.999


@pytest.mark.parametrize("whitened", [True, False])
def test_transformed_copy_retrieves_its_original_at_rank_1(originals, copies, distinct, embedder, whitened):
    emb = embedder if whitened else BuiltinEmbedder()
    db = emb.embed_images(originals + distinct)
    for name, imgs in copies.items():
        q = emb.embed_images(imgs)
        top = np.argmax(q @ db.T, axis=1)
        assert (top == np.arange(len(imgs))).all(), f"{name}: {np.flatnonzero(top != np.arange(len(imgs)))}"


def test_colour_histogram_baseline_is_unit_length(originals):
    h = colour_histogram(originals[0])
    assert h.shape == (512,) and abs(float(np.linalg.norm(h)) - 1) < 1e-5


def test_whitening_round_trips_through_npz(tmp_path, embedder, originals):
    path = tmp_path / "w" / "builtin.npz"
    embedder.whitening.save(path)
    loaded = Whitening.load(path)
    assert loaded.fingerprint == embedder.whitening.fingerprint and loaded.kind == "learned"
    again = BuiltinEmbedder(loaded)
    assert again.model_id == embedder.model_id
    np.testing.assert_allclose(
        again.embed_images(originals[:3]), embedder.embed_images(originals[:3]), atol=1e-6
    )
    assert not list(path.parent.glob(".whitening-*"))  # temp file renamed away


def test_whitening_rejects_bad_files_and_widths(tmp_path, embedder):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(InvalidInput, match="not a whitening file"):
        Whitening.load(bad)
    with pytest.raises(InvalidInput, match="width"):
        embedder.whitening.apply(np.zeros((2, 7), np.float32))
    with pytest.raises(InvalidInput):
        fit_whitening(np.zeros((1, 4)), model_id="x")


def test_pca_whitening_decorrelates_the_corpus():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    w = fit_whitening(x, model_id="x", dim=4, shrinkage=0.0)
    y = (x - w.mean) @ w.projection
    np.testing.assert_allclose(np.cov(y.T), np.eye(4), atol=0.05)
    assert w.kind == "pca" and w.apply(x).shape == (500, 4)


def test_prepare_image_decodes_jpeg_at_reduced_scale():
    big = Image.open(io.BytesIO(jpeg_bytes(base_image(5, width=1600))))
    small = prepare_image(big, 128)
    assert small.mode == "RGB" and 128 <= min(small.size) < 512
