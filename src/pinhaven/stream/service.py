"""The stream's place in a process: one bus, the relay, the durable consumers and the graph feed.

`pinhaven worker` and a `serve` that runs worker threads start the relay (one active across hosts, by
lease) and the durable consumers (work split across processes by JetStream). Every process that serves
discovery follows graph changes with its own ordered consumer (graph_feed.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pinhaven.context import AppContext

__all__ = ["SERVICE_KEY", "StreamRuntime", "consumer_lag", "start", "status", "stop", "stream_runtime"]

log = logging.getLogger("pinhaven.stream")
SERVICE_KEY = "stream.runtime"
_lock = threading.Lock()


@dataclass
class StreamRuntime:
    bus: Any
    relay: Any = None
    runners: list[Any] = field(default_factory=list)
    graph_feed: Any = None


def open_bus_for(ctx: AppContext) -> Any:
    from pinhaven.stream.bus import open_bus

    s = ctx.settings
    return open_bus(
        s.event_bus_url,
        s.event_stream_instance,
        max_age_hours=s.event_stream_max_age_hours,
        max_bytes=s.event_stream_max_bytes,
    )


def stream_runtime(ctx: AppContext) -> StreamRuntime | None:
    """This process's bus (connected on first use), or None when the instance has no event bus."""
    if not ctx.settings.event_bus_url:
        return None
    runtime: StreamRuntime | None = ctx.services.get(SERVICE_KEY)
    if runtime is None:
        with _lock:
            runtime = ctx.services.get(SERVICE_KEY)
            if runtime is None:
                runtime = StreamRuntime(bus=open_bus_for(ctx))
                ctx.services[SERVICE_KEY] = runtime
    return runtime


def start(ctx: AppContext, *, relay: bool, consumers: bool, graph: bool = True) -> StreamRuntime | None:
    """Start what this process runs; a NATS outage at start-up is logged and retried in the background."""
    if not ctx.settings.event_bus_url:
        return None
    try:
        runtime = stream_runtime(ctx)
    except Exception:
        log.exception("event bus unavailable at start-up; writes keep filling the outbox; retrying in 5 s")
        timer = threading.Timer(
            5.0, start, args=(ctx,), kwargs={"relay": relay, "consumers": consumers, "graph": graph}
        )
        timer.daemon = True
        timer.start()
        return None
    assert runtime is not None
    if relay and runtime.relay is None:
        from pinhaven.stream.relay import Relay

        runtime.relay = Relay(ctx.sessions, runtime.bus)
        runtime.relay.start()
    if consumers and not runtime.runners:
        from pinhaven.stream.consumer import ConsumerRunner
        from pinhaven.stream.consumers import durable_consumers

        for consumer in durable_consumers():
            runner = ConsumerRunner(
                ctx, runtime.bus, consumer, max_deliver=ctx.settings.event_consumer_max_deliver
            )
            runner.start()
            runtime.runners.append(runner)
    if graph and runtime.graph_feed is None:
        from pinhaven.stream.graph_feed import GraphFeed

        runtime.graph_feed = GraphFeed(ctx, runtime.bus)
        runtime.graph_feed.start()
    return runtime


def stop(ctx: AppContext) -> None:
    runtime: StreamRuntime | None = ctx.services.pop(SERVICE_KEY, None)
    if runtime is None:
        return
    if runtime.graph_feed is not None:
        runtime.graph_feed.stop()
    for runner in runtime.runners:
        runner.stop()
    if runtime.relay is not None:
        runtime.relay.stop()
    runtime.bus.close()


def consumer_lag(bus: Any, name: str) -> dict[str, int] | None:
    """Events the durable has not been delivered (pending) and delivered but not acknowledged."""
    from nats.js.errors import NotFoundError

    async def info() -> Any:
        return await bus.jetstream.consumer_info(bus.stream, name)

    try:
        data = bus.call(info(), timeout=5.0)
    except NotFoundError:
        return None
    return {
        "pending": int(data.num_pending or 0),
        "ack_pending": int(data.num_ack_pending or 0),
        "redelivered": int(data.num_redelivered or 0),
    }


STATUS_KEY = "stream.status"  # in ctx.services: (monotonic time, status)
STATUS_TTL_SECONDS = 1.0


def status(ctx: AppContext, *, max_age: float = 0.0) -> dict[str, Any] | None:
    """Outbox backlog and lag per consumer (cached for `max_age` seconds: health and backpressure ask often)."""
    if not ctx.settings.event_bus_url:
        return None
    cached = ctx.services.get(STATUS_KEY)
    if cached is not None and time.monotonic() - cached[0] < max_age:
        return cached[1]
    from pinhaven.stream.consumers import durable_consumers
    from pinhaven.stream.relay import outbox_backlog

    backlog, oldest = outbox_backlog(ctx.read_sessions)
    result: dict[str, Any] = {
        "outbox_backlog": backlog,
        "outbox_oldest_seconds": round(oldest, 3),
        "bus": "ok",
        "consumers": {},
    }
    try:
        runtime = stream_runtime(ctx)
        assert runtime is not None
        for consumer in durable_consumers():
            result["consumers"][consumer.name] = consumer_lag(runtime.bus, consumer.name)
    except Exception as exc:
        log.warning("stream status: bus unavailable: %s", exc)
        result["bus"] = "unavailable"
    ctx.services[STATUS_KEY] = (time.monotonic(), result)
    return result
