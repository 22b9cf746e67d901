"""Job handlers of the automatic signals (registered in `pinhaven/jobs/handlers.py`).

moderation.scan_pin    payload {pin_id}    ← jobs.pipeline.on_pin_created: spam and flood (nudity too when the
                                             picture is ready)
moderation.scan_image  payload {image_id}  ← jobs.pipeline.on_image_ready: nudity of the picture, then each pin
                                             showing it is scanned again with that score

Scores at or above the instance's thresholds hide the pin pending review (its owner still sees it, with a
notice) and open its case in the moderation queue with the signals; scores above half a threshold open a case
without hiding. Idempotent: running again recomputes the same scores and hides nothing twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store
from pinhaven.moderation import instance, nudity, service
from pinhaven.moderation.spam import flood_score, spam_signals
from pinhaven.pins.models import Pin

SCAN_PIN = "moderation.scan_pin"
SCAN_IMAGE = "moderation.scan_image"
NOTE_FRACTION = 0.5  # scores above this share of a threshold reach the queue without hiding anything


def _id(payload: dict[str, Any], key: str, kind: str) -> int:
    value = payload.get(key)
    try:
        return int(str(value))
    except ValueError:
        raise PermanentFailure(f"{kind} payload needs a numeric {key}, got {value!r}") from None


def scan(db: Session, pin: Pin, *, nudity_score: float | None = None) -> dict[str, float]:
    """Score one pin and act on the scores (flag, maybe hide); returns the signals."""
    settings = instance.get(db=db)
    spam = spam_signals(db=db, pin=pin)
    signals = spam.as_dict()
    flood = flood_score(db=db, pin=pin)
    signals["flood"] = round(flood, 3)
    if nudity_score is not None:
        signals["nudity"] = round(nudity_score, 3)
    checks = [(spam.score, settings.spam_threshold), (flood, settings.flood_threshold)]
    if nudity_score is not None:
        checks.append((nudity_score, settings.nudity_threshold))
    hide = any(score >= threshold for score, threshold in checks)
    notable = any(score >= threshold * NOTE_FRACTION and score > 0 for score, threshold in checks)
    if hide or notable:
        service.flag(db=db, object_type="pin", object_id=pin.id, signals=signals, hide=hide)
    return signals


def _image_nudity(ctx: AppContext, db: Session, image_id: int) -> float | None:
    image = db.get(MediaImage, image_id)
    if image is None or image.status != "ready" or not nudity.available():
        return None
    data = media_store(ctx).get(variants.original_key(image.sha256, image.original_format))
    return nudity.score_image(data) if data else None


def scan_pin_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    pin_id = _id(payload, "pin_id", SCAN_PIN)
    with session_scope(ctx.sessions) as db:
        pin = db.get(Pin, pin_id)
        if pin is None:
            return
        scan(db, pin, nudity_score=_image_nudity(ctx, db, pin.image_id))


def scan_image_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    image_id = _id(payload, "image_id", SCAN_IMAGE)
    with session_scope(ctx.sessions) as db:
        score = _image_nudity(ctx, db, image_id)
        if score is None:
            return
        for pin in db.scalars(select(Pin).where(Pin.image_id == image_id)):
            scan(db, pin, nudity_score=score)
