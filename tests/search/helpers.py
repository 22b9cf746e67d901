"""Test data for text search: boards and pins made through the real services; index jobs run by the worker."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

from tests.factories import Account

from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.media.models import MediaImage
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service
from pinhaven.search.text import service as text_search
from pinhaven.search.text.service import PinSearchPage

SEARCH_JOBS = ["search.index_pin", "search.index_board", "search.embed_pin"]
_images = itertools.count()


@dataclass
class Maker:
    """Creates boards and pins as a given account, through the boards and pins services."""

    ctx: AppContext

    def board(
        self, owner: Account, name: str, privacy: str = "PUBLIC", description: str | None = None
    ) -> int:
        with session_scope(self.ctx.sessions) as db:
            board = boards_service.create(
                db=db, owner_id=owner.user.id, name=name, privacy=privacy, description=description
            )
            return board.id

    def pin(self, owner: Account, board_id: int, **fields: str) -> int:
        with session_scope(self.ctx.sessions) as db:
            image = MediaImage(
                sha256=hashlib.sha256(f"image-{next(_images)}".encode()).hexdigest(),
                width=100,
                height=100,
                original_format="jpeg",
                byte_size=1000,
                status="ready",
            )
            db.add(image)
            db.flush()
            pin = pins_service.create(
                db=db,
                viewer=session_viewer(owner.user.id),
                board_id=board_id,
                image=image,
                fields=pins_service.PinFields(**fields),
            )
            return pin.id


def run_index_jobs(ctx: AppContext) -> int:
    """Run queued search jobs the way a worker does (other kinds, e.g. media.process, stay queued)."""
    return drain(ctx, kinds=SEARCH_JOBS)


def find(
    ctx: AppContext,
    viewer: Viewer,
    query: str,
    *,
    page_size: int = 25,
    bookmark: str | None = None,
    **filters: int,
) -> PinSearchPage:
    """search_pins in its own transaction, as a request would run it."""
    with session_scope(ctx.read_sessions) as db:
        return text_search.search_pins(
            db=db,
            viewer=viewer,
            query=query,
            page=PageParams(page_size=page_size, bookmark=bookmark),
            **filters,
        )


def titles(page: PinSearchPage) -> list[str | None]:
    return [pin.title for pin in page.items]
