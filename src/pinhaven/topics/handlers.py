"""Job handler of topics (registered in `pinhaven/jobs/handlers.py`).

topics.assign_pin  payload {pin_id}  ← jobs.pipeline (pin created or its text/board changed), OCR text found:
                                       classify the pin and store its automatic topics (owner-set ones stay)
"""

from __future__ import annotations

import logging
from typing import Any

from pinhaven.context import AppContext
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.topics.service import assign_pins

__all__ = ["ASSIGN_JOB", "assign_pin_job"]

log = logging.getLogger("pinhaven.topics")

ASSIGN_JOB = "topics.assign_pin"


def assign_pin_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `topics.assign_pin` (idempotent; nothing to do when automatic topics are off)."""
    value = payload.get("pin_id")
    try:
        pin_id = int(str(value))
    except ValueError:
        raise PermanentFailure(f"{ASSIGN_JOB} payload needs a numeric pin_id, got {value!r}") from None
    if not ctx.settings.topics_auto:
        return
    assign_pins(ctx, [pin_id])
