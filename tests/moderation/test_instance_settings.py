"""Roles and instance settings: who may change them, and that sign-up, browsing and default privacy obey."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.factories import Account, make_account
from tests.moderation.helpers import board, make_role
from tests.web.helpers import WebClient
from typer.testing import CliRunner

from pinhaven.cli import app as cli_app
from pinhaven.context import AppContext


@pytest.fixture
def admin(ctx: AppContext) -> Account:
    account = make_account(ctx, "root")
    make_role(ctx, account, "admin")
    return account


def _set(client: TestClient, admin: Account, **changes: object) -> None:
    response = client.patch("/ext/v1/instance/settings", json=changes, headers=admin.headers)
    assert response.status_code == 200, response.text


def test_only_admins_read_and_change_settings(client: TestClient, admin: Account, alice: Account) -> None:
    assert client.get("/ext/v1/instance/settings", headers=alice.headers).status_code == 403
    assert (
        client.patch(
            "/ext/v1/instance/settings", json={"signup": "closed"}, headers=alice.headers
        ).status_code
        == 403
    )
    assert client.get("/ext/v1/instance/settings").status_code == 401
    defaults = client.get("/ext/v1/instance/settings", headers=admin.headers).json()
    assert defaults["signup"] == "open" and defaults["anonymous_browsing"] is True
    for bad in (
        {"signup": "maybe"},
        {"spam_threshold": 2},
        {"anonymous_browsing": "yes please"},
        {"colour": "red"},
    ):
        response = client.patch("/ext/v1/instance/settings", json=bad, headers=admin.headers)
        assert response.status_code == 400, bad
        assert set(response.json()) == {"code", "message"}
    _set(client, admin, signup="invite", spam_threshold=0.5)
    changed = client.get("/ext/v1/instance/settings", headers=admin.headers).json()
    assert changed["signup"] == "invite" and changed["spam_threshold"] == 0.5
    # Admins give roles over the API too; members cannot.
    assert (
        client.put("/ext/v1/users/alice/role", json={"role": "moderator"}, headers=alice.headers).status_code
        == 403
    )
    assert (
        client.put("/ext/v1/users/alice/role", json={"role": "moderator"}, headers=admin.headers).status_code
        == 200
    )
    assert client.get("/ext/v1/moderation/queue", headers=alice.headers).status_code == 200
    assert (
        client.put("/ext/v1/users/alice/role", json={"role": "king"}, headers=admin.headers).status_code
        == 400
    )


def test_signup_closed_and_invite_only(
    client: TestClient, admin: Account, new_visitor: Callable[[], WebClient]
) -> None:
    _set(client, admin, signup="closed")
    visitor = new_visitor()
    assert "Sign-up is closed" in visitor.get("/signup").text
    refused = visitor.post(
        "/signup", {"username": "carol", "email": "carol@example.test", "password": "long enough pw"}
    )
    assert refused.status_code == 403 and "closed" in refused.text

    _set(client, admin, signup="invite")
    assert 'name="invite"' in visitor.get("/signup").text
    form = {"username": "carol", "email": "carol@example.test", "password": "long enough pw"}
    assert visitor.post("/signup", {**form, "invite": "made-up"}).status_code == 403
    code = client.post("/ext/v1/instance/invites", headers=admin.headers).json()["code"]
    assert visitor.post("/signup", {**form, "invite": code}).status_code == 303
    second = new_visitor()
    second.get("/signup")
    reused = second.post(
        "/signup",
        {"username": "dave", "email": "dave@example.test", "password": "long enough pw", "invite": code},
    )
    assert reused.status_code == 403  # single use


def test_anonymous_browsing_off_sends_visitors_to_log_in(
    client: TestClient, admin: Account, alice: Account, new_visitor: Callable[[], WebClient]
) -> None:
    board_id = board(client, alice, "Coast")
    assert client.get(f"/ext/v1/boards/{board_id}/pins").status_code == 200
    _set(client, admin, anonymous_browsing=False)
    refused = client.get(f"/ext/v1/boards/{board_id}/pins")
    assert refused.status_code == 401 and set(refused.json()) == {"code", "message"}
    assert client.get("/ext/v1/search/pins", params={"q": "x"}).status_code == 401
    assert (
        client.get(
            f"/ext/v1/boards/{board_id}/pins", headers={"Authorization": "Bearer nonsense"}
        ).status_code
        == 401
    )
    assert client.get(f"/ext/v1/boards/{board_id}/pins", headers=alice.headers).status_code == 200
    visitor = new_visitor()
    page = visitor.get(f"/board/{board_id}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert visitor.get("/login").status_code == 200
    visitor.signup("erin")
    assert visitor.get(f"/board/{board_id}").status_code == 200


def test_default_board_privacy(client: TestClient, admin: Account, alice: Account, ann: WebClient) -> None:
    assert client.post("/v5/boards", json={"name": "A"}, headers=alice.headers).json()["privacy"] == "PUBLIC"
    assert 'name="secret" value="1">' in ann.get("/boards/new").text
    _set(client, admin, default_board_privacy="SECRET")
    assert client.post("/v5/boards", json={"name": "B"}, headers=alice.headers).json()["privacy"] == "SECRET"
    assert (
        client.post("/v5/boards", json={"name": "C", "privacy": "PUBLIC"}, headers=alice.headers).json()[
            "privacy"
        ]
        == "PUBLIC"
    )
    assert 'name="secret" value="1" checked>' in ann.get("/boards/new").text


def test_cli_gives_roles_and_changes_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PINHAVEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PINHAVEN_PASSWORD_HASH_FAST", "1")
    runner = CliRunner()
    created = runner.invoke(
        cli_app, ["users", "create", "alice", "--email", "a@example.test"], input="long enough pw\n"
    )
    assert created.exit_code == 0, created.output
    promoted = runner.invoke(cli_app, ["users", "role", "alice", "admin"])
    assert promoted.exit_code == 0 and "alice is now admin" in promoted.output
    assert runner.invoke(cli_app, ["users", "role", "alice", "emperor"]).exit_code != 0
    assert runner.invoke(cli_app, ["users", "role", "nobody", "admin"]).exit_code != 0
    assert runner.invoke(cli_app, ["instance", "set", "signup", "invite"]).exit_code == 0
    assert runner.invoke(cli_app, ["instance", "set", "signup", "sometimes"]).exit_code != 0
    shown = runner.invoke(cli_app, ["instance", "show"])
    assert '"signup": "invite"' in shown.output
    code = runner.invoke(cli_app, ["instance", "invite"]).output.strip()
    assert len(code) >= 12
