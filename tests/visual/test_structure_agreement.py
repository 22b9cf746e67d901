"""The drawn-parts check of flat graphics on hand-made pictures: what a copy keeps, what tells two apart."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageEnhance

from pinhaven.search.visual.dedup import DuplicatePolicy
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.structure import image_structure, structure_agreement

THRESHOLD = DuplicatePolicy().min_structure_agreement
BACKGROUND = (245, 238, 225)


def _picture(small_parts: list[tuple[int, int]]) -> Image.Image:
    """One big yellow disc and a few small blue squares on a plain light background."""
    img = Image.new("RGB", (480, 360), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.ellipse((90, 70, 310, 290), fill=(255, 200, 30))
    for x, y in small_parts:
        draw.rectangle((x, y, x + 22, y + 22), fill=(40, 60, 200))
    return img


def _agreement(a: Image.Image, b: Image.Image) -> float | None:
    return structure_agreement(image_structure(prepare_image(a)), image_structure(prepare_image(b)))


def test_one_big_shared_mark_does_not_outvote_every_other_part() -> None:
    # the same disc, its one small companion elsewhere: by √area the disc alone explains ≈ 0.9 of both
    one = _picture([(380, 300)])
    other = _picture([(30, 40)])
    agreement = _agreement(one, other)
    assert agreement is not None and agreement < THRESHOLD


def test_a_darkened_or_brightened_copy_keeps_its_parts() -> None:
    img = _picture([(360, 40), (380, 300), (30, 300)])
    for gain in (0.75, 1.2):  # every colour scaled, the background's too (bright ones clip at white)
        copy = ImageEnhance.Brightness(img).enhance(gain)
        agreement = _agreement(img, copy)
        assert agreement is not None and agreement >= THRESHOLD, gain
