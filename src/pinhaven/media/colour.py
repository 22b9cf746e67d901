"""Dominant colour and a small palette, from a small thumbnail (median cut over the opaque pixels)."""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["analyse", "dominant_color", "palette"]

PALETTE_SIZE = 6
_SAMPLE_SIDE = 64  # pixels per side the analysis looks at: plenty for colour, sub-millisecond
_MERGE_DISTANCE = 24  # RGB distance under which two palette entries count as one colour


def _opaque_pixels(image: Image.Image) -> np.ndarray:
    """(N, 3) uint8 array of the sample's pixels, transparent ones left out."""
    sample = image
    if max(image.size) > _SAMPLE_SIDE:
        sample = image.copy()
        sample.thumbnail((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX)
    if sample.mode not in ("RGB", "RGBA"):
        sample = sample.convert(
            "RGBA" if "A" in sample.getbands() or "transparency" in sample.info else "RGB"
        )
    pixels = np.asarray(sample).reshape(-1, len(sample.getbands()))
    if pixels.shape[1] == 4:
        opaque = pixels[pixels[:, 3] >= 128, :3]
        # A (nearly) fully transparent image: judge it by its colours anyway.
        pixels = opaque if len(opaque) else pixels[:, :3]
    return np.ascontiguousarray(pixels[:, :3], dtype=np.uint8)


def analyse(image: Image.Image, *, size: int = PALETTE_SIZE) -> tuple[str, list[str]]:
    """(dominant colour, palette), as `#RRGGBB` strings; the palette is ordered by coverage."""
    pixels = _opaque_pixels(image)
    strip = Image.fromarray(pixels.reshape(1, -1, 3), "RGB")
    quantised = strip.quantize(colors=max(size * 2, 8), method=Image.Quantize.MEDIANCUT)
    raw: list[int] = quantised.getpalette() or []
    counts = sorted(quantised.getcolors() or [], reverse=True)
    chosen: list[tuple[int, int, int]] = []
    for _count, entry in counts:
        index = int(entry)  # type: ignore[call-overload]  # a palette index for "P" images
        rgb = (raw[index * 3], raw[index * 3 + 1], raw[index * 3 + 2])
        if all(sum((a - b) ** 2 for a, b in zip(rgb, c, strict=True)) > _MERGE_DISTANCE**2 for c in chosen):
            chosen.append(rgb)
        if len(chosen) == size:
            break
    hexes = [f"#{r:02X}{g:02X}{b:02X}" for r, g, b in chosen] or ["#FFFFFF"]
    return hexes[0], hexes


def dominant_color(image: Image.Image) -> str:
    """The colour covering most of the image, as `#RRGGBB`."""
    return analyse(image)[0]


def palette(image: Image.Image, *, size: int = PALETTE_SIZE) -> list[str]:
    """Up to `size` distinct colours, most common first, as `#RRGGBB`."""
    return analyse(image, size=size)[1]
