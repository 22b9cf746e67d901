"""Job handler of OCR (registered in `pinhaven/jobs/handlers.py`).

ocr.read_image  payload {image_id}  ← jobs.pipeline.on_image_ready: read the image's text, store it,
                                      re-index the pins that show it when the text changed
"""

from __future__ import annotations

from typing import Any

from pinhaven.context import AppContext
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.ocr.service import read_image

__all__ = ["READ_JOB", "read_image_job"]

READ_JOB = "ocr.read_image"


def read_image_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `ocr.read_image`: OCR one image (idempotent; nothing to do when OCR is off)."""
    value = payload.get("image_id")
    try:
        image_id = int(str(value))
    except ValueError:
        raise PermanentFailure(f"{READ_JOB} payload needs a numeric image_id, got {value!r}") from None
    read_image(ctx, image_id)
