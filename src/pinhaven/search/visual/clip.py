"""CLIP embedder (open_clip): optional, imported lazily, weights only from local files.

open_clip needs torch and torchvision (the optional `clip` extra, several GB), so nothing here imports
them at module load. Weights are fetched once by `fetch_clip_weights` (behind `pinhaven models fetch
clip`, on a machine with internet) into `<models_dir>/clip/`, or given as a local file; `load_clip`
never downloads.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pinhaven.search.visual.embedder import ModelUnavailable, l2_normalize

__all__ = ["ClipEmbedder", "clip_available", "clip_weights_path", "fetch_clip_weights", "load_clip"]

DEFAULT_MODEL = "ViT-B-32"
DEFAULT_PRETRAINED = "openai"
_MISSING = (
    "CLIP needs the optional packages open_clip_torch, torch and torchvision "
    "(install the 'clip' extra: pip install 'pinhaven[clip]')"
)


def clip_available() -> bool:
    """Whether open_clip, torch and torchvision are importable here (without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("open_clip", "torch", "torchvision"))


def _libs() -> tuple[Any, Any]:
    try:
        import open_clip
        import torch
    except ImportError as exc:  # also raised when torchvision does not match torch
        raise ModelUnavailable(f"{_MISSING}: {exc}") from exc
    return torch, open_clip


def clip_weights_path(
    models_dir: Path, model_name: str = DEFAULT_MODEL, pretrained: str = DEFAULT_PRETRAINED
) -> Path:
    """Where `fetch_clip_weights` stores a model's weights (a manifest .json sits beside it)."""
    return Path(models_dir) / "clip" / f"{model_name}-{pretrained}.pt"


def fetch_clip_weights(
    models_dir: Path, model_name: str = DEFAULT_MODEL, pretrained: str = DEFAULT_PRETRAINED
) -> Path:
    """Download pretrained weights once through open_clip (needs internet) and store them locally.

    Stores a plain state dict plus a manifest naming the exact architecture (OpenAI's weights need
    QuickGELU), so `load_clip` rebuilds the same network offline.
    """
    torch, open_clip = _libs()
    target = clip_weights_path(models_dir, model_name, pretrained)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as cache:
        model, _, _ = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, cache_dir=cache
        )
        quick_gelu = any(type(m).__name__ == "QuickGELU" for m in model.modules())
        arch = f"{model_name}-quickgelu" if quick_gelu and "quickgelu" not in model_name else model_name
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pt")
        os.close(fd)
        try:
            torch.save(model.state_dict(), tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    manifest = {
        "architecture": arch,
        "model_name": model_name,
        "pretrained": pretrained,
        "dim": int(model.visual.output_dim),
    }
    target.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
    return target


def _resolve(
    model_name: str, pretrained: str | Path | None, models_dir: Path | None
) -> tuple[Path | None, str, str]:
    """(weights file or None for random weights, architecture, tag used in the model id)."""
    if pretrained is None:
        return None, model_name, "random"
    path = Path(pretrained)
    if not path.is_file():
        if isinstance(pretrained, Path) or os.sep in str(pretrained) or models_dir is None:
            raise ModelUnavailable(f"CLIP weights file not found: {pretrained}")
        path = clip_weights_path(models_dir, model_name, str(pretrained))
        if not path.is_file():
            raise ModelUnavailable(
                f"CLIP weights {model_name}/{pretrained} are not in {path.parent}; "
                "fetch them once with `pinhaven models fetch clip` (needs internet) or pass a local file"
            )
    manifest = path.with_suffix(".json")
    if manifest.is_file():
        meta = json.loads(manifest.read_text())
        return path, str(meta.get("architecture", model_name)), str(meta.get("pretrained", path.stem))
    return path, model_name, path.stem


def load_clip(
    model_name: str = DEFAULT_MODEL,
    pretrained: str | Path | None = None,
    *,
    models_dir: Path | None = None,
    device: str = "cpu",
) -> ClipEmbedder:
    """Build a CLIP embedder from local weights (a file, or a tag fetched into models_dir).

    `pretrained=None` gives random weights: only for tests and benchmarks of speed.
    """
    weights, arch, tag = _resolve(model_name, pretrained, models_dir)
    torch, open_clip = _libs()
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, device=device)
    if weights is not None:
        state = torch.load(weights, map_location=device, weights_only=True)
        model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    model.eval()
    tokenizer = open_clip.get_tokenizer(arch)
    return ClipEmbedder(model, preprocess, tokenizer, model_id=f"clip-{model_name}-{tag}", device=device)


class ClipEmbedder:
    """Image and text embeddings in CLIP's joint space (512-d for ViT-B-32)."""

    def __init__(self, model: Any, preprocess: Any, tokenizer: Any, *, model_id: str, device: str) -> None:
        self._model = model
        self._preprocess = preprocess
        self._tokenizer = tokenizer
        self._device = device
        self._model_id = model_id
        self._dim = int(model.visual.output_dim)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def embed_images(self, images: Sequence[Image.Image], batch_size: int = 32) -> np.ndarray:
        """(n, dim) unit vectors of the images."""
        torch, _ = _libs()
        out = [np.zeros((0, self._dim), np.float32)]
        for start in range(0, len(images), batch_size):
            batch = [self._preprocess(im.convert("RGB")) for im in images[start : start + batch_size]]
            with torch.no_grad():
                feats = self._model.encode_image(torch.stack(batch).to(self._device))
            out.append(feats.float().cpu().numpy())
        return l2_normalize(np.concatenate(out))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) unit vectors of the texts, comparable with image vectors."""
        torch, _ = _libs()
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        with torch.no_grad():
            feats = self._model.encode_text(self._tokenizer(list(texts)).to(self._device))
        return l2_normalize(feats.float().cpu().numpy())
