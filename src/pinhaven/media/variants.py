"""The variant ladder: sizes, storage keys, and rendering every variant from a normalised original.

Ladder (Pinterest's): `150x150` and `400x300` are centre crops, `236x` … `1200x` keep the aspect ratio,
`originals` is the normalised original. Nothing is ever upscaled: a source smaller than a variant yields
that variant at the source's own size (crops become the largest centred box that fits).

Rendering is one decode and one cascade: JPEG sources are decoded with `draft()` (DCT scaling) at the
smallest scale that still covers every variant, each width is resized from the previous, larger one, each
crop from the smallest ladder image that covers it. Encoding (WebP dominates) runs on a small thread pool;
Pillow releases the GIL while it encodes. The cascade is deterministic, so a variant rendered on demand is
byte-identical to the one the background job renders.
"""

from __future__ import annotations

import io
import math
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, JpegImagePlugin

from pinhaven.media import colour

__all__ = [
    "CROP_VARIANTS",
    "OUTPUT_FORMATS",
    "VARIANT_KEYS",
    "WIDTH_VARIANTS",
    "RenderedSet",
    "crop_box",
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
ORIGINAL_EXT = {"jpeg": "jpg", "png": "png"}

WEBP_QUALITY = 80
# libwebp's method 4 (its default) costs ~3x method 2 for ~6% smaller files: worth it on small variants,
# not on the three big ones (600x and up), which dominate the encode time.
WEBP_METHOD_SMALL, WEBP_METHOD_LARGE, WEBP_LARGE_PIXELS = 4, 2, 200_000
JPEG_QUALITY = 85
RESAMPLE = Image.Resampling.LANCZOS


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


def _required_scale(width: int, height: int) -> float:
    """Smallest scale of the original that still covers every variant without upscaling."""
    scale = max(variant_size(k, width, height)[0] / width for k in WIDTH_VARIANTS)
    for key in CROP_VARIANTS:
        tw, th = variant_size(key, width, height)
        # A crop smaller than its target is a pixel-exact cut of the full-size original.
        scale = max(scale, tw / width, th / height) if (tw, th) == CROP_VARIANTS[key] else 1.0
    return min(1.0, scale)


def _decode_base(data: bytes, width: int, height: int) -> Image.Image:
    """Decode the normalised original at the smallest scale that covers the ladder, as RGB or RGBA."""
    image: Image.Image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    if image.size != (width, height):
        raise ValueError(f"stored original is {image.size}, the record says {(width, height)}")
    if isinstance(image, JpegImagePlugin.JpegImageFile):
        scale = _required_scale(width, height)
        image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))
    image.load()
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return image


def _ladder(base: Image.Image, width: int, height: int) -> Iterator[tuple[str, Image.Image]]:
    """Width variants, largest first, each resized once from the previous (larger) one."""
    previous = base
    for key in WIDTH_VARIANTS:
        size = variant_size(key, width, height)
        if previous.size != size:
            previous = previous.resize(size, RESAMPLE, reducing_gap=3.0)
        yield key, previous


def _crop(key: str, candidates: list[Image.Image], width: int, height: int) -> Image.Image:
    """Crop variant `key`, resampled from the smallest candidate whose region still covers it."""
    target = variant_size(key, width, height)
    left, top, right, bottom = crop_box(key, width, height)
    for source in sorted(candidates, key=lambda im: im.width * im.height):
        sx, sy = source.width / width, source.height / height
        box = (left * sx, top * sy, right * sx, bottom * sy)
        if box[2] - box[0] >= target[0] - 1e-6 and box[3] - box[1] >= target[1] - 1e-6:
            break
    else:  # pragma: no cover - the base always covers (it is decoded at the required scale)
        raise AssertionError("no source covers the crop")
    if source.size == (width, height) and (right - left, bottom - top) == (
        float(target[0]),
        float(target[1]),
    ):
        return source.crop((int(left), int(top), int(right), int(bottom)))
    return source.resize(target, RESAMPLE, box=box)


def encode(image: Image.Image, ext: str) -> bytes:
    """Encode a variant: WebP keeps alpha; JPEG is flattened onto white. No metadata is written."""
    out = io.BytesIO()
    if ext == "webp":
        large = image.width * image.height > WEBP_LARGE_PIXELS
        image.save(
            out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD_LARGE if large else WEBP_METHOD_SMALL
        )
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
    """Encoded variants by (variant key, extension), plus the palette of the small ladder image."""

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


def render(
    data: bytes,
    width: int,
    height: int,
    *,
    wanted: Iterable[tuple[str, str]] | None = None,
    parallel: bool = True,
) -> RenderedSet:
    """Render `wanted` (default: every variant in every output format) from a normalised original."""
    by_key = _targets(wanted)
    base = _decode_base(data, width, height)
    pool = _executor() if parallel else None
    # Narrow sources reuse one image for several widths: encode it once, share the bytes.
    jobs: dict[int, tuple[Image.Image, set[str], Future[dict[str, bytes]] | dict[str, bytes]]] = {}
    source_of: dict[str, int] = {}

    def submit(key: str, image: Image.Image) -> None:
        exts = by_key.get(key)
        if not exts:
            return
        job = jobs.get(id(image))
        if job is not None and set(exts) <= job[1]:
            source_of[key] = id(image)
            return
        if job is not None:
            image = image.copy()  # same pixels, other formats: a private object for its own task
        # With a pool, encoding overlaps the cascade's next resize on this thread.
        result = pool.submit(_encode_all, image, exts) if pool is not None else _encode_all(image, exts)
        jobs[id(image)] = (image, set(exts), result)
        source_of[key] = id(image)

    ladder: dict[str, Image.Image] = {}
    for key, image in _ladder(base, width, height):
        ladder[key] = image
        submit(key, image)
    candidates = [base, *ladder.values()]
    for key in CROP_VARIANTS:
        if key in by_key:
            submit(key, _crop(key, candidates, width, height))
    palette = colour.palette(ladder["236x"])
    files: dict[tuple[str, str], bytes] = {}
    for key, ident in source_of.items():
        result = jobs[ident][2]
        blobs = result.result() if isinstance(result, Future) else result
        files.update({(key, ext): blobs[ext] for ext in by_key[key]})
    return RenderedSet(files=files, palette=palette)
