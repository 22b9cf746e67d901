"""Travel: poster-style landscapes — beaches with palms, mountain lakes, desert dunes, balloons, sailing."""

from __future__ import annotations

import math
import random

from pinhaven.demo.painting import RGB, Canvas, hexrgb, mix, ridge, shade
from pinhaven.demo.scenes_nature import SKIES, pine


def _sun(c: Canvas, x: float, y: float, r: float, colour: RGB) -> None:
    c.radial_glow((x, y), r * 5, shade(colour, 0.3), 0.45)
    c.draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)


def _palm(c: Canvas, rng: random.Random, x: float, ground: float, height: float, colour: RGB) -> None:
    lean = rng.uniform(-0.25, 0.25) * height
    trunk = [(x + lean * (t / 10) ** 2, ground - height * t / 10) for t in range(11)]
    c.draw.line(trunk, fill=colour, width=max(3, int(height * 0.035)), joint="curve")
    top = trunk[-1]
    for k in range(9):
        a = -math.pi / 2 + (k - 4) * 0.42 + rng.uniform(-0.1, 0.1)
        reach = height * 0.35
        droop = [
            (top[0] + math.cos(a) * reach * t, top[1] + math.sin(a) * reach * t + height * 0.14 * t * t)
            for t in (0, 0.25, 0.5, 0.75, 1)
        ]
        c.draw.line(droop, fill=colour, width=max(3, int(height * 0.04)), joint="curve")


TRIPS = ("beach", "mountain lake", "desert", "balloons", "sailing")


def paint_travel(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A travel poster landscape (`motif`, default: any); returns (motif, sky name)."""
    motif = motif or rng.choice(TRIPS)
    sky = (
        rng.choice(list(SKIES))
        if motif != "mountain lake"
        else rng.choice(("clear blue", "golden hour", "dawn"))
    )
    horizon = c.h * rng.uniform(0.48, 0.6)
    c.vertical_gradient(SKIES[sky], (0, 0, c.w, int(horizon) + 2))
    sun_colour = hexrgb("#FFE7A8") if sky in ("clear blue", "golden hour") else hexrgb("#FFC46B")
    sx, sy = c.w * rng.uniform(0.3, 0.7), horizon - c.h * rng.uniform(0.05, 0.25)
    low = SKIES[sky][-1][1]
    if motif in ("beach", "sailing"):
        _sun(c, sx, sy, c.unit(rng.uniform(0.08, 0.12)), sun_colour)
        sea = mix(hexrgb("#1F4E79"), SKIES[sky][1][1], 0.3)
        c.vertical_gradient([(0, sea), (1, shade(sea, -0.35))], (0, int(horizon), c.w, c.h))
        for k in range(26):
            y = horizon + (c.h - horizon) * (k / 26) ** 1.4
            half = c.w * (0.04 + 0.12 * k / 26) * rng.uniform(0.5, 1.2)
            c.draw.line(
                (sx - half, y, sx + half, y),
                fill=mix(sun_colour, sea, 0.35),
                width=max(2, int(c.unit(0.006))),
            )
        if motif == "beach":
            sand = mix(hexrgb("#E8C39E"), low, 0.25)
            c.draw.polygon(
                [*ridge(rng, c.w, c.h * 0.86, c.h * 0.03, roughness=0.4), (c.w, c.h), (0, c.h)], fill=sand
            )
            dark = shade(mix(SKIES[sky][0][1], (20, 20, 30), 0.5), -0.3)
            _palm(c, rng, c.w * rng.choice((0.15, 0.82)), c.h * 0.9, c.h * 0.55, dark)
        else:
            island = mix(SKIES[sky][0][1], hexrgb("#2E3A4A"), 0.5)
            c.draw.polygon(
                [*ridge(rng, c.w * 0.5, horizon, c.h * 0.05), (c.w * 0.5, horizon + 2), (0, horizon + 2)],
                fill=island,
            )
            for _ in range(rng.randint(1, 3)):
                bx, by, s = (
                    rng.uniform(0.15, 0.85) * c.w,
                    horizon + rng.uniform(0.08, 0.3) * c.h,
                    c.unit(rng.uniform(0.08, 0.15)),
                )
                c.draw.polygon(
                    [(bx, by - s * 1.6), (bx, by - s * 0.1), (bx + s * 0.9, by - s * 0.1)],
                    fill=(250, 248, 240),
                )
                c.draw.polygon(
                    [
                        (bx - s * 0.1, by - s * 1.3),
                        (bx - s * 0.1, by - s * 0.1),
                        (bx - s * 0.6, by - s * 0.1),
                    ],
                    fill=(236, 232, 222),
                )
                c.draw.polygon(
                    [
                        (bx - s * 0.7, by),
                        (bx + s, by),
                        (bx + s * 0.75, by + s * 0.25),
                        (bx - s * 0.5, by + s * 0.25),
                    ],
                    fill=hexrgb("#8A3B2E"),
                )
    elif motif == "mountain lake":
        _sun(c, sx, sy - c.h * 0.1, c.unit(0.06), sun_colour)
        layers = [hexrgb("#7C8FB0"), hexrgb("#566C8F"), hexrgb("#34506B")]
        ridges = []
        for k, colour in enumerate(layers):
            line = ridge(rng, c.w, horizon - c.h * (0.18 - k * 0.06), c.h * (0.16 - k * 0.03))
            ridges.append((line, mix(colour, low, 0.3 - k * 0.1)))
            c.draw.polygon([*line, (c.w, horizon + 1), (0, horizon + 1)], fill=ridges[-1][1])
        c.vertical_gradient(
            [(0, mix(low, layers[0], 0.4)), (1, shade(layers[2], -0.3))], (0, int(horizon), c.w, c.h)
        )
        for line, colour in ridges:  # mirrored, washed-out reflections
            mirrored = [(x, 2 * horizon - y) for x, y in line]
            c.draw.polygon([(0, horizon), *mirrored, (c.w, horizon)], fill=mix(colour, low, 0.45))
        for k in range(int(c.w / c.unit(0.05))):
            pine(
                c,
                k * c.unit(0.05) + rng.uniform(-5, 5),
                horizon + 2,
                c.unit(rng.uniform(0.05, 0.11)),
                hexrgb("#1E3328"),
            )
    elif motif == "desert":
        _sun(c, sx, sy, c.unit(0.12), sun_colour)
        sands = [hexrgb(x) for x in ("#E9B872", "#D9915A", "#C0703F", "#9C5230")]
        for k, sand in enumerate(sands):
            base = horizon + (c.h - horizon) * k / len(sands)
            amp, phase, freq = c.h * 0.06, rng.uniform(0, math.tau), rng.uniform(1.2, 2.4)
            crest = [
                (x, base - amp * math.sin(freq * math.tau * x / c.w + phase)) for x in range(0, c.w + 20, 20)
            ]
            c.draw.polygon([*crest, (c.w, c.h), (0, c.h)], fill=mix(sand, low, 0.15))
            c.draw.polygon([*crest, (c.w, c.h), (c.w * 0.5, c.h)], fill=shade(mix(sand, low, 0.15), -0.12))
    else:  # hot-air balloons over hills
        _sun(c, sx, horizon, c.unit(0.1), sun_colour)
        for k in range(3):
            hill = mix(hexrgb("#C98B6B"), low, 0.5 - k * 0.18)
            c.draw.polygon(
                [*ridge(rng, c.w, horizon + c.h * k * 0.1, c.h * 0.06), (c.w, c.h), (0, c.h)], fill=hill
            )
        for _ in range(rng.randint(4, 7)):
            bx, by = rng.uniform(0.1, 0.9) * c.w, rng.uniform(0.1, 0.7) * c.h
            _balloon(c, rng, bx, by, c.unit(rng.uniform(0.03, 0.1)))
    return motif, sky


def _balloon(c: Canvas, rng: random.Random, x: float, y: float, r: float) -> None:
    colours = [
        hexrgb(v)
        for v in rng.choice(
            (("#E63946", "#F1FAEE"), ("#F4A261", "#E9C46A"), ("#2A9D8F", "#E9C46A"), ("#9B5DE5", "#F15BB5"))
        )
    ]
    envelope = [
        (x + r * math.cos(a), y + r * math.sin(a)) for a in (math.pi * (1 + i / 20) for i in range(21))
    ]
    envelope += [(x + r, y), (x + r * 0.35, y + r * 1.25), (x - r * 0.35, y + r * 1.25), (x - r, y)]
    c.draw.polygon(envelope, fill=colours[0])
    for k in (-1, 1):
        c.draw.polygon(
            [
                (x + k * r * 0.33, y - r * 0.95),
                (x + k * r * 0.62, y),
                (x + k * r * 0.12, y + r * 1.25),
                (x + k * r * 0.05, y),
            ],
            fill=colours[1],
        )
    c.draw.rectangle((x - r * 0.18, y + r * 1.45, x + r * 0.18, y + r * 1.7), fill=hexrgb("#6B4226"))
