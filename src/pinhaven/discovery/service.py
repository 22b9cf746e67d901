"""Discovery's process wiring: the graph store in `ctx.services`, start-up work, upkeep, extension points.

    start(ctx)  → a background thread builds the graph from the database, compiles the walk kernel
                  (warm_up, so no request pays the Numba JIT), then refreshes the graph from the change log
                  every `REFRESH_SECONDS` and sweeps old change-log rows and feed sessions hourly.
    graph_store(ctx) → the process's GraphStore (built on first use when start() was not called: CLI, tests).

Extension point for visual neighbours: a visual-search service that wants related pins and the home feed
to use image similarity registers an object under `VISUAL_SERVICE_KEY` in `ctx.services` implementing
`VisualNeighbours` (below). search.visual.service does so when it is created; start() creates it in the
background when images have embeddings. Without it, related pins and SSD simply skip that signal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.discovery.graph_store import GraphStore
from pinhaven.discovery.models import FeedSession, GraphChange

__all__ = [
    "GRAPH_SERVICE_KEY",
    "VISUAL_SERVICE_KEY",
    "VisualNeighbours",
    "graph_store",
    "start",
    "stop",
    "sweep",
    "visual_neighbours",
]

log = logging.getLogger("pinhaven.discovery")

GRAPH_SERVICE_KEY = "discovery.graph_store"
VISUAL_SERVICE_KEY = "discovery.visual"
_THREAD_KEY = "discovery.refresher"
REFRESH_SECONDS = 1.0
SWEEP_SECONDS = 3600.0
KEEP_CHANGES = timedelta(days=1)  # a process down longer than this rebuilds its graph anyway
KEEP_FEED_SESSIONS = timedelta(days=2)
_create_lock = threading.Lock()


@runtime_checkable
class VisualNeighbours(Protocol):
    """What discovery needs from visual search (ids only; discovery applies the privacy filter itself)."""

    def similar_pins(self, pin_id: int, k: int) -> list[tuple[int, float]]:
        """Up to k (pin_id, cosine similarity) pairs most similar to the pin's image, best first."""
        ...

    def embeddings(self, pin_ids: Sequence[int]) -> dict[int, npt.NDArray[np.float32]]:
        """Unit-length image embeddings of the pins that have one."""
        ...


def visual_neighbours(ctx: AppContext) -> VisualNeighbours | None:
    """The registered visual service, if any."""
    service = ctx.services.get(VISUAL_SERVICE_KEY)
    return service if isinstance(service, VisualNeighbours) else None


def graph_store(ctx: AppContext) -> GraphStore:
    """The process's graph store (created on first use; its graph is built on first read)."""
    store: GraphStore | None = ctx.services.get(GRAPH_SERVICE_KEY)
    if store is None:
        with _create_lock:
            store = ctx.services.get(GRAPH_SERVICE_KEY)
            if store is None:
                store = GraphStore(ctx.read_sessions)
                ctx.services[GRAPH_SERVICE_KEY] = store
    return store


class _Refresher(threading.Thread):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(name="discovery-refresher", daemon=True)
        self.ctx = ctx
        self.stopping = threading.Event()

    def run(self) -> None:
        from pinhaven.discovery.walks import warm_up

        store = graph_store(self.ctx)
        try:
            store.refresh()  # the first build
            warm_up()
            from pinhaven.discovery.feed import prime

            prime(self.ctx)  # the shared candidate sources, so the first feed request does not compute them
            _start_visual(self.ctx)
            _freeze_startup_objects()
        except Exception:  # the request path builds on first use; keep the thread alive
            log.exception("discovery start-up failed")
        last_sweep = time.monotonic()
        while not self.stopping.wait(REFRESH_SECONDS):
            try:
                store.refresh()
                if time.monotonic() - last_sweep > SWEEP_SECONDS:
                    sweep(self.ctx)
                    last_sweep = time.monotonic()
            except Exception:
                log.exception("discovery graph refresh failed; retrying")


def _freeze_startup_objects() -> None:
    """Once per process: keep start-up objects (modules, compiled kernels, caches) out of the cyclic GC's
    scans, whose full passes otherwise cost 150+ ms on a request now and then (measured in
    bench/feed_service.py). Only the first start freezes, so repeated starts (tests) pin nothing more."""
    from pinhaven.gcstats import freeze_long_lived

    freeze_long_lived("discovery start-up")  # (the text model, loaded later, freezes again: gcstats)


def _start_visual(ctx: AppContext) -> None:
    """Load the visual index off the request path when images were embedded (it registers itself)."""
    try:
        from pinhaven.search.visual.models import ImageEmbedding
        from pinhaven.search.visual.service import visual_service
    except ImportError:  # visual search not installed: related pins and the feed skip that signal
        return
    with ctx.read_sessions() as db:
        if db.scalar(select(ImageEmbedding.image_id).limit(1)) is None:
            return
    visual_service(ctx)


def start(ctx: AppContext) -> None:
    """Build the graph and warm the walk kernel in the background; keep the graph current."""
    if _THREAD_KEY in ctx.services:
        return
    thread = _Refresher(ctx)
    ctx.services[_THREAD_KEY] = thread
    thread.start()


def stop(ctx: AppContext, timeout: float = 5.0) -> None:
    """Stop the refresher thread (a build in progress finishes in the background: the thread is a daemon)."""
    thread: _Refresher | None = ctx.services.pop(_THREAD_KEY, None)
    if thread is not None:
        thread.stopping.set()
        thread.join(timeout)


def sweep(ctx: AppContext) -> None:
    """Delete change-log rows every process has applied and feed sessions nobody scrolls any more."""
    now = utcnow()
    with session_scope(ctx.sessions) as db:
        db.execute(delete(GraphChange).where(GraphChange.id < new_id(now - KEEP_CHANGES)))
        db.execute(delete(FeedSession).where(FeedSession.id < new_id(now - KEEP_FEED_SESSIONS)))
