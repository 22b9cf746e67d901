"""Discovery's side of the jobs pipeline hooks (see jobs/pipeline.py): run inside the writer's transaction.

They only note which pins and boards changed (the graph change log is written at commit) and record save
events, so they add a few row writes to the transaction and no job.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.discovery.graph_store import note_board, note_pins
from pinhaven.pins.models import Pin


def pin_created(*, db: Session, pin_id: int) -> None:
    """Link the new pin (and its parent, for a save) in every process's graph; log the save event."""
    pin = db.get(Pin, pin_id)
    if pin is None:
        return
    note_pins(db=db, pin_ids=[pin.id])
    if pin.parent_pin_id is not None:
        from pinhaven.events.service import record_save

        # A save is engagement on the source pin, by the person saving it.
        record_save(db=db, user_id=pin.creator_id, pin_id=pin.parent_pin_id)


def pin_updated(*, db: Session, pin_id: int) -> None:
    """A pin may have moved to another board: re-derive it and its parent."""
    row = db.execute(select(Pin.id, Pin.parent_pin_id).where(Pin.id == pin_id)).first()
    if row is not None:
        note_pins(db=db, pin_ids=[row[0], row[1]] if row[1] else [row[0]])


def pins_deleted(*, db: Session, pin_ids: list[int]) -> None:
    """Called before the rows go: drop the pins and re-derive their parents (a save's link may go too)."""
    parents: set[int] = set()
    for start in range(0, len(pin_ids), 900):
        chunk = pin_ids[start : start + 900]
        parents.update(
            p for p in db.scalars(select(Pin.parent_pin_id).where(Pin.id.in_(chunk))) if p is not None
        )
    note_pins(db=db, pin_ids=[*pin_ids, *parents])


def board_changed(*, db: Session, board_id: int) -> None:
    """A board's privacy (or name) changed: its pins enter or leave the graph."""
    note_board(db=db, board_id=board_id)
