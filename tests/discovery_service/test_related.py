"""Related pins on a small database world: co-saved neighbours first, privacy, duplicates, hides, paging."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.discovery_service.helpers import World, ids
from tests.factories import Account, make_account

from pinhaven.accounts.scopes import ANONYMOUS, session_viewer
from pinhaven.context import AppContext
from pinhaven.errors import NotFound


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def test_neighbours_come_from_co_saved_boards(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    """Three people save the pasta pins together. All sit on one board where the plants are newer, so
    same-board recency alone would put plants first: only the walks over co-saves lift the pasta."""
    mixed = world.board(alice, "Everything")
    pasta = [world.pin(alice, mixed, f"pasta {i}") for i in range(4)]
    plants = [world.pin(alice, mixed, f"plant {i}") for i in range(8)]
    for n, name in enumerate(("carol", "dan", "erin")):
        who = make_account(ctx, name)
        mine = world.board(who, "Dinner")
        for p in pasta:
            world.save(who, p, mine)
        world.save(who, plants[n], world.board(who, "Yard"))
    page = world.related(session_viewer(bob.user.id), pasta[0], page_size=10)
    shown = ids(page.items)
    assert pasta[0] not in shown
    # The co-saved pictures lead (as alice's pin or a saved copy: the caps spread results across people).
    lead = {p.image_id for p in page.items[:3]}
    assert lead == set(_images(world, pasta[1:]))
    assert not lead & set(_images(world, plants))


def _images(world: World, pin_ids: list[int]) -> list[int]:
    from sqlalchemy import select

    from pinhaven.db.engine import session_scope
    from pinhaven.pins.models import Pin

    with session_scope(world.ctx.read_sessions) as db:
        return [int(i) for i in db.scalars(select(Pin.image_id).where(Pin.id.in_(pin_ids)))]


def test_secret_pins_never_appear_even_as_the_strongest_neighbour(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    public = world.board(alice, "Public")
    secret = world.board(alice, "Secret plans", secret=True)
    query = world.pin(alice, public, "query")
    hidden = world.pin(alice, secret, "surprise")
    for name in ("carol", "dan"):
        who = make_account(ctx, name)
        mine = world.board(who, "Mixed")
        world.save(who, query, mine)
    for _ in range(3):  # the owner saves both, again and again, into public boards
        board = world.board(alice, f"Both {_}")
        world.save(alice, query, board)
        world.save(alice, hidden, board)
    for viewer in (session_viewer(bob.user.id), ANONYMOUS):
        shown = ids(world.related(viewer, query, page_size=50).items)
        assert hidden not in shown
    with pytest.raises(NotFound):
        world.related(session_viewer(bob.user.id), hidden)


def test_exact_duplicates_are_removed(world: World, alice: Account, bob: Account) -> None:
    board = world.board(alice, "Kitchens")
    query = world.pin(alice, board, "tiles", image="tiles.jpg")
    copy_of_query = world.pin(alice, world.board(alice, "Again"), "tiles again", image="tiles.jpg")
    twins = [world.pin(alice, board, f"shelf {i}", image="shelf.jpg") for i in range(3)]
    others = [world.pin(alice, board, f"other {i}") for i in range(4)]
    shown = ids(world.related(session_viewer(bob.user.id), query, page_size=50).items)
    assert copy_of_query not in shown
    assert len(set(shown) & set(twins)) == 1  # one pin per image
    assert set(others) <= set(shown)


def test_pages_never_repeat_and_hidden_pins_are_left_out(world: World, alice: Account, bob: Account) -> None:
    board = world.board(alice, "Big board")
    pins = [world.pin(alice, board, f"pin {i}") for i in range(30)]
    world.hide(bob, pins[5])
    viewer = session_viewer(bob.user.id)
    seen: list[int] = []
    page = world.related(viewer, pins[0], page_size=7)
    request_id = page.request_id
    seen += ids(page.items)
    while page.bookmark:
        page = world.related(viewer, pins[0], page_size=7, bookmark=page.bookmark)
        assert page.request_id == request_id
        seen += ids(page.items)
    assert len(seen) == len(set(seen)) == 28
    assert pins[5] not in seen and pins[0] not in seen


def test_related_api_returns_v5_pins_and_a_bookmark(
    client: TestClient, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Kitchens")
    pins = [world.pin(alice, board, f"k{i}") for i in range(5)]
    first = client.get(f"/ext/v1/pins/{pins[0]}/related?page_size=3", headers=bob.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["items"]) == 3 and body["bookmark"] and body["request_id"]
    assert {"id", "media", "board_id", "creator"} <= set(body["items"][0])
    rest = client.get(f"/ext/v1/pins/{pins[0]}/related", params={"bookmark": body["bookmark"]}).json()
    assert {i["id"] for i in body["items"]} | {i["id"] for i in rest["items"]} == {str(p) for p in pins[1:]}
    assert client.get("/ext/v1/pins/999/related").status_code == 404
    assert client.get(f"/ext/v1/pins/{pins[0]}/related?bookmark=nonsense").status_code == 400
