"""The whole pipeline on one page: after X happens, which jobs follow.

    pin created   → (media.process was queued by the upload if the image is new)
                  → search.index_pin (→ search.embed_pin when the pin's text changed and semantic search is on)
    pin updated   → search.index_pin (→ search.embed_pin likewise)
    board renamed or privacy changed → search.index_board
    image ready   → nothing yet (search/visual indexing hooks in here)
    pins deleted  → search documents and vectors go with the rows (ON DELETE CASCADE); this process's
                    vector matrix forgets them at once, other processes on their next full reload

Each hook runs inside the writer's transaction, so follow-up jobs commit with the change or not at all.
Handlers live in their owning domain; `jobs/handlers.py` maps job kinds to them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pinhaven.jobs.service import enqueue


def on_pin_created(*, db: Session, pin_id: int, image_id: int) -> None:
    """A pin was written (upload, URL, save, import)."""
    enqueue(db=db, kind="search.index_pin", payload={"pin_id": pin_id})


def on_pin_updated(*, db: Session, pin_id: int) -> None:
    """A pin's text, link, board or section changed."""
    enqueue(db=db, kind="search.index_pin", payload={"pin_id": pin_id})


def on_board_changed(*, db: Session, board_id: int) -> None:
    """A board was renamed or its privacy changed (its pins' search documents hold both)."""
    enqueue(db=db, kind="search.index_board", payload={"board_id": board_id})


def on_pins_deleted(*, db: Session, pin_ids: list[int]) -> None:
    """Pins were deleted (pin, section or board delete)."""
    from pinhaven.search.text.vectors import forget_pins

    forget_pins(db=db, pin_ids=pin_ids)


def on_image_ready(*, db: Session, image_id: int) -> None:
    """An image's variants exist."""
