"""Pin creation does its image work before the write transaction (which on SQLite holds the one write lock
from its first statement), and still refuses what it refused before: a board the viewer may not pin to,
a parent pin they may not see, a bad picture."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.core.test_api_fast_paths import board
from tests.factories import Account, media_source

from pinhaven.context import AppContext
from pinhaven.db.sqlite_writer import queue_of
from pinhaven.media import service as media_service


def test_the_picture_is_prepared_while_no_write_turn_is_held(
    client: TestClient, ctx: AppContext, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = queue_of(ctx.engine)
    assert queue is not None  # the test database is SQLite
    kitchens = board(client, alice)
    held_during_image_work: list[bool] = []
    prepare = media_service.prepare_upload

    def observed(**kwargs: Any) -> media_service.PreparedUpload:
        held_during_image_work.append(queue.busy)  # any write transaction open in this process?
        return prepare(**kwargs)

    monkeypatch.setattr(media_service, "prepare_upload", observed)
    turns = queue.turns
    body = {"board_id": kitchens, "title": "Blue", "media_source": media_source(seed=5)}
    response = client.post("/v5/pins", json=body, headers=alice.headers)
    assert response.status_code == 201, response.text
    assert held_during_image_work == [False]
    assert queue.turns == turns + 1  # one write transaction for the whole request
    listed = client.get(f"/v5/boards/{kitchens}/pins", headers=alice.headers).json()["items"]
    assert [item["id"] for item in listed] == [response.json()["id"]]


def test_the_checks_still_refuse_before_any_image_work(
    client: TestClient, alice: Account, bob: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    alices = board(client, alice)
    secret = board(client, alice, "Hidden", privacy="SECRET")
    hidden = client.post(
        "/v5/pins", json={"board_id": secret, "media_source": media_source(seed=6)}, headers=alice.headers
    ).json()["id"]
    bobs = board(client, bob, "Mine")
    prepared: list[int] = []
    prepare = media_service.prepare_upload

    def counted(**kwargs: Any) -> media_service.PreparedUpload:
        prepared.append(1)
        return prepare(**kwargs)

    monkeypatch.setattr(media_service, "prepare_upload", counted)
    refused = [
        client.post(
            "/v5/pins", json={"board_id": alices, "media_source": media_source(seed=7)}, headers=bob.headers
        ),
        client.post(
            "/v5/pins",
            json={"board_id": bobs, "parent_pin_id": hidden, "media_source": media_source(seed=8)},
            headers=bob.headers,
        ),
    ]
    assert [r.status_code for r in refused] == [403, 404], [r.text for r in refused]
    assert prepared == []  # refused before decoding anything
    bad = client.post(
        "/v5/pins",
        json={
            "board_id": bobs,
            "media_source": {"source_type": "image_base64", "content_type": "image/jpeg", "data": "aGVsbG8="},
        },
        headers=bob.headers,
    )
    assert bad.status_code == 400 and set(bad.json()) >= {"code", "message"}
    assert client.get(f"/v5/boards/{bobs}/pins", headers=bob.headers).json()["items"] == []


def test_concurrent_creations_all_land(client: TestClient, alice: Account) -> None:
    kitchens = board(client, alice)
    results: list[int] = []

    def create(seed: int) -> None:
        body = {"board_id": kitchens, "media_source": media_source(seed=seed)}
        results.append(client.post("/v5/pins", json=body, headers=alice.headers).status_code)

    threads = [threading.Thread(target=create, args=(100 + n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [201] * 8
    listed = client.get(f"/v5/boards/{kitchens}/pins", params={"page_size": 25}, headers=alice.headers)
    assert len(listed.json()["items"]) == 8
