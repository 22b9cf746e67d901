"""What other domains call where something notifiable happens (one line at each place)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import UserFollow
from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import Forbidden
from pinhaven.messages.blocks import blocked_between
from pinhaven.notifications import service
from pinhaven.pins.models import Pin

FANOUT_JOB = "notifications.fanout_save"
FANOUT_CHUNK = 1000


def check_may_follow(db: Session, follower_id: int, followee_id: int) -> None:
    """Blocked people cannot follow each other."""
    if blocked_between(db, follower_id, followee_id):
        raise Forbidden("You cannot follow this person.")


def on_user_followed(db: Session, follower_id: int, followee_id: int) -> None:
    service.notify(
        db,
        recipient_id=followee_id,
        actor_id=follower_id,
        type="follow",
        object_type="user",
        object_id=followee_id,
    )


def on_board_followed(db: Session, follower_id: int, board: Board) -> None:
    if blocked_between(db, follower_id, board.owner_id):
        raise Forbidden("You cannot follow this board.")
    service.notify(
        db,
        recipient_id=board.owner_id,
        actor_id=follower_id,
        type="follow",
        object_type="board",
        object_id=board.id,
        board_id=board.id,
    )


def on_pin_saved(db: Session, saver_id: int, source: Pin, saved: Pin) -> None:
    """Tell the source pin's creator (aggregated per pin), and queue the fan-out to the saver's followers.

    Saves into a secret board say nothing to anyone: the save itself is not public.
    """
    board = db.get(Board, saved.board_id)
    if board is None or board.privacy != PUBLIC:
        return
    service.notify(
        db,
        recipient_id=source.creator_id,
        actor_id=saver_id,
        type="save",
        object_type="pin",
        object_id=source.id,
        board_id=source.board_id,
        pin_id=source.id,
    )
    from pinhaven.jobs.service import enqueue

    enqueue(db=db, kind=FANOUT_JOB, payload={"pin_id": str(saved.id), "saver_id": str(saver_id)})


def fanout_save(db: Session, *, saver_id: int, pin_id: int) -> int:
    """ "Ana saved a pin" for each of Ana's followers (bulk); returns how many were created.

    Followers with a stream open on this process go first, then the rest in chunks of FANOUT_CHUNK, each
    committed on its own: people watching their bell hear within one small transaction, not after all N
    rows. (A worker dying mid-way leaves the committed chunks; its retry tells those followers twice.)
    """
    from pinhaven.notifications import live

    pin = db.get(Pin, pin_id)
    if pin is None:
        return 0
    followers = list(db.scalars(select(UserFollow.follower_id).where(UserFollow.followee_id == saver_id)))
    skip = {pin.creator_id}
    if pin.parent_pin_id is not None:
        parent = db.get(Pin, pin.parent_pin_id)
        if parent is not None:
            skip.add(parent.creator_id)  # already told "saved your pin"
    recipients = [f for f in followers if f not in skip]
    online = [f for f in recipients if live.HUB.listening(f)]
    offline = [f for f in recipients if not live.HUB.listening(f)]
    chunks = [online] + [offline[i : i + FANOUT_CHUNK] for i in range(0, len(offline), FANOUT_CHUNK)]
    created = 0
    for chunk in chunks:
        if not chunk:
            continue
        created += service.notify_many(
            db,
            recipient_ids=chunk,
            actor_id=saver_id,
            type="save",
            object_type="followed_save",
            object_id=pin.id,
            board_id=pin.board_id,
            pin_id=pin.id,
        )
        db.commit()
    return created


def fanout_save_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    with session_scope(ctx.sessions) as db:
        fanout_save(db, saver_id=int(payload["saver_id"]), pin_id=int(payload["pin_id"]))
