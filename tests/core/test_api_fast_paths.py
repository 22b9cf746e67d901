"""The API's fast paths keep the slow paths' answers: board pages rendered straight to JSON, cached tokens.

A board's pins page is rendered from rows without pydantic models, so every item is compared with the same pin
read through the model path (`GET /v5/pins/{id}`); privacy is checked on every listing route; a cached token
stops working as soon as it is revoked, in this process or another.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, media_source

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import Viewer
from pinhaven.accounts.token_cache import TokenCache, tokens_of
from pinhaven.cache import MemoryCache
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope

all_backends = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def board(client: TestClient, account: Account, name: str = "Kitchens", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def section(client: TestClient, account: Account, board_id: str, name: str = "Tiles") -> str:
    response = client.post(f"/v5/boards/{board_id}/sections", json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int = 0, **fields: object) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), **fields}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def all_items(client: TestClient, url: str, headers: dict[str, str], **params: object) -> list[dict]:
    items: list[dict] = []
    page = {"bookmark": None}
    while True:
        query = {"page_size": 2, **params} | ({"bookmark": page["bookmark"]} if page["bookmark"] else {})
        response = client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "bookmark"}
        items += page["items"]
        if not page["bookmark"]:
            return items


def narrow_token(ctx: AppContext, account: Account, scopes: str) -> dict[str, str]:
    with session_scope(ctx.sessions) as db:
        _, token = accounts_service.create_token(db=db, user=account.user, name="narrow", scopes=scopes)
    return {"Authorization": f"Bearer {token}"}


@all_backends
def test_board_pages_hold_exactly_the_single_pin_reads(
    client: TestClient, alice: Account, bob: Account
) -> None:
    kitchens = board(client, alice)
    tiles = section(client, alice, kitchens)
    first = pin(client, alice, kitchens, seed=1, title="Blue", link="https://example.com/a", note="n")
    pin(client, alice, kitchens, seed=2, board_section_id=tiles, alt_text="tiles")
    pin(client, alice, kitchens, seed=3, description="third")
    bobs = board(client, bob, "Saved")
    saved = client.post(f"/v5/pins/{first}/save", json={"board_id": bobs}, headers=bob.headers)
    assert saved.status_code == 201, saved.text
    for viewer in (alice, bob):  # is_owner differs by viewer
        for url in (
            f"/v5/boards/{kitchens}/pins",
            f"/v5/boards/{kitchens}/sections/{tiles}/pins",
            f"/v5/boards/{bobs}/pins",
            f"/ext/v1/boards/{kitchens}/pins",
        ):
            items = all_items(client, url, viewer.headers)
            assert items, url
            for item in items:
                assert item == client.get(f"/v5/pins/{item['id']}", headers=viewer.headers).json()
    on_kitchens = all_items(client, f"/v5/boards/{kitchens}/pins", bob.headers)
    assert [p["is_owner"] for p in on_kitchens] == [False] * 3
    assert {(p["board_owner"]["username"], p["creator"]["username"]) for p in on_kitchens} == {
        ("alice", "alice")
    }
    assert on_kitchens[0]["description"] == "third"  # newest first
    (repin,) = all_items(client, f"/v5/boards/{bobs}/pins", bob.headers)
    assert repin["is_owner"] is True and repin["parent_pin_id"] == first and repin["title"] == "Blue"
    assert repin["board_owner"] == repin["creator"] == {"username": "bob"}
    anonymous = all_items(client, f"/ext/v1/boards/{kitchens}/pins", {}, section_id=tiles)
    social = ("comment_count", "reactions", "my_reaction")  # /ext/v1/pins/{id} adds them (comments/api.py)
    social += ("topics", "image_text", "product")  # and these (topics/, ocr/, pins/products.py)
    singles = [client.get(f"/ext/v1/pins/{item['id']}").json() for item in anonymous]
    assert [
        item == {k: v for k, v in one.items() if k not in social}
        for item, one in zip(anonymous, singles, strict=True)
    ] == [True]
    with_metrics = all_items(client, f"/v5/boards/{kitchens}/pins", alice.headers, pin_metrics="true")
    plain = all_items(client, f"/v5/boards/{kitchens}/pins", alice.headers)
    assert [{**item, "pin_metrics": None} for item in with_metrics] == plain
    assert all(isinstance(item["pin_metrics"], dict) for item in with_metrics)
    none_regular = client.get(
        f"/v5/boards/{kitchens}/pins", params={"creative_types": "VIDEO"}, headers=alice.headers
    )
    assert none_regular.json() == {"items": [], "bookmark": None}


@all_backends
def test_secret_board_pins_stay_hidden_on_every_listing(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    secret = board(client, alice, "Hidden", privacy="SECRET")
    room = section(client, alice, secret)
    hidden = pin(client, alice, secret, board_section_id=room, title="surprise")
    urls = (
        f"/v5/boards/{secret}/pins",
        f"/v5/boards/{secret}/sections/{room}/pins",
        f"/ext/v1/boards/{secret}/pins",
        f"/ext/v1/boards/{secret}/pins?section_id={room}",
    )
    alice_without_secret = narrow_token(ctx, alice, "boards:read boards:read_secret pins:read")
    for url in urls:
        assert client.get(url, headers=alice.headers).json()["items"][0]["id"] == hidden
        for headers in (bob.headers, alice_without_secret):
            assert client.get(url, headers=headers).status_code == 404, url
        assert client.get(url).status_code == (404 if url.startswith("/ext/") else 401)
    # A collaborator sees them, but only through credentials that may read secret pins.
    added = client.post(
        f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers
    )
    assert added.status_code == 201, added.text
    accepted = client.post(f"/ext/v1/invitations/{added.json()['id']}/accept", headers=bob.headers)
    assert accepted.status_code == 200, accepted.text
    bob_without_secret = narrow_token(ctx, bob, "boards:read boards:read_secret pins:read")
    for url in urls:
        assert client.get(url, headers=bob.headers).json()["items"][0]["id"] == hidden
        assert client.get(url, headers=bob_without_secret).status_code == 404
    # Privacy changes apply to the very next request (nothing about a board is cached).
    assert (
        client.delete(f"/ext/v1/boards/{secret}/collaborators/bob", headers=alice.headers).status_code == 204
    )
    assert client.get(urls[0], headers=bob.headers).status_code == 404
    assert client.patch(f"/v5/boards/{secret}", json={"privacy": "PUBLIC"}, headers=alice.headers).is_success
    assert client.get(urls[0], headers=bob.headers).json()["items"][0]["id"] == hidden
    assert client.patch(f"/v5/boards/{secret}", json={"privacy": "SECRET"}, headers=alice.headers).is_success
    assert client.get(urls[0], headers=bob.headers).status_code == 404


@all_backends
def test_a_cached_token_fails_on_the_request_after_its_revocation(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    url = f"/v5/boards/{board(client, alice)}/pins"
    for _ in range(2):  # the second request is served from the token cache
        assert client.get(url, headers=alice.headers).status_code == 200
    with session_scope(ctx.sessions) as db:
        token_id = accounts_service.list_tokens(db=db, user=alice.user)[0].id
        accounts_service.revoke_token(db=db, user=alice.user, token_id=token_id)
    assert client.get(url, headers=alice.headers).status_code == 401
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401


def test_a_revocation_by_another_process_reaches_the_cache(
    client: TestClient,
    ctx: AppContext,
    settings: Settings,
    alice: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Outlives the subprocess: only the stamp can drop the entry.
    monkeypatch.setattr(tokens_of(ctx), "ttl", 600.0)
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 200  # cached now
    with session_scope(ctx.sessions) as db:
        token_id = accounts_service.list_tokens(db=db, user=alice.user)[0].id
    revoked = subprocess.run(  # a real second process: it shares only the database and the data dir
        [sys.executable, "-m", "pinhaven.cli", "tokens", "revoke", "alice", str(token_id)],
        env={
            **os.environ,
            "PINHAVEN_DATA_DIR": str(settings.data_dir),
            "PINHAVEN_DATABASE_URL": settings.database_url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401


def test_token_cache_entries_expire_and_die_with_a_newer_stamp(tmp_path: Path) -> None:
    viewer = Viewer(user_id=1, scopes=frozenset({"pins:read"}), via="token")
    mine, other_process = TokenCache(MemoryCache(tmp_path), ttl=60), TokenCache(MemoryCache(tmp_path), ttl=60)
    mine.put("hash", viewer, mine.stamp())
    assert mine.get("hash") == viewer
    other_process.bump_generation()
    assert mine.get("hash") is None
    # A lookup that read the token before a revocation committed must not outlive it.
    before = mine.stamp()
    other_process.bump_generation()
    mine.put("hash", viewer, before)
    assert mine.get("hash") is None
    short = TokenCache(MemoryCache(None), ttl=0.01)
    short.put("hash", viewer, short.stamp())
    time.sleep(0.05)
    assert short.get("hash") is None
