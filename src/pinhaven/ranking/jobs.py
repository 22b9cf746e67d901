"""The scheduled ranking job: label the log, refit ALS, train when enough new sessions are labelled, promote
if better.

It re-queues itself one interval later (PINHAVEN_RANKING_TRAIN_INTERVAL_SECONDS), like the link-rule job.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import InvalidInput
from pinhaven.ranking import als, service
from pinhaven.ranking.labels import label_logs

__all__ = ["JOB_KIND", "ensure_scheduled", "train_job"]

JOB_KIND = "ranking.train"
FIRST_RUN_DELAY = timedelta(minutes=10)
log = logging.getLogger("pinhaven.ranking")


def ensure_scheduled(*, db: Session, interval_seconds: float, delay: timedelta = FIRST_RUN_DELAY) -> bool:
    """Queue the job unless one is waiting (or the interval is 0: scheduled training is off)."""
    from pinhaven.jobs.models import Job
    from pinhaven.jobs.service import enqueue

    if interval_seconds <= 0:
        return False
    if db.scalar(select(Job.id).where(Job.kind == JOB_KIND, Job.state == "queued").limit(1)) is not None:
        return False
    enqueue(db=db, kind=JOB_KIND, payload={}, run_after=utcnow() + delay)
    return True


def train_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Label; train and maybe promote when PINHAVEN_RANKING_MIN_NEW_SESSIONS new sessions are labelled."""
    with session_scope(ctx.sessions) as db:
        label_logs(db=db)
    als.fit(ctx)  # the collaborative-filtering source follows the log at the same pace
    with session_scope(ctx.read_sessions) as db:
        new = service.labelled_since_last_model(db=db)
    if new >= ctx.settings.ranking_min_new_sessions or payload.get("force"):
        try:
            outcome = service.train_and_register(ctx)
            log.info("ranking: scheduled training made v%d (%s)", outcome.version, outcome.reason)
        except InvalidInput as exc:
            log.info("ranking: scheduled training skipped: %s", exc.message)
    else:
        log.info(
            "ranking: %d new labelled sessions (< %d): no training",
            new,
            ctx.settings.ranking_min_new_sessions,
        )
    interval = ctx.settings.ranking_train_interval_seconds
    with session_scope(ctx.sessions) as db:
        ensure_scheduled(db=db, interval_seconds=interval, delay=timedelta(seconds=interval))
