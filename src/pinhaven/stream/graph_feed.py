"""Each process's pin–board graph follows the stream (instead of polling `graph_changes`).

Every process needs every graph change, so this is not a shared durable: each process opens its own
ordered consumer (ephemeral, in-order, no acks, recreated by nats-py after a gap) starting at the newest
event, subscribed *before* the graph is built from the database so nothing falls between the two. Events
name pins and boards; the graph re-derives their links from the database (state-based), so an event
applied twice, late or out of order leaves the same edges. If the subscription cannot be opened the
store keeps polling the change log as without the bus.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from pinhaven.context import AppContext
from pinhaven.stream import subjects
from pinhaven.stream.consumer import decode

__all__ = ["GRAPH_TYPES", "GraphFeed", "graph_ids", "replay_graph"]

log = logging.getLogger("pinhaven.stream")
GRAPH_TYPES = frozenset({"pin.created", "pin.updated", "pin.deleted", "board.updated", "board.deleted"})
APPLY_SECONDS = 0.1


def graph_ids(event_type: str, payload: dict[str, Any]) -> tuple[set[int], set[int]]:
    """(pins, boards) whose links an event may change."""
    pins: set[int] = set()
    boards: set[int] = set()
    if event_type.startswith("pin."):
        pins.add(int(payload["pin_id"]))
        if payload.get("parent_pin_id"):
            pins.add(int(payload["parent_pin_id"]))
    elif event_type.startswith("board.") and payload.get("board_id"):
        changes = payload.get("changes")
        if event_type == "board.updated" and isinstance(changes, list) and "privacy" not in changes:
            return pins, boards  # renamed or described: the graph holds only which public boards pins are on
        boards.add(int(payload["board_id"]))
    return pins, boards


class GraphFeed:
    def __init__(self, ctx: AppContext, bus: Any) -> None:
        self.ctx = ctx
        self.bus = bus
        self.stopping = threading.Event()
        self._pins: set[int] = set()
        self._boards: set[int] = set()
        self._pending_lock = threading.Lock()
        self._sub: Any = None
        self._thread: threading.Thread | None = None
        self.applied_events = 0

    async def _on_message(self, msg: Msg) -> None:
        event = decode(msg.data)
        if event.type not in GRAPH_TYPES:
            return
        pins, boards = graph_ids(event.type, event.payload)
        with self._pending_lock:
            self._pins.update(pins)
            self._boards.update(boards)
            self.applied_events += 1

    def start(self) -> None:
        from pinhaven.discovery.service import graph_store

        async def subscribe() -> Any:
            return await self.bus.jetstream.subscribe(
                subjects.event_subject(self.bus.instance, ">"),
                stream=self.bus.stream,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
                cb=self._on_message,
            )

        try:
            self._sub = self.bus.call(subscribe(), timeout=10.0)
        except Exception:
            log.exception("graph feed: could not follow the stream; the graph keeps polling the change log")
            return
        graph_store(self.ctx).stream_fed = True
        self._thread = threading.Thread(target=self._run, name="graph-feed", daemon=True)
        self._thread.start()

    def drain(self) -> None:
        """Apply what arrived since the last call."""
        from pinhaven.discovery.service import graph_store

        with self._pending_lock:
            pins, boards = self._pins, self._boards
            self._pins, self._boards = set(), set()
        if not (pins or boards):
            return
        try:
            graph_store(self.ctx).apply_changes(pins, boards)
        except Exception:
            with self._pending_lock:  # retried on the next pass
                self._pins.update(pins)
                self._boards.update(boards)
            raise

    def _run(self) -> None:
        while not self.stopping.wait(APPLY_SECONDS):
            try:
                self.drain()
            except Exception:
                log.exception("graph feed: applying changes failed; retrying")

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(5.0)
        from pinhaven.discovery.service import GRAPH_SERVICE_KEY

        store = self.ctx.services.get(GRAPH_SERVICE_KEY)
        if store is not None:
            store.stream_fed = False
        if self._sub is not None:
            try:
                self.bus.call(self._sub.unsubscribe(), timeout=5.0)
            except Exception:
                pass


def replay_graph(ctx: AppContext, bus: Any) -> Any:
    """A pin–board graph rebuilt from the stream alone (every event still retained), not from a full scan:
    what a new process would hold after following the stream from its start. Returns the GraphStore."""
    from pinhaven.discovery.graph_store import GraphStore

    pins, boards = bus.call(_collect_all(bus), timeout=120.0)
    store = GraphStore(ctx.read_sessions)
    store._built.set()  # start from an empty graph: every edge below comes from a replayed event
    store.apply_changes(pins, boards)
    return store


async def _collect_all(bus: Any) -> tuple[set[int], set[int]]:
    js = bus.jetstream
    last = (await js.stream_info(bus.stream)).state.last_seq
    pins: set[int] = set()
    boards: set[int] = set()
    if not last:
        return pins, boards
    sub = await js.subscribe(
        subjects.event_subject(bus.instance, ">"),
        stream=bus.stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    try:
        while True:
            msg = await sub.next_msg(timeout=10.0)
            event = decode(msg.data)
            if event.type in GRAPH_TYPES:
                p, b = graph_ids(event.type, event.payload)
                pins |= p
                boards |= b
            if msg.metadata.sequence.stream >= last:
                break
    finally:
        await sub.unsubscribe()
    return pins, boards
