"""Procedural test images and the copy transforms the duplicate and retrieval benchmarks use.

Shared by tests/visual and bench/visual.py so both measure the same thing; no files are downloaded.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

__all__ = ["TRANSFORMS", "apply_transform", "base_image", "base_images", "jpeg_bytes"]

_WORDS = [
    "autumn",
    "garden",
    "recipe",
    "linen",
    "coast",
    "studio",
    "morning",
    "vintage",
    "cabin",
    "copper",
    "harbor",
    "meadow",
    "velvet",
    "summer",
    "pastel",
    "market",
    "ceramic",
    "journal",
    "bloom",
    "forest",
    "marble",
    "citrus",
    "canvas",
    "atlas",
    "ember",
    "willow",
]
_HEIGHTS = (552, 736, 920, 1104)


def _palette(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random colours with a random overall mood (muted, vivid, dark, light)."""
    mood = rng.integers(4)
    base = rng.random((n, 3))
    if mood == 0:  # muted
        base = 0.35 + 0.4 * base
    elif mood == 1:  # vivid: push one channel down
        base[np.arange(n), rng.integers(3, size=n)] *= 0.2
    elif mood == 2:  # dark
        base *= 0.55
    else:  # light
        base = 0.55 + 0.45 * base
    return np.asarray(base * 255.0, dtype=np.float32)


def _fractal_noise(rng: np.random.Generator, w: int, h: int, octaves: int = 5) -> np.ndarray:
    """Smooth multi-octave value noise in [0, 1], shape (h, w)."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = 2 ** (o + 1)
        grid = Image.fromarray(rng.random((cells + 1, cells + 1), dtype=np.float32), mode="F")
        out += amp * np.asarray(grid.resize((w, h), Image.Resampling.BICUBIC), np.float32)
        total += amp
        amp *= 0.55
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _colormap(t: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Map t in [0, 1] through a piecewise-linear ramp of colours."""
    stops = np.linspace(0.0, 1.0, len(colours))
    return np.stack([np.interp(t, stops, colours[:, c]) for c in range(3)], axis=-1)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    kind = rng.integers(5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    colours = _palette(rng, int(rng.integers(2, 5)))
    if kind == 0:  # linear gradient at a random angle
        a = rng.uniform(0, 2 * math.pi)
        t = xx * math.cos(a) + yy * math.sin(a)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    elif kind == 1:  # radial gradient from a random centre
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        t = np.hypot(xx - cx, yy - cy)
        t /= max(float(t.max()), 1.0)
    elif kind == 2:  # clouds / landscape
        t = _fractal_noise(rng, w, h)
    elif kind == 3:  # periodic texture: stripes or rings
        f = rng.uniform(4, 40) * 2 * math.pi / max(w, h)
        a = rng.uniform(0, math.pi)
        t = 0.5 + 0.5 * np.sin(f * (xx * math.cos(a) + yy * math.sin(a)))
    else:  # checker/tiles blended with noise
        s = int(rng.integers(24, 160))
        t = ((xx // s + yy // s) % 2) * 0.7 + 0.3 * _fractal_noise(rng, w, h, 3)
    return _colormap(t, colours)


def _draw_layers(rng: np.random.Generator, img: Image.Image) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    for _ in range(int(rng.integers(2, 9))):
        colour = (*(int(c) for c in _palette(rng, 1)[0]), int(rng.integers(120, 256)))
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 10, int(w / 1.5))), y0 + int(rng.integers(h // 10, int(h / 1.5)))
        shape = rng.integers(5)
        if shape == 0:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif shape == 1:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == 2:
            pts = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(int(rng.integers(3, 7)))]
            draw.polygon(pts, fill=colour)
        elif shape == 3:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(3, 40)))
        else:
            font = ImageFont.load_default(size=int(rng.integers(h // 30, h // 7)))
            text = " ".join(rng.choice(_WORDS, size=int(rng.integers(1, 4))))
            draw.text((x0 % w, y0 % h), text, fill=colour, font=font)


def base_image(seed: int, width: int = 736) -> Image.Image:
    """One synthetic 'pin' image: a background plus shapes, texture and text, deterministic per seed."""
    rng = np.random.default_rng(seed)
    h = round(int(rng.choice(_HEIGHTS)) * width / 736)
    arr = _background(rng, width, h)
    if rng.random() < 0.5:  # add a second, masked background for more structure
        mask = _fractal_noise(rng, width, h, 3)[..., None] > rng.uniform(0.3, 0.7)
        arr = np.where(mask, _background(rng, width, h), arr)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    _draw_layers(rng, img)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.5))))
    grain = rng.normal(0.0, rng.uniform(0.0, 6.0), (h, width, 1)).astype(np.float32)
    arr = np.asarray(img, np.float32) + grain
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def base_images(n: int, *, seed: int = 0, width: int = 736) -> list[Image.Image]:
    """n distinct synthetic images."""
    return [base_image(seed * 1_000_003 + i, width) for i in range(n)]


def jpeg_bytes(img: Image.Image, quality: int = 90) -> bytes:
    """Encode as JPEG, as a pin's stored variant would be."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _resize50(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return img.resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS)


def _jpeg30(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes(img, 30))).convert("RGB")


def _crop10(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    # remove 10% of each dimension, split unevenly between the two sides
    dx, dy = int(img.width * 0.1), int(img.height * 0.1)
    left, top = int(rng.integers(0, dx + 1)), int(rng.integers(0, dy + 1))
    return img.crop((left, top, left + img.width - dx, top + img.height - dy))


def _brightness(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(1.2 if rng.random() < 0.5 else 0.8)


def _flip(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _rotate5(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    # rotation about the centre, same canvas, black corners (what a careless re-upload looks like)
    return img.rotate(5.0 if rng.random() < 0.5 else -5.0, resample=Image.Resampling.BICUBIC)


def _text_overlay(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    out = img.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    size = max(12, out.height // 12)
    font = ImageFont.load_default(size=size)
    text = " ".join(rng.choice(_WORDS, size=3)).upper()
    y = int(rng.uniform(0.05, 0.8) * out.height)
    draw.rectangle((0, y - size // 4, out.width, y + size + size // 4), fill=(0, 0, 0, 110))
    draw.text((int(out.width * 0.05), y), text, fill=(255, 255, 255, 255), font=font)
    return out


TRANSFORMS: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "resize50": _resize50,
    "jpeg30": _jpeg30,
    "crop10": _crop10,
    "bright20": _brightness,
    "hflip": _flip,
    "rotate5": _rotate5,
    "text": _text_overlay,
}


def apply_transform(name: str, img: Image.Image, seed: int = 0) -> Image.Image:
    """Apply one named copy transform (see TRANSFORMS), deterministic per seed."""
    return TRANSFORMS[name](img, np.random.default_rng(seed))
