"""The durable consumers and which path is authoritative when the bus is on.

* counters: engagement events → per-pin lifetime and daily counters (`pin_stats`, `pin_stats_daily`).
  With the bus on, the request only logs the event (and its outbox row); this consumer is the one writer of
  engagement counters, so no event is counted by both paths. The daily rows are the trending windows: the
  trending source reads them (time-decayed over the last days).
* indexer: pin and board changes → the pin's text search document (and a `search.embed_pin` job when its
  text changed). With the bus on, the write paths queue no `search.index_*` job; indexing is state-based
  (re-read from the database), so a replay or a duplicate costs work, never a wrong document.
* archive: engagement events → Parquet files, one per batch, `events/date=YYYY-MM-DD/part-<first>-<last>.parquet`.
* trending: engagement events → hourly buckets per pin, the sliding 1 h / 24 h windows the home feed's
  trending source reads when the bus is on (stream/trending.py).

Each consumer's `reset` forgets its derived state (inside the replay's transaction, with its
`stream_applied` rows), so `pinhaven stream replay CONSUMER --from-start` rebuilds it from the first retained
event; `RESET_NEEDS_FULL_RETENTION` says whether that is only lossless while the stream still holds every
event ever published (lifetime counters, every pin's document, the whole archive) or needs just the recent
past (trending's windows).

The pin–board graph is not a durable consumer: every process needs every change, so each process follows
the stream with its own ordered consumer (graph_feed.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import delete
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.stream.consumer import Event
from pinhaven.stream.trending import TrendingConsumer

__all__ = [
    "ArchiveConsumer",
    "CountersConsumer",
    "DurableConsumer",
    "IndexerConsumer",
    "TrendingConsumer",
    "consumer_by_name",
    "durable_consumers",
]

# Whether rebuilding from nothing needs every event ever published still in the stream (see replay.py).
RESET_NEEDS_FULL_RETENTION = {"counters": True, "indexer": True, "archive": True, "trending": False}


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

    def reset(self, ctx: AppContext, db: Session) -> Callable[[], None] | None:
        """Zero every engagement counter (with the bus on this consumer is their only writer)."""
        from pinhaven.events.models import PinStats, PinStatsDaily

        db.execute(delete(PinStatsDaily))
        db.execute(delete(PinStats))
        return None


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
            elif event.type == "board.updated" and _touches_documents(event.payload):
                boards.add(int(event.payload["board_id"]))
        for board_id in boards:
            pins.update(documents.pin_ids_on_board(db=db, board_id=board_id))
        semantic = semantic_enabled(ctx)
        for pin_id in sorted(pins):  # the same work as the search.index_pin job, in this transaction
            document = documents.index_pin(db=db, pin_id=pin_id)
            if document is not None and semantic and _needs_embedding(db, document):
                enqueue(db=db, kind="search.embed_pin", payload={"pin_id": pin_id})

    def reset(self, ctx: AppContext, db: Session) -> Callable[[], None] | None:
        """Drop every text document (sentence vectors stay: re-indexing re-embeds only changed text)."""
        from pinhaven.search.text.models import SearchDocument

        db.execute(delete(SearchDocument))
        return None


def _touches_documents(payload: dict[str, object]) -> bool:
    """Whether a board edit changes its pins' documents (they hold its name and privacy, not its
    description); events written before `changes` existed are assumed to."""
    changes = payload.get("changes")
    return not isinstance(changes, list) or "name" in changes or "privacy" in changes


class ArchiveConsumer:
    name = "archive"
    filter = "engagement.>"

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        from pinhaven.stream.archive import write_events

        write_events(ctx, events)

    def reset(self, ctx: AppContext, db: Session) -> Callable[[], None] | None:
        """Files are no part of the transaction: they are deleted once the reset committed (a crash in
        between leaves files the replay writes again under other names; readers de-duplicate by id)."""
        from pinhaven.stream.archive import delete_archive

        def delete_files() -> None:
            delete_archive(ctx)

        return delete_files


DurableConsumer = CountersConsumer | IndexerConsumer | ArchiveConsumer | TrendingConsumer


def durable_consumers() -> list[DurableConsumer]:
    return [CountersConsumer(), IndexerConsumer(), ArchiveConsumer(), TrendingConsumer()]


def consumer_by_name(name: str) -> DurableConsumer:
    for consumer in durable_consumers():
        if consumer.name == name:
            return consumer
    raise KeyError(name)
