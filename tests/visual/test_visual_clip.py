from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from pinhaven.search.visual import clip
from pinhaven.search.visual.embedder import ModelUnavailable

needs_clip = pytest.mark.skipif(
    not clip.clip_available(),
    reason="open_clip, torch and torchvision are not installed (optional 'clip' extra, ~5.6 GB)",
)


def test_clip_module_imports_without_torch():
    # In a fresh interpreter: other tests in this process may have imported torch (semantic search).
    probe = (
        "import sys, pinhaven.search.visual.clip; print('torch' in sys.modules, 'open_clip' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_missing_weights_are_never_downloaded(tmp_path):
    with pytest.raises(ModelUnavailable, match="pinhaven models fetch clip"):
        clip.load_clip("ViT-B-32", "openai", models_dir=tmp_path)
    with pytest.raises(ModelUnavailable, match="not found"):
        clip.load_clip("ViT-B-32", tmp_path / "nope.pt")
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(clip.clip_available(), reason="the libraries are installed")
def test_clear_error_when_libraries_are_absent():
    with pytest.raises(ModelUnavailable, match="clip"):
        clip.load_clip(pretrained=None)


@pytest.mark.clip
@needs_clip
def test_clip_random_weights_embed_images_and_texts():
    emb = clip.load_clip("ViT-B-32", None)
    assert emb.model_id == "clip-ViT-B-32-random" and emb.dim == 512
    imgs = [Image.new("RGB", (300, 200), c) for c in ("red", "blue", "green")]
    v = emb.embed_images(imgs)
    assert v.shape == (3, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(emb.embed_images(imgs), v, atol=1e-5)
    t = emb.embed_texts(["a red square", "a blue square"])
    assert t.shape == (2, 512)


@pytest.mark.clip
@needs_clip
def test_clip_loads_a_local_state_dict(tmp_path):
    import torch

    emb = clip.load_clip("ViT-B-32", None)
    path = tmp_path / "clip" / "ViT-B-32-local.pt"
    path.parent.mkdir()
    torch.save(emb._model.state_dict(), path)
    again = clip.load_clip("ViT-B-32", "local", models_dir=tmp_path)
    img = [Image.new("RGB", (224, 224), "orange")]
    np.testing.assert_allclose(again.embed_images(img), emb.embed_images(img), atol=1e-4)


def test_model_ids_fit_the_column_whatever_the_weights_file_is_called():
    assert clip.clip_model_id("ViT-B-32", "openai") == "clip-ViT-B-32-openai"
    long_one = clip.clip_model_id("ViT-B-32", "my-very-long-fine-tuned-checkpoint-name-from-2026-" * 2)
    assert len(long_one) <= clip.MODEL_ID_MAX and long_one.startswith("clip-ViT-B-32-")
    assert long_one != clip.clip_model_id("ViT-B-32", "another-very-long-fine-tuned-checkpoint-name" * 2)
