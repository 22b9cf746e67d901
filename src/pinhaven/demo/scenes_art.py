"""Art (Mondrian grids, Kandinsky circles, boho arches, brush strokes, colour fields, cut-outs) and architecture
(row houses, arcades, modernist facades, front doors)."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFilter

from pinhaven.demo.painting import RGB, Canvas, Point, blob, hexrgb, leaf, mix, shade, vary

EARTH = [hexrgb(x) for x in ("#C8553D", "#F28F3B", "#E9C46A", "#D8A48F", "#8C5E58", "#F4E1C1", "#A3B18A")]
BOLD = [
    hexrgb(x)
    for x in ("#E63946", "#1D3557", "#F4A261", "#2A9D8F", "#E9C46A", "#264653", "#F15BB5", "#3A86FF")
]
PRIMARY = [hexrgb(x) for x in ("#D62828", "#1D4E89", "#F6C90E")]
ART_STYLES = ("mondrian", "kandinsky", "boho arches", "brush strokes", "colour field", "cut-outs")


def _arch(x0: float, x1: float, top: float, bottom: float) -> list[Point]:
    """A round-headed arch (rectangle with a semicircular top) as a polygon."""
    r = (x1 - x0) / 2
    cx = x0 + r
    crown = [(cx + r * math.cos(a), top + r - r * math.sin(a)) for a in (math.pi * i / 24 for i in range(25))]
    return [*crown, (x0, bottom), (x1, bottom)]


def _mondrian(c: Canvas, rng: random.Random) -> str:
    c.draw.rectangle((0, 0, c.w, c.h), fill=(244, 240, 228))
    line = max(4, int(c.unit(0.025)))
    cells = [(0.0, 0.0, float(c.w), float(c.h))]
    for _ in range(rng.randint(5, 8)):
        x0, y0, x1, y1 = cells.pop(rng.randrange(len(cells)))
        if (x1 - x0) > (y1 - y0) * rng.uniform(0.6, 1.4):
            cut = x0 + (x1 - x0) * rng.uniform(0.3, 0.7)
            cells += [(x0, y0, cut, y1), (cut, y0, x1, y1)]
        else:
            cut = y0 + (y1 - y0) * rng.uniform(0.3, 0.7)
            cells += [(x0, y0, x1, cut), (x0, cut, x1, y1)]
    for cell in rng.sample(cells, k=min(len(cells), rng.randint(3, 4))):
        c.draw.rectangle(cell, fill=rng.choice(PRIMARY))
    for x0, y0, x1, y1 in cells:
        c.draw.rectangle((x0, y0, x1, y1), outline=(20, 20, 20), width=line)
    return "primary"


def _kandinsky(c: Canvas, rng: random.Random) -> str:
    c.vertical_gradient([(0, hexrgb("#F3E9D2")), (1, hexrgb("#E6D5B8"))])
    for _ in range(rng.randint(2, 4)):  # concentric circles
        x, y, r = rng.uniform(0.2, 0.8) * c.w, rng.uniform(0.15, 0.85) * c.h, c.unit(rng.uniform(0.1, 0.22))
        for k in range(rng.randint(3, 5)):
            rr = r * (1 - k * 0.22)
            c.draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=rng.choice(BOLD + PRIMARY))
    for _ in range(rng.randint(5, 9)):
        a, b = (rng.uniform(0, c.w), rng.uniform(0, c.h)), (rng.uniform(0, c.w), rng.uniform(0, c.h))
        c.draw.line((a, b), fill=(25, 25, 30), width=max(2, int(c.unit(rng.uniform(0.003, 0.012)))))
    for _ in range(rng.randint(2, 4)):
        x, y, s = rng.uniform(0, c.w), rng.uniform(0, c.h), c.unit(rng.uniform(0.06, 0.15))
        c.draw.polygon([(x, y - s), (x + s, y + s * 0.7), (x - s * 0.8, y + s * 0.5)], fill=rng.choice(BOLD))
    x, y, s = rng.uniform(0.1, 0.7) * c.w, rng.uniform(0.1, 0.8) * c.h, c.unit(0.035)
    for i in range(4):
        for j in range(4):
            if (i + j) % 2 == 0:
                c.draw.rectangle((x + i * s, y + j * s, x + (i + 1) * s, y + (j + 1) * s), fill=(25, 25, 30))
    return "bold"


def _boho(c: Canvas, rng: random.Random) -> str:
    ground = hexrgb(rng.choice(("#F4E9DA", "#EAD7C3", "#F1E3D3")))
    c.draw.rectangle((0, 0, c.w, c.h), fill=ground)
    palette = rng.sample(EARTH, 4)
    cx, radius = c.w / 2, c.w * rng.uniform(0.38, 0.44)
    base = c.h * 0.5 + radius * 0.6
    sun = c.unit(0.08)
    sx, sy = cx + radius * rng.choice((-0.7, 0.7)), base - radius - sun * 2.5
    c.draw.ellipse((sx - sun, sy - sun, sx + sun, sy + sun), fill=palette[0])
    for k, colour in enumerate(palette):
        r = radius * (1 - k * 0.22)
        c.draw.polygon(_arch(cx - r, cx + r, base - r, base), fill=colour)
    c.draw.polygon(_arch(cx - radius * 0.12, cx + radius * 0.12, base - radius * 0.12, base), fill=ground)
    c.draw.rectangle((0, base, c.w, c.h), fill=shade(ground, -0.05))
    for k in range(3):  # soft dunes under the rainbow
        y = base + (c.h - base) * (0.25 + k * 0.25)
        c.draw.chord(
            (c.w * (k * 0.3 - 0.3), y, c.w * (k * 0.3 + 0.9), y + (c.h - base) * 0.9),
            180,
            360,
            fill=mix(shade(ground, -0.08), palette[(k + 1) % 4], 0.25),
        )
    return "earthy"


def _strokes(c: Canvas, rng: random.Random) -> str:
    ground = hexrgb(rng.choice(("#F5F0E6", "#1E2A3A", "#EDE4D8")))
    c.draw.rectangle((0, 0, c.w, c.h), fill=ground)
    palette = rng.sample(BOLD + EARTH, 4)
    for _ in range(rng.randint(5, 8)):
        colour = rng.choice(palette)
        y, amp, freq, phase = (
            rng.uniform(0.05, 0.95) * c.h,
            c.h * rng.uniform(0.02, 0.08),
            rng.uniform(0.5, 2),
            rng.uniform(0, 6),
        )
        width = c.unit(rng.uniform(0.06, 0.14))
        x0, x1 = rng.uniform(-0.1, 0.3) * c.w, rng.uniform(0.6, 1.1) * c.w
        step = max(8, c.w // 60)
        for bristle in range(7):  # overlapping thin lines read as a dragged brush
            offset = (bristle - 3) / 7 * width
            pts = [
                (x, y + offset + amp * math.sin(freq * math.tau * x / c.w + phase))
                for x in range(int(x0), int(x1), step)
            ]
            if len(pts) > 1:
                c.draw.line(pts, fill=vary(rng, colour, 14), width=max(2, int(width / 5)), joint="curve")
    return "expressive"


def _colour_field(c: Canvas, rng: random.Random) -> str:
    ground = rng.choice(BOLD + EARTH)
    small = 8
    layer = Image.new("RGB", (c.w // small, c.h // small), ground)
    pen = ImageDraw.Draw(layer)
    blocks = rng.randint(2, 3)
    margin, gap = 0.08, 0.05
    height = (1 - 2 * margin - gap * (blocks - 1)) / blocks
    for k in range(blocks):
        y0 = margin + k * (height + gap)
        box = (layer.width * 0.1, layer.height * y0, layer.width * 0.9, layer.height * (y0 + height))
        pen.rectangle(box, fill=mix(rng.choice(BOLD + EARTH), ground, 0.2))
    c.image.paste(layer.filter(ImageFilter.GaussianBlur(1.2)).resize((c.w, c.h), Image.Resampling.BICUBIC))
    c.draw = ImageDraw.Draw(c.image)
    return "moody"


def _cutouts(c: Canvas, rng: random.Random) -> str:
    ground = rng.choice([*BOLD, hexrgb("#F4EDE1")])
    c.draw.rectangle((0, 0, c.w, c.h), fill=ground)
    others = [x for x in BOLD + EARTH if x != ground]
    cols, rows = 3, max(3, round(3 * c.h / c.w))
    for k in range(cols * rows):  # one shape per cell of a loose grid, so the page is evenly filled
        if rng.random() < 0.25:
            continue
        x = (k % cols + rng.uniform(0.2, 0.8)) * c.w / cols
        y = (k // cols + rng.uniform(0.2, 0.8)) * c.h / rows
        colour = rng.choice(others)
        if rng.random() < 0.55:
            c.draw.polygon(blob(rng, (x, y), c.unit(rng.uniform(0.09, 0.16)), wobble=0.35), fill=colour)
        else:  # seaweed fronds
            angle = rng.uniform(-2.4, -0.7)
            for j in range(5):
                c.draw.polygon(
                    leaf(
                        (x, y + c.unit(0.1)),
                        c.unit(0.26) * (1 - abs(j - 2) * 0.15),
                        c.unit(0.08),
                        angle + (j - 2) * 0.38,
                    ),
                    fill=colour,
                )
    return "playful"


def paint_art(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """An abstract painting in `motif` style (default: any); returns (style, mood)."""
    style = motif or rng.choice(ART_STYLES)
    painter = {
        "mondrian": _mondrian,
        "kandinsky": _kandinsky,
        "boho arches": _boho,
        "brush strokes": _strokes,
        "colour field": _colour_field,
        "cut-outs": _cutouts,
    }[style]
    return style, painter(c, rng)


# --- architecture ------------------------------------------------------------------------------------

FACADES = [
    hexrgb(x)
    for x in (
        "#E9A03B",
        "#C8553D",
        "#F2D0A4",
        "#7FA99B",
        "#E7C6A5",
        "#B5838D",
        "#F4E4BA",
        "#6D9DC5",
        "#D96C4F",
    )
]


def _window(c: Canvas, box: tuple[float, float, float, float], frame: RGB, glass: RGB) -> None:
    c.draw.rectangle(box, fill=frame)
    pad = (box[2] - box[0]) * 0.12
    inner = (box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad)
    c.draw.rectangle(inner, fill=glass)
    c.draw.line(
        ((inner[0] + inner[2]) / 2, inner[1], (inner[0] + inner[2]) / 2, inner[3]),
        fill=frame,
        width=max(1, int(pad * 0.6)),
    )


def _row_houses(c: Canvas, rng: random.Random) -> str:
    c.vertical_gradient([(0, hexrgb("#8EC5E8")), (1, hexrgb("#E4F1F7"))])
    water = c.h * rng.uniform(0.72, 0.8)
    x = 0.0
    while x < c.w:
        w = c.w * rng.uniform(0.16, 0.24)
        top = c.h * rng.uniform(0.22, 0.38)
        colour = rng.choice(FACADES)
        c.draw.rectangle((x, top, x + w, water), fill=colour)
        roof = rng.choice(("gable", "step", "flat"))
        if roof == "gable":
            c.draw.polygon([(x, top), (x + w / 2, top - w * 0.45), (x + w, top)], fill=colour)
        elif roof == "step":
            for k in range(3):
                inset = w * 0.15 * (k + 1)
                c.draw.rectangle((x + inset, top - w * 0.12 * (k + 1), x + w - inset, top), fill=colour)
        c.draw.rectangle((x, top - c.unit(0.008), x + w, top + c.unit(0.01)), fill=shade(colour, 0.25))
        rows = int((water - top) / (c.h * 0.09))
        for r in range(rows):
            for k in range(2):
                wx = x + w * (0.15 + k * 0.45)
                wy = top + c.h * 0.03 + r * c.h * 0.09
                _window(c, (wx, wy, wx + w * 0.3, wy + c.h * 0.055), (250, 248, 242), hexrgb("#3B4A5A"))
        x += w
    c.vertical_gradient([(0, hexrgb("#4F7C8A")), (1, hexrgb("#2C4A57"))], (0, int(water), c.w, c.h))
    for _ in range(40):
        y, x0 = rng.uniform(water, c.h), rng.uniform(0, c.w)
        c.draw.line(
            (x0, y, x0 + c.w * rng.uniform(0.05, 0.2), y),
            fill=vary(rng, hexrgb("#9CC2CC"), 14),
            width=max(1, int(c.unit(0.004))),
        )
    return "canal houses"


def _arcade(c: Canvas, rng: random.Random) -> str:
    wall = rng.choice([hexrgb(x) for x in ("#E8B4A0", "#F0D9C4", "#D98E73", "#F5E6D3", "#BFD3C1")])
    c.draw.rectangle((0, 0, c.w, c.h), fill=shade(wall, -0.08))
    depth, cx, floor, vy = 7, c.w / 2, c.h * 0.84, c.h * 0.5
    arches = []
    for k in range(depth + 1):  # nested arches receding to a bright courtyard
        s = 1 - k / (depth + 1.5)
        half, height = c.w * 0.45 * s, (floor - c.h * 0.06) * s
        arches.append((cx - half, cx + half, vy + (floor - vy) * s - height, vy + (floor - vy) * s))
    tile = (
        [hexrgb("#C8553D"), hexrgb("#F4E1C1")]
        if rng.random() < 0.5
        else [hexrgb("#2F5D7C"), hexrgb("#F4F1EA")]
    )
    c.draw.polygon(
        [(0, c.h), (c.w, c.h), (arches[-1][1], arches[-1][3]), (arches[-1][0], arches[-1][3])], fill=tile[1]
    )
    for k, (x0, x1, top, bottom) in enumerate(arches[:-1]):
        tone = shade(wall, -0.18 + k * 0.06) if k % 2 == 0 else shade(wall, -0.02 + k * 0.05)
        c.draw.polygon(_arch(x0, x1, top, bottom), fill=tone)
        nxt = arches[k + 1]
        c.draw.polygon([(x0, bottom), (x1, bottom), (nxt[1], nxt[3]), (nxt[0], nxt[3])], fill=tile[k % 2])
    if True:  # the courtyard at the end: sky over a garden
        x0, x1, top, bottom = arches[-1]
        c.draw.polygon(_arch(x0, x1, top, bottom), fill=hexrgb("#BFE0F2"))
        c.draw.rectangle((x0, bottom - (bottom - top) * 0.25, x1, bottom), fill=hexrgb("#8DBF7A"))
    first = arches[0]
    c.draw.polygon([(0, c.h), (c.w, c.h), (first[1], first[3]), (first[0], first[3])], fill=tile[0])
    for k in range(1, 9):  # tile joints converging on the courtyard
        x = first[0] + (first[1] - first[0]) * k / 9
        c.draw.line((x, first[3], cx + (x - cx) * 1.8, c.h), fill=tile[1], width=max(2, int(c.unit(0.006))))
    return "arcade"


def _modernist(c: Canvas, rng: random.Random) -> str:
    evening = rng.random() < 0.4
    sky = [hexrgb("#2B3A67"), hexrgb("#E8A87C")] if evening else [hexrgb("#6FA8DC"), hexrgb("#D6EAF8")]
    c.vertical_gradient([(0, sky[0]), (1, sky[1])])
    concrete = hexrgb(rng.choice(("#D8D5CF", "#BDB8B0", "#F2EFE9", "#C9B8A8")))
    x0, x1, top = c.w * rng.uniform(0.04, 0.12), c.w * rng.uniform(0.88, 0.96), c.h * rng.uniform(0.1, 0.2)
    c.draw.rectangle((x0, top, x1, c.h), fill=concrete)
    c.draw.rectangle((x0, top, x1, top + c.h * 0.02), fill=shade(concrete, -0.25))
    cols, cell_h = rng.randint(3, 5), c.h / rng.randint(6, 9)
    cell_w = (x1 - x0) / cols
    rounded = rng.random() < 0.5
    for r in range(int((c.h - top) / cell_h) + 1):
        y0 = top + c.h * 0.04 + r * cell_h
        for k in range(cols):
            cx0 = x0 + k * cell_w
            pane = (cx0 + cell_w * 0.1, y0 + cell_h * 0.12, cx0 + cell_w * 0.9, y0 + cell_h * 0.78)
            lit = evening and rng.random() < 0.45
            glass = hexrgb("#F6C87A") if lit else mix(sky[0], sky[1], 0.3 + 0.5 * (r / 10))
            c.draw.rectangle(pane, fill=glass)
            if not lit:
                c.draw.polygon(
                    [
                        (pane[0], pane[3]),
                        (pane[0] + (pane[2] - pane[0]) * 0.55, pane[1]),
                        (pane[2], pane[1]),
                        (pane[2], pane[1] + (pane[3] - pane[1]) * 0.3),
                    ],
                    fill=mix(glass, (255, 255, 255), 0.25),
                )
            if rng.random() < 0.25:  # a plant on the balcony
                c.draw.ellipse(
                    (cx0 + cell_w * 0.6, y0 + cell_h * 0.5, cx0 + cell_w * 0.88, y0 + cell_h * 0.8),
                    fill=hexrgb("#5A8A4F"),
                )
        band = (x0 - c.w * 0.02, y0 + cell_h * 0.78, x1 + c.w * 0.02, y0 + cell_h * 0.9)
        if rounded:
            c.draw.rounded_rectangle(band, radius=(band[3] - band[1]) / 2, fill=shade(concrete, 0.3))
        else:
            c.draw.rectangle(band, fill=shade(concrete, -0.15))
    return "modernist"


def _front_door(c: Canvas, rng: random.Random) -> str:
    wall = rng.choice([hexrgb(x) for x in ("#F4EDE1", "#E3D3C0", "#B9C7C3", "#F2D7CE")])
    c.draw.rectangle((0, 0, c.w, c.h), fill=wall)
    brick = shade(wall, -0.06)
    for row in range(0, c.h, max(8, int(c.unit(0.04)))):
        c.draw.line((0, row, c.w, row), fill=brick, width=1)
    door = rng.choice(
        [hexrgb(x) for x in ("#1F4E79", "#C0392B", "#2A9D8F", "#F4A261", "#264653", "#E9C46A", "#6D597A")]
    )
    x0, x1 = c.w * 0.28, c.w * 0.72
    top, bottom = c.h * 0.12, c.h * 0.84
    c.draw.polygon(_arch(x0 - c.w * 0.04, x1 + c.w * 0.04, top - c.w * 0.04, bottom), fill=(250, 248, 244))
    c.draw.polygon(_arch(x0, x1, top, bottom), fill=door)
    r = (x1 - x0) / 2
    c.draw.pieslice(
        (x0 + r * 0.15, top + r * 0.15, x1 - r * 0.15, top + r * 1.85), 180, 360, fill=hexrgb("#F6E7B8")
    )
    for k in range(2):
        px = x0 + (x1 - x0) * (0.1 + k * 0.45)
        for j in range(2):
            py = top + r * 1.2 + j * (bottom - top - r * 1.2) * 0.48
            c.draw.rectangle(
                (px, py, px + (x1 - x0) * 0.35, py + (bottom - top - r * 1.2) * 0.4),
                outline=shade(door, -0.25),
                width=max(2, int(c.unit(0.008))),
            )
    c.draw.ellipse(
        (x1 - r * 0.3, (top + bottom) / 2 + r * 0.5, x1 - r * 0.18, (top + bottom) / 2 + r * 0.62),
        fill=hexrgb("#D4AF37"),
    )
    c.draw.rectangle((x0 - c.w * 0.1, bottom, x1 + c.w * 0.1, bottom + c.h * 0.04), fill=shade(wall, -0.2))
    c.draw.rectangle((0, bottom + c.h * 0.04, c.w, c.h), fill=shade(wall, -0.3))
    for side in (x0 - c.w * 0.16, x1 + c.w * 0.16):
        pot_top = bottom - c.h * 0.08
        for _ in range(14):
            a = -math.pi / 2 + rng.uniform(-1, 1)
            c.draw.polygon(
                leaf((side, pot_top), c.unit(rng.uniform(0.1, 0.2)), c.unit(0.05), a),
                fill=vary(rng, hexrgb("#4F7A4A"), 16),
            )
        c.draw.polygon(
            [
                (side - c.w * 0.07, pot_top),
                (side + c.w * 0.07, pot_top),
                (side + c.w * 0.05, bottom),
                (side - c.w * 0.05, bottom),
            ],
            fill=hexrgb("#C86B4A"),
        )
    return "front door"


BUILDINGS = {
    "canal houses": _row_houses,
    "arcade": _arcade,
    "modernist": _modernist,
    "front door": _front_door,
}


def paint_architecture(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A building detail (`motif`, default: any); returns (motif, motif)."""
    painter = BUILDINGS[motif] if motif else rng.choice(list(BUILDINGS.values()))
    painted = painter(c, rng)
    return painted, painted
