"""Fashion: garments on hangers, flat-lay outfits and bags on pastel grounds, in solids and prints."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

from pinhaven.demo.painting import RGB, Canvas, Point, gingham, hexrgb, shade

PASTELS: dict[str, RGB] = {
    "blush": hexrgb("#F6D5D3"),
    "butter": hexrgb("#F8EBC0"),
    "mint": hexrgb("#D3EDE1"),
    "sky": hexrgb("#D5E5F5"),
    "lilac": hexrgb("#E3D9F2"),
    "sand": hexrgb("#EFE3D2"),
}
FABRICS: dict[str, RGB] = {
    name: hexrgb(value)
    for name, value in (
        ("tomato red", "#C0392B"),
        ("navy", "#1F3A5F"),
        ("terracotta", "#E07A5F"),
        ("slate", "#3D405B"),
        ("sage", "#81B29A"),
        ("butter yellow", "#F2CC8F"),
        ("black", "#2B2B2B"),
        ("camel", "#C9A27E"),
        ("white", "#FFFFFF"),
        ("cognac", "#9C6644"),
        ("plum", "#6D597A"),
        ("rose", "#E5989B"),
    )
}
PATTERNS = ("solid", "solid", "stripes", "polka dots", "gingham", "florals")
PATTERN_WORDS = {"stripes": "striped", "polka dots": "polka dot", "gingham": "gingham", "florals": "floral"}


def _pattern(
    kind: str, size: tuple[int, int], base: RGB, ink: RGB, rng: random.Random, unit: float
) -> Image.Image:
    image = Image.new("RGB", size, base)
    pen = ImageDraw.Draw(image)
    step = max(6, int(unit * rng.uniform(0.035, 0.06)))
    if kind == "stripes":
        for x in range(0, size[0], step * 2):
            pen.rectangle((x, 0, x + step * 0.8, size[1]), fill=ink)
    elif kind == "polka dots":
        for row, y in enumerate(range(0, size[1] + step, step * 2)):
            for x in range(step * (row % 2), size[0] + step, step * 2):
                pen.ellipse((x - step * 0.35, y - step * 0.35, x + step * 0.35, y + step * 0.35), fill=ink)
    elif kind == "gingham":
        gingham(pen, size, step, base, ink)
    elif kind == "florals":
        for y in range(0, size[1] + step, step * 2):
            for x in range(0, size[0] + step, step * 2):
                fx, fy = x + rng.uniform(-step, step) * 0.5, y + rng.uniform(-step, step) * 0.5
                for k in range(5):
                    a = math.tau * k / 5
                    px, py = fx + step * 0.3 * math.cos(a), fy + step * 0.3 * math.sin(a)
                    pen.ellipse(
                        (px - step * 0.22, py - step * 0.22, px + step * 0.22, py + step * 0.22), fill=ink
                    )
                pen.ellipse(
                    (fx - step * 0.12, fy - step * 0.12, fx + step * 0.12, fy + step * 0.12),
                    fill=(245, 210, 90),
                )
    return image


def _garment(c: Canvas, rng: random.Random, outline: list[Point], colour: RGB, pattern: str) -> None:
    c.shadows(
        [("poly", [(x + c.unit(0.02), y + c.unit(0.025)) for x, y in outline])], opacity=0.22, softness=0.02
    )
    if pattern == "solid":
        c.draw.polygon(outline, fill=colour)
        return
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    x0, y0, x1, y1 = int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1
    ink = (250, 247, 240) if sum(colour) < 380 else shade(colour, -0.45)
    fabric = _pattern(pattern, (x1 - x0, y1 - y0), colour, ink, rng, c.unit(1))
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).polygon([(x - x0, y - y0) for x, y in outline], fill=255)
    c.image.paste(fabric, (x0, y0), mask)


def _dress(cx: float, top: float, w: float, h: float) -> list[Point]:
    right = [
        (cx + w * 0.07, top),
        (cx + w * 0.2, top + h * 0.02),
        (cx + w * 0.26, top + h * 0.1),
        (cx + w * 0.19, top + h * 0.14),
        (cx + w * 0.15, top + h * 0.34),
    ]
    hem = [
        (cx + w * 0.5 * math.cos(a), top + h * 0.95 + h * 0.05 * math.sin(a))
        for a in (math.pi * i / 12 for i in range(13))
    ]
    left = [(2 * cx - x, y) for x, y in reversed(right)]
    return [(cx, top + h * 0.07), *right, *hem, *left]


def _coat(cx: float, top: float, w: float, h: float) -> list[Point]:
    right = [
        (cx + w * 0.08, top),
        (cx + w * 0.28, top + h * 0.04),
        (cx + w * 0.44, top + h * 0.55),
        (cx + w * 0.35, top + h * 0.57),
        (cx + w * 0.28, top + h * 0.25),
        (cx + w * 0.32, top + h),
    ]
    return [(cx, top + h * 0.22)] + right + [(2 * cx - x, y) for x, y in reversed(right)]


def _tee(cx: float, top: float, w: float, h: float) -> list[Point]:
    right = [
        (cx + w * 0.12, top),
        (cx + w * 0.3, top + h * 0.06),
        (cx + w * 0.5, top + h * 0.3),
        (cx + w * 0.36, top + h * 0.38),
        (cx + w * 0.28, top + h * 0.26),
        (cx + w * 0.3, top + h),
    ]
    return [(cx, top + h * 0.08)] + right + [(2 * cx - x, y) for x, y in reversed(right)]


def _trousers(cx: float, top: float, w: float, h: float) -> list[Point]:
    return [
        (cx - w * 0.3, top),
        (cx + w * 0.3, top),
        (cx + w * 0.42, top + h),
        (cx + w * 0.06, top + h),
        (cx, top + h * 0.3),
        (cx - w * 0.06, top + h),
        (cx - w * 0.42, top + h),
    ]


def _hanger(c: Canvas, cx: float, top: float, w: float) -> None:
    metal, width = (60, 58, 55), max(2, int(c.unit(0.008)))
    c.draw.line(
        (0, top - c.unit(0.12), c.w, top - c.unit(0.12)),
        fill=(120, 110, 100),
        width=max(3, int(c.unit(0.014))),
    )
    c.draw.arc(
        (cx - c.unit(0.035), top - c.unit(0.13), cx + c.unit(0.035), top - c.unit(0.06)),
        180,
        90,
        fill=metal,
        width=width,
    )
    c.draw.line(
        [
            (cx, top - c.unit(0.06)),
            (cx - w * 0.24, top + c.unit(0.01)),
            (cx + w * 0.24, top + c.unit(0.01)),
            (cx, top - c.unit(0.06)),
        ],
        fill=metal,
        width=width,
    )


GARMENTS = ("dress", "coat", "outfit", "bag")


def paint_fashion(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A garment or outfit (`motif`, default: any) on a pastel ground; returns (motif, colour or pattern)."""
    bg = PASTELS[rng.choice(list(PASTELS))]
    c.vertical_gradient([(0, shade(bg, 0.25)), (1, shade(bg, -0.04))])
    motif = motif or rng.choice(GARMENTS)
    pattern = rng.choice(PATTERNS) if motif in ("dress", "outfit") else "solid"
    colour_name = rng.choice(list(FABRICS))
    colour = FABRICS[colour_name]
    detail = PATTERN_WORDS.get(pattern, colour_name)
    cx, w, h = c.w / 2, c.w * 0.62, c.h * 0.62
    top = c.h * 0.22
    if motif in ("dress", "coat"):
        _hanger(c, cx, top, w)
        outline = _dress(cx, top, w, h) if motif == "dress" else _coat(cx, top, w * 0.9, h * 1.05)
        _garment(c, rng, outline, colour, pattern)
        if motif == "coat":
            for k in range(3):
                y = top + h * (0.35 + k * 0.15)
                c.draw.ellipse(
                    (cx - c.unit(0.015), y, cx + c.unit(0.015), y + c.unit(0.03)), fill=shade(colour, -0.35)
                )
            c.draw.line(
                [(cx, top + h * 0.22), (cx, top + h * 1.05)],
                fill=shade(colour, -0.2),
                width=max(2, int(c.unit(0.005))),
            )
    elif motif == "outfit":  # flat lay: top, trousers, shoes, bag, sunglasses
        others = [v for k, v in FABRICS.items() if k != colour_name]
        _garment(c, rng, _tee(c.w * 0.35, c.h * 0.08, c.w * 0.5, c.h * 0.3), colour, pattern)
        _garment(
            c, rng, _trousers(c.w * 0.38, c.h * 0.44, c.w * 0.4, c.h * 0.48), rng.choice(others), "solid"
        )
        shoe = rng.choice(others)
        for k in range(2):
            x, y = c.w * (0.72 + k * 0.12), c.h * 0.72
            c.draw.ellipse((x - c.unit(0.05), y, x + c.unit(0.05), y + c.unit(0.22)), fill=shoe)
            c.draw.ellipse(
                (x - c.unit(0.032), y + c.unit(0.09), x + c.unit(0.032), y + c.unit(0.19)),
                fill=shade(shoe, -0.3),
            )
        _bag(c, c.w * 0.78, c.h * 0.4, c.unit(0.2), rng.choice(others))
        gx, gy, r = c.w * 0.76, c.h * 0.14, c.unit(0.045)
        for k in (-1, 1):
            c.draw.ellipse((gx + k * r * 1.2 - r, gy - r, gx + k * r * 1.2 + r, gy + r), fill=(40, 36, 34))
        c.draw.line(
            (gx - r * 0.3, gy - r * 0.3, gx + r * 0.3, gy - r * 0.3),
            fill=(40, 36, 34),
            width=max(2, int(r * 0.2)),
        )
    else:
        _bag(c, cx, c.h * 0.55, c.unit(0.55), colour)
    return motif, detail


def _bag(c: Canvas, cx: float, cy: float, size: float, colour: RGB) -> None:
    body = [
        (cx - size * 0.5, cy - size * 0.3),
        (cx + size * 0.5, cy - size * 0.3),
        (cx + size * 0.58, cy + size * 0.4),
        (cx - size * 0.58, cy + size * 0.4),
    ]
    c.shadows([("poly", [(x + size * 0.05, y + size * 0.06) for x, y in body])], opacity=0.25)
    c.draw.arc(
        (cx - size * 0.3, cy - size * 0.72, cx + size * 0.3, cy - size * 0.05),
        180,
        360,
        fill=shade(colour, -0.2),
        width=max(3, int(size * 0.06)),
    )
    c.draw.polygon(body, fill=colour)
    c.draw.polygon(
        [(cx - size * 0.5, cy - size * 0.3), (cx + size * 0.5, cy - size * 0.3), (cx, cy + size * 0.05)],
        fill=shade(colour, -0.1),
    )
    c.draw.rectangle(
        (cx - size * 0.05, cy - size * 0.02, cx + size * 0.05, cy + size * 0.08), fill=hexrgb("#D4AF37")
    )
