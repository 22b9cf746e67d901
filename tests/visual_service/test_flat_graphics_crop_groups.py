"""Duplicate groups of flat graphics through the API, for the copies the plain parts check used to miss:
10 % crops and 5° rotations join their original's group (the uploaded picture's other readings of its
parts, `structure.structure_variants`), and siblings of one template still each keep their own group."""

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

TEMPLATES = (21, 22)  # generator seeds (tests/visual/test_flat_graphics_crops.py uses these and more)
SIBLINGS = 2  # different graphics per template
COPIES = ("crop10", "rotate5")  # bench, held out: 0.80 / 0.89 (before the other readings: 0.71 / 0.59)


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


def test_crops_and_rotations_join_their_graphic_and_siblings_stay_apart(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    graphics = [g for seed in TEMPLATES for g in graphic_family(seed, SIBLINGS, width=480)]
    originals_board = board(client, alice, "Designs")
    originals = [_upload(client, alice, originals_board, g, f"Design {i}") for i, g in enumerate(graphics)]
    drain(ctx)  # the originals are embedded (and grouped) before their copies arrive
    original_images = _image_ids(ctx, originals)
    with session_scope(ctx.read_sessions) as db:
        groups = group_ids(db, original_images)
    assert len({groups[i] for i in original_images}) == len(graphics)  # siblings apart on their own
    copies_board = board(client, bob, "Saved designs")
    copies = {
        (i, name): _upload(client, bob, copies_board, apply_transform(name, g, seed=i), f"{name} {i}")
        for i, g in enumerate(graphics)
        for name in COPIES
    }
    drain(ctx)

    copy_images = dict(zip(copies, _image_ids(ctx, list(copies.values())), strict=True))
    with session_scope(ctx.read_sessions) as db:
        groups = group_ids(db, original_images + list(copy_images.values()))
    # every graphic its own group (no copy bridged two siblings: before FLAT_PAIR_FROM, two 5° copies of
    # template 22's siblings, both less flat than FLAT_FROM, were matched on hashes and descriptor alone)
    assert len({groups[i] for i in original_images}) == len(graphics)
    joined = [
        key for key, image_id in copy_images.items() if groups[image_id] == groups[original_images[key[0]]]
    ]
    for (i, name), image_id in copy_images.items():  # never in another graphic's group
        others = {groups[o] for j, o in enumerate(original_images) if j != i}
        assert groups[image_id] not in others, (name, i)
    # measured: 7 of 8 (graphic 0's rotate5 copy is proposed by no tier)
    assert len(joined) >= len(copy_images) - 1, joined
