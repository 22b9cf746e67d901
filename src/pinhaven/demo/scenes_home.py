"""Interiors: one-point-perspective rooms (living rooms, bedrooms, kitchens, reading nooks) in muted palettes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from pinhaven.demo.painting import RGB, Canvas, Point, hexrgb, leaf, shade, vary


@dataclass(frozen=True)
class RoomPalette:
    wall: str
    floor: str
    sofa: str
    accents: tuple[str, str, str]
    rug: str


ROOMS: dict[str, RoomPalette] = {
    "sage and oak": RoomPalette(
        "#C9D1BE", "#C49A6C", "#F1ECE2", ("#8A9A7B", "#D9A066", "#EDE4D3"), "#E8DFD0"
    ),
    "warm neutral": RoomPalette(
        "#EDE3D5", "#B8895D", "#C7B299", ("#A0522D", "#E9D7C0", "#6B705C"), "#D9C7B0"
    ),
    "terracotta": RoomPalette("#E6C2AC", "#D6B48E", "#B5573B", ("#F2E3CF", "#7B8F6A", "#E8C07D"), "#F0E2CE"),
    "navy and brass": RoomPalette(
        "#2E3A4F", "#9B7653", "#D9CBB5", ("#C9A04E", "#8C3B3B", "#F3EBDD"), "#CDBFA6"
    ),
    "blush": RoomPalette("#EED7CF", "#C9A47E", "#D99C94", ("#F6E7DF", "#A26769", "#8FA38A"), "#F5ECE6"),
    "charcoal": RoomPalette("#5B5E63", "#A47B55", "#E6DFD3", ("#C97C4B", "#E8D9C0", "#8FA38A"), "#3D3F44"),
}
ROOM_KINDS = ("living room", "bedroom", "kitchen", "reading nook")


class _Room:
    """Geometry of a one-point-perspective room: the back wall plane, and depth scale `s` towards the viewer."""

    def __init__(self, c: Canvas, rng: random.Random) -> None:
        self.c = c
        self.bx0, self.bx1 = c.w * rng.uniform(0.08, 0.14), c.w * rng.uniform(0.86, 0.92)
        self.by0, self.by1 = c.h * rng.uniform(0.1, 0.14), c.h * rng.uniform(0.62, 0.68)
        self.vx, self.vy = c.w * rng.uniform(0.45, 0.55), c.h * 0.5
        self.wall_h = self.by1 - self.by0

    def p(self, x: float, up: float, s: float = 1.0) -> Point:
        """Screen point of back-wall x, height `up` (fraction of wall height above the floor), depth scale s."""
        y = self.by1 - up * self.wall_h
        return self.vx + (x - self.vx) * s, self.vy + (y - self.vy) * s

    def box(
        self, x0: float, x1: float, up0: float, up1: float, s: float = 1.0
    ) -> tuple[float, float, float, float]:
        (ax, ay), (bx, by) = self.p(x0, up1, s), self.p(x1, up0, s)
        return ax, ay, bx, by

    def frac(self, t: float) -> float:
        """x on the back wall at fraction t across it."""
        return self.bx0 + (self.bx1 - self.bx0) * t


def _shell(room: _Room, pal: RoomPalette, rng: random.Random) -> None:
    c, r = room.c, room
    wall, floor = hexrgb(pal.wall), hexrgb(pal.floor)
    c.draw.rectangle((0, 0, c.w, c.h), fill=shade(wall, -0.1))
    c.draw.polygon([(0, 0), (c.w, 0), (r.bx1, r.by0), (r.bx0, r.by0)], fill=shade(wall, 0.12))
    c.draw.polygon([(c.w, 0), (c.w, c.h), (r.bx1, r.by1), (r.bx1, r.by0)], fill=shade(wall, -0.05))
    c.draw.polygon([(0, c.h), (c.w, c.h), (r.bx1, r.by1), (r.bx0, r.by1)], fill=floor)
    planks = 14
    for k in range(planks + 1):
        x = r.bx0 + (r.bx1 - r.bx0) * k / planks
        bottom = r.vx + (x - r.vx) * (c.h - r.vy) / (r.by1 - r.vy)
        c.draw.line((x, r.by1, bottom, c.h), fill=shade(floor, -0.1), width=max(1, int(c.unit(0.003))))
    c.draw.rectangle((r.bx0, r.by0, r.bx1, r.by1), fill=wall)
    c.draw.rectangle((r.bx0, r.by1 - c.unit(0.015), r.bx1, r.by1), fill=shade(wall, 0.18))  # skirting


def _art(
    room: _Room, rng: random.Random, x0: float, x1: float, up0: float, up1: float, colours: list[RGB]
) -> None:
    c = room.c
    box = room.box(x0, x1, up0, up1)
    frame = hexrgb(rng.choice(("#2B2B2B", "#C8A86B", "#F4F1EA", "#8A6A4F")))
    c.draw.rectangle(box, fill=frame)
    pad = (box[2] - box[0]) * 0.08
    inner = (box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad)
    c.draw.rectangle(inner, fill=(246, 241, 232))
    cx, bottom, w = (inner[0] + inner[2]) / 2, inner[3] - pad * 0.5, (inner[2] - inner[0]) * 0.8
    for k, colour in enumerate(colours):  # a little rainbow of arches
        half = w / 2 * (1 - k * 0.28)
        c.draw.pieslice((cx - half, bottom - half, cx + half, bottom + half), 180, 360, fill=colour)
    c.draw.pieslice(
        (cx - w * 0.08, bottom - w * 0.08, cx + w * 0.08, bottom + w * 0.08), 180, 360, fill=(246, 241, 232)
    )


def _plant(room: _Room, rng: random.Random, x: float, s: float) -> None:
    c = room.c
    pot = room.box(x - room.wall_h * 0.08, x + room.wall_h * 0.08, 0, 0.16, s)
    top_x, top_y = (pot[0] + pot[2]) / 2, pot[1]
    for _ in range(9):
        a = -math.pi / 2 + rng.uniform(-1.1, 1.1)
        length = room.wall_h * s * rng.uniform(0.18, 0.3)
        c.draw.polygon(leaf((top_x, top_y), length, length * 0.45, a), fill=vary(rng, hexrgb("#4F7A4A"), 16))
    colour = hexrgb(rng.choice(("#C86B4A", "#EFE9DF", "#3B3B3B")))
    c.draw.polygon(
        [
            (pot[0], pot[1]),
            (pot[2], pot[1]),
            (pot[2] - (pot[2] - pot[0]) * 0.12, pot[3]),
            (pot[0] + (pot[2] - pot[0]) * 0.12, pot[3]),
        ],
        fill=colour,
    )


def _lamp(room: _Room, x: float, s: float, height: float, shade_colour: RGB) -> None:
    c = room.c
    foot, top = room.p(x, 0, s), room.p(x, height, s)
    c.radial_glow((top[0], top[1]), room.wall_h * s * 0.45, hexrgb("#FFE2A8"), 0.55)
    c.draw.line((foot, top), fill=(60, 55, 50), width=max(2, int(c.unit(0.006))))
    w, h = room.wall_h * s * 0.09, room.wall_h * s * 0.1
    c.draw.polygon(
        [
            (top[0] - w * 0.6, top[1] - h),
            (top[0] + w * 0.6, top[1] - h),
            (top[0] + w, top[1]),
            (top[0] - w, top[1]),
        ],
        fill=shade_colour,
    )


def _sofa(room: _Room, pal: RoomPalette, rng: random.Random, s: float) -> None:
    c, x0, x1 = room.c, room.frac(0.2), room.frac(0.8)
    body = hexrgb(pal.sofa)
    c.shadows([("rect", list(room.box(x0, x1, -0.03, 0.05, s)))], opacity=0.35)
    c.draw.rounded_rectangle(
        room.box(x0 + 8, x1 - 8, 0.12, 0.42, s), radius=c.unit(0.02), fill=shade(body, -0.06)
    )
    c.draw.rounded_rectangle(room.box(x0 + 5, x1 - 5, 0.03, 0.2, s), radius=c.unit(0.015), fill=body)
    for k in range(3):
        a = x0 + (x1 - x0) * (0.1 + k * 0.27)
        c.draw.rounded_rectangle(
            room.box(a, a + (x1 - x0) * 0.26, 0.17, 0.23, s), radius=c.unit(0.012), fill=shade(body, 0.06)
        )
    for side in (x0, x1 - (x1 - x0) * 0.09):
        c.draw.rounded_rectangle(
            room.box(side, side + (x1 - x0) * 0.09, 0.03, 0.3, s),
            radius=c.unit(0.02),
            fill=shade(body, -0.02),
        )
    for k, accent in enumerate(pal.accents[:2]):
        a = x0 + (x1 - x0) * (0.14 + k * 0.58)
        c.draw.rounded_rectangle(
            room.box(a, a + (x1 - x0) * 0.17, 0.22, 0.38, s), radius=c.unit(0.02), fill=hexrgb(accent)
        )


def _rug(room: _Room, pal: RoomPalette, s0: float, s1: float) -> None:
    a, b = room.frac(0.12), room.frac(0.88)
    room.c.draw.polygon(
        [room.p(a, 0, s0), room.p(b, 0, s0), room.p(b, 0, s1), room.p(a, 0, s1)], fill=hexrgb(pal.rug)
    )
    inset = (b - a) * 0.05
    room.c.draw.line(
        [
            room.p(a + inset, 0, s0 * 1.03),
            room.p(b - inset, 0, s0 * 1.03),
            room.p(b - inset, 0, s1 * 0.97),
            room.p(a + inset, 0, s1 * 0.97),
            room.p(a + inset, 0, s0 * 1.03),
        ],
        fill=shade(hexrgb(pal.rug), -0.15),
        width=max(2, int(room.c.unit(0.006))),
    )


def paint_interior(c: Canvas, rng: random.Random, motif: str | None = None) -> tuple[str, str]:
    """A room of kind `motif` (default: any); returns (room kind, palette name)."""
    name = rng.choice(list(ROOMS))
    kind = motif or rng.choice(ROOM_KINDS)
    pal, room = ROOMS[name], _Room(c, rng)
    _shell(room, pal, rng)
    accents = [hexrgb(a) for a in pal.accents]
    if kind == "living room":
        _art(room, rng, room.frac(0.36), room.frac(0.64), 0.55, 0.88, accents)
        _rug(room, pal, 1.1, 2.6)
        _sofa(room, pal, rng, 1.12)
        _plant(room, rng, room.frac(0.06), 1.3)
        _lamp(room, room.frac(0.95), 1.15, 0.7, accents[2])
        table = room.box(room.frac(0.38), room.frac(0.62), 0.0, 0.1, 1.8)
        c.draw.ellipse(
            (table[0], table[1] - c.unit(0.03), table[2], table[1] + c.unit(0.03)), fill=hexrgb("#8A6A4F")
        )
        c.draw.rectangle(
            (table[0] + c.unit(0.03), table[1], table[2] - c.unit(0.03), table[3]),
            fill=shade(hexrgb("#8A6A4F"), -0.2),
        )
    elif kind == "bedroom":
        _art(room, rng, room.frac(0.3), room.frac(0.7), 0.62, 0.9, accents)
        bed = hexrgb(pal.sofa)
        c.draw.rounded_rectangle(
            room.box(room.frac(0.22), room.frac(0.78), 0.0, 0.5, 1.03),
            radius=c.unit(0.03),
            fill=shade(bed, -0.15),
        )
        a, b = room.frac(0.24), room.frac(0.76)
        c.draw.polygon(
            [room.p(a, 0.2, 1.05), room.p(b, 0.2, 1.05), room.p(b, 0.2, 1.75), room.p(a, 0.2, 1.75)],
            fill=(247, 244, 238),
        )
        c.draw.polygon(
            [room.p(a, 0.2, 1.3), room.p(b, 0.2, 1.3), room.p(b, 0.2, 1.75), room.p(a, 0.2, 1.75)],
            fill=accents[1],
        )
        c.draw.polygon(
            [room.p(a, 0.2, 1.75), room.p(b, 0.2, 1.75), room.p(b, 0.0, 1.75), room.p(a, 0.0, 1.75)],
            fill=shade(accents[1], -0.12),
        )
        for k in range(2):
            pa = a + (b - a) * (0.06 + k * 0.5)
            c.draw.rounded_rectangle(
                room.box(pa, pa + (b - a) * 0.42, 0.22, 0.34, 1.12), radius=c.unit(0.02), fill=(255, 253, 249)
            )
        for side in (0.08, 0.86):
            c.draw.rectangle(
                room.box(room.frac(side), room.frac(side + 0.12), 0.0, 0.2, 1.05), fill=hexrgb("#8A6A4F")
            )
            _lamp(room, room.frac(side + 0.06), 1.05, 0.36, accents[2])
    elif kind == "kitchen":
        cab = hexrgb(rng.choice((*pal.accents, pal.sofa)))
        tile = room.box(room.bx0, room.bx1, 0.3, 0.55)
        step = c.unit(0.03)
        for k in range(int((tile[3] - tile[1]) / step) + 1):
            y = tile[1] + k * step
            c.draw.line((tile[0], y, tile[2], y), fill=shade(hexrgb(pal.wall), -0.08), width=1)
        for k in range(3):  # open shelves with ceramics
            shelf_y = 0.62 + k * 0.12
            c.draw.rectangle(
                room.box(room.frac(0.15), room.frac(0.85), shelf_y - 0.015, shelf_y), fill=hexrgb("#9C7A56")
            )
            for j in range(rng.randint(3, 6)):
                x = room.frac(0.18 + j * 0.12 + rng.uniform(0, 0.03))
                h = rng.uniform(0.04, 0.09)
                c.draw.rounded_rectangle(
                    room.box(x, x + room.wall_h * 0.06, shelf_y, shelf_y + h),
                    radius=c.unit(0.006),
                    fill=vary(rng, rng.choice([*accents, (245, 242, 235)]), 8),
                )
        c.draw.rectangle(room.box(room.bx0, room.bx1, 0.0, 0.3, 1.02), fill=cab)
        c.draw.rectangle(room.box(room.bx0, room.bx1, 0.28, 0.32, 1.02), fill=hexrgb("#EDEAE4"))
        for k in range(7):
            x = room.bx0 + (room.bx1 - room.bx0) * k / 7
            c.draw.rectangle(
                room.box(x + 3, x + (room.bx1 - room.bx0) / 7 - 3, 0.03, 0.26, 1.02),
                outline=shade(cab, -0.12),
                width=max(1, int(c.unit(0.003))),
            )
        for k in range(2):
            x = room.frac(0.3 + k * 0.4)
            top, end = room.p(x, 1.2, 1.4), room.p(x, 0.82, 1.4)
            c.draw.line((top, end), fill=(40, 40, 40), width=max(1, int(c.unit(0.004))))
            c.radial_glow(end, c.unit(0.18), hexrgb("#FFE2A8"), 0.4)
            r = c.unit(0.05)
            c.draw.pieslice(
                (end[0] - r, end[1] - r * 0.2, end[0] + r, end[1] + r * 1.8), 180, 360, fill=accents[0]
            )
        island = hexrgb(pal.floor) if cab != hexrgb(pal.floor) else shade(cab, -0.2)
        c.draw.rectangle(
            room.box(room.frac(0.18), room.frac(0.82), 0.0, 0.32, 1.75), fill=shade(island, -0.08)
        )
        c.draw.rectangle(room.box(room.frac(0.16), room.frac(0.84), 0.3, 0.34, 1.75), fill=hexrgb("#F4F1EC"))
        for k in range(3):
            x = room.frac(0.28 + k * 0.22)
            seat = room.box(x - room.wall_h * 0.05, x + room.wall_h * 0.05, 0.22, 0.25, 2.1)
            c.draw.ellipse(seat, fill=accents[2])
            for leg in (seat[0] + 4, seat[2] - 4):
                c.draw.line(
                    (leg, seat[3], leg, room.p(x, 0, 2.1)[1]),
                    fill=(50, 45, 40),
                    width=max(2, int(c.unit(0.006))),
                )
    else:  # reading nook: tall window, armchair, lamp
        window = room.box(room.frac(0.3), room.frac(0.7), 0.3, 0.95)
        c.draw.rectangle(window, fill=shade(hexrgb(pal.wall), 0.25))
        glass = (
            window[0] + c.unit(0.015),
            window[1] + c.unit(0.015),
            window[2] - c.unit(0.015),
            window[3] - c.unit(0.015),
        )
        c.vertical_gradient([(0, hexrgb("#A9C8E3")), (1, hexrgb("#E8F1F4"))], tuple(int(v) for v in glass))  # type: ignore[arg-type]
        c.draw.line(
            ((glass[0] + glass[2]) / 2, glass[1], (glass[0] + glass[2]) / 2, glass[3]),
            fill=(250, 250, 250),
            width=max(2, int(c.unit(0.01))),
        )
        c.draw.line(
            (glass[0], (glass[1] + glass[3]) / 2, glass[2], (glass[1] + glass[3]) / 2),
            fill=(250, 250, 250),
            width=max(2, int(c.unit(0.01))),
        )
        _rug(room, pal, 1.15, 2.6)
        chair = hexrgb(pal.sofa)
        c.shadows(
            [("rect", list(room.box(room.frac(0.33), room.frac(0.67), -0.03, 0.05, 1.45)))], opacity=0.35
        )
        c.draw.rounded_rectangle(
            room.box(room.frac(0.36), room.frac(0.64), 0.1, 0.5, 1.45),
            radius=c.unit(0.05),
            fill=shade(chair, -0.06),
        )
        c.draw.rounded_rectangle(
            room.box(room.frac(0.34), room.frac(0.66), 0.03, 0.2, 1.45), radius=c.unit(0.03), fill=chair
        )
        for side in (0.33, 0.59):
            c.draw.rounded_rectangle(
                room.box(room.frac(side), room.frac(side + 0.08), 0.03, 0.3, 1.45),
                radius=c.unit(0.03),
                fill=shade(chair, 0.05),
            )
        _lamp(room, room.frac(0.85), 1.3, 0.75, accents[2])
        _plant(room, rng, room.frac(0.12), 1.2)
    return kind, name
