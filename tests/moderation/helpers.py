"""Shared steps of the moderation tests: roles, boards and pins over the API, what each surface shows."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.factories import Account, media_source
from tests.search.helpers import run_index_jobs

from pinhaven.accounts import service as accounts_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.moderation import roles


def make_role(ctx: AppContext, account: Account, role: str) -> None:
    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username_or_raise(db=db, username=account.user.username)
        roles.set_role(db=db, user=user, role=role)


def board(client: TestClient, account: Account, name: str = "Kitchens", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int = 0, **fields: Any) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), **fields}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def surfaces(
    ctx: AppContext, client: TestClient, viewer: Account | None, board_id: str, username: str, anchor: str
) -> dict[str, set[str]]:
    """Pin ids each public surface shows `viewer` (None: a signed-out visitor); `anchor` is another pin on
    the board, whose related pins and visual neighbours are looked at."""
    drain(ctx)  # media, search and visual index jobs
    run_index_jobs(ctx)
    headers = viewer.headers if viewer else {}
    shown = {
        "board_v5": ids(client.get(f"/v5/boards/{board_id}/pins", headers=headers)) if viewer else set(),
        "board_ext": ids(client.get(f"/ext/v1/boards/{board_id}/pins", headers=headers)),
        "profile": ids(client.get(f"/ext/v1/users/{username}/pins", headers=headers)),
        "search": ids(client.get("/ext/v1/search/pins", params={"q": "lighthouse"}, headers=headers)),
        "related": ids(client.get(f"/ext/v1/pins/{anchor}/related", headers=headers)),
        "visual": ids(client.post("/ext/v1/search/visual", json={"pin_id": anchor}, headers=headers)),
    }
    if viewer is not None:
        shown["feed"] = ids(client.get("/ext/v1/feed/home", headers=headers))
    return shown
