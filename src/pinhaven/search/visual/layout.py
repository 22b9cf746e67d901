"""Texture and colour layout: the second opinion the duplicate rule asks for on flat graphics.

Perceptual hashes and the global descriptor both summarise an image; on a flat graphic (a few shapes, a
word or two on a plain background) most of that summary is the background, so two different graphics on
the same background look alike to both. Two things fix that:

  * `flatness`: the share of a 64 px thumbnail that is locally flat. Photographs sit far below FLAT_FROM,
    flat designs, logos, posters and screenshots far above; it decides which duplicate rule applies.
  * `layout_mismatch`: the two thumbnails compared pixel by pixel after the best alignment (mirror, crop
    window, shift), tolerant to re-encoding, resizing and brightness: the share of the picture whose
    colour differs. A different word, shape or colour on the same template leaves a large share; a
    re-encoded, resized, cropped or mirrored copy almost none.

A layout is a 64×64 RGB thumbnail (12 KiB), stored only for flat images (see `keeps_layout`).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pinhaven.search.visual.embedder import prepare_image

__all__ = [
    "FLAT_FROM",
    "KEEP_LAYOUT_FROM",
    "LAYOUT_SIZE",
    "decode_layout",
    "encode_layout",
    "flatness",
    "image_layout",
    "keeps_layout",
    "layout_mismatch",
]

LAYOUT_SIZE = 64
_WORK = 64  # flatness is measured at this size
_FLAT_STEP = 4.0 / 255.0  # neighbours closer than this (every channel) count as flat
FLAT_FROM = 0.8  # flatness at or above: a flat graphic (the strict rule applies)
# Layouts are kept a little below FLAT_FROM: a copy's flatness moves a few points (JPEG ringing, resampling),
# and a flat query needs the layout of its copies even when they fell just under the line.
KEEP_LAYOUT_FROM = 0.70
_COLOUR_TOLERANCE = 0.2  # per-pixel colour distance (0..√3) below which two pixels are "the same colour"
_SLACK = 0  # pixels an edge may move between the aligned layouts
_SCALES = (1.0, 0.95, 0.9, 0.85)  # crop windows tried: up to 15 % cut from each dimension


def _thumb(img: Image.Image, size: int) -> np.ndarray:
    small = prepare_image(img, 64)
    return np.asarray(small.resize((size, size), Image.Resampling.BOX), np.float32) / 255.0


def flatness(img: Image.Image) -> float:
    """Share of the 64 px thumbnail's neighbouring pixel pairs that are the same colour (0..1)."""
    return flatness_of(_thumb(img, _WORK))


def flatness_of(rgb: np.ndarray) -> float:
    dx = np.abs(np.diff(rgb, axis=1)).max(axis=-1)
    dy = np.abs(np.diff(rgb, axis=0)).max(axis=-1)
    return float((np.mean(dx < _FLAT_STEP) + np.mean(dy < _FLAT_STEP)) / 2.0)


def image_layout(img: Image.Image) -> tuple[float, np.ndarray]:
    """(flatness, 64×64×3 uint8 layout thumbnail) of one image, from one shrink."""
    work = _thumb(img, _WORK)
    small = work
    return flatness_of(work), np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)


def keeps_layout(flat: float) -> bool:
    """Whether an image of this flatness stores its layout (only flat-ish images need one)."""
    return flat >= KEEP_LAYOUT_FROM


def encode_layout(layout: np.ndarray) -> bytes:
    return np.ascontiguousarray(layout, np.uint8).tobytes()


def decode_layout(blob: bytes | None) -> np.ndarray | None:
    if blob is None or len(blob) != LAYOUT_SIZE * LAYOUT_SIZE * 3:
        return None
    return np.frombuffer(blob, np.uint8).reshape(LAYOUT_SIZE, LAYOUT_SIZE, 3)


def _normalised(layout: np.ndarray) -> np.ndarray:
    """Float RGB with the overall brightness divided out (a brightened copy keeps its colours' ratios)."""
    x = layout.astype(np.float32) / 255.0
    return x / max(float(x.mean()), 0.05) * 0.5


def _shrink(x: np.ndarray, size: int) -> np.ndarray:
    f = x.shape[0] // size
    return x.reshape(size, f, size, f, 3).mean(axis=(1, 3))


def _windows() -> np.ndarray:
    """Every crop window tried, as (scale, top, left) in units of the image side."""
    out = []
    for s in _SCALES:
        steps = np.linspace(0.0, 1.0 - s, max(1, round((1.0 - s) * 20) + 1))
        out += [(s, oy, ox) for oy in steps for ox in steps]
    return np.array(out, np.float32)


_WINDOWS = _windows()


def _grids(windows: np.ndarray, size: int) -> np.ndarray:
    """Sampling coordinates (n, size, size, 2) of windows, in pixels of a size×size image."""
    base = (np.arange(size, dtype=np.float32) + 0.5) / size
    s, oy, ox = windows[:, 0, None], windows[:, 1, None], windows[:, 2, None]
    ys = (oy + s * base[None]) * size - 0.5
    xs = (ox + s * base[None]) * size - 0.5
    grid_y = np.broadcast_to(ys[:, :, None], (len(windows), size, size))
    grid_x = np.broadcast_to(xs[:, None, :], (len(windows), size, size))
    return np.stack([grid_y, grid_x], axis=-1)


_COARSE = 16
_COARSE_GRIDS = _grids(_WINDOWS, _COARSE)


def _sample(img: np.ndarray, grids: np.ndarray) -> np.ndarray:
    """Bilinear samples of img (H, W, 3) at grids (n, h, w, 2) → (n, h, w, 3)."""
    h, w = img.shape[:2]
    y = np.clip(grids[..., 0], 0, h - 1)
    x = np.clip(grids[..., 1], 0, w - 1)
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (y - y0)[..., None], (x - x0)[..., None]
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def _tolerant_mismatch(window: np.ndarray, b: np.ndarray) -> float:
    """Share of b's pixels with no pixel of the same colour within one pixel in the aligned window of a."""
    size = b.shape[0]
    pad = np.pad(window, ((_SLACK, _SLACK), (_SLACK, _SLACK), (0, 0)), mode="edge")
    best = np.full((size, size), np.inf, np.float32)
    for dy in range(2 * _SLACK + 1):  # slack: resampling and small rotations move edges a little
        for dx in range(2 * _SLACK + 1):
            diff = pad[dy : dy + size, dx : dx + size] - b
            best = np.minimum(best, np.einsum("ijk,ijk->ij", diff, diff))
    return float(np.mean(best > _COLOUR_TOLERANCE**2))


def layout_mismatch(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the picture whose colour differs between two layouts under the best alignment (0..1).

    Tried: either image as the cropped one, mirrored or not, crop windows down to 85 % of each side. The
    alignment is chosen on 16 px thumbnails (mean colour difference), the few best are scored in full.
    """
    na, nb = _normalised(a), _normalised(b)
    candidates: list[tuple[float, np.ndarray, np.ndarray, int]] = []
    for first, second in ((na, nb), (nb, na)):
        for mirrored in (False, True):
            src = first[:, ::-1] if mirrored else first
            coarse_src, coarse_dst = _shrink(src, _COARSE), _shrink(second, _COARSE)
            windows = _sample(coarse_src, _COARSE_GRIDS)
            cost = np.abs(windows - coarse_dst[None]).mean(axis=(1, 2, 3))
            for k in np.argsort(cost)[:2]:
                candidates.append((float(cost[k]), src, second, int(k)))
    candidates.sort(key=lambda c: c[0])
    best = 1.0
    for _, src, dst, k in candidates[:4]:
        window = _sample(src, _grids(_WINDOWS[k : k + 1], dst.shape[0]))[0]
        best = min(best, _tolerant_mismatch(window, dst))
    return best
