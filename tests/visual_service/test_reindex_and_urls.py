"""`pinhaven reindex` (resumable, refits the whitening) and `pinhaven urls learn`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from tests.factories import Account
from typer.testing import CliRunner

from pinhaven.cli import app as cli_app
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.ingest.url_learning import learn_drop_params
from pinhaven.ingest.urls import normalize_link
from pinhaven.search.visual.handlers import reindex
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import visual_service, whitening_path

from .helpers import board, corpus, pin, transformed, upload_search


def test_reindex_refits_whitening_and_skips_done_images(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    pins = corpus(ctx, client, alice, range(12))
    raw_model = visual_service(ctx).model_id
    first = reindex(ctx, refit=True, min_fit_images=10)
    assert first.refitted and first.embedded == 12 and first.model_id != raw_model
    assert whitening_path(ctx).exists() and not whitening_path(ctx, pending=True).exists()
    with session_scope(ctx.sessions) as db:
        assert {r.model_id for r in db.scalars(select(ImageEmbedding))} == {first.model_id}
        # simulate an interrupted run: two images lost their vectors
        doomed = list(db.scalars(select(ImageEmbedding.image_id)))[:2]
        db.execute(delete(ImageEmbedding).where(ImageEmbedding.image_id.in_(doomed)))
    again = reindex(ctx, refit=False)
    assert (again.embedded, again.skipped, again.model_id) == (2, 10, first.model_id)
    assert visual_service(ctx).model_id == first.model_id
    items = upload_search(client, transformed(4)).json()["items"]
    assert items[0]["id"] == pins[4]


def test_reindex_command_shows_progress(
    ctx: AppContext, client: TestClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus(ctx, client, alice, range(3))
    env = {"PINHAVEN_DATABASE_URL": ctx.settings.resolved_database_url, "PINHAVEN_SECRET_KEY": "k"}
    result = CliRunner().invoke(
        cli_app, ["reindex", "--data-dir", str(ctx.settings.data_dir), "--min-fit-images", "100"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "0 embedded, 3 already done" in result.output
    bad = CliRunner().invoke(
        cli_app, ["reindex", "--data-dir", str(ctx.settings.data_dir), "--model", "x"], env=env
    )
    assert bad.exit_code == 2


def test_urls_learn_needs_real_fetches_not_typed_links(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    # Links typed onto uploads prove nothing about the page (no page was read, the picture is the
    # uploader's): learning uses fetches only (tests/ingest_flows/test_link_rules.py learns from them).
    b = board(client, alice, "Links")
    pin(client, alice, b, 1, link="https://shop.example/item?id=1&ref=mail")
    pin(client, alice, b, 1, link="https://shop.example/item?id=1&ref=home")
    pin(client, alice, b, 2, link="https://shop.example/item?id=2&ref=home")
    assert learn_drop_params(ctx) == {}
    stored = {"shop.example": ["ref"]}
    assert (
        normalize_link("https://shop.example/item?id=3&ref=x", drop_params=stored)
        == "https://shop.example/item?id=3"
    )
