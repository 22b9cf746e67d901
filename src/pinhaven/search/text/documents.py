"""Search documents: the plain-table copy of each pin's searchable text, written by the index jobs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.ocr.models import ImageText
from pinhaven.ocr.service import searchable_text
from pinhaven.pins.models import Pin
from pinhaven.search.text.models import PinTextVector, SearchDocument

BATCH = 500


def facets_for(*, board_id: int, creator_id: int, privacy: str) -> str:
    """FTS5 filter tokens of a document (see fts_sqlite.py)."""
    facets = f"b{board_id} u{creator_id}"
    return facets if privacy == PUBLIC else facets + " sec"


def document_fields(pin: Pin, board: Board, ocr_text: str = "") -> dict[str, object]:
    """The column values of `pin`'s search document (`ocr_text`: words read from its picture, which join the
    alt text column: every backend's index and the MiniLM text read it)."""
    return {
        "board_id": board.id,
        "creator_id": pin.creator_id,
        "title": pin.title or "",
        "description": pin.description or "",
        "alt_text": searchable_text(pin.alt_text or "", ocr_text),
        "board_name": board.name,
        "domain": pin.source_domain or "",
        "facets": facets_for(board_id=board.id, creator_id=pin.creator_id, privacy=board.privacy),
    }


def semantic_text(*, title: str, description: str, alt_text: str) -> str:
    """What a pin's sentence embedding encodes (the board name is left out so renames need no re-embedding)."""
    parts = [title.strip(), description.strip()]
    if alt_text.strip() and alt_text.strip().lower() not in (p.lower() for p in parts):
        parts.append(alt_text.strip())
    return ". ".join(p for p in parts if p)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def index_pin(*, db: Session, pin_id: int) -> SearchDocument | None:
    """Write (or remove, when the pin is gone) the pin's document; idempotent. Returns the document."""
    row = db.execute(
        select(Pin, Board, ImageText.text)
        .join(Board, Board.id == Pin.board_id)
        .outerjoin(ImageText, ImageText.image_id == Pin.image_id)
        .where(Pin.id == pin_id)
    ).first()
    if row is None:
        db.execute(delete(SearchDocument).where(SearchDocument.pin_id == pin_id))
        return None
    pin, board, ocr_text = row._tuple()
    fields = document_fields(pin, board, ocr_text or "")
    document = db.get(SearchDocument, pin_id)
    if document is None:
        document = SearchDocument(pin_id=pin_id, updated_at=utcnow(), **fields)
        db.add(document)
    elif any(getattr(document, name) != value for name, value in fields.items()):
        moved = (document.board_id, document.facets) != (fields["board_id"], fields["facets"])
        for name, value in fields.items():
            setattr(document, name, value)
        document.updated_at = utcnow()
        if moved:
            # In-process vector indexes hold each pin's board and privacy: make them re-read this pin.
            db.execute(
                update(PinTextVector).where(PinTextVector.pin_id == pin_id).values(updated_at=utcnow())
            )
    db.flush()
    return document


def pin_ids_on_board(*, db: Session, board_id: int) -> list[int]:
    return list(db.scalars(select(Pin.id).where(Pin.board_id == board_id)))


def stream_for_reindex(db: Session, *, batch: int = BATCH) -> Iterator[list[dict[str, object]]]:
    """Document rows for every pin, in id order, `batch` at a time (keyset; plain rows, no ORM objects)."""
    columns = (
        Pin.id,
        Pin.creator_id,
        Pin.title,
        Pin.description,
        Pin.alt_text,
        Pin.source_domain,
        Board.id,
        Board.name,
        Board.privacy,
        ImageText.text,
    )
    last = -1
    while True:
        rows = db.execute(
            select(*columns)
            .join(Board, Board.id == Pin.board_id)
            .outerjoin(ImageText, ImageText.image_id == Pin.image_id)
            .where(Pin.id > last)
            .order_by(Pin.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        now = utcnow()
        yield [
            {
                "pin_id": pin_id,
                "board_id": board_id,
                "creator_id": creator_id,
                "title": title or "",
                "description": description or "",
                "alt_text": searchable_text(alt_text or "", ocr_text or ""),
                "board_name": board_name,
                "domain": domain or "",
                "facets": facets_for(board_id=board_id, creator_id=creator_id, privacy=privacy),
                "updated_at": now,
            }
            for pin_id, creator_id, title, description, alt_text, domain, board_id, board_name, privacy, ocr_text in rows
        ]
        last = rows[-1][0]


def reindex_all(*, db: Session, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every document from the pins table (after a restore or an import); returns the pin count."""
    db.execute(delete(SearchDocument))
    count = 0
    for chunk in stream_for_reindex(db):
        db.execute(insert(SearchDocument), chunk)
        count += len(chunk)
        if progress is not None:
            progress(count)
    return count
