"""CLIP embedder (open_clip): optional, imported lazily, weights only from local files.

open_clip needs torch and torchvision (the optional `clip` extra, several GB), so nothing here imports
them at module load. Weights are fetched once by `fetch_clip_weights` (behind `pinhaven models fetch
clip`, on a machine with internet) into `<models_dir>/clip/`, imported there from a local file after a
strict load check by `import_clip_weights` (`--from PATH`), or given as a local file; `load_clip` never
downloads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pinhaven.search.visual.embedder import ModelUnavailable, l2_normalize

__all__ = [
    "ClipEmbedder",
    "InvalidWeights",
    "clip_available",
    "clip_weights_path",
    "fetch_clip_weights",
    "import_clip_weights",
    "load_clip",
    "stored_clip_weights",
]

DEFAULT_MODEL = "ViT-B-32"
DEFAULT_PRETRAINED = "openai"
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a tag becomes part of a file name
_MISSING = (
    "CLIP needs the optional packages open_clip_torch, torch and torchvision "
    "(install the 'clip' extra: pip install 'pinhaven[clip]')"
)


class InvalidWeights(ValueError):
    """A weights file that cannot be read, or does not fit the CLIP architecture."""


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
    _check_tag(pretrained)
    torch, open_clip = _libs()
    target = clip_weights_path(models_dir, model_name, pretrained)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as cache:
        model, _, _ = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, cache_dir=cache
        )
        quick_gelu = any(type(m).__name__ == "QuickGELU" for m in model.modules())
        arch = f"{model_name}-quickgelu" if quick_gelu and "quickgelu" not in model_name else model_name
        _store(torch, model, target, architecture=arch, model_name=model_name, pretrained=pretrained)
    return target


def _store(torch: Any, model: Any, target: Path, **manifest: str) -> None:
    """Write the model's state dict and its manifest beside it, each atomically (temp file + rename)."""
    meta = json.dumps({**manifest, "dim": int(model.visual.output_dim)}, indent=2)
    tmps = []
    try:
        for suffix in (".pt", ".json"):
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
            os.close(fd)
            tmps.append(tmp)
        torch.save(model.state_dict(), tmps[0])
        Path(tmps[1]).write_text(meta)
        os.replace(tmps[0], target)
        os.replace(tmps[1], target.with_suffix(".json"))
    finally:
        for tmp in tmps:
            Path(tmp).unlink(missing_ok=True)


def import_clip_weights(
    models_dir: Path, source: Path, model_name: str = DEFAULT_MODEL, pretrained: str = DEFAULT_PRETRAINED
) -> Path:
    """Copy a local weights file into `<models_dir>/clip` under the tag `pretrained`, after checking it.

    `source` is a state dict or an open_clip training checkpoint (`{"state_dict": ...}`, keys possibly
    prefixed `module.`). It must load strictly into the architecture, or `InvalidWeights` is raised and
    nothing is written. Known tags whose weights need QuickGELU (OpenAI's) get that architecture.
    """
    _check_tag(pretrained)
    torch, open_clip = _libs()
    if model_name not in open_clip.list_models():
        raise InvalidWeights(f"unknown CLIP architecture {model_name!r} (see open_clip.list_models())")
    state = _read_state_dict(torch, Path(source))
    quick = bool((open_clip.get_pretrained_cfg(model_name, pretrained) or {}).get("quick_gelu"))
    arch = f"{model_name}-quickgelu" if quick and "quickgelu" not in model_name else model_name
    model = open_clip.create_model(arch, pretrained=None)
    _check_fits(model.state_dict(), state)
    model.load_state_dict(state, strict=True)
    target = clip_weights_path(models_dir, model_name, pretrained)
    target.parent.mkdir(parents=True, exist_ok=True)
    source_name = str(Path(source).resolve())
    _store(
        torch,
        model,
        target,
        architecture=arch,
        model_name=model_name,
        pretrained=pretrained,
        source=source_name,
    )
    return target


def _check_tag(pretrained: str) -> None:
    if not _TAG.fullmatch(pretrained) or pretrained == "random":  # "random" means no weights in settings
        raise InvalidWeights(f"a tag is letters, digits, '.', '_' or '-', and not 'random': {pretrained!r}")


def _read_state_dict(torch: Any, path: Path) -> dict[str, Any]:
    """The tensors of a state dict or checkpoint file; `InvalidWeights` for anything else."""
    if not path.is_file():
        raise InvalidWeights(f"no such file: {path}")
    try:
        # weights_only: a weights file must not be able to run code when loaded
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for truncated or foreign files
        raise InvalidWeights(f"{path} is not a readable PyTorch weights file ({type(exc).__name__})") from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not loaded:
        raise InvalidWeights(f"{path} holds no state dict (a mapping of parameter names to tensors)")
    if not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise InvalidWeights(f"{path} holds a mapping whose values are not all tensors")
    if all(str(k).startswith("module.") for k in loaded):  # saved from DistributedDataParallel
        loaded = {str(k)[len("module.") :]: v for k, v in loaded.items()}
    bad = [k for k, v in loaded.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise InvalidWeights(f"{path} has non-finite values in {len(bad)} tensors (first: {bad[0]})")
    return dict(loaded)


def _check_fits(expected: dict[str, Any], given: dict[str, Any]) -> None:
    """Name what does not match, readably (load_state_dict's own message lists every key)."""
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    shapes = [k for k in expected if k in given and tuple(expected[k].shape) != tuple(given[k].shape)]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
    if shapes:
        k = shapes[0]
        problems.append(
            f"{len(shapes)} of another shape (e.g. {k}: {tuple(given[k].shape)}, "
            f"expected {tuple(expected[k].shape)})"
        )
    if problems:
        raise InvalidWeights("the weights do not fit this architecture: " + "; ".join(problems))


def stored_clip_weights(models_dir: Path) -> list[dict[str, Any]]:
    """Weights in `<models_dir>/clip` with their manifests (file, model_name, pretrained, dim, bytes, ...)."""
    folder = Path(models_dir) / "clip"
    out = []
    for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
        manifest = path.with_suffix(".json")
        meta: dict[str, Any] = {}
        if manifest.is_file():
            try:
                meta = json.loads(manifest.read_text())
            except ValueError:
                meta = {"problem": "unreadable manifest"}
        out.append({"file": path, "bytes": path.stat().st_size, **meta})
    return out


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
    return ClipEmbedder(model, preprocess, tokenizer, model_id=clip_model_id(model_name, tag), device=device)


MODEL_ID_MAX = 64  # the width of visual_embeddings.model_id


def clip_model_id(model_name: str, tag: str) -> str:
    """`clip-<model>-<tag>`; a tag too long for the column (a long weights file name) becomes its hash."""
    model_id = f"clip-{model_name}-{tag}"
    if len(model_id) <= MODEL_ID_MAX:
        return model_id
    digest = hashlib.sha256(tag.encode()).hexdigest()[:12]
    return f"clip-{model_name}-{digest}"[:MODEL_ID_MAX]


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
