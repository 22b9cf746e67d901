"""Every change another component must learn of writes exactly one outbox row of its type, in the change's
transaction: pin/board/section created, edited, moved, deleted, privacy changed; saves; follows; engagement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import make_account

from pinhaven.accounts import follows
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import members
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.events import service as events_service
from pinhaven.pins import service as pins_service
from pinhaven.stream.models import OutboxEvent
from pinhaven.stream.outbox import EVENT_TYPES

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def _rows(ctx: AppContext) -> list[tuple[int, str, str, dict[str, Any]]]:
    with ctx.sessions() as db:
        return [
            (r.id, r.type, r.key, r.payload) for r in db.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]


def _written_by(ctx: AppContext, change: Callable[[Any], object]) -> list[tuple[str, str, dict[str, Any]]]:
    """The outbox rows one committed transaction running `change` wrote."""
    before = {row[0] for row in _rows(ctx)}
    with session_scope(ctx.sessions) as db:
        change(db)
    return [(kind, key, payload) for id_, kind, key, payload in _rows(ctx) if id_ not in before]


def test_each_change_type_writes_exactly_one_outbox_row(sctx: AppContext) -> None:
    world = World(sctx)
    alice, bob = make_account(sctx, "alice"), make_account(sctx, "bob")
    as_alice, as_bob = session_viewer(alice.user.id), session_viewer(bob.user.id)
    board = world.board(alice, "Open")
    other = world.board(alice, "Other")
    pin = world.pin(alice, board, "a pin")
    seen: set[str] = {"board.created", "pin.created"}

    def one(change: Callable[[Any], object], kind: str, key: int) -> dict[str, Any]:
        rows = _written_by(sctx, change)
        assert [(k, int(key_)) for k, key_, _ in rows] == [(kind, key)], rows
        seen.add(kind)
        return rows[0][2]

    section_id: list[int] = []

    def create_section(db: Any) -> None:
        section_id.append(boards_service.create_section(db=db, viewer=as_alice, board_id=board, name="S").id)

    one(create_section, "section.created", board)
    section = section_id[0]
    one(
        lambda db: boards_service.update_section(
            db=db, viewer=as_alice, board_id=board, section_id=section, name="Renamed"
        ),
        "section.updated",
        board,
    )
    edited = one(
        lambda db: pins_service.update(db=db, viewer=as_alice, pin_id=pin, changes={"title": "edited"}),
        "pin.updated",
        pin,
    )
    assert "moved_from_board_id" not in edited
    into_section = one(
        lambda db: pins_service.update(
            db=db, viewer=as_alice, pin_id=pin, changes={"board_section_id": section}
        ),
        "pin.updated",
        pin,
    )
    assert into_section["section_id"] == str(section) and into_section["moved_from_section_id"] is None
    moved = one(
        lambda db: pins_service.update(db=db, viewer=as_alice, pin_id=pin, changes={"board_id": other}),
        "pin.updated",
        pin,
    )
    assert (moved["board_id"], moved["moved_from_board_id"]) == (str(other), str(board))
    assert moved["moved_from_section_id"] == str(section) and moved["section_id"] is None
    renamed = one(
        lambda db: boards_service.update(db=db, viewer=as_alice, board_id=board, name="Open 2"),
        "board.updated",
        board,
    )
    assert renamed["changes"] == ["name"]
    described = one(
        lambda db: boards_service.update(
            db=db, viewer=as_alice, board_id=board, description="words", description_set=True
        ),
        "board.updated",
        board,
    )
    assert described["changes"] == ["description"]
    private = one(
        lambda db: boards_service.update(db=db, viewer=as_alice, board_id=other, privacy="SECRET"),
        "board.updated",
        other,
    )
    assert (private["changes"], private["privacy"]) == (["privacy"], "SECRET")
    assert _written_by(sctx, lambda db: boards_service.update(db=db, viewer=as_alice, board_id=other)) == []

    bobs = world.board(bob, "Bob's")
    public_pin = world.pin(alice, board, "public")
    save_rows = _written_by(
        sctx,
        lambda db: pins_service.save(db=db, viewer=as_bob, pin_id=public_pin, board_id=bobs, section_id=None),
    )
    created = [payload for kind, _, payload in save_rows if kind == "pin.created"]
    assert len(created) == 1 and created[0]["parent_pin_id"] == str(public_pin)
    saved = [(key, payload) for kind, key, payload in save_rows if kind == "engagement.save"]
    assert len(save_rows) == 2 and len(saved) == 1 and saved[0][0] == str(public_pin)  # on the source pin
    seen.add("engagement.save")

    one(lambda db: follows.follow_user(db=db, viewer=as_bob, username="alice"), "follow.user", bob.user.id)
    assert _written_by(sctx, lambda db: follows.follow_user(db=db, viewer=as_bob, username="alice")) == []
    unfollowed = one(
        lambda db: follows.unfollow_user(db=db, viewer=as_bob, username="alice"), "follow.user", bob.user.id
    )
    assert unfollowed["on"] is False
    one(lambda db: members.follow_board(db=db, viewer=as_bob, board_id=board), "follow.board", bob.user.id)

    one(
        lambda db: events_service.hide(db=db, viewer=as_bob, pin_id=public_pin), "engagement.hide", public_pin
    )
    for kind in ("impression", "closeup", "click"):  # saves and hides are the server's events (above)
        event = {"type": kind, "pin_id": str(public_pin), "surface": "home", "position": 0}
        one(
            lambda db, e=event: events_service.record_batch(db=db, viewer=as_bob, events=[e]),
            f"engagement.{kind}",
            public_pin,
        )

    section_pin = world.pin(alice, board, "in the section")
    with session_scope(sctx.sessions) as db:
        pins_service.update(db=db, viewer=as_alice, pin_id=section_pin, changes={"board_section_id": section})
    gone = _written_by(
        sctx,
        lambda db: boards_service.delete_section(db=db, viewer=as_alice, board_id=board, section_id=section),
    )
    assert sorted(kind for kind, _, _ in gone) == ["pin.deleted", "section.deleted"]
    seen.update(kind for kind, _, _ in gone)
    one(lambda db: pins_service.delete_pin(db=db, viewer=as_alice, pin_id=pin), "pin.deleted", pin)
    dropped = _written_by(sctx, lambda db: boards_service.delete_board(db=db, viewer=as_bob, board_id=bobs))
    assert sorted(kind for kind, _, _ in dropped) == ["board.deleted", "pin.deleted"]
    seen.update(kind for kind, _, _ in dropped)
    assert seen == set(EVENT_TYPES)  # every declared type is emitted somewhere
