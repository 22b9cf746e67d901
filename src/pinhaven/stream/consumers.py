"""The durable consumers and which path is authoritative when the bus is on.

* counters: engagement events → per-pin lifetime and daily counters (`pin_stats`, `pin_stats_daily`).
  With the bus on, the request only logs the event (and its outbox row); this consumer is the one writer of
  engagement counters, so no event is counted by both paths. The daily rows are the trending windows: the
  trending source reads them (time-decayed over the last days).
* indexer: pin and board changes → the pin's text search document (and a `search.embed_pin` job when its
  text changed). With the bus on, the write paths queue no `search.index_*` job; indexing is state-based
  (re-read from the database), so a replay or a duplicate costs work, never a wrong document.
* archive: engagement events → Parquet files, one per batch, `events/date=YYYY-MM-DD/part-<first>-<last>.parquet`.

The pin–board graph is not a durable consumer: every process needs every change, so each process follows
the stream with its own ordered consumer (graph_feed.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.stream.consumer import Event

__all__ = ["ArchiveConsumer", "CountersConsumer", "IndexerConsumer", "consumer_by_name", "durable_consumers"]


class CountersConsumer:
    name = "counters"
    filter = "engagement.>"

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        from pinhaven.events import counters
        from pinhaven.events.models import COUNTER_OF

        deltas: dict[tuple[int, date], dict[str, int]] = defaultdict(dict)
        for event in events:
            kind = event.type.removeprefix("engagement.")
            name = COUNTER_OF.get(kind)
            if name is None:
                continue
            at = event.payload.get("at")
            day = date.fromisoformat(str(at)[:10]) if at else event.at.date()
            bucket = deltas[(int(event.payload["pin_id"]), day)]
            bucket[name] = bucket.get(name, 0) + 1
        if deltas:
            counters.bump(db=db, deltas=deltas)


class IndexerConsumer:
    name = "indexer"
    filter = ">"

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        from pinhaven.jobs.service import enqueue
        from pinhaven.search.text import documents
        from pinhaven.search.text.handlers import _needs_embedding, semantic_enabled

        pins: set[int] = set()
        boards: set[int] = set()
        for event in events:
            if event.type in ("pin.created", "pin.updated"):
                pins.add(int(event.payload["pin_id"]))
            elif event.type == "board.updated":
                boards.add(int(event.payload["board_id"]))
        for board_id in boards:
            pins.update(documents.pin_ids_on_board(db=db, board_id=board_id))
        semantic = semantic_enabled(ctx)
        for pin_id in sorted(pins):  # the same work as the search.index_pin job, in this transaction
            document = documents.index_pin(db=db, pin_id=pin_id)
            if document is not None and semantic and _needs_embedding(db, document):
                enqueue(db=db, kind="search.embed_pin", payload={"pin_id": pin_id})


class ArchiveConsumer:
    name = "archive"
    filter = "engagement.>"

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        from pinhaven.stream.archive import write_events

        write_events(ctx, events)


def durable_consumers() -> list[CountersConsumer | IndexerConsumer | ArchiveConsumer]:
    return [CountersConsumer(), IndexerConsumer(), ArchiveConsumer()]


def consumer_by_name(name: str) -> CountersConsumer | IndexerConsumer | ArchiveConsumer:
    for consumer in durable_consumers():
        if consumer.name == name:
            return consumer
    raise KeyError(name)
