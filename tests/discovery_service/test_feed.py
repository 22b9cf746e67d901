"""The personalised home feed on a small database world."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.discovery_service.helpers import World, ids
from tests.factories import Account, make_account

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import members
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import feed, feed_rank
from pinhaven.discovery.topics import set_interests
from pinhaven.events.models import EngagementEvent
from pinhaven.pins.models import Pin


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def flat(pages: list[list[int]]) -> list[int]:
    return [p for page in pages for p in page]


def test_cold_start_follows_the_picked_topics(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    dinner = world.board(alice, "Weeknight dinner recipes")
    recipes = [world.pin(alice, dinner, f"dish {i}") for i in range(4)]
    misc = world.board(alice, "Misc")
    for i in range(12):  # newer, unrelated pins
        world.pin(alice, misc, f"thing {i}")
    with session_scope(ctx.sessions) as db:
        set_interests(db=db, user_id=bob.user.id, topics=["food", "travel", "art"])
    first = ids(world.feed(bob, page_size=6).items)
    assert set(recipes) <= set(first[:6])


def test_cold_start_from_followed_boards(ctx: AppContext, world: World, alice: Account, bob: Account) -> None:
    followed = world.board(alice, "Followed")
    theirs = [world.pin(alice, followed, f"f{i}") for i in range(3)]
    for i in range(10):
        world.pin(alice, world.board(alice, f"Other {i}"), f"o{i}")
    with session_scope(ctx.sessions) as db:
        members.follow_board(db=db, viewer=session_viewer(bob.user.id), board_id=followed)
    assert set(ids(world.feed(bob, page_size=3).items)) == set(theirs)


def test_followed_people_come_first(ctx: AppContext, world: World, alice: Account, bob: Account) -> None:
    carol = make_account(ctx, "carol")
    theirs = [world.pin(alice, world.board(alice, "Alice's"), f"a{i}") for i in range(1)]
    cb = world.board(carol, "Carol's")
    newer = [world.pin(carol, cb, f"c{i}") for i in range(5)]
    with session_scope(ctx.sessions) as db:
        from pinhaven.accounts.follows import follow_user

        follow_user(db=db, viewer=session_viewer(bob.user.id), username="alice")
    shown = ids(world.feed(bob, page_size=6).items)
    assert shown[0] == theirs[0] and set(newer) <= set(shown)


def test_walks_from_recent_saves_lift_co_saved_pins(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    mixed = world.board(alice, "Everything")
    pasta = [world.pin(alice, mixed, f"pasta {i}") for i in range(5)]
    for i in range(15):
        world.pin(alice, world.board(alice, f"Shelf {i}"), f"unrelated {i}")  # fresher than the pasta
    for name in ("carol", "dan", "erin"):
        who = make_account(ctx, name)
        dinner = world.board(who, "Dinner")
        for p in pasta:
            world.save(who, p, dinner)
    world.save(bob, pasta[0], world.board(bob, "My food"))
    top = ids(world.feed(bob, page_size=6).items)
    assert len(set(top) & set(pasta[1:])) >= 3, top


def test_hidden_pins_and_their_duplicates_never_come_back(world: World, alice: Account, bob: Account) -> None:
    board = world.board(alice, "Things")
    pins = [world.pin(alice, board, f"p{i}") for i in range(6)]
    twin = world.pin(alice, world.board(alice, "Again"), "same image", image="dup")
    hidden = world.pin(alice, board, "to hide", image="dup")
    world.hide(bob, hidden)
    world.hide(bob, pins[2])
    shown = flat(world.scroll(bob, page_size=4))
    assert hidden not in shown and twin not in shown and pins[2] not in shown
    assert set(pins) - {pins[2]} <= set(shown)


def test_pins_hidden_while_scrolling_drop_out_of_later_pages(
    world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Things")
    for i in range(10):
        world.pin(alice, board, f"p{i}")
    first = world.feed(bob, page_size=3)
    with session_scope(world.ctx.read_sessions) as db:
        session = feed.explain_session(world.ctx, db=db, session_id=int(first.request_id or 0))
    later = [p for p, _, _ in session[3:]]
    world.hide(bob, later[0])
    rest = flat([ids(world.feed(bob, page_size=50, bookmark=first.bookmark).items)])
    assert later[0] not in rest and set(later[1:]) <= set(rest)


def test_seen_pins_are_demoted(world: World, alice: Account, bob: Account) -> None:
    board = world.board(alice, "Things")
    for i in range(8):
        world.pin(alice, board, f"p{i}")
    before = ids(world.feed(bob, page_size=8).items)
    top = before[0]
    result = world.events(bob, [{"type": "impression", "pin_id": str(top), "surface": "home", "position": 0}])
    assert result.accepted == 1
    after = ids(world.feed(bob, page_size=8).items)
    assert top in after and after.index(top) > 0


def test_pages_never_repeat_a_pin_and_the_feed_continues_past_one_session(
    ctx: AppContext, world: World, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_rank, "SESSION_SIZE", 12)  # force a continuation session
    boards = [world.board(alice, f"B{i}") for i in range(6)]
    made = [world.pin(alice, boards[i % 6], f"p{i}") for i in range(30)]
    pages = world.scroll(bob, page_size=5)
    first_pass = flat(pages)[: len(made)]
    assert len(first_pass) == len(set(first_pass)) and set(first_pass) == set(made)
    # Then the best older pins again, a pass at a time: never an empty page.
    again = flat(pages)[len(made) : 2 * len(made)]
    assert len(again) == len(set(again)) and set(again) <= set(made)
    assert all(pages) and len(pages) == 40


def test_next_pages_come_from_the_stored_session_in_any_process(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Things")
    for i in range(12):
        world.pin(alice, board, f"p{i}")
    first = world.feed(bob, page_size=5)
    expected = ids(world.feed(bob, page_size=5, bookmark=first.bookmark).items)
    ctx.services.pop("discovery.feed_sessions")  # another process: only the table knows the session
    assert ids(world.feed(bob, page_size=5, bookmark=first.bookmark).items) == expected
    with pytest.raises(Exception, match="bookmark"):
        world.feed(alice, page_size=5, bookmark=first.bookmark)  # not someone else's session


def caps_hold(pins: list[Any], key: str, share: float, free_head: int = 20) -> bool:
    counts: Counter[Any] = Counter()
    for n, pin in enumerate(pins, start=1):
        counts[getattr(pin, key)] += 1
        if max(counts.values()) > math.floor(share * max(n, free_head) + 1e-9):
            return False
    return True


def test_diversity_caps_on_boards_and_creators(ctx: AppContext, world: World, bob: Account) -> None:
    creators = [make_account(ctx, f"maker{i}") for i in range(6)]
    for c in creators[1:]:
        b = world.board(c, "Small")
        for i in range(8):
            world.pin(c, b, f"{c.user.username} {i}")
    big = world.board(creators[0], "Huge board")
    for i in range(40):
        world.pin(creators[0], big, f"big {i}")  # the newest, and half of all pins
    page = world.feed(bob, page_size=40).items
    assert sum(p.board_id == big for p in page) == 8  # the creator cap (20% of 40) binds first
    assert len(page) == 40
    assert caps_hold(page, "board_id", 0.3) and caps_hold(page, "creator_id", 0.2)
    assert len({p.image_id for p in page}) == len(page)


def test_secret_pins_never_reach_another_users_feed(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    public, secret = world.board(alice, "Open"), world.board(alice, "Closed", secret=True)
    shown_ok = [world.pin(alice, public, f"open {i}") for i in range(4)]
    hidden = [world.pin(alice, secret, f"closed {i}") for i in range(4)]
    for p in shown_ok:
        world.save(alice, p, secret)  # co-saved with the secret pins on the secret board
    with session_scope(ctx.sessions) as db:
        from pinhaven.accounts.follows import follow_user

        follow_user(db=db, viewer=session_viewer(bob.user.id), username="alice")
    world.save(bob, shown_ok[0], world.board(bob, "Mine"))
    world.events(bob, [{"type": "closeup", "pin_id": str(p), "surface": "home"} for p in shown_ok])
    shown = flat(world.scroll(bob, page_size=10))
    assert set(shown_ok[1:]) <= set(shown) and not set(hidden) & set(shown)
    with session_scope(ctx.read_sessions) as db:
        secret_saves = set(db.scalars(select(Pin.id).where(Pin.board_id == secret)))
    assert not secret_saves & set(shown)


def test_impressions_record_the_source_and_score(
    client: TestClient, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Things")
    for i in range(5):
        world.pin(alice, board, f"p{i}")
    body = client.get("/ext/v1/feed/home?page_size=3", headers=bob.headers).json()
    assert len(body["items"]) == 3 and body["request_id"]
    shown = body["items"][1]["id"]
    event = {
        "type": "impression",
        "pin_id": shown,
        "surface": "home",
        "position": 1,
        "request_id": body["request_id"],
    }
    assert (
        client.post("/ext/v1/events", json={"events": [event]}, headers=bob.headers).json()["accepted"] == 1
    )
    with world.ctx.sessions() as db:
        meta = db.scalars(select(EngagementEvent.meta)).one()
    assert meta is not None and meta["source"] in ("fresh", "popular", "trending") and meta["rank"] == 1
    assert isinstance(meta["score"], float)


def test_signed_out_api_callers_get_recent_public_pins(
    client: TestClient, world: World, alice: Account
) -> None:
    board = world.board(alice, "Things")
    made = [world.pin(alice, board, f"p{i}") for i in range(3)]
    body = client.get("/ext/v1/feed/home").json()
    assert [i["id"] for i in body["items"]] == [str(p) for p in reversed(made)] and body["request_id"] is None


def test_trending_ranks_recent_engagement_and_skips_secret_pins(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    from pinhaven.db.base import utcnow
    from pinhaven.discovery import sources

    board, secret = world.board(alice, "Open"), world.board(alice, "Closed", secret=True)
    hot, warm, cold = (world.pin(alice, board, t) for t in ("hot", "warm", "cold"))
    hidden = world.pin(alice, secret, "secret hot")

    def engage(pin: int, n: int, who: Account = bob) -> None:
        world.events(
            who, [{"type": "closeup", "pin_id": str(pin), "surface": "home", "position": i} for i in range(n)]
        )

    engage(hot, 5)
    engage(warm, 2)
    engage(hidden, 9, alice)
    with session_scope(ctx.read_sessions) as db:
        ranked = sources.trending(db=db, now=utcnow())
    assert [p for p, _ in ranked] == [hot, warm] and cold not in dict(ranked)
