"""Rows → v5 Pin responses: one query brings a page's images, board owners and creators along with its pins.

Two outputs of one shape: `present_pins` gives `PinRead` models (for pages and endpoints that extend them);
`board_page_json` renders a board's page straight to JSON bytes, the hot path of the API (no ORM objects,
no pydantic models: the values come from our own rows, re-validating them costs more than the query).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.models import Board
from pinhaven.boards.schemas import Owner
from pinhaven.media.models import MediaImage
from pinhaven.media.service import image_urls, public_base_url
from pinhaven.pagination import PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin
from pinhaven.pins.schemas import ImageDetails, PinMedia, PinRead
from pinhaven.timefmt import iso

_BoardOwner = aliased(User, name="board_owner")
_Creator = aliased(User, name="creator")

# A pin's own values, in the order `_pin_dict` unpacks them (a Pin's attributes of the same names).
_PIN_COLUMNS = (
    Pin.id,
    Pin.created_at,
    Pin.link,
    Pin.title,
    Pin.description,
    Pin.dominant_color,
    Pin.alt_text,
    Pin.creative_type,
    Pin.board_id,
    Pin.section_id,
    Pin.creator_id,
    Pin.parent_pin_id,
    Pin.is_standard,
    Pin.note,
    Pin.source_domain,
    Pin.save_count,
)
# What a pin's response needs besides the pin itself (follows `_PIN_COLUMNS` in `_pin_dict`).
_EXTRA_COLUMNS = (
    Board.owner_id.label("owner_id"),
    _BoardOwner.username.label("owner_name"),
    _Creator.username.label("creator_name"),
    MediaImage.sha256.label("image_sha256"),
    MediaImage.width.label("image_width"),
    MediaImage.height.label("image_height"),
    MediaImage.original_format.label("image_format"),
    MediaImage.status.label("image_status"),
    MediaImage.failure_reason.label("image_failure_reason"),
    Board.privacy.label("board_privacy"),  # public boards' images may use the public media base (a CDN)
)


def _with_extras(statement: Select[Any]) -> Select[Any]:
    return (
        statement.join(Board, Board.id == Pin.board_id)
        .join(MediaImage, MediaImage.id == Pin.image_id)
        .outerjoin(_BoardOwner, _BoardOwner.id == Board.owner_id)
        .outerjoin(_Creator, _Creator.id == Pin.creator_id)
    )


# Built once: SQLAlchemy memoises a statement's cache key, so executing it again skips compilation entirely.
_EXTRAS_BY_PIN = _with_extras(select(Pin.id, *_EXTRA_COLUMNS)).where(
    Pin.id.in_(bindparam("pin_ids", expanding=True))
)


@lru_cache(maxsize=4)
def _board_page_statement(in_section: bool, after_bookmark: bool) -> Select[Any]:
    # Shared by every viewer (and cached): pins under moderation are left out for all, their owners
    # included (they see them, with a notice, on the pin's own page and in their settings).
    statement = _with_extras(select(*_PIN_COLUMNS, *_EXTRA_COLUMNS)).where(
        Pin.board_id == bindparam("board_id"), Pin.moderation == 0
    )
    if in_section:
        statement = statement.where(Pin.section_id == bindparam("section_id"))
    if after_bookmark:
        statement = statement.where(Pin.id < bindparam("before"))
    return statement.order_by(Pin.id.desc()).limit(bindparam("limit"))


def present_pins(
    *, db: Session, viewer: Viewer, pins: Sequence[Pin], base_url: str, metrics: bool = False
) -> list[PinRead]:
    """v5 Pin objects for `pins` (the caller has already checked visibility); `metrics`: v5 pin_metrics=true."""
    if not pins:
        return []
    extras = {row[0]: row[1:] for row in db.execute(_EXTRAS_BY_PIN, {"pin_ids": list({p.id for p in pins})})}
    values = [(*_pin_values(pin), *extras[pin.id]) for pin in pins]
    reads = [_as_model(_pin_dict(v, _is_owner(v, viewer), base_url)) for v in values]
    if metrics:  # counters for the pins the viewer owns, null for the others
        from pinhaven.events.service import pin_metrics

        found = pin_metrics(db=db, viewer=viewer, pins=pins)
        for pin, read in zip(pins, reads, strict=True):
            read.pin_metrics = found[pin.id]
    return reads


def pins_json(
    *, db: Session, viewer: Viewer, pins: Sequence[Pin], base_url: str, metrics: bool = False
) -> list[bytes]:
    """`present_pins` as JSON bytes, one per pin (the caller has checked visibility): for list endpoints,
    which then skip the per-pin pydantic models and FastAPI's validate-then-serialise of the page. Each
    pin's bytes come from the `_pin_json` cache; `metrics` splices v5 pin_metrics in."""
    if not pins:
        return []
    extras = {row[0]: row[1:] for row in db.execute(_EXTRAS_BY_PIN, {"pin_ids": list({p.id for p in pins})})}
    public_base = public_base_url(True)
    items = []
    for pin in pins:
        values = (*_pin_values(pin), *extras[pin.id])
        items.append(_pin_json(values, _is_owner(values, viewer), base_url, public_base))
    if metrics:
        from pinhaven.events.service import pin_metrics

        found = pin_metrics(db=db, viewer=viewer, pins=pins)
        items = [
            item.replace(_NO_METRICS, b'"pin_metrics":' + to_json(found[pin.id]), 1)
            if found[pin.id]
            else item
            for pin, item in zip(pins, items, strict=True)
        ]
    return items


_NO_METRICS = b'"pin_metrics":null'  # inside JSON strings quotes are escaped: only the key itself matches


def present_pin(*, db: Session, viewer: Viewer, pin: Pin, base_url: str, metrics: bool = False) -> PinRead:
    return present_pins(db=db, viewer=viewer, pins=[pin], base_url=base_url, metrics=metrics)[0]


def board_page_json(
    *, db: Session, viewer: Viewer, board_id: int, section_id: int | None, page: PageParams, base_url: str
) -> bytes:
    """A v5 PinPage of the board's (or section's) pins, newest first, as JSON; visibility checked by the caller."""
    before = bookmark_int(page.bookmark)
    params: dict[str, Any] = {"board_id": board_id, "limit": page.page_size + 1}
    if section_id is not None:
        params["section_id"] = section_id
    if before is not None:
        params["before"] = before
    statement = _board_page_statement(section_id is not None, before is not None)
    # On the connection: a read-only page has nothing to flush, and Core rows skip the ORM's result layer.
    rows = db.connection().execute(statement, params).all()
    result = page_from_rows(rows, page.page_size, lambda row: row[0])
    public_base = public_base_url(True)  # part of the cache key: a changed setting must not serve stale URLs
    items = [_pin_json(tuple(row), _is_owner(row, viewer), base_url, public_base) for row in result.items]
    return page_json(items, result.bookmark)


def board_page_items(
    *, db: Session, board_id: int, section_id: int | None, page: PageParams, base_url: str
) -> tuple[list[tuple[bytes, int | None, int | None]], str | None]:
    """A board page as no particular viewer sees it, for caching (pins.board_pages): each pin's JSON with
    `is_owner` false, plus the two users it is true for (creator, board owner); and the next bookmark."""
    before = bookmark_int(page.bookmark)
    params: dict[str, Any] = {"board_id": board_id, "limit": page.page_size + 1}
    if section_id is not None:
        params["section_id"] = section_id
    if before is not None:
        params["before"] = before
    statement = _board_page_statement(section_id is not None, before is not None)
    rows = db.connection().execute(statement, params).all()
    result = page_from_rows(rows, page.page_size, lambda row: row[0])
    return [
        (board_page_item_json(tuple(row), base_url), row[_CREATOR_AT], row[_OWNER_AT]) for row in result.items
    ], result.bookmark


def board_page_item_json(values: tuple[Any, ...], base_url: str) -> bytes:
    """One pin of a board page, rendered for a viewer who owns it not (the same bytes the page holds)."""
    return _pin_json(values, False, base_url, public_base_url(True))


def page_json(items: list[bytes], bookmark: str | None) -> bytes:
    """A v5 page from items already in JSON: the same bytes `to_json` gives for the whole page."""
    return b'{"items":[' + b",".join(items) + b'],"bookmark":' + to_json(bookmark) + b"}"


@lru_cache(maxsize=2048)
def _pin_json(values: tuple[Any, ...], is_owner: bool, base_url: str, public_base: str) -> bytes:
    # A pure function of the pin's row: a pin on a popular page is serialised once, not on every view.
    # It stays in process memory, not in the shared cache (`pinhaven.cache`): keyed by every value the JSON
    # is made of, an entry can never be stale, so no host needs to hear of writes; and a Redis round trip
    # (~0.1 ms) would cost more than the serialisation it saves (~10 µs). What goes stale when rows change,
    # a whole board page, is cached in `pins.board_pages` under the board's generation instead.
    return to_json(_pin_dict(values, is_owner, base_url))


_pin_values = attrgetter(*(column.key for column in _PIN_COLUMNS))
_CREATOR_AT = [column.key for column in _PIN_COLUMNS].index("creator_id")
_OWNER_AT = len(_PIN_COLUMNS)  # the first of the `_EXTRA_COLUMNS`


def _is_owner(values: Sequence[Any], viewer: Viewer) -> bool:
    return viewer.user_id is not None and viewer.user_id in (values[_CREATOR_AT], values[_OWNER_AT])


def _pin_dict(values: Sequence[Any], is_owner: bool, base_url: str) -> dict[str, Any]:
    """A pin in the v5 shape (keys in `PinRead` order) from its `_PIN_COLUMNS` + `_EXTRA_COLUMNS` values."""
    (
        pin_id,
        created_at,
        link,
        title,
        description,
        dominant_color,
        alt_text,
        creative_type,
        board_id,
        section_id,
        _creator_id,
        parent_pin_id,
        is_standard,
        note,
        source_domain,
        save_count,
        _owner_id,
        owner_name,
        creator_name,
        image_sha256,
        image_width,
        image_height,
        image_format,
        image_status,
        image_failure_reason,
        board_privacy,
    ) = values
    return {
        "id": str(pin_id),
        "created_at": iso(created_at),
        "link": link,
        "title": title,
        "description": description,
        "dominant_color": dominant_color,
        "alt_text": alt_text,
        "creative_type": creative_type,
        "board_id": str(board_id),
        "board_section_id": str(section_id) if section_id is not None else None,
        "board_owner": {"username": owner_name or ""},
        "is_owner": is_owner,
        "media": _media(
            image_sha256,
            image_width,
            image_height,
            image_format,
            base_url,
            public_base_url(board_privacy == "PUBLIC"),
        ),
        "parent_pin_id": str(parent_pin_id) if parent_pin_id is not None else None,
        "is_standard": is_standard,
        "has_been_promoted": False,
        "note": note,
        "pin_metrics": None,
        "source_domain": source_domain,
        "save_count": save_count,
        "creator": {"username": creator_name or ""},
        "image_status": image_status,
        "image_failure_reason": image_failure_reason,
    }


@lru_cache(maxsize=8192)
def _media(
    sha256: str, width: int, height: int, original_format: str, base_url: str, public_base: str
) -> dict[str, Any]:
    # Shared between responses: only ever serialised, never changed (`_as_model` copies it).
    image = MediaImage(sha256=sha256, width=width, height=height, original_format=original_format)
    return {"media_type": "image", "images": image_urls(image, base_url=base_url, public=bool(public_base))}


# Defaults `PinRead` fills in itself: left out so the model's fields-set stays what the fields were given.
_MODEL_DEFAULTS = frozenset({"has_been_promoted", "pin_metrics"})


def _as_model(fields: dict[str, Any]) -> PinRead:
    images = {key: ImageDetails.model_construct(**value) for key, value in fields["media"]["images"].items()}
    values = {key: value for key, value in fields.items() if key not in _MODEL_DEFAULTS}
    values["board_owner"] = Owner.model_construct(**fields["board_owner"])
    values["creator"] = Owner.model_construct(**fields["creator"])
    values["media"] = PinMedia.model_construct(media_type="image", images=images)
    return PinRead.model_construct(**values)
