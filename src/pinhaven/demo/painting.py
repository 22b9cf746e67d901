"""Drawing helpers the demo's theme painters share: colours, gradients, soft shadows, organic shapes.

Every painter draws on a `Canvas` in its own pixel space (`canvas.w` × `canvas.h`, which may be a
supersampled multiple of the final size) and expresses geometry as fractions of it, so the same scene
renders at any size. All randomness comes from the `random.Random` the caller passes in.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
Point = tuple[float, float]

__all__ = [
    "RGB",
    "Canvas",
    "Point",
    "blob",
    "gingham",
    "hexrgb",
    "leaf",
    "mix",
    "ridge",
    "rotate",
    "shade",
    "vary",
]


def hexrgb(value: str) -> RGB:
    """'#A1B2C3' → (161, 178, 195)."""
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from `a` (t=0) to `b` (t=1)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def shade(colour: RGB, amount: float) -> RGB:
    """Darker for amount < 0 (towards black), lighter for amount > 0 (towards white)."""
    return mix(colour, (0, 0, 0), -amount) if amount < 0 else mix(colour, (255, 255, 255), amount)


def vary(rng: random.Random, colour: RGB, spread: int = 12) -> RGB:
    """`colour` nudged a little, so repeated elements are not identical."""
    return (
        max(0, min(255, colour[0] + rng.randint(-spread, spread))),
        max(0, min(255, colour[1] + rng.randint(-spread, spread))),
        max(0, min(255, colour[2] + rng.randint(-spread, spread))),
    )


def rotate(points: Sequence[Point], angle: float, centre: Point) -> list[Point]:
    """Points turned by `angle` radians around `centre`."""
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = centre
    return [(cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in points]


def leaf(base: Point, length: float, width: float, angle: float, *, roundness: float = 0.8) -> list[Point]:
    """A leaf or petal outline from `base` pointing along `angle` (radians; 0 = right)."""
    side_a: list[Point] = []
    side_b: list[Point] = []
    steps = 14
    for i in range(steps + 1):
        t = i / steps
        half = width / 2 * math.sin(math.pi * t) ** roundness * (1 - 0.25 * t)
        side_a.append((base[0] + length * t, base[1] - half))
        side_b.append((base[0] + length * t, base[1] + half))
    return rotate(side_a + side_b[::-1], angle, base)


def blob(
    rng: random.Random, centre: Point, radius: float, *, wobble: float = 0.25, lobes: int = 3
) -> list[Point]:
    """A smooth irregular closed shape (cut-paper blobs, bushes, stones)."""
    phases = np.array([rng.uniform(0, math.tau) for _ in range(lobes)])
    weights = np.array([rng.uniform(0.3, 1.0) * wobble / (k + 1) for k in range(lobes)])
    angles = np.linspace(0, math.tau, 40, endpoint=False)
    harmonics = np.arange(2, lobes + 2)[:, None]
    r = radius * (1 + (weights[:, None] * np.sin(harmonics * angles + phases[:, None])).sum(axis=0))
    xs, ys = centre[0] + r * np.cos(angles), centre[1] + r * np.sin(angles)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def ridge(
    rng: random.Random, width: float, base_y: float, amplitude: float, *, roughness: float = 0.55
) -> list[Point]:
    """A mountain or hill skyline: points from x=0 to x=width by midpoint displacement."""
    heights = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
    spread = 1.0
    for _ in range(6):
        refined: list[float] = []
        for a, b in itertools.pairwise(heights):
            refined += [a, (a + b) / 2 + rng.uniform(-spread, spread)]
        heights = [*refined, heights[-1]]
        spread *= roughness
    peak = max(abs(h) for h in heights) or 1.0
    step = width / (len(heights) - 1)
    return [(i * step, base_y - amplitude * h / peak) for i, h in enumerate(heights)]


def gingham(pen: ImageDraw.ImageDraw, size: tuple[int, int], cell: int, light: RGB, dark: RGB) -> None:
    """A gingham check over `size`: half-tone stripes both ways, full tone where they cross."""
    half = mix(light, dark, 0.45)
    pen.rectangle((0, 0, size[0], size[1]), fill=light)
    for x in range(0, size[0], cell * 2):
        pen.rectangle((x, 0, x + cell - 1, size[1]), fill=half)
    for y in range(0, size[1], cell * 2):
        pen.rectangle((0, y, size[0], y + cell - 1), fill=half)
        for x in range(0, size[0], cell * 2):
            pen.rectangle((x, y, x + cell - 1, y + cell - 1), fill=dark)


def _outline(kind: str, geometry: Sequence[float] | Sequence[Point]) -> list[Point]:
    """A shape as a polygon: 'poly' points as given, 'rect' and 'ellipse' from (x0, y0, x1, y1)."""
    if kind == "poly":
        return [(float(x), float(y)) for x, y in geometry]  # type: ignore[misc]
    x0, y0, x1, y1 = (float(v) for v in geometry)  # type: ignore[arg-type]
    if kind == "rect":
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in (math.tau * i / 32 for i in range(32))]


class Canvas:
    """An RGB image plus a draw handle, with a soft-shadow layer and helpers for gradients."""

    def __init__(self, width: int, height: int, background: RGB = (255, 255, 255)) -> None:
        self.w, self.h = width, height
        self.image = Image.new("RGB", (width, height), background)
        self.draw = ImageDraw.Draw(self.image)

    def unit(self, fraction: float) -> float:
        """A length as a fraction of the shorter side (stroke widths, radii)."""
        return fraction * min(self.w, self.h)

    def vertical_gradient(
        self, stops: Sequence[tuple[float, RGB]], box: tuple[int, int, int, int] | None = None
    ) -> None:
        """Fill `box` (default: everything) with colours interpolated between (position, colour) stops."""
        x0, y0, x1, y1 = box or (0, 0, self.w, self.h)
        rows = max(1, y1 - y0)
        t = np.linspace(0.0, 1.0, rows)
        positions = [p for p, _ in stops]
        column = np.stack([np.interp(t, positions, [c[k] for _, c in stops]) for k in range(3)], axis=1)
        strip = Image.fromarray(np.ascontiguousarray(column.round().astype(np.uint8)[:, None, :]))
        self.image.paste(strip.resize((max(1, x1 - x0), rows), Image.Resampling.NEAREST), (x0, y0))

    def radial_glow(self, centre: Point, radius: float, colour: RGB, strength: float = 0.8) -> None:
        """Light bleeding out of a point (sun, lamp, fire): composited through a soft round mask."""
        box = self._clip((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius))
        if box is None:
            return
        x0, y0, x1, y1 = box
        small = 8
        sw, sh = max(2, (x1 - x0) // small), max(2, (y1 - y0) // small)
        ys = (np.arange(sh) + 0.5) * (y1 - y0) / sh + y0 - centre[1]
        xs = (np.arange(sw) + 0.5) * (x1 - x0) / sw + x0 - centre[0]
        dist = np.hypot(xs[None, :], ys[:, None]) / max(1.0, radius)
        alpha = np.clip(1.0 - dist, 0.0, 1.0) ** 2 * strength * 255
        mask = Image.fromarray(alpha.astype(np.uint8)).resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
        self.image.paste(colour, (x0, y0, x1, y1), mask)

    def shadows(
        self,
        shapes: Sequence[tuple[str, Sequence[float] | Sequence[Point]]],
        *,
        softness: float = 0.02,
        opacity: float = 0.28,
        colour: RGB = (40, 30, 25),
    ) -> None:
        """Soft drop shadows of ('ellipse' | 'rect' | 'poly', geometry) shapes, blurred at low resolution."""
        blur = softness * min(self.w, self.h)
        for kind, geometry in shapes:  # one small region each: blending costs per pixel covered
            points = _outline(kind, geometry)
            xs, ys = [x for x, _ in points], [y for _, y in points]
            box = self._clip((min(xs) - 3 * blur, min(ys) - 3 * blur, max(xs) + 3 * blur, max(ys) + 3 * blur))
            if box is None:
                continue
            x0, y0, x1, y1 = box
            small = 6
            mask = Image.new("L", (max(2, (x1 - x0) // small), max(2, (y1 - y0) // small)), 0)
            scaled = [((x - x0) / small, (y - y0) / small) for x, y in points]
            ImageDraw.Draw(mask).polygon(scaled, fill=round(255 * opacity))
            mask = mask.filter(ImageFilter.GaussianBlur(max(0.5, blur / small)))
            self.image.paste(
                colour, (x0, y0, x1, y1), mask.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
            )

    def _clip(self, box: tuple[float, float, float, float]) -> tuple[int, int, int, int] | None:
        x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
        x1, y1 = min(self.w, int(box[2]) + 1), min(self.h, int(box[3]) + 1)
        return (x0, y0, x1, y1) if x1 - x0 > 2 and y1 - y0 > 2 else None
