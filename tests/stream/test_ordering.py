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
