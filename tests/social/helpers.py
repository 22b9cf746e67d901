"""Small API helpers for the social-layer tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.factories import Account, media_source


def board(client: TestClient, account: Account, name: str = "Kitchens", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int = 0, **fields: object) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed, size=(64, 48)), **fields}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def save(client: TestClient, account: Account, pin_id: str, board_id: str) -> str:
    response = client.post(f"/v5/pins/{pin_id}/save", json={"board_id": board_id}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def follow(client: TestClient, account: Account, username: str) -> Any:
    return client.post(f"/ext/v1/users/{username}/follow", headers=account.headers)


def inbox(client: TestClient, account: Account, **params: Any) -> dict[str, Any]:
    response = client.get("/ext/v1/notifications", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
