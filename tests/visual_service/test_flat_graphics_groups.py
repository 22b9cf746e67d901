"""Duplicate groups of flat graphics through the API: copies of a graphic join its group, siblings of one
template (same background and layout, other words/shapes) each keep their own group."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from tests.factories import Account
from tests.visual_service.helpers import board

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin
from pinhaven.search.visual.graphics import graphic_family
from pinhaven.search.visual.groups import group_ids
from pinhaven.search.visual.synthetic import apply_transform, jpeg_bytes

TEMPLATES = (11, 14)  # generator seeds: a card and a poster template (tests/visual uses the same ones)
SIBLINGS = 2  # different graphics per template
COPIES = ("resize50", "jpeg30", "hflip")  # the copies the rule finds reliably (bench: ≥ 0.95 each)


def _upload(client: TestClient, account: Account, board_id: str, img: Image.Image, title: str) -> str:
    body = {
        "board_id": board_id,
        "title": title,
        "media_source": {
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": base64.b64encode(jpeg_bytes(img)).decode(),
        },
    }
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _image_ids(ctx: AppContext, pin_ids: list[str]) -> list[int]:
    with session_scope(ctx.read_sessions) as db:
        rows = dict(
            db.execute(select(Pin.id, Pin.image_id).where(Pin.id.in_([int(p) for p in pin_ids]))).all()
        )
    return [int(rows[int(p)]) for p in pin_ids]


def test_copies_join_their_graphic_and_siblings_stay_apart(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    graphics = [g for seed in TEMPLATES for g in graphic_family(seed, SIBLINGS, width=480)]
    originals_board = board(client, alice, "Designs")
    originals = [_upload(client, alice, originals_board, g, f"Design {i}") for i, g in enumerate(graphics)]
    drain(ctx)  # the originals are embedded (and grouped) before their copies arrive
    copies_board = board(client, bob, "Saved designs")
    copies = {
        (i, name): _upload(client, bob, copies_board, apply_transform(name, g, seed=i), f"{name} {i}")
        for i, g in enumerate(graphics)
        for name in COPIES
    }
    drain(ctx)

    original_images = _image_ids(ctx, originals)
    copy_images = dict(zip(copies, _image_ids(ctx, list(copies.values())), strict=True))
    with session_scope(ctx.read_sessions) as db:
        groups = group_ids(db, original_images + list(copy_images.values()))
    # every graphic its own group: siblings share background, layout and most hash bits, never a group
    assert len({groups[i] for i in original_images}) == len(graphics)
    for (i, name), image_id in copy_images.items():
        assert groups[image_id] == groups[original_images[i]], (name, i)
