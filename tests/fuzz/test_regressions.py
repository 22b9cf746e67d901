"""Regressions for what the schemathesis run (test_schemathesis.py) found: each answer is a documented status
with the documented body."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.factories import Account


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
