"""Board pages (`GET /v5/boards/{id}/pins`, the API's hottest read) served from the instance's cache.

One entry per (board, section, bookmark, page size, base URL), shared by every viewer: it holds each pin's JSON
as a viewer who owns none of them sees it, with the two users who do own it (creator, board owner), and
`is_owner` is switched on for those at serving time. Access to the board is checked on every request by the
caller, from the database: a board made secret is refused at once, whatever the cache holds.

Entries are versioned by the board's content generation (`boards.service.board_content_generation`), bumped
after the commit of every write that changes what the page shows: pins added, moved, edited or deleted, the
board's privacy or name, its pins' save counts, an image finishing processing. With Redis a bump is seen by
every host on its next request. A few changes bump nothing and show up within `TTL_SECONDS`: an image whose
processing failed, a user renamed. In process, the board generation is one stamp per host (any board's write drops every page).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic_core import to_json
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.service import board_content_generation
from pinhaven.cache import Cache
from pinhaven.pagination import PageParams, bookmark_int, encode_bookmark
from pinhaven.pins.present import board_page_items, page_json

__all__ = ["TTL_SECONDS", "cached_board_page_json"]

TTL_SECONDS = 10.0
_NOT_OWNER = b'"is_owner":false'  # inside JSON strings quotes are escaped: only the key itself matches
_OWNER = b'"is_owner":true'


def _key(board_id: int, section_id: int | None, page: PageParams, base_url: str) -> str:
    bookmark = bookmark_int(page.bookmark)  # validated (400 on a bad one) and canonical
    site = hashlib.sha256(base_url.encode()).hexdigest()[:12]  # any Host header: keep keys short
    return f"boardpage:{board_id}:{section_id or ''}:{bookmark or ''}:{page.page_size}:{site}"


def _encode(items: list[tuple[bytes, int | None, int | None]], next_id: int | None) -> bytes:
    header = to_json({"n": next_id, "i": [[creator, owner, len(item)] for item, creator, owner in items]})
    return header + b"\n" + b"".join(item for item, _, _ in items)


def _decode(value: bytes) -> tuple[list[tuple[bytes, int | None, int | None]], int | None]:
    header_bytes, _, body = value.partition(b"\n")
    header: dict[str, Any] = json.loads(header_bytes)
    items, at = [], 0
    for creator, owner, length in header["i"]:
        items.append((body[at : at + length], creator, owner))
        at += length
    return items, header.get("n")  # (an entry from before signed bookmarks has none: one short page)


def cached_board_page_json(
    cache: Cache,
    *,
    db: Session,
    viewer: Viewer,
    board_id: int,
    section_id: int | None,
    page: PageParams,
    base_url: str,
) -> bytes:
    """The v5 PinPage of a board (or section) the caller has checked the viewer may list."""
    key = _key(board_id, section_id, page, base_url)
    value, generation = cache.get_versioned(key, board_content_generation(board_id))
    if value is not None:
        items, next_id = _decode(value)
    else:
        items, bookmark = board_page_items(
            db=db, board_id=board_id, section_id=section_id, page=page, base_url=base_url
        )
        # The keyset value is cached, not the bookmark: a bookmark is signed for the path that asked.
        next_id = bookmark_int(bookmark)
        cache.set_versioned(key, generation, _encode(items, next_id), TTL_SECONDS)
    bookmark = encode_bookmark([next_id]) if next_id is not None else None
    me = viewer.user_id
    rendered = [
        item.replace(_NOT_OWNER, _OWNER, 1) if me is not None and me in (creator, owner) else item
        for item, creator, owner in items
    ]
    return page_json(rendered, bookmark)
