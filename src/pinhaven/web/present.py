"""Rows → what the templates show: pin cards, board cards, people. Images carry their variant sizes.

Every `<img>` gets width/height from the computed variant sizes (so the masonry never shifts while images
load), a srcset over the variant ladder, the image's dominant colour as placeholder, and alt text.
URLs are relative (`/media/...`), so pages work behind any host name.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.accounts.present import profile_image_url
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.models import Board
from pinhaven.boards.present import board_previews
from pinhaven.media.models import MediaImage
from pinhaven.media.service import image_urls
from pinhaven.pins import products
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pins
from pinhaven.pins.schemas import PinRead

CARD_KEYS = ("236x", "474x")
CLOSEUP_KEYS = ("474x", "736x", "1200x")


@dataclass(frozen=True)
class Picture:
    """One `<img>`: fallback src, srcset, intrinsic size, placeholder colour and alt text."""

    src: str
    srcset: str
    width: int
    height: int
    color: str | None
    alt: str


@dataclass(frozen=True)
class PinCard:
    id: str
    url: str
    title: str | None
    creator: str
    picture: Picture
    price: str | None = None  # product pins: "$12.50"
    promoted_by: str | None = None  # promoted pins (ads): the advertiser's username


@dataclass(frozen=True)
class BoardCard:
    id: str
    name: str
    url: str
    secret: bool
    pin_count: int
    owner: str
    cover: Picture | None
    thumbs: list[Picture]


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    avatar: str
    initial: str
    tone: int  # which of the CSS avatar colours to use when there is no picture


def pin_alt(read: PinRead) -> str:
    """Alt text: the pin's own, else its title or description, else who saved it."""
    for text in (read.alt_text, read.title, read.description):
        if text and text.strip():
            return text.strip()[:300]
    creator = read.creator.username if read.creator else read.board_owner.username
    return f"Pin saved by {creator}"


def _picture(
    urls: dict[str, dict[str, int | str]], keys: Sequence[str], main: str, color: str | None, alt: str
) -> Picture:
    seen: dict[int, str] = {}
    for key in keys:  # small images repeat widths (nothing is upscaled): keep one candidate per width
        seen.setdefault(int(urls[key]["width"]), str(urls[key]["url"]))
    srcset = ", ".join(f"{url} {width}w" for width, url in sorted(seen.items()))
    chosen = urls[main]
    return Picture(str(chosen["url"]), srcset, int(chosen["width"]), int(chosen["height"]), color, alt)


def _read_picture(read: PinRead, keys: Sequence[str], main: str) -> Picture:
    urls: dict[str, dict[str, int | str]] = {
        key: {"width": d.width, "height": d.height, "url": d.url} for key, d in read.media.images.items()
    }
    return _picture(urls, keys, main, read.dominant_color, pin_alt(read))


def pin_cards(*, db: Session, viewer: Viewer, pins: Sequence[Pin]) -> list[PinCard]:
    """Grid cards for pins the viewer may see (the caller filtered them), via the /v5 presenter."""
    facts = products.shown_for_pins(db=db, viewer=viewer, pins=pins)
    return [
        PinCard(
            id=read.id,
            url=f"/pin/{read.id}",
            title=read.title,
            creator=read.creator.username if read.creator else read.board_owner.username,
            picture=_read_picture(read, CARD_KEYS, "236x"),
            price=products.price_label(facts.get(pin.id)),
        )
        for pin, read in zip(pins, present_pins(db=db, viewer=viewer, pins=pins, base_url=""), strict=True)
    ]


def closeup_picture(read: PinRead) -> Picture:
    """The pin page's large image (736 px, with 474/1200 in the srcset)."""
    return _read_picture(read, CLOSEUP_KEYS, "736x")


def image_picture(image: MediaImage, key: str, alt: str) -> Picture:
    urls = image_urls(image, base_url="")
    return _picture(urls, (key,), key, image.dominant_color, alt)


def board_cards(*, db: Session, boards: Sequence[Board]) -> list[BoardCard]:
    """Board cards: a cover (the chosen cover pin, else the newest) and three more thumbnails."""
    previews = board_previews(db, [b.id for b in boards])
    owners: dict[int, str] = {}
    cards = []
    for board in boards:
        if board.owner_id not in owners:
            owner = accounts_service.get(db=db, user_id=board.owner_id)
            owners[board.owner_id] = owner.username if owner else ""
        images = previews.get(board.id, [])
        cover_pair = next(
            (pair for pair in images if pair[0] == board.cover_pin_id), images[0] if images else None
        )
        rest = [img for pid, img in images if cover_pair is None or pid != cover_pair[0]][:3]
        cards.append(
            BoardCard(
                id=str(board.id),
                name=board.name,
                url=f"/board/{board.id}",
                secret=board.privacy != "PUBLIC",
                pin_count=max(board.pin_count, 0),
                owner=owners[board.owner_id],
                cover=image_picture(cover_pair[1], "400x300", f"Cover of the board {board.name}")
                if cover_pair
                else None,
                thumbs=[
                    image_picture(img, "150x150", f"Pin {i} on the board {board.name}")
                    for i, img in enumerate(rest, start=2)
                ],
            )
        )
    return cards


def person(db: Session, user: User) -> Person:
    name = user.display_name or user.username
    return Person(
        username=user.username,
        display_name=name,
        avatar=profile_image_url(db, user, "", "150x150"),
        initial=name[:1].upper(),
        tone=zlib.crc32(user.username.lower().encode()) % 8,
    )


def people(db: Session, users: Sequence[User]) -> list[Person]:
    return [person(db, user) for user in users]


@dataclass(frozen=True)
class BoardChoice:
    """A board the user may pin to, with its sections (the save dialog and pin builder pickers)."""

    id: str
    name: str
    secret: bool
    sections: list[tuple[str, str]]


def board_choices(*, db: Session, user_id: int) -> list[BoardChoice]:
    from pinhaven.boards import service as boards_service

    boards = boards_service.list_member_boards(db=db, user_id=user_id)
    sections = boards_service.sections_by_board(db=db, board_ids=[b.id for b in boards])
    return [
        BoardChoice(
            id=str(b.id),
            name=b.name,
            secret=b.privacy != "PUBLIC",
            sections=[(str(s.id), s.name) for s in sections.get(b.id, [])],
        )
        for b in boards
    ]
