"""Procedural flat graphics (shapes, text cards, logos, posters, screenshots) for the duplicate benchmark.

Flat designs are where perceptual hashes and global descriptors fail: most of the picture is one plain
colour, so two different graphics share most of their hash bits and most of their descriptor. Every graphic
comes from a *template* (background, layout, palette) filled with *content* (words, shape kinds, colours,
positions). Siblings of one template are different pictures with a near-identical layout: the hard negatives
a duplicate rule must keep apart. Shared by tests/visual and bench/visual.py; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pinhaven.search.visual.synthetic import TRANSFORMS

__all__ = ["GRAPHIC_KINDS", "GRAPHIC_TRANSFORMS", "graphic_family", "graphic_image"]

GRAPHIC_KINDS = ("shapes", "card", "logo", "poster", "screen")
# The copies a flat graphic really gets: re-encoded, resized, cropped, flipped, brightened, slightly rotated.
# A text band over the picture is left out: for a text card it is a different card (a hard negative below).
GRAPHIC_TRANSFORMS = tuple(t for t in TRANSFORMS if t != "text")

_WORDS = (
    "sale",
    "hello",
    "bloom",
    "north",
    "cafe",
    "yoga",
    "studio",
    "launch",
    "merci",
    "ocean",
    "pixel",
    "maple",
    "sunday",
    "vinyl",
    "lemon",
    "orbit",
    "tiger",
    "cloud",
    "bakery",
    "garden",
)
_FLAT = (
    (245, 245, 240),
    (255, 255, 255),
    (20, 24, 32),
    (250, 228, 214),
    (222, 236, 250),
    (235, 245, 225),
    (40, 60, 110),
    (250, 210, 60),
    (200, 40, 60),
    (60, 160, 120),
)
_INK = (
    (230, 57, 70),
    (29, 53, 87),
    (69, 123, 157),
    (244, 162, 97),
    (42, 157, 143),
    (233, 196, 106),
    (38, 70, 83),
    (131, 56, 236),
    (255, 0, 110),
    (58, 134, 255),
    (0, 0, 0),
    (255, 255, 255),
)


@dataclass(frozen=True)
class _Template:
    kind: str
    width: int
    height: int
    background: tuple[int, int, int]
    seed: int  # layout randomness: positions, sizes, palette order


def _colour(rng: np.random.Generator, avoid: tuple[int, int, int]) -> tuple[int, int, int]:
    """An ink colour that stands out from the background (not a near-invisible shape)."""
    while True:
        c = _INK[int(rng.integers(len(_INK)))]
        if sum(abs(a - b) for a, b in zip(c, avoid, strict=True)) > 150:
            return c


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _shape(
    draw: ImageDraw.ImageDraw, kind: int, box: tuple[int, int, int, int], fill: tuple[int, ...]
) -> None:
    x0, y0, x1, y1 = box
    if kind == 0:
        draw.rectangle(box, fill=fill)
    elif kind == 1:
        draw.ellipse(box, fill=fill)
    elif kind == 2:
        draw.polygon([((x0 + x1) // 2, y0), (x1, y1), (x0, y1)], fill=fill)
    elif kind == 3:
        draw.rounded_rectangle(box, radius=max(2, (x1 - x0) // 5), fill=fill)
    else:  # a ring
        draw.ellipse(box, outline=fill, width=max(3, (x1 - x0) // 8))


def _render(t: _Template, content: int) -> Image.Image:
    """Draw template `t` with content variant `content` (different words, shapes, colours, positions)."""
    layout = np.random.default_rng(t.seed)  # the same for every sibling
    fill = np.random.default_rng(t.seed * 7919 + content + 1)  # what differs between siblings
    w, h = t.width, t.height
    img = Image.new("RGB", (w, h), t.background)
    draw = ImageDraw.Draw(img)
    if t.kind == "shapes":  # a few flat shapes on a plain background: slots fixed, content varies
        for _ in range(int(layout.integers(2, 5))):
            cx, cy = layout.uniform(0.15, 0.85) * w, layout.uniform(0.15, 0.85) * h
            r = layout.uniform(0.08, 0.22) * w
            cx += fill.uniform(-0.12, 0.12) * w  # content moves within its slot
            cy += fill.uniform(-0.12, 0.12) * h
            box = (int(cx - r), int(cy - r), int(cx + r), int(cy + r))
            _shape(draw, int(fill.integers(5)), box, _colour(fill, t.background))
    elif t.kind == "card":  # one or two big words on a plain card with a rule
        ink = _colour(layout, t.background)
        y = int(layout.uniform(0.3, 0.55) * h)
        words = " ".join(fill.choice(_WORDS, size=int(fill.integers(1, 3))))
        draw.text((w // 10, y), words.upper(), fill=ink, font=_font(h // 7))
        draw.rectangle(
            (w // 10, y - h // 20, w // 10 + w // 3, y - h // 28), fill=_colour(fill, t.background)
        )
    elif t.kind == "logo":  # a centred mark (shape + initials) and a wordmark below
        r = int(layout.uniform(0.18, 0.3) * w)
        cx, cy = w // 2, int(h * 0.42)
        mark = _colour(fill, t.background)
        _shape(draw, int(fill.integers(4)), (cx - r, cy - r, cx + r, cy + r), mark)
        letters = "".join(fill.choice(list("ABCDEFGHKMNPRSTVWXZ"), size=2))
        draw.text((cx - r // 2, cy - r // 2), letters, fill=t.background, font=_font(r))
        draw.text((w // 4, int(h * 0.75)), str(fill.choice(_WORDS)).upper(), fill=mark, font=_font(h // 12))
    elif t.kind == "poster":  # header band, title, a hero shape, footer line
        band = _colour(layout, t.background)
        draw.rectangle((0, 0, w, int(h * 0.18)), fill=band)
        title = " ".join(fill.choice(_WORDS, size=2)).upper()
        draw.text((w // 12, int(h * 0.24)), title, fill=_colour(fill, t.background), font=_font(h // 10))
        r = int(w * 0.22)
        cx, cy = int(fill.uniform(0.3, 0.7) * w), int(h * 0.6)
        _shape(draw, int(fill.integers(5)), (cx - r, cy - r, cx + r, cy + r), _colour(fill, t.background))
        draw.text((w // 12, int(h * 0.88)), str(fill.choice(_WORDS)), fill=band, font=_font(h // 20))
    else:  # "screen": a UI screenshot: top bar, sidebar, cards with text lines, a button
        bar = _colour(layout, t.background)
        draw.rectangle((0, 0, w, h // 12), fill=bar)
        draw.rectangle((0, h // 12, w // 5, h), fill=tuple(max(0, c - 25) for c in t.background))
        cols = int(layout.integers(2, 4))
        for k in range(cols * 2):
            x0 = w // 5 + 10 + (k % cols) * (w * 4 // 5 - 10) // cols
            y0 = h // 12 + 12 + (k // cols) * h // 3
            x1, y1 = x0 + (w * 4 // 5) // cols - 20, y0 + h // 3 - 20
            draw.rectangle((x0, y0, x1, y1), outline=(180, 180, 180), width=2)
            if fill.random() < 0.7:  # card content: a picture block or text lines
                draw.rectangle(
                    (x0 + 6, y0 + 6, x1 - 6, y0 + (y1 - y0) // 2), fill=_colour(fill, t.background)
                )
            word = str(fill.choice(_WORDS))
            draw.text((x0 + 8, y1 - (y1 - y0) // 3), word, fill=(40, 40, 40), font=_font(h // 28))
        bx = int(fill.uniform(0.3, 0.8) * w)
        draw.rounded_rectangle((bx, h - h // 10, bx + w // 6, h - h // 30), radius=8, fill=bar)
    return img


def _template(seed: int, width: int) -> _Template:
    rng = np.random.default_rng(seed)
    kind = GRAPHIC_KINDS[int(rng.integers(len(GRAPHIC_KINDS)))]
    height = round(width * float(rng.choice((0.75, 1.0, 1.25, 1.5))))
    background = _FLAT[int(rng.integers(len(_FLAT)))]
    return _Template(kind, width, height, background, seed)


def graphic_image(seed: int, content: int = 0, width: int = 736) -> Image.Image:
    """One flat graphic: template `seed` filled with content variant `content`."""
    return _render(_template(seed, width), content)


def graphic_family(seed: int, size: int, width: int = 736) -> list[Image.Image]:
    """`size` different graphics sharing one template (the same layout and background, other content)."""
    template = _template(seed, width)
    return [_render(template, c) for c in range(size)]
