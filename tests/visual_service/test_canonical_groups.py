"""Canonical duplicate groups: stored when images are embedded, merged across bridges, recomputed by reindex;
pin stats per group count only pins the viewer may see."""

from __future__ import annotations

import base64
import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete, select
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, image_bytes, make_account
from tests.visual_service.helpers import board, pin

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import assign_group, group_ids
from pinhaven.search.visual.handlers import regroup_all
from pinhaven.search.visual.models import ImageDuplicateGroup


def _variant(seed: int, *, crop: float = 0.0, quality: int = 60) -> str:
    """The factory image `seed`, optionally cropped by `crop` on every side, re-encoded: base64 JPEG."""
    img = Image.open(io.BytesIO(image_bytes(seed=seed))).convert("RGB")
    dx, dy = int(img.width * crop), int(img.height * crop)
    img = img.crop((dx, dy, img.width - dx, img.height - dy))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return base64.b64encode(out.getvalue()).decode()


def _pin_b64(client: TestClient, who: Account, board_id: str, data: str, title: str) -> dict:
    body = {
        "board_id": board_id,
        "title": title,
        "media_source": {"source_type": "image_base64", "content_type": "image/jpeg", "data": data},
    }
    response = client.post("/v5/pins", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _image_id(ctx: AppContext, pin_id: str) -> int:
    with session_scope(ctx.read_sessions) as db:
        image_id = db.scalar(select(Pin.image_id).where(Pin.id == int(pin_id)))
    assert image_id is not None
    return int(image_id)


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_copies_share_the_oldest_images_group_and_search_shows_one(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    original = pin(client, alice, board(client, alice, "Lakes"), seed=3, title="Lake cabin")
    drain(ctx)
    recompressed = _pin_b64(client, bob, board(client, bob, "Cabins"), _variant(3), "Lake cabin again")
    cropped = _pin_b64(client, bob, board(client, bob, "Crops"), _variant(3, crop=0.05), "Lake cabin crop")
    other = pin(client, bob, board(client, bob, "More"), seed=4, title="Lake view")
    drain(ctx)
    first = _image_id(ctx, original["id"])
    with session_scope(ctx.read_sessions) as db:
        groups = group_ids(db, [_image_id(ctx, p["id"]) for p in (original, recompressed, cropped, other)])
    assert list(groups.values()).count(first) == 3  # the copies joined the oldest image's group
    assert groups[_image_id(ctx, other["id"])] != first

    found = [p["id"] for p in client.get("/ext/v1/search/pins", params={"q": "lake"}).json()["items"]]
    assert other["id"] in found
    assert len({original["id"], recompressed["id"], cropped["id"]} & set(found)) == 1

    dupes = client.get(f"/ext/v1/pins/{cropped['id']}/duplicates", headers=bob.headers).json()
    assert dupes["group_id"] == str(first)
    assert {i["id"] for i in dupes["items"]} == {original["id"], recompressed["id"]}


def test_an_image_bridging_two_groups_merges_them_under_the_oldest(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    board_id = board(client, alice, "Mixed")
    ids = [_image_id(ctx, pin(client, alice, board_id, seed=s)["id"]) for s in (11, 12, 13, 14)]
    a, b, c, d = ids
    with session_scope(ctx.sessions) as db:
        assert assign_group(db=db, image_id=b, duplicate_ids=[]) == b
        assert assign_group(db=db, image_id=c, duplicate_ids=[d]) == c
        assert assign_group(db=db, image_id=a, duplicate_ids=[c, b]) == a  # bridges {b} and {c, d}
    with session_scope(ctx.read_sessions) as db:
        assert group_ids(db, ids) == dict.fromkeys(ids, a)


def test_regroup_recomputes_groups_from_stored_vectors(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    original = pin(client, alice, board(client, alice, "Lakes"), seed=3)
    drain(ctx)
    copy = _pin_b64(client, bob, board(client, bob, "Cabins"), _variant(3), "copy")
    other = pin(client, bob, board(client, bob, "More"), seed=4)
    drain(ctx)
    images = [_image_id(ctx, p["id"]) for p in (original, copy, other)]
    with session_scope(ctx.sessions) as db:
        db.execute(delete(ImageDuplicateGroup))
    assert regroup_all(ctx) == 2
    with session_scope(ctx.read_sessions) as db:
        assert group_ids(db, images) == {images[0]: images[0], images[1]: images[0], images[2]: images[2]}


def _impressions(client: TestClient, who: Account, pin_id: str, n: int) -> None:
    events = [{"type": "impression", "pin_id": pin_id, "surface": "home", "position": i} for i in range(n)]
    response = client.post("/ext/v1/events", json={"events": events}, headers=who.headers)
    assert response.status_code == 200, response.text


def test_pin_stats_per_group_count_only_pins_the_owner_may_see(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    mine = pin(client, alice, board(client, alice, "Lakes"), seed=3)
    drain(ctx)
    public_copy = _pin_b64(client, bob, board(client, bob, "Cabins"), _variant(3), "copy")
    secret_copy = _pin_b64(
        client, carol, board(client, carol, "Hidden", "SECRET"), _variant(3, quality=40), "s"
    )
    drain(ctx)
    _impressions(client, bob, mine["id"], 2)
    _impressions(client, alice, public_copy["id"], 3)
    _impressions(client, carol, secret_copy["id"], 50)

    stats = client.get(f"/ext/v1/pins/{mine['id']}/analytics", headers=alice.headers).json()
    assert stats["lifetime"]["impressions"] == 2
    assert stats["group"]["pin_count"] == 2  # carol's secret copy is not counted, nor are its impressions
    assert stats["group"]["lifetime"]["impressions"] == 5
    assert stats["group"]["window"]["impressions"] == 5

    carols = client.get(f"/ext/v1/pins/{secret_copy['id']}/analytics", headers=carol.headers).json()
    assert carols["group"]["pin_count"] == 3 and carols["group"]["lifetime"]["impressions"] == 55
    assert client.get(f"/ext/v1/pins/{mine['id']}/analytics", headers=bob.headers).status_code == 403

    alone = pin(client, alice, board(client, alice, "Other"), seed=9)
    drain(ctx)
    assert client.get(f"/ext/v1/pins/{alone['id']}/analytics", headers=alice.headers).json()["group"] is None
