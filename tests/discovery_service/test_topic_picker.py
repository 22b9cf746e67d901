"""The first minutes: the topic picker is a grid of picture tiles (public pins only), bad picks are 4xx,
and choosing topics changes the very next feed page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests.web.helpers import WebClient, pin_ids

from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery.topics import forget_covers
from pinhaven.media.models import MediaImage
from pinhaven.pins.models import Pin

TILE = re.compile(r'<label class="topic-chip topic-tile".*?value="(\w+)".*?</label>', re.DOTALL)


@pytest.fixture(autouse=True)
def _fresh_covers() -> None:
    forget_covers()


def tiles(html: str) -> dict[str, str | None]:
    """topic key → the image sha256 its tile shows (None: a tile without a picture)."""
    found: dict[str, str | None] = {}
    for match in TILE.finditer(html):
        sha = re.search(r'<img src="/media/\w\w/(\w{64})/', match.group(0))
        found[match.group(1)] = sha.group(1) if sha else None
    return found


def image_shas(ctx: AppContext, pin_ids_: list[str]) -> set[str]:
    with ctx.sessions() as db:
        query = select(MediaImage.sha256).join(Pin, Pin.image_id == MediaImage.id)
        return set(db.scalars(query.where(Pin.id.in_([int(p) for p in pin_ids_]))))


def test_the_picker_is_picture_tiles_of_public_pins_never_secret_ones(
    ctx: AppContext, ann: WebClient, ben: WebClient
) -> None:
    public = ann.create_board("Weeknight dinner")
    shown = [ann.upload(public, seed=i, title="Dinner")["id"] for i in range(2)]
    secret = ann.create_board("Secret food recipes", secret=True)
    hidden = [ann.upload(secret, seed=10 + i, title="Food recipe dessert")["id"] for i in range(3)]
    forget_covers()  # signing up showed the (then empty) picker: the covers of a fresh instance are cached
    page = ben.get("/").text
    found = tiles(page)
    assert len(found) == 12 and 'name="topic" value="food"' in page  # every topic has a tile
    assert found["food"] in image_shas(ctx, shown)  # the topic's picture comes from a public pin
    assert found["fitness"] is None  # nothing public about fitness yet: a plain tile
    assert not image_shas(ctx, hidden) & {s for s in found.values() if s}
    # the owner of the secret board sees the same public covers on the full picker page
    assert not image_shas(ctx, hidden) & {s for s in tiles(ann.get("/welcome/topics").text).values() if s}


def test_a_board_made_secret_stops_lending_its_picture_at_once(
    ctx: AppContext, ann: WebClient, ben: WebClient
) -> None:
    board = ann.create_board("Beach travel")
    made = [ann.upload(board, seed=i)["id"] for i in range(2)]
    forget_covers()
    assert tiles(ben.get("/welcome/topics").text)["travel"] in image_shas(ctx, made)  # cached now
    with session_scope(ctx.sessions) as db:
        row = db.get(Board, int(board))
        assert row is not None
        row.privacy = "SECRET"
    assert tiles(ben.get("/welcome/topics").text)["travel"] is None  # the cached candidate is re-checked


def test_bad_picks_are_clear_4xx_errors(ben: WebClient) -> None:
    unknown = ben.post("/welcome/topics", {"topic": ["food", "art", "nonsense"]})
    assert unknown.status_code == 400 and "unknown topic" in unknown.text
    too_few = ben.post("/welcome/topics", {"topic": ["food"]})
    assert too_few.status_code == 400 and "topic-tile" in too_few.text  # the tiles come back with the error
    too_long = ben.post("/welcome/topics", {"topic": ["x" * 200, "art", "food"]})
    assert 400 <= too_long.status_code < 500


def _share(page: list[str], chosen: set[str]) -> float:
    return sum(p in chosen for p in page) / max(len(page), 1)


def test_choosing_topics_changes_the_very_next_feed_page(
    ctx: AppContext, ann: WebClient, ben: WebClient
) -> None:
    in_topics: set[str] = set()
    seed = 0
    for name, chosen in (
        ("Food recipes", True),
        ("Garden plants", True),
        ("Travel trips", True),
        ("Fitness workout", False),
        ("Wedding party", False),
        ("Beauty makeup", False),
        ("Photo camera", False),
        ("Diy crafts", False),
    ):
        board = ann.create_board(name)
        for _ in range(6):
            pin = ann.upload(board, seed=seed)["id"]
            seed += 1
            if chosen:
                in_topics.add(pin)
    before = pin_ids(ben.get("/").text)
    assert before, "the feed of a new person is never empty when public pins exist"
    done = ben.post("/welcome/topics", {"topic": ["food", "garden", "travel"], "next": "/"})
    assert done.status_code == 303
    after = pin_ids(ben.get("/").text)
    share_before, share_after = _share(before, in_topics), _share(after, in_topics)
    assert share_after > share_before and share_after >= 0.6, (share_before, share_after)
    assert set(after[:10]) <= in_topics  # the first screen is the chosen topics
