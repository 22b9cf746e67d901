"""/v5 pins: create from base64, read, update, move, save, delete, list, search — with counters and privacy."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, media_source

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)

PIN_REQUIRED = {
    "id",
    "created_at",
    "board_id",
    "board_owner",
    "is_owner",
    "is_standard",
    "has_been_promoted",
    "media",
}


def board(client: TestClient, account: Account, name: str = "Kitchens", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int = 0, **fields: object) -> dict:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), **fields}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_pin_from_base64_jpeg_and_png(client: TestClient, alice: Account) -> None:
    board_id = board(client, alice)
    created = pin(
        client,
        alice,
        board_id,
        title="Blue tiles",
        alt_text="blue tiles",
        link="https://Example.com/a?utm_source=x#top",
    )
    assert created.keys() >= PIN_REQUIRED
    assert "media_source" not in created
    assert created["board_id"] == board_id and created["is_owner"] is True
    assert created["link"] == "https://example.com/a"
    images = created["media"]["images"]
    assert created["media"]["media_type"] == "image"
    assert {"150x150", "400x300", "600x", "1200x", "originals"} <= images.keys()
    assert images["originals"]["width"] == 640 and images["originals"]["height"] == 480
    assert images["1200x"]["width"] == 640  # never upscaled
    assert created["dominant_color"] and created["dominant_color"].startswith("#")
    png = client.post(
        "/v5/pins",
        json={"board_id": board_id, "media_source": media_source("PNG", seed=2)},
        headers=alice.headers,
    )
    assert png.status_code == 201
    assert client.get(f"/v5/boards/{board_id}", headers=alice.headers).json()["pin_count"] == 2


@pytest.mark.parametrize(
    "media, status",
    [
        ({"source_type": "image_base64", "content_type": "image/jpeg", "data": "not base64!"}, 400),
        ({"source_type": "image_base64", "content_type": "image/gif", "data": "R0lGOD"}, 400),
        (
            {
                "source_type": "image_base64",
                "content_type": "image/jpeg",
                "data": base64.b64encode(b"hello").decode(),
            },
            400,
        ),
        ({"source_type": "video_id", "media_id": "1"}, 400),
        ({"source_type": "image_url", "url": "http://127.0.0.1:1/x.jpg"}, 400),
        ({}, 400),
    ],
)
def test_bad_media_sources_are_rejected_and_nothing_is_written(
    client: TestClient, alice: Account, media: dict, status: int
) -> None:
    board_id = board(client, alice)
    response = client.post(
        "/v5/pins", json={"board_id": board_id, "media_source": media}, headers=alice.headers
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"code", "message"}
    assert client.get("/v5/pins", headers=alice.headers).json()["items"] == []
    assert client.get(f"/v5/boards/{board_id}", headers=alice.headers).json()["pin_count"] == 0


def test_over_long_fields_are_400(client: TestClient, alice: Account) -> None:
    board_id = board(client, alice)
    for field, length in (("title", 101), ("description", 801), ("alt_text", 501), ("link", 2049)):
        body = {"board_id": board_id, "media_source": media_source(), field: "x" * length}
        response = client.post("/v5/pins", json=body, headers=alice.headers)
        assert response.status_code == 400 and field in response.json()["message"]


def test_body_over_the_size_limit_is_413(client: TestClient, alice: Account, ctx) -> None:  # type: ignore[no-untyped-def]
    too_big = "A" * (ctx.settings.max_request_bytes + 10)
    response = client.post(
        "/v5/pins", content=too_big, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["code"] == 413


def test_cannot_pin_to_a_board_you_do_not_own(client: TestClient, alice: Account, bob: Account) -> None:
    board_id = board(client, alice)
    response = client.post(
        "/v5/pins", json={"board_id": board_id, "media_source": media_source()}, headers=bob.headers
    )
    assert response.status_code == 403


def test_update_moves_pin_between_boards_and_sections_with_counts(client: TestClient, alice: Account) -> None:
    first, second = board(client, alice, "First"), board(client, alice, "Second")
    section = client.post(f"/v5/boards/{second}/sections", json={"name": "S"}, headers=alice.headers).json()[
        "id"
    ]
    created = pin(client, alice, first, title="t")
    moved = client.patch(
        f"/v5/pins/{created['id']}",
        json={"board_id": second, "board_section_id": section, "title": None},
        headers=alice.headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["board_id"] == second and moved.json()["board_section_id"] == section
    assert moved.json()["title"] is None
    count = lambda b: client.get(f"/v5/boards/{b}", headers=alice.headers).json()["pin_count"]
    assert (count(first), count(second)) == (0, 1)
    out = client.patch(f"/v5/pins/{created['id']}", json={"board_section_id": None}, headers=alice.headers)
    assert out.json()["board_section_id"] is None


def test_save_creates_a_child_pin_keeping_the_link_and_counts(
    client: TestClient, alice: Account, bob: Account
) -> None:
    source = pin(client, alice, board(client, alice), link="https://example.com/recipe", title="Soup")
    bobs_board = board(client, bob, "Bob saves")
    saved = client.post(f"/v5/pins/{source['id']}/save", json={"board_id": bobs_board}, headers=bob.headers)
    assert saved.status_code == 201, saved.text
    child = saved.json()
    assert child["parent_pin_id"] == source["id"] and child["link"] == "https://example.com/recipe"
    assert child["board_owner"] == {"username": "bob"} and child["id"] != source["id"]
    assert client.get(f"/v5/pins/{source['id']}", headers=alice.headers).json()["save_count"] == 1
    assert client.delete(f"/v5/pins/{child['id']}", headers=bob.headers).status_code == 204
    assert client.get(f"/v5/pins/{source['id']}", headers=alice.headers).json()["save_count"] == 0


def test_secret_pins_are_invisible_to_others_everywhere(
    client: TestClient, alice: Account, bob: Account
) -> None:
    secret = board(client, alice, "Hidden", privacy="SECRET")
    hidden = pin(client, alice, secret, title="surprise party")
    assert client.get(f"/v5/pins/{hidden['id']}", headers=bob.headers).status_code == 404
    assert client.get(f"/v5/boards/{secret}/pins", headers=bob.headers).status_code == 404
    assert (
        client.post(
            f"/v5/pins/{hidden['id']}/save", json={"board_id": board(client, bob)}, headers=bob.headers
        ).status_code
        == 404
    )
    assert (
        client.patch(f"/v5/pins/{hidden['id']}", json={"title": "x"}, headers=bob.headers).status_code == 404
    )
    assert client.delete(f"/v5/pins/{hidden['id']}", headers=bob.headers).status_code == 404
    bob_account = client.get("/v5/user_account", headers=bob.headers).json()
    assert bob_account["pin_count"] == 0
    # The owner sees it, and saving it into a public board does not count as a public save.
    assert client.get(f"/v5/pins/{hidden['id']}", headers=alice.headers).status_code == 200


def test_board_pins_paginate_stably_under_concurrent_inserts(client: TestClient, alice: Account) -> None:
    board_id = board(client, alice)
    ids = [pin(client, alice, board_id, seed=i)["id"] for i in range(5)]
    first = client.get(f"/v5/boards/{board_id}/pins", params={"page_size": 2}, headers=alice.headers).json()
    pin(client, alice, board_id, seed=99)  # a new pin between pages must not shift the next page
    seen = [p["id"] for p in first["items"]]
    bookmark = first["bookmark"]
    while bookmark:
        page = client.get(
            f"/v5/boards/{board_id}/pins",
            params={"page_size": 2, "bookmark": bookmark},
            headers=alice.headers,
        ).json()
        seen += [p["id"] for p in page["items"]]
        bookmark = page["bookmark"]
    assert seen == list(reversed(ids))


def test_list_my_pins_filters_repins(client: TestClient, alice: Account, bob: Account) -> None:
    original = pin(client, bob, board(client, bob))
    mine = pin(client, alice, board(client, alice, "Mine"))
    saved = client.post(
        f"/v5/pins/{original['id']}/save", json={"board_id": mine["board_id"]}, headers=alice.headers
    ).json()

    def ids(**p):
        return {x["id"] for x in client.get("/v5/pins", params=p, headers=alice.headers).json()["items"]}

    assert ids() == {mine["id"], saved["id"]}
    assert ids(pin_filter="exclude_repins") == {mine["id"]}
    assert ids(pin_filter="exclude_native") == {saved["id"]}


def test_search_my_pins(client: TestClient, alice: Account, bob: Account) -> None:
    pin(client, alice, board(client, alice), title="Blue kitchen tiles")
    pin(client, bob, board(client, bob), title="Blue kitchen tiles too")
    hits = client.get("/v5/search/pins", params={"query": "kitchen blue"}, headers=alice.headers).json()
    assert [h["title"] for h in hits["items"]] == ["Blue kitchen tiles"]
    assert client.get("/v5/search/pins", headers=alice.headers).status_code == 400


def test_user_account(client: TestClient, alice: Account) -> None:
    pin(client, alice, board(client, alice))
    account = client.get("/v5/user_account", headers=alice.headers).json()
    assert account["username"] == "alice" and account["id"].isdigit()
    assert account["account_type"] == "PINNER" and account["profile_image"] == ""
    assert (account["board_count"], account["pin_count"]) == (1, 1)


def test_unknown_ids_are_404_json(client: TestClient, alice: Account) -> None:
    for url in ("/v5/pins/123", "/v5/pins/abc", "/v5/boards/999", "/v5/boards/999/pins", "/v5/nope"):
        response = client.get(url, headers=alice.headers)
        assert response.status_code == 404 and set(response.json()) == {"code", "message"}, url
