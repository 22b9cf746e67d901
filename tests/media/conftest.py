"""Media fixtures: the real local store, a small app serving only the media router, rows for privacy tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import Account

from pinhaven.app import install_error_handlers
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.media import service
from pinhaven.media.api import router
from pinhaven.media.models import MediaImage
from pinhaven.media.store import MediaStore
from pinhaven.pins.models import Pin


@pytest.fixture
def store(ctx: AppContext) -> MediaStore:
    return service.media_store(ctx)


@pytest.fixture
def media_client(ctx: AppContext) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def ingest(ctx: AppContext, data: bytes) -> MediaImage:
    """Upload `data` through the service in its own committed transaction."""
    with session_scope(ctx.sessions) as db:
        return service.ingest_bytes(db=db, store=service.media_store(ctx), settings=ctx.settings, data=data)


@dataclass
class Placed:
    board_id: int
    pin_id: int


def pin_image(ctx: AppContext, owner: Account, image: MediaImage, *, privacy: str = "PUBLIC") -> Placed:
    """A board (public or secret) of `owner` with one pin showing `image`."""
    with session_scope(ctx.sessions) as db:
        name = f"board-{privacy}-{image.id}-{owner.user.id}"
        board = Board(owner_id=owner.user.id, name=name, name_key=name.lower(), privacy=privacy)
        db.add(board)
        db.flush()
        pin = Pin(board_id=board.id, creator_id=owner.user.id, image_id=image.id, title="t")
        db.add(pin)
        db.flush()
        return Placed(board_id=board.id, pin_id=pin.id)
