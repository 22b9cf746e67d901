"""Dominant colour and palette."""

from __future__ import annotations

from PIL import Image

from pinhaven.media import colour


def test_dominant_colour_is_the_largest_area() -> None:
    image = Image.new("RGB", (100, 100), (20, 120, 220))
    image.paste((250, 250, 0), (0, 0, 30, 100))
    dominant, palette = colour.analyse(image)
    assert dominant == "#1478DC"
    assert palette[:2] == ["#1478DC", "#FAFA00"]


def test_transparent_pixels_do_not_count() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((200, 0, 0, 255), (40, 40, 60, 60))
    assert colour.dominant_color(image) == "#C80000"


def test_palette_merges_near_duplicates_and_is_bounded() -> None:
    image = Image.linear_gradient("L").convert("RGB")
    palette = colour.palette(image, size=4)
    assert 1 <= len(palette) <= 4 and len(set(palette)) == len(palette)


def test_fully_transparent_and_greyscale_images_still_get_a_colour() -> None:
    assert colour.dominant_color(Image.new("RGBA", (8, 8), (10, 20, 30, 0))) == "#0A141E"
    assert colour.dominant_color(Image.new("L", (8, 8), 128)) == "#808080"
