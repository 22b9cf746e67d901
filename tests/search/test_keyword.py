"""Keyword search on SQLite FTS5, PostgreSQL tsvector and MariaDB FULLTEXT: matching, privacy, freshness."""

from __future__ import annotations

import pytest
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.search.helpers import Maker, find, run_index_jobs, titles

from pinhaven.accounts.scopes import ANONYMOUS, Viewer, session_viewer
from pinhaven.boards import members
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import dialect_name, session_scope
from pinhaven.errors import InvalidInput, NotFound
from pinhaven.pins import service as pins_service
from pinhaven.search.text import backends, fts_mysql, fts_postgres, fts_sqlite

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def viewer(account: Account) -> Viewer:
    return session_viewer(account.user.id)


def test_finds_pins_by_title_description_and_alt_text(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Home")
    make.pin(alice, board, title="Terracotta planter")
    make.pin(alice, board, title="Shelf", description="A walnut shelf for vinyl records")
    make.pin(alice, board, title="Lamp", alt_text="brass reading lamp beside an armchair")
    run_index_jobs(ctx)

    assert titles(find(ctx, ANONYMOUS, "terracotta")) == ["Terracotta planter"]
    assert titles(find(ctx, ANONYMOUS, "walnut records")) == ["Shelf"]
    assert titles(find(ctx, ANONYMOUS, "armchair")) == ["Lamp"]
    assert titles(find(ctx, ANONYMOUS, "walnut armchair")) == []  # every word must match


def test_stemming_and_prefix_matching(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Bathroom ideas")
    make.pin(alice, board, title="Blue tiles for showers")
    make.pin(alice, board, title="Kitchen backsplash")
    run_index_jobs(ctx)

    assert titles(find(ctx, ANONYMOUS, "tile")) == ["Blue tiles for showers"]  # stem
    assert titles(find(ctx, ANONYMOUS, "shower tile")) == ["Blue tiles for showers"]
    assert titles(find(ctx, ANONYMOUS, "kitch")) == ["Kitchen backsplash"]  # prefix
    assert titles(find(ctx, ANONYMOUS, "backspl")) == ["Kitchen backsplash"]


def test_matches_board_name_and_link_domain(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Scandinavian interiors")
    make.pin(alice, board, title="Living room", link="https://www.nordichomes.example/rooms/1")
    other = make.board(alice, "Recipes")
    make.pin(alice, other, title="Soup")
    run_index_jobs(ctx)

    assert titles(find(ctx, ANONYMOUS, "scandinavian")) == ["Living room"]
    assert titles(find(ctx, ANONYMOUS, "nordichomes")) == ["Living room"]
    assert titles(find(ctx, ANONYMOUS, "recipes")) == ["Soup"]


def test_ranks_title_matches_first(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Garden")
    make.pin(alice, board, title="Path", description="stones along a path near the hydrangea bed")
    make.pin(alice, board, title="Hydrangea", description="flowers in bloom")
    run_index_jobs(ctx)

    assert titles(find(ctx, ANONYMOUS, "hydrangea")) == ["Hydrangea", "Path"]


def test_secret_pins_never_appear_or_count_for_others(
    ctx: AppContext, make: Maker, alice: Account, bob: Account
) -> None:
    secret = make.board(alice, "Surprise party", privacy="SECRET")
    for i in range(3):
        make.pin(alice, secret, title=f"Zebra cake {i}")
    public = make.board(bob, "Animals")
    make.pin(bob, public, title="Zebra crossing")
    carol = make_account(ctx, "carol")
    reader = make_account(ctx, "reader", scopes="boards:read,pins:read")  # no read_secret
    run_index_jobs(ctx)

    for outsider in (ANONYMOUS, viewer(bob), viewer(carol)):
        page = find(ctx, outsider, "zebra")
        assert titles(page) == ["Zebra crossing"]
        assert page.total_estimate == 1
    owner = find(ctx, viewer(alice), "zebra")
    assert len(owner.items) == 4 and owner.total_estimate == 4
    # Alice's own token without pins:read_secret does not see her secret pins either.
    alice_reader = Viewer(user_id=alice.user.id, scopes=frozenset({"boards:read", "pins:read"}), via="token")
    assert titles(find(ctx, alice_reader, "zebra")) == ["Zebra crossing"]
    assert (
        find(ctx, Viewer(user_id=reader.user.id, scopes=frozenset({"pins:read"}), via="token"), "cake").items
        == []
    )

    with session_scope(ctx.sessions) as db:
        members.add_collaborator(db=db, viewer=viewer(alice), board_id=secret, username="carol")
    assert find(ctx, viewer(carol), "zebra").total_estimate == 4


def test_secret_pins_do_not_crowd_out_visible_results(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the match cap at 3, Alice's 5 newer secret matches must not push Bob's pin out of his results."""
    public = make.board(bob, "Mine")
    make.pin(bob, public, title="Origami crane")
    secret = make.board(alice, "Hidden", privacy="SECRET")
    for i in range(5):
        make.pin(alice, secret, title=f"Origami fold {i}")
    run_index_jobs(ctx)
    for module in (fts_sqlite, fts_postgres, fts_mysql):
        monkeypatch.setattr(module, "RANK_CAP", 3)

    page = find(ctx, viewer(bob), "origami")
    assert titles(page) == ["Origami crane"] and page.total_estimate == 1


def test_very_common_words_return_newest_matches_unranked(
    ctx: AppContext, make: Maker, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = make.board(alice, "Chairs")
    for i in range(6):
        make.pin(alice, board, title=f"Chair {i}")
    run_index_jobs(ctx)
    for module in (fts_sqlite, fts_postgres, fts_mysql):
        monkeypatch.setattr(module, "RANK_CAP", 4)

    with session_scope(ctx.sessions) as db:
        hits = backends.backend_for(dialect_name(db)).search(
            db, words=["chair"], filters=backends.Filters(viewer=ANONYMOUS), limit=10
        )
    assert hits.capped and hits.total == 5  # counted up to the cap + 1
    page = find(ctx, ANONYMOUS, "chair")
    assert titles(page) == [f"Chair {i}" for i in reversed(range(6))]


def test_filters_by_board_and_by_pinner(ctx: AppContext, make: Maker, alice: Account, bob: Account) -> None:
    alices = make.board(alice, "Lamps")
    make.pin(alice, alices, title="Paper lantern")
    bobs = make.board(bob, "Lights")
    make.pin(bob, bobs, title="Stone lantern")
    run_index_jobs(ctx)

    assert titles(find(ctx, ANONYMOUS, "lantern", board_id=bobs)) == ["Stone lantern"]
    assert titles(find(ctx, ANONYMOUS, "lantern", user_id=alice.user.id)) == ["Paper lantern"]
    assert len(find(ctx, ANONYMOUS, "lantern").items) == 2
    secret = make.board(alice, "Private", privacy="SECRET")
    with pytest.raises(NotFound):
        find(ctx, viewer(bob), "lantern", board_id=secret)


def test_index_follows_pin_create_update_and_delete(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Projects")
    pin_id = make.pin(alice, board, title="Macrame wall hanging")
    assert find(ctx, ANONYMOUS, "macrame").items == []  # not indexed until the job runs
    run_index_jobs(ctx)
    assert titles(find(ctx, ANONYMOUS, "macrame")) == ["Macrame wall hanging"]

    with session_scope(ctx.sessions) as db:
        pins_service.update(db=db, viewer=viewer(alice), pin_id=pin_id, changes={"title": "Woven basket"})
    run_index_jobs(ctx)
    assert find(ctx, ANONYMOUS, "macrame").items == []
    assert titles(find(ctx, ANONYMOUS, "woven")) == ["Woven basket"]

    with session_scope(ctx.sessions) as db:
        pins_service.delete_pin(db=db, viewer=viewer(alice), pin_id=pin_id)
    assert find(ctx, ANONYMOUS, "woven").items == []  # the document goes with the pin, no job needed


def test_index_follows_board_rename_and_privacy_change(
    ctx: AppContext, make: Maker, alice: Account, bob: Account
) -> None:
    board = make.board(alice, "Ceramics")
    make.pin(alice, board, title="Glazed bowl")
    run_index_jobs(ctx)
    assert titles(find(ctx, viewer(bob), "ceramics")) == ["Glazed bowl"]

    with session_scope(ctx.sessions) as db:
        boards_service.update(db=db, viewer=viewer(alice), board_id=board, name="Pottery")
    run_index_jobs(ctx)
    assert find(ctx, viewer(bob), "ceramics").items == []
    assert titles(find(ctx, viewer(bob), "pottery")) == ["Glazed bowl"]

    with session_scope(ctx.sessions) as db:
        boards_service.update(db=db, viewer=viewer(alice), board_id=board, privacy="SECRET")
    # Hidden at once, before the re-index job runs: the privacy rule is part of every query.
    assert find(ctx, viewer(bob), "bowl").items == []
    run_index_jobs(ctx)
    assert find(ctx, viewer(bob), "bowl").items == []
    assert find(ctx, viewer(bob), "bowl").total_estimate == 0
    assert titles(find(ctx, viewer(alice), "bowl")) == ["Glazed bowl"]


def test_pages_through_results_with_bookmarks(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Knots")
    for i in range(7):
        make.pin(alice, board, title=f"Sailing knot {i}")
    run_index_jobs(ctx)

    seen: list[str | None] = []
    bookmark = None
    for _ in range(4):
        page = find(ctx, ANONYMOUS, "knot", page_size=3, bookmark=bookmark)
        seen += titles(page)
        bookmark = page.bookmark
        if bookmark is None:
            break
    assert sorted(seen) == sorted(f"Sailing knot {i}" for i in range(7))
    with pytest.raises(InvalidInput):
        find(ctx, ANONYMOUS, "knot", bookmark="not-a-bookmark")


def test_corrects_a_typo_when_nothing_matches(ctx: AppContext, make: Maker, alice: Account) -> None:
    board = make.board(alice, "Cooking")
    make.pin(alice, board, title="Sourdough starter")
    secret = make.board(alice, "Diary", privacy="SECRET")
    make.pin(alice, secret, title="Xylophone lessons")
    run_index_jobs(ctx)

    page = find(ctx, ANONYMOUS, "sourdugh")
    assert titles(page) == ["Sourdough starter"] and page.corrected_query == "sourdough"
    # Words that occur only on secret boards are never offered as corrections.
    hidden = find(ctx, ANONYMOUS, "xylophon")
    assert hidden.items == [] and hidden.corrected_query is None


def test_rejects_empty_queries(ctx: AppContext) -> None:
    for query in ("", "   ", "?!"):
        with pytest.raises(InvalidInput):
            find(ctx, ANONYMOUS, query)
