"""The variant ladder: sizes, storage keys, and rendering variants from a normalised original.

Ladder (Pinterest's): `150x150` and `400x300` are centre crops, `236x` … `1200x` keep the aspect ratio,
`originals` is the normalised original. Nothing is ever upscaled: a source smaller than a variant yields
that variant at the source's own size (crops become the largest centred box that fits).

Only `EAGER_VARIANTS` (what a grid of pins shows) are rendered by the `media.process` job; every other
variant is rendered when it is first requested and then kept (`service.fetch_media`). Each variant is a pure
function of the original and its key: a JPEG original is decoded with `draft()` (DCT scaling) at the
largest reduction (1/2, 1/4, 1/8) that still covers that variant, then resized once with Lanczos. So a
variant rendered alone is byte-identical to the same variant rendered in a set, whoever renders it first.
Variants sharing a reduction share one decode; encoding (WebP dominates) runs on a small thread pool,
Pillow releases the GIL while it encodes.
"""

from __future__ import annotations

import io
import math
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, JpegImagePlugin

from pinhaven.media import colour, decode_budget

__all__ = [
    "CROP_VARIANTS",
    "EAGER_VARIANTS",
    "OUTPUT_FORMATS",
    "VARIANT_KEYS",
    "WIDTH_VARIANTS",
    "RenderedSet",
    "crop_box",
    "decode_scale",
    "draft",
    "encode",
    "original_key",
    "render",
    "variant_key",
    "variant_size",
]

WIDTH_VARIANTS: dict[str, int] = {"1200x": 1200, "736x": 736, "600x": 600, "474x": 474, "236x": 236}
CROP_VARIANTS: dict[str, tuple[int, int]] = {"400x300": (400, 300), "150x150": (150, 150)}
VARIANT_KEYS: tuple[str, ...] = ("150x150", "400x300", "236x", "474x", "600x", "736x", "1200x", "originals")
OUTPUT_FORMATS: tuple[str, ...] = ("webp", "jpg")  # extensions of rendered variants
# Rendered up front: the grid card every pin list shows (JPEG costs well under a millisecond more). Larger
# sizes, crops and the other format are rendered when first requested: most are never asked for.
EAGER_VARIANTS: tuple[tuple[str, str], ...] = (("236x", "webp"), ("236x", "jpg"))
ORIGINAL_EXT = {"jpeg": "jpg", "png": "png"}

WEBP_QUALITY = 80
# libwebp's method 4 (its default) costs 2x method 2 (5 vs 2.5 ms on a 236x, 21 vs 11 ms on a 474x) for
# files only ~3% smaller; methods 0-1 save little more time but grow files ~10%.
WEBP_METHOD = 2
JPEG_QUALITY = 85
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0  # PNG originals: box-reduce first when shrinking by more than 3x (Lanczos after)
_DCT_SCALES = (8, 4, 2)  # the reductions libjpeg decodes at, besides 1
# A DCT-scaled decode is kept at least 1.5x the variant's size, so Lanczos still does real filtering: decoding
# just above the target size (1/8 is a plain 8x8 box average) measurably softens and aliases fine detail.
DRAFT_GAP = 1.5


def variant_size(key: str, width: int, height: int) -> tuple[int, int]:
    """Pixel size of variant `key` of a `width`×`height` original (never larger than the original)."""
    if key == "originals":
        return width, height
    if key in WIDTH_VARIANTS:
        w = min(WIDTH_VARIANTS[key], width)
        return w, max(1, math.floor(height * w / width + 0.5))
    if key in CROP_VARIANTS:
        tw, th = CROP_VARIANTS[key]
        if width >= tw and height >= th:
            return tw, th
        return min(width, tw), min(height, th)
    raise KeyError(f"unknown variant {key!r}")


def crop_box(key: str, width: int, height: int) -> tuple[float, float, float, float]:
    """The centred region of the original (in original pixels) that crop variant `key` shows."""
    tw, th = variant_size(key, width, height)
    scale = max(tw / width, th / height)
    if scale >= 1 or (tw, th) != CROP_VARIANTS[key]:
        bw, bh = float(tw), float(th)  # no downscale: a pixel-exact centred crop
        left, top = float((width - tw) // 2), float((height - th) // 2)
    else:
        bw, bh = tw / scale, th / scale
        left, top = (width - bw) / 2, (height - bh) / 2
    return left, top, left + bw, top + bh


def original_key(sha256: str, original_format: str) -> str:
    """Store key of the normalised original."""
    return f"{sha256[:2]}/{sha256}/originals.{ORIGINAL_EXT[original_format]}"


def variant_key(sha256: str, key: str, ext: str) -> str:
    """Store key of one rendered variant (`ext` is webp or jpg)."""
    return f"{sha256[:2]}/{sha256}/{key}.{ext}"


def _exact_crop(key: str, width: int, height: int) -> bool:
    """A crop variant cut pixel for pixel from an original smaller than the crop's target."""
    return key in CROP_VARIANTS and variant_size(key, width, height) != CROP_VARIANTS[key]


def _region(key: str, width: int, height: int) -> tuple[float, float, float, float]:
    """The part of the original (original pixels) variant `key` shows."""
    return crop_box(key, width, height) if key in CROP_VARIANTS else (0.0, 0.0, float(width), float(height))


def decode_scale(key: str, width: int, height: int) -> int:
    """The DCT reduction (1, 2, 4 or 8) a JPEG original is decoded at for variant `key`: the largest whose
    decoded image still covers the variant's region at `DRAFT_GAP` times the variant's size."""
    if _exact_crop(key, width, height):
        return 1
    tw, th = variant_size(key, width, height)
    left, top, right, bottom = _region(key, width, height)
    for scale in _DCT_SCALES:
        if width // scale < 1 or height // scale < 1:
            continue
        sx, sy = math.ceil(width / scale) / width, math.ceil(height / scale) / height
        if (right - left) * sx >= tw * DRAFT_GAP and (bottom - top) * sy >= th * DRAFT_GAP:
            return scale
    return 1


def draft(image: Image.Image, scale: int) -> int:
    """Make an opened, not yet loaded JPEG decode at 1/`scale` (DCT scaling; the largest valid reduction up to
    it for tiny images); returns the reduction applied, 1 for other formats. Upload validation decodes with
    this too, so a variant rendered from its verification decode has the pixels `_decode` would give."""
    if not isinstance(image, JpegImagePlugin.JpegImageFile):
        return 1
    while scale > 1 and (image.width // scale < 1 or image.height // scale < 1):
        scale //= 2
    if scale > 1:
        width, height = image.size
        # Asking for (W//s, H//s) makes Pillow pick exactly the reduction s (it rounds down to a power of 2).
        image.draft(image.mode, (width // scale, height // scale))
        expected = (math.ceil(width / scale), math.ceil(height / scale))
        if image.size != expected:  # pragma: no cover - libjpeg always scales by powers of 2 up to 8
            raise ValueError(f"DCT-scaled decode gave {image.size}, expected {expected}")
    return scale


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return image


def _decode(data: bytes, width: int, height: int, scale: int) -> Image.Image:
    """The original as RGB or RGBA; a JPEG decoded at 1/`scale` of its size (DCT scaling)."""
    image: Image.Image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    if image.size != (width, height):
        raise ValueError(f"stored original is {image.size}, the record says {(width, height)}")
    draft(image, scale)
    image.load()
    return _rgb(image)


def _pixels(key: str, source: Image.Image, width: int, height: int) -> Image.Image:
    """Variant `key` resampled from `source`, the original decoded at some reduction."""
    target = variant_size(key, width, height)
    if _exact_crop(key, width, height):
        left, top, right, bottom = crop_box(key, width, height)
        return source.crop((int(left), int(top), int(right), int(bottom)))
    left, top, right, bottom = _region(key, width, height)
    sx, sy = source.width / width, source.height / height
    box = (left * sx, top * sy, right * sx, bottom * sy)
    if target == source.size and box == (0.0, 0.0, float(source.width), float(source.height)):
        return source  # nothing to resample (a source no larger than the variant)
    return source.resize(target, RESAMPLE, box=box, reducing_gap=REDUCING_GAP)


def encode(image: Image.Image, ext: str) -> bytes:
    """Encode a variant: WebP keeps alpha; JPEG is flattened onto white. No metadata is written."""
    out = io.BytesIO()
    if ext == "webp":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    elif ext == "jpg":
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        raise ValueError(f"unknown output format {ext!r}")
    return out.getvalue()


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="media-encode"
            )
        return _pool


def _encode_all(image: Image.Image, exts: list[str]) -> dict[str, bytes]:
    # One task per image object: Image.save mutates `encoderinfo`, so one image is never saved from two threads.
    return {ext: encode(image, ext) for ext in exts}


@dataclass(frozen=True)
class RenderedSet:
    """Encoded variants by (variant key, extension), plus a palette (empty when not asked for)."""

    files: dict[tuple[str, str], bytes]
    palette: list[str]


def _targets(wanted: Iterable[tuple[str, str]] | None) -> dict[str, list[str]]:
    pairs = (
        set(wanted)
        if wanted is not None
        else {(k, e) for k in VARIANT_KEYS if k != "originals" for e in OUTPUT_FORMATS}
    )
    by_key: dict[str, list[str]] = {}
    for key, ext in sorted(pairs):
        if key == "originals" or (key not in WIDTH_VARIANTS and key not in CROP_VARIANTS):
            raise ValueError(f"cannot render variant {key!r}")
        if ext not in OUTPUT_FORMATS:
            raise ValueError(f"cannot render format {ext!r}")
        by_key.setdefault(key, []).append(ext)
    return by_key


Identity = tuple[int, tuple[int, int], tuple[float, float, float, float], bool]


def _identity(key: str, width: int, height: int, jpeg: bool) -> Identity:
    """What variant `key`'s pixels depend on: decode scale, size, region, exact cut. Keys with the same
    identity have the same pixels (a narrow source repeats widths) and share one image and one encoding."""
    return (
        decode_scale(key, width, height) if jpeg else 1,
        variant_size(key, width, height),
        _region(key, width, height),
        _exact_crop(key, width, height),
    )


def _plan(
    by_key: dict[str, list[str]], width: int, height: int, jpeg: bool
) -> dict[Identity, tuple[str, list[str]]]:
    """Pixel identity → (the first key, in ladder order, to resample it for; every format wanted of it)."""
    plan: dict[Identity, tuple[str, list[str]]] = {}
    for key in sorted(by_key, key=VARIANT_KEYS.index):
        ident = _identity(key, width, height, jpeg)
        first, exts = plan.get(ident, (key, []))
        plan[ident] = (first, sorted({*exts, *by_key[key]}))
    return plan


def render(
    data: bytes,
    width: int,
    height: int,
    *,
    wanted: Iterable[tuple[str, str]] | None = None,
    parallel: bool = True,
    with_palette: bool = True,
    decoded: tuple[int, Image.Image] | None = None,
) -> RenderedSet:
    """Render `wanted` (default: every variant in every output format) from a normalised original.

    `with_palette` also returns the palette of the smallest rendered image. `decoded` is (scale, image):
    `data` already decoded at that reduction with `draft` (upload validation does it), so not decoded again.
    """
    by_key = _targets(wanted)
    jpeg = data[:3] == b"\xff\xd8\xff"  # PNG originals have no DCT to scale: one decode serves all
    plan = _plan(by_key, width, height, jpeg)
    largest = min((ident[0] for ident in plan), default=1)  # the largest decode is at the smallest scale
    # Concurrent renders (jobs, on-demand variants) decode within the process's pixel budget.
    with decode_budget.budget().hold(math.ceil(width / largest) * math.ceil(height / largest)):
        return _render(data, width, height, by_key, plan, jpeg, parallel, with_palette, decoded)


def _render(
    data: bytes,
    width: int,
    height: int,
    by_key: dict[str, list[str]],
    plan: dict[Identity, tuple[str, list[str]]],
    jpeg: bool,
    parallel: bool,
    with_palette: bool,
    decoded: tuple[int, Image.Image] | None,
) -> RenderedSet:
    pool = _executor() if parallel else None
    results: dict[Identity, Future[dict[str, bytes]] | dict[str, bytes]] = {}
    smallest: Image.Image | None = None
    for scale in sorted({ident[0] for ident in plan}, reverse=True):  # smallest decode first
        if (
            decoded is not None
            and decoded[0] == scale
            and decoded[1].size
            == (
                math.ceil(width / scale),
                math.ceil(height / scale),
            )
        ):
            base = _rgb(decoded[1])
        else:
            base = _decode(data, width, height, scale)
        for ident, (key, exts) in plan.items():
            if ident[0] != scale:
                continue
            image = _pixels(key, base, width, height)
            # With a pool, encoding overlaps the next resize and decode on this thread.
            results[ident] = pool.submit(_encode_all, image, exts) if pool else _encode_all(image, exts)
            if smallest is None or image.width * image.height < smallest.width * smallest.height:
                smallest = image
    palette = colour.palette(smallest) if with_palette and smallest is not None else []
    blobs = {ident: (r.result() if isinstance(r, Future) else r) for ident, r in results.items()}
    files: dict[tuple[str, str], bytes] = {}
    for key, exts in by_key.items():
        encoded = blobs[_identity(key, width, height, jpeg)]
        files.update({(key, ext): encoded[ext] for ext in exts})
    return RenderedSet(files=files, palette=palette)
