"""Crafted test files: images with EXIF/GPS/XMP, odd colour modes, broken and hostile files, an ICC profile."""

from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112
SECRET = b"SECRET-LOCATION-52.5200N"


def photo(size: tuple[int, int] = (640, 480), seed: int = 1, mode: str = "RGB") -> Image.Image:
    """A smooth, photo-like picture (gradient with shapes) so encoders behave as on real photos."""
    width, height = size
    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.radial_gradient("L").resize(size),
        ),
    )
    draw = ImageDraw.Draw(image)
    for i in range(5):
        x, y = (seed * 97 + i * 131) % max(1, width), (seed * 53 + i * 71) % max(1, height)
        draw.ellipse((x, y, x + width // 4, y + height // 4), fill=((i * 60) % 256, 120, (seed * 40) % 256))
    return image.convert(mode) if mode != "RGB" else image


def noisy_photo(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A detailed picture (fractal edges, sensor noise): what shows resampling shortcuts, unlike `photo`."""
    width, height = size
    rng = np.random.default_rng(seed)
    detail = Image.effect_mandelbrot((width // 2, height // 2), (-2.2, -1.2, 1.0, 1.2), 80).resize(size)
    noise = Image.fromarray(rng.normal(128, 12, (height, width)).clip(0, 255).astype(np.uint8), "L")
    bands = (detail, Image.blend(detail, noise, 0.3), Image.linear_gradient("L").resize(size))
    return Image.merge("RGB", bands)


def px(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """One pixel of a multi-band image, typed."""
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two same-sized images, in dB (higher is closer)."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mse = float((diff**2).mean())
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def level(image: Image.Image, xy: tuple[int, int]) -> int:
    """One pixel of a single-band image, typed."""
    value = image.getpixel(xy)
    assert isinstance(value, int)
    return value


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = SECRET.decode()  # ImageDescription
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    return exif


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg_with_metadata(image: Image.Image | None = None, *, orientation: int = 1) -> bytes:
    """A JPEG carrying EXIF (with GPS), XMP, a comment and trailing data after EOI."""
    image = image or photo()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>' + SECRET + b"</rdf:RDF></x:xmpmeta>"
    data = encode(image, "JPEG", quality=90, exif=gps_exif(orientation), xmp=xmp, comment=SECRET)
    return data + b"PK\x03\x04" + SECRET  # an appended archive, polyglot style


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header claiming a huge image, with almost no data behind it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def png_16bit_grey(size: tuple[int, int] = (64, 32)) -> bytes:
    """A 16-bit greyscale PNG: a left-to-right ramp over the full 0..65535 range."""
    import numpy as np

    width, height = size
    ramp = np.tile(np.linspace(0, 65535, width).astype(np.uint16), (height, 1))
    return encode(Image.fromarray(ramp), "PNG")


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def swapped_rg_profile() -> bytes:
    """An ICC v2 RGB matrix/TRC profile whose red and green primaries are sRGB's green and red.

    Pixels tagged with it that read (255, 0, 0) are green once correctly converted to sRGB.
    """
    red, green, blue = (0.3851, 0.7169, 0.0971), (0.4361, 0.2225, 0.0139), (0.1431, 0.0606, 0.7141)

    def xyz(values: tuple[float, float, float]) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in values)

    text = b"Swapped RG test profile\x00"
    desc = (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(text))
        + text
        + b"\x00" * 8
        + b"\x00\x00\x00"
        + b"\x00" * 67
    )
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, int(2.2 * 256)) + b"\x00\x00"
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\x00\x00\x00\x00test\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, blobs = b"", b""
    for signature, blob in tags:
        blob += b"\x00" * (-len(blob) % 4)
        table += signature + struct.pack(">II", offset + len(blobs), len(blob))
        blobs += blob
    body = struct.pack(">I", len(tags)) + table + blobs
    size = 128 + len(body)
    header = (
        struct.pack(">I", size)
        + b"\x00\x00\x00\x00"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\x00" * 12
        + b"acsp"
        + b"\x00" * 24
        + struct.pack(">I", 0)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\x00" * 4
        + b"\x00" * 16
        + b"\x00" * 28
    )
    assert len(header) == 128
    return header + body


def metadata_blocks(data: bytes) -> set[str]:
    """Names of metadata-bearing blocks in a JPEG, PNG or WebP file (empty set: clean)."""
    found: set[str] = set()
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 4 <= len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            if marker == 0xDA:
                break
            length = int.from_bytes(data[pos + 2 : pos + 4], "big")
            payload = data[pos + 4 : pos + 2 + length]
            if marker == 0xFE:
                found.add("COM")
            elif 0xE1 <= marker <= 0xEF and not (marker == 0xEE and payload.startswith(b"Adobe")):
                found.add(f"APP{marker - 0xE0}")
            elif marker == 0xE0 and not payload.startswith(b"JFIF\x00"):
                found.add("APP0")
            elif marker == 0xE0 and len(payload) > 14:
                found.add("JFIF-thumbnail")
            pos += 2 + length
        end = data.rfind(b"\xff\xd9")
        if end + 2 != len(data):
            found.add("trailing-data")
    elif data.startswith(b"\x89PNG"):
        pos = 8
        while pos + 8 <= len(data):
            length = int.from_bytes(data[pos : pos + 4], "big")
            kind = data[pos + 4 : pos + 8].decode("latin-1")
            if kind not in ("IHDR", "PLTE", "tRNS", "IDAT", "IEND"):
                found.add(kind)
            pos += 12 + length
            if kind == "IEND" and pos != len(data):
                found.add("trailing-data")
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= len(data):
            kind = data[pos : pos + 4].decode("latin-1")
            length = int.from_bytes(data[pos + 4 : pos + 8], "little")
            if kind in ("EXIF", "XMP ", "ICCP"):
                found.add(kind)
            pos += 8 + length + (length & 1)
    else:
        raise ValueError("not a JPEG, PNG or WebP file")
    if SECRET in data:
        found.add("secret-bytes")
    return found
