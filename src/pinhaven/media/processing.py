"""Validate an upload by decoding it, and turn it into the normalised original Pinhaven stores.

Accepted: JPEG, PNG, WebP, GIF (first frame), AVIF, and HEIC/HEIF when `pillow-heif` is installed, as
recognised from the bytes (never from a file name or a declared content type). Everything else is refused
with `InvalidUpload` naming why; an upload over `max_upload_bytes` is `PayloadTooLarge`.

The pixel limit is checked on the header, before any pixel buffer exists. Normalising applies the EXIF
orientation, converts CMYK, palette, 16-bit and tagged wide-gamut images to 8-bit sRGB, keeps alpha
(PNG), and writes no metadata at all. Upright RGB/greyscale sRGB JPEGs skip re-encoding: their segments are
copied without APPn/COM, and upright 8-bit RGB/greyscale sRGB PNGs keep only their image chunks
(`lossless`): no generation loss, no slow re-encode, and the result is verified by decoding it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from pinhaven.errors import InvalidUpload, PayloadTooLarge
from pinhaven.media import variants
from pinhaven.media.lossless import strip_jpeg, strip_png

__all__ = ["ACCEPTED_FORMATS", "NormalisedOriginal", "heif_supported", "normalise_upload"]

try:  # optional: HEIC/HEIF decoding
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = True
except ImportError:  # pragma: no cover - depends on the installed extras
    _HEIF = False

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", *(("HEIF",) if _HEIF else ()))
_ACCEPTED_TEXT = "JPEG, PNG, WebP, GIF, AVIF" + (" or HEIC" if _HEIF else "")
PREVIEW_SIDE = 64  # thumbnail used for the dominant colour at upload time
ORIGINAL_JPEG_QUALITY = 92
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError, TypeError)
_ORIENTATION_TAG = 0x0112
_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def heif_supported() -> bool:
    """Whether HEIC/HEIF uploads can be decoded here (the optional `pillow-heif` is installed)."""
    return _HEIF


@dataclass(frozen=True)
class NormalisedOriginal:
    """The bytes Pinhaven stores as `originals`, and what it learnt while making them."""

    data: bytes
    format: str  # jpeg | png
    width: int
    height: int
    source_format: str  # what the upload was: JPEG, PNG, WEBP, GIF, AVIF, HEIF
    preview: Image.Image  # at most PREVIEW_SIDE px, RGB or RGBA, for colour analysis
    # (reduction, pixels) exactly as decoding `data` would give them (a kept JPEG's verification decode, or a
    # PNG's pixels), so rendering variants can start from them instead of decoding again.
    decoded: tuple[int, Image.Image] | None = None


_KNOWN_UNSUPPORTED: tuple[tuple[bytes, int, str], ...] = (
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"8BPS", 0, "PSD"),
    (b"\x00\x00\x01\x00", 0, "ICO"),
    (b"%PDF", 0, "PDF"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", 0, "JPEG XL"),
    (b"qoif", 0, "QOI"),
    (b"DDS ", 0, "DDS"),
    (b"v/1\x01", 0, "OpenEXR"),
    (b"#?RADIANCE", 0, "Radiance HDR"),
)


def _unsupported_kind(data: bytes) -> str | None:
    """Name of a recognisable image format Pinhaven does not accept, if `data` looks like one."""
    for magic, offset, name in _KNOWN_UNSUPPORTED:
        if data[offset : offset + len(magic)] == magic:
            return name
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc", b"heim", b"heis"):
        return "HEIC"  # only reached when pillow-heif is missing
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "SVG"
    return None


def pixels_of(data: bytes) -> int:
    """Width × height from the image header (no pixel decoded); 0 when it is not an image we read."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
    except Exception:  # whatever it is, normalise_upload gives the precise refusal
        return 0
    return max(0, width) * max(0, height)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the image from its bytes and check its header; no pixel is decoded yet."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:  # over Pillow's own ceiling, whatever max_pixels says
        raise InvalidUpload("The image has too many pixels to decode safely.") from None
    except UnidentifiedImageError:
        kind = _unsupported_kind(data)
        if kind:
            raise InvalidUpload(f"Unsupported image format {kind}; upload {_ACCEPTED_TEXT}.") from None
        raise InvalidUpload(f"The file is not an image (upload {_ACCEPTED_TEXT}).") from None
    except _DECODE_ERRORS as exc:
        raise InvalidUpload(f"The image is corrupt: {exc}.") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise InvalidUpload("The image has zero width or height.")
    if width * height > max_pixels:
        raise InvalidUpload(f"The image is {width}×{height}, more than {max_pixels} pixels.")
    return image


def _decode_failure(exc: BaseException) -> InvalidUpload:
    text = str(exc)
    if "truncated" in text or isinstance(exc, EOFError):
        return InvalidUpload(f"The image is truncated ({text or 'unexpected end of data'}).")
    return InvalidUpload(f"The image is corrupt and cannot be decoded ({text or type(exc).__name__}).")


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS:  # unreadable EXIF: ignore it, it is being thrown away anyway
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _is_srgb(icc: bytes | None) -> bool:
    if not icc:
        return True  # untagged means sRGB on the web
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False
    return "srgb" in description.lower()


def _preview(image: Image.Image) -> Image.Image:
    preview = image.copy()
    preview.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.BOX)
    if preview.mode not in ("RGB", "RGBA"):
        preview = preview.convert("RGBA" if preview.has_transparency_data else "RGB")
    return preview


def _plain_png(data: bytes) -> bool:
    """8 bits per sample, greyscale/RGB with or without alpha (not palette, not 16-bit)."""
    return data[12:16] == b"IHDR" and data[24] == 8 and data[25] in (0, 2, 4, 6)


def _try_lossless_jpeg(
    image: Image.Image, data: bytes, orientation: int, scale: int
) -> NormalisedOriginal | None:
    """The JPEG with its metadata stripped, if it needs no pixel change; verified by decoding it at 1/`scale`."""
    if image.format not in ("JPEG", "MPO") or orientation != 1 or image.mode not in ("RGB", "L"):
        return None
    if not _is_srgb(image.info.get("icc_profile")):
        return None
    stripped = strip_jpeg(data)
    if stripped is None:
        return None
    check = Image.open(io.BytesIO(stripped), formats=("JPEG",))
    if check.size != image.size or check.mode != image.mode:
        return None
    # A DCT-scaled decode still entropy-decodes every block, so truncation and corruption surface here.
    scale = variants.draft(check, scale)
    try:
        check.load()
    except _DECODE_ERRORS as exc:
        raise _decode_failure(exc) from None
    preview = _preview(check)
    return NormalisedOriginal(stripped, "jpeg", image.width, image.height, "JPEG", preview, (scale, check))


def _grey16_to_8(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) greyscale to 8-bit by scaling, not clipping (Pillow's convert clips)."""
    values = np.asarray(image.convert("I"), dtype=np.int64)
    return Image.fromarray((np.clip(values, 0, 65535) >> 8).astype(np.uint8), "L")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to 8-bit RGB (tagged profiles transformed into sRGB) or RGBA."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        image = _grey16_to_8(image)
    elif mode in ("P", "PA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif mode in ("LA", "La", "RGBa"):
        image = image.convert("RGBA")
    elif mode == "1":
        image = image.convert("L")
    if icc and not _is_srgb(icc) and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        converted = _apply_profile(image, icc)
        if converted is not None:
            return converted
    if image.mode not in ("RGB", "RGBA") or (image.mode == "RGB" and "transparency" in image.info):
        try:
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        except ValueError as exc:
            raise InvalidUpload(f"Unsupported colour mode {mode}.") from exc
    return image


def _apply_profile(image: Image.Image, icc: bytes) -> Image.Image | None:
    """`image` transformed from its embedded profile into sRGB; None when the profile is unusable."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    colour = image.convert("RGB") if alpha is not None else image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        result = ImageCms.profileToProfile(
            colour,
            source,
            ImageCms.createProfile("sRGB"),
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode="RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken or mismatched profile: fall back to reading the numbers as sRGB
    if result is None:
        return None
    if alpha is not None:
        result.putalpha(alpha)
    return result


def normalise_upload(
    data: bytes, *, max_bytes: int, max_pixels: int, verify_scale: Callable[[int, int], int] | None = None
) -> NormalisedOriginal:
    """Validate `data` as an image and return the normalised, metadata-free original.

    A JPEG kept as is gets verified by decoding it at reduced scale: 1/8 (the cheapest), or
    `verify_scale(width, height)`, the reduction its variants are rendered from, so rendering can reuse it.
    """
    if not data:
        raise InvalidUpload("The file is empty.")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The image is {len(data)} bytes; the limit is {max_bytes} bytes.")
    image = _open(data, max_pixels)
    source_format = "JPEG" if image.format == "MPO" else str(image.format)
    if source_format == "JPEG":  # EXIF sits in the header: decide before decoding
        scale = verify_scale(image.width, image.height) if verify_scale is not None else 8
        lossless = _try_lossless_jpeg(image, data, _orientation(image), scale)
        if lossless is not None:
            return lossless

    icc = image.info.get("icc_profile")
    try:
        image.seek(0)  # animated GIF/WebP/PNG/AVIF: the first frame
        image.load()
        # After load: PNG's eXIf may follow the pixel data, and reading it must not half-decode the image.
        orientation = _orientation(image)
        icc = icc if isinstance(icc, bytes) else None
        if source_format == "PNG" and orientation == 1 and _is_srgb(icc) and _plain_png(data):
            stripped = strip_png(data)
            if stripped is not None:
                preview = _preview(image)
                return NormalisedOriginal(
                    stripped, "png", image.width, image.height, "PNG", preview, (1, image)
                )
        image = _to_srgb(image, icc)
    except InvalidUpload:
        raise
    except _DECODE_ERRORS as exc:
        raise _decode_failure(exc) from None
    except MemoryError:
        raise InvalidUpload("The image is too large to decode.") from None
    for step in _TRANSPOSE.get(orientation, ()):
        image = image.transpose(step)
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")  # fully opaque: the alpha channel carries nothing
    image.info = {}  # nothing read from the upload rides along into the outputs

    out = io.BytesIO()
    decoded: tuple[int, Image.Image] | None = None
    if image.mode == "RGBA" or source_format in ("PNG", "GIF"):
        image.save(out, "PNG", compress_level=3)  # zlib 6+ costs seconds on large photos for ~10% bytes
        fmt, decoded = "png", (1, image)  # lossless: decoding the file would give these very pixels
    else:
        image.save(out, "JPEG", quality=ORIGINAL_JPEG_QUALITY)
        fmt = "jpeg"
    preview = _preview(image)
    return NormalisedOriginal(out.getvalue(), fmt, image.width, image.height, source_format, preview, decoded)
