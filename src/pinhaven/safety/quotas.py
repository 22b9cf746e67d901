"""Upload quotas: pictures and bytes per user per UTC day, and the total size of a user's own pictures.

    check_upload(db, settings, user_id, size)   before the image work: 429 (daily) or 413 (storage)
    record_upload(db, user_id, size)             in the transaction that registers the upload
    usage(db, settings, user_id)                 what the settings page, `GET /ext/v1/me/usage` and
                                                 `pinhaven users usage` show

Every interactive upload is checked and counted (the v5 API, the web pin builder, saving from a URL); imports
are bulk restores of what a person already has: never refused, but their pictures add to the storage used. *Storage* is the stored size
of the distinct pictures of the pins the user created (saves of other people's pins are not theirs), so
deleting pins frees it. A limit of 0 means no limit. The daily rows are shared by every process through the
database, so the quotas hold across processes and hosts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.config import Settings
from pinhaven.db.base import utcnow
from pinhaven.db.engine import dialect_name
from pinhaven.errors import PayloadTooLarge, RateLimited
from pinhaven.media.models import MediaImage
from pinhaven.pins.models import Pin
from pinhaven.safety.models import UploadUsage

__all__ = ["Usage", "check_storage", "check_upload", "record_upload", "storage_used", "usage"]


@dataclass(frozen=True)
class Usage:
    """A user's uploads today and storage, with the instance's limits (0: none)."""

    day: date
    uploads_today: int
    upload_limit: int
    bytes_today: int
    bytes_limit: int
    storage_bytes: int
    storage_limit: int
    api_rate_per_minute: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "uploads_today": self.uploads_today,
            "upload_limit": self.upload_limit,
            "bytes_today": self.bytes_today,
            "bytes_limit": self.bytes_limit,
            "storage_bytes": self.storage_bytes,
            "storage_limit": self.storage_limit,
            "api_rate_per_minute": self.api_rate_per_minute,
        }


def _today(now: datetime | None = None) -> date:
    return (now or utcnow()).date()


def _today_row(db: Session, user_id: int, day: date) -> tuple[int, int]:
    row = db.execute(
        select(UploadUsage.uploads, UploadUsage.bytes).where(
            UploadUsage.user_id == user_id, UploadUsage.day == day
        )
    ).first()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


def storage_used(*, db: Session, user_id: int) -> int:
    """Bytes of the distinct pictures of the pins this user created (not their saves of others' pins)."""
    images = (
        select(Pin.image_id)
        .where(Pin.creator_id == user_id, Pin.parent_pin_id.is_(None))
        .distinct()
        .scalar_subquery()
    )
    total = db.scalar(
        select(func.coalesce(func.sum(MediaImage.byte_size), 0)).where(MediaImage.id.in_(images))
    )
    return int(total or 0)


def size_text(size: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _until_tomorrow(now: datetime) -> str:
    left = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo) - now
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def check_storage(*, db: Session, settings: Settings, user_id: int, size: int) -> None:
    """413 when `size` more bytes would take the user over their storage quota."""
    limit = settings.storage_quota_bytes
    if limit > 0:
        used = storage_used(db=db, user_id=user_id)
        if used + size > limit:
            raise PayloadTooLarge(
                f"Storage quota reached: your pictures take {size_text(used)} of {size_text(limit)}; "
                "delete some pins to make room."
            )


def check_upload(
    *, db: Session, settings: Settings, user_id: int, size: int, now: datetime | None = None
) -> None:
    """Refuse an upload of `size` bytes over a quota: 429 for the daily count or bytes (they reset at
    midnight UTC), 413 for the storage quota."""
    now = now or utcnow()
    uploads, sent = _today_row(db, user_id, _today(now))
    if settings.upload_daily_count > 0 and uploads + 1 > settings.upload_daily_count:
        raise RateLimited(
            f"Daily upload limit reached: {settings.upload_daily_count} pictures a day; "
            f"it resets in {_until_tomorrow(now)} (midnight UTC)."
        )
    if settings.upload_daily_bytes > 0 and sent + size > settings.upload_daily_bytes:
        raise RateLimited(
            f"Daily upload limit reached: {size_text(settings.upload_daily_bytes)} a day "
            f"({size_text(sent)} sent today); it resets in {_until_tomorrow(now)} (midnight UTC)."
        )
    check_storage(db=db, settings=settings, user_id=user_id, size=size)


def record_upload(*, db: Session, user_id: int, size: int, now: datetime | None = None) -> None:
    """Count one upload of `size` bytes today, in the caller's transaction (an upsert: no lost updates)."""
    values = {"user_id": user_id, "day": _today(now), "uploads": 1, "bytes": size}
    table = UploadUsage.__table__
    name = dialect_name(db)
    if name in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        stmt: Any = mysql.insert(UploadUsage).values(values)
        stmt = stmt.on_duplicate_key_update(uploads=table.c.uploads + 1, bytes=table.c.bytes + size)
    else:
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if name == "postgresql" else sqlite.insert
        stmt = insert(UploadUsage).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "day"],
            set_={"uploads": table.c.uploads + 1, "bytes": table.c.bytes + size},
        )
    db.execute(stmt)


def usage(*, db: Session, settings: Settings, user_id: int, now: datetime | None = None) -> Usage:
    day = _today(now)
    uploads, sent = _today_row(db, user_id, day)
    return Usage(
        day=day,
        uploads_today=uploads,
        upload_limit=settings.upload_daily_count,
        bytes_today=sent,
        bytes_limit=settings.upload_daily_bytes,
        storage_bytes=storage_used(db=db, user_id=user_id),
        storage_limit=settings.storage_quota_bytes,
        api_rate_per_minute=settings.api_rate_per_minute,
    )


def usage_by_user(*, db: Session, settings: Settings, now: datetime | None = None) -> list[tuple[str, Usage]]:
    """(username, usage) for every user, the heaviest storage first (`pinhaven users usage`)."""
    from pinhaven.accounts.models import User

    rows = db.execute(select(User.id, User.username).order_by(User.username)).all()
    found = [(username, usage(db=db, settings=settings, user_id=uid, now=now)) for uid, username in rows]
    return sorted(found, key=lambda item: (-item[1].storage_bytes, item[0]))
