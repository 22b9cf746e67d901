"""Saving a link someone already saved: reuse the stored image instead of fetching the page again.

Privacy (why reuse is limited to pins the saver may see): the stored bytes are only what the web site
serves, but *whether* a fetch can be reused tells something — an instant save, the page text as it was
fetched, the image that person picked. If fetches of secret pins were reused, saving a link would reveal
(by its speed, or by the picture it comes back with) that somebody keeps that link on a secret board.
So a fetch is reused only when its pin is visible to the saver (public, or a board they are a member of,
checked with `visible_pins_clause` inside the query): everything reused is then something they can see
already. Pins whose image was uploaded and whose link was typed by hand never serve (only real fetches are
recorded), so a private photo can never come back as "the image of" a public page.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.errors import InvalidInput
from pinhaven.ingest.models import LinkFetch
from pinhaven.ingest.url_rules import Rules
from pinhaven.ingest.urls import normalize_link
from pinhaven.pins.models import Pin

__all__ = ["REUSE_MAX_AGE", "find_reusable", "link_key", "record_fetch"]

REUSE_MAX_AGE = timedelta(days=30)  # older fetches are redone: pages change their pictures


def link_key(link: str) -> str:
    return hashlib.sha256(link.encode()).hexdigest()


def _normalised(url: str, rules: Rules) -> str | None:
    try:
        return normalize_link(url.strip(), drop_params=rules)
    except InvalidInput:
        return None  # the fetch path reports the problem with its own message


def find_reusable(
    *, db: Session, viewer: Viewer, url: str, image_url: str | None, rules: Rules
) -> LinkFetch | None:
    """The newest fetch of this link (or of a page whose canonical link it is) that the saver may reuse."""
    link = _normalised(url, rules)
    if link is None:
        return None
    key = link_key(link)
    picked = (image_url or "").strip() or None
    query = (
        select(LinkFetch)
        .join(Pin, Pin.id == LinkFetch.pin_id)
        .join(Board, Board.id == Pin.board_id)
        .where(
            or_(LinkFetch.request_key == key, LinkFetch.link_key == key),
            LinkFetch.fetched_at >= utcnow() - REUSE_MAX_AGE,
            LinkFetch.had_product.is_(False),
            LinkFetch.image_url == picked if picked else LinkFetch.image_url.is_(None),
            visible_pins_clause(viewer),
        )
        .order_by(LinkFetch.fetched_at.desc())
        .limit(1)
    )
    return db.scalars(query).first()


def record_fetch(
    *,
    db: Session,
    pin: Pin,
    requested_url: str,
    fetched_url: str,
    image_url: str | None,
    fingerprint: int | None,
    title: str | None,
    description: str | None,
    had_product: bool,
    fetched: bool,
    rules: Rules,
) -> LinkFetch | None:
    """Remember a save from a page (in the pin's transaction); None when the URLs cannot be keyed."""
    request = _normalised(requested_url, rules)
    if request is None or pin.link is None:
        return None
    row = LinkFetch(
        pin_id=pin.id,
        image_id=pin.image_id,
        host=(urlsplit(fetched_url).hostname or "")[:255],
        fetched_url=fetched_url,
        request_key=link_key(request),
        link_key=link_key(pin.link),
        link=pin.link,
        image_url=(image_url or "").strip() or None,
        fingerprint=fingerprint,
        title=title,
        description=description,
        had_product=had_product,
        fetched=fetched,
    )
    db.add(row)
    return row
