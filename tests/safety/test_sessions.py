# ruff: noqa: F811  (fixtures imported from tests.web.conftest and tests.cache.conftest are re-used by name)
"""Defect #16.5: logout ends the session on the server; "log out everywhere"; password change; cached lookups."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from tests.cache.conftest import REDIS_URL, redis_prefix  # noqa: F401  (fixture)
from tests.factories import Account, make_account
from tests.web.conftest import ann, ben, new_visitor  # noqa: F401  (fixtures)
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.sessions import SESSION_COOKIE
from pinhaven.app import create_app
from pinhaven.cache import cache_of
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope

READ_ONLY = "boards:read,pins:read,user_accounts:read"


def _replay(app: FastAPI, cookie: str) -> TestClient:
    """A fresh client that sends only the given (captured) session cookie, as an attacker would."""
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, cookie)
    return client


def _cookie(web: WebClient) -> str:
    value = web.http.cookies.get(SESSION_COOKIE)
    assert value
    return str(value)


def _signed_in(app: FastAPI, cookie: str) -> bool:
    """Whether the cookie alone opens a settings page (a dead cookie is redirected to log in)."""
    response = _replay(app, cookie).get("/settings/profile", headers={"Accept": "text/html"})
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def test_a_replayed_cookie_after_logout_is_refused(app: FastAPI, ann: WebClient) -> None:
    cookie = _cookie(ann)
    assert _signed_in(app, cookie)
    assert ann.post("/logout").status_code == 303
    assert not _signed_in(app, cookie)
    page = _replay(app, cookie).get("/settings/profile", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    api = _replay(app, cookie).get("/ext/v1/me/sessions")
    assert api.status_code == 401 and api.json()["code"] == 401


def test_logging_out_ends_only_that_session(app: FastAPI, new_visitor: Callable[[], WebClient]) -> None:
    laptop = new_visitor()
    laptop.signup("ann")
    phone = new_visitor()
    phone.login("ann")
    phone_cookie = _cookie(phone)
    laptop.post("/logout")
    assert _signed_in(app, phone_cookie)


def test_log_out_everywhere_from_the_settings_page(
    app: FastAPI, new_visitor: Callable[[], WebClient]
) -> None:
    laptop, phone = new_visitor(), new_visitor()
    laptop.signup("ann")
    phone.login("ann")
    cookies = [_cookie(laptop), _cookie(phone)]
    page = laptop.get("/settings/sessions")
    assert page.status_code == 200 and page.text.count('action="/settings/sessions/') == 3  # 2 + "all"
    assert "This browser" in page.text and "testclient" in page.text
    response = laptop.post("/settings/sessions/revoke-all")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not any(_signed_in(app, c) for c in cookies)


def test_ending_one_session_from_the_page(app: FastAPI, new_visitor: Callable[[], WebClient]) -> None:
    laptop, phone = new_visitor(), new_visitor()
    laptop.signup("ann")
    phone.login("ann")
    phone_cookie = _cookie(phone)
    page = laptop.get("/settings/sessions").text
    assert len(re.findall(r'action="/settings/sessions/(\d+)/revoke"', page)) == 2
    listed = _replay(app, _cookie(laptop)).get("/ext/v1/me/sessions").json()["items"]
    other = [s["id"] for s in listed if not s["current"]]
    assert len(other) == 1
    assert laptop.post(f"/settings/sessions/{other[0]}/revoke").status_code == 303
    assert not _signed_in(app, phone_cookie)
    assert _signed_in(app, _cookie(laptop))


def test_someone_elses_session_cannot_be_ended(app: FastAPI, ann: WebClient, ben: WebClient) -> None:
    bens = re.findall(r'action="/settings/sessions/(\d+)/revoke"', ben.get("/settings/sessions").text)
    assert ann.post(f"/settings/sessions/{bens[0]}/revoke").status_code == 404
    assert _signed_in(app, _cookie(ben))


def test_password_change_ends_every_other_session(app: FastAPI, new_visitor: Callable[[], WebClient]) -> None:
    laptop, phone = new_visitor(), new_visitor()
    laptop.signup("ann")
    phone.login("ann")
    old_laptop, phone_cookie = _cookie(laptop), _cookie(phone)
    changed = laptop.post(
        "/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": "a new password",
            "confirm_password": "a new password",
        },
    )
    assert changed.status_code == 200 and "password is changed" in changed.text
    assert not _signed_in(app, phone_cookie)
    assert not _signed_in(app, old_laptop)
    assert _signed_in(app, _cookie(laptop))  # this browser continues in a new session


def test_sessions_api_lists_and_ends_sessions(
    ctx: AppContext, app: FastAPI, client: TestClient, new_visitor: Callable[[], WebClient]
) -> None:
    web = new_visitor()
    web.signup("ann")
    cookie = _cookie(web)
    with session_scope(ctx.sessions) as db:
        from pinhaven.accounts.service import create_token, get_by_username

        user = get_by_username(db=db, username="ann")
        assert user is not None
        _, token = create_token(db=db, user=user, name="t")
        _, reader = create_token(db=db, user=user, name="r", scopes=READ_ONLY)
    bearer = {"Authorization": f"Bearer {token}"}
    listed = client.get("/ext/v1/me/sessions", headers=bearer).json()["items"]
    assert len(listed) == 1 and listed[0]["current"] is False and listed[0]["user_agent"] == "testclient"
    mine = _replay(app, cookie).get("/ext/v1/me/sessions").json()["items"]
    assert [s["current"] for s in mine] == [True]
    refused = client.delete("/ext/v1/me/sessions", headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    assert client.delete("/ext/v1/me/sessions/99999", headers=bearer).status_code == 404
    ended = client.delete("/ext/v1/me/sessions", headers=bearer)
    assert ended.status_code == 200 and ended.json() == {"ended": 1}
    assert not _signed_in(app, cookie)
    assert client.get("/ext/v1/me/sessions", headers=bearer).json()["items"] == []  # the token still works


def test_cookie_writes_still_need_csrf(app: FastAPI, ann: WebClient) -> None:
    response = _replay(app, _cookie(ann)).delete("/ext/v1/me/sessions")
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


def test_forged_and_foreign_cookies_are_anonymous(ctx: AppContext, app: FastAPI, ann: WebClient) -> None:
    cookie = _cookie(ann)
    assert not _signed_in(app, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    other = load_settings(env={}, data_dir=ctx.settings.data_dir, secret_key="another-secret")
    assert web_sessions.parse_cookie(secret_key=other.secret_key, cookie=cookie) is None


def _count_queries(ctx: AppContext) -> list[str]:
    seen: list[str] = []
    for engine in {ctx.engine, ctx.read_sessions.kw["bind"]}:
        event.listen(engine, "before_cursor_execute", lambda *a, **k: seen.append(str(a[2])))
    return seen


def test_a_cached_session_costs_no_query_and_revocation_drops_it(ctx: AppContext, alice: Account) -> None:
    with session_scope(ctx.sessions) as db:
        user = db.get(type(alice.user), alice.user.id)
        assert user is not None
        cookie = web_sessions.make_session_cookie(db=db, secret_key=ctx.settings.secret_key, user=user)
    first = web_sessions.resolve(ctx=ctx, cookie=cookie)
    assert first is not None and first.user_id == alice.user.id
    queries = _count_queries(ctx)
    cached, known = web_sessions.cached_session(ctx=ctx, cookie=cookie)
    assert known and cached == first and queries == []
    with session_scope(ctx.sessions) as db:
        web_sessions.revoke(db=db, user_id=alice.user.id, session_id=first.session_id)
    assert web_sessions.cached_session(ctx=ctx, cookie=cookie) == (None, False)
    assert web_sessions.resolve(ctx=ctx, cookie=cookie) is None


def _host(tmp_path: Path, name: str, database_url: str, prefix: str) -> AppContext:
    settings = load_settings(
        env={},
        data_dir=tmp_path / name,
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="one-instance",
        cache_url=REDIS_URL,
        cache_key_prefix=prefix,
    )
    return build_context(settings)


@pytest.fixture
def two_hosts(
    tmp_path: Path,
    database_url: str,
    redis_prefix: str,
) -> Iterator[tuple[AppContext, AppContext]]:
    a = _host(tmp_path, "host-a", database_url, redis_prefix)
    b = _host(tmp_path, "host-b", database_url, redis_prefix)
    yield a, b
    for one in (a, b):
        cache_of(one).close()
        one.engine.dispose()


def test_logout_on_one_host_is_seen_at_once_on_another(two_hosts: tuple[AppContext, AppContext]) -> None:
    a, b = two_hosts
    make_account(a, "ann")
    web_a = WebClient(create_app(ctx=a))
    web_a.login("ann")
    cookie = _cookie(web_a)
    app_b = create_app(ctx=b)
    assert _signed_in(app_b, cookie)  # host B has it cached now (10 s TTL with Redis)
    ref, known = web_sessions.cached_session(ctx=b, cookie=cookie)
    assert known and ref is not None
    web_a.post("/logout")
    assert not _signed_in(app_b, cookie)


def test_an_operator_ends_someones_sessions_and_tokens_from_the_cli(
    ctx: AppContext, app: FastAPI, client: TestClient, ann: WebClient
) -> None:
    from typer.testing import CliRunner

    from pinhaven.cli import app as cli

    cookie = _cookie(ann)
    with session_scope(ctx.sessions) as db:
        from pinhaven.accounts.service import create_token, get_by_username

        user = get_by_username(db=db, username="ann")
        assert user is not None
        _, token = create_token(db=db, user=user, name="script")
    env = {
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
        "PINHAVEN_SECRET_KEY": ctx.settings.secret_key,
        "PINHAVEN_WORKER_THREADS": "0",
        "PINHAVEN_SEMANTIC_SEARCH": "0",
    }
    args = ["users", "logout", "ann", "--data-dir", str(ctx.settings.data_dir)]
    result = CliRunner().invoke(cli, [*args, "--tokens"], env=env)
    assert result.exit_code == 0 and "ended 1 session(s) of ann, revoked 1 token(s)" in result.output
    assert not _signed_in(app, cookie)
    assert client.get("/v5/user_account", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    missing = CliRunner().invoke(cli, ["users", "logout", "nobody", *args[3:]], env=env)
    assert missing.exit_code == 1 and "no user named" in missing.output


def test_last_seen_is_stamped_in_the_background_when_stale(ctx: AppContext, alice: Account) -> None:
    import time
    from datetime import timedelta

    from pinhaven.accounts.models import UserSession
    from pinhaven.db.base import utcnow

    with session_scope(ctx.sessions) as db:
        user = db.get(type(alice.user), alice.user.id)
        assert user is not None
        row, cookie = web_sessions.create(db=db, secret_key=ctx.settings.secret_key, user=user)
        row.last_seen_at = utcnow() - timedelta(hours=1)
        session_id = row.id
    assert web_sessions.resolve(ctx=ctx, cookie=cookie) is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with session_scope(ctx.sessions) as db:
            seen = db.get(UserSession, session_id)
            assert seen is not None
            if utcnow() - seen.last_seen_at < timedelta(minutes=1):
                break
        time.sleep(0.05)
    else:
        raise AssertionError("last_seen_at was not stamped")
