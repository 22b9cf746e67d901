"""Automatic signals: link-domain reputation learned from moderation outcomes (more in `spam.py`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.moderation.models import DomainReputation
from pinhaven.pins.models import Pin

SPAM_ACTIONS = ("hide", "remove", "suspend")
HAM_ACTIONS = ("dismiss", "restore")


def learn_from_outcome(*, db: Session, pin_id: int, action: str, reasons: set[str]) -> None:
    """A pin hidden/removed/suspended for spam counts against its link's domain; dismissed or restored, for."""
    domain = db.scalar(select(Pin.source_domain).where(Pin.id == pin_id))
    if not domain:
        return
    if action in SPAM_ACTIONS and "spam" in reasons:
        spam, ham = 1, 0
    elif action in HAM_ACTIONS:
        spam, ham = 0, 1
    else:
        return
    row = db.get(DomainReputation, domain.lower()[:255])
    if row is None:
        row = DomainReputation(domain=domain.lower()[:255], spam=0, ham=0)
        db.add(row)
    row.spam += spam
    row.ham += ham
    row.updated_at = utcnow()
    db.flush()


def domain_spam_rate(*, db: Session, domain: str | None) -> float:
    """Smoothed share of moderated pins on `domain` found to be spam (0.0 for unknown domains)."""
    if not domain:
        return 0.0
    row = db.get(DomainReputation, domain.lower()[:255])
    if row is None:
        return 0.0
    return row.spam / (row.spam + row.ham + 1.0)


def spam_scores(*, db: Session, pin_ids: list[int]) -> dict[int, float]:
    """The spam score the automatic signals gave each of `pin_ids` that has a case (others: absent).

    One indexed read per call (cases exist only for pins a signal or a report singled out).
    """
    from pinhaven.moderation.models import ModerationCase

    found: dict[int, float] = {}
    for start in range(0, len(pin_ids), 900):
        rows = db.execute(
            select(ModerationCase.object_id, ModerationCase.signals).where(
                ModerationCase.object_type == "pin",
                ModerationCase.object_id.in_(pin_ids[start : start + 900]),
            )
        )
        for pin_id, signals in rows:
            value = (signals or {}).get("spam")
            if isinstance(value, int | float) and value > 0:
                found[int(pin_id)] = min(float(value), 1.0)
    return found


def demoted(score: float, spam: float) -> float:
    """A ranking score lowered by a spam probability (monotone for scores of either sign)."""
    return score * (1.0 - spam) if score >= 0 else score * (1.0 + spam)
