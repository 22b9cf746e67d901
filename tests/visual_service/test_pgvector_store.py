# ruff: noqa: F811  (pytest fixtures imported from tests/engines are arguments here by design)
"""Visual search with `vector_store = database`: pgvector in PostgreSQL (the `pgserver` test engine).

The suites of this package run here again, unchanged, against the database store (imported below), then
what only the shared store has: the privacy filter inside the HNSW query, several hosts (contexts with their
own, fresh data folders) sharing vectors, the whitening and its refits, and duplicate groups.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from tests.conftest import POSTGRES_ADMIN_URL, service_unavailable
from tests.engines.pgvector_server import (  # noqa: F401  (fixtures)
    PgvectorServer,
    pgvector_database_url,
    pgvector_migrated_url,
    pgvector_server,
)
from tests.factories import Account, image_bytes
from tests.visual_service.helpers import board, corpus, pin, transformed, upload_search

# The package's suites, collected again in this module with the database store (their own fixtures below).
from tests.visual_service.test_canonical_groups import (  # noqa: F401
    test_an_image_bridging_two_groups_merges_them_under_the_oldest,
    test_pin_stats_per_group_count_only_pins_the_owner_may_see,
    test_regroup_recomputes_groups_from_stored_vectors,
)
from tests.visual_service.test_duplicate_groups import test_search_pages_show_one_pin_per_picture  # noqa: F401
from tests.visual_service.test_reindex_and_urls import (  # noqa: F401
    test_reindex_command_shows_progress,
    test_reindex_refits_whitening_and_skips_done_images,
)
from tests.visual_service.test_visual_pages import (  # noqa: F401
    test_pages_carry_the_visual_widgets_and_the_session_can_search,
    test_pin_page_shows_other_saves_of_the_same_picture,
)
from tests.visual_service.test_visual_search_api import (  # noqa: F401
    test_bad_input_is_a_400_naming_the_cause,
    test_board_clusters_group_visual_copies,
    test_crop_search_finds_pins_showing_that_region,
    test_duplicates_lists_exact_and_near_copies,
    test_embed_job_fills_the_table_and_the_index,
    test_one_pin_per_image_and_the_visible_one,
    test_secret_pins_never_appear_even_for_the_identical_image,
    test_upload_finds_the_transformed_copy_first,
)

from pinhaven.accounts.scopes import ANONYMOUS, session_viewer
from pinhaven.app import create_app
from pinhaven.config import ConfigError, Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import make_engine, session_scope
from pinhaven.db.migrate import upgrade
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin
from pinhaven.search.vectorstore.coordination import refit_lock
from pinhaven.search.vectorstore.images import DatabaseImageVectors
from pinhaven.search.vectorstore.schema import schema_ready, visual_vectors
from pinhaven.search.visual import handlers
from pinhaven.search.visual.groups import group_ids
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import ImageVisibility, visual_service, whitening_path

pytestmark = pytest.mark.services


@pytest.fixture
def database_url(pgvector_database_url: str) -> str:
    return pgvector_database_url


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(vector_store="database")


@pytest.fixture
def second_host(settings: Settings, tmp_path: Path) -> Iterator[AppContext]:
    """Another host of the same instance: same database and media store, its own empty data folder."""
    other = settings.with_overrides(
        data_dir=tmp_path / "host-b", media_dir=settings.resolved_media_dir, secret_key=settings.secret_key
    )
    context = build_context(other)
    yield context
    context.engine.dispose()


def _image_id(ctx: AppContext, pin_id: str) -> int:
    with session_scope(ctx.read_sessions) as db:
        image_id = db.scalar(select(Pin.image_id).where(Pin.id == int(pin_id)))
    assert image_id is not None
    return int(image_id)


def _vector_rows(ctx: AppContext, model_id: str | None = None) -> int:
    with session_scope(ctx.read_sessions) as db:
        query = select(func.count()).select_from(visual_vectors)
        if model_id is not None:
            query = query.where(visual_vectors.c.model_id == model_id)
        return int(db.scalar(query) or 0)


def test_the_service_uses_the_database_store_and_writes_vectors_with_their_rows(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    corpus(ctx, client, alice, range(4))
    service = visual_service(ctx)
    assert isinstance(service.index, DatabaseImageVectors) and len(service.index) == 4
    assert _vector_rows(ctx, service.model_id) == 4
    assert not (ctx.settings.data_dir / "visual" / "index").exists()  # nothing per host
    with session_scope(ctx.sessions) as db:  # the foreign key: a deleted embedding takes its vector along
        db.execute(ImageEmbedding.__table__.delete())
    assert _vector_rows(ctx) == 0


def test_many_secret_neighbours_never_take_result_slots(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    secret_board = board(client, alice, "Private", privacy="SECRET")
    secrets = [pin(client, alice, secret_board, seed)["id"] for seed in range(24)]
    public = corpus(ctx, client, bob, range(100, 112))
    service = visual_service(ctx)
    query = service.index.vectors([_image_id(ctx, secrets[0])])[_image_id(ctx, secrets[0])]
    secret_images = {_image_id(ctx, p) for p in secrets}
    public_images = {_image_id(ctx, p) for p in public.values()}
    for viewer in (ANONYMOUS, session_viewer(bob.user.id)):
        with session_scope(ctx.read_sessions) as db:
            # no sequential scan: the HNSW index must be what finds them, filter inside its scan
            db.execute(text("SET LOCAL enable_seqscan = off"))
            hits = service.index.search(query, 10, visible=ImageVisibility(db, viewer))
        assert len(hits) == 10  # k rows although the 24 nearest are all secret
        assert {i for i, _ in hits} <= public_images and not {i for i, _ in hits} & secret_images
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    with session_scope(ctx.read_sessions) as db:
        owner = ImageVisibility(db, session_viewer(alice.user.id))
        mine = service.index.search(query, 5, visible=owner)
    assert mine[0][0] == _image_id(ctx, secrets[0]) and mine[0][1] == pytest.approx(1.0, abs=1e-5)
    assert set(owner.pins) == {i for i, _ in mine}  # results map to the owner's pins


def test_a_second_host_with_a_fresh_data_folder_sees_the_same_vectors_and_whitening(
    ctx: AppContext,
    client: TestClient,
    alice: Account,
    second_host: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handlers, "FIT_MIN_IMAGES", 8)
    pins = corpus(ctx, client, alice, range(12))  # crosses 8: refitted (on this host) by the same drain
    fitted = visual_service(ctx)
    assert fitted.model_id.startswith("builtin-v1-")
    assert not whitening_path(second_host).exists()
    rebuilds: list[int] = []
    monkeypatch.setattr(DatabaseImageVectors, "rebuild", lambda *_: rebuilds.append(1))
    other = visual_service(second_host)  # the whitening comes from the database
    assert whitening_path(second_host).exists() and other.model_id == fitted.model_id
    assert len(other.index) == 12 and not rebuilds
    with TestClient(create_app(ctx=second_host), raise_server_exceptions=False) as client_b:
        items = upload_search(client_b, transformed(7)).json()["items"]
    assert items[0]["id"] == pins[7]


def test_one_refit_at_a_time_and_every_host_switches_to_its_result(
    ctx: AppContext,
    client: TestClient,
    alice: Account,
    second_host: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus(ctx, client, alice, range(10))
    raw_model = visual_service(second_host).model_id
    with refit_lock(ctx) as mine:  # this host refits ...
        assert mine
        with pytest.raises(handlers.RefitBusy):  # ... so the other may not
            handlers.reindex(second_host, min_fit_images=8)
        handlers.refit_job(second_host, {})  # a refit job there is a no-op, not a failure
    assert visual_service(second_host).model_id == raw_model
    report = handlers.reindex(second_host, min_fit_images=8)  # lock free: the other host refits
    assert report.refitted and report.model_id != raw_model
    # The first host follows the database: it asks whether the whitening changed at most once a second.
    deadline = time.monotonic() + 5
    while visual_service(ctx).model_id != report.model_id and time.monotonic() < deadline:
        time.sleep(0.1)
    assert visual_service(ctx).model_id == report.model_id
    assert whitening_path(ctx).read_bytes() == whitening_path(second_host).read_bytes()
    assert _vector_rows(ctx, raw_model) == 0 and _vector_rows(ctx, report.model_id) == 10


def test_a_pending_whitening_left_by_a_crashed_host_is_resumed_elsewhere(
    ctx: AppContext,
    client: TestClient,
    alice: Account,
    second_host: AppContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus(ctx, client, alice, range(10))
    original_fit = handlers._fit

    def fit_then_crash(*args: object, **kwargs: object) -> bool:
        assert original_fit(*args, **kwargs)  # type: ignore[arg-type]
        raise SystemExit("host died after fitting")

    monkeypatch.setattr(handlers, "_fit", fit_then_crash)
    with pytest.raises(SystemExit):
        handlers.reindex(ctx, min_fit_images=8)
    monkeypatch.setattr(handlers, "_fit", original_fit)
    pending = whitening_path(ctx, pending=True).read_bytes()
    assert not whitening_path(second_host, pending=True).exists()
    assert handlers.refit_due(second_host)  # it learns of the pending file from the database
    report = handlers.reindex(second_host, refit=True, min_fit_images=8)
    assert report.embedded == 10 and whitening_path(second_host).read_bytes() == pending


def test_copies_embedded_on_two_hosts_join_one_group(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, second_host: AppContext
) -> None:
    original = pin(client, alice, board(client, alice, "Lakes"), seed=3)
    drain(ctx)
    with TestClient(create_app(ctx=second_host), raise_server_exceptions=False) as client_b:
        copy = pin(client_b, bob, board(client_b, bob, "Cabins"), seed=3, title="same picture, new upload")
        near = client_b.post(
            "/v5/pins",
            json={
                "board_id": board(client_b, bob, "More"),
                "media_source": {
                    "source_type": "image_base64",
                    "content_type": "image/jpeg",
                    "data": __import__("base64").b64encode(transformed(3)).decode(),
                },
            },
            headers=bob.headers,
        ).json()
        drain(second_host)
    ids = [_image_id(ctx, p) for p in (original["id"], copy["id"], near["id"])]
    with session_scope(ctx.read_sessions) as db:
        groups = group_ids(db, ids)
    assert len(set(groups.values())) == 1


def test_settings_and_start_up_refuse_a_database_without_pgvector(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_settings(env={"PINHAVEN_VECTOR_STORE": "database"}, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="local or database"):
        load_settings(env={"PINHAVEN_VECTOR_STORE": "faiss"}, data_dir=tmp_path)
    schema = f"t_{uuid.uuid4().hex[:12]}"  # the machine's PostgreSQL 15 has no pgvector
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        service_unavailable("PostgreSQL at 127.0.0.1:5432", exc)
    try:
        url = f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
        plain = load_settings(env={}, data_dir=tmp_path, database_url=url, secret_key="k")
        engine = make_engine(url)
        upgrade(engine)  # migration 0006 leaves a server without pgvector untouched
        with engine.connect() as conn:
            assert not schema_ready(conn)
            assert conn.scalar(text("SELECT to_regclass('visual_vectors')")) is None
        engine.dispose()
        with pytest.raises(ConfigError, match="pgvector extension"):
            build_context(plain.with_overrides(vector_store="database"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_default_install_gets_no_vector_tables(tmp_path: Path, pgvector_migrated_url: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    engine.dispose()
    assert not tables & {"visual_vectors", "search_text_vectors", "visual_model_files"}
    pg = make_engine(pgvector_migrated_url)  # ... while the pgvector server got them from migration 0006
    with pg.connect() as conn:
        assert schema_ready(conn)
    pg.dispose()


def test_identical_secret_image_is_absent_for_outsiders_in_upload_search(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    corpus(ctx, client, bob, range(30, 45))
    secret_board = board(client, alice, "Hidden", privacy="SECRET")
    secret = pin(client, alice, secret_board, seed=77)
    drain(ctx)
    for headers in ({}, bob.headers):
        items = upload_search(client, image_bytes(seed=77), headers, limit=10).json()["items"]
        assert secret["id"] not in [i["id"] for i in items] and len(items) == 10


def test_reindex_says_so_when_another_host_is_refitting(ctx: AppContext, settings: Settings) -> None:
    from typer.testing import CliRunner

    from pinhaven.cli import app

    env = {
        "PINHAVEN_DATA_DIR": str(settings.data_dir),
        "PINHAVEN_DATABASE_URL": settings.resolved_database_url,
        "PINHAVEN_VECTOR_STORE": "database",
        "PINHAVEN_SECRET_KEY": "test-secret-key",
    }
    with refit_lock(ctx) as mine:  # another host holds the refit
        assert mine
        result = CliRunner().invoke(app, ["reindex"], env=env)
    assert result.exit_code == 1, result.output
    assert "another host is refitting" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
