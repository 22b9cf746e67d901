"""Defect #16.6: every write checks a scope. Walks the OpenAPI description, so a new route is covered at once."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import Account, make_account

from pinhaven.context import AppContext

READ_ONLY_SCOPES = "boards:read,boards:read_secret,pins:read,pins:read_secret,user_accounts:read"
# POSTs that only read (a query too rich for a URL). Each must exist, so a renamed route cannot hide here.
READ_ONLY_POSTS = {("POST", "/ext/v1/search/visual")}
# The writes issue #16 found unchecked: the walk must include them.
KNOWN_WRITES = {
    ("POST", "/ext/v1/pins/{pin_id}/hide"),
    ("PUT", "/ext/v1/me/interests"),
    ("POST", "/ext/v1/events"),
}


def _writes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if method.upper() not in ("GET", "HEAD", "OPTIONS"):
                found.append((method.upper(), path))
    return sorted(found)


def _concrete(path: str) -> str:
    # Scopes are checked before any lookup, so any well-formed id or name serves.
    return re.sub(r"\{([^}]+)\}", lambda m: "someone" if m.group(1) == "username" else "1234567", path)


def test_every_write_refuses_a_token_without_write_scopes(
    ctx: AppContext, app: FastAPI, client: TestClient
) -> None:
    reader = make_account(ctx, "reader", scopes=READ_ONLY_SCOPES)
    writes = _writes(app)
    assert set(writes) >= READ_ONLY_POSTS and set(writes) >= KNOWN_WRITES
    checked = [w for w in writes if w not in READ_ONLY_POSTS]
    assert len(checked) >= 20  # the walk really found the API (23 writes when this test was written)
    answers = {}
    for method, path in checked:
        response = client.request(method, _concrete(path), headers=reader.headers, json={})
        answers[(method, path)] = response.status_code
    wrong = {route: status for route, status in answers.items() if status != 403}
    assert not wrong, f"writes that did not refuse a read-only token: {wrong}"


def test_read_only_post_still_answers_a_read_only_token(ctx: AppContext, client: TestClient) -> None:
    reader = make_account(ctx, "reader", scopes=READ_ONLY_SCOPES)
    response = client.post("/ext/v1/search/visual", headers=reader.headers, json={"pin_id": "1234567"})
    assert response.status_code == 404  # looked up, not refused


def test_scoped_writes_still_work(ctx: AppContext, client: TestClient, alice: Account) -> None:
    board = client.post("/v5/boards", headers=alice.headers, json={"name": "Mine"}).json()
    from tests.factories import media_source

    pin = client.post(
        "/v5/pins", headers=alice.headers, json={"board_id": board["id"], "media_source": media_source()}
    ).json()
    writer = make_account(ctx, "writer", scopes="pins:read,user_accounts:read,user_accounts:write")
    assert client.post(f"/ext/v1/pins/{pin['id']}/hide", headers=writer.headers).status_code == 200
    assert client.delete(f"/ext/v1/pins/{pin['id']}/hide", headers=writer.headers).status_code == 200
    events = {"events": [{"type": "impression", "pin_id": pin["id"], "surface": "home"}]}
    assert client.post("/ext/v1/events", headers=writer.headers, json=events).status_code == 200
    assert client.post("/ext/v1/events", json=events).status_code == 200  # anonymous impressions stay allowed
    reader = make_account(ctx, "reader", scopes="pins:read")
    assert client.post("/ext/v1/events", headers=reader.headers, json=events).status_code == 403
    assert client.post("/ext/v1/pins/x/hide").status_code == 401
