"""The DB-backed pin–board graph: start-up build, incremental updates, and convergence across processes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from tests.discovery_service.helpers import World
from tests.factories import Account

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery.graph_store import GraphStore
from pinhaven.discovery.models import GraphChange
from pinhaven.discovery.service import graph_store
from pinhaven.pins import service as pins_service


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def test_build_links_pins_to_boards_and_saves_to_the_savers_boards(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    kitchens = world.board(alice, "Kitchens")
    secret = world.board(alice, "Hidden", secret=True)
    tiles, shelves = world.pin(alice, kitchens), world.pin(alice, kitchens)
    hidden = world.pin(alice, secret)
    ideas = world.board(bob, "Ideas")
    repin = world.save(bob, tiles, ideas)
    world.save(alice, tiles, secret)  # a save into a secret board links nothing
    store = GraphStore(ctx.read_sessions)
    store.build()
    graph = store.graph
    assert graph.boards_of(tiles) == sorted([kitchens, ideas])  # the original reaches the saver's board
    assert graph.boards_of(repin) == [ideas]
    assert graph.pins_of(ideas) == sorted([tiles, repin])
    assert graph.boards_of(shelves) == [kitchens]
    assert graph.pin_index(hidden) == -1 and graph.pins_of(secret) == []


def test_local_writes_are_visible_to_the_next_read(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Kitchens")
    first = world.pin(alice, board)
    store = graph_store(ctx)
    assert store.current().boards_of(first) == [board]
    second = world.pin(alice, board)
    assert store.current().pins_of(board) == sorted([first, second])
    ideas = world.board(bob, "Ideas")
    repin = world.save(bob, second, ideas)
    assert store.current().boards_of(second) == sorted([board, ideas])
    with session_scope(ctx.sessions) as db:  # deleting the save unlinks the original from bob's board
        pins_service.delete_pin(db=db, viewer=session_viewer(bob.user.id), pin_id=repin)
    assert store.current().boards_of(second) == [board]
    assert store.current().pin_index(repin) == -1
    other = world.board(alice, "Other")
    with session_scope(ctx.sessions) as db:  # a move relinks
        pins_service.update(
            db=db, viewer=session_viewer(alice.user.id), pin_id=first, changes={"board_id": other}
        )
    assert store.current().boards_of(first) == [other]


def test_privacy_changes_take_pins_out_of_the_graph_and_back(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Soon secret")
    pin = world.pin(alice, board)
    ideas = world.board(bob, "Ideas")
    repin = world.save(bob, pin, ideas)
    store = graph_store(ctx)
    assert store.current().boards_of(pin) == sorted([board, ideas])

    def set_privacy(privacy: str) -> None:
        with session_scope(ctx.sessions) as db:
            boards_service.update(
                db=db, viewer=session_viewer(alice.user.id), board_id=board, privacy=privacy
            )

    set_privacy("SECRET")
    graph = store.current()
    assert graph.pin_index(pin) == -1 and graph.pins_of(board) == []
    assert graph.pins_of(ideas) == [repin]  # bob's save stays, unlinked from the now-secret original
    set_privacy("PUBLIC")
    assert store.current().boards_of(pin) == sorted([board, ideas])


def test_another_process_converges_through_the_change_log(
    ctx: AppContext, world: World, alice: Account
) -> None:
    board = world.board(alice, "Kitchens")
    pin = world.pin(alice, board)
    other = GraphStore(ctx.read_sessions)  # another process: it only sees the database
    other.build()
    late = world.pin(alice, board)
    with session_scope(ctx.sessions) as db:
        boards_service.update(db=db, viewer=session_viewer(alice.user.id), board_id=board, name="Kitchens 2")
    assert other.graph.pin_index(late) == -1
    assert other.refresh() >= 2  # the new pin and the board change
    assert other.graph.pins_of(board) == sorted([pin, late])
    assert other.refresh() == 0  # applied rows are not applied again


def test_rolled_back_writes_log_nothing(ctx: AppContext, world: World, alice: Account) -> None:
    board = world.board(alice, "Kitchens")
    with ctx.sessions() as db:
        before = db.scalar(select(func.count()).select_from(GraphChange))
    with pytest.raises(RuntimeError), session_scope(ctx.sessions) as db:
        pins_service.create(db=db, viewer=session_viewer(alice.user.id), board_id=board,
                            image=world._image(db, None), fields=pins_service.PinFields())  # fmt: skip
        raise RuntimeError("abort")
    with ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(GraphChange)) == before


def test_stale_graph_never_leaks_through_related(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    """A board made secret by a process whose change this one has not applied yet: the DB filter holds."""
    kitchens = world.board(alice, "Kitchens")
    originals = [world.pin(alice, kitchens) for _ in range(3)]
    ideas = world.board(bob, "Ideas")
    probe = world.pin(bob, ideas)
    for pin in originals:
        world.save(bob, pin, ideas)  # links the originals to bob's board: the probe's neighbours
    store = graph_store(ctx)
    assert set(originals) <= set(store.current().pins_of(ideas))
    with session_scope(ctx.sessions) as db:  # behind the pipeline's back: no change-log row
        db.execute(update(Board).where(Board.id == kitchens).values(privacy="SECRET"))
    assert set(originals) <= set(store.current().pins_of(ideas))  # the graph still links them
    shown = [p.id for p in world.related(session_viewer(bob.user.id), probe).items]
    assert shown and not set(shown) & set(originals)
