# ruff: noqa: F811  (pytest fixtures imported from tests/engines are arguments here by design)
"""Semantic text search with `vector_store = database`: MiniLM vectors in pgvector, filters inside the query.

test_semantic.py's tests run here again against the database store (imported, or called for the ones that
are parametrised over the other databases), then what only the shared store has.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.engines.pgvector_server import (  # noqa: F401  (fixtures)
    pgvector_database_url,
    pgvector_migrated_url,
    pgvector_server,
)
from tests.factories import Account
from tests.search import test_semantic
from tests.search.helpers import Maker, find, run_index_jobs, titles
from tests.search.test_semantic import (  # noqa: F401  (collected again here, with the database store)
    model,
    test_answers_keyword_only_while_the_model_loads,
    test_embed_missing_backfills_pins_without_vectors,
    test_finds_a_paraphrase_no_keyword_matches,
    test_vectors_follow_text_changes_only,
)

from pinhaven.accounts.scopes import ANONYMOUS, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.pins import service as pins_service
from pinhaven.search.text import semantic, vectors
from pinhaven.search.text.backends import Filters
from pinhaven.search.vectorstore import text_vector_store
from pinhaven.search.vectorstore.schema import text_vectors
from pinhaven.search.vectorstore.texts import DatabaseTextVectors

pytestmark = pytest.mark.services


@pytest.fixture
def database_url(pgvector_database_url: str) -> str:
    return pgvector_database_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(semantic_search=True, vector_store="database")


def _store(ctx: AppContext) -> DatabaseTextVectors:
    store = text_vector_store(ctx.engine)
    assert store is not None
    return store


def test_semantic_results_respect_privacy(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, model: Any
) -> None:
    test_semantic.test_semantic_results_respect_privacy(ctx, make, alice, bob, model)


def test_vectors_live_in_the_database_and_nothing_is_loaded_into_the_process(
    ctx: AppContext, make: Maker, alice: Account, model: Any
) -> None:
    board = make.board(alice, "Weekend")
    make.pin(alice, board, title="A young dog playing fetch in the park")
    make.pin(alice, board, title="Blue kitchen tiles")
    run_index_jobs(ctx)
    with session_scope(ctx.read_sessions) as db:
        assert db.scalar(select(func.count()).select_from(text_vectors)) == 2
    page = find(ctx, ANONYMOUS, "puppy")
    assert page.mode == "h" and titles(page)[:1] == ["A young dog playing fetch in the park"]
    assert vectors.loaded_index(ctx.engine) is None  # no in-process matrix was built


def test_privacy_and_moves_apply_at_once_inside_the_query(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, model: Any
) -> None:
    pets = make.board(alice, "Pets")
    other = make.board(alice, "Animals")
    make.pin(alice, pets, title="A young dog asleep on the sofa")
    make.pin(bob, make.board(bob, "Cars"), title="Vintage car engine repair")
    run_index_jobs(ctx)
    assert titles(find(ctx, ANONYMOUS, "puppy")) == ["A young dog asleep on the sofa"]
    owner = session_viewer(alice.user.id)
    dog = find(ctx, owner, "puppy").items[0].id
    with session_scope(ctx.sessions) as db:  # no index job runs: the query joins the live pins and boards
        pins_service.update(db=db, viewer=owner, pin_id=dog, changes={"board_id": other})
        boards_service.update(db=db, viewer=owner, board_id=other, privacy="SECRET")
    for outsider in (ANONYMOUS, session_viewer(bob.user.id)):
        page = find(ctx, outsider, "puppy")
        assert page.mode == "h" and page.items == [] and page.total_estimate == 0
    assert find(ctx, owner, "puppy", board_id=pets).items == []
    assert titles(find(ctx, owner, "puppy")) == ["A young dog asleep on the sofa"]


def test_k_results_come_back_when_the_nearest_ones_are_secret(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, model: Any
) -> None:
    hidden = make.board(alice, "Hidden", privacy="SECRET")
    for i in range(30):
        make.pin(alice, hidden, title=f"A puppy asleep on a sofa, photo {i}")
    shown = make.board(bob, "Shown")
    for i in range(12):
        make.pin(bob, shown, title=f"Kitchen shelf idea {i}")
    run_index_jobs(ctx)
    query = semantic.encoder().encode(["puppy asleep on a sofa"])[0]
    store = _store(ctx)
    with session_scope(ctx.read_sessions) as db:
        from sqlalchemy import text

        db.execute(text("SET LOCAL enable_seqscan = off"))  # the HNSW index, not a sequential scan
        outsider = store.nearest(db, query, filters=Filters(viewer=ANONYMOUS), k=10)
        mine = store.nearest(db, query, filters=Filters(viewer=session_viewer(alice.user.id)), k=10)
    assert len(outsider) == 10  # although the 30 nearest are secret
    with session_scope(ctx.read_sessions) as db:
        public_pins = set(pins_service_ids(db, shown))
    assert {p for p, _ in outsider} <= public_pins
    assert not {p for p, _ in mine} & public_pins  # the owner's nearest are the secret puppies
    assert [s for _, s in outsider] == sorted((s for _, s in outsider), reverse=True)
    assert np.isfinite([s for _, s in mine]).all()


def pins_service_ids(db: Any, board_id: int) -> list[int]:
    from pinhaven.pins.models import Pin

    return [int(p) for p in db.scalars(select(Pin.id).where(Pin.board_id == board_id))]
