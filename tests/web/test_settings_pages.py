"""Settings → API tokens: create with chosen scopes, shown once, usable on /v5, revocable."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient


def test_token_is_shown_once_with_the_chosen_scopes_and_works_on_v5(ann: WebClient) -> None:
    page = ann.get("/settings/tokens")
    assert page.status_code == 200 and 'value="pins:read_secret"' in page.text
    created = ann.post(
        "/settings/tokens", {"name": "Backup", "scopes": ["user_accounts:read", "boards:read"]}
    )
    assert created.status_code == 200
    token = re.search(r'<code id="new-token" class="token-value">(phv_[^<]+)</code>', created.text)
    assert token is not None
    account = ann.http.get("/v5/user_account", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert account.status_code == 200 and account.json()["username"] == "ann"
    denied = ann.http.get("/v5/pins", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert denied.status_code == 403  # pins:read was not chosen
    again = ann.get("/settings/tokens").text
    assert token.group(1) not in again and "Backup" in again
    assert "<code>boards:read</code> <code>user_accounts:read</code>" in again


def test_token_errors_keep_the_form(ann: WebClient) -> None:
    no_scope = ann.post("/settings/tokens", {"name": "Nothing"})
    assert no_scope.status_code == 400 and "at least one scope" in no_scope.text
    bad_scope = ann.post("/settings/tokens", {"name": "Bad", "scopes": ["pins:everything"]})
    assert bad_scope.status_code == 400 and "unknown scope" in bad_scope.text


def test_revoking_a_token_stops_it(ann: WebClient, ben: WebClient) -> None:
    created = ann.post("/settings/tokens", {"name": "Temp", "scopes": ["user_accounts:read"]})
    token = re.search(r'id="new-token" class="token-value">(phv_[^<]+)<', created.text)
    token_id = re.search(r'action="/settings/tokens/(\d+)/revoke"', created.text)
    assert token and token_id
    assert ben.post(f"/settings/tokens/{token_id.group(1)}/revoke").status_code == 404  # not ben's
    assert ann.post(f"/settings/tokens/{token_id.group(1)}/revoke").status_code == 303
    assert "Revoked" in ann.get("/settings/tokens").text
    response = ann.http.get("/v5/user_account", headers={"Authorization": f"Bearer {token.group(1)}"})
    assert response.status_code == 401


def test_settings_pages_need_a_session(visitor: WebClient) -> None:
    for path in ("/settings/profile", "/settings/password", "/settings/tokens"):
        response = visitor.get(path)
        assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"
