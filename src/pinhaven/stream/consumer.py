"""Durable pull consumers: explicit ack, redelivery with back-off, dead letters after N deliveries.

Each consumer (counters, indexer, archive) is a JetStream durable named after it, shared by every process
that runs consumers, so the instance's work is split among them. A batch is applied in one database
transaction together with `stream_applied` rows, and acknowledged only after that commit: a message
delivered twice (redelivery, a relay that re-published) is applied once. When a batch fails, its messages
are retried one by one; a message that fails `max_deliver` times is copied to
`pinhaven-dlq.<instance>.<consumer>` (with the error in a header) and terminated.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import nats.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.stream import subjects
from pinhaven.stream.bus import Bus
from pinhaven.stream.models import StreamApplied

__all__ = ["ConsumerRunner", "Event", "EventConsumer", "decode"]

log = logging.getLogger("pinhaven.stream")

FETCH_BATCH = 200
ACK_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    key: str
    at: datetime
    payload: dict[str, Any]


def decode(data: bytes) -> Event:
    body = json.loads(data)
    return Event(
        id=int(body["id"]),
        type=str(body["type"]),
        key=str(body["key"]),
        at=datetime.fromisoformat(body["at"]),
        payload=dict(body.get("payload") or {}),
    )


class EventConsumer(Protocol):
    """What a consumer provides: its name, the event types it reads (a subject pattern) and `apply`."""

    name: str
    filter: str  # e.g. "engagement.>" or ">" (relative to pinhaven.<instance>.)

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        """Apply events not applied before (the runner filters duplicates), inside `db`'s transaction."""


class ConsumerRunner:
    """Pulls one durable consumer's messages and applies them; `run` loops in a thread."""

    def __init__(
        self,
        ctx: AppContext,
        bus: Bus,
        consumer: EventConsumer,
        *,
        max_deliver: int = 5,
        backoff: float = 1.0,
    ) -> None:
        self.ctx = ctx
        self.bus = bus
        self.consumer = consumer
        self.max_deliver = max_deliver
        self.backoff = backoff
        self.stopping = threading.Event()
        self.applied = 0
        self.dead = 0
        self._sub: Any = None
        self._thread: threading.Thread | None = None

    @property
    def durable(self) -> str:
        return self.consumer.name

    def config(self, deliver_policy: DeliverPolicy = DeliverPolicy.ALL) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=deliver_policy,
            max_deliver=self.max_deliver,
            ack_wait=ACK_WAIT_SECONDS,
            filter_subject=subjects.event_subject(self.bus.instance, self.consumer.filter),
            max_ack_pending=10_000,
        )

    def subscribe(self) -> None:
        async def sub() -> Any:
            return await self.bus.jetstream.pull_subscribe(
                subjects.event_subject(self.bus.instance, self.consumer.filter),
                durable=self.durable,
                stream=self.bus.stream,
                config=self.config(),
            )

        self._sub = self.bus.call(sub())

    def fetch(self, batch: int = FETCH_BATCH, timeout: float = 1.0) -> list[Msg]:
        if self._sub is None:
            self.subscribe()

        async def pull() -> list[Msg]:
            try:
                return list(await self._sub.fetch(batch=batch, timeout=timeout))
            except (TimeoutError, nats.errors.TimeoutError):  # nats-py raises either when idle
                return []

        return self.bus.call(pull(), timeout=timeout + 10)

    def process(self, msgs: list[Msg]) -> int:
        """Apply and acknowledge a fetched batch; the number of events applied (duplicates excluded)."""
        if not msgs:
            return 0
        try:
            applied = self._apply(msgs)
        except Exception:
            log.warning(
                "consumer %s: batch of %d failed; retrying one by one", self.durable, len(msgs), exc_info=True
            )
            return sum(self._process_one(msg) for msg in msgs)
        self.bus.call(_ack_all(msgs))
        return applied

    def _process_one(self, msg: Msg) -> int:
        try:
            applied = self._apply([msg])
        except Exception as exc:
            delivered = msg.metadata.num_delivered
            if delivered >= self.max_deliver:
                self._dead_letter(msg, exc)
            else:
                self.bus.call(msg.nak(delay=self.backoff * delivered))
            return 0
        self.bus.call(msg.ack())
        return applied

    def _apply(self, msgs: list[Msg]) -> int:
        events: dict[int, Event] = {}
        for msg in msgs:
            event = decode(msg.data)
            events.setdefault(event.id, event)
        with session_scope(self.ctx.sessions) as db:
            seen = set(
                db.scalars(
                    select(StreamApplied.event_id).where(
                        StreamApplied.consumer == self.durable, StreamApplied.event_id.in_(list(events))
                    )
                )
            )
            fresh = [e for i, e in sorted(events.items()) if i not in seen]
            if fresh:
                self.consumer.apply(self.ctx, db, fresh)
                db.execute(
                    insert(StreamApplied), [{"consumer": self.durable, "event_id": e.id} for e in fresh]
                )
        self.applied += len(fresh)
        return len(fresh)

    def _dead_letter(self, msg: Msg, exc: Exception) -> None:
        headers = {
            "Pinhaven-Error": f"{type(exc).__name__}: {exc}"[:500],
            "Pinhaven-Subject": msg.subject,
            "Nats-Msg-Id": f"{self.durable}:{msg.headers.get('Nats-Msg-Id', '') if msg.headers else ''}",
        }

        async def move() -> None:
            await self.bus.jetstream.publish(
                subjects.dlq_subject(self.bus.instance, self.durable), msg.data, headers=headers
            )
            await msg.term()

        self.bus.call(move())
        self.dead += 1
        log.error(
            "consumer %s: event moved to the dead-letter subject after %d deliveries: %s",
            self.durable,
            msg.metadata.num_delivered,
            exc,
        )

    def run_once(self, timeout: float = 1.0) -> int:
        return self.process(self.fetch(timeout=timeout))

    def reset(self) -> None:
        """Delete the durable so the next subscribe starts from the beginning of retention (replay)."""

        async def drop() -> None:
            try:
                await self.bus.jetstream.delete_consumer(self.bus.stream, self.durable)
            except NotFoundError:
                pass

        self._sub = None
        self.bus.call(drop())

    # ---- the thread --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"consumer-{self.durable}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("consumer %s failed; retrying", self.durable)
                self._sub = None
                self.stopping.wait(1.0)


async def _ack_all(msgs: list[Msg]) -> None:
    for msg in msgs:
        await msg.ack()
