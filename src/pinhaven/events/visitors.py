"""Signed-out visitors' impressions: counted at most once per visitor, pin and day, and a few per address.

Anyone may report impressions without an account, so without a bound one script could inflate anyone's
analytics. A *visitor* is a keyed hash of the client address and user agent (the instance secret is the key, so
the stored value cannot be reversed into an address); each visitor counts one impression per pin per UTC day.
Changing the user agent makes a new visitor, so an *address* (its /64 for IPv6, which one host usually holds
whole) counts at most `PER_ADDRESS_PIN_DAY` visitors per pin per day. Everything beyond is dropped, reported
under `already_counted`, and never reaches the counters. Rows older than `KEEP_DAYS` are pruned.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.db.engine import dialect_name
from pinhaven.events.models import AnonymousView

PER_ADDRESS_PIN_DAY = 3  # visitors (browsers) behind one address counted per pin and day: a household
KEEP_DAYS = 2  # events older than a day are refused anyway (events.service.MAX_AGE)
PRUNE_PROBABILITY = 0.01


@dataclass(frozen=True)
class Visitor:
    """Who a signed-out caller is, as far as counting goes: two keyed hashes, nothing reversible."""

    key: str
    address: str


class _Event(Protocol):
    @property
    def pin_id(self) -> int: ...

    @property
    def at(self) -> Any: ...


def _digest(secret_key: str, label: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{label}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _address_scope(address: str) -> str:
    """The address, or its /64 for IPv6 (one host usually holds a whole /64 to rotate through)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def visitor_of(*, secret_key: str, address: str, user_agent: str) -> Visitor:
    scope = _address_scope(address)
    return Visitor(
        key=_digest(secret_key, "visitor", f"{scope}|{address}|{user_agent[:512]}"),
        address=_digest(secret_key, "address", scope),
    )


def admit(*, db: Session, visitor: Visitor, events: Sequence[_Event]) -> list[bool]:
    """Which of these (visible, de-duplicated) impressions count: first per visitor, pin and day, within the
    address's allowance. Records the admitted ones in the caller's transaction."""
    if not events:
        return []
    keys = {(e.pin_id, e.at.date()) for e in events}
    seen: dict[tuple[int, date], set[str]] = {key: set() for key in keys}
    rows = db.execute(
        select(AnonymousView.pin_id, AnonymousView.day, AnonymousView.visitor).where(
            tuple_(AnonymousView.pin_id, AnonymousView.day).in_(sorted(keys)),
            AnonymousView.address == visitor.address,
        )
    )
    for pin_id, day, key in rows:
        seen[(pin_id, day)].add(key)
    verdicts: list[bool] = []
    new_rows: list[dict[str, Any]] = []
    for e in events:
        visitors = seen[(e.pin_id, e.at.date())]
        ok = visitor.key not in visitors and len(visitors) < PER_ADDRESS_PIN_DAY
        if ok:
            visitors.add(visitor.key)
            new_rows.append(
                {"pin_id": e.pin_id, "day": e.at.date(), "visitor": visitor.key, "address": visitor.address}
            )
        verdicts.append(ok)
    _insert_ignoring_duplicates(db, new_rows)
    if random.random() < PRUNE_PROBABILITY:
        prune(db=db)
    return verdicts


def _insert_ignoring_duplicates(db: Session, rows: list[dict[str, Any]]) -> None:
    """A concurrent request may have counted the same visitor a moment ago: its row stands, ours is skipped."""
    if not rows:
        return
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    name = dialect_name(db)
    if name == "postgresql":
        db.execute(postgresql.insert(AnonymousView).values(rows).on_conflict_do_nothing())
    elif name in ("mysql", "mariadb"):
        db.execute(mysql.insert(AnonymousView).values(rows).prefix_with("IGNORE"))
    else:
        db.execute(sqlite.insert(AnonymousView).values(rows).on_conflict_do_nothing())


def prune(*, db: Session, today: date | None = None) -> int:
    """Forget counted visitors of days no event may be reported for any more; the number of rows removed."""
    cutoff = (today or utcnow().date()) - timedelta(days=KEEP_DAYS)
    result = db.execute(delete(AnonymousView).where(AnonymousView.day < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
