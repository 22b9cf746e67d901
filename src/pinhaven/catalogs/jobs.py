"""Job handler of catalogs (registered in `pinhaven/jobs/handlers.py`).

catalogs.sync_feed  payload {feed_id}  ← feed created / location changed, `pinhaven catalogs sync`, the
                                         scheduler (feeds whose next_sync_at has passed): fetch and ingest it
"""

from __future__ import annotations

from typing import Any

from pinhaven.catalogs.models import CatalogFeed
from pinhaven.catalogs.service import SYNC_JOB, sync_feed
from pinhaven.context import AppContext
from pinhaven.jobs.queue import PermanentFailure

__all__ = ["sync_feed_job"]


def sync_feed_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `catalogs.sync_feed` (idempotent: a second run is one more sync; gone or inactive feeds: nothing)."""
    value = payload.get("feed_id")
    try:
        feed_id = int(str(value))
    except ValueError:
        raise PermanentFailure(f"{SYNC_JOB} payload needs a numeric feed_id, got {value!r}") from None
    with ctx.sessions() as db:
        feed = db.get(CatalogFeed, feed_id)
        if feed is None or feed.status != "ACTIVE":
            return
    sync_feed(ctx, feed_id)
