"""The spam and duplicate-flood signals of a pin (pure reads; `signals_job.py` acts on them).

Spam is a noisy-or of independent cues, each in [0, 1]:
    blocklist         the link's domain (or a parent domain) is in the shipped `blocklist.py`
    domain_reputation share of moderated pins on the link's domain found to be spam (learned, signals.py)
    new_account_link  distinct accounts younger than NEW_ACCOUNT_DAYS that pinned the same link in a day
    repeated_upload   the same picture uploaded again by the same person within a day
    text_patterns     spam phrases, many links or phone numbers, shouting, in title/description/note
The duplicate flood is a burst: the same person posting the same picture or link many times within an hour.
Every count looks only at pins made up to this one, in the window before it: a pin's scores do not depend on
when its scan runs, and the first of a burst stays clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.db.base import utcnow
from pinhaven.moderation.blocklist import DOMAINS
from pinhaven.moderation.signals import domain_spam_rate
from pinhaven.pins.models import Pin

NEW_ACCOUNT_DAYS = 7
LINK_ACCOUNTS_FOR_FULL_SCORE = 4  # distinct new accounts (besides the first) saving one link in a day
REPEATS_FOR_FULL_SCORE = 3  # re-uploads of one picture by one person in a day
FLOOD_WINDOW = timedelta(hours=1)
FLOOD_COUNT = 10  # same picture or link this many times within the window: flood score 1.0

_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(viagra|cialis|casino|porn|xxx|escort|payday loans?|replica watch(es)?)\b", re.I), 0.6),
    (
        re.compile(r"\b(buy now|limited offer|act now|click here|100% free|risk[- ]free|earn \$?\d+)", re.I),
        0.4,
    ),
    (
        re.compile(
            r"\b(crypto|bitcoin|btc|nft)\b.{0,40}\b(giveaway|double|doubler|profit|guaranteed)\b", re.I
        ),
        0.6,
    ),
    (re.compile(r"\b(dm|message|whats ?app|telegram) me\b", re.I), 0.3),
    (re.compile(r"(\+?\d[\d\s().-]{8,}\d)"), 0.25),  # phone numbers
    (re.compile(r"(https?://\S+.*){3,}", re.I | re.S), 0.4),  # three or more links in the text
    (re.compile(r"([!$€£])\1{2,}"), 0.2),  # "!!!", "$$$"
)


@dataclass(frozen=True)
class SpamSignals:
    blocklist: float
    domain_reputation: float
    new_account_link: float
    repeated_upload: float
    text_patterns: float

    @property
    def score(self) -> float:
        keep = 1.0
        for value in (
            self.blocklist,
            self.domain_reputation,
            self.new_account_link,
            self.repeated_upload,
            self.text_patterns,
        ):
            keep *= 1.0 - min(max(value, 0.0), 1.0)
        return 1.0 - keep

    def as_dict(self) -> dict[str, float]:
        return {
            "spam": round(self.score, 3),
            "spam.blocklist": self.blocklist,
            "spam.domain_reputation": round(self.domain_reputation, 3),
            "spam.new_account_link": round(self.new_account_link, 3),
            "spam.repeated_upload": round(self.repeated_upload, 3),
            "spam.text_patterns": round(self.text_patterns, 3),
        }


def is_blocklisted(domain: str | None) -> bool:
    if not domain:
        return False
    parts = domain.lower().split(".")
    blocked = DOMAINS
    return any(".".join(parts[i:]) in blocked for i in range(len(parts) - 1))


def text_score(*texts: str | None) -> float:
    text = " ".join(t for t in texts if t)
    if not text:
        return 0.0
    score = sum(weight for pattern, weight in _PATTERNS if pattern.search(text))
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        score += 0.2  # SHOUTING
    return min(score, 1.0)


def spam_signals(*, db: Session, pin: Pin) -> SpamSignals:
    now = pin.created_at or utcnow()
    day_ago = now - timedelta(days=1)
    new_accounts = 0
    if pin.link:
        new_accounts = int(
            db.scalar(
                select(func.count(func.distinct(Pin.creator_id)))
                .join(User, User.id == Pin.creator_id)
                .where(
                    Pin.link == pin.link,
                    Pin.created_at >= day_ago,
                    Pin.id <= pin.id,
                    User.created_at >= now - timedelta(days=NEW_ACCOUNT_DAYS),
                )
            )
            or 0
        )
    repeats = int(
        db.scalar(
            select(func.count())
            .select_from(Pin)
            .where(
                Pin.image_id == pin.image_id,
                Pin.creator_id == pin.creator_id,
                Pin.parent_pin_id.is_(None),
                Pin.created_at >= day_ago,
                Pin.id < pin.id,
            )
        )
        or 0
    )
    return SpamSignals(
        blocklist=1.0 if is_blocklisted(pin.source_domain) else 0.0,
        domain_reputation=domain_spam_rate(db=db, domain=pin.source_domain),
        new_account_link=min(max(new_accounts - 1, 0) / LINK_ACCOUNTS_FOR_FULL_SCORE, 1.0),
        repeated_upload=min(repeats / REPEATS_FOR_FULL_SCORE, 1.0),
        text_patterns=text_score(pin.title, pin.description, pin.note),
    )


def flood_score(*, db: Session, pin: Pin) -> float:
    """How far into a burst of the same picture or link by the same person this pin comes."""
    since = (pin.created_at or utcnow()) - FLOOD_WINDOW
    mine = (
        select(func.count())
        .select_from(Pin)
        .where(Pin.creator_id == pin.creator_id, Pin.created_at >= since, Pin.id <= pin.id)
    )
    same_image = int(db.scalar(mine.where(Pin.image_id == pin.image_id)) or 0)
    same_link = int(db.scalar(mine.where(Pin.link == pin.link)) or 0) if pin.link else 0
    return min(max(same_image, same_link) / FLOOD_COUNT, 1.0)
