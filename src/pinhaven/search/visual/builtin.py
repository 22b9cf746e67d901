"""builtin-v1: a weight-free image descriptor (colour, layout, texture), mirror-invariant, optionally whitened.

Blocks, all computed on a 64×64 RGB thumbnail:
  tiny    8×8 luma layout, standardised (robust to brightness, contrast, re-encoding, resizing)
  chroma  4×4 opponent-colour layout divided by mean luma (robust to brightness)
  colour  soft hue/grey histograms on a 1×1 + 2×2 + 3×3 pyramid
  edges   soft gradient-orientation histograms (HOG-like) on 4×4 and 2×2 grids
Each block is power-normalised (signed square root) and L2-normalised, then weighted. Mirror invariance:
with d the descriptor of the image and d' that of its mirror, the vector is [d + d', |d − d'|], which is the
same for an image and its horizontal flip, so flipped re-uploads land next to their originals. d' is a fixed
permutation of d (cells mirror, gradient orientations reverse), so it costs nothing to compute.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.embedder import (
    Whitening,
    fit_whitening,
    l2_normalize,
    prepare_image,
    random_edit,
)

__all__ = ["BUILTIN_MODEL_ID", "BuiltinEmbedder", "colour_histogram"]

BUILTIN_MODEL_ID = "builtin-v1"
_S = 64  # working resolution
_HUE_BINS = 12
_GREY_BINS = 4
_ORIENT_BINS = 8
_PYRAMID = (1, 2, 3)
_EDGE_GRIDS = (4, 2)
# Block weights (tiny, chroma, colour, edges), set on the synthetic benchmark (bench/visual.py).
_WEIGHTS = (1.0, 0.8, 1.0, 1.0)
_ANTI_WEIGHT = 0.7  # weight of the |d − d'| half relative to the symmetric half

# Cell index of every pixel, for all levels of a pyramid at once (level offsets included).
_YY, _XX = np.mgrid[0:_S, 0:_S]


def _pyramid_cells(grids: tuple[int, ...]) -> tuple[np.ndarray, int]:
    cells, offset = [], 0
    for g in grids:
        # cells by pixel centre, so a 3×3 grid on 64 px is mirror-symmetric
        row, col = ((2 * _YY + 1) * g) // (2 * _S), ((2 * _XX + 1) * g) // (2 * _S)
        cells.append(offset + (row * g + col).ravel())
        offset += g * g
    return np.stack(cells), offset


_COLOUR_CELLS, _COLOUR_NCELLS = _pyramid_cells(_PYRAMID)
_EDGE_CELLS, _EDGE_NCELLS = _pyramid_cells(_EDGE_GRIDS)


def _signed_sqrt_l2(x: np.ndarray) -> np.ndarray:
    x = np.sign(x) * np.sqrt(np.abs(x))
    n = float(np.linalg.norm(x))
    return x / n if n > 1e-12 else x


def _soft_bins(pos: np.ndarray, n: int, circular: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear (soft) assignment of continuous bin positions to two neighbouring bins."""
    lo = np.floor(pos)
    frac = pos - lo
    lo = lo.astype(np.int64)
    hi = lo + 1
    if circular:
        lo %= n
        hi %= n
    else:
        lo = np.clip(lo, 0, n - 1)
        hi = np.clip(hi, 0, n - 1)
    return lo, hi, frac


def _pooled(
    cells: np.ndarray, ncells: int, bins: tuple[np.ndarray, ...], weights: tuple[np.ndarray, ...], nbins: int
) -> np.ndarray:
    """Sum soft-binned pixel weights into (cell, bin) for every pyramid level in one bincount."""
    idx = np.concatenate([(cells * nbins + b).ravel() for b in bins])
    w = np.concatenate([np.broadcast_to(wt, cells.shape).ravel() for wt in weights])
    return np.bincount(idx, weights=w, minlength=ncells * nbins)


def _describe(rgb: np.ndarray) -> np.ndarray:
    """Raw (not mirror-symmetrised) descriptor of a (64, 64, 3) float array in [0, 1]."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    mean_y = float(y.mean()) + 0.02

    tiny = y.reshape(8, _S // 8, 8, _S // 8).mean(axis=(1, 3)).ravel()
    tiny = (tiny - tiny.mean()) / (tiny.std() + 0.02)

    opp = np.stack([r - g, r + g - 2.0 * b]) / mean_y
    chroma = opp.reshape(2, 4, _S // 4, 4, _S // 4).mean(axis=(2, 4)).ravel()

    # colour: hue histogram weighted by chroma, grey-level histogram weighted by its complement
    mx, mn = rgb.max(axis=-1), rgb.min(axis=-1)
    c = mx - mn
    safe_c = np.where(c > 1e-6, c, 1.0)
    hue = np.where(
        mx == r, ((g - b) / safe_c) % 6.0, np.where(mx == g, (b - r) / safe_c + 2.0, (r - g) / safe_c + 4.0)
    )
    w_chrom = np.clip(c / 0.25, 0.0, 1.0).ravel()
    h_lo, h_hi, h_f = _soft_bins((hue.ravel() / 6.0) * _HUE_BINS - 0.5, _HUE_BINS, circular=True)
    v_lo, v_hi, v_f = _soft_bins(mx.ravel() * _GREY_BINS - 0.5, _GREY_BINS, circular=False)
    w_grey = 1.0 - w_chrom
    colour = (
        _pooled(
            _COLOUR_CELLS,
            _COLOUR_NCELLS,
            (h_lo, h_hi, v_lo + _HUE_BINS, v_hi + _HUE_BINS),
            (w_chrom * (1 - h_f), w_chrom * h_f, w_grey * (1 - v_f), w_grey * v_f),
            _HUE_BINS + _GREY_BINS,
        )
        * _COLOUR_SCALE
    )

    # edges: unsigned gradient orientation, magnitude-weighted, soft in orientation
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, 1:-1] = y[:, 2:] - y[:, :-2]
    gy[1:-1, :] = y[2:, :] - y[:-2, :]
    mag = np.sqrt(gx * gx + gy * gy).ravel()
    theta = np.arctan2(gy, gx).ravel() % np.pi
    o_lo, o_hi, o_f = _soft_bins(theta / np.pi * _ORIENT_BINS - 0.5, _ORIENT_BINS, circular=True)
    edges = _pooled(_EDGE_CELLS, _EDGE_NCELLS, (o_lo, o_hi), (mag * (1 - o_f), mag * o_f), _ORIENT_BINS)
    blocks = (tiny, chroma, colour, edges)
    return np.concatenate([w * _signed_sqrt_l2(x) for w, x in zip(_WEIGHTS, blocks, strict=True)])


# Pixel counts per colour cell, so cells of different sizes are comparable.
_COLOUR_SCALE = np.repeat(
    np.concatenate([np.full(g * g, g * g / (_S * _S)) for g in _PYRAMID]), _HUE_BINS + _GREY_BINS
)


def _mirror_permutation() -> np.ndarray:
    """Index map P with describe(mirror(img)) == describe(img)[P]: cells mirror, orientations reverse."""

    def grid(g: int, per_cell: int, bin_map: np.ndarray) -> list[np.ndarray]:
        rr, cc, bb = np.meshgrid(np.arange(g), np.arange(g), np.arange(per_cell), indexing="ij")
        return [((rr * g + (g - 1 - cc)) * per_cell + bin_map[bb]).ravel()]

    parts: list[np.ndarray] = []
    offset = 0
    blocks: list[list[np.ndarray]] = [
        grid(8, 1, np.zeros(1, np.int64)),
        [ch * 16 + grid(4, 1, np.zeros(1, np.int64))[0] for ch in range(2)],
        [],
        [],
    ]
    nb = _HUE_BINS + _GREY_BINS
    level = 0
    for g in _PYRAMID:
        blocks[2].append(level * nb + grid(g, nb, np.arange(nb))[0])
        level += g * g
    level = 0
    for g in _EDGE_GRIDS:
        blocks[3].append(
            level * _ORIENT_BINS + grid(g, _ORIENT_BINS, (_ORIENT_BINS - 1 - np.arange(_ORIENT_BINS)))[0]
        )
        level += g * g
    for block in blocks:
        idx = np.concatenate(block)
        parts.append(offset + idx)
        offset += idx.size
    return np.concatenate(parts)


_MIRROR = _mirror_permutation()


def _thumbnail(img: Image.Image) -> np.ndarray:
    small = prepare_image(img, _S * 2).resize((_S, _S), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


def raw_descriptor(img: Image.Image) -> np.ndarray:
    """Mirror-invariant, unwhitened descriptor of one image (float32, unit length)."""
    d = _describe(_thumbnail(img))
    dm = d[_MIRROR]  # the mirror image's descriptor, without computing it
    return l2_normalize(np.concatenate([d + dm, _ANTI_WEIGHT * np.abs(d - dm)]))


RAW_DIM = int(raw_descriptor(Image.new("RGB", (_S, _S))).shape[0])


def colour_histogram(img: Image.Image, bins: int = 8) -> np.ndarray:
    """Baseline: a global RGB histogram (bins³), L2-normalised; used by the benchmark for comparison."""
    rgb = np.asarray(prepare_image(img, _S * 2).resize((_S, _S), Image.Resampling.BOX), np.uint8)
    q = (rgb.astype(np.int64) * bins) // 256
    idx = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    return l2_normalize(np.bincount(idx.ravel(), minlength=bins**3).astype(np.float32))


class BuiltinEmbedder:
    """The default embedder: no weights, ≈ 1 ms of CPU per decoded image; whitened once a fit exists."""

    def __init__(self, whitening: Whitening | None = None) -> None:
        if whitening is not None and whitening.input_dim != RAW_DIM:
            raise InvalidInput(f"whitening expects width {whitening.input_dim}, builtin-v1 gives {RAW_DIM}")
        self.whitening = whitening

    @property
    def model_id(self) -> str:
        if self.whitening is None:
            return BUILTIN_MODEL_ID
        tag = "L" if self.whitening.kind == "learned" else "P"
        return f"{BUILTIN_MODEL_ID}-{tag}{self.whitening.fingerprint}"

    @property
    def dim(self) -> int:
        return RAW_DIM if self.whitening is None else self.whitening.dim

    @staticmethod
    def fit(images: Sequence[Image.Image], *, dim: int = 256, seed: int = 0) -> Whitening:
        """Learn a whitening from a sample of the corpus and one random edit of each image.

        A few hundred to a few thousand images are enough (≈ 4 ms each); the result is saved with
        `Whitening.save` and passed to `BuiltinEmbedder(whitening)`. The model id changes with the
        whitening, so stored vectors must be recomputed (`whitening.apply` on kept `embed_raw` output,
        or a re-embed).
        """
        if len(images) < 2:
            raise InvalidInput("fitting a whitening needs at least 2 images")
        rng = np.random.default_rng(seed)
        originals = [prepare_image(im, _S * 4) for im in images]
        raw = np.stack([raw_descriptor(im) for im in originals])
        edited = np.stack([raw_descriptor(random_edit(im, rng)) for im in originals])
        return fit_whitening(raw, model_id=BUILTIN_MODEL_ID, dim=dim, positives=(raw, edited))

    def embed_raw(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Unwhitened descriptors (n, RAW_DIM): what `fit_whitening` is fitted on."""
        if not images:
            return np.zeros((0, RAW_DIM), np.float32)
        return np.stack([raw_descriptor(im) for im in images]).astype(np.float32)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Descriptors (n, dim), whitened if a whitening is set, unit length."""
        raw = self.embed_raw(images)
        if self.whitening is None or raw.shape[0] == 0:
            return raw if self.whitening is None else np.zeros((0, self.dim), np.float32)
        return self.whitening.apply(raw)
