"""Labelling: join each served-features log to what the user then did with the pins it showed.

Windows (stated here and in docs/RANKING.md):
    IMPRESSION_HORIZON  impressions of a feed session count when they arrive within 6 hours of the session
                        (they carry the session id as `request_id`, with their position on the page);
    LABEL_WINDOW        a close-up, click, save or hide of the same pin by the same user counts when it
                        happens within 1 hour after the pin's first impression in that session.
A log is labelled once it is older than both windows together (its labels can no longer change); logs
of sessions that got no impression are labelled too (nothing shown: no examples).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.events.models import EngagementEvent
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.objectives import LABEL_BITS

__all__ = ["IMPRESSION_HORIZON", "LABEL_WINDOW", "label_logs"]

IMPRESSION_HORIZON = timedelta(hours=6)
LABEL_WINDOW = timedelta(hours=1)
MAX_POSITION = 32767  # int16
log = logging.getLogger("pinhaven.ranking")


def _label_one(db: Session, row: FeatureLog) -> tuple[bytes, bytes, int]:
    """(labels, positions, impressions) of one log."""
    pin_ids = np.frombuffer(row.pin_ids, dtype="<i8")
    index = {int(p): i for i, p in enumerate(pin_ids)}
    labels = np.zeros(len(pin_ids), dtype=np.uint8)
    positions = np.full(len(pin_ids), -1, dtype="<i2")
    first_seen: dict[int, datetime] = {}
    events = db.execute(
        select(EngagementEvent.pin_id, EngagementEvent.type, EngagementEvent.at, EngagementEvent.position,
               EngagementEvent.request_id)
        .where(EngagementEvent.user_id == row.user_id,
               EngagementEvent.at >= row.created_at,
               EngagementEvent.at < row.created_at + IMPRESSION_HORIZON + LABEL_WINDOW)
        .order_by(EngagementEvent.at, EngagementEvent.id)
    ).all()  # fmt: skip
    session_key = str(row.id)
    for pin_id, kind, at, position, request_id in events:
        i = index.get(int(pin_id))
        if i is None:
            continue
        if kind == "impression":
            if (
                request_id == session_key
                and pin_id not in first_seen
                and at < row.created_at + IMPRESSION_HORIZON
            ):
                first_seen[pin_id] = at
                positions[i] = min(int(position or 0), MAX_POSITION)
                labels[i] |= LABEL_BITS["impression"]
        elif kind in LABEL_BITS and pin_id in first_seen and at <= first_seen[pin_id] + LABEL_WINDOW:
            labels[i] |= LABEL_BITS[kind]
    return labels.tobytes(), positions.tobytes(), len(first_seen)


def label_logs(*, db: Session, now: datetime | None = None, batch: int = 500) -> tuple[int, int]:
    """Label every log old enough; returns (logs labelled, impressions found). Flushes, never commits."""
    now = now or utcnow()
    ready_before = now - IMPRESSION_HORIZON - LABEL_WINDOW
    done = impressions = 0
    while True:
        rows = list(
            db.scalars(
                select(FeatureLog)
                .where(FeatureLog.labelled_at.is_(None), FeatureLog.created_at < ready_before)
                .order_by(FeatureLog.created_at, FeatureLog.id)
                .limit(batch)
            )
        )
        if not rows:
            break
        for row in rows:
            row.labels, row.positions, shown = _label_one(db, row)
            row.labelled_at = now
            impressions += shown
        db.flush()
        done += len(rows)
        if len(rows) < batch:
            break
    if done:
        log.info("ranking: labelled %d feed sessions (%d impressions)", done, impressions)
    return done, impressions
