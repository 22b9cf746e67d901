"""Regressions for what the schemathesis run (test_schemathesis.py) found: each answer is a documented status
with the documented body."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from tests.factories import Account, media_source

from pinhaven.db.engine import session_scope
from pinhaven.moderation.roles import set_role


def make_role(client: TestClient, account: Account, role: str) -> None:
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    with session_scope(ctx.sessions) as db:
        set_role(db=db, user=db.merge(account.user), role=role)


def _documented(client: TestClient, method: str, path: str) -> set[str]:
    return set(client.get("/openapi.json").json()["paths"][path][method]["responses"])


def test_the_topics_list_served_is_the_one_documented(client: TestClient) -> None:
    """Two routes were registered at GET /ext/v1/topics: the sign-up picker (served) and the taxonomy (only
    in the document). The picker keeps the path; the taxonomy is at /ext/v1/taxonomy."""
    schema = client.get("/openapi.json").json()
    picker = client.get("/ext/v1/topics")
    assert picker.status_code == 200
    ref = schema["paths"]["/ext/v1/topics"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    documented = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]
    assert set(documented["required"]) <= set(picker.json())
    item_ref = documented["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][item_ref]["required"]) <= set(picker.json()["items"][0])
    taxonomy = client.get("/ext/v1/taxonomy")
    assert taxonomy.status_code == 200
    top = taxonomy.json()["items"][0]
    assert {"id", "name", "description", "url"} <= set(top)
    assert client.get(f"/ext/v1/topics/{top['id']}").json()["id"] == top["id"]


def test_a_conversation_with_an_unknown_person_is_a_documented_404(
    client: TestClient, alice: Account
) -> None:
    answer = client.post("/ext/v1/conversations", headers=alice.headers, json={"usernames": ["nobody"]})
    assert answer.status_code == 404
    assert set(answer.json()) == {"code", "message"}
    assert "404" in _documented(client, "post", "/ext/v1/conversations")


def _answers_documented(
    client: TestClient, method: str, path: str, concrete: str, status: int, **kw: Any
) -> None:
    answer = client.request(method, concrete, **kw)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"code", "message"}
    assert str(status) in _documented(client, method.lower(), path), (method, path, status)


def test_bodies_and_filters_naming_unknown_objects_are_documented_404s(
    client: TestClient, alice: Account
) -> None:
    h = alice.headers
    board = client.post("/v5/boards", headers=h, json={"name": "Kitchens"}).json()["id"]
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("POST", "/v5/pins", "/v5/pins", {"json": {"board_id": "1001", "media_source": media_source()}}),
        (
            "POST",
            "/ext/v1/pins/from-url",
            "/ext/v1/pins/from-url",
            {"json": {"url": "https://a.example/", "board_id": "1001"}},
        ),
        (
            "POST",
            "/ext/v1/moderation/actions",
            "/ext/v1/moderation/actions",
            {"json": {"action": "dismiss", "case_id": "60"}},
        ),
        ("GET", "/ext/v1/search/pins", "/ext/v1/search/pins?topic=no-such-topic", {}),
        (
            "POST",
            "/ext/v1/reports",
            "/ext/v1/reports",
            {"json": {"object_type": "pin", "object_id": "1001", "reason": "spam"}},
        ),
        ("POST", "/ext/v1/search/visual", "/ext/v1/search/visual", {"json": {"pin_id": "1001"}}),
        (
            "POST",
            "/v5/catalogs/feeds",
            "/v5/catalogs/feeds",
            {
                "json": {
                    "format": "CSV",
                    "location": "https://shop.example/feed.csv",
                    "name": "Feed",
                    "catalog_id": "1001",
                }
            },
        ),
        ("GET", "/v5/catalogs/feeds", "/v5/catalogs/feeds?catalog_id=1001", {}),
        ("GET", "/v5/catalogs/product_groups", "/v5/catalogs/product_groups?catalog_id=1001", {}),
        (
            "POST",
            "/v5/catalogs/product_groups",
            "/v5/catalogs/product_groups",
            {
                "json": {
                    "catalog_id": "1001",
                    "name": "Shoes",
                    "filters": {"all_of": [{"BRAND": {"values": ["Acme"]}}]},
                }
            },
        ),
        (
            "GET",
            "/v5/catalogs/items",
            '/v5/catalogs/items?filters={"item_ids":["a"],"catalog_id":"1001"}',
            {},
        ),
        ("GET", "/ext/v1/search/pins", "/ext/v1/search/pins?user=nobody", {}),
        ("GET", "/ext/v1/search/pins", "/ext/v1/search/pins?q=tiles&board=1001", {}),
    ]
    make_role(client, alice, "admin")
    for method, path, concrete, kw in cases:
        _answers_documented(client, method, path, concrete, 404, headers=h, **kw)
    assert board


def test_another_persons_pin_analytics_is_a_documented_403(
    client: TestClient, alice: Account, bob: Account
) -> None:
    board = client.post("/v5/boards", headers=alice.headers, json={"name": "Kitchens"}).json()["id"]
    pin = client.post(
        "/v5/pins", headers=alice.headers, json={"board_id": board, "media_source": media_source()}
    )
    path = "/ext/v1/pins/{pin_id}/analytics"
    concrete = path.format(pin_id=pin.json()["id"])
    _answers_documented(client, "GET", path, concrete, 403, headers=bob.headers)


def test_with_anonymous_browsing_off_every_gated_operation_documents_its_401(
    client: TestClient, alice: Account
) -> None:
    make_role(client, alice, "admin")
    off = client.patch("/ext/v1/instance/settings", headers=alice.headers, json={"anonymous_browsing": False})
    assert off.status_code == 200, off.text
    doc = client.get("/openapi.json").json()
    undocumented = []
    for path, operations in doc["paths"].items():
        if not path.startswith(("/v5/", "/ext/v1/")) or "get" not in operations:
            continue
        concrete = re.sub(r"\{[^}]+\}", lambda m: "someone" if m.group(0) == "{username}" else "1001", path)
        answer = client.get(concrete)
        if answer.status_code >= 400 and str(answer.status_code) not in operations["get"]["responses"]:
            undocumented.append((path, answer.status_code))
    assert client.get("/ext/v1/topics").status_code == 401
    assert client.get("/ext/v1/health").status_code == 200
    assert not undocumented, undocumented
