"""Near-duplicate pictures (different files of the same image) never appear twice on one page."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from PIL import Image
from tests.factories import Account, image_bytes
from tests.visual_service.helpers import board, pin

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import collapse_duplicates


def _recompressed(seed: int) -> str:
    """The factory image `seed` re-encoded at another quality: a different file, the same picture."""
    out = io.BytesIO()
    Image.open(io.BytesIO(image_bytes(seed=seed))).save(out, "JPEG", quality=60)
    return base64.b64encode(out.getvalue()).decode()


def test_search_pages_show_one_pin_per_picture(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    original = pin(client, alice, board(client, alice, "Lakes"), seed=3, title="Lake cabin")
    copy = client.post(
        "/v5/pins",
        json={
            "board_id": board(client, bob, "Cabins"),
            "title": "Lake cabin too",
            "media_source": {
                "source_type": "image_base64",
                "content_type": "image/jpeg",
                "data": _recompressed(3),
            },
        },
        headers=bob.headers,
    ).json()
    other = pin(client, bob, board(client, bob, "More"), seed=4, title="Lake view")
    drain(ctx)
    assert copy["media"]["images"]["originals"]["url"] != original["media"]["images"]["originals"]["url"]
    found = [p["id"] for p in client.get("/ext/v1/search/pins", params={"q": "lake"}).json()["items"]]
    assert other["id"] in found
    assert len({original["id"], copy["id"]} & set(found)) == 1  # one member of the group, not both
    with session_scope(ctx.read_sessions) as db:
        pins = [db.get(Pin, int(i)) for i in (original["id"], copy["id"], other["id"])]
        kept = collapse_duplicates(db=db, pins=[p for p in pins if p is not None])
    assert [p.id for p in kept] == [int(original["id"]), int(other["id"])]
