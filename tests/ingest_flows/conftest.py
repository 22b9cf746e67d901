"""Fixtures: a local fake web (pages, images, a Pinry API) that the fetcher may reach, and small helpers.

Settings allow 127.0.0.0/8 (tests parametrize `fetch_networks` indirectly to take that away) and turn
semantic search off, so running the job queue never loads a language model.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.ingest_flows.fake_web import FakeWeb, serve
from tests.web.helpers import WebClient

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.models import Board
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.pins.models import Pin


@pytest.fixture
def fetch_networks(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return tuple(getattr(request, "param", ("127.0.0.0/8",)))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fetch_networks: tuple[str, ...]) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        secret_key="test-secret-key",
        fetch_allow_networks=tuple(ip_network(n) for n in fetch_networks),
        fetch_timeout_seconds=5.0,
        semantic_search=False,
    )


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with serve() as site:
        yield site


@pytest.fixture
def visitor(app: FastAPI) -> WebClient:
    return WebClient(app)


@pytest.fixture
def ann(app: FastAPI) -> WebClient:
    """A signed-up web visitor (session cookie + CSRF token, like a browser)."""
    client = WebClient(app)
    client.signup("ann")
    return client


def make_board(ctx: AppContext, user_id: int, name: str, privacy: str = "PUBLIC") -> int:
    with session_scope(ctx.sessions) as db:
        return boards_service.create(db=db, owner_id=user_id, name=name, privacy=privacy).id


def make_section(ctx: AppContext, user_id: int, board_id: int, name: str) -> int:
    with session_scope(ctx.sessions) as db:
        viewer = session_viewer(user_id)
        return boards_service.create_section(db=db, viewer=viewer, board_id=board_id, name=name).id


def pins_by_board(ctx: AppContext, user_id: int) -> dict[str, list[Pin]]:
    """The user's pins grouped by board name, oldest first."""
    with ctx.sessions() as db:
        rows = db.execute(
            select(Board.name, Pin)
            .join(Board, Board.id == Pin.board_id)
            .where(Board.owner_id == user_id)
            .order_by(Pin.id)
        ).all()
    grouped: dict[str, list[Pin]] = {}
    for name, pin in rows:
        grouped.setdefault(name, []).append(pin)
    return grouped
