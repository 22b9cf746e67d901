"""What the services emit: one function per change, each a no-op returning False when the bus is off.

The payloads carry ids and the few fields consumers route on; consumers re-read the current state from the
database (state-based, so order slips and duplicates are harmless), except engagement events, which carry
the whole validated event (the archive is built from them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.pins.models import Pin
from pinhaven.stream.outbox import emit, enabled

__all__ = [
    "board_changed",
    "board_updated",
    "engagement",
    "follow",
    "pin_created",
    "pin_updated",
    "pins_deleted",
    "section_changed",
]


def _pin_payload(db: Session, pin_id: int) -> dict[str, Any] | None:
    row = db.execute(
        select(Pin.board_id, Pin.section_id, Pin.parent_pin_id, Pin.creator_id).where(Pin.id == pin_id)
    ).first()
    if row is None:
        return None
    board_id, section_id, parent_id, creator_id = row
    return {
        "pin_id": str(pin_id),
        "board_id": str(board_id),
        "section_id": str(section_id) if section_id else None,
        "parent_pin_id": str(parent_id) if parent_id else None,
        "creator_id": str(creator_id) if creator_id else None,
    }


def pin_created(*, db: Session, pin_id: int) -> bool:
    if not enabled(db):
        return False
    payload = _pin_payload(db, pin_id)
    if payload is not None:
        emit(db=db, type="pin.created", key=pin_id, payload=payload)
    return True


def pin_updated(*, db: Session, pin_id: int, moved_from: tuple[int, int | None] | None = None) -> bool:
    """Edited, or moved: `moved_from` is the (board, section) it left, so consumers can fix both places."""
    if not enabled(db):
        return False
    payload = _pin_payload(db, pin_id)
    if payload is not None:
        if moved_from is not None:
            payload["moved_from_board_id"] = str(moved_from[0])
            payload["moved_from_section_id"] = str(moved_from[1]) if moved_from[1] else None
        emit(db=db, type="pin.updated", key=pin_id, payload=payload)
    return True


def pins_deleted(*, db: Session, pin_ids: list[int]) -> bool:
    """Called before the rows go, so the payload still names each pin's board and parent."""
    if not enabled(db):
        return False
    for pin_id in pin_ids:
        payload = _pin_payload(db, pin_id) or {"pin_id": str(pin_id)}
        emit(db=db, type="pin.deleted", key=pin_id, payload=payload)
    return True


def board_updated(*, db: Session, board_id: int, changes: tuple[str, ...] = ("name", "privacy")) -> bool:
    """Edited: `changes` names what changed (name, description, privacy); consumers that only care about
    what pins' search documents hold (name, privacy) skip the rest."""
    if not enabled(db):
        return False
    from pinhaven.boards.models import Board

    privacy = db.scalar(select(Board.privacy).where(Board.id == board_id))
    payload = {"board_id": str(board_id), "privacy": privacy, "changes": sorted(changes)}
    emit(db=db, type="board.updated", key=board_id, payload=payload)
    return True


def board_changed(*, db: Session, board_id: int, change: str, owner_id: int | None = None) -> bool:
    """board.created / board.deleted / section.* (`change` is the type)."""
    if not enabled(db):
        return False
    payload = {"board_id": str(board_id), "owner_id": str(owner_id) if owner_id else None}
    emit(db=db, type=change, key=board_id, payload=payload)
    return True


def section_changed(*, db: Session, change: str, board_id: int, section_id: int) -> bool:
    """section.created / section.updated / section.deleted; keyed by the board, so a board's events (its
    sections included) keep their order."""
    if not enabled(db):
        return False
    payload = {"board_id": str(board_id), "section_id": str(section_id)}
    emit(db=db, type=change, key=board_id, payload=payload)
    return True


def follow(*, db: Session, kind: str, follower_id: int, target_id: int, on: bool) -> bool:
    """follow.user / follow.board; `on` False for an unfollow."""
    if not enabled(db):
        return False
    payload = {"follower_id": str(follower_id), "target_id": str(target_id), "on": on}
    emit(db=db, type=f"follow.{kind}", key=follower_id, payload=payload)
    return True


def engagement(*, db: Session, rows: list[dict[str, Any]]) -> bool:
    """Validated engagement events (the rows just written to `engagement_events`)."""
    if not enabled(db):
        return False
    for row in rows:
        payload = {
            "event_id": str(row["id"]),
            "user_id": str(row["user_id"]) if row["user_id"] else None,
            "pin_id": str(row["pin_id"]),
            "surface": row["surface"],
            "position": row["position"],
            "request_id": row["request_id"],
            "at": row["at"].isoformat(),
            "meta": row["meta"],
        }
        emit(db=db, type=f"engagement.{row['type']}", key=row["pin_id"], payload=payload)
    return True
