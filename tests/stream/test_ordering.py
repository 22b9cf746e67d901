"""Order per key is exact when transactions interleave: a transaction that took its outbox ids first but
commits last must not be overtaken by a later one on the same key (the relay publishes in id order)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import make_account

from pinhaven.accounts.scopes import session_viewer
from pinhaven.context import AppContext
from pinhaven.db.ids import IdGenerator
from pinhaven.events import service as events_service
from pinhaven.stream.bus import Bus
from pinhaven.stream.consumer import decode
from pinhaven.stream.models import OutboxEvent
from pinhaven.stream.relay import Relay


def _closeup(pin: int, position: int) -> list[dict[str, Any]]:
    return [{"type": "closeup", "pin_id": str(pin), "surface": "home", "position": position}]


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_a_later_transaction_on_the_same_key_waits_for_the_earlier_one(sctx: AppContext, bus: Bus) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    pin = world.pin(alice, world.board(alice, "Open"))
    ids_taken, release = threading.Event(), threading.Event()
    committed: list[str] = []

    def first() -> None:
        """Takes its ids at commit, then stalls before the COMMIT itself (as a slow disk or a GC pause would)."""
        db: Session = sctx.sessions()
        try:
            events_service.record_batch(db=db, viewer=session_viewer(alice.user.id), events=_closeup(pin, 1))

            @event.listens_for(db, "before_commit")
            def stall(session: Session) -> None:  # runs after the outbox listener took the ids
                ids_taken.set()
                release.wait(20)

            db.commit()
            committed.append("first")
        finally:
            db.close()

    def second() -> None:
        with sctx.sessions() as db:
            events_service.record_batch(db=db, viewer=session_viewer(bob.user.id), events=_closeup(pin, 2))
            db.commit()
            committed.append("second")

    one = threading.Thread(target=first)
    one.start()
    assert ids_taken.wait(20)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(1.0)
    assert committed == []  # the second waits for the first's lock on the key...
    release.set()
    one.join(30)
    two.join(30)
    assert committed == ["first", "second"]
    with sctx.sessions() as db:
        rows = list(
            db.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.key == str(pin), OutboxEvent.type == "engagement.closeup")
                .order_by(OutboxEvent.id)
            )
        )
    # ... and took its id after the first committed: id order is commit order for the key.
    assert [r.payload["position"] for r in rows] == [1, 2]
    Relay(sctx.sessions, bus).drain()

    async def published() -> list[int]:
        sub = await bus.jetstream.subscribe(
            f"pinhaven.{bus.instance}.>", stream=bus.stream, ordered_consumer=True
        )
        positions = []
        for _ in range(4):  # board.created, pin.created and the two close-ups
            msg = await sub.next_msg(timeout=5)
            body = decode(msg.data)
            if body.type == "engagement.closeup":
                positions.append(int(body.payload["position"]))
        await sub.unsubscribe()
        return positions

    assert bus.call(published()) == [1, 2]


def test_ids_stay_above_a_key_s_last_id_even_from_a_clock_behind() -> None:
    ahead, behind = IdGenerator(shard=1), IdGenerator(shard=2)
    last = ahead.next() + (5_000 << 22)  # an id made five seconds in this clock's future
    after = behind.next_after(last)
    assert after > last and behind.next() > after  # and the generator keeps increasing from there


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_ids_of_a_key_rise_above_a_stored_id_from_a_clock_ahead(sctx: AppContext) -> None:
    from pinhaven.db.engine import session_scope
    from pinhaven.db.ids import new_id
    from pinhaven.stream.models import OutboxKey
    from pinhaven.stream.outbox import emit

    ahead = new_id() + (3_000 << 22)  # another host's id, three seconds ahead of this clock
    with session_scope(sctx.sessions) as db:
        db.add(OutboxKey(key="k-ahead", last_id=ahead))
    with session_scope(sctx.sessions) as db:
        for i in range(3):  # several events of one key in one transaction, plus a key seen for the first time
            emit(db=db, type="pin.updated", key="k-ahead", payload={"i": i})
        emit(db=db, type="pin.updated", key="k-new", payload={"i": 0})
        emit(db=db, type="pin.updated", key="k-two", payload={"i": 0})
        emit(db=db, type="pin.updated", key="k-two", payload={"i": 1})
    with sctx.sessions() as db:
        rows = list(db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        stored = {k.key: k.last_id for k in db.scalars(select(OutboxKey))}
    mine = [r for r in rows if r.key == "k-ahead"]
    assert [r.payload["i"] for r in mine] == [0, 1, 2] and mine[0].id > ahead
    assert stored["k-ahead"] == mine[-1].id  # the next transaction starts above the last of them
    assert stored["k-new"] == next(r.id for r in rows if r.key == "k-new")
    assert stored["k-two"] == [r.id for r in rows if r.key == "k-two"][-1]
