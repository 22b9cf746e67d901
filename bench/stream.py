"""Event stream figures: relay throughput (events/s) and commit → consumer latency p50/p99.

Usage: python bench/stream.py [--events 5000] [--database-url URL]
(needs NATS JetStream at 127.0.0.1:4222; SQLite in a temp dir unless --database-url names an empty, migrated
database). Also the outbox's cost on a small write transaction (the per-key lock and the row).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.engine import session_scope
from pinhaven.stream import service
from pinhaven.stream.consumer import ConsumerRunner
from pinhaven.stream.outbox import emit
from pinhaven.stream.relay import Relay


class Latency:
    name = "bench"
    filter = "bench.one"  # the latency probes only, not the bulk batch

    def __init__(self) -> None:
        self.ms: list[float] = []

    def apply(self, ctx, db, events) -> None:  # type: ignore[no-untyped-def]
        now = time.time()
        self.ms += [(now - e.payload["t"]) * 1000 for e in events]


def write_cost(ctx) -> None:  # type: ignore[no-untyped-def]
    """Median commit of a one-row write transaction, bare vs also emitting one event (new key / same key)."""
    from pinhaven.db.base import utcnow
    from pinhaven.stream.models import StreamLease

    def commit_ms(emit_key) -> float:  # type: ignore[no-untyped-def]
        samples = []
        for i in range(300):
            started = time.perf_counter()
            with session_scope(ctx.sessions) as db:
                db.add(StreamLease(name=f"bench-{uuid.uuid4().hex}", holder="bench", expires_at=utcnow()))
                if emit_key is not None:
                    emit(db=db, type="bench.cost", key=emit_key(i), payload={"i": i})
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    bare = commit_ms(None)
    fresh = commit_ms(lambda i: f"cost-{uuid.uuid4().hex}")
    same = commit_ms(lambda i: "cost-hot-key")
    print(f"write transaction: bare {bare:.2f} ms, +1 event new key {fresh:.2f} ms, same key {same:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={},
            data_dir=Path(tmp),
            event_bus_url="nats://127.0.0.1:4222",
            event_stream_instance=f"bench{uuid.uuid4().hex[:6]}",
            worker_threads=0,
            **({"database_url": args.database_url} if args.database_url else {}),
        )
        ctx = build_context(settings)
        runtime = service.stream_runtime(ctx)
        assert runtime is not None
        try:
            with session_scope(ctx.sessions) as db:
                for i in range(args.events):
                    emit(db=db, type="bench.bulk", key=i, payload={"t": time.time()})
            relay = Relay(ctx.sessions, runtime.bus)
            started = time.perf_counter()
            relay.drain(timeout=600)
            seconds = time.perf_counter() - started
            print(f"relay: {args.events} events in {seconds:.2f}s = {args.events / seconds:,.0f} events/s")
            consumer = Latency()
            runner = ConsumerRunner(ctx, runtime.bus, consumer)
            relay.start()
            runner.start()
            consumer.ms.clear()
            for i in range(200):
                with session_scope(ctx.sessions) as db:
                    emit(db=db, type="bench.one", key=i, payload={"t": time.time()})
                time.sleep(0.01)
            time.sleep(2)
            late = consumer.ms
            q = statistics.quantiles(late, n=100)
            print(f"commit -> consumer: n={len(late)} p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms")
            runner.stop()
            relay.stop()
            write_cost(ctx)
        finally:
            runtime.bus.delete_streams()
            service.stop(ctx)
            ctx.engine.dispose()


if __name__ == "__main__":
    main()
