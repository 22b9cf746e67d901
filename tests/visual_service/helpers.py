"""Helpers for the visual service tests: boards and pins through the API, transformed copies."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image, ImageEnhance
from tests.factories import Account, image_bytes, media_source

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def board(client: TestClient, account: Account, name: str = "Board", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int, **fields: object) -> dict:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), **fields}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


def corpus(
    ctx: AppContext, client: TestClient, account: Account, seeds: range, **kw: object
) -> dict[int, str]:
    """One public pin per seed on a new board, jobs drained (images processed and embedded): seed → pin id."""
    board_id = board(client, account, f"Corpus {seeds.start}-{seeds.stop}")
    pins = {seed: pin(client, account, board_id, seed, title=f"Pin {seed}", **kw)["id"] for seed in seeds}
    drain(ctx)
    return pins


def transformed(seed: int) -> bytes:
    """A re-upload of the factory image `seed`: smaller, brighter, re-encoded at low quality."""
    img = Image.open(io.BytesIO(image_bytes(seed=seed))).convert("RGB")
    img = img.resize((img.width * 7 // 10, img.height * 7 // 10))
    img = ImageEnhance.Brightness(img).enhance(1.15)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=55)
    return out.getvalue()


def upload_search(client: TestClient, data: bytes, headers: dict[str, str] | None = None, **params: object):
    return client.post(
        "/ext/v1/search/visual",
        files={"image": ("query.jpg", data, "image/jpeg")},
        headers=headers or {},
        params=params,
    )
