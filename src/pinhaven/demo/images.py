"""Procedural pin images for the demo: one recognisable visual language per theme, deterministic per seed.

`render(theme, seed)` paints a scene (food on tablecloths, gardens, travel posters, rooms, garments, abstract
art, buildings, forests) at a Pinterest-like aspect ratio and returns it as JPEG bytes with what it shows,
so the demo can write matching titles and alt text. No network, no files: only Pillow and NumPy.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from pinhaven.demo import scenes_art, scenes_fashion, scenes_food, scenes_home, scenes_nature, scenes_travel
from pinhaven.demo.painting import Canvas

__all__ = ["ASPECTS", "MOTIFS", "THEMES", "Artwork", "pick_size", "render", "render_image"]

Painter = Callable[[Canvas, random.Random, str | None], tuple[str, str]]

THEMES: dict[str, Painter] = {
    "food": scenes_food.paint,
    "gardens": scenes_nature.paint_garden,
    "travel": scenes_travel.paint_travel,
    "outdoors": scenes_nature.paint_outdoors,
    "interiors": scenes_home.paint_interior,
    "fashion": scenes_fashion.paint_fashion,
    "art": scenes_art.paint_art,
    "architecture": scenes_art.paint_architecture,
}

# What each theme can paint; a motif names the subject (a dish, a room, a style) and picks the pin's words.
MOTIFS: dict[str, tuple[str, ...]] = {
    "food": scenes_food.DISHES,
    "gardens": tuple(scenes_nature.GARDENS),
    "travel": scenes_travel.TRIPS,
    "outdoors": scenes_nature.WILDS,
    "interiors": scenes_home.ROOM_KINDS,
    "fashion": scenes_fashion.GARMENTS,
    "art": scenes_art.ART_STYLES,
    "architecture": tuple(scenes_art.BUILDINGS),
}

# (width : height, weight) — portrait-heavy, like a Pinterest grid.
ASPECTS: tuple[tuple[tuple[int, int], int], ...] = (
    ((2, 3), 40),
    ((4, 5), 16),
    ((3, 4), 14),
    ((1, 1), 12),
    ((1, 2), 8),
    ((4, 3), 6),
    ((9, 16), 4),
)
WIDTHS = (600, 640, 736)
JPEG_QUALITY = 86
# Painting at twice the size and halving smooths every edge (Pillow's shapes are not anti-aliased).
SUPERSAMPLE = 2


@dataclass(frozen=True)
class Artwork:
    """A rendered pin image and what it depicts."""

    theme: str
    motif: str  # e.g. "soup", "living room", "mondrian"
    detail: str  # a palette, surface or sky name, e.g. "sage and oak", "red gingham", "sunset"
    width: int
    height: int
    jpeg: bytes


def pick_size(rng: random.Random) -> tuple[int, int]:
    """A final (width, height) drawn from the aspect mix."""
    ((aw, ah),) = rng.choices([a for a, _ in ASPECTS], weights=[w for _, w in ASPECTS])
    width = rng.choice(WIDTHS)
    return width, round(width * ah / aw)


def render_image(
    theme: str,
    rng: random.Random,
    size: tuple[int, int],
    *,
    motif: str | None = None,
    supersample: int = SUPERSAMPLE,
) -> tuple[Image.Image, str, str]:
    """Paint one `theme` scene (of `motif`, default: any) at `size`; returns (image, motif, detail)."""
    try:
        painter = THEMES[theme]
    except KeyError:
        raise ValueError(f"unknown theme {theme!r}; known: {', '.join(THEMES)}") from None
    if motif is not None and motif not in MOTIFS[theme]:
        raise ValueError(f"{theme} has no motif {motif!r}; known: {', '.join(MOTIFS[theme])}")
    canvas = Canvas(size[0] * supersample, size[1] * supersample)
    painted, detail = painter(canvas, rng, motif)
    image = canvas.image.reduce(supersample) if supersample > 1 else canvas.image
    return image, painted, detail


def render(
    theme: str,
    seed: int | str,
    *,
    motif: str | None = None,
    size: tuple[int, int] | None = None,
    supersample: int = SUPERSAMPLE,
) -> Artwork:
    """A deterministic JPEG of `theme` (and `motif`) for `seed`: same arguments, same bytes."""
    rng = random.Random(f"pinhaven-demo:{theme}:{seed}")
    width, height = size or pick_size(rng)
    image, painted, detail = render_image(theme, rng, (width, height), motif=motif, supersample=supersample)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False, progressive=False)
    return Artwork(theme=theme, motif=painted, detail=detail, width=width, height=height, jpeg=out.getvalue())
