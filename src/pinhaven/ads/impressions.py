"""Free impressions (cost-per-click ads) are written by a background thread in batches.

An impression of a cost-per-click ad costs nothing, so nothing about money waits for it: the feed, search or
related page that served it returns without a write transaction of its own, and this process's writer inserts
the queued impressions a few at a time (idempotent event ids, like every ad event). Impressions that cost
money (impression-billed ads) are still recorded and charged before the ad is shown (`billing`).
If the process dies, queued impressions (at most a fraction of a second's) are lost: the frequency cap and the
report may miss them; no spend does.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from pinhaven.ads.billing import AdRef, record_impression
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope

log = logging.getLogger("pinhaven.ads")
_KEY = "ads.impression_writer"
_BATCH = 200


class ImpressionWriter:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="ads-impressions", daemon=True)
        self.thread.start()

    def put(self, **values: Any) -> None:
        self.queue.put(values)

    def flush(self) -> None:
        """Wait until every queued impression is written (tests, shutdown)."""
        self.queue.join()

    def _run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with session_scope(self.ctx.sessions) as db:
                    for values in batch:
                        record_impression(db, cost_micro=0, **values)
            except Exception:  # the database is away: these impressions are lost, serving goes on
                log.exception("could not record %d ad impressions", len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()


def writer_of(ctx: AppContext) -> ImpressionWriter:
    writer: ImpressionWriter | None = ctx.services.get(_KEY)
    if writer is None:
        writer = ctx.services.setdefault(_KEY, ImpressionWriter(ctx))
    return writer


def queue_impression(
    ctx: AppContext,
    *,
    event_id: str,
    ref: AdRef,
    user_id: int | None,
    surface: str,
    pctr: float,
    relevance: float,
) -> None:
    writer_of(ctx).put(
        event_id=event_id, ref=ref, user_id=user_id, surface=surface, pctr=pctr, relevance=relevance
    )


def flush(ctx: AppContext) -> None:
    writer: ImpressionWriter | None = ctx.services.get(_KEY)
    if writer is not None:
        writer.flush()
