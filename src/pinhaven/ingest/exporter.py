"""Export a whole account to one zip: profile, boards, sections, pins, saves, follows, products, originals.

The layout is documented in docs/EXPORT.md; `importers_export.ExportSource` reads it back. JSON files are
deflated; images are stored as they are (already compressed). The zip is written to a temporary name and
renamed into place, so a half-written export never looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven import __version__
from pinhaven.accounts.models import User, UserFollow
from pinhaven.boards.models import Board, BoardCollaborator, BoardFollow, BoardSection
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.errors import NotFound
from pinhaven.media import service as media_service
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.pins import products
from pinhaven.pins.models import Pin

__all__ = ["FORMAT", "VERSION", "ExportSummary", "export_account", "image_path"]

FORMAT = "pinhaven-export"
VERSION = 1
PIN_BATCH = 500


@dataclass
class ExportSummary:
    path: str
    boards: int = 0
    sections: int = 0
    pins: int = 0
    images: int = 0
    missing_images: int = 0
    follows: int = 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def image_path(image: MediaImage) -> str:
    """Where an original sits inside the export."""
    return f"originals/{image.sha256}.{variants.ORIGINAL_EXT.get(image.original_format, 'jpg')}"


def _image_entry(image: MediaImage) -> dict[str, Any]:
    return {
        "sha256": image.sha256,
        "path": image_path(image),
        "width": image.width,
        "height": image.height,
        "format": image.original_format,
    }


def _usernames(db: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(set(ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        found.update(
            {uid: name for uid, name in db.execute(select(User.id, User.username).where(User.id.in_(chunk)))}
        )
    return found


def _write_json(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    data = json.dumps(value, ensure_ascii=False, indent=1).encode()
    archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)


def export_account(
    *, ctx: AppContext, user_id: int, out: Path, on_progress: Callable[[int, int], None] | None = None
) -> ExportSummary:
    """Write the user's account to `out` (a zip); `on_progress(done, total)` follows the pins."""
    summary = ExportSummary(path=str(out))
    store = media_service.media_store(ctx)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with (
        ctx.read_sessions() as db,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
    ):
        user = db.get(User, user_id)
        if user is None:
            raise NotFound("User not found.")
        written: set[str] = set()

        def add_image(image: MediaImage) -> str | None:
            path = image_path(image)
            if path in written:
                return path
            data = store.get(variants.original_key(image.sha256, image.original_format))
            if data is None:
                summary.missing_images += 1
                return None
            archive.writestr(path, data, compress_type=zipfile.ZIP_STORED)
            written.add(path)
            summary.images += 1
            return path

        avatar = db.get(MediaImage, user.profile_image_id) if user.profile_image_id else None
        profile = {
            "id": str(user.id),
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "about": user.about,
            "website_url": user.website_url,
            "account_type": user.account_type,
            "interests": user.interests,
            "created_at": _iso(user.created_at),
            "avatar": (_image_entry(avatar) | {"path": add_image(avatar)}) if avatar else None,
        }
        _write_json(archive, "profile.json", profile)

        boards = list(db.scalars(select(Board).where(Board.owner_id == user_id).order_by(Board.id)))
        board_ids = [b.id for b in boards]
        sections = _sections(db, board_ids)
        collaborators = _collaborators(db, board_ids)
        _write_json(
            archive,
            "boards.json",
            [
                {
                    "id": str(b.id),
                    "name": b.name,
                    "description": b.description,
                    "privacy": b.privacy,
                    "created_at": _iso(b.created_at),
                    "cover_pin_id": str(b.cover_pin_id) if b.cover_pin_id else None,
                    "collaborators": collaborators.get(b.id, []),
                    "sections": [
                        {"id": str(s.id), "name": s.name, "created_at": _iso(s.created_at)}
                        for s in sections.get(b.id, [])
                    ],
                }
                for b in boards
            ],
        )
        summary.boards, summary.sections = len(boards), sum(len(v) for v in sections.values())

        total = _count_pins(db, board_ids)
        # pins.jsonl is spooled to a scratch file: a zip accepts no other entry while one is being written.
        lines = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed below, once copied into the zip
        for pins in _pin_batches(db, user_id):
            images = {
                i.id: i
                for i in db.scalars(select(MediaImage).where(MediaImage.id.in_({p.image_id for p in pins})))
            }
            facts = products.for_pins(db=db, pin_ids=[p.id for p in pins])
            parents = {
                p.id: p
                for p in db.scalars(
                    select(Pin).where(Pin.id.in_({p.parent_pin_id for p in pins if p.parent_pin_id}))
                )
            }
            parent_boards = {
                b.id: b
                for b in db.scalars(select(Board).where(Board.id.in_({p.board_id for p in parents.values()})))
            }
            names = _usernames(
                db, [p.creator_id for p in pins] + [b.owner_id for b in parent_boards.values()]
            )
            for pin in pins:
                image = images[pin.image_id]
                entry = _image_entry(image) | {"path": add_image(image)}
                record = _pin_record(pin, entry, facts.get(pin.id), parents, parent_boards, names)
                lines.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
                summary.pins += 1
            if on_progress is not None:
                on_progress(summary.pins, total)
        lines.seek(0)
        with lines, archive.open("pins.jsonl", "w", force_zip64=True) as target:
            shutil.copyfileobj(lines, target)

        followed_users = [
            name
            for (name,) in db.execute(
                select(User.username)
                .join(UserFollow, UserFollow.followee_id == User.id)
                .where(UserFollow.follower_id == user_id)
                .order_by(User.username)
            )
        ]
        followed_boards = [
            {"owner": owner, "name": name}
            for owner, name in db.execute(
                select(User.username, Board.name)
                .join(Board, Board.owner_id == User.id)
                .join(BoardFollow, BoardFollow.board_id == Board.id)
                .where(BoardFollow.user_id == user_id)
                .order_by(User.username, Board.name)
            )
        ]
        _write_json(archive, "follows.json", {"users": followed_users, "boards": followed_boards})
        summary.follows = len(followed_users) + len(followed_boards)
        _write_json(
            archive,
            "manifest.json",
            {
                "format": FORMAT,
                "version": VERSION,
                "generator": f"pinhaven {__version__}",
                "exported_at": utcnow().isoformat(),
                "user": user.username,
                "counts": {
                    "boards": summary.boards,
                    "sections": summary.sections,
                    "pins": summary.pins,
                    "images": summary.images,
                    "missing_images": summary.missing_images,
                    "followed_users": len(followed_users),
                    "followed_boards": len(followed_boards),
                },
            },
        )
    os.replace(partial, out)
    return summary


def _sections(db: Session, board_ids: list[int]) -> dict[int, list[BoardSection]]:
    found: dict[int, list[BoardSection]] = {}
    for start in range(0, len(board_ids), 900):
        chunk = board_ids[start : start + 900]
        for section in db.scalars(
            select(BoardSection).where(BoardSection.board_id.in_(chunk)).order_by(BoardSection.id)
        ):
            found.setdefault(section.board_id, []).append(section)
    return found


def _collaborators(db: Session, board_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for start in range(0, len(board_ids), 900):
        chunk = board_ids[start : start + 900]
        rows = db.execute(
            select(BoardCollaborator.board_id, User.username)
            .join(User, User.id == BoardCollaborator.user_id)
            .where(BoardCollaborator.board_id.in_(chunk))
            .order_by(User.username)
        )
        for board_id, username in rows:
            found.setdefault(board_id, []).append(username)
    return found


def _count_pins(db: Session, board_ids: list[int]) -> int:
    from sqlalchemy import func

    total = 0
    for start in range(0, len(board_ids), 900):
        chunk = board_ids[start : start + 900]
        total += int(db.scalar(select(func.count()).select_from(Pin).where(Pin.board_id.in_(chunk))) or 0)
    return total


def _pin_batches(db: Session, owner_id: int) -> Iterable[list[Pin]]:
    """Every pin on the owner's boards, oldest first (keyset pages, so memory stays flat)."""
    after = 0
    while True:
        pins = list(
            db.scalars(
                select(Pin)
                .join(Board, Board.id == Pin.board_id)
                .where(Board.owner_id == owner_id, Pin.id > after)
                .order_by(Pin.id)
                .limit(PIN_BATCH)
            )
        )
        if not pins:
            return
        yield pins
        after = pins[-1].id


def _pin_record(
    pin: Pin,
    image: dict[str, Any],
    product: products.PinProduct | None,
    parents: dict[int, Pin],
    parent_boards: dict[int, Board],
    names: dict[int, str],
) -> dict[str, Any]:
    parent = None
    if pin.parent_pin_id is not None:
        source = parents.get(pin.parent_pin_id)
        board = parent_boards.get(source.board_id) if source else None
        parent = {
            "pin_id": str(pin.parent_pin_id),
            "board_owner": names.get(board.owner_id) if board else None,
            "board_name": board.name if board else None,
            "link": source.link if source else None,
        }
    return {
        "id": str(pin.id),
        "board_id": str(pin.board_id),
        "section_id": str(pin.section_id) if pin.section_id else None,
        "created_at": _iso(pin.created_at),
        "creator": names.get(pin.creator_id),
        "title": pin.title,
        "description": pin.description,
        "link": pin.link,
        "source_domain": pin.source_domain,
        "alt_text": pin.alt_text,
        "note": pin.note,
        "dominant_color": pin.dominant_color,
        "parent": parent,
        "image": image,
        "product": (
            {
                "price": product.price,
                "currency": product.currency,
                "availability": product.availability,
                "source_url": product.source_url,
            }
            if product
            else None
        ),
    }
