"""Rows → v5 Pin responses, loading boards, users and images for a whole page in three queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.models import Board
from pinhaven.boards.schemas import Owner
from pinhaven.media.models import MediaImage
from pinhaven.media.service import image_urls
from pinhaven.pins.models import Pin
from pinhaven.pins.schemas import ImageDetails, PinMedia, PinRead
from pinhaven.timefmt import iso


def present_pins(
    *, db: Session, viewer: Viewer, pins: Sequence[Pin], base_url: str, metrics: bool = False
) -> list[PinRead]:
    """v5 Pin objects for `pins` (the caller has already checked visibility); `metrics`: v5 pin_metrics=true."""
    if not pins:
        return []
    boards = {b.id: b for b in db.scalars(select(Board).where(Board.id.in_({p.board_id for p in pins})))}
    images = {
        i.id: i for i in db.scalars(select(MediaImage).where(MediaImage.id.in_({p.image_id for p in pins})))
    }
    user_ids = {p.creator_id for p in pins} | {b.owner_id for b in boards.values()}
    usernames = {
        uid: name for uid, name in db.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
    }
    reads = [
        _present(pin, boards[pin.board_id], images[pin.image_id], usernames, viewer, base_url) for pin in pins
    ]
    if metrics:  # counters for the pins the viewer owns, null for the others
        from pinhaven.events.service import pin_metrics

        found = pin_metrics(db=db, viewer=viewer, pins=pins)
        for pin, read in zip(pins, reads, strict=True):
            read.pin_metrics = found[pin.id]
    return reads


def present_pin(*, db: Session, viewer: Viewer, pin: Pin, base_url: str, metrics: bool = False) -> PinRead:
    return present_pins(db=db, viewer=viewer, pins=[pin], base_url=base_url, metrics=metrics)[0]


def _present(
    pin: Pin, board: Board, image: MediaImage, usernames: dict[int, str], viewer: Viewer, base_url: str
) -> PinRead:
    # model_construct: the values come from our own rows, re-validating them per pin costs more than the query.
    images = {
        key: ImageDetails.model_construct(width=v["width"], height=v["height"], url=v["url"])
        for key, v in image_urls(image, base_url=base_url).items()
    }
    return PinRead.model_construct(
        id=str(pin.id),
        created_at=iso(pin.created_at),
        link=pin.link,
        title=pin.title,
        description=pin.description,
        dominant_color=pin.dominant_color,
        alt_text=pin.alt_text,
        creative_type=pin.creative_type,
        board_id=str(pin.board_id),
        board_section_id=str(pin.section_id) if pin.section_id is not None else None,
        board_owner=Owner.model_construct(username=usernames.get(board.owner_id, "")),
        is_owner=viewer.user_id is not None and viewer.user_id in (pin.creator_id, board.owner_id),
        media=PinMedia.model_construct(media_type="image", images=images),
        parent_pin_id=str(pin.parent_pin_id) if pin.parent_pin_id is not None else None,
        is_standard=pin.is_standard,
        note=pin.note,
        source_domain=pin.source_domain,
        save_count=pin.save_count,
        creator=Owner.model_construct(username=usernames.get(pin.creator_id, "")),
        image_status=image.status,
        image_failure_reason=image.failure_reason,
    )
