"""The trending consumer's windows, and `replay --from-start`: every consumer's state rebuilt from the events
alone (counters to the same values, the indexer's documents, the archive without duplicates)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, update
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import make_account

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.discovery import sources
from pinhaven.events.models import PinStats, PinStatsDaily
from pinhaven.search.text.models import SearchDocument
from pinhaven.stream import trending
from pinhaven.stream.archive import read_archive
from pinhaven.stream.bus import Bus
from pinhaven.stream.consumer import ConsumerRunner
from pinhaven.stream.consumers import consumer_by_name, durable_consumers
from pinhaven.stream.models import StreamApplied, TrendingHourly
from pinhaven.stream.relay import Relay
from pinhaven.stream.replay import ReplayRefused, replay

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def ev(kind: str, pin: int, position: int = 0, at: datetime | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "pin_id": str(pin), "surface": "home", "position": position}
    if at is not None:
        event["at"] = at.isoformat()
    return event


def _drain_all(sctx: AppContext, bus: Bus) -> None:
    Relay(sctx.sessions, bus).drain()
    for consumer in durable_consumers():
        runner = ConsumerRunner(sctx, bus, consumer)
        while runner.run_once(timeout=0.5):
            pass


def test_trending_windows_slide_and_the_source_reads_them(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    open_board, secret = world.board(alice, "Open"), world.board(alice, "Mine", secret=True)
    hot, warm, hidden = world.pin(alice, open_board), world.pin(alice, open_board), world.pin(alice, secret)
    base = trending.hour_of(utcnow()) - timedelta(hours=2)  # whole hours in the past: exact buckets
    world.events(bob, [ev("closeup", hot, i, base + timedelta(minutes=10)) for i in range(3)])
    world.events(bob, [ev("click", warm, i, base - timedelta(hours=3)) for i in range(2)])
    world.events(alice, [ev("closeup", hidden, i, base) for i in range(9)])
    Relay(sctx.sessions, bus).drain()
    runner = ConsumerRunner(sctx, bus, consumer_by_name("trending"))
    assert runner.run_once() == 14
    now = base + timedelta(minutes=30)
    with sctx.sessions() as db:
        assert trending.windows(db=db, pin_ids=[hot, warm], now=now) == {
            hot: {"1h": 3.0, "24h": 3.0},
            warm: {"1h": 0.0, "24h": 2.0},
        }
        # Half an hour later the 1-hour window has slid over half of hot's bucket.
        later = trending.windows(db=db, pin_ids=[hot], now=base + timedelta(minutes=90))
        assert later[hot] == {"1h": 1.5, "24h": 3.0}
        ranked = trending.trending(db=db, now=now)
    # 3 close-ups this hour beat 2 clicks (weight 2 each) three hours ago at a 6-hour half-life (2.83).
    assert [p for p, _ in ranked] == [hot, warm]
    assert ranked[1][1] == pytest.approx(4 * 0.5**0.5)
    assert hidden not in dict(ranked)  # a secret board's pins never trend
    with sctx.read_sessions() as db:  # the home feed's trending source reads the windows with the bus on
        assert [p for p, _ in sources.trending_source(sctx)(db)] == [hot, warm]


def _state(sctx: AppContext) -> dict[str, Any]:
    with sctx.sessions() as db:
        return {
            "stats": sorted(tuple(r) for r in db.execute(select(*PinStats.__table__.c))),
            "daily": sorted(tuple(r) for r in db.execute(select(*PinStatsDaily.__table__.c))),
            "documents": sorted(
                (d.pin_id, d.title, d.board_name, d.facets) for d in db.scalars(select(SearchDocument))
            ),
            "trending": sorted(tuple(r) for r in db.execute(select(*TrendingHourly.__table__.c))),
        }


def _archived_ids(sctx: AppContext) -> list[int]:
    """Every id in every archive file, duplicates kept (a rewritten archive has none)."""
    folder = sctx.settings.event_archive_dir
    assert folder is not None
    files = sorted(folder.glob("events/date=*/*.parquet"))
    return [i for f in files for i in pq.read_table(f).column("id").to_pylist()]


def test_replay_from_start_rebuilds_every_consumer_from_the_events_alone(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    board = world.board(alice, "Recipes")
    pins = [world.pin(alice, board, f"soup {i}") for i in range(4)]
    for round_ in range(3):
        world.events(bob, [ev(kind, p, round_) for p in pins for kind in ("impression", "closeup", "click")])
    world.save(bob, pins[0], world.board(bob, "Bob's"))
    _drain_all(sctx, bus)
    before = _state(sctx)
    assert len(before["stats"]) == 4 and len(before["documents"]) == 5 and before["trending"]
    archived = _archived_ids(sctx)
    assert len(archived) == len(set(archived)) == 37  # 36 client events and one save

    # Damage every consumer's state: wrong counters, a lost document, a batch archived twice, a lost window.
    folder = sctx.settings.event_archive_dir
    assert folder is not None
    first = sorted(folder.glob("events/date=*/*.parquet"))[0]
    pq.write_table(pq.read_table(first), first.with_name("part-copy.parquet"))
    with session_scope(sctx.sessions) as db:
        db.execute(update(PinStats).values(closeups=PinStats.closeups + 100))
        db.execute(SearchDocument.__table__.delete().where(SearchDocument.pin_id == pins[1]))
        db.execute(TrendingHourly.__table__.delete().where(TrendingHourly.pin_id == pins[2]))
    assert _state(sctx) != before

    for name in ("counters", "indexer", "archive", "trending"):
        result = replay(sctx, bus, consumer_by_name(name), from_start=True)
        assert result.first_sequence == 1 and result.applied > 0
    assert _state(sctx) == before
    rewritten = _archived_ids(sctx)
    assert sorted(rewritten) == sorted(archived)  # every event once, the stray copy gone
    assert read_archive(folder).num_rows == 37
    with sctx.sessions() as db:  # each consumer has applied each of its events exactly once
        applied = db.execute(select(StreamApplied.consumer, StreamApplied.event_id)).all()
    assert len(applied) == len(set(applied))

    # A second rebuild gives the same state again (nothing doubles).
    replay(sctx, bus, consumer_by_name("counters"), from_start=True)
    assert _state(sctx) == before


def test_rebuild_is_refused_once_the_stream_dropped_its_first_events(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice = make_account(sctx, "alice")
    pin = world.pin(alice, world.board(alice, "Open"))
    world.events(alice, [ev("closeup", pin)])
    Relay(sctx.sessions, bus).drain()

    async def drop_first() -> None:
        await bus.jetstream.delete_msg(bus.stream, 1)  # as retention (max age / bytes) would

    bus.call(drop_first())
    with pytest.raises(ReplayRefused, match="first sequence 2"):
        replay(sctx, bus, consumer_by_name("counters"), from_start=True)
    # Trending only needs the last two days: allowed; and --force rebuilds counters anyway.
    assert replay(sctx, bus, consumer_by_name("trending"), from_start=True).first_sequence == 2
    replay(sctx, bus, consumer_by_name("counters"), from_start=True, force=True)
    with sctx.sessions() as db:
        stats = db.get(PinStats, pin)
        assert stats is not None and stats.closeups == 1


def test_rebuild_is_refused_when_state_predates_the_stream(
    sctx: AppContext, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pinhaven.stream import outbox
    from pinhaven.stream import replay as replay_module

    monkeypatch.setattr(replay_module, "HISTORY_MARGIN", timedelta(milliseconds=300))  # a shorter test

    world = World(sctx)
    alice = make_account(sctx, "alice")
    outbox.disable(sctx.engine)  # the instance ran without the bus at first
    board = world.board(alice, "Open")
    old_pin = world.pin(alice, board, "from before the bus")
    world.events(alice, [ev("closeup", old_pin)])
    outbox.enable(sctx.engine, sctx.settings.event_stream_instance)
    time.sleep(1.1)  # the stream's first event is clearly later (ids have millisecond resolution)
    world.pin(alice, board, "streamed")
    Relay(sctx.sessions, bus).drain()
    for name, what in (("indexer", "pins older"), ("counters", "engagement events older")):
        with pytest.raises(ReplayRefused, match=what):
            replay(sctx, bus, consumer_by_name(name), from_start=True)
    with sctx.sessions() as db:
        assert db.get(PinStats, old_pin) is not None  # refused before anything was reset


def test_replay_without_from_start_repairs_and_keeps_state(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice = make_account(sctx, "alice")
    pin = world.pin(alice, world.board(alice, "Open"))
    world.events(alice, [ev("closeup", pin, i) for i in range(2)])
    _drain_all(sctx, bus)
    assert replay(sctx, bus, consumer_by_name("counters")).applied == 0  # all applied before: skipped
    with sctx.sessions() as db:
        stats = db.get(PinStats, pin)
        assert stats is not None and stats.closeups == 2
