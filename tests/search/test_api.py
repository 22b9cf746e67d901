"""/ext/v1/search: pins, boards and people over HTTP, with privacy and bad input answered as 4xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.search.helpers import Maker, run_index_jobs

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import members
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


@pytest.fixture
def pins(ctx: AppContext, make: Maker, alice: Account, bob: Account) -> dict[str, int]:
    garden = make.board(alice, "Garden ideas", description="raised beds and herbs")
    secret = make.board(alice, "Secret garden", privacy="SECRET")
    ids = {
        "beds": make.pin(alice, garden, title="Raised cedar beds", link="https://growing.example/beds"),
        "herbs": make.pin(alice, garden, title="Herb spiral"),
        "hidden": make.pin(alice, secret, title="Cedar greenhouse plans"),
        "bob": make.pin(bob, make.board(bob, "Woodwork"), title="Cedar bench"),
        "garden": garden,
        "secret": secret,
    }
    run_index_jobs(ctx)
    return ids


def test_search_pins_returns_v5_pins_the_caller_may_see(
    client: TestClient, pins: dict[str, int], alice: Account, bob: Account
) -> None:
    response = client.get("/ext/v1/search/pins", params={"q": "cedar"}, headers=bob.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {item["title"] for item in body["items"]} == {"Raised cedar beds", "Cedar bench"}
    assert body["total_estimate"] == 2 and body["bookmark"] is None and body["mode"] == "keyword"
    item = next(i for i in body["items"] if i["title"] == "Cedar bench")
    assert item["id"] == str(pins["bob"]) and item["board_owner"] == {"username": "bob"}

    anonymous = client.get("/ext/v1/search/pins", params={"q": "cedar"}).json()
    assert anonymous["total_estimate"] == 2
    mine = client.get("/ext/v1/search/pins", params={"q": "cedar"}, headers=alice.headers).json()
    assert {i["title"] for i in mine["items"]} == {
        "Raised cedar beds",
        "Cedar bench",
        "Cedar greenhouse plans",
    }


def test_search_pins_filters_and_pages(
    client: TestClient, pins: dict[str, int], alice: Account, bob: Account
) -> None:
    by_board = client.get("/ext/v1/search/pins", params={"q": "cedar", "board": str(pins["garden"])}).json()
    assert [i["title"] for i in by_board["items"]] == ["Raised cedar beds"]
    by_user = client.get("/ext/v1/search/pins", params={"q": "cedar", "user": "bob"}).json()
    assert [i["title"] for i in by_user["items"]] == ["Cedar bench"]
    first = client.get("/ext/v1/search/pins", params={"q": "cedar", "page_size": 1}).json()
    assert len(first["items"]) == 1 and first["bookmark"]
    second = client.get(
        "/ext/v1/search/pins", params={"q": "cedar", "page_size": 1, "bookmark": first["bookmark"]}
    ).json()
    assert len(second["items"]) == 1 and second["items"][0]["id"] != first["items"][0]["id"]
    assert second["bookmark"] is None


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({}, 400, "q"),
        ({"q": ""}, 400, "q: must not be empty"),
        ({"q": "   "}, 400, "q: must not be empty"),
        ({"q": "x" * 201}, 400, "q"),
        ({"q": "cedar", "page_size": 0}, 400, "page_size"),
        ({"q": "cedar", "bookmark": "garbage!"}, 400, "bookmark"),
        ({"q": "cedar", "board": "abc"}, 400, "board"),
        ({"q": "cedar", "user": "nobody"}, 404, "User not found"),
    ],
)
def test_search_pins_rejects_bad_input(
    client: TestClient, pins: dict[str, int], params: dict[str, object], status: int, fragment: str
) -> None:
    response = client.get("/ext/v1/search/pins", params=params)
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]


def test_secret_board_filter_is_not_found_for_others(
    client: TestClient, pins: dict[str, int], bob: Account, alice: Account
) -> None:
    params = {"q": "cedar", "board": str(pins["secret"])}
    assert client.get("/ext/v1/search/pins", params=params, headers=bob.headers).status_code == 404
    own = client.get("/ext/v1/search/pins", params=params, headers=alice.headers)
    assert [i["title"] for i in own.json()["items"]] == ["Cedar greenhouse plans"]


def test_search_boards_by_name_and_description(
    ctx: AppContext, client: TestClient, pins: dict[str, int], alice: Account, bob: Account
) -> None:
    found = client.get("/ext/v1/search/boards", params={"q": "garden"}, headers=bob.headers).json()
    assert [b["name"] for b in found["items"]] == ["Garden ideas"]
    assert (
        client.get("/ext/v1/search/boards", params={"q": "herbs"}).json()["items"][0]["name"]
        == "Garden ideas"
    )
    own = client.get("/ext/v1/search/boards", params={"q": "garden"}, headers=alice.headers).json()
    assert {b["name"] for b in own["items"]} == {"Garden ideas", "Secret garden"}
    with session_scope(ctx.sessions) as db:
        members.add_collaborator(
            db=db, viewer=session_viewer(alice.user.id), board_id=pins["secret"], username="bob"
        )
    shared = client.get("/ext/v1/search/boards", params={"q": "garden"}, headers=bob.headers).json()
    assert {b["name"] for b in shared["items"]} == {"Garden ideas", "Secret garden"}
    assert client.get("/ext/v1/search/boards", params={"q": " "}).status_code == 400


def test_search_people_by_username_and_display_name(ctx: AppContext, client: TestClient) -> None:
    make_account(ctx, "marta_k")
    make_account(ctx, "kmarta")
    make_account(ctx, "someone")
    body = client.get("/ext/v1/search/people", params={"q": "marta"}).json()
    assert [u["username"] for u in body["items"]] == ["marta_k", "kmarta"]  # username prefix first
    assert set(body["items"][0]) == {"id", "username", "display_name", "profile_image"}
    assert client.get("/ext/v1/search/people", params={"q": "nobody-here"}).json()["items"] == []
    assert client.get("/ext/v1/search/people").status_code == 400
