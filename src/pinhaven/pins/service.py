"""Pins: create (upload, URL, save), read, update, move, delete, list; counters kept current."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import (
    PUBLIC,
    access_board_for_pinning,
    access_pin,
    access_pin_for_edit,
    can_see_board,
    pin_moderation_clause,
    visible_pins_clause,
)
from pinhaven.boards.models import Board, BoardSection
from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput, NotFound
from pinhaven.jobs import pipeline
from pinhaven.media.models import MediaImage
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin

LIMITS = {"title": 100, "description": 800, "link": 2048, "alt_text": 500, "note": 500}
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
BASE64_RE = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


@dataclass(frozen=True)
class PinFields:
    """The user-editable text of a pin; None means 'not given' unless listed in `cleared`."""

    title: str | None = None
    description: str | None = None
    link: str | None = None
    alt_text: str | None = None
    note: str | None = None
    dominant_color: str | None = None


def _check_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    limit = LIMITS[name]
    if len(value) > limit:
        raise InvalidInput(f"must be at most {limit} characters", field=name)
    return value


def _clean_link(db: Session, link: str | None) -> tuple[str | None, str | None]:
    """(normalised link, source domain); the learned link rules apply (cached: no query per call)."""
    if link is None or link.strip() == "":
        return None, None
    from pinhaven.ingest.url_rules import learned_rules
    from pinhaven.ingest.urls import normalize_link, source_domain

    normalised = normalize_link(link.strip(), drop_params=learned_rules(db))
    return normalised, source_domain(normalised)


def _clean_color(color: str | None) -> str | None:
    if color is None:
        return None
    if not COLOR_RE.match(color):
        raise InvalidInput("must be a colour like #A1B2C3", field="dominant_color")
    return color.upper()


def _section_for(db: Session, board: Board, section_id: int | None) -> BoardSection | None:
    if section_id is None:
        return None
    section = db.get(BoardSection, section_id)
    if section is None or section.board_id != board.id:
        raise NotFound("Board section not found.")
    return section


def create(
    *,
    db: Session,
    viewer: Viewer,
    board_id: int | None,
    image: MediaImage,
    fields: PinFields,
    section_id: int | None = None,
    parent_pin_id: int | None = None,
) -> Pin:
    """A new pin on a board the viewer may pin to, showing an already-ingested image."""
    board = access_board_for_pinning(db=db, viewer=viewer, board_id=board_id)
    section = _section_for(db, board, section_id)
    link, domain = _clean_link(db, _check_text("link", fields.link))
    assert viewer.user_id is not None
    pin = Pin(
        board_id=board.id,
        section_id=section.id if section else None,
        creator_id=viewer.user_id,
        image_id=image.id,
        parent_pin_id=parent_pin_id,
        title=_check_text("title", fields.title),
        description=_check_text("description", fields.description),
        link=link,
        source_domain=domain,
        alt_text=_check_text("alt_text", fields.alt_text),
        note=_check_text("note", fields.note),
        dominant_color=_clean_color(fields.dominant_color) or image.dominant_color,
    )
    db.add(pin)
    db.flush()
    boards_service.note_pins_added(db=db, board_id=board.id, section_id=pin.section_id)
    pipeline.on_pin_created(db=db, pin_id=pin.id, image_id=image.id)
    return pin


def decode_base64_image(data: str, content_type: str | None, *, max_bytes: int) -> bytes:
    """Bytes of a v5 `image_base64` media source (standard base64, not base64url)."""
    if content_type not in ("image/jpeg", "image/png"):
        raise InvalidInput("must be image/jpeg or image/png", field="media_source.content_type")
    if not data:
        raise InvalidInput("is empty", field="media_source.data")
    if len(data) > (max_bytes * 4) // 3 + 8:
        from pinhaven.errors import PayloadTooLarge

        raise PayloadTooLarge(f"Image is larger than {max_bytes} bytes.")
    raw = data.encode("ascii", errors="replace")
    if not BASE64_RE.match(raw):
        raise InvalidInput("is not standard base64", field="media_source.data")
    try:
        return base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        raise InvalidInput("is not valid base64", field="media_source.data") from None


def image_from_media_source(
    *, db: Session, ctx: AppContext, media_source: dict[str, Any], owner_id: int | None = None
) -> MediaImage:
    """Ingest the image a v5 `media_source` describes (`image_base64` or `image_url`); `owner_id`: the
    uploader (media_service.register_upload)."""
    from pinhaven.media import service as media_service

    return media_service.ingest_bytes(
        db=db,
        store=media_service.media_store(ctx),
        settings=ctx.settings,
        data=media_source_bytes(ctx=ctx, media_source=media_source),
        owner_id=owner_id,
    )


def media_source_bytes(*, ctx: AppContext, media_source: dict[str, Any]) -> bytes:
    """The image bytes a v5 `media_source` holds or points at (no database: callers fetch before their
    write transaction)."""
    source_type = media_source.get("source_type")
    settings = ctx.settings
    if source_type == "image_base64":
        data = media_source.get("data")
        if not isinstance(data, str):
            raise InvalidInput("must be a base64 string", field="media_source.data")
        content_type = media_source.get("content_type")
        raw = decode_base64_image(
            data, content_type if isinstance(content_type, str) else None, max_bytes=settings.max_upload_bytes
        )
    elif source_type == "image_url":
        url = media_source.get("url")
        if not isinstance(url, str) or not url:
            raise InvalidInput("is required for image_url", field="media_source.url")
        from pinhaven.ingest.fetch import fetch

        raw = fetch(url, settings=settings, max_bytes=settings.max_upload_bytes).body
    elif source_type is None:
        raise InvalidInput("is required", field="media_source.source_type")
    else:
        raise InvalidInput(
            f"{source_type!r} is not supported; use image_base64 or image_url",
            field="media_source.source_type",
        )
    return raw


def get_visible(*, db: Session, viewer: Viewer, pin_id: int | None) -> Pin:
    return access_pin(db=db, viewer=viewer, pin_id=pin_id)


def update(
    *,
    db: Session,
    viewer: Viewer,
    pin_id: int | None,
    changes: dict[str, Any],
) -> Pin:
    """Apply a v5 PinUpdate: text fields (None clears them), board and section moves."""
    pin = access_pin_for_edit(db=db, viewer=viewer, pin_id=pin_id)
    for name in ("title", "description", "alt_text", "note"):
        if name in changes:
            setattr(pin, name, _check_text(name, changes[name]))
    if "link" in changes:
        pin.link, pin.source_domain = _clean_link(db, _check_text("link", changes["link"]))
    if "dominant_color" in changes:
        pin.dominant_color = _clean_color(changes["dominant_color"])
    old_board_id, old_section_id = pin.board_id, pin.section_id
    new_board_id = changes.get("board_id") or pin.board_id
    board = (
        access_board_for_pinning(db=db, viewer=viewer, board_id=new_board_id)
        if new_board_id != pin.board_id
        else db.get(Board, pin.board_id)
    )
    assert board is not None
    if "board_section_id" in changes:
        new_section = _section_for(db, board, changes["board_section_id"])
        pin.section_id = new_section.id if new_section else None
    elif board.id != old_board_id:
        pin.section_id = None  # sections belong to the old board
    pin.board_id = board.id
    db.flush()
    if (old_board_id, old_section_id) != (pin.board_id, pin.section_id):
        boards_service.note_pins_removed(db=db, board_id=old_board_id, section_id=old_section_id)
        boards_service.note_pins_added(db=db, board_id=pin.board_id, section_id=pin.section_id)
        if old_board_id != pin.board_id and pin.parent_pin_id is not None:
            boards_service.recount_saves(db=db, pin_ids=[pin.parent_pin_id])
    boards_service.note_board_content_changed(db=db, board_ids=[pin.board_id])  # edited text shows there
    moved = (old_board_id, old_section_id) != (pin.board_id, pin.section_id)
    pipeline.on_pin_updated(
        db=db, pin_id=pin.id, moved_from=(old_board_id, old_section_id) if moved else None
    )
    return pin


def delete_pin(*, db: Session, viewer: Viewer, pin_id: int | None) -> None:
    pin = access_pin_for_edit(db=db, viewer=viewer, pin_id=pin_id)
    delete_pins(db=db, pin_ids=[pin.id])


def delete_pins(*, db: Session, pin_ids: list[int]) -> None:
    """Delete pins (no access check: callers checked); board/section/save counters are fixed."""
    if not pin_ids:
        return
    for start in range(0, len(pin_ids), 500):
        chunk = pin_ids[start : start + 500]
        rows = db.execute(
            select(Pin.board_id, Pin.section_id, Pin.parent_pin_id).where(Pin.id.in_(chunk))
        ).all()
        counts: dict[tuple[int, int | None], int] = {}
        parents: set[int] = set()
        for board_id, section_id, parent_id in rows:
            counts[(board_id, section_id)] = counts.get((board_id, section_id), 0) + 1
            if parent_id is not None:
                parents.add(parent_id)
        pipeline.on_pins_deleted(db=db, pin_ids=chunk)
        db.execute(delete(Pin).where(Pin.id.in_(chunk)))
        for (board_id, section_id), count in counts.items():
            boards_service.note_pins_removed(db=db, board_id=board_id, section_id=section_id, count=count)
        boards_service.recount_saves(db=db, pin_ids=[p for p in parents if p not in chunk])
    db.expire_all()


def save(
    *, db: Session, viewer: Viewer, pin_id: int | None, board_id: int | None, section_id: int | None
) -> Pin:
    """Save (repin) a visible pin to a board: a new pin whose parent is the source, keeping its link."""
    source = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    image = db.get(MediaImage, source.image_id)
    assert image is not None
    fields = PinFields(
        title=source.title,
        description=source.description,
        link=source.link,
        alt_text=source.alt_text,
        dominant_color=source.dominant_color,
    )
    pin = create(
        db=db,
        viewer=viewer,
        board_id=board_id,
        image=image,
        fields=fields,
        section_id=section_id,
        parent_pin_id=source.id,
    )
    boards_service.recount_saves(db=db, pin_ids=[source.id])
    from pinhaven.notifications import hooks as social

    assert viewer.user_id is not None
    social.on_pin_saved(db, viewer.user_id, source, pin)
    return pin


# What the visibility rules read of a board, in a statement built once (its compiled form is cached).
_BOARD_RULE_FIELDS = select(Board.id, Board.owner_id, Board.privacy, Board.moderation).where(
    Board.id == bindparam("board_id")
)


def listable_board_id(
    *, db: Session, viewer: Viewer, board_id: int | None, section_id: int | None = None
) -> int:
    """The id of the board (and section) whose pins `viewer` may list, else NotFound.

    The rules (`can_see_board`) see a transient Board holding just the fields they read: loading the whole
    board through the ORM costs more than the rest of a page of pins.
    """
    row = None
    if board_id is not None:
        db.flush()  # as Session.execute would; Core on the connection skips the ORM's execute layer
        row = db.connection().execute(_BOARD_RULE_FIELDS, {"board_id": board_id}).first()
    board = (
        Board(id=row.id, owner_id=row.owner_id, privacy=row.privacy, moderation=row.moderation)
        if row is not None
        else None
    )
    if board is None or not can_see_board(db=db, viewer=viewer, board=board):
        raise NotFound("Board not found.")
    if board.privacy != PUBLIC and not viewer.sees_secret_pins:
        raise NotFound("Board not found.")
    if section_id is not None:
        boards_service.get_section(db=db, board=board, section_id=section_id)
    return board.id


def list_for_board(
    *, db: Session, viewer: Viewer, board_id: int | None, page: PageParams, section_id: int | None = None
) -> Page[Pin]:
    listed = listable_board_id(db=db, viewer=viewer, board_id=board_id, section_id=section_id)
    query = select(Pin).where(Pin.board_id == listed, pin_moderation_clause(viewer))
    if section_id is not None:
        query = query.where(Pin.section_id == section_id)
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Pin.id < cursor)
    rows = list(db.scalars(query.order_by(Pin.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda p: p.id)


def list_for_creator(
    *,
    db: Session,
    viewer: Viewer,
    creator_id: int,
    page: PageParams,
    exclude_repins: bool = False,
    exclude_native: bool = False,
) -> Page[Pin]:
    """Pins a user made or saved that the viewer may see, newest first."""
    query = (
        select(Pin)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.creator_id == creator_id, visible_pins_clause(viewer))
    )
    if exclude_repins:
        query = query.where(Pin.parent_pin_id.is_(None))
    if exclude_native:
        query = query.where(Pin.parent_pin_id.is_not(None))
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Pin.id < cursor)
    rows = list(db.scalars(query.order_by(Pin.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda p: p.id)


def count_visible_for_creator(*, db: Session, viewer: Viewer, creator_id: int) -> int:
    query = (
        select(func.count())
        .select_from(Pin)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.creator_id == creator_id, visible_pins_clause(viewer))
    )
    return int(db.scalar(query) or 0)


def check_can_pin(*, db: Session, viewer: Viewer, board_id: int | None) -> None:
    """Raise unless the viewer may add pins to the board (cheap check before ingesting an image)."""
    access_board_for_pinning(db=db, viewer=viewer, board_id=board_id)
