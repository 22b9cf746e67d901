"""Read an image's text and keep it: the OCR job's work, and the lookups search and the API use.

The text lives with the image (`image_texts`), not the pin: every save of a picture shares it. A pin's search
document appends it to the alt text column (fts, tsvector, FULLTEXT and the MiniLM text all read that column),
so "quote", "recipe card" and "infographic" pins are found by the words in their pictures.
"""

from __future__ import annotations

import io
import logging
import threading

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs.service import enqueue
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store
from pinhaven.ocr.engine import ENGINE_ID, READ_SIDE, OcrEngine, OcrResult, is_installed
from pinhaven.ocr.models import ImageText
from pinhaven.pins.models import Pin

__all__ = [
    "get",
    "ocr_engine",
    "read_image",
    "searchable_text",
    "text_for_image",
]

log = logging.getLogger("pinhaven.ocr")

SEARCH_TEXT_CHARS = 400  # of the OCR text that enters a search document (alt text column: 500 chars)
_warned = threading.Event()
_engines: dict[tuple[int, str, str], OcrEngine] = {}
_engines_lock = threading.Lock()


def ocr_engine(ctx: AppContext) -> OcrEngine | None:
    """The process's OCR engine; None when OCR is off or not installed (said once in the log)."""
    settings = ctx.settings
    if not settings.ocr_enabled:
        return None
    if not is_installed():
        if not _warned.is_set():
            _warned.set()
            log.warning("OCR is off: rapidocr-onnxruntime is not installed (pip install 'pinhaven[ocr]')")
        return None
    key = (settings.ocr_det_side, settings.ocr_rec_model, settings.ocr_rec_keys)
    with _engines_lock:  # one engine (≈ 30 MB of models) per process and configuration, not per context
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = OcrEngine(det_side=key[0], rec_model=key[1], rec_keys=key[2])
    return engine


def _load(ctx: AppContext, image: MediaImage) -> Image.Image | None:
    data = media_store(ctx).get(variants.original_key(image.sha256, image.original_format))
    if data is None:
        return None
    picture = Image.open(io.BytesIO(data))
    picture.draft("RGB", (READ_SIDE, READ_SIDE))  # JPEG: decode at a fraction of the size when that is enough
    picture.load()
    return picture


def _lines_json(result: OcrResult, width: int, height: int) -> list[dict[str, object]]:
    return [
        {
            "text": line.text,
            "score": round(line.score, 3),
            "box": [[round(x / width, 4), round(y / height, 4)] for x, y in line.box],
        }
        for line in result.lines
    ]


def read_image(ctx: AppContext, image_id: int) -> ImageText | None:
    """Run OCR on one stored image and store what it found (idempotent); None when OCR is off or the image
    is gone. Pins showing the image are re-indexed when its text changed."""
    engine = ocr_engine(ctx)
    if engine is None:
        return None
    with session_scope(ctx.sessions) as db:
        image = db.get(MediaImage, image_id)
        if image is None:
            return None
        db.expunge(image)
    try:
        picture = _load(ctx, image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.warning("OCR cannot decode image %s: %s", image_id, exc)
        picture = None
    result = engine.read(picture) if picture is not None else OcrResult("failed")
    if picture is not None:
        # boxes are in the pixels of the copy the models read (scaled by `result.scale`)
        read_w = max(1, round(picture.width * result.scale))
        read_h = max(1, round(picture.height * result.scale))
        lines = _lines_json(result, read_w, read_h)
    else:
        lines = []
    with session_scope(ctx.sessions) as db:
        if db.get(MediaImage, image_id) is None:
            return None  # deleted while we read it
        row = db.get(ImageText, image_id)
        changed = row is None or row.text != result.text
        if row is None:
            row = ImageText(image_id=image_id)
            db.add(row)
        row.status, row.text, row.lines = result.status, result.text, lines
        row.engine, row.elapsed_ms, row.created_at = ENGINE_ID, round(result.elapsed_ms), utcnow()
        db.flush()
        if changed and result.text:
            for pin_id in db.scalars(select(Pin.id).where(Pin.image_id == image_id)):
                enqueue(db=db, kind="search.index_pin", payload={"pin_id": pin_id})
                enqueue(db=db, kind="topics.assign_pin", payload={"pin_id": pin_id})  # its words may tell
        db.expunge(row)
    return row


def get(*, db: Session, image_id: int) -> ImageText | None:
    return db.get(ImageText, image_id)


def text_for_image(*, db: Session, image_id: int) -> str:
    """The OCR text of an image ('' when none was read)."""
    return db.scalar(select(ImageText.text).where(ImageText.image_id == image_id)) or ""


def searchable_text(alt_text: str, ocr_text: str) -> str:
    """A search document's alt text column: the pin's alt text, then the words read from its picture."""
    words = " ".join(ocr_text.split())[:SEARCH_TEXT_CHARS]
    if not words or words.lower() in alt_text.lower():
        return alt_text
    return f"{alt_text} {words}".strip()[:500] if alt_text else words
