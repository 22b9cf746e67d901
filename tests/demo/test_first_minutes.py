"""The first minutes with the demo: signing in lands on a feed (the demo account has interests), not on the
topic picker; the feed shows the demo's public pictures and never another person's secret ones."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from tests.web.helpers import WebClient, pin_ids

from pinhaven.accounts.models import User
from pinhaven.app import create_app
from pinhaven.boards.models import Board
from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.demo.content import load_demo
from pinhaven.demo.plan import DEMO_PASSWORD, DEMO_USERNAME, USERS
from pinhaven.discovery.topics import BY_KEY
from pinhaven.pins.models import Pin


def test_signing_in_to_the_demo_lands_on_a_feed_not_the_topic_picker(tmp_path: Path) -> None:
    settings = load_settings(
        env={},
        data_dir=tmp_path,
        password_hash_fast=True,
        worker_threads=0,
        secret_key="k",
        semantic_search=False,
    )
    ctx = build_context(settings)
    try:
        load_demo(ctx, pins=60, seed=7, jobs=1, process_images=False)
        with ctx.sessions() as db:
            interests = dict(db.execute(select(User.username, User.interests)).tuples().all())
            others_secret = set(
                db.scalars(
                    select(Pin.id)
                    .join(Board, Board.id == Pin.board_id)
                    .join(User, User.id == Board.owner_id)
                    .where(Board.privacy != "PUBLIC", User.username != DEMO_USERNAME)
                )
            )
        assert all(interests[u.username] == list(u.interests) for u in USERS)  # every demo person picked
        assert all(k in BY_KEY for u in USERS for k in u.interests) and len(USERS[0].interests) >= 3
        visitor = WebClient(create_app(ctx=ctx))
        visitor.login(DEMO_USERNAME, DEMO_PASSWORD)
        home = visitor.get("/").text
        assert "What are you into?" not in home
        shown = pin_ids(home)
        assert len(shown) >= 20  # a full first page
        assert not {int(p) for p in shown} & others_secret
        # a second run (the demo already loaded) keeps the interests and still says so
        load_demo(ctx, pins=60, seed=7, jobs=1, process_images=False)
        assert "What are you into?" not in visitor.get("/").text
    finally:
        ctx.engine.dispose()
