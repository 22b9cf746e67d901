"""A NATS connection usable from threads: one asyncio loop in a daemon thread, sync calls into it.

Pinhaven's services are synchronous (SQLAlchemy sessions, worker threads); nats-py is asyncio. Each process
opens one `Bus` and runs every coroutine on its loop with `call`, so the relay, the consumers and the graph
feed share one connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from pinhaven.stream import subjects

__all__ = ["Bus", "BusUnavailable"]

T = TypeVar("T")
CALL_TIMEOUT = 30.0


class BusUnavailable(RuntimeError):
    """The NATS server cannot be reached."""


class Bus:
    """One connection to NATS and JetStream for this process."""

    def __init__(
        self,
        url: str,
        instance: str,
        *,
        max_age_hours: float = 168.0,
        max_bytes: int = -1,
        duplicate_window_seconds: float = 120.0,
    ) -> None:
        self.url = url
        self.instance = instance
        self.stream = subjects.stream_name(instance)
        self.max_age_seconds = max_age_hours * 3600.0
        self.max_bytes = max_bytes
        self.duplicate_window_seconds = duplicate_window_seconds
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nats-loop", daemon=True)
        self._thread.start()
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
        """Run `coro` on the bus loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def connect(self) -> None:
        """Connect and make sure the stream and the dead-letter stream exist with the configured retention."""
        try:
            self.call(self._connect(), timeout=10.0)
        except Exception as exc:
            raise BusUnavailable(
                f"NATS at {self.url} is not reachable ({type(exc).__name__}: {exc})"
            ) from exc

    async def _connect(self) -> None:
        self.nc = await nats.connect(
            servers=[s.strip() for s in self.url.split(",")],
            connect_timeout=3,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
        )
        self.js = self.nc.jetstream()
        await self._ensure(
            self.stream, [subjects.stream_subjects(self.instance)], self.max_age_seconds, self.max_bytes
        )
        await self._ensure(
            subjects.dlq_stream(self.instance), [f"pinhaven-dlq.{self.instance}.>"], self.max_age_seconds, -1
        )

    async def _ensure(self, name: str, subject_list: list[str], max_age: float, max_bytes: int) -> None:
        assert self.js is not None
        config = StreamConfig(
            name=name,
            subjects=subject_list,
            retention=RetentionPolicy.LIMITS,  # consumers come and replay: keep events by age, not by ack
            storage=StorageType.FILE,
            max_age=max_age,
            max_bytes=max_bytes,
            duplicate_window=self.duplicate_window_seconds,
        )
        try:
            await self.js.stream_info(name)
        except NotFoundError:
            await self.js.add_stream(config=config)
        else:
            await self.js.update_stream(config=config)

    @property
    def jetstream(self) -> JetStreamContext:
        if self.js is None:
            raise BusUnavailable("not connected")
        return self.js

    def delete_streams(self) -> None:
        """Drop this instance's streams (tests, and `pinhaven stream reset`)."""

        async def drop() -> None:
            for name in (self.stream, subjects.dlq_stream(self.instance)):
                try:
                    await self.jetstream.delete_stream(name)
                except NotFoundError:
                    pass

        self.call(drop())

    def close(self) -> None:
        if self.nc is not None:
            nc, self.nc, self.js = self.nc, None, None
            try:
                self.call(nc.close(), timeout=5.0)
            except Exception:  # closing a broken connection: nothing left to do
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)
        if not self.loop.is_running():
            self.loop.close()


def open_bus(url: str, instance: str, *, max_age_hours: float = 168.0, max_bytes: int = -1) -> Bus:
    """A connected bus (BusUnavailable when NATS cannot be reached)."""
    bus = Bus(url, instance, max_age_hours=max_age_hours, max_bytes=max_bytes)
    try:
        bus.connect()
    except BusUnavailable:
        bus.close()
        raise
    return bus
