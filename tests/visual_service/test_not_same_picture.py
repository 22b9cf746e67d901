"""'Not the same picture': an owner splits a wrong duplicate group; the pair never groups again; privacy."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.factories import Account, image_bytes, make_account
from tests.visual_service.helpers import board, pin

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import group_ids
from pinhaven.search.visual.handlers import regroup_all


def _recompressed(seed: int) -> str:
    out = io.BytesIO()
    Image.open(io.BytesIO(image_bytes(seed=seed))).save(out, "JPEG", quality=60)
    return base64.b64encode(out.getvalue()).decode()


def _image_id(ctx: AppContext, pin_id: str) -> int:
    with session_scope(ctx.read_sessions) as db:
        return int(db.scalar(select(Pin.image_id).where(Pin.id == int(pin_id))) or 0)


def test_owner_splits_a_group_and_the_pair_never_groups_again(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    original = pin(client, alice, board(client, alice, "Lakes"), seed=3)
    drain(ctx)
    body = {
        "board_id": board(client, bob, "Cabins"),
        "media_source": {
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": _recompressed(3),
        },
    }
    copy = client.post("/v5/pins", json=body, headers=bob.headers).json()
    drain(ctx)
    a, b = _image_id(ctx, original["id"]), _image_id(ctx, copy["id"])
    with session_scope(ctx.read_sessions) as db:
        assert group_ids(db, [a, b]) == {a: a, b: a}  # grouped as one picture

    url = f"/ext/v1/pins/{copy['id']}/duplicates/{original['id']}/not_same"
    assert client.post(url, headers=alice.headers).status_code == 403  # alice does not own bob's pin
    response = client.post(url, headers=bob.headers)
    assert response.status_code == 200, response.text
    assert response.json()["separated"] is True
    with session_scope(ctx.read_sessions) as db:
        assert group_ids(db, [a, b]) == {a: a, b: b}
    dupes = client.get(f"/ext/v1/pins/{copy['id']}/duplicates", headers=bob.headers).json()
    assert original["id"] not in {i["id"] for i in dupes["items"]}
    regroup_all(ctx)  # a reindex of the groups honours the exclusion
    with session_scope(ctx.read_sessions) as db:
        assert group_ids(db, [a, b]) == {a: a, b: b}


def test_secret_pins_cannot_be_named_and_bad_ids_are_4xx(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    secret = pin(client, carol, board(client, carol, "Hidden", "SECRET"), seed=5)
    mine = pin(client, bob, board(client, bob, "Mine"), seed=6)
    drain(ctx)
    url = f"/ext/v1/pins/{mine['id']}/duplicates/{secret['id']}/not_same"
    assert client.post(url, headers=bob.headers).status_code == 404  # as if it did not exist
    missing = client.post(f"/ext/v1/pins/{mine['id']}/duplicates/123/not_same", headers=bob.headers)
    assert missing.status_code == 404
    assert client.post(
        f"/ext/v1/pins/{mine['id']}/duplicates/abc/not_same", headers=bob.headers
    ).status_code in (
        400,
        404,
    )
    assert client.post(url).status_code == 401
