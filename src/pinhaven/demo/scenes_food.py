"""Food: top-down table scenes — plates and bowls of warm food on tablecloths, wood and marble."""

from __future__ import annotations

import math
import random

from pinhaven.demo.painting import RGB, Canvas, Point, gingham, hexrgb, leaf, mix, shade, vary

SURFACES: dict[str, tuple[RGB, RGB]] = {
    "red gingham": (hexrgb("#F7EFE6"), hexrgb("#C8453B")),
    "blue gingham": (hexrgb("#F4F1EA"), hexrgb("#4F74A8")),
    "sage linen": (hexrgb("#C9D3BE"), hexrgb("#AEBBA0")),
    "oat linen": (hexrgb("#E9DFCF"), hexrgb("#D8C9B2")),
    "walnut": (hexrgb("#7A5236"), hexrgb("#5E3D27")),
    "white marble": (hexrgb("#F2F0EC"), hexrgb("#B9B5AE")),
    "terracotta": (hexrgb("#C66F4E"), hexrgb("#B05E40")),
}
CERAMICS: list[RGB] = [hexrgb(c) for c in ("#FBF8F2", "#F1E6D6", "#DCE6E4", "#2F3E46", "#E8D3C0", "#F6F1E9")]
HERB = hexrgb("#4E7D3A")
DISHES = ("soup", "salad", "pasta", "breakfast", "smoothie bowl", "pizza", "berry tart", "cookies")


def _surface(c: Canvas, rng: random.Random, name: str) -> None:
    light, dark = SURFACES[name]
    if name.endswith("gingham"):
        cell = int(c.unit(rng.uniform(0.045, 0.07)))
        gingham(c.draw, (c.w, c.h), cell, light, dark)
    elif name == "walnut":
        plank = c.w / rng.choice((4, 5, 6))
        for i in range(int(c.w / plank) + 1):
            tone = vary(rng, light, 10)
            c.draw.rectangle((i * plank, 0, (i + 1) * plank, c.h), fill=tone)
            for _ in range(7):
                x = i * plank + rng.uniform(0.1, 0.9) * plank
                wiggle = [
                    (x + math.sin(y / c.h * rng.uniform(3, 9)) * plank * 0.06, y)
                    for y in range(0, c.h + 40, 40)
                ]
                c.draw.line(wiggle, fill=shade(tone, -0.12), width=max(1, int(c.unit(0.003))))
            c.draw.line((i * plank, 0, i * plank, c.h), fill=dark, width=max(2, int(c.unit(0.006))))
    elif name == "white marble":
        c.draw.rectangle((0, 0, c.w, c.h), fill=light)
        for _ in range(rng.randint(5, 9)):
            x, y = rng.uniform(0, c.w), rng.uniform(-0.1, 0.3) * c.h
            vein: list[Point] = [(x, y)]
            for _ in range(60):
                x += rng.uniform(-0.02, 0.035) * c.w
                y += 0.02 * c.h
                vein.append((x, y))
            c.draw.line(
                vein,
                fill=mix(light, dark, rng.uniform(0.5, 0.9)),
                width=max(1, int(c.unit(rng.uniform(0.002, 0.006)))),
            )
    else:  # linens and tile: flat colour with a faint weave
        c.draw.rectangle((0, 0, c.w, c.h), fill=light)
        step = max(3, int(c.unit(0.012)))
        for y in range(0, c.h, step):
            c.draw.line((0, y, c.w, y), fill=mix(light, dark, 0.25), width=1)


def _circle(c: Canvas, cx: float, cy: float, r: float, fill: RGB) -> None:
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def _plate(c: Canvas, cx: float, cy: float, r: float, colour: RGB, *, bowl: bool = False) -> float:
    """A plate (wide rim) or bowl (deep, narrow rim); returns the radius of its food area."""
    _circle(c, cx, cy, r, colour)
    _circle(c, cx, cy, r * 0.97, shade(colour, 0.15))
    inner = r * (0.86 if bowl else 0.72)
    _circle(c, cx, cy, inner, shade(colour, -0.06))
    _circle(c, cx - r * 0.01, cy - r * 0.01, inner * 0.985, colour)
    return inner * 0.96


def _herbs(
    c: Canvas, rng: random.Random, cx: float, cy: float, spread: float, count: int, size: float
) -> None:
    for _ in range(count):
        a, d = rng.uniform(0, math.tau), spread * math.sqrt(rng.random())
        base = (cx + d * math.cos(a), cy + d * math.sin(a))
        c.draw.polygon(leaf(base, size, size * 0.55, rng.uniform(0, math.tau)), fill=vary(rng, HERB, 14))


def _dots(
    c: Canvas,
    rng: random.Random,
    cx: float,
    cy: float,
    spread: float,
    count: int,
    radius: tuple[float, float],
    colours: list[RGB],
) -> None:
    for _ in range(count):
        a, d = rng.uniform(0, math.tau), spread * math.sqrt(rng.random())
        r = rng.uniform(*radius)
        colour = vary(rng, rng.choice(colours), 10)
        x, y = cx + d * math.cos(a), cy + d * math.sin(a)
        _circle(c, x, y, r, colour)
        _circle(c, x - r * 0.3, y - r * 0.3, r * 0.28, shade(colour, 0.35))


def _dish(c: Canvas, rng: random.Random, dish: str, cx: float, cy: float, r: float) -> None:
    ceramic = rng.choice(CERAMICS)
    u = r / 100
    if dish == "soup":
        inner = _plate(c, cx, cy, r, ceramic, bowl=True)
        soup = hexrgb(rng.choice(("#E0762F", "#C8442E", "#8FA83A", "#E6B33C")))
        _circle(c, cx, cy, inner, soup)
        c.draw.arc(
            (cx - inner * 0.5, cy - inner * 0.45, cx + inner * 0.4, cy + inner * 0.5),
            20,
            300,
            fill=(250, 244, 230),
            width=max(2, int(u * 4)),
        )
        _dots(c, rng, cx, cy, inner * 0.7, 7, (u * 3, u * 5), [hexrgb("#D9A655")])
        _herbs(c, rng, cx, cy, inner * 0.6, 6, u * 11)
    elif dish == "salad":
        inner = _plate(c, cx, cy, r, ceramic, bowl=True)
        greens = [hexrgb(g) for g in ("#5E9B3E", "#7DB54F", "#3F7A34", "#A5C95B", "#6B2E4A")]
        for _ in range(38):
            a, d = rng.uniform(0, math.tau), inner * 0.85 * math.sqrt(rng.random())
            base = (cx + d * math.cos(a), cy + d * math.sin(a))
            c.draw.polygon(
                leaf(base, u * rng.uniform(22, 34), u * 17, rng.uniform(0, math.tau)),
                fill=vary(rng, rng.choice(greens), 12),
            )
        _dots(c, rng, cx, cy, inner * 0.7, 7, (u * 6, u * 8), [hexrgb("#D8362B"), hexrgb("#F0A52B")])
        for _ in range(5):
            x, y = cx + rng.uniform(-0.6, 0.6) * inner, cy + rng.uniform(-0.6, 0.6) * inner
            c.draw.rectangle((x, y, x + u * 8, y + u * 8), fill=(250, 248, 240))
    elif dish == "pasta":
        inner = _plate(c, cx, cy, r, ceramic)
        noodle = hexrgb("#EFCB6E")
        for _ in range(70):
            a, d = rng.uniform(0, math.tau), inner * 0.8 * math.sqrt(rng.random())
            x, y = cx + d * math.cos(a), cy + d * math.sin(a)
            s = u * rng.uniform(14, 30)
            c.draw.arc(
                (x - s, y - s, x + s, y + s),
                rng.uniform(0, 360),
                rng.uniform(0, 360),
                fill=vary(rng, noodle, 12),
                width=max(2, int(u * 2.6)),
            )
        _circle(c, cx + u * 5, cy - u * 4, inner * 0.33, hexrgb("#B8321F"))
        _dots(c, rng, cx + u * 5, cy - u * 4, inner * 0.25, 6, (u * 3, u * 5), [hexrgb("#D9472F")])
        _herbs(c, rng, cx, cy, inner * 0.3, 4, u * 14)
    elif dish == "breakfast":
        inner = _plate(c, cx, cy, r, ceramic)
        for dx, dy in ((-0.32, -0.3), (0.12, -0.5)):
            ex, ey = cx + dx * inner, cy + dy * inner
            c.draw.polygon(
                [(ex + p[0] - cx, ey + p[1] - cy) for p in _wobbly(rng, cx, cy, inner * 0.3)],
                fill=(253, 252, 247),
            )
            _circle(c, ex, ey, inner * 0.11, hexrgb("#F2A81D"))
        tx, ty = cx - inner * 0.6, cy + inner * 0.02
        c.draw.rounded_rectangle(
            (tx, ty, tx + inner * 0.55, ty + inner * 0.55), radius=u * 8, fill=hexrgb("#B97834")
        )
        c.draw.rounded_rectangle(
            (tx + u * 4, ty + u * 4, tx + inner * 0.55 - u * 4, ty + inner * 0.55 - u * 4),
            radius=u * 6,
            fill=hexrgb("#E8C48A"),
        )
        for k in range(4):
            ax, ay = cx + inner * 0.38, cy + inner * (-0.05 + k * 0.13)
            c.draw.chord(
                (ax - inner * 0.22, ay - inner * 0.1, ax + inner * 0.22, ay + inner * 0.1),
                0,
                180,
                fill=hexrgb("#8DB255"),
            )
            c.draw.chord(
                (ax - inner * 0.2, ay - inner * 0.08, ax + inner * 0.2, ay + inner * 0.06),
                0,
                180,
                fill=hexrgb("#C9DB7E"),
            )
    elif dish == "smoothie bowl":
        inner = _plate(c, cx, cy, r, ceramic, bowl=True)
        _circle(c, cx, cy, inner, hexrgb(rng.choice(("#C2477A", "#7B3F8C", "#E48AA6", "#8CC084"))))
        for k in range(6):  # banana coins in an arc
            a = math.pi * (0.15 + k * 0.13)
            x, y = cx + inner * 0.6 * math.cos(a), cy - inner * 0.6 * math.sin(a)
            _circle(c, x, y, u * 10, hexrgb("#F7E7B0"))
            _circle(c, x, y, u * 3, hexrgb("#E9D48E"))
        _dots(
            c,
            rng,
            cx - inner * 0.1,
            cy + inner * 0.25,
            inner * 0.35,
            14,
            (u * 4, u * 6),
            [hexrgb("#2F3A78"), hexrgb("#C62D42")],
        )
        _dots(
            c, rng, cx + inner * 0.35, cy + inner * 0.1, inner * 0.2, 18, (u * 2, u * 3), [hexrgb("#A9773F")]
        )
    elif dish == "pizza":
        c.draw.ellipse((cx - r * 1.05, cy - r * 1.05, cx + r * 1.05, cy + r * 1.05), fill=hexrgb("#A77A4E"))
        _circle(c, cx, cy, r * 0.95, hexrgb("#E2B36B"))
        _circle(c, cx, cy, r * 0.82, hexrgb("#C73A24"))
        for _ in range(9):
            a, d = rng.uniform(0, math.tau), r * 0.65 * math.sqrt(rng.random())
            c.draw.polygon(
                _wobbly(rng, cx + d * math.cos(a), cy + d * math.sin(a), u * 13), fill=(252, 246, 228)
            )
        _herbs(c, rng, cx, cy, r * 0.6, 7, u * 16)
        for k in range(4):
            a = math.pi / 4 * k + 0.2
            c.draw.line(
                (cx - r * math.cos(a), cy - r * math.sin(a), cx + r * math.cos(a), cy + r * math.sin(a)),
                fill=hexrgb("#9C2E1C"),
                width=max(1, int(u * 1.5)),
            )
    elif dish == "berry tart":
        _circle(c, cx, cy, r * 1.02, ceramic)
        for k in range(24):
            a = math.tau * k / 24
            _circle(c, cx + r * 0.86 * math.cos(a), cy + r * 0.86 * math.sin(a), r * 0.12, hexrgb("#D59A55"))
        _circle(c, cx, cy, r * 0.84, hexrgb("#E2B06A"))
        filling = hexrgb(rng.choice(("#F4E2B1", "#F2D34F")))
        _circle(c, cx, cy, r * 0.76, filling)
        _dots(
            c,
            rng,
            cx,
            cy,
            r * 0.65,
            45,
            (u * 5, u * 8),
            [hexrgb("#B61E3B"), hexrgb("#34315F"), hexrgb("#D63A4A")],
        )
        _herbs(c, rng, cx, cy, r * 0.4, 3, u * 12)
    else:  # cookies on parchment
        c.draw.rectangle((cx - r * 1.1, cy - r * 1.1, cx + r * 1.1, cy + r * 1.1), fill=hexrgb("#F3EADB"))
        for row in range(3):
            for col in range(3):
                x, y = cx + (col - 1) * r * 0.7, cy + (row - 1) * r * 0.7
                dough = vary(rng, hexrgb("#C98F4B"), 14)
                c.draw.polygon(_wobbly(rng, x, y, r * 0.3), fill=dough)
                _dots(c, rng, x, y, r * 0.22, 5, (u * 3, u * 5), [hexrgb("#3B2416")])


def _wobbly(rng: random.Random, cx: float, cy: float, r: float) -> list[Point]:
    phase = rng.uniform(0, math.tau)
    return [
        (
            cx + r * (1 + 0.08 * math.sin(3 * a + phase)) * math.cos(a),
            cy + r * (1 + 0.08 * math.sin(3 * a + phase)) * math.sin(a),
        )
        for a in (math.tau * i / 40 for i in range(40))
    ]


def _cup(c: Canvas, rng: random.Random, cx: float, cy: float, r: float) -> None:
    ceramic = rng.choice(CERAMICS)
    _circle(c, cx, cy, r * 1.35, shade(ceramic, -0.03))
    c.draw.rounded_rectangle(
        (cx + r * 0.85, cy - r * 0.18, cx + r * 1.45, cy + r * 0.18), radius=r * 0.15, fill=ceramic
    )
    _circle(c, cx, cy, r, ceramic)
    _circle(c, cx, cy, r * 0.84, hexrgb("#5B3820"))
    _circle(c, cx, cy, r * 0.6, hexrgb("#C89466"))
    c.draw.ellipse((cx - r * 0.25, cy - r * 0.3, cx + r * 0.25, cy + r * 0.1), fill=hexrgb("#E3C09A"))


def _cutlery(c: Canvas, x: float, y0: float, length: float, metal: RGB) -> None:
    w = length * 0.05
    c.draw.rounded_rectangle((x - w / 2, y0 + length * 0.3, x + w / 2, y0 + length), radius=w / 2, fill=metal)
    c.draw.rounded_rectangle((x - w, y0, x + w, y0 + length * 0.34), radius=w, fill=metal)


def _extra(c: Canvas, rng: random.Random, kind: str, x: float, y: float, s: float) -> None:
    if kind == "cup":
        _cup(c, rng, x, y, s)
    elif kind == "side bowl":
        inner = _plate(c, x, y, s * 1.2, rng.choice(CERAMICS), bowl=True)
        _dots(
            c,
            rng,
            x,
            y,
            inner * 0.7,
            16,
            (s * 0.08, s * 0.13),
            [hexrgb(rng.choice(("#B61E3B", "#F2A81D", "#5E9B3E", "#3A2A5F")))],
        )
    elif kind == "lemons":
        for k in range(2):
            lx, ly = x + (k - 0.5) * s * 1.3, y + (k - 0.5) * s * 0.5
            _circle(c, lx, ly, s * 0.6, hexrgb("#F2D03B"))
            _circle(c, lx, ly, s * 0.52, hexrgb("#FBEA9A"))
            for j in range(8):
                a = math.tau * j / 8
                c.draw.line(
                    (lx, ly, lx + s * 0.5 * math.cos(a), ly + s * 0.5 * math.sin(a)),
                    fill=hexrgb("#F2D03B"),
                    width=max(1, int(s * 0.03)),
                )
    else:  # a slice of bread on a small board
        c.draw.rounded_rectangle(
            (x - s * 1.1, y - s * 0.8, x + s * 1.1, y + s * 0.8), radius=s * 0.15, fill=hexrgb("#B98B5E")
        )
        c.draw.ellipse((x - s * 0.8, y - s * 0.55, x + s * 0.8, y + s * 0.55), fill=hexrgb("#9C5E2C"))
        c.draw.ellipse((x - s * 0.7, y - s * 0.46, x + s * 0.7, y + s * 0.46), fill=hexrgb("#EED9B5"))


def paint(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A flat-lay food photo of `motif` (a dish; default: any); returns (dish, surface name)."""
    surface = rng.choice(list(SURFACES))
    dish = motif or rng.choice(DISHES)
    _surface(c, rng, surface)
    side = min(c.w, c.h)
    r = side * rng.uniform(0.36, 0.42)
    cx = c.w * rng.uniform(0.44, 0.52)
    spare = c.h - 2 * r
    # Portrait pictures put the dish off-centre and fill the rest with a cup, bread or lemons.
    cy = r + spare * (rng.uniform(0.25, 0.4) if rng.random() < 0.5 else rng.uniform(0.6, 0.75))
    extras: list[tuple[str, float, float, float]] = []
    room_above, room_below = cy - r, c.h - cy - r
    kinds = rng.sample(("cup", "side bowl", "lemons", "bread"), 2)
    for kind, (room, sign) in zip(kinds, ((room_above, -1), (room_below, 1)), strict=False):
        if room > side * 0.2:
            s = min(side * 0.13, room * 0.33)
            extras.append((kind, c.w * rng.uniform(0.3, 0.7), cy + sign * (r + room * 0.5), s))
    if not extras:  # square or landscape: tuck one into a corner
        s = side * 0.1
        extras.append((kinds[0], c.w - s * 1.6, s * 1.6, s))
    napkin = rng.random() < 0.5
    offset = side * 0.025
    shapes: list[tuple[str, list[float] | list[Point]]] = [
        ("ellipse", [cx - r + offset, cy - r + offset, cx + r + offset, cy + r + offset])
    ]
    shapes += [("ellipse", [x - s * 1.3, y - s * 1.2, x + s * 1.5, y + s * 1.6]) for _, x, y, s in extras]
    if napkin:
        nx = cx + r * 0.95
        pts = [
            (nx, cy - r * 0.9),
            (nx + side * 0.2, cy - r * 0.95),
            (nx + side * 0.25, cy + r * 0.8),
            (nx + side * 0.03, cy + r * 0.9),
        ]
        accent = hexrgb(rng.choice(("#E9C46A", "#F4A261", "#A8C5A0", "#E5989B", "#F1FAEE")))
        c.draw.polygon(pts, fill=accent)
        c.draw.line([pts[0], pts[3]], fill=shade(accent, -0.12), width=max(2, int(c.unit(0.01))))
    c.shadows(shapes, softness=0.025, opacity=0.3)
    _dish(c, rng, dish, cx, cy, r)
    for kind, x, y, s in extras:
        _extra(c, rng, kind, x, y, s)
    if not napkin:
        _cutlery(
            c,
            min(c.w - side * 0.05, cx + r + side * 0.08),
            cy - r * 0.7,
            r * 1.5,
            hexrgb(rng.choice(("#C9CCD1", "#C8A45A"))),
        )
    if rng.random() < 0.6:
        _herbs(
            c, rng, c.w * rng.uniform(0.1, 0.9), c.h * rng.uniform(0.05, 0.95), side * 0.05, 5, side * 0.04
        )
    return dish, surface
