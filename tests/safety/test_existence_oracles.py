"""Defect #16.10: nothing tells a stranger that someone else holds a picture, an email, or a busy queue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Account, make_account, media_source
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.pins.models import Pin

LOOPBACK = ("127.0.0.1", 50000)


# --- health ---------------------------------------------------------------------------------------------


def test_health_details_are_for_operators_only(ctx: AppContext, app: FastAPI) -> None:
    ctx.settings = ctx.settings.with_overrides(health_token="operator-secret")
    with TestClient(app, raise_server_exceptions=False) as stranger:
        assert stranger.get("/ext/v1/health").json() == {"status": "ok"}
        wrong = stranger.get("/ext/v1/health", headers={"X-Health-Token": "guess"})
        assert wrong.json() == {"status": "ok"}
        operator = stranger.get("/ext/v1/health", headers={"X-Health-Token": "operator-secret"}).json()
        assert operator["queue"]["queued"] == 0 and operator["database"] == "ok"
    with TestClient(app, raise_server_exceptions=False, client=LOOPBACK) as local:
        assert "queue" in local.get("/ext/v1/health").json()  # a probe on the machine itself
        # the same address behind a local reverse proxy is anybody
        proxied = local.get("/ext/v1/health", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.json() == {"status": "ok"}
    with TestClient(app, raise_server_exceptions=False, client=LOOPBACK) as local:
        ctx.settings = ctx.settings.with_overrides(health_token="")
        assert local.get("/ext/v1/health", headers={"X-Health-Token": ""}).json()["database"] == "ok"


# --- someone else's secret picture ------------------------------------------------------------------------


def _board(client: TestClient, owner: Account, privacy: str) -> str:
    made = client.post("/v5/boards", headers=owner.headers, json={"name": f"B {privacy}", "privacy": privacy})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _upload(client: TestClient, owner: Account, board_id: str, seed: int) -> dict[str, object]:
    made = client.post(
        "/v5/pins",
        headers=owner.headers,
        json={"board_id": board_id, "media_source": media_source(seed=seed)},
    )
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def _status(client: TestClient, owner: Account, pin_id: object) -> str:
    return str(client.get(f"/v5/pins/{pin_id}", headers=owner.headers).json()["image_status"])


def _image_id(ctx: AppContext, pin_id: object) -> int:
    with session_scope(ctx.read_sessions) as db:
        return int(db.scalar(select(Pin.image_id).where(Pin.id == int(str(pin_id)))) or 0)


def test_uploading_the_bytes_of_a_secret_picture_looks_like_any_fresh_upload(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    secret = _upload(client, alice, _board(client, alice, "SECRET"), seed=11)
    drain(ctx)
    assert _status(client, alice, secret["id"]) == "ready"

    bobs_board = _board(client, bob, "PUBLIC")
    same_bytes = _upload(client, bob, bobs_board, seed=11)
    fresh = _upload(client, bob, bobs_board, seed=12)
    # the same sequence as a picture nobody had: processing, then ready once its own job has run
    assert same_bytes["image_status"] == fresh["image_status"] == "processing"
    assert _status(client, bob, same_bytes["id"]) == "processing"
    assert _image_id(ctx, same_bytes["id"]) != _image_id(ctx, secret["id"])
    alices_urls = {i["url"] for i in secret["media"]["images"].values()}  # type: ignore[index]
    bobs_urls = {i["url"] for i in same_bytes["media"]["images"].values()}  # type: ignore[index]
    assert not alices_urls & bobs_urls
    drain(ctx)
    assert _status(client, bob, same_bytes["id"]) == _status(client, bob, fresh["id"]) == "ready"
    assert _status(client, alice, secret["id"]) == "ready"  # alice's pin never changed state

    # the duplicate group (the two copies are found to be one picture) is named from what bob may see
    duplicates = client.get(f"/ext/v1/pins/{same_bytes['id']}/duplicates", headers=bob.headers)
    assert duplicates.status_code == 200, duplicates.text
    assert duplicates.json()["group_id"] == str(_image_id(ctx, same_bytes["id"]))
    assert secret["id"] not in {p["id"] for p in duplicates.json()["items"]}
    # alice, who may see both, is told the oldest: her own
    hers = client.get(f"/ext/v1/pins/{secret['id']}/duplicates", headers=alice.headers).json()
    assert hers["group_id"] == str(_image_id(ctx, secret["id"]))

    # a second upload by bob reuses his own copy; a third person's upload of a public picture shares it
    again = _upload(client, bob, bobs_board, seed=11)
    assert (
        _image_id(ctx, again["id"]) == _image_id(ctx, same_bytes["id"]) and again["image_status"] == "ready"
    )
    carol = make_account(ctx, "carol")
    carols = _upload(client, carol, _board(client, carol, "PUBLIC"), seed=12)
    assert _image_id(ctx, carols["id"]) == _image_id(ctx, fresh["id"])


# --- sign-up ----------------------------------------------------------------------------------------------


def test_signup_does_not_tell_a_registered_email_from_a_taken_username(
    new_visitor: Callable[[], WebClient], alice: Account
) -> None:
    visitor = new_visitor()
    visitor.get("/signup")
    email_taken = visitor.post(
        "/signup", {"username": "newcomer", "email": "alice@example.test", "password": PASSWORD}
    )
    name_taken = visitor.post(
        "/signup", {"username": "alice", "email": "fresh@example.test", "password": PASSWORD}
    )
    assert email_taken.status_code == name_taken.status_code == 409

    for page in (email_taken.text, name_taken.text):
        assert "That username or email is taken" in page
    assert "already exists" not in email_taken.text and "email" not in email_taken.text.split("form-error")[
        1
    ][:120].replace("username or email", "")


def test_refused_signups_are_throttled_per_address(
    ctx: AppContext, new_visitor: Callable[[], WebClient], alice: Account
) -> None:
    visitor = new_visitor()
    visitor.get("/signup")
    statuses = [
        visitor.post(
            "/signup", {"username": f"probe{i}", "email": "alice@example.test", "password": PASSWORD}
        ).status_code
        for i in range(ctx.settings.login_rate_per_minute + 1)
    ]
    assert statuses[:-1] == [409] * ctx.settings.login_rate_per_minute
    assert statuses[-1] == 429


@pytest.fixture
def new_visitor(app: FastAPI) -> Callable[[], WebClient]:
    return lambda: WebClient(app)


def test_a_login_for_an_unknown_account_costs_what_a_known_one_does(
    ctx: AppContext, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One password verification either way, and no hashing (which would double the unknown one's time)."""
    from pinhaven.accounts import passwords
    from pinhaven.accounts import service as accounts_service

    passwords.stand_in_hash()  # made once per process
    calls = {"hash": 0, "verify": 0}
    real_verify = accounts_service.verify_password

    def counting_hash(password: str) -> str:
        calls["hash"] += 1
        return passwords.hash_password(password)

    def counting_verify(stored: str, password: str) -> bool:
        calls["verify"] += 1
        return real_verify(stored, password)

    monkeypatch.setattr(accounts_service, "hash_password", counting_hash)
    monkeypatch.setattr(accounts_service, "verify_password", counting_verify)
    with session_scope(ctx.sessions) as db:
        for login in ("alice", "alice@example.test", "nobody", "nobody@example.test"):
            before = dict(calls)
            assert accounts_service.authenticate(db=db, login=login, password="wrong password") is None
            assert (calls["hash"] - before["hash"], calls["verify"] - before["verify"]) == (0, 1), login
