"""The variant ladder: sizes, no upscaling, crops, formats, metadata, determinism."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from tests.media import craft

from pinhaven.media import variants
from pinhaven.media.processing import normalise_upload

ALL_RENDERED = {(k, e) for k in variants.VARIANT_KEYS if k != "originals" for e in variants.OUTPUT_FORMATS}


def original(data: bytes) -> tuple[bytes, int, int]:
    result = normalise_upload(data, max_bytes=50_000_000, max_pixels=50_000_000)
    return result.data, result.width, result.height


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("key", "size", "expected"),
    [
        ("1200x", (4000, 3000), (1200, 900)),
        ("236x", (4000, 3000), (236, 177)),
        ("474x", (4000, 3000), (474, 356)),
        ("1200x", (640, 480), (640, 480)),  # never upscaled
        ("736x", (640, 480), (640, 480)),
        ("600x", (640, 480), (600, 450)),
        ("150x150", (4000, 3000), (150, 150)),
        ("400x300", (4000, 3000), (400, 300)),
        ("400x300", (300, 200), (300, 200)),  # smaller than the crop: its own size
        ("150x150", (20000, 10), (150, 10)),
        ("236x", (20000, 10), (236, 1)),
        ("150x150", (1, 1), (1, 1)),
        ("originals", (123, 45), (123, 45)),
    ],
)
def test_variant_sizes(key: str, size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert variants.variant_size(key, *size) == expected


def test_crop_box_is_centred_and_keeps_the_target_aspect() -> None:
    left, top, right, bottom = variants.crop_box("150x150", 4000, 3000)
    assert (left, top, right, bottom) == (500.0, 0.0, 3500.0, 3000.0)
    left, top, right, bottom = variants.crop_box("400x300", 1000, 2000)
    assert right - left == 1000 and bottom - top == 750 and top == 625


@pytest.mark.parametrize(
    ("fmt", "size"),
    [
        ("JPEG", (2400, 1800)),
        ("PNG", (900, 700)),
        ("WEBP", (500, 900)),
        ("JPEG", (20000, 10)),
        ("PNG", (1, 1)),
    ],
)
def test_render_makes_every_variant_at_its_advertised_size(fmt: str, size: tuple[int, int]) -> None:
    data, width, height = original(craft.encode(craft.photo(size), fmt))
    rendered = variants.render(data, width, height)
    assert set(rendered.files) == ALL_RENDERED
    for (key, ext), blob in rendered.files.items():
        image = open_image(blob)
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[ext]
        assert image.size == variants.variant_size(key, width, height), key
        assert craft.metadata_blocks(blob) == set()
    assert rendered.palette and all(c.startswith("#") and len(c) == 7 for c in rendered.palette)


def test_rotated_upload_gives_upright_variants() -> None:
    upright = Image.new("RGB", (600, 1200), (230, 0, 0))
    upright.paste((0, 0, 230), (0, 600, 600, 1200))
    data, width, height = original(
        craft.jpeg_with_metadata(upright.transpose(Image.Transpose.ROTATE_90), orientation=6)
    )
    rendered = variants.render(data, width, height)
    for (key, _ext), blob in rendered.files.items():
        image = open_image(blob).convert("RGB")
        w, h = image.size
        top, bottom = craft.px(image, (w // 2, h // 10)), craft.px(image, (w // 2, h - 1 - h // 10))
        assert top[0] > 180 and top[2] < 70, (key, top)
        if key != "150x150" and key != "400x300":  # crops cut the middle: both halves still show
            assert bottom[2] > 180 and bottom[0] < 70, (key, bottom)


def test_gps_is_gone_from_every_variant() -> None:
    data, width, height = original(craft.jpeg_with_metadata(craft.photo((1300, 900)), orientation=3))
    for blob in variants.render(data, width, height).files.values():
        assert craft.metadata_blocks(blob) == set()
        assert not open_image(blob).getexif()


def test_alpha_is_kept_in_webp_and_flattened_on_white_in_jpeg() -> None:
    image = Image.new("RGBA", (800, 600), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 400, 600))  # left half transparent
    data, width, height = original(craft.encode(image, "PNG"))
    rendered = variants.render(data, width, height)
    webp = open_image(rendered.files[("474x", "webp")])
    assert webp.mode == "RGBA"
    assert craft.px(webp, (10, 100))[3] == 0 and craft.px(webp, (400, 100))[3] == 255
    jpeg = open_image(rendered.files[("474x", "jpg")])
    assert jpeg.mode == "RGB" and min(craft.px(jpeg, (10, 100))) > 240


def test_render_only_what_is_wanted_and_identically_to_the_full_set() -> None:
    data, width, height = original(craft.encode(craft.photo((1800, 1200)), "JPEG"))
    full = variants.render(data, width, height)
    one = variants.render(data, width, height, wanted=[("400x300", "webp")], parallel=False)
    assert set(one.files) == {("400x300", "webp")}
    assert one.files[("400x300", "webp")] == full.files[("400x300", "webp")]


def test_render_refuses_unknown_variants() -> None:
    data, width, height = original(craft.encode(craft.photo((64, 48)), "PNG"))
    with pytest.raises(ValueError, match="cannot render"):
        variants.render(data, width, height, wanted=[("999x", "webp")])
    with pytest.raises(ValueError, match="cannot render"):
        variants.render(data, width, height, wanted=[("236x", "gif")])


def test_large_jpeg_is_decoded_at_reduced_scale() -> None:
    data, width, height = original(craft.encode(craft.photo((4000, 3000)), "JPEG", quality=85))
    scales = {key: variants.decode_scale(key, width, height) for key in variants.VARIANT_KEYS[:-1]}
    # The largest DCT reduction whose decode still covers 1.5x the variant (150x150 shows a 3000 px square).
    assert scales == {"150x150": 8, "400x300": 4, "236x": 8, "474x": 4, "600x": 4, "736x": 2, "1200x": 2}
    assert variants._decode(data, width, height, 2).size == (2000, 1500)
    assert variants._decode(data, width, height, 8).size == (500, 375)


def test_small_and_png_originals_are_decoded_at_full_size() -> None:
    assert variants.decode_scale("150x150", 120, 90) == 1  # a pixel-exact cut of a small original
    assert variants.decode_scale("1200x", 2300, 900) == 1  # halving 2300 px leaves less than 1.5 x 1200
    data, width, height = original(craft.encode(craft.photo((1800, 1200)), "PNG"))
    assert variants._decode(data, width, height, 8).size == (1800, 1200)  # no DCT to scale


@pytest.mark.parametrize("size", [(2400, 1700), (4000, 3000)])
def test_reduced_decoding_stays_close_to_a_full_resolution_resize(size: tuple[int, int]) -> None:
    data, width, height = original(craft.encode(craft.noisy_photo(size), "JPEG", quality=95))
    full = open_image(data).convert("RGB")
    for key in (*variants.WIDTH_VARIANTS, *variants.CROP_VARIANTS):
        scale = variants.decode_scale(key, width, height)
        pixels = variants._pixels(key, variants._decode(data, width, height, scale), width, height)
        region = variants.crop_box(key, width, height) if key in variants.CROP_VARIANTS else None
        reference = full.resize(variants.variant_size(key, width, height), variants.RESAMPLE, box=region)
        assert craft.psnr(pixels, reference) > 48, (key, scale)  # decoding just above size: 42-46 dB


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (1900, 1400)), ("PNG", (700, 900)), ("JPEG", (300, 120))])
def test_every_variant_rendered_alone_equals_the_full_set(fmt: str, size: tuple[int, int]) -> None:
    data, width, height = original(craft.encode(craft.photo(size, seed=2), fmt))
    full = variants.render(data, width, height)
    for pair in sorted(ALL_RENDERED):
        alone = variants.render(data, width, height, wanted=[pair], parallel=False, with_palette=False)
        assert alone.files == {pair: full.files[pair]}, pair
        assert alone.palette == []


def test_narrow_source_shares_one_encoding_across_widths() -> None:
    data, width, height = original(craft.encode(craft.photo((500, 900)), "PNG"))
    rendered = variants.render(data, width, height)
    for ext in variants.OUTPUT_FORMATS:
        assert (
            rendered.files[("1200x", ext)] == rendered.files[("736x", ext)] == rendered.files[("600x", ext)]
        )
    mixed = variants.render(
        data, width, height, wanted=[("1200x", "webp"), ("600x", "webp"), ("600x", "jpg")]
    )
    assert open_image(mixed.files[("600x", "jpg")]).format == "JPEG"
    assert mixed.files[("1200x", "webp")] == mixed.files[("600x", "webp")]
