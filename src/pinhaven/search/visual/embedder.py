"""The embedder contract, shared image preparation, and PCA whitening fitted on the corpus."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

from pinhaven.errors import InvalidInput, ServiceUnavailable

__all__ = [
    "Embedder",
    "ModelUnavailable",
    "Whitening",
    "fit_whitening",
    "l2_normalize",
    "prepare_image",
    "random_edit",
]


class ModelUnavailable(ServiceUnavailable):
    """Raised when an embedder's weights or libraries are not on this machine (nothing is downloaded)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns images (and, for joint models, texts) into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str:
        """Versioned identity of the vector space; vectors from different ids are never compared."""
        ...

    @property
    def dim(self) -> int:
        """Length of every vector this embedder returns."""
        ...

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit-length rows."""
        ...


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero); returns float32."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 1e-12)


def prepare_image(img: Image.Image, size: int = 128) -> Image.Image:
    """Cheaply shrink an image so its shorter side is about `size`..2·`size` px, in RGB.

    Call it on a freshly opened (not yet loaded) JPEG: `draft` then decodes at 1/2..1/8 scale in the
    DCT, which is most of the speed of the whole visual pipeline.
    """
    img.draft("RGB", (size, size))
    if img.mode != "RGB":
        img = img.convert("RGB")
    short = min(img.size)
    if short >= 4 * size:
        factor = short // (2 * size)
        img = img.reduce(factor)
    return img


@dataclass(frozen=True)
class Whitening:
    """Centre, project on the top principal axes and rescale each axis to unit variance (shrunk)."""

    mean: np.ndarray  # (D,)
    projection: np.ndarray  # (D, k)
    source_model_id: str
    kind: str = "pca"  # "pca" (unsupervised) or "learned" (fitted with matching pairs)
    corpus_size: int = 0  # images stored when it was fitted (automatic refits wait for the corpus to grow)

    @property
    def dim(self) -> int:
        return int(self.projection.shape[1])

    @property
    def input_dim(self) -> int:
        return int(self.projection.shape[0])

    @property
    def fingerprint(self) -> str:
        """Short content hash: part of the model id, so vectors from another fit are never mixed."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.mean, np.float32).tobytes())
        h.update(np.ascontiguousarray(self.projection, np.float32).tobytes())
        return h.hexdigest()[:10]

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Whiten raw vectors (n, D) into unit-length (n, k) vectors."""
        x = np.asarray(vectors, np.float32)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise InvalidInput(f"expected vectors of width {self.input_dim}, got shape {x.shape}")
        return l2_normalize((x - self.mean) @ self.projection)

    def save(self, path: Path) -> None:
        """Write to an .npz file atomically (temp file + rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".whitening-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    mean=self.mean,
                    projection=self.projection,
                    source_model_id=np.array(self.source_model_id),
                    kind=np.array(self.kind),
                    corpus_size=np.array(self.corpus_size),
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Whitening:
        """Read a whitening written by `save`."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                return cls(
                    mean=data["mean"].astype(np.float32),
                    projection=data["projection"].astype(np.float32),
                    source_model_id=str(data["source_model_id"]),
                    kind=str(data["kind"]) if "kind" in data else "pca",
                    corpus_size=int(data["corpus_size"]) if "corpus_size" in data else 0,
                )
        except (OSError, KeyError, ValueError) as exc:
            raise InvalidInput(f"not a whitening file: {path} ({exc})") from exc


def fit_whitening(
    vectors: np.ndarray,
    *,
    model_id: str,
    dim: int = 256,
    shrinkage: float = 0.1,
    positives: tuple[np.ndarray, np.ndarray] | None = None,
) -> Whitening:
    """Fit a whitening on corpus vectors (n, D), keeping at most `dim` axes.

    Without `positives`: PCA whitening; `shrinkage` (a fraction of the mean kept eigenvalue) is added
    before the inverse square root so low-variance axes, mostly noise from re-encoding and cropping,
    are not blown up. With `positives` = (a, b), rows a[i] and b[i] being two versions of one image:
    learned whitening (Radenović et al.) — first whiten the within-pair differences, so directions
    that edits move are shrunk, then rotate onto the principal axes of the corpus in that space.
    """
    x = np.asarray(vectors, np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InvalidInput(f"need at least 2 vectors to fit a whitening, got shape {x.shape}")
    width = x.shape[1]
    mean = x.mean(axis=0)
    k = int(min(dim, width, x.shape[0] - 1))
    if positives is None:
        xc = x - mean
        eigval, eigvec = _eigh_desc(xc.T @ xc / (x.shape[0] - 1))
        eigval, eigvec = eigval[:k], eigvec[:, :k]
        projection = eigvec / np.sqrt(eigval + shrinkage * float(eigval.mean()) + 1e-12)
        kind = "pca"
    else:
        a, b = (np.asarray(p, np.float64) for p in positives)
        if a.shape != b.shape or a.ndim != 2 or a.shape[1] != width or a.shape[0] < 2:
            raise InvalidInput(
                f"positives must be two arrays of shape (m, {width}), got {a.shape}, {b.shape}"
            )
        d = a - b
        within = d.T @ d / d.shape[0]
        within += 0.01 * float(np.trace(within)) / width * np.eye(width)
        wval, wvec = _eigh_desc(within)
        to_within = wvec / np.sqrt(wval)  # maps into the space where edits have unit variance
        xw = (x - mean) @ to_within
        _, between = _eigh_desc(xw.T @ xw / (x.shape[0] - 1))
        projection = to_within @ between[:, :k]
        kind = "learned"
    return Whitening(
        mean=mean.astype(np.float32),
        projection=projection.astype(np.float32),
        source_model_id=model_id,
        kind=kind,
    )


def _eigh_desc(sym: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a symmetric matrix, largest eigenvalue first, eigenvalues clipped at 0."""
    val, vec = np.linalg.eigh(sym)
    order = np.argsort(val)[::-1]
    return np.clip(val[order], 1e-12, None), vec[:, order]


def random_edit(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A random mix of the edits re-uploads carry (crop, rotation, light, caption, re-encoding, mirror,
    rescale): the positives a learned whitening is fitted on."""
    for op in rng.permutation(6)[: int(rng.integers(1, 4))]:
        w, h = img.size
        if op == 0:
            f = rng.uniform(0.0, 0.15)
            dx, dy = int(w * f * rng.random()), int(h * f * rng.random())
            img = img.crop((dx, dy, dx + int(w * (1 - f)), dy + int(h * (1 - f))))
        elif op == 1:
            img = img.rotate(float(rng.uniform(-8, 8)), resample=Image.Resampling.BILINEAR)
        elif op == 2:
            img = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.7, 1.3)))
        elif op == 3:
            img = ImageEnhance.Contrast(img).enhance(float(rng.uniform(0.7, 1.3)))
        elif op == 4:
            img = img.copy()
            size = max(10, int(h * rng.uniform(0.04, 0.1)))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            ImageDraw.Draw(img).text(
                (int(rng.uniform(0, 0.5) * w), int(rng.uniform(0, 0.9) * h)),
                "caption text",
                fill=colour,
                font=ImageFont.load_default(size=size),
            )
        else:
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=int(rng.integers(20, 70)))
            img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if rng.random() < 0.5:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.5:
        f = float(rng.uniform(0.4, 1.0))
        img = img.resize((max(32, int(img.width * f)), max(32, int(img.height * f))))
    return img
