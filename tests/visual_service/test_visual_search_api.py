"""Visual search, duplicates and clusters over HTTP, with the real media pipeline, jobs and indexes."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from tests.factories import Account, image_bytes

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import visual_service

from .helpers import board, corpus, pin, transformed, upload_search


def test_embed_job_fills_the_table_and_the_index(ctx: AppContext, client: TestClient, alice: Account) -> None:
    pins = corpus(ctx, client, alice, range(3))
    with session_scope(ctx.sessions) as db:
        rows = list(db.scalars(select(ImageEmbedding)))
    assert len(rows) == 3
    service = visual_service(ctx)
    assert {r.model_id for r in rows} == {service.model_id}
    assert all(len(r.vector) == 4 * service.embedder.dim for r in rows)
    assert len(service.index) == 3 and all(r.image_id in service.index for r in rows)
    assert len({r.phash for r in rows}) == 3
    assert len(pins) == 3


def test_upload_finds_the_transformed_copy_first(ctx: AppContext, client: TestClient, alice: Account) -> None:
    pins = corpus(ctx, client, alice, range(8))
    for seed in (2, 5):
        response = upload_search(client, transformed(seed), alice.headers)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert items[0]["id"] == pins[seed]
        assert response.json()["bookmark"] is None
        assert items[0]["score"] >= items[-1]["score"]
        assert len({i["id"] for i in items}) == len(items) == 8


def test_crop_search_finds_pins_showing_that_region(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    pins = corpus(ctx, client, alice, range(6))
    # a second pin whose image is the left half of image 3
    left = Image.open(io.BytesIO(image_bytes(seed=3))).crop((0, 0, 320, 480))
    buf = io.BytesIO()
    left.save(buf, "JPEG", quality=90)
    import base64

    source = {
        "source_type": "image_base64",
        "content_type": "image/jpeg",
        "data": base64.b64encode(buf.getvalue()).decode(),
    }
    board_id = board(client, alice, "Crops")
    half = client.post("/v5/pins", json={"board_id": board_id, "media_source": source}, headers=alice.headers)
    drain(ctx)
    body = {"pin_id": pins[3], "crop": {"x": 0.0, "y": 0.0, "w": 0.5, "h": 1.0}}
    response = client.post("/ext/v1/search/visual", json=body, headers=alice.headers)
    assert response.status_code == 200, response.text
    ids = [i["id"] for i in response.json()["items"]]
    assert ids[0] == half.json()["id"]
    assert pins[3] not in ids  # the queried pin itself is not a result


def test_secret_pins_never_appear_even_for_the_identical_image(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    pins = corpus(ctx, client, alice, range(4))
    secret_board = board(client, alice, "Private", privacy="SECRET")
    secret = pin(client, alice, secret_board, seed=42, title="hidden")
    drain(ctx)
    exact = image_bytes(seed=42)
    for headers in (bob.headers, {}):  # another user, anonymous
        response = upload_search(client, exact, headers)
        assert response.status_code == 200
        ids = [i["id"] for i in response.json()["items"]]
        assert secret["id"] not in ids
        assert set(ids) <= set(pins.values())
        dup = client.get(f"/ext/v1/pins/{pins[0]}/duplicates", headers=headers)
        assert secret["id"] not in [i["id"] for i in dup.json()["items"]]
    mine = upload_search(client, exact, alice.headers).json()["items"]
    assert mine[0]["id"] == secret["id"]  # the owner does see it
    crop = {"pin_id": secret["id"], "crop": {"x": 0, "y": 0, "w": 1, "h": 1}}
    assert client.post("/ext/v1/search/visual", json=crop, headers=bob.headers).status_code == 404


def test_one_pin_per_image_and_the_visible_one(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    corpus(ctx, client, alice, range(3))
    secret_board = board(client, alice, "Private", privacy="SECRET")
    pin(client, alice, secret_board, seed=7)  # the same image in a secret pin first ...
    public = pin(client, bob, board(client, bob, "Bob's"), seed=7)  # ... then a public one
    drain(ctx)
    items = upload_search(client, image_bytes(seed=7), {}).json()["items"]
    assert items[0]["id"] == public["id"]
    assert len({i["id"] for i in items}) == len(items) == 4


def test_duplicates_lists_exact_and_near_copies(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    pins = corpus(ctx, client, alice, range(5))
    same = pin(client, bob, board(client, bob, "Bob's"), seed=1)
    import base64

    near_src = {
        "source_type": "image_base64",
        "content_type": "image/jpeg",
        "data": base64.b64encode(transformed(1)).decode(),
    }
    near = client.post(
        "/v5/pins",
        json={"board_id": board(client, bob, "More"), "media_source": near_src},
        headers=bob.headers,
    )
    drain(ctx)
    response = client.get(f"/ext/v1/pins/{pins[1]}/duplicates")
    assert response.status_code == 200, response.text
    kinds = {i["id"]: i["duplicate"] for i in response.json()["items"]}
    assert kinds == {same["id"]: "exact", near.json()["id"]: "near"}
    assert client.get("/ext/v1/pins/12345/duplicates").status_code == 404


def test_bad_input_is_a_400_naming_the_cause(ctx: AppContext, client: TestClient, alice: Account) -> None:
    pins = corpus(ctx, client, alice, range(1))
    not_image = upload_search(client, b"this is text, not a picture", alice.headers)
    assert not_image.status_code == 400
    for crop, field in (
        ({"x": 1.5, "y": 0, "w": 0.1, "h": 0.1}, "crop.x"),
        ({"x": 0.5, "y": 0, "w": 0.6, "h": 0.1}, "crop.w"),
        ({"x": 0, "y": 0, "w": 0, "h": 0.1}, "crop.w"),
        ({"x": 0, "y": "a", "w": 0.1, "h": 0.1}, "crop.y"),
    ):
        response = client.post(
            "/ext/v1/search/visual", json={"pin_id": pins[0], "crop": crop}, headers=alice.headers
        )
        assert response.status_code == 400, crop
        assert field in response.json()["message"]
    bad_id = client.post("/ext/v1/search/visual", json={"pin_id": "x1"}, headers=alice.headers)
    assert bad_id.status_code == 400 and "pin_id" in bad_id.json()["message"]
    assert client.post("/ext/v1/search/visual", content=b"x", headers=alice.headers).status_code == 400
    assert client.post("/ext/v1/search/visual", json=[1], headers=alice.headers).status_code == 400


def test_board_clusters_group_visual_copies(ctx: AppContext, client: TestClient, alice: Account) -> None:
    board_id = board(client, alice, "Mixed")
    for seed in range(10):
        pin(client, alice, board_id, seed, title=f"Red kitchen {seed}" if seed < 5 else f"Blue garden {seed}")
    drain(ctx)
    response = client.get(f"/ext/v1/boards/{board_id}/clusters")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 2 and sum(c["size"] for c in items) == 10
    assert all(c["suggested_name"] for c in items)
    with session_scope(ctx.sessions) as db:
        assert db.scalar(select(func.count()).select_from(ImageEmbedding)) == 10
    assert np.isfinite([c["size"] for c in items]).all()
