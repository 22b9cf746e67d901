"""Sign up, log in, log out, change password; session cookies, CSRF and log-in throttling."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE
from pinhaven.config import Settings


def test_signup_signs_in_with_an_httponly_lax_session_cookie(visitor: WebClient) -> None:
    visitor.get("/signup")
    response = visitor.post("/signup", {"username": "ann", "email": "ann@example.test", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    home = visitor.get("/")
    assert 'href="/u/ann"' in home.text and "Log out" in home.text


def test_signup_errors_are_shown_inline_and_keep_the_form(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/signup")
    taken = visitor.post("/signup", {"username": "ann", "email": "x@example.test", "password": PASSWORD})
    assert taken.status_code == 409
    assert "taken" in taken.text and 'value="x@example.test"' in taken.text
    short = visitor.post("/signup", {"username": "zed", "email": "z@example.test", "password": "short"})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    assert SESSION_COOKIE not in visitor.http.cookies


def test_login_and_logout(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/login?next=/settings/tokens")
    response = visitor.post("/login", {"login": "ann", "password": PASSWORD, "next": "/settings/tokens"})
    assert response.status_code == 303 and response.headers["location"] == "/settings/tokens"
    assert visitor.get("/settings/tokens").status_code == 200
    out = visitor.post("/logout")
    assert out.status_code == 303
    assert visitor.get("/settings/tokens").headers["location"] == "/login?next=/settings/tokens"


def test_login_by_email_and_wrong_password(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/login")
    wrong = visitor.post("/login", {"login": "ann", "password": "not the password"})
    assert wrong.status_code == 400 and "don&#39;t match" in wrong.text
    assert visitor.post("/login", {"login": "ANN@example.test", "password": PASSWORD}).status_code == 303


def test_next_parameter_never_leaves_the_site(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/login")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        visitor.http.cookies.delete(SESSION_COOKIE)
        response = visitor.post("/login", {"login": "ann", "password": PASSWORD, "next": target})
        assert response.headers["location"] == "/"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(login_rate_per_minute=3)


def test_failed_logins_are_rate_limited_per_username_and_address(
    visitor: WebClient, new_visitor: Callable[[], WebClient]
) -> None:
    other = new_visitor()
    other.signup("carl")
    visitor.get("/login")
    for _ in range(3):
        assert visitor.post("/login", {"login": "carl", "password": "wrong password"}).status_code == 400
    blocked = visitor.post("/login", {"login": "carl", "password": PASSWORD})
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    assert "Too many failed attempts" in blocked.text
    # Another username from the same address is not affected.
    assert visitor.post("/login", {"login": "nobody", "password": "x" * 8}).status_code == 400


def test_a_post_without_csrf_token_is_refused(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/signup")
    refused = visitor.post(
        "/signup", {"username": "eve", "email": "eve@example.test", "password": PASSWORD}, csrf=False
    )
    assert refused.status_code == 403 and "CSRF" in refused.text and "<html" in refused.text
    forged = ann.post("/boards", {"name": "Forged", "csrf_token": "0" * 64}, csrf=False)
    assert forged.status_code == 403
    assert "Forged" not in ann.get("/u/ann").text


def test_a_signed_out_token_does_not_work_once_signed_in(visitor: WebClient, ann: WebClient) -> None:
    visitor.get("/login")
    signed_out_token = visitor.token
    assert visitor.post("/login", {"login": "ann", "password": PASSWORD}).status_code == 303
    refused = visitor.post("/boards", {"name": "Old token", "csrf_token": signed_out_token}, csrf=False)
    assert refused.status_code == 403


def test_signed_out_forms_bind_the_token_to_a_csrf_cookie(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept": "text/html"})
    cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_change_password_keeps_this_session_and_ends_the_others(
    ann: WebClient, new_visitor: Callable[[], WebClient]
) -> None:
    second = new_visitor()
    second.login("ann")
    ann.get("/settings/password")
    mismatch = ann.post(
        "/settings/password",
        {"current_password": PASSWORD, "new_password": "new password 1", "confirm_password": "other"},
    )
    assert mismatch.status_code == 400 and "differ" in mismatch.text
    wrong = ann.post(
        "/settings/password",
        {
            "current_password": "nope nope",
            "new_password": "new password 1",
            "confirm_password": "new password 1",
        },
    )
    assert wrong.status_code == 400 and "current password" in wrong.text
    done = ann.post(
        "/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": "new password 1",
            "confirm_password": "new password 1",
        },
    )
    assert done.status_code == 200 and "Your password is changed" in done.text
    assert ann.get("/settings/profile").status_code == 200
    assert second.get("/settings/profile").status_code == 303  # logged out: sent to /login
    second.get("/login")
    assert second.post("/login", {"login": "ann", "password": "new password 1"}).status_code == 303
