"""The live bell: after a transaction that created or read notifications commits, the people concerned are
told, and each open `/notifications/stream` (Server-Sent Events) of theirs recounts and pushes the number.

One `Hub` per process holds the open streams by user. Without a shared cache the hub is told directly
(one process serves everyone). With `PINHAVEN_CACHE_URL=redis://...` (several processes or hosts) the user
ids are published on a Redis pub/sub channel of the instance, and one subscriber thread per process hands
them to its hub, so a stream open on host B hears about a comment written on host A.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from pinhaven.cache import cache_for, cache_of
from pinhaven.context import AppContext

log = logging.getLogger("pinhaven.notifications")

_PENDING_KEY = "pinhaven.notifications.pending"
CHANNEL_SUFFIX = "notifications"


@dataclass(eq=False)
class Listener:
    user_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[float] = field(default_factory=lambda: asyncio.Queue(maxsize=1))


class Hub:
    """Open streams of this process, by user; `publish` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[int, set[Listener]] = {}
        self.delivered = 0

    def subscribe(self, user_id: int) -> Listener:
        listener = Listener(user_id=user_id, loop=asyncio.get_running_loop())
        with self._lock:
            self._listeners.setdefault(user_id, set()).add(listener)
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            group = self._listeners.get(listener.user_id)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self._listeners[listener.user_id]

    def listening(self, user_id: int) -> int:
        with self._lock:
            return len(self._listeners.get(user_id, ()))

    def publish(self, user_ids: Iterable[int]) -> None:
        stamp = time.time()
        with self._lock:
            targets = [lis for u in user_ids for lis in self._listeners.get(u, ())]
        for listener in targets:
            try:
                listener.loop.call_soon_threadsafe(_offer, listener.queue, stamp)
                self.delivered += 1
            except RuntimeError:  # its loop is closed: the stream is gone
                self.unsubscribe(listener)


def _offer(queue: asyncio.Queue[float], stamp: float) -> None:
    if queue.empty():  # one pending wake-up is enough: the stream recounts anyway
        queue.put_nowait(stamp)


HUB = Hub()


def after_commit(db: Session, user_id: int) -> None:
    """Tell `user_id`'s open streams once `db` commits (never about a rolled-back change)."""
    pending: set[int] = db.info.setdefault(_PENDING_KEY, set())
    pending.add(user_id)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: set[int] | None = session.info.pop(_PENDING_KEY, None)
    if pending:
        publish(session, pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _channel(prefix: str) -> str:
    return f"{prefix}{CHANNEL_SUFFIX}"


def publish(session: Session, user_ids: Iterable[int]) -> None:
    ids = sorted(set(user_ids))
    cache: Any = cache_for(session)
    client = getattr(cache, "client", None) if getattr(cache, "shared", False) else None
    if client is not None:
        try:
            client.publish(_channel(cache.prefix), json.dumps(ids))
            return
        except Exception as exc:  # Redis down: at least this process's streams hear it
            log.warning("notification fan-out through Redis failed: %s", exc)
    HUB.publish(ids)


# --- Redis fan-out: one subscriber thread per process and channel ----------------------------------------

_subscribers: dict[tuple[str, str], threading.Thread] = {}
_subscribers_lock = threading.Lock()


def ensure_fanout(ctx: AppContext) -> None:
    """Start this process's Redis subscriber when the instance shares a Redis cache (idempotent)."""
    cache: Any = cache_of(ctx)
    if not getattr(cache, "shared", False) or getattr(cache, "client", None) is None:
        return
    key = (cache.url, _channel(cache.prefix))
    with _subscribers_lock:
        thread = _subscribers.get(key)
        if thread is not None and thread.is_alive():
            return
        ready = threading.Event()
        thread = threading.Thread(
            target=_subscribe_forever,
            args=(cache.url, key[1], ready),
            name="notifications-fanout",
            daemon=True,
        )
        _subscribers[key] = thread
        thread.start()
    ready.wait(timeout=2.0)


def _subscribe_forever(url: str, channel: str, ready: threading.Event) -> None:
    import redis

    while True:
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2.0, health_check_interval=30)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
            ready.set()
            for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    ids = [int(u) for u in json.loads(message["data"])]
                except (ValueError, TypeError):
                    continue
                HUB.publish(ids)
        except Exception as exc:  # reconnect after Redis comes back
            ready.set()
            log.warning("notification fan-out subscriber lost Redis (%s); retrying in 1 s", exc)
            time.sleep(1.0)
