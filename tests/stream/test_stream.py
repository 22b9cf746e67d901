"""The event stream against the real NATS JetStream: outbox, relay crash, redelivery, dead letters, replay,
lag in health, backpressure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import make_account
from tests.stream.conftest import HEALTH_TOKEN

from pinhaven.app import create_app
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery.graph_store import GraphStore
from pinhaven.events.models import PinStats
from pinhaven.stream import subjects
from pinhaven.stream.archive import read_archive
from pinhaven.stream.bus import Bus
from pinhaven.stream.consumer import ConsumerRunner, Event
from pinhaven.stream.consumers import ArchiveConsumer, CountersConsumer
from pinhaven.stream.graph_feed import replay_graph
from pinhaven.stream.models import OutboxEvent
from pinhaven.stream.relay import Relay

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def outbox(ctx: AppContext) -> list[OutboxEvent]:
    with ctx.sessions() as db:
        rows = list(db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        db.expunge_all()
    return rows


def stream_messages(bus: Bus) -> int:
    async def count() -> int:
        return int((await bus.jetstream.stream_info(bus.stream)).state.messages)

    return bus.call(count())


def api(sctx: AppContext) -> TestClient:
    """A client without the app's lifespan: the test drives the relay and consumers itself."""
    return _NoLifespan(create_app(ctx=sctx), raise_server_exceptions=False)


class _NoLifespan(TestClient):
    def __enter__(self) -> TestClient:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


def events_body(pin_id: int, kinds: Sequence[str]) -> dict[str, Any]:
    return {
        "events": [
            {"type": k, "pin_id": str(pin_id), "surface": "home", "position": i} for i, k in enumerate(kinds)
        ]
    }


def test_outbox_rows_commit_with_the_change_and_never_without_it(sctx: AppContext) -> None:
    world = World(sctx)
    alice = make_account(sctx, "alice")
    board = world.board(alice, "Open")
    pin = world.pin(alice, board)
    rows = outbox(sctx)
    assert [r.type for r in rows] == ["board.created", "pin.created"]
    assert rows[1].key == str(pin) and rows[1].payload["board_id"] == str(board)
    assert all(r.sent_at is None for r in rows)
    with pytest.raises(RuntimeError), session_scope(sctx.sessions) as db:
        from pinhaven.boards import service as boards_service

        boards_service.create(db=db, owner_id=alice.user.id, name="Rolled back", privacy="PUBLIC")
        raise RuntimeError("the request failed after the write")
    assert len(outbox(sctx)) == 2  # rolled-back work wrote no event


def test_without_a_bus_no_outbox_row_is_written(ctx: AppContext) -> None:
    world = World(ctx)
    alice = make_account(ctx, "alice")
    world.pin(alice, world.board(alice, "Open"))
    assert outbox(ctx) == []


def test_relay_crash_between_commit_and_publish_loses_nothing(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice = make_account(sctx, "alice")
    board = world.board(alice, "Open")
    for i in range(20):
        world.pin(alice, board, f"pin {i}")
    # First relay: publishes a batch and dies before marking it sent (crash after publish) ...
    first = Relay(sctx.sessions, bus)
    first.publish(first.unsent(limit=8))
    # ... and never got to the rest (crash between commit and publish). A new relay takes over.
    second = Relay(sctx.sessions, bus)
    assert second.drain() == 21
    assert all(r.sent_at is not None for r in outbox(sctx))
    assert stream_messages(bus) == 21  # the re-published 8 were dropped as duplicates by Nats-Msg-Id


def test_relay_thread_holds_the_lease_alone(sctx: AppContext, bus: Bus) -> None:
    from pinhaven.stream import lease

    assert lease.acquire(sctx.sessions, name="relay", holder="host-a", seconds=30)
    assert not lease.acquire(sctx.sessions, name="relay", holder="host-b", seconds=30)
    assert lease.acquire(sctx.sessions, name="relay", holder="host-a", seconds=30)  # renewal
    lease.release(sctx.sessions, name="relay", holder="host-a")
    assert lease.acquire(sctx.sessions, name="relay", holder="host-b", seconds=30)


def test_counters_consumer_counts_a_redelivered_event_once(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    pin = world.pin(alice, world.board(alice, "Open"))
    with api(sctx) as client:
        response = client.post(
            "/ext/v1/events", json=events_body(pin, ["closeup", "click"]), headers=bob.headers
        )
        assert response.json()["accepted"] == 2
    with sctx.sessions() as db:  # with the bus on, the request only logs: the consumer counts
        assert db.get(PinStats, pin) is None
    Relay(sctx.sessions, bus).drain()
    runner = ConsumerRunner(sctx, bus, CountersConsumer())
    assert runner.run_once() == 2
    # The same event published again (a relay past JetStream's duplicate window) is delivered again...
    row = next(r for r in outbox(sctx) if r.type == "engagement.closeup")
    from pinhaven.stream.relay import encode

    bus.call(bus.jetstream.publish(subjects.event_subject(bus.instance, row.type), encode(row)))
    assert runner.run_once() == 0  # ... and counted once
    with sctx.sessions() as db:
        stats = db.get(PinStats, pin)
        assert stats is not None and (stats.closeups, stats.outbound_clicks) == (1, 1)


class FlakyConsumer:
    """Fails on its first `failures` attempts at every event."""

    name = "flaky"
    filter = "engagement.>"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: dict[int, int] = {}
        self.applied: list[int] = []

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        for event in events:
            self.attempts[event.id] = self.attempts.get(event.id, 0) + 1
            if self.attempts[event.id] <= self.failures:
                raise ValueError(f"cannot apply {event.id} yet")
        self.applied += [e.id for e in events]


def _engagement(sctx: AppContext, bus: Bus, kinds: Sequence[str]) -> int:
    world = World(sctx)
    alice = make_account(sctx, "alice")
    pin = world.pin(alice, world.board(alice, "Open"))
    with api(sctx) as client:
        client.post("/ext/v1/events", json=events_body(pin, kinds), headers=alice.headers)
    Relay(sctx.sessions, bus).drain()
    return pin


def _run_until(runner: ConsumerRunner, done: Any, rounds: int = 20) -> None:
    for _ in range(rounds):
        runner.run_once(timeout=0.5)
        if done():
            return


def test_a_failed_event_is_redelivered_and_applied_once(sctx: AppContext, bus: Bus) -> None:
    _engagement(sctx, bus, ["closeup"])
    consumer = FlakyConsumer(failures=1)
    runner = ConsumerRunner(sctx, bus, consumer, max_deliver=3, backoff=0.05)
    _run_until(runner, lambda: consumer.applied)
    assert len(consumer.applied) == 1 and runner.dead == 0
    assert list(consumer.attempts.values()) == [2]  # nak'd once, redelivered, applied


def test_an_event_failing_max_deliver_times_goes_to_the_dead_letter_subject(
    sctx: AppContext, bus: Bus
) -> None:
    _engagement(sctx, bus, ["click"])
    consumer = FlakyConsumer(failures=99)
    runner = ConsumerRunner(sctx, bus, consumer, max_deliver=3, backoff=0.05)
    _run_until(runner, lambda: runner.dead)
    assert runner.dead == 1 and consumer.applied == []

    async def dead_letter() -> Any:
        sub = await bus.jetstream.subscribe(
            subjects.dlq_subject(bus.instance, "flaky"),
            stream=subjects.dlq_stream(bus.instance),
            ordered_consumer=True,
        )
        msg = await sub.next_msg(timeout=5)
        await sub.unsubscribe()
        return msg

    msg = bus.call(dead_letter())
    assert json.loads(msg.data)["type"] == "engagement.click"
    assert "cannot apply" in msg.headers["Pinhaven-Error"]
    assert runner.run_once(timeout=0.3) == 0  # terminated: not delivered again


def test_archive_consumer_writes_parquet_partitioned_by_day(sctx: AppContext, bus: Bus) -> None:
    pin = _engagement(sctx, bus, ["impression", "closeup", "click"])
    runner = ConsumerRunner(sctx, bus, ArchiveConsumer())
    assert runner.run_once() == 3
    folder = sctx.settings.event_archive_dir
    assert folder is not None
    files = list(folder.glob("events/date=*/part-*.parquet"))
    assert len(files) == 1
    table = read_archive(folder)
    assert sorted(table.column("type").to_pylist()) == ["click", "closeup", "impression"]
    assert set(table.column("pin_id").to_pylist()) == {pin}


def test_replaying_the_stream_rebuilds_the_graph_to_the_same_edges(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    open_board, other = world.board(alice, "Open"), world.board(bob, "Bob's")
    secret = world.board(alice, "Mine", secret=True)
    pins = [world.pin(alice, open_board, f"p{i}") for i in range(6)]
    world.pin(alice, secret, "hidden")
    world.save(bob, pins[0], other)
    going_secret = world.pin(bob, other, "soon secret")
    from pinhaven.accounts.scopes import session_viewer
    from pinhaven.boards import service as boards_service
    from pinhaven.pins import service as pins_service

    with session_scope(sctx.sessions) as db:
        pins_service.delete_pin(db=db, viewer=session_viewer(alice.user.id), pin_id=pins[5])
    late = world.board(bob, "Later")
    world.pin(bob, late, "on a board made secret")
    with session_scope(sctx.sessions) as db:
        boards_service.update(db=db, viewer=session_viewer(bob.user.id), board_id=late, privacy="SECRET")
    Relay(sctx.sessions, bus).drain()

    from_database = GraphStore(sctx.read_sessions)
    from_database.build()
    replayed = replay_graph(sctx, bus)

    def edges(store: GraphStore) -> set[tuple[int, int]]:
        p, b = store.graph.edges()
        return set(zip(p.tolist(), b.tolist(), strict=True))

    assert edges(replayed) == edges(from_database)
    assert (going_secret, other) in edges(replayed) and len(edges(replayed)) == 8


def test_health_reports_outbox_backlog_and_lag_per_consumer(sctx: AppContext, bus: Bus) -> None:
    _engagement(sctx, bus, ["closeup", "click"])
    runner = ConsumerRunner(sctx, bus, CountersConsumer())
    runner.subscribe()  # the durable exists, nothing consumed yet
    with api(sctx) as client:
        body = client.get("/ext/v1/health", headers={"x-health-token": HEALTH_TOKEN}).json()
    stream = body["stream"]
    assert stream["bus"] == "ok" and stream["outbox_backlog"] == 0
    assert stream["consumers"]["counters"]["pending"] == 2
    assert stream["consumers"]["archive"] is None  # not created on this instance yet
    assert stream["consumers"]["trending"] is None


def test_writes_get_503_with_retry_after_under_backpressure_and_reads_keep_working(
    sctx: AppContext, bus: Bus
) -> None:
    from dataclasses import replace

    world = World(sctx)
    alice = make_account(sctx, "alice")
    board = world.board(alice, "Open")
    for i in range(3):
        world.pin(alice, board, f"p{i}")  # 4 unsent outbox rows: the relay is not running
    sctx.settings = replace(sctx.settings, backpressure_outbox_backlog=2, backpressure_retry_after_seconds=7)
    with api(sctx) as client:
        refused = client.post("/v5/boards", json={"name": "New"}, headers=alice.headers)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "7"
        assert refused.json()["code"] == 503 and "catching up" in refused.json()["message"]
        assert client.get(f"/v5/boards/{board}/pins", headers=alice.headers).status_code == 200
        health = client.get("/ext/v1/health", headers={"x-health-token": HEALTH_TOKEN}).json()
        assert health["stream"]["outbox_backlog"] == 4
    with sctx.sessions() as db:
        assert (
            db.scalar(select(func.count()).select_from(OutboxEvent)) == 4
        )  # the refused write wrote nothing
