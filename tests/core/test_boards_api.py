"""/v5 boards and sections: shapes, status codes, pagination, privacy, counters — on every database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account, media_source

from pinhaven.context import AppContext

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)

BOARD_FIELDS = {
    "id",
    "name",
    "description",
    "privacy",
    "owner",
    "created_at",
    "board_pins_modified_at",
    "pin_count",
    "follower_count",
    "collaborator_count",
    "media",
}


def create_board(client: TestClient, account: Account, **body: object) -> dict:
    response = client.post("/v5/boards", json={"name": "Kitchens", **body}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_board_returns_the_full_v5_shape(client: TestClient, alice: Account) -> None:
    board = create_board(client, alice, description="ideas", privacy="SECRET")
    assert board.keys() >= BOARD_FIELDS
    assert board["id"].isdigit()
    assert board["owner"] == {"username": "alice"}
    assert board["privacy"] == "SECRET"
    assert board["media"] == {"image_cover_url": None, "pin_thumbnail_urls": []}
    assert board["created_at"].endswith("+00:00")
    assert board["pin_count"] == 0


def test_board_names_are_unique_per_owner_regardless_of_case(
    client: TestClient, alice: Account, bob: Account
) -> None:
    create_board(client, alice, name="Travel")
    again = client.post("/v5/boards", json={"name": "travel"}, headers=alice.headers)
    assert again.status_code == 409
    assert again.json()["code"] == 409 and "travel" in again.json()["message"].lower()
    create_board(client, bob, name="Travel")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 181}, "name"),
        ({"name": "ok", "privacy": "FRIENDS"}, "privacy"),
        ({"name": 5}, "name"),
        ({"description": "no name"}, "name"),
    ],
)
def test_invalid_board_bodies_are_400_naming_the_field(
    client: TestClient, alice: Account, body: dict, field: str
) -> None:
    response = client.post("/v5/boards", json=body, headers=alice.headers)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"code", "message"} and field in error["message"]
    assert client.get("/v5/boards", headers=alice.headers).json()["items"] == []


def test_requests_without_or_with_bad_token_are_401(client: TestClient, alice: Account) -> None:
    assert client.get("/v5/boards").status_code == 401
    response = client.get("/v5/boards", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and set(response.json()) == {"code", "message"}


def test_token_without_write_scope_is_403(client: TestClient, ctx: AppContext) -> None:
    reader = make_account(ctx, "reader", scopes="boards:read,pins:read")
    response = client.post("/v5/boards", json={"name": "x"}, headers=reader.headers)
    assert response.status_code == 403


def test_update_and_delete_board(client: TestClient, alice: Account) -> None:
    board = create_board(client, alice)
    patched = client.patch(
        f"/v5/boards/{board['id']}",
        json={"name": "Dream kitchens", "description": None},
        headers=alice.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Dream kitchens" and patched.json()["description"] is None
    assert (
        client.patch(
            f"/v5/boards/{board['id']}", json={"privacy": "PROTECTED"}, headers=alice.headers
        ).status_code
        == 400
    )
    assert client.delete(f"/v5/boards/{board['id']}", headers=alice.headers).status_code == 204
    assert client.get(f"/v5/boards/{board['id']}", headers=alice.headers).status_code == 404


def test_secret_board_is_404_for_others_and_for_tokens_without_read_secret(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    board = create_board(client, alice, privacy="SECRET")
    assert client.get(f"/v5/boards/{board['id']}", headers=alice.headers).status_code == 200
    assert client.get(f"/v5/boards/{board['id']}", headers=bob.headers).status_code == 404
    assert (
        client.patch(f"/v5/boards/{board['id']}", json={"name": "x"}, headers=bob.headers).status_code == 404
    )
    limited = make_account(ctx, "limited")
    from pinhaven.accounts import service
    from pinhaven.db.engine import session_scope

    with session_scope(ctx.sessions) as db:
        owner = service.get_by_username_or_raise(db=db, username="alice")
        _, token = service.create_token(db=db, user=owner, name="no-secret", scopes="boards:read,pins:read")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/v5/boards/{board['id']}", headers=headers).status_code == 404
    assert client.get("/v5/boards", headers=headers).json()["items"] == []
    assert limited.user.username == "limited"


def test_public_board_of_another_user_cannot_be_changed(
    client: TestClient, alice: Account, bob: Account
) -> None:
    board = create_board(client, alice)
    assert client.get(f"/v5/boards/{board['id']}", headers=bob.headers).status_code == 200
    assert (
        client.patch(f"/v5/boards/{board['id']}", json={"name": "mine"}, headers=bob.headers).status_code
        == 403
    )
    assert client.delete(f"/v5/boards/{board['id']}", headers=bob.headers).status_code == 403


def test_list_boards_paginates_to_the_end_without_duplicates(client: TestClient, alice: Account) -> None:
    for i in range(7):
        create_board(client, alice, name=f"Board {i}")
    seen: list[str] = []
    params: dict[str, object] = {"page_size": 3}
    while True:
        page = client.get("/v5/boards", params=params, headers=alice.headers).json()
        seen += [b["id"] for b in page["items"]]
        if not page["bookmark"]:
            break
        params["bookmark"] = page["bookmark"]
    assert len(seen) == 7 == len(set(seen))


def test_privacy_filter_on_board_list(client: TestClient, alice: Account) -> None:
    create_board(client, alice, name="open")
    create_board(client, alice, name="hidden", privacy="SECRET")

    def names(privacy):
        return {
            b["name"]
            for b in client.get("/v5/boards", params={"privacy": privacy}, headers=alice.headers).json()[
                "items"
            ]
        }

    assert names("SECRET") == {"hidden"}
    assert names("PUBLIC") == {"open"}
    assert names("ALL") == {"open", "hidden"}


@pytest.mark.parametrize(
    "params", [{"page_size": 0}, {"page_size": 251}, {"bookmark": "%%%"}, {"bookmark": "WzFd"[:3]}]
)
def test_bad_paging_parameters_are_400(client: TestClient, alice: Account, params: dict) -> None:
    response = client.get("/v5/boards", params=params, headers=alice.headers)
    assert response.status_code == 400, response.text


def test_sections_crud_and_pins_in_sections(client: TestClient, alice: Account, bob: Account) -> None:
    board = create_board(client, alice)
    url = f"/v5/boards/{board['id']}/sections"
    section = client.post(url, json={"name": "Tiles"}, headers=alice.headers)
    assert section.status_code == 201 and section.json()["name"] == "Tiles"
    sid = section.json()["id"]
    assert client.post(url, json={"name": "tiles"}, headers=alice.headers).status_code == 409
    assert client.post(url, json={"name": "Other"}, headers=bob.headers).status_code == 403
    renamed = client.patch(f"{url}/{sid}", json={"name": "Floor tiles"}, headers=alice.headers)
    assert renamed.json() == {"id": sid, "name": "Floor tiles"}
    pin = client.post(
        "/v5/pins",
        json={"board_id": board["id"], "board_section_id": sid, "media_source": media_source()},
        headers=alice.headers,
    )
    assert pin.status_code == 201, pin.text
    listed = client.get(f"{url}/{sid}/pins", headers=alice.headers).json()
    assert [p["id"] for p in listed["items"]] == [pin.json()["id"]]
    assert client.get(url, headers=alice.headers).json()["items"] == [{"id": sid, "name": "Floor tiles"}]
    assert client.delete(f"{url}/{sid}", headers=alice.headers).status_code == 204
    assert client.get(f"/v5/pins/{pin.json()['id']}", headers=alice.headers).status_code == 404
    assert client.get(f"/v5/boards/{board['id']}", headers=alice.headers).json()["pin_count"] == 0
