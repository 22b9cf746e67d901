"""The whole pipeline on one page: after X happens, which jobs follow.

    pin created   → (media.process was queued by the upload if the image is new)
                  → search.index_pin (→ search.embed_pin when the pin's text changed and semantic search is on)
                  → topics.assign_pin (up to 3 topics from the pin's text; again when OCR finds text)
                  → discovery: graph change logged at commit; a save also logs a save event (same transaction)
                  → moderation.scan_pin (spam and flood signals; may hide the pin pending review)
    pin updated   → search.index_pin (→ search.embed_pin likewise); discovery graph change (board moves)
    board renamed or privacy changed → search.index_board; discovery graph change (pins enter/leave)
    image ready   → visual.embed_image (vector + perceptual hashes + duplicate group; the process's visual
                    index follows) → visual.refit when the whitening is due (first 100 images, then 4× growth)
                  → ocr.read_image (text in the picture; → search.index_pin of its pins when text is found)
                  → moderation.scan_image (nudity score; its pins are scanned again with it)
    pins deleted  → search documents and vectors go with the rows (ON DELETE CASCADE); this process's
                    vector matrix forgets them at once, other processes on their next full reload;
                    discovery graph change (the pins and their parents are re-derived by every process)

With `PINHAVEN_EVENT_BUS_URL` set, each hook also writes an outbox row (stream/events.py) and the
`search.index_*` jobs are replaced by the stream's indexer consumer.

Each hook runs inside the writer's transaction, so follow-up jobs commit with the change or not at all.
Handlers live in their owning domain; `jobs/handlers.py` maps job kinds to them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pinhaven.jobs.service import enqueue
from pinhaven.stream import events as stream_events


def on_pin_created(*, db: Session, pin_id: int, image_id: int) -> None:
    """A pin was written (upload, URL, save, import)."""
    if not stream_events.pin_created(db=db, pin_id=pin_id):  # with the bus on, the indexer consumer indexes
        enqueue(db=db, kind="search.index_pin", payload={"pin_id": pin_id})
    enqueue(db=db, kind="topics.assign_pin", payload={"pin_id": pin_id})
    from pinhaven.discovery import handlers as discovery

    discovery.pin_created(db=db, pin_id=pin_id)  # graph links on commit; a save's engagement event
    enqueue(db=db, kind="moderation.scan_pin", payload={"pin_id": pin_id})  # automatic signals


def on_pin_updated(*, db: Session, pin_id: int, moved_from: tuple[int, int | None] | None = None) -> None:
    """A pin's text, link, board or section changed (`moved_from`: the board and section it left)."""
    if not stream_events.pin_updated(db=db, pin_id=pin_id, moved_from=moved_from):
        enqueue(db=db, kind="search.index_pin", payload={"pin_id": pin_id})
    enqueue(db=db, kind="topics.assign_pin", payload={"pin_id": pin_id})
    from pinhaven.discovery import handlers as discovery

    discovery.pin_updated(db=db, pin_id=pin_id)


def on_board_changed(*, db: Session, board_id: int, changes: tuple[str, ...] = ("name", "privacy")) -> None:
    """A board was renamed or its privacy changed (its pins' search documents hold both)."""
    if not stream_events.board_updated(db=db, board_id=board_id, changes=changes):
        enqueue(db=db, kind="search.index_board", payload={"board_id": board_id})
    from pinhaven.discovery import handlers as discovery

    discovery.board_changed(db=db, board_id=board_id)  # its pins enter or leave the graph


def on_pins_deleted(*, db: Session, pin_ids: list[int]) -> None:
    """Pins were deleted (pin, section or board delete)."""
    from pinhaven.search.text.vectors import forget_pins

    forget_pins(db=db, pin_ids=pin_ids)
    stream_events.pins_deleted(db=db, pin_ids=pin_ids)
    from pinhaven.discovery import handlers as discovery

    discovery.pins_deleted(db=db, pin_ids=pin_ids)  # runs before the rows go


def on_image_ready(*, db: Session, image_id: int) -> None:
    """An image's variants exist."""
    enqueue(db=db, kind="visual.embed_image", payload={"image_id": image_id})
    enqueue(db=db, kind="ocr.read_image", payload={"image_id": image_id})  # text in the picture → search
    enqueue(db=db, kind="moderation.scan_image", payload={"image_id": image_id})  # nudity signal
    from pinhaven.boards.service import note_image_ready

    note_image_ready(db=db, image_id=image_id)  # board pages show each pin's image_status
