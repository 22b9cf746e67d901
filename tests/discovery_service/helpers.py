"""A small database world for discovery tests: boards, pins and saves made through the real services.

Images are rows only (no files): discovery never reads pixels, and each distinct `image` label is one
content hash, so two pins given the same label are exact duplicates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tests.factories import Account

from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import feed, related
from pinhaven.discovery.feed import FeedPage
from pinhaven.discovery.related import RelatedPage
from pinhaven.events import service as events_service
from pinhaven.media.models import MediaImage
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service


@dataclass
class World:
    ctx: AppContext
    images: dict[str, int] = field(default_factory=dict)
    _n: int = 0

    def board(self, owner: Account, name: str, *, secret: bool = False) -> int:
        with session_scope(self.ctx.sessions) as db:
            privacy = "SECRET" if secret else "PUBLIC"
            return boards_service.create(db=db, owner_id=owner.user.id, name=name, privacy=privacy).id

    def _image(self, db: Any, label: str | None) -> MediaImage:
        self._n += 1
        label = label or f"image-{self._n}"
        if label in self.images:
            found = db.get(MediaImage, self.images[label])
            assert found is not None
            return found
        image = MediaImage(sha256=hashlib.sha256(label.encode()).hexdigest(), width=100, height=100,
                           original_format="jpeg", byte_size=1000, status="ready")  # fmt: skip
        db.add(image)
        db.flush()
        self.images[label] = image.id
        return image

    def pin(
        self, owner: Account, board_id: int, title: str | None = None, *, image: str | None = None
    ) -> int:
        with session_scope(self.ctx.sessions) as db:
            pin = pins_service.create(
                db=db, viewer=session_viewer(owner.user.id), board_id=board_id, image=self._image(db, image),
                fields=pins_service.PinFields(title=title),
            )  # fmt: skip
            return pin.id

    def save(self, who: Account, pin_id: int, board_id: int) -> int:
        with session_scope(self.ctx.sessions) as db:
            viewer = session_viewer(who.user.id)
            return pins_service.save(
                db=db, viewer=viewer, pin_id=pin_id, board_id=board_id, section_id=None
            ).id

    def hide(self, who: Account, pin_id: int) -> None:
        with session_scope(self.ctx.sessions) as db:
            events_service.hide(db=db, viewer=session_viewer(who.user.id), pin_id=pin_id)

    def events(self, who: Account | None, events: list[dict[str, Any]]) -> events_service.BatchResult:
        from pinhaven.accounts.scopes import ANONYMOUS

        viewer = session_viewer(who.user.id) if who else ANONYMOUS
        with session_scope(self.ctx.sessions) as db:
            return events_service.record_batch(db=db, viewer=viewer, events=events)

    def related(
        self, viewer: Viewer, pin_id: int, *, page_size: int = 25, bookmark: str | None = None
    ) -> RelatedPage:
        with session_scope(self.ctx.read_sessions) as db:
            return related.related_pins(
                self.ctx, db=db, viewer=viewer, pin_id=pin_id, page=PageParams(page_size=page_size, bookmark=bookmark)
            )  # fmt: skip

    def feed(self, who: Account, *, page_size: int = 25, bookmark: str | None = None) -> FeedPage:
        with session_scope(self.ctx.read_sessions) as db:
            return feed.home_feed(
                self.ctx, db=db, viewer=session_viewer(who.user.id),
                page=PageParams(page_size=page_size, bookmark=bookmark),
            )  # fmt: skip

    def scroll(self, who: Account, *, page_size: int = 25, max_pages: int = 40) -> list[list[int]]:
        """Every page of the home feed until the bookmark runs out."""
        pages: list[list[int]] = []
        bookmark = None
        for _ in range(max_pages):
            page = self.feed(who, page_size=page_size, bookmark=bookmark)
            pages.append([p.id for p in page.items])
            bookmark = page.bookmark
            if bookmark is None:
                break
        return pages


def ids(items: list[Any]) -> list[int]:
    return [p.id for p in items]
