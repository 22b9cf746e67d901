"""Upload validation and normalisation: what is refused and why, what the stored original looks like."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image
from tests.media import craft

from pinhaven.errors import InvalidUpload, PayloadTooLarge
from pinhaven.media import processing
from pinhaven.media.lossless import strip_jpeg, strip_png
from pinhaven.media.processing import normalise_upload

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 50_000_000}


def normalise(data: bytes, **limits: int) -> processing.NormalisedOriginal:
    return normalise_upload(data, **{**LIMITS, **limits})


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- refusals -------------------------------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="empty"):
        normalise(b"")


def test_file_over_the_byte_limit_is_payload_too_large() -> None:
    data = craft.encode(craft.photo(), "PNG")
    with pytest.raises(PayloadTooLarge, match=f"limit is {len(data) - 1} bytes"):
        normalise(data, max_bytes=len(data) - 1)


def test_truncated_jpeg_is_refused_as_truncated() -> None:
    data = craft.encode(craft.photo((800, 600)), "JPEG", quality=90)
    with pytest.raises(InvalidUpload, match="truncated"):
        normalise(data[: len(data) // 2])


def test_truncated_png_is_refused() -> None:
    data = craft.encode(craft.photo((400, 300)), "PNG")
    with pytest.raises(InvalidUpload, match=r"truncated|corrupt"):
        normalise(data[: len(data) // 2])


def test_png_bomb_header_is_refused_before_any_pixel_is_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(self: Image.Image) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    started = time.perf_counter()
    with pytest.raises(InvalidUpload, match="pixels"):
        normalise(craft.png_bomb())
    assert time.perf_counter() - started < 1.0


def test_image_over_the_configured_pixel_limit_is_refused() -> None:
    with pytest.raises(InvalidUpload, match="640×480, more than 100000 pixels"):
        normalise(craft.encode(craft.photo(), "JPEG"), max_pixels=100_000)


def test_zero_width_png_is_refused() -> None:
    with pytest.raises(InvalidUpload):
        normalise(craft.png_bomb(width=0, height=10))


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b"hello, I am a text file pretending to be photo.jpg",
        b"PK\x03\x04" + b"\x00" * 100,
        b"\xff\xd8",  # a JPEG signature and nothing else
    ],
    ids=["html", "text", "zip", "jpeg-signature-only"],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidUpload, match=r"not an image|corrupt|truncated"):
        normalise(data)


@pytest.mark.parametrize(("fmt", "name"), [("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO"), ("PDF", "PDF")])
def test_images_in_other_formats_are_refused_as_unsupported(fmt: str, name: str) -> None:
    data = craft.encode(craft.photo((64, 48)), fmt)
    with pytest.raises(InvalidUpload, match=f"Unsupported image format {name}"):
        normalise(data)


def test_svg_is_refused_as_unsupported() -> None:
    with pytest.raises(InvalidUpload, match="Unsupported image format SVG"):
        normalise(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')


def test_gif_polyglot_is_accepted_only_as_pixels() -> None:
    """A GIF whose comment carries HTML/JS decodes as an image; the stored file holds pixels only."""
    gif = craft.encode(
        craft.photo((40, 30)).convert("P"), "GIF", comment=b"<script>alert(1)</script>" + craft.SECRET
    )
    result = normalise(gif)
    assert result.format == "png"
    assert b"<script>" not in result.data and craft.metadata_blocks(result.data) == set()


# --- normalisation --------------------------------------------------------------------------------------


def test_upright_jpeg_is_stripped_losslessly() -> None:
    source = craft.jpeg_with_metadata(craft.photo((320, 240)))
    result = normalise(source)
    assert result.format == "jpeg" and (result.width, result.height) == (320, 240)
    assert craft.metadata_blocks(source) >= {"APP1", "COM", "trailing-data", "secret-bytes"}
    assert craft.metadata_blocks(result.data) == set()
    # Same coded pixels: no generation loss.
    assert np.array_equal(np.asarray(decoded(source)), np.asarray(decoded(result.data)))


def test_exif_rotated_jpeg_is_stored_upright_and_clean() -> None:
    upright = Image.new("RGB", (300, 600), (220, 0, 0))
    upright.paste((0, 0, 220), (0, 300, 300, 600))  # top red, bottom blue
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a phone writes, with orientation 6
    result = normalise(craft.jpeg_with_metadata(stored, orientation=6))
    assert (result.width, result.height) == (300, 600)
    image = decoded(result.data).convert("RGB")
    top, bottom = craft.px(image, (150, 50)), craft.px(image, (150, 550))
    assert top[0] > 180 and top[2] < 60, top
    assert bottom[2] > 180 and bottom[0] < 60, bottom
    assert craft.metadata_blocks(result.data) == set()
    assert not decoded(result.data).getexif()


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 7, 8])
def test_every_exif_orientation_is_applied(orientation: int) -> None:
    upright = Image.new("RGB", (60, 40), (0, 0, 0))
    upright.paste((255, 255, 255), (0, 0, 10, 10))  # a white mark in the top-left corner
    inverse = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    data = craft.encode(upright.transpose(inverse), "JPEG", quality=95, exif=craft.gps_exif(orientation))
    image = decoded(normalise(data).data).convert("L")
    assert image.size == (60, 40)
    assert craft.level(image, (4, 4)) > 200 and craft.level(image, (55, 35)) < 50


def test_cmyk_jpeg_becomes_srgb() -> None:
    cmyk = Image.new("CMYK", (64, 64), (0, 255, 255, 0))  # pure red ink
    result = normalise(craft.encode(cmyk, "JPEG", quality=95))
    image = decoded(result.data)
    assert image.mode == "RGB"
    red, green, blue = craft.px(image, (32, 32))
    assert red > 200 and green < 50 and blue < 50


def test_wide_gamut_profile_is_converted_to_srgb() -> None:
    tagged = craft.encode(
        Image.new("RGB", (32, 32), (255, 0, 0)), "PNG", icc_profile=craft.swapped_rg_profile()
    )
    result = normalise(tagged)
    image = decoded(result.data)
    red, green, _blue = craft.px(image, (16, 16))
    assert green > 200 and red < 60  # the profile says these numbers mean green
    assert "icc_profile" not in image.info and craft.metadata_blocks(result.data) == set()


def test_srgb_tagged_jpeg_keeps_its_pixels_without_the_profile() -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    result = normalise(craft.encode(craft.photo((64, 48)), "JPEG", icc_profile=srgb))
    assert "APP2" not in craft.metadata_blocks(result.data)
    assert "icc_profile" not in decoded(result.data).info


def test_palette_png_with_transparency_keeps_alpha() -> None:
    image = Image.new("P", (20, 20), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(0, (0, 0, 10, 20))
    result = normalise(craft.encode(image, "PNG", transparency=0))
    stored = decoded(result.data)
    assert result.format == "png" and stored.mode == "RGBA"
    assert craft.px(stored, (2, 2))[3] == 0 and craft.px(stored, (15, 2)) == (255, 0, 0, 255)


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    result = normalise(craft.png_16bit_grey((64, 8)))
    stored = decoded(result.data).convert("L")
    row = [craft.level(stored, (x, 4)) for x in (0, 32, 63)]
    assert row[0] < 5 and 110 < row[1] < 145 and row[2] > 250, row


def test_opaque_alpha_channel_is_dropped_when_re_encoding() -> None:
    result = normalise(craft.encode(craft.photo((32, 32)).convert("RGBA"), "WEBP", lossless=True))
    assert result.format == "jpeg" and decoded(result.data).mode == "RGB"


def test_transparent_webp_is_stored_as_png_with_alpha() -> None:
    image = craft.photo((32, 32)).convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    result = normalise(craft.encode(image, "WEBP", lossless=True))
    assert result.format == "png" and craft.px(decoded(result.data), (0, 0))[3] == 0


def test_plain_png_is_stripped_losslessly() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", craft.SECRET.decode())
    source = craft.encode(craft.photo((64, 48)).convert("RGBA"), "PNG", pnginfo=text, exif=craft.gps_exif(1))
    result = normalise(source + b"trailing")
    assert craft.metadata_blocks(result.data) == set()
    assert np.array_equal(np.asarray(decoded(source)), np.asarray(decoded(result.data)))
    assert len(result.data) < len(source)


def test_rotated_png_is_re_encoded_upright() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 5, 5))
    stored = image.transpose(Image.Transpose.ROTATE_180)
    result = normalise(craft.encode(stored, "PNG", exif=craft.gps_exif(3)))
    assert craft.level(decoded(result.data).convert("L"), (1, 1)) > 200
    assert craft.metadata_blocks(result.data) == set()


def test_one_by_one_and_panorama_are_accepted_at_their_size() -> None:
    tiny = normalise(craft.encode(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"))
    assert (tiny.width, tiny.height) == (1, 1)
    wide = normalise(craft.encode(craft.photo((20000, 10)), "JPEG"))
    assert (wide.width, wide.height) == (20000, 10)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_and_text_chunks_are_removed_from_png_and_webp(fmt: str) -> None:
    params: dict[str, object] = {"exif": craft.gps_exif(1)}
    if fmt == "WEBP":
        params["xmp"] = craft.SECRET
    result = normalise(craft.encode(craft.photo((48, 32)), fmt, **params))
    assert craft.metadata_blocks(result.data) == set()


def test_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = craft.encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    stored = decoded(normalise(data).data).convert("RGB")
    assert craft.px(stored, (8, 8))[0] > 200


def test_avif_is_accepted() -> None:
    result = normalise(craft.encode(Image.new("RGB", (32, 24), (0, 200, 0)), "AVIF"))
    assert result.source_format == "AVIF" and (result.width, result.height) == (32, 24)


@pytest.mark.skipif(not processing.heif_supported(), reason="pillow-heif is not installed")
def test_heic_is_accepted() -> None:
    result = normalise(craft.encode(Image.new("RGB", (32, 24), (0, 0, 200)), "HEIF"))
    assert result.source_format == "HEIF" and result.format == "jpeg"
    assert craft.px(decoded(result.data), (16, 12))[2] > 150


def test_preview_is_small_for_colour_analysis() -> None:
    result = normalise(craft.encode(craft.photo((1600, 1200)), "JPEG"))
    assert max(result.preview.size) <= processing.PREVIEW_SIDE


def test_png_bomb_within_pillows_ceiling_is_refused_by_the_configured_limit() -> None:
    with pytest.raises(InvalidUpload, match="10000×8000, more than 50000000 pixels"):
        normalise(craft.png_bomb(10_000, 8_000))


def test_strip_jpeg_declines_files_it_cannot_vouch_for() -> None:
    data = craft.encode(craft.photo((64, 48)), "JPEG")
    assert strip_jpeg(data[:-2]) is None  # no EOI
    assert strip_jpeg(b"GIF89a") is None
    assert strip_jpeg(data) is not None


def test_strip_png_declines_damaged_chunks() -> None:
    data = bytearray(craft.encode(craft.photo((64, 48)), "PNG"))
    assert strip_png(bytes(data)) is not None
    assert strip_png(bytes(data[:-20])) is None  # cut short
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # one flipped byte: CRC mismatch
    assert strip_png(bytes(data)) is None


def test_png_profile_and_text_chunks_are_not_carried_over() -> None:
    from PIL import ImageCms, PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", craft.SECRET.decode())
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = craft.encode(craft.photo((48, 32)).convert("RGBA"), "PNG", pnginfo=text, icc_profile=srgb)
    assert {"iCCP", "tEXt"} <= craft.metadata_blocks(source)
    assert craft.metadata_blocks(normalise(source).data) == set()
