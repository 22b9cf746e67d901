"""Job handler of catalogs (registered in `pinhaven/jobs/handlers.py`).

catalogs.sync_feed  payload {feed_id}  ← feed created / location changed, API ingest, `catalogs.sync_due`:
                                         fetch and ingest it
catalogs.sync_due   payload {}         ← queued once per instance by start-up (runtime.start_background) and by
                                         `pinhaven worker`; re-queues itself: queues a sync of every ACTIVE feed
                                         whose next_sync_at (last sync + PINHAVEN_CATALOG_SYNC_INTERVAL_HOURS,
                                         default 6 h) has passed
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pinhaven.catalogs.models import CatalogFeed
from pinhaven.catalogs.service import SYNC_JOB, sync_feed
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue

__all__ = ["DUE_JOB", "ensure_scheduled", "queue_due_feeds", "sync_due_job", "sync_feed_job"]

DUE_JOB = "catalogs.sync_due"
MAX_CHECK = timedelta(minutes=10)  # due feeds are looked for at least this often


def _check_every(interval_hours: float) -> timedelta:
    return min(MAX_CHECK, timedelta(hours=interval_hours))


def ensure_scheduled(*, db: Session, interval_hours: float) -> bool:
    """Queue `catalogs.sync_due` unless one is waiting (or scheduled re-fetching is off)."""
    if interval_hours <= 0:
        return False
    if db.scalar(select(Job.id).where(Job.kind == DUE_JOB, Job.state == "queued").limit(1)) is not None:
        return False
    enqueue(db=db, kind=DUE_JOB, payload={})
    return True


def queue_due_feeds(*, db: Session, interval_hours: float, limit: int = 1000) -> int:
    """Queue a sync of each ACTIVE feed that is due (never synced, or next_sync_at passed); its next_sync_at
    moves forward at once so the next check does not queue it twice. Returns how many were queued."""
    now = utcnow()
    feeds = list(
        db.scalars(
            select(CatalogFeed)
            .where(
                CatalogFeed.status == "ACTIVE",
                or_(CatalogFeed.next_sync_at.is_(None), CatalogFeed.next_sync_at <= now),
            )
            .order_by(CatalogFeed.next_sync_at)
            .limit(limit)
        )
    )
    for feed in feeds:
        feed.next_sync_at = now + timedelta(hours=interval_hours)
        enqueue(db=db, kind=SYNC_JOB, payload={"feed_id": str(feed.id)})
    db.flush()
    return len(feeds)


def sync_due_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `catalogs.sync_due`: queue the due feeds' syncs, then run again in a few minutes."""
    hours = ctx.settings.catalog_sync_interval_hours
    if hours <= 0:
        return
    with session_scope(ctx.sessions) as db:
        queue_due_feeds(db=db, interval_hours=hours)
        enqueue(db=db, kind=DUE_JOB, payload={}, run_after=utcnow() + _check_every(hours))


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
