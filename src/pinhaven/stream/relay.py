"""The relay: publishes unsent outbox rows to JetStream in id order, then marks them sent.

One relay runs at a time across hosts (the `relay` lease). Each row is published with its outbox id as
`Nats-Msg-Id`, so a relay that died after publishing but before marking re-publishes rows JetStream drops as
duplicates (within its duplicate window; after it, consumers are idempotent by event id). A relay that died
before publishing leaves the rows unsent: the next holder of the lease publishes them. Rows are read
`WHERE sent_at IS NULL ORDER BY id`, not by watermark, so a row whose transaction committed late is still
picked up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory, session_scope
from pinhaven.db.ids import new_id
from pinhaven.stream import lease, subjects
from pinhaven.stream.bus import Bus
from pinhaven.stream.models import OutboxEvent, OutboxKey

__all__ = ["LEASE_NAME", "Relay", "encode", "outbox_backlog"]

log = logging.getLogger("pinhaven.stream")

LEASE_NAME = "relay"
LEASE_SECONDS = 10.0
BATCH = 500
SENT_KEPT = timedelta(hours=1)  # sent rows are kept a while for inspection, then deleted


def encode(row: OutboxEvent | Any) -> bytes:
    """The message body: the outbox row as JSON (ids as decimal strings, like the API)."""
    return json.dumps(
        {
            "id": str(row.id),
            "type": row.type,
            "key": row.key,
            "at": row.created_at.isoformat(),
            "payload": row.payload,
        },
        separators=(",", ":"),
        default=str,
    ).encode()


def outbox_backlog(sessions: SessionFactory) -> tuple[int, float]:
    """(unsent rows, age in seconds of the oldest unsent row)."""
    with sessions() as db:
        count, oldest = db.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.sent_at.is_(None))
        ).one()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return int(count or 0), max(age, 0.0)


class Relay:
    """Publish the outbox; `run` loops in a thread while holding the lease."""

    def __init__(self, sessions: SessionFactory, bus: Bus, *, poll_seconds: float = 0.05) -> None:
        self.sessions = sessions
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.stopping = threading.Event()
        self.published = 0
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0

    # ---- one step, usable from tests and the benchmark ---------------------------------------------
    def unsent(self, limit: int = BATCH) -> list[OutboxEvent]:
        with self.sessions() as db:
            rows = list(
                db.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.sent_at.is_(None))
                    .order_by(OutboxEvent.id)
                    .limit(limit)
                )
            )
            db.expunge_all()
        return rows

    def publish(self, rows: list[OutboxEvent]) -> None:
        """Publish in id order; raises if any publish was not acknowledged (nothing is marked then)."""
        if rows:
            self.bus.call(self._publish(rows))

    async def _publish(self, rows: list[OutboxEvent]) -> None:
        js = self.bus.jetstream
        # One connection delivers in the order sent, so pipelining keeps id order in the stream.
        futures = [
            js.publish(
                subjects.event_subject(self.bus.instance, row.type),
                encode(row),
                headers={"Nats-Msg-Id": str(row.id)},
            )
            for row in rows
        ]
        await asyncio.gather(*futures)

    def mark_sent(self, rows: list[OutboxEvent]) -> None:
        ids = [row.id for row in rows]
        now = utcnow()
        with session_scope(self.sessions) as db:
            for start in range(0, len(ids), 500):
                db.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(ids[start : start + 500]))
                    .values(sent_at=now)
                )

    def relay_once(self, limit: int = BATCH) -> int:
        """Publish and mark one batch; the number of rows relayed."""
        rows = self.unsent(limit)
        self.publish(rows)
        self.mark_sent(rows)
        self.published += len(rows)
        return len(rows)

    def drain(self, timeout: float = 30.0) -> int:
        """Relay until the outbox is empty (tests, `pinhaven stream status --drain`)."""
        total, deadline = 0, time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.relay_once()
            total += done
            if done == 0:
                break
        return total

    def prune(self) -> None:
        with session_scope(self.sessions) as db:
            db.execute(delete(OutboxEvent).where(OutboxEvent.sent_at < utcnow() - SENT_KEPT))
            # A key quiet for that long has nothing unsent left to order against: its row can go (the
            # next event for it starts a new row at a fresh, larger id).
            db.execute(delete(OutboxKey).where(OutboxKey.last_id < new_id(utcnow() - SENT_KEPT)))

    # ---- the thread --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            lease.release(self.sessions, name=LEASE_NAME, holder=self.holder)
        except Exception:  # the lease then simply expires
            log.warning("relay: could not release its lease", exc_info=True)

    def run(self) -> None:
        renewed = 0.0
        holding = False
        while not self.stopping.is_set():
            try:
                if time.monotonic() - renewed > LEASE_SECONDS / 3:
                    holding = lease.acquire(
                        self.sessions, name=LEASE_NAME, holder=self.holder, seconds=LEASE_SECONDS
                    )
                    renewed = time.monotonic()
                if not holding:
                    self.stopping.wait(LEASE_SECONDS / 3)
                    continue
                if self.relay_once() == 0:
                    self.stopping.wait(self.poll_seconds)
                if time.monotonic() - self._last_prune > 60:
                    self.prune()
                    self._last_prune = time.monotonic()
            except Exception:
                log.exception("relay: publishing failed; retrying")
                self.stopping.wait(1.0)
