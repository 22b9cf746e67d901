"""The picture of a reported pin for moderators, whatever its state (hidden and removed pins' media are not
served on /media to them): a small JPEG made from the stored original, never cached by anyone."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.errors import NotFound
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store
from pinhaven.moderation.models import ModerationCase
from pinhaven.pins.models import Pin

PREVIEW_PX = 474


def case_picture(ctx: AppContext, *, db: Session, case: ModerationCase) -> bytes:
    """JPEG bytes of the case's pin picture (the caller checked the moderator role); NotFound otherwise."""
    pin = db.get(Pin, case.object_id) if case.object_type == "pin" else None
    image = db.get(MediaImage, pin.image_id) if pin is not None else None
    data = media_store(ctx).get(variants.original_key(image.sha256, image.original_format)) if image else None
    if data is None:
        raise NotFound("No picture for this case.")
    with Image.open(io.BytesIO(data)) as picture:
        picture.draft("RGB", (PREVIEW_PX, PREVIEW_PX))  # JPEG: decode at a reduced scale
        small = picture.convert("RGB")
        small.thumbnail((PREVIEW_PX, PREVIEW_PX))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()
