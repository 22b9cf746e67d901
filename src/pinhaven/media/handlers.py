"""Job handlers of the media domain (the jobs runner maps `media.process` here)."""

from __future__ import annotations

import io
import logging
from typing import Any

from PIL import Image

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs.pipeline import on_image_ready
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.media import colour, variants
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store, store_eager_variants

__all__ = ["process_image"]

log = logging.getLogger("pinhaven.media")


def _image_id(payload: dict[str, Any]) -> int:
    value = payload.get("image_id")
    try:
        return int(str(value))
    except ValueError:
        raise PermanentFailure(f"media.process payload needs a numeric image_id, got {value!r}") from None


def _finish(ctx: AppContext, image_id: int, *, palette: list[str] | None, failure: str | None) -> None:
    with session_scope(ctx.sessions) as db:
        image = db.get(MediaImage, image_id)
        if image is None:
            return
        if failure is not None:
            image.status, image.failure_reason = "failed", failure[:1000]
        else:
            image.status, image.failure_reason = "ready", None
            if palette and not image.palette:
                image.palette = palette
            if palette and not image.dominant_color:
                image.dominant_color = palette[0]
        image.processed_at = utcnow()
        if failure is None:
            on_image_ready(db=db, image_id=image_id)  # follow-up jobs commit with the status change


def process_image(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Render the missing eager variants of one image and mark it ready; safe to run again.

    The other variants are rendered when first requested (`service.fetch_media`). Permanent problems
    (original missing, no longer decodable) mark the image failed and return; anything else (disk,
    database) raises so the job is retried.
    """
    image_id = _image_id(payload)
    with session_scope(ctx.sessions) as db:
        image = db.get(MediaImage, image_id)
        if image is None:
            return  # deleted meanwhile: nothing to do
        sha, fmt, width, height = image.sha256, image.original_format, image.width, image.height
        needs_palette = not image.palette
    store = media_store(ctx)
    palette: list[str] | None = None
    if any(store.stat(variants.variant_key(sha, k, e)) is None for k, e in variants.EAGER_VARIANTS):
        original = store.get(variants.original_key(sha, fmt))
        if original is None:
            _finish(ctx, image_id, palette=None, failure="The stored original file is missing.")
            return
        try:
            rendered = store_eager_variants(
                store=store, sha256=sha, data=original, width=width, height=height, with_palette=needs_palette
            )
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            log.warning("image %s cannot be processed: %s", image_id, exc)
            _finish(ctx, image_id, palette=None, failure=f"The stored original cannot be decoded: {exc}")
            return
        palette = (rendered.palette or None) if rendered is not None else None
    elif needs_palette:
        small = store.get(variants.variant_key(sha, "236x", "jpg"))
        if small is not None:
            palette = colour.palette(Image.open(io.BytesIO(small), formats=("JPEG",)))
    _finish(ctx, image_id, palette=palette, failure=None)
