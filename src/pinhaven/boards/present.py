"""Rows → v5 Board responses, with covers and thumbnails for a whole page in one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.boards.models import Board, BoardSection
from pinhaven.boards.schemas import BoardMedia, BoardRead, Owner, SectionRead
from pinhaven.media.models import MediaImage
from pinhaven.media.service import variant_url
from pinhaven.pins.models import Pin
from pinhaven.timefmt import iso

THUMBNAILS = 4


def board_previews(db: Session, board_ids: Sequence[int]) -> dict[int, list[tuple[int, MediaImage]]]:
    """Newest pins' images per board (cover first), at most THUMBNAILS + 1 each."""
    if not board_ids:
        return {}
    ranked = (
        select(
            Pin.board_id,
            Pin.id.label("pin_id"),
            Pin.image_id,
            func.row_number().over(partition_by=Pin.board_id, order_by=Pin.id.desc()).label("rank"),
        )
        .where(Pin.board_id.in_(list(board_ids)), Pin.moderation == 0)  # moderated pins make no covers
        .subquery()
    )
    rows = db.execute(
        select(ranked.c.board_id, ranked.c.pin_id, MediaImage)
        .join(MediaImage, MediaImage.id == ranked.c.image_id)
        .where(ranked.c.rank <= THUMBNAILS + 1)
        .order_by(ranked.c.board_id, ranked.c.pin_id.desc())
    ).all()
    previews: dict[int, list[tuple[int, MediaImage]]] = {}
    for board_id, pin_id, image in rows:
        previews.setdefault(board_id, []).append((pin_id, image))
    return previews


def present_boards(*, db: Session, boards: Sequence[Board], base_url: str) -> list[BoardRead]:
    """v5 Board objects (the caller has already checked visibility)."""
    owners = {
        uid: name
        for uid, name in db.execute(
            select(User.id, User.username).where(User.id.in_({b.owner_id for b in boards}))
        )
    }
    previews = board_previews(db, [b.id for b in boards])
    result = []
    for board in boards:
        images = previews.get(board.id, [])
        cover = next(
            (img for pid, img in images if pid == board.cover_pin_id), images[0][1] if images else None
        )
        public = board.privacy == "PUBLIC"  # a secret board's cover never leaves the app's authorisation
        result.append(
            BoardRead(
                id=str(board.id),
                name=board.name,
                description=board.description,
                privacy=board.privacy,  # type: ignore[arg-type]
                owner=Owner(username=owners.get(board.owner_id, "")),
                created_at=iso(board.created_at),
                board_pins_modified_at=iso(board.board_pins_modified_at),
                pin_count=max(board.pin_count, 0),
                follower_count=max(board.follower_count, 0),
                collaborator_count=max(board.collaborator_count, 0),
                media=BoardMedia(
                    image_cover_url=(
                        variant_url(cover, "400x300", base_url=base_url, public=public) if cover else None
                    ),
                    pin_thumbnail_urls=[
                        variant_url(img, "150x150", base_url=base_url, public=public)
                        for _, img in images[:THUMBNAILS]
                    ],
                ),
            )
        )
    return result


def present_board(*, db: Session, board: Board, base_url: str) -> BoardRead:
    return present_boards(db=db, boards=[board], base_url=base_url)[0]


def present_section(section: BoardSection) -> SectionRead:
    return SectionRead(id=str(section.id), name=section.name)
