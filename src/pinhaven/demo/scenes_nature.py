"""Gardens (flower beds, houseplants, lavender fields) and the outdoors (misty forests, night camps, autumn woods)."""

from __future__ import annotations

import math
import random

from pinhaven.demo.painting import RGB, Canvas, blob, hexrgb, leaf, mix, ridge, shade, vary

FLOWER_PALETTES: dict[str, list[str]] = {
    "blush": ["#F4B6C2", "#F7D6DC", "#E88AA0", "#FFFFFF"],
    "lavender": ["#B497D6", "#8E6CB5", "#D9C8EE", "#F3EEFA"],
    "sunflower": ["#F6C12E", "#F39C21", "#FBE38A", "#E8A33A"],
    "coral": ["#F07E63", "#F6A98F", "#FCE1D3", "#E35D4A"],
    "white": ["#FFFFFF", "#F6F3EA", "#EDE7D6", "#FBF7EE"],
}
GREENS: list[RGB] = [hexrgb(c) for c in ("#2F5D3A", "#3F7A45", "#5A9A57", "#7DB36A", "#264D33", "#4F8B5C")]
SKIES: dict[str, list[tuple[float, RGB]]] = {
    "sunset": [
        (0, hexrgb("#3B2C5E")),
        (0.45, hexrgb("#C0517A")),
        (0.8, hexrgb("#F39A5B")),
        (1, hexrgb("#FBD38D")),
    ],
    "golden hour": [(0, hexrgb("#7FA7C9")), (0.55, hexrgb("#F2C6A0")), (1, hexrgb("#F7E2B6"))],
    "clear blue": [(0, hexrgb("#3D7CC9")), (0.7, hexrgb("#9CC7EA")), (1, hexrgb("#DDEFF8"))],
    "dawn": [(0, hexrgb("#8FA6D6")), (0.5, hexrgb("#F5B7A8")), (1, hexrgb("#FDE6C4"))],
    "dusk": [(0, hexrgb("#1D2547")), (0.55, hexrgb("#5D4B85")), (1, hexrgb("#E48C7A"))],
}
WALLS: dict[str, RGB] = {
    "cream": hexrgb("#F1E8DA"),
    "sage": hexrgb("#B8C4A9"),
    "terracotta": hexrgb("#D59A7E"),
    "blush": hexrgb("#EBCFC6"),
}


def _flower(c: Canvas, rng: random.Random, cx: float, cy: float, r: float, colour: RGB, centre: RGB) -> None:
    petals = rng.choice((5, 6, 8, 12))
    turn = rng.uniform(0, math.tau)
    for k in range(petals):
        a = turn + math.tau * k / petals
        c.draw.polygon(
            leaf((cx, cy), r, r * (0.75 if petals < 8 else 0.45), a, roundness=0.5), fill=vary(rng, colour, 8)
        )
    c.draw.ellipse((cx - r * 0.28, cy - r * 0.28, cx + r * 0.28, cy + r * 0.28), fill=centre)


def _flower_bed(c: Canvas, rng: random.Random) -> tuple[str, str]:
    name = rng.choice(list(FLOWER_PALETTES))
    colours = [hexrgb(x) for x in FLOWER_PALETTES[name]]
    c.vertical_gradient([(0, hexrgb("#20402A")), (1, hexrgb("#3E6B3F"))])
    unit = c.unit(1)
    for _ in range(int(26 * c.w * c.h / unit**2)):
        x, y = rng.uniform(0, c.w), rng.uniform(0, c.h)
        c.draw.polygon(
            leaf((x, y), unit * rng.uniform(0.1, 0.2), unit * 0.06, rng.uniform(0, math.tau)),
            fill=rng.choice(GREENS),
        )
    centre = hexrgb("#5B3A1E") if name == "sunflower" else hexrgb("#F2C94C")
    for _ in range(int(14 * c.w * c.h / unit**2)):
        x, y = rng.uniform(-0.05, 1.05) * c.w, rng.uniform(-0.05, 1.05) * c.h
        _flower(c, rng, x, y, unit * rng.uniform(0.05, 0.11), rng.choice(colours), centre)
    return "flower bed", name


def _houseplant(c: Canvas, rng: random.Random) -> tuple[str, str]:
    name = rng.choice(list(WALLS))
    wall = WALLS[name]
    floor_y = c.h * rng.uniform(0.74, 0.82)
    c.vertical_gradient([(0, shade(wall, 0.1)), (1, shade(wall, -0.06))], (0, 0, c.w, int(floor_y)))
    c.draw.rectangle((0, floor_y, c.w, c.h), fill=hexrgb(rng.choice(("#B08A66", "#C9B299", "#8C6A4F"))))
    cx = c.w * rng.uniform(0.4, 0.6)
    pot_w, pot_h = c.w * 0.34, c.h * 0.2
    top = floor_y - pot_h
    c.shadows(
        [("ellipse", [cx - pot_w * 0.7, floor_y - pot_h * 0.12, cx + pot_w * 0.9, floor_y + pot_h * 0.18])],
        opacity=0.35,
    )
    plant_top = c.h * rng.uniform(0.08, 0.2)
    for _ in range(rng.randint(9, 14)):
        tip = (cx + rng.uniform(-0.42, 0.42) * c.w, rng.uniform(plant_top, top - c.h * 0.1))
        stem = [(cx, top + pot_h * 0.1), ((cx + tip[0]) / 2, (top + tip[1]) / 2 + c.h * 0.03), tip]
        c.draw.line(stem, fill=hexrgb("#4E7A3C"), width=max(2, int(c.unit(0.008))))
        angle = math.atan2(tip[1] - top, tip[0] - cx) + rng.uniform(-0.4, 0.4)
        length = c.unit(rng.uniform(0.2, 0.3))
        green = vary(rng, rng.choice(GREENS), 10)
        outline = leaf(tip, length, length * 0.75, angle, roundness=0.6)
        c.draw.polygon(outline, fill=green)
        end = (tip[0] + length * 0.9 * math.cos(angle), tip[1] + length * 0.9 * math.sin(angle))
        c.draw.line([tip, end], fill=shade(green, 0.2), width=max(1, int(c.unit(0.004))))
    pot = hexrgb(rng.choice(("#C86B4A", "#F4F1EA", "#2F3E46", "#D8B48A")))
    c.draw.polygon(
        [
            (cx - pot_w / 2, top),
            (cx + pot_w / 2, top),
            (cx + pot_w * 0.38, floor_y),
            (cx - pot_w * 0.38, floor_y),
        ],
        fill=pot,
    )
    c.draw.rectangle(
        (cx - pot_w * 0.54, top - pot_h * 0.12, cx + pot_w * 0.54, top + pot_h * 0.06), fill=shade(pot, 0.08)
    )
    return "houseplant", name


def _lavender_rows(c: Canvas, rng: random.Random) -> tuple[str, str]:
    horizon = c.h * rng.uniform(0.35, 0.45)
    c.vertical_gradient(
        SKIES[rng.choice(("golden hour", "dawn", "clear blue"))], (0, 0, c.w, int(horizon) + 2)
    )
    c.draw.polygon(
        [*ridge(rng, c.w, horizon, c.h * 0.03), (c.w, horizon + 4), (0, horizon + 4)], fill=hexrgb("#6E8B5B")
    )
    c.draw.rectangle((0, horizon, c.w, c.h), fill=hexrgb("#5B7A45"))
    vanish = (c.w * rng.uniform(0.35, 0.65), horizon)
    rows = 14
    for k in range(rows + 1):
        x0 = -c.w * 1.5 + k * (c.w * 4 / rows)
        x1 = x0 + c.w * 4 / rows * 0.62
        purple = mix(hexrgb("#6C4A9E"), hexrgb("#A88BD1"), k % 2 * 0.3 + rng.random() * 0.2)
        c.draw.polygon([vanish, (x0, c.h), (x1, c.h)], fill=purple)
    if rng.random() < 0.5:  # a stone farmhouse on the horizon
        hx, hw = c.w * rng.uniform(0.15, 0.75), c.w * rng.uniform(0.12, 0.2)
        wall = hexrgb(rng.choice(("#E9D8B8", "#D9C2A0", "#F1E6D0")))
        c.draw.rectangle((hx, horizon - hw * 0.5, hx + hw, horizon + 2), fill=wall)
        c.draw.polygon(
            [
                (hx - hw * 0.08, horizon - hw * 0.5),
                (hx + hw * 0.5, horizon - hw * 0.8),
                (hx + hw * 1.08, horizon - hw * 0.5),
            ],
            fill=hexrgb("#B5603F"),
        )
        c.draw.rectangle((hx + hw * 0.4, horizon - hw * 0.3, hx + hw * 0.6, horizon), fill=hexrgb("#6B4A3A"))
    for _ in range(3):
        x = rng.uniform(0, c.w)
        c.draw.ellipse(
            (x - c.w * 0.06, horizon - c.h * 0.05, x + c.w * 0.06, horizon + c.h * 0.01),
            fill=hexrgb("#3F5E36"),
        )
    return "lavender field", "lavender"


GARDENS = {"flower bed": _flower_bed, "houseplant": _houseplant, "lavender field": _lavender_rows}


def paint_garden(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A garden or plant picture (`motif`, default: any); returns (motif, colour name)."""
    if motif:
        return GARDENS[motif](c, rng)
    return rng.choice((_flower_bed, _flower_bed, _houseplant, _lavender_rows))(c, rng)


# --- outdoors ----------------------------------------------------------------------------------------


def pine(c: Canvas, x: float, ground: float, height: float, colour: RGB) -> None:
    """A pine silhouette of `height` standing at (x, ground): four stacked triangles on a short trunk."""
    # Trunk first: only its foot shows below the lowest tier.
    c.draw.rectangle(
        (x - height * 0.03, ground - height * 0.05, x + height * 0.03, ground + height * 0.06),
        fill=shade(colour, -0.3),
    )
    for k in range(4):
        top = ground - height * (1 - k * 0.2)
        half = height * (0.18 + k * 0.07)
        c.draw.polygon(
            [(x, top), (x + half, top + height * 0.42), (x - half, top + height * 0.42)], fill=colour
        )


WILDS = ("misty forest", "night camp", "autumn woods")


def paint_outdoors(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A forest, campsite or autumn wood (`motif`, default: any); returns (motif, season/mood)."""
    motif = motif or rng.choice(WILDS)
    if motif == "misty forest":
        fog = hexrgb(rng.choice(("#DDE5E0", "#E6E0D6", "#D5DEE8")))
        c.vertical_gradient([(0, shade(fog, 0.2)), (1, fog)])
        for layer in range(5):
            tone = mix(fog, hexrgb("#1F3A2C"), 0.2 + layer * 0.18)
            ground = c.h * (0.45 + layer * 0.12)
            x = rng.uniform(-0.05, 0) * c.w
            while x < c.w * 1.05:
                pine(c, x, ground, c.unit(rng.uniform(0.25, 0.4)) * (0.6 + layer * 0.2), tone)
                x += c.unit(rng.uniform(0.05, 0.1)) * (0.7 + layer * 0.3)
            c.draw.rectangle((0, ground, c.w, c.h), fill=tone)
        return motif, "foggy morning"
    if motif == "night camp":
        aurora = rng.random() < 0.4  # decided first: the detail must not depend on the canvas size
        c.vertical_gradient([(0, hexrgb("#0B1026")), (0.7, hexrgb("#23305E")), (1, hexrgb("#4B4A7A"))])
        for _ in range(int(c.w * c.h / 3000)):
            x, y, s = rng.uniform(0, c.w), rng.uniform(0, c.h * 0.6), rng.choice((1, 1, 1.5, 2.5))
            c.draw.ellipse((x - s, y - s, x + s, y + s), fill=(255, 250, rng.randint(215, 250)))
        if aurora:
            for k in range(3):  # curtains of light: soft glows strung along a wave
                base, amp, phase = c.h * rng.uniform(0.15, 0.35), c.h * 0.06, rng.uniform(0, math.tau)
                for i in range(9):
                    x = c.w * i / 8
                    y = base + amp * math.sin(phase + i * 0.8)
                    c.radial_glow((x, y), c.unit(0.22), hexrgb(("#3DDC97", "#45C4B0", "#9B7BD8")[k]), 0.35)
        else:
            moon = (c.w * rng.uniform(0.15, 0.85), c.h * rng.uniform(0.1, 0.22))
            c.radial_glow(moon, c.unit(0.35), hexrgb("#8FA0D8"), 0.35)
            r = c.unit(0.06)
            c.draw.ellipse((moon[0] - r, moon[1] - r, moon[0] + r, moon[1] + r), fill=hexrgb("#F6F1D5"))
        ground = c.h * rng.uniform(0.7, 0.78)
        c.draw.polygon(
            [*ridge(rng, c.w, ground - c.h * 0.12, c.h * 0.08), (c.w, ground), (0, ground)],
            fill=hexrgb("#1A2140"),
        )
        for k in range(int(c.w / c.unit(0.07)) + 1):
            pine(c, k * c.unit(0.07), ground + 2, c.unit(rng.uniform(0.12, 0.22)), hexrgb("#0E1530"))
        c.draw.rectangle((0, ground, c.w, c.h), fill=hexrgb("#121A33"))
        left = rng.random() < 0.5
        tx, ty, s = (
            c.w * (0.32 if left else 0.64),
            c.h * rng.uniform(0.86, 0.92),
            c.unit(rng.uniform(0.18, 0.24)),
        )
        canvas_colour = hexrgb(rng.choice(("#E8893C", "#E4B43C", "#D9534F", "#3FA7A0")))
        c.radial_glow((tx, ty - s * 0.3), s * 2.2, hexrgb("#F5A44A"), 0.5)
        c.draw.polygon([(tx - s, ty), (tx, ty - s * 0.95), (tx + s, ty)], fill=canvas_colour)
        c.draw.polygon([(tx - s * 0.3, ty), (tx, ty - s * 0.7), (tx + s * 0.3, ty)], fill=hexrgb("#FFD27A"))
        fx = c.w * (0.72 if left else 0.24)
        for k, colour in enumerate(("#E4572E", "#F3A712", "#FCE38A")):
            h = c.unit(0.12) * (1 - k * 0.28)
            c.draw.polygon([(fx - h * 0.35, ty), (fx, ty - h), (fx + h * 0.35, ty)], fill=hexrgb(colour))
        return motif, "northern lights" if aurora else "starry night"
    # autumn woods
    c.vertical_gradient([(0, hexrgb("#F6E3C5")), (1, hexrgb("#E9B98A"))])
    leaves = [hexrgb(x) for x in ("#D9642B", "#E8A33A", "#B8432F", "#F2C14E", "#8E3B2F")]
    ground = c.h * 0.82
    for layer in range(3):
        for _ in range(rng.randint(3, 5)):
            x = rng.uniform(0, c.w)
            top = c.h * rng.uniform(0.1, 0.45) + layer * c.h * 0.05
            c.draw.rectangle((x - c.unit(0.015), top, x + c.unit(0.015), ground), fill=hexrgb("#4A3426"))
            r = c.unit(rng.uniform(0.12, 0.2))
            for _ in range(30):
                a, d = rng.uniform(0, math.tau), r * math.sqrt(rng.random())
                c.draw.polygon(
                    blob(rng, (x + d * math.cos(a), top + d * math.sin(a)), r * 0.3, wobble=0.2),
                    fill=vary(rng, rng.choice(leaves), 12),
                )
    c.draw.rectangle((0, ground, c.w, c.h), fill=hexrgb("#A65A2E"))
    for _ in range(200):
        x, y = rng.uniform(0, c.w), rng.uniform(ground, c.h)
        c.draw.polygon(
            leaf((x, y), c.unit(0.02), c.unit(0.012), rng.uniform(0, math.tau)), fill=rng.choice(leaves)
        )
    return motif, "autumn"
