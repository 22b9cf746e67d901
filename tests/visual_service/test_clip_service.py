"""CLIP end to end with random weights: embed jobs, image and text queries over HTTP, privacy, the web tab,
and `pinhaven models fetch clip --from PATH`. The network is built once per module (a few seconds)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.factories import Account, image_bytes
from typer.testing import CliRunner

from pinhaven.app import create_app
from pinhaven.cli import app as cli_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.search.visual import clip
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import make_embedder, visual_service

from .helpers import board, corpus, pin, upload_search

pytestmark = [
    pytest.mark.clip,
    pytest.mark.skipif(not clip.clip_available(), reason="the optional 'clip' extra is not installed"),
]

MODEL_ID = "clip-ViT-B-32-random"
_real_load_clip = clip.load_clip
_random_models: dict[str, clip.ClipEmbedder] = {}


def _load_clip_once(
    model_name: str = clip.DEFAULT_MODEL,
    pretrained: str | Path | None = None,
    *,
    models_dir: Path | None = None,
    device: str = "cpu",
) -> clip.ClipEmbedder:
    """load_clip, but random-weight networks are built once per module (they do not depend on models_dir)."""
    if pretrained is not None:
        return _real_load_clip(model_name, pretrained, models_dir=models_dir, device=device)
    if model_name not in _random_models:
        _random_models[model_name] = _real_load_clip(model_name, None, device=device)
    return _random_models[model_name]


@pytest.fixture(scope="module", autouse=True)
def _one_network_per_module() -> Iterator[None]:
    # make_embedder imports load_clip from the module at call time, so it gets the cached one
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clip, "load_clip", _load_clip_once)
        yield


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings with CLIP (random weights), or the embedder a test names by indirect param."""
    return settings.with_overrides(visual_model=getattr(request, "param", "clip"), clip_weights="random")


def _text_search(client: TestClient, body: dict[str, object], headers: dict[str, str] | None = None) -> Any:
    return client.post("/ext/v1/search/visual", json=body, headers=headers or {})


def test_embed_jobs_store_512_d_clip_vectors(ctx: AppContext, client: TestClient, alice: Account) -> None:
    corpus(ctx, client, alice, range(3))
    with session_scope(ctx.sessions) as db:
        rows = list(db.scalars(select(ImageEmbedding)))
    assert len(rows) == 3
    assert {r.model_id for r in rows} == {MODEL_ID}
    assert all(len(r.vector) == 4 * 512 for r in rows)
    vectors = np.stack([np.frombuffer(r.vector, "<f4") for r in rows])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    service = visual_service(ctx)
    assert service.model_id == MODEL_ID and service.embedder.dim == 512 and len(service.index) == 3


def test_identical_upload_finds_its_pin_first(ctx: AppContext, client: TestClient, alice: Account) -> None:
    pins = corpus(ctx, client, alice, range(4))
    for seed in (1, 3):
        response = upload_search(client, image_bytes(seed=seed), alice.headers)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert items[0]["id"] == pins[seed]
        assert len(items) == 4


def test_text_query_returns_scored_pins(ctx: AppContext, client: TestClient, alice: Account) -> None:
    pins = corpus(ctx, client, alice, range(4))
    text = "  a red   circle on a gradient "
    response = _text_search(client, {"text": text}, alice.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {i["id"] for i in items} == set(pins.values())
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True) and all(isinstance(s, float) for s in scores)
    limited = _text_search(client, {"text": text, "limit": 2}, alice.headers)
    assert [i["id"] for i in limited.json()["items"]] == [i["id"] for i in items[:2]]
    by_query = client.post("/ext/v1/search/visual?limit=1", json={"text": "circles"}, headers=alice.headers)
    assert len(by_query.json()["items"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": 7},
        {"text": "x" * 301},
        {"text": "red", "limit": 0},
        {"text": "red", "limit": 101},
        {"text": "red", "limit": True},
        {"text": "red", "pin_id": "1"},
    ],
)
def test_bad_text_queries_are_400(client: TestClient, alice: Account, body: dict[str, object]) -> None:
    response = _text_search(client, body, alice.headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) >= {"code", "message"}


def test_secret_pins_never_appear_in_image_or_text_results(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    pins = corpus(ctx, client, alice, range(3))
    secret = pin(client, alice, board(client, alice, "Private", privacy="SECRET"), seed=42, title="hidden")
    drain(ctx)
    exact = image_bytes(seed=42)
    for headers in (bob.headers, {}):  # another user, anonymous
        by_image = upload_search(client, exact, headers)
        by_text = _text_search(client, {"text": "hidden", "limit": 100}, headers)
        for response in (by_image, by_text):
            assert response.status_code == 200, response.text
            ids = {i["id"] for i in response.json()["items"]}
            assert secret["id"] not in ids and ids == set(pins.values())
    page = client.get("/search", params={"q": "hidden", "tab": "looks"})  # the web tab, as a visitor
    assert page.status_code == 200 and "Looks like" in page.text
    assert f"/pin/{secret['id']}" not in page.text and f"/pin/{pins[0]}" in page.text
    # the owner does see it: the filter, not the index, keeps it from others
    assert upload_search(client, exact, alice.headers).json()["items"][0]["id"] == secret["id"]
    mine = _text_search(client, {"text": "hidden", "limit": 100}, alice.headers).json()["items"]
    assert secret["id"] in {i["id"] for i in mine}


def test_search_page_offers_looks_like_only_with_clip(ctx: AppContext, client: TestClient) -> None:
    page = client.get("/search", params={"q": "beach"})
    assert page.status_code == 200 and "tab=looks" in page.text


@pytest.mark.parametrize("settings", ["builtin"], indirect=True)
def test_builtin_embedder_answers_text_queries_with_400(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    corpus(ctx, client, alice, range(2))
    response = _text_search(client, {"text": "a red circle"}, alice.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400 and "CLIP" in body["message"]
    assert upload_search(client, image_bytes(seed=1), alice.headers).status_code == 200  # images still work
    page = client.get("/search", params={"q": "beach"})
    assert "tab=looks" not in page.text
    looks = client.get("/search", params={"q": "beach", "tab": "looks"})
    assert looks.status_code == 200 and "needs the CLIP model" in looks.text


# ---- pinhaven models fetch clip --from PATH / models list

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")
    return ["--data-dir", str(settings.data_dir)]


def test_models_fetch_from_a_local_state_dict(settings: Settings, cli_env: list[str], tmp_path: Path) -> None:
    import torch

    source_model = clip.load_clip(pretrained=None)
    source = tmp_path / "exported.pt"
    torch.save(source_model._model.state_dict(), source)
    result = runner.invoke(
        cli_app, ["models", "fetch", "clip", "--pretrained", "mytag", "--from", str(source), *cli_env]
    )
    assert result.exit_code == 0, result.output
    stored = settings.data_dir / "models" / "clip" / "ViT-B-32-mytag.pt"
    manifest = json.loads(stored.with_suffix(".json").read_text())
    assert manifest["architecture"] == "ViT-B-32" and manifest["dim"] == 512
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".tmp-")]
    listed = runner.invoke(cli_app, ["models", "list", *cli_env])
    assert listed.exit_code == 0 and "ViT-B-32 mytag" in listed.output
    # the settings select the imported weights by their tag; vectors equal the source network's
    ctx = build_context(settings.with_overrides(clip_weights="mytag"))
    try:
        embedder = make_embedder(ctx)
    finally:
        ctx.engine.dispose()
    assert embedder.model_id == "clip-ViT-B-32-mytag"
    img = [Image.new("RGB", (224, 224), "orange")]
    np.testing.assert_allclose(embedder.embed_images(img), source_model.embed_images(img), atol=1e-4)


def test_models_fetch_rejects_bad_files(settings: Settings, cli_env: list[str], tmp_path: Path) -> None:
    import torch

    corrupt = tmp_path / "corrupt.pt"
    torch.save({"visual.proj": torch.zeros(768, 512)}, corrupt)
    corrupt.write_bytes(corrupt.read_bytes()[:200])  # truncated
    misfit = tmp_path / "misfit.pt"
    torch.save({"state_dict": {"visual.proj": torch.zeros(3, 3)}}, misfit)
    cases = [
        (corrupt, "not a readable PyTorch weights file"),
        (misfit, "do not fit this architecture"),
        (tmp_path / "absent.pt", "no such file"),
    ]
    for path, message in cases:
        result = runner.invoke(cli_app, ["models", "fetch", "clip", "--from", str(path), *cli_env])
        assert result.exit_code == 1, result.output
        assert message in result.output
    clip_dir = settings.data_dir / "models" / "clip"
    assert not clip_dir.exists() or not any(clip_dir.iterdir())  # nothing half-written
    other = runner.invoke(cli_app, ["models", "fetch", "resnet", "--from", str(misfit), *cli_env])
    assert other.exit_code == 2


def test_missing_clip_weights_answer_503_with_the_fix(settings: Settings, alice: Account) -> None:
    ctx = build_context(settings.with_overrides(clip_weights="never-fetched"))
    try:
        with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
            response = upload_search(client, image_bytes(seed=1), alice.headers)
            assert response.status_code == 503
            assert "pinhaven models fetch clip" in response.json()["message"]
            text = client.post("/ext/v1/search/visual", json={"text": "a lake"}, headers=alice.headers)
            assert text.status_code in (400, 503) and "message" in text.json()
    finally:
        ctx.engine.dispose()
