# ruff: noqa: F811  (test parameters named after the imported `s3_settings` fixture)
"""Media on S3 (a real SeaweedFS from tests/engines/seaweed.py): the store contract, the media service and
API suites re-run with `media_store=s3://...`, the cross-host on-demand render, the sweep, public URLs.

The `settings` fixture below overrides the package one: every test here (including the ones imported from
test_media_api / test_media_service) builds its context on a fresh bucket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401
from tests.factories import Account, make_account
from tests.media import craft
from tests.media import test_media_api as api_suite
from tests.media import test_media_service as service_suite
from tests.media.conftest import ingest, pin_image

from pinhaven.accounts.scopes import ANONYMOUS
from pinhaven.app import install_error_handlers
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.media import service, variants
from pinhaven.media.api import router
from pinhaven.media.models import MediaImage
from pinhaven.media.store import MediaStore, StoredObject
from pinhaven.media.store_s3 import S3MediaStore
from pinhaven.media.sweeper import sweep_if_due
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pins


def _settings(env: dict[str, str], data_dir: Path, database_url: str, **extra: Any) -> Settings:
    return load_settings(
        env=env,
        data_dir=data_dir,
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="test-secret-key",
        **extra,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_settings: dict[str, str]) -> Settings:
    return _settings(s3_settings, tmp_path / "data", database_url)


# The media service and API suites, unchanged, on the S3 store (the local-only store-identity test excepted).
for _suite in (api_suite, service_suite):
    for _name in dir(_suite):
        if _name.startswith("test_") and _name != "test_media_store_is_created_once_per_context":
            globals()[f"{_name}_on_s3"] = getattr(_suite, _name)
public_image = api_suite.public_image
secret_image = api_suite.secret_image


def _media_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".webp", ".jpg", ".png")]


def test_s3_is_the_contexts_store_and_nothing_lands_in_the_data_dir(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    store = service.media_store(ctx)
    assert isinstance(store, S3MediaStore) and store.prefix == "media/"
    image = ingest(ctx, craft.encode(craft.photo((800, 600)), "JPEG"))
    pin_image(ctx, alice, image)
    from pinhaven.jobs.worker import drain

    drain(ctx)
    for key in ("236x", "474x", "originals"):
        response = client.get(service.variant_url(image, key, base_url=""))
        assert response.status_code == 200, key
    assert store.stat(variants.variant_key(image.sha256, "474x", "webp")) is not None
    assert _media_files(ctx.settings.data_dir) == []


# --- the store contract ---------------------------------------------------------------------------------


@pytest.fixture
def s3_store(ctx: AppContext) -> MediaStore:
    return service.media_store(ctx)


def test_put_get_stat_delete(s3_store: MediaStore) -> None:
    assert isinstance(s3_store, MediaStore)
    s3_store.put("ab/x/236x.webp", b"hello")
    assert s3_store.get("ab/x/236x.webp") == b"hello"
    found = s3_store.stat("ab/x/236x.webp")
    assert found is not None and found.size == 5 and abs(found.modified - time.time()) < 60
    assert s3_store.get("ab/x/missing.webp") is None and s3_store.stat("ab/x/missing.webp") is None
    assert s3_store.delete("ab/x/236x.webp") is True
    assert s3_store.delete("ab/x/236x.webp") is False
    with pytest.raises(ValueError):
        s3_store.put("../escape", b"x")


def test_put_on_an_existing_key_keeps_it_and_refreshes_its_time(s3_store: MediaStore) -> None:
    s3_store.put("ab/y/original.jpg", b"first")
    before = s3_store.stat("ab/y/original.jpg")
    time.sleep(1.1)
    s3_store.put("ab/y/original.jpg", b"second")  # content-addressed: the same key never changes bytes
    after = s3_store.stat("ab/y/original.jpg")
    assert s3_store.get("ab/y/original.jpg") == b"first"
    assert before is not None and after is not None and after.modified >= before.modified + 1


def test_move_keeps_the_time_and_listing_hides_the_trash(s3_store: MediaStore) -> None:
    s3_store.put("ab/z/236x.jpg", b"z")
    stamp = s3_store.stat("ab/z/236x.jpg")
    time.sleep(1.1)
    assert s3_store.move("ab/z/236x.jpg", ".trash/ab/z/236x.jpg") is True
    moved = s3_store.stat(".trash/ab/z/236x.jpg")
    assert stamp is not None and moved is not None and moved.modified == pytest.approx(stamp.modified)
    assert s3_store.get("ab/z/236x.jpg") is None
    assert s3_store.move("ab/z/236x.jpg", ".trash/elsewhere") is False
    assert [o.key for o in s3_store.iter_objects()] == []
    assert [o.key for o in s3_store.iter_objects(".trash/")] == [".trash/ab/z/236x.jpg"]


def test_iter_objects_pages_through_every_key(s3_store: MediaStore) -> None:
    assert isinstance(s3_store, S3MediaStore)
    keys = [f"cd/k{i:04d}/236x.webp" for i in range(25)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3_store.put(k, b"."), keys))
    pages = s3_store.client.get_paginator("list_objects_v2")  # the store pages 1,000 at a time; prove paging
    seen = [
        item["Key"]
        for page in pages.paginate(Bucket=s3_store.bucket, Prefix="media/", PaginationConfig={"PageSize": 7})
        for item in page.get("Contents", [])
    ]
    assert len(seen) == 25
    listed: list[StoredObject] = list(s3_store.iter_objects("cd/"))
    assert sorted(o.key for o in listed) == keys and all(o.size == 1 for o in listed)


def test_discard_stale_writes_aborts_old_multipart_uploads(s3_store: MediaStore) -> None:
    assert isinstance(s3_store, S3MediaStore)
    s3_store.client.create_multipart_upload(Bucket=s3_store.bucket, Key="media/exports/x.zip")
    assert s3_store.discard_stale_writes(time.time() - 3600) == 0  # still young
    assert s3_store.discard_stale_writes(time.time() + 60) == 1
    assert s3_store.discard_stale_writes(time.time() + 60) == 0


# --- sweep ----------------------------------------------------------------------------------------------


def test_sweep_deletes_orphans_in_the_bucket_and_keeps_claimed_files(ctx: AppContext) -> None:
    store = service.media_store(ctx)
    image = ingest(ctx, craft.encode(craft.photo((500, 400)), "JPEG"))
    orphan = "ee/" + "e" * 64 + "/236x.webp"
    store.put(orphan, b"orphan")
    later = time.time() + 2 * 3600  # both files are past the one-hour grace period
    report = service.sweep_orphans(sessions=ctx.sessions, store=store, now=later)
    assert report.deleted == [orphan]
    assert store.get(orphan) is None
    assert store.get(variants.original_key(image.sha256, image.original_format)) is not None
    assert list(store.iter_objects(".trash/")) == []


def test_periodic_sweep_runs_once_per_interval_across_processes(
    tmp_path: Path, database_url: str, s3_settings: dict[str, str]
) -> None:
    first = build_context(
        _settings(s3_settings, tmp_path / "a", database_url, media_sweep_interval_seconds=3600)
    )
    second = build_context(
        _settings(s3_settings, tmp_path / "b", database_url, media_sweep_interval_seconds=3600)
    )
    try:
        assert sweep_if_due(first, holder="host-a") is not None
        assert sweep_if_due(second, holder="host-b") is None  # swept within the interval by host-a
        assert sweep_if_due(first, holder="host-a") is None
    finally:
        first.engine.dispose()
        second.engine.dispose()


# --- two hosts, one database, one bucket -----------------------------------------------------------------


def _media_app(ctx: AppContext) -> FastAPI:
    app = FastAPI()
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(router)
    return app


@pytest.fixture
def two_hosts(
    tmp_path: Path, database_url: str, s3_settings: dict[str, str]
) -> Iterator[tuple[AppContext, AppContext]]:
    host_a = build_context(_settings(s3_settings, tmp_path / "host-a", database_url))
    host_b = build_context(_settings(s3_settings, tmp_path / "host-b", database_url))
    yield host_a, host_b
    host_a.engine.dispose()
    host_b.engine.dispose()


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_a_cold_variant_is_rendered_once_across_hosts(
    two_hosts: tuple[AppContext, AppContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    host_a, host_b = two_hosts
    owner = make_account(host_a, "alice")
    image = ingest(host_a, craft.encode(craft.photo((1400, 1000), seed=3), "JPEG"))  # uploaded through A only
    pin_image(host_a, owner, image)
    renders: list[str] = []
    real_render = variants.render

    def counting_render(*args: Any, **kwargs: Any) -> Any:
        renders.append(str(kwargs.get("wanted")))
        time.sleep(0.3)  # hold the lease long enough that every other request must wait on it
        return real_render(*args, **kwargs)

    monkeypatch.setattr(variants, "render", counting_render)
    # B's process never saw the upload: a fresh media store object, its own (empty) data folder.
    path = service.variant_url(image, "600x", base_url="")
    with TestClient(_media_app(host_a)) as client_a, TestClient(_media_app(host_b)) as client_b:
        clients = [client_a, client_b] * 4
        with ThreadPoolExecutor(len(clients)) as pool:
            responses = list(pool.map(lambda c: c.get(path), clients))
    assert [r.status_code for r in responses] == [200] * len(clients)
    assert len({r.content for r in responses}) == 1  # byte-identical on both hosts
    assert len(renders) == 1
    assert _media_files(host_a.settings.data_dir) == [] and _media_files(host_b.settings.data_dir) == []


# --- public base URL --------------------------------------------------------------------------------------


def test_public_images_use_the_public_base_and_secret_ones_never_do(
    tmp_path: Path,
    database_url: str,
    s3_settings: dict[str, str],
) -> None:
    cdn = "https://cdn.example.test/media"
    ctx = build_context(_settings(s3_settings, tmp_path / "data", database_url, media_public_base_url=cdn))
    try:
        owner = make_account(ctx, "alice")
        public = ingest(ctx, craft.encode(craft.photo((600, 500), seed=11), "JPEG"))
        secret = ingest(ctx, craft.encode(craft.photo((600, 500), seed=12), "JPEG"))
        public_pin = pin_image(ctx, owner, public).pin_id
        secret_pin = pin_image(ctx, owner, secret, privacy="SECRET").pin_id
        with session_scope(ctx.read_sessions) as db:
            pins = [db.get(Pin, public_pin), db.get(Pin, secret_pin)]
            reads = present_pins(db=db, viewer=ANONYMOUS, pins=[p for p in pins if p], base_url="http://app")
        public_urls = [str(v.url) for v in reads[0].media.images.values()]
        secret_urls = [str(v.url) for v in reads[1].media.images.values()]
        assert all(u.startswith(cdn + "/" + public.sha256[:2] + "/") for u in public_urls)
        assert all(u.startswith("http://app/media/") for u in secret_urls)
        assert not any(cdn in u for u in secret_urls)
        # Anyone fetching the secret image through the app without credentials gets nothing.
        with TestClient(_media_app(ctx)) as client:
            assert client.get(service.variant_url(secret, "236x", base_url="")).status_code == 404
    finally:
        service.configure_public_base_url("")  # process-wide: leave the default for the next test
        ctx.engine.dispose()


def test_board_covers_of_secret_boards_stay_on_the_app(
    tmp_path: Path,
    database_url: str,
    s3_settings: dict[str, str],
) -> None:
    from pinhaven.boards.models import Board
    from pinhaven.boards.present import present_boards

    cdn = "https://cdn.example.test/media"
    ctx = build_context(_settings(s3_settings, tmp_path / "data", database_url, media_public_base_url=cdn))
    try:
        owner = make_account(ctx, "alice")
        image = ingest(ctx, craft.encode(craft.photo((600, 500), seed=13), "JPEG"))
        public_board = pin_image(ctx, owner, image).board_id
        secret_board = pin_image(ctx, owner, image, privacy="SECRET").board_id
        with session_scope(ctx.read_sessions) as db:
            boards = [db.get(Board, public_board), db.get(Board, secret_board)]
            reads = present_boards(db=db, boards=[b for b in boards if b], base_url="http://app")
        assert str(reads[0].media.image_cover_url).startswith(cdn + "/")
        assert str(reads[1].media.image_cover_url).startswith("http://app/media/")
    finally:
        service.configure_public_base_url("")
        ctx.engine.dispose()


_ = MediaImage  # (imported for the suites' fixtures' annotations)
