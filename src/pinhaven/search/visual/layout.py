"""Flatness and the stored second opinion the duplicate rule asks for on flat graphics.

Perceptual hashes and the global descriptor both summarise an image; on a flat graphic (a few shapes, a
word or two on a plain background) most of that summary is the background, so two different graphics on
the same background look alike to both. Two things fix that:

  * `flatness`: the share of a 64 px thumbnail that is locally flat. Photographs sit far below FLAT_FROM,
    flat designs, logos, posters and screenshots far above; it decides which duplicate rule applies.
  * the image's *layout*: since the structure check (structure.py) this is the table of its drawn parts
    (shapes, letters, blocks: size, place, shape, colour), computed once at embed time and compared per
    candidate pair with `structure_agreement`. It replaced a 64 px colour-thumbnail comparison, which could
    not tell text cards apart (a different word changes 1-3 % of a 64 px thumbnail, as JPEG noise does)
    and cost ≈ 30 ms per pair.

Every image stores its layout (≤ 1.5 KiB); `keeps_layout` says which ones the duplicate finder remembers
as flat-ish (their pairs get the strict rule when either side is flat). A layout stored by the older
version (a 64×64 thumbnail) decodes as None, and such a flat pair then counts only on near-identical hashes
until a reindex stores the new table.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.structure import decode_structure, encode_structure, image_structure

__all__ = [
    "FLAT_FROM",
    "KEEP_LAYOUT_FROM",
    "decode_layout",
    "encode_layout",
    "flatness",
    "image_layout",
    "keeps_layout",
]

_WORK = 64  # flatness is measured at this size
_FLAT_STEP = 4.0 / 255.0  # neighbours closer than this (every channel) count as flat
FLAT_FROM = 0.8  # flatness at or above: a flat graphic (the strict rule applies)
# Layouts are kept well below FLAT_FROM: a copy's flatness drops with JPEG noise and resampling, and a flat
# query needs the layout of its copies even when they fell under the line.
KEEP_LAYOUT_FROM = 0.5


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
    """(flatness, drawn-parts table) of one image (already shrunk by `prepare_image(img, 64)`)."""
    return flatness_of(_thumb(img, _WORK)), image_structure(img)


def keeps_layout(flat: float) -> bool:
    """Whether an image of this flatness stores its layout (only flat-ish images need one)."""
    return flat >= KEEP_LAYOUT_FROM


def encode_layout(layout: np.ndarray) -> bytes:
    return encode_structure(layout)


def decode_layout(blob: bytes | None) -> np.ndarray | None:
    return decode_structure(blob)
