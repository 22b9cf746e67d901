"""Shapes of a flat graphic: the second signal the duplicate rule needs where hashes and descriptor fail.

A flat graphic (a few shapes, words, a logo on a plain background) is summarised by its perceptual hashes
and global descriptor mostly as "that background": two different graphics from one template agree on both.
What tells them apart is *what is drawn*: which shapes and glyphs, in which colour, where. So each
flat-ish image keeps, computed once at embed time, a small table of its drawn parts:

    the background colour (the most common colour), then every connected region that differs from it
    (a shape, a letter, a block), not touching the border: area, centre, two rotation-invariant shape
    moments (Hu's first two, as size and elongation) and mean colour.

Two tables agree when one similarity transform (scale, shift, rotation up to ±12°; either image mirrored)
maps the parts of one onto parts of the other with the same colour, shape and size, covering most of the
drawn area of both (`structure_agreement`). A re-encoded, resized, cropped, brightened, mirrored or slightly
rotated copy keeps its parts; another word, shape or colour on the same template does not. Parts cut by a
crop (they touch the border) are left out on both sides; parts of one image that fall outside the other's
frame do not count against the pair. Colours match as they are or after the brightness gain between
the two backgrounds (a brightened copy scales them all); a part with one match and no rotation to show
(a disc) is tried at a few small rotations. Faint or tiny parts (a thin line blended at this size, a
speck of a letter) may vanish by resampling alone: they count when matched, never against the pair.
Besides the √area-weighted share, ≥ `_MIN_COUNT_SHARE` of the parts by count must match, so one big
mark cannot outvote every other part disagreeing.

Cost: ≈ 1-3 ms per image at embed time (a 160 px labelling), ≤ 1.5 KiB stored; per compared pair ≈ 1 ms
CPU (p50), 3 ms (p99) on a loaded 2-core box, so the finder checks at most a few flat candidates per lookup.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

__all__ = [
    "STRUCTURE_SIDE",
    "decode_structure",
    "encode_structure",
    "image_structure",
    "structure_agreement",
    "structure_variants",
]

STRUCTURE_SIDE = 160  # px, the longer side the parts are measured at
_MAX_PARTS = 48  # largest parts kept (text cards have one per letter)
_MIN_DRAWN = 0.01  # share of the frame that must be drawn for the check to judge
_MIN_AREA = 6  # px at STRUCTURE_SIDE: smaller specks are JPEG noise
_INK = 0.16  # a pixel is drawn when a channel differs this much from the background (0..1)
_COLS = 8  # columns of the stored table
# matching tolerances (a copy's parts move by resampling, JPEG ringing, a ±5° rotation)
_COLOUR_TOL = 0.2  # max channel difference of two parts' mean colours (brightness edits move them)
_SIZE_TOL = 0.35  # |log| difference of Hu's first moment (size-normalised spread)
_ELONGATION_TOL = 0.25
_AREA_TOL = 0.2  # |log| of (area ratio / scale²)
_POSITION_TOL = 0.035  # share of the image's longer side a matched centre may be off
_MAX_ANGLE = np.deg2rad(12.0)
_SCALES = (0.6, 1.6)
_MIN_IN_VIEW = 0.4  # share of each picture's drawn parts that must lie in the other's frame
_CENTRE_TOL = 0.12  # share of the longer side the mapped centre may be off
_SINGLE_ANGLES = np.deg2rad(np.array([0.0, -3.0, 3.0, -6.0, 6.0]))  # rotations tried on one-part hypotheses
_GAIN_FROM = 0.3  # backgrounds at least this bright tell a brightness gain (darker ones are too noisy)
_MAX_GAIN = 1.45
_FIRM_CONTRAST = 0.3  # parts fainter than this (thin lines blended at STRUCTURE_SIDE) are optional evidence
_FIRM_AREA = 12  # px; smaller parts are optional evidence too
_MIN_COUNT_SHARE = 0.6  # share of the parts (by count) that must match as well
_SURE = 0.95  # an agreement this high needs no mirrored reading
_HYPOTHESIS_PARTS = 12  # a's largest parts that seed transform hypotheses
_WEIGHT_POWER = 0.5  # parts weigh area ** this: a word's letters count beside a big mark
# query-side readings (`structure_variants`): measured at the scale a 10 % crop zooms to or from, and turned
# back by a small rotation, so letters merge and split as they do in the other picture
_VARIANT_SIDES = (144, 176)
_VARIANT_ANGLES = (5.0, -5.0)


def image_structure(img: Image.Image, side: int = STRUCTURE_SIDE) -> np.ndarray:
    """The drawn-parts table of an (already shrunk) RGB image: float32 (1 + parts, 8).

    Row 0: width, height, background r, g, b, number of parts, 0, 0. Then one row per part, largest first:
    area (px), centre x, centre y, Hu size, elongation, r, g, b. `side`: the longer side it is measured at.
    """
    w, h = img.size
    scale = side / max(w, h)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    rgb = np.asarray(img.convert("RGB").resize(size, Image.Resampling.BOX), np.float32) / 255.0
    background = _background(rgb)
    ink = np.abs(rgb - background).max(axis=-1) > _INK
    labels, count = ndimage.label(ink, structure=np.ones((3, 3), bool))
    head = np.array([[size[0], size[1], *background, 0, 0, 0]], np.float32)
    if count == 0:
        return head
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    flat = labels.ravel()
    area = np.bincount(flat, minlength=count + 1).astype(np.float64)
    ys, xs = np.indices(labels.shape, dtype=np.float64)
    x, y = xs.ravel(), ys.ravel()

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=values, minlength=count + 1)

    safe = np.maximum(area, 1.0)
    cx, cy = total(x) / safe, total(y) / safe
    mu20 = total(x * x) / safe - cx**2
    mu02 = total(y * y) / safe - cy**2
    mu11 = total(x * y) / safe - cx * cy
    # Hu's invariants on area-normalised central moments (η = μ / area for 2nd order, per pixel mean)
    eta20, eta02, eta11 = mu20 / safe, mu02 / safe, mu11 / safe
    hu1 = eta20 + eta02
    hu2 = (eta20 - eta02) ** 2 + 4 * eta11**2
    elongation = np.sqrt(np.maximum(hu2, 0.0)) / np.maximum(hu1, 1e-9)
    colour = np.stack([total(rgb[..., c].ravel()) / safe for c in range(3)], axis=1)
    keep = np.flatnonzero(area >= _MIN_AREA)
    keep = keep[(keep != 0) & ~np.isin(keep, edge)]
    keep = keep[np.argsort(-area[keep], kind="stable")][:_MAX_PARTS]
    parts = np.column_stack(
        [area[keep], cx[keep], cy[keep], np.log(np.maximum(hu1[keep], 1e-6)), elongation[keep], colour[keep]]
    ).astype(np.float32)
    head[0, 5] = len(parts)
    return np.concatenate([head, parts])


def structure_variants(img: Image.Image, table: np.ndarray) -> tuple[np.ndarray, ...]:
    """More readings of one picture's parts, for the query side of a lookup: at 0.9× and 1.1× the side (a
    10 % crop zooms the rest by 1.1) and turned by ±5° about the centre (corners filled with the
    background, so they add no part).

    Why: the parts are measured at 160 px, where a word's letters are 10-20 px tall; a crop's zoom or a
    small rotation resamples them so two letters merge in one picture and not in the other (or a thin
    part breaks), and no transform can match parts the labelling drew differently. Measured at the other
    picture's scale or angle they are labelled alike again. Not stored: only the picture being looked up
    needs them (≈ 4 labellings, 4-8 ms once per flat-ish picture at embed time).
    """
    background = tuple(round(float(c) * 255) for c in table[0, 2:5])
    out = [image_structure(img, side) for side in _VARIANT_SIDES]
    rgb = img.convert("RGB")
    for angle in _VARIANT_ANGLES:
        turned = rgb.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=background)
        out.append(image_structure(turned))
    return tuple(out)


def _background(rgb: np.ndarray) -> np.ndarray:
    """The most common colour (coarse bins, then the median inside the winning bin)."""
    pixels = rgb.reshape(-1, 3)
    bins = np.minimum((pixels * 8).astype(np.int64), 7)
    code = bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2]
    winner = int(np.bincount(code, minlength=512).argmax())
    return np.median(pixels[code == winner], axis=0).astype(np.float32)


def encode_structure(table: np.ndarray) -> bytes:
    return np.ascontiguousarray(table, "<f4").tobytes()


def decode_structure(blob: bytes | None) -> np.ndarray | None:
    """The stored table, or None when absent or not a table (e.g. a layout stored by an older version)."""
    if not blob or len(blob) % (4 * _COLS):
        return None
    table = np.frombuffer(blob, "<f4").reshape(-1, _COLS)
    if int(table[0, 5]) != len(table) - 1:
        return None
    return table


def structure_agreement(a: np.ndarray, b: np.ndarray) -> float | None:
    """Share (0..1) of the drawn area of both images explained by one transform mapping a's parts onto b's.

    The smaller of the two shares (a onto b, b onto a) counts: a copy covers both almost fully; a sibling
    on the same template shares only its template parts. None when the check has nothing to judge on:
    either picture has (almost) nothing drawn apart from its border (a gradient, a plain colour, a texture
    without a dominant background); the caller then relies on its other signals.
    """
    if _drawn(a) < _MIN_DRAWN or _drawn(b) < _MIN_DRAWN:
        return None
    best = _agreement(a, b, False)
    if best < _SURE:  # a mirrored copy is the rarer case: only tried when the plain reading falls short
        best = max(best, _agreement(a, b, True))
    return best


def _agreement(a: np.ndarray, b: np.ndarray, mirrored: bool) -> float:
    pa, pb = a[1:].astype(np.float64), b[1:].astype(np.float64)
    wa, ha, wb, hb = float(a[0, 0]), float(a[0, 1]), float(b[0, 0]), float(b[0, 1])
    za = pa[:, 1] + 1j * pa[:, 2]
    zb = (wb - pb[:, 1] if mirrored else pb[:, 1]) + 1j * pb[:, 2]
    # candidate part pairs: same colour and shape
    colour = _same_colour(a, b)
    shape = (np.abs(pa[:, None, 3] - pb[None, :, 3]) <= _SIZE_TOL) & (
        np.abs(pa[:, None, 4] - pb[None, :, 4]) <= _ELONGATION_TOL
    )
    ia, ib = np.nonzero(colour & shape)
    if len(ia) == 0:
        return 0.0
    log_area = np.log(pb[ib, 0] / pa[ia, 0])
    # hypotheses: every pair of candidate pairs on two different parts gives a similarity transform;
    # a single pair gives one with the area's scale and a few small rotations (a graphic whose parts are
    # round or few cannot show its rotation through two parts). Hypotheses come from the candidate pairs
    # of a's largest parts only (rows are largest first): a text-heavy screenshot has hundreds of letter
    # pairs, and all of them as hypotheses cost tens of ms; inliers are still counted over every pair.
    seeds = int(np.searchsorted(ia, _HYPOTHESIS_PARTS))  # ia is sorted: pairs of a's first parts
    h1, h2 = np.triu_indices(seeds, k=1)
    ok = (ia[h1] != ia[h2]) & (ib[h1] != ib[h2])
    h1, h2 = h1[ok], h2[ok]
    da = za[ia[h2]] - za[ia[h1]]
    far = np.abs(da) > 4.0
    h1, h2, da = h1[far], h2[far], da[far]
    rot = (zb[ib[h2]] - zb[ib[h1]]) / da
    turns = np.exp(1j * _SINGLE_ANGLES)
    single = (np.sqrt(np.exp(log_area))[:, None] * turns[None, :]).ravel()
    rot = np.concatenate([rot, single])
    anchor = np.concatenate([h1, np.repeat(np.arange(len(ia)), len(turns))])
    mag = np.abs(rot)
    fine = (mag >= _SCALES[0]) & (mag <= _SCALES[1]) & (np.abs(np.angle(rot)) <= _MAX_ANGLE)
    rot, anchor = rot[fine], anchor[fine]
    if len(rot) == 0:
        return 0.0
    shift = zb[ib[anchor]] - rot * za[ia[anchor]]
    frames = (wa, ha, wb, hb)
    centred = _centred(rot, shift, frames)
    rot, shift = rot[centred], shift[centred]
    if len(rot) == 0:
        return 0.0
    # inliers of every hypothesis: candidate pairs whose a-centre lands on its b-centre with a matching area
    inlier = _inliers(rot, shift, za[ia], zb[ib], log_area, max(wb, hb))
    explained_a = np.zeros((len(rot), len(pa)), bool)
    explained_b = np.zeros((len(rot), len(pb)), bool)
    rows = np.nonzero(inlier)
    explained_a[rows[0], ia[rows[1]]] = True
    explained_b[rows[0], ib[rows[1]]] = True
    backgrounds = (a[0, 2:5].astype(np.float64), b[0, 2:5].astype(np.float64))
    share = _shares(pa, pb, za, zb, rot, shift, explained_a, explained_b, frames, backgrounds)
    return float(share.max())


def _same_colour(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(parts of a) × (parts of b): mean colours within the tolerance, as they are or after the brightness
    gain that maps a's background onto b's (a brightened copy scales every colour; a light background
    clips at white, so both readings count)."""
    ca, cb = a[1:, 5:8].astype(np.float64), b[1:, 5:8].astype(np.float64)
    same = np.abs(ca[:, None] - cb[None, :]).max(axis=-1) <= _COLOUR_TOL
    bg_a, bg_b = float(a[0, 2:5].mean()), float(b[0, 2:5].mean())
    if min(bg_a, bg_b) >= _GAIN_FROM:
        gain = bg_b / bg_a
        if 1.0 / _MAX_GAIN <= gain <= _MAX_GAIN:
            scaled = np.minimum(ca * gain, 1.0)
            same |= np.abs(scaled[:, None] - cb[None, :]).max(axis=-1) <= _COLOUR_TOL
    return same


def _centred(rot: np.ndarray, shift: np.ndarray, frames: tuple[float, float, float, float]) -> np.ndarray:
    """A copy is the same picture framed about the same way: a's centre lands near b's centre (a crop of
    10 % moves it 5 %); without this a transform pushing most of a out of b's frame "explains" the rest."""
    wa, ha, wb, hb = frames
    landed = rot * complex(wa / 2, ha / 2) + shift
    return np.abs(landed - complex(wb / 2, hb / 2)) <= _CENTRE_TOL * max(wb, hb)


def _inliers(
    rot: np.ndarray, shift: np.ndarray, za: np.ndarray, zb: np.ndarray, log_area: np.ndarray, side: float
) -> np.ndarray:
    """(hypotheses) × (candidate pairs): the pair's a-centre lands on its b-centre with a matching area."""
    landed = np.abs(rot[:, None] * za[None, :] + shift[:, None] - zb[None, :]) <= _POSITION_TOL * side
    sized = np.abs(log_area[None, :] - 2 * np.log(np.abs(rot))[:, None]) <= _AREA_TOL
    return landed & sized


def _shares(
    pa: np.ndarray,
    pb: np.ndarray,
    za: np.ndarray,
    zb: np.ndarray,
    rot: np.ndarray,
    shift: np.ndarray,
    explained_a: np.ndarray,
    explained_b: np.ndarray,
    frames: tuple[float, float, float, float],
    backgrounds: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Per hypothesis: the smaller of the two images' explained shares of their drawn parts in view."""
    wa, ha, wb, hb = frames
    bg_a, bg_b = backgrounds
    # weights: √area, so a word's letters count beside a big mark (area alone lets the mark decide)
    area_a = pa[:, 0] ** _WEIGHT_POWER
    area_b = pb[:, 0] ** _WEIGHT_POWER
    # parts count against the pair only when they fall inside the other image's frame
    # (the whole part: one reaching the border there would have been dropped, as a crop cuts it)
    into_b = rot[:, None] * za[None, :] + shift[:, None]
    visible_a = _inside(into_b, _reach(pa)[None, :] * np.abs(rot)[:, None], wb, hb)
    into_a = (zb[None, :] - shift[:, None]) / rot[:, None]
    visible_b = _inside(into_a, _reach(pb)[None, :] / np.abs(rot)[:, None], wa, ha)
    # a faint or tiny part (a thin line blended into the background, a speck of a letter) may vanish in a
    # copy by resampling alone: it counts when matched, never against the pair when not
    due_a = visible_a & (_firm(pa, bg_a)[None, :] | explained_a)
    due_b = visible_b & (_firm(pb, bg_b)[None, :] | explained_b)
    share_a = (explained_a * area_a).sum(1) / np.maximum((due_a * area_a).sum(1), 1e-9)
    share_b = (explained_b * area_b).sum(1) / np.maximum((due_b * area_b).sum(1), 1e-9)
    share = np.minimum(np.minimum(share_a, share_b), 1.0)
    # and by count: one big matching mark must not outvote every other part disagreeing (two different
    # graphics with the same disc on the same background)
    count_a = explained_a.sum(1) / np.maximum(due_a.sum(1), 1)
    count_b = explained_b.sum(1) / np.maximum(due_b.sum(1), 1)
    share = np.where(np.minimum(count_a, count_b) >= _MIN_COUNT_SHARE, share, 0.0)
    # most of each picture must be in view of the other (a crop keeps most of it): a transform that
    # leaves little in view would be judged on those few parts alone
    in_view = np.minimum(
        (visible_a * area_a).sum(1) / area_a.sum(), (visible_b * area_b).sum(1) / area_b.sum()
    )
    return np.where(in_view >= _MIN_IN_VIEW, share, 0.0)


def _firm(parts: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Parts a copy keeps for sure: clearly off the background and not a speck."""
    contrast = np.abs(parts[:, 5:8] - background[None, :]).max(axis=1)
    return (contrast >= _FIRM_CONTRAST) & (parts[:, 0] >= _FIRM_AREA)


def _drawn(table: np.ndarray) -> float:
    """Share of the frame covered by the kept parts."""
    return float(table[1:, 0].sum()) / max(float(table[0, 0] * table[0, 1]), 1.0)


def _reach(parts: np.ndarray) -> np.ndarray:
    """How far a part extends from its centre, about: 1.2 × its radius of gyration √(μ20 + μ02) (half
    the side of a square, a little more than a disc's radius)."""
    return 1.2 * np.sqrt(np.exp(parts[:, 3]) * parts[:, 0])


def _inside(z: np.ndarray, reach: np.ndarray, w: float, h: float) -> np.ndarray:
    """Parts (centres z, extents reach) lying wholly inside a w × h frame."""
    return (z.real > reach) & (z.real < w - reach) & (z.imag > reach) & (z.imag < h - reach)
