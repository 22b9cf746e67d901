"""Defect #16.8: log-in throttling per account (username or email alike) and per client address."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.helpers import HTML, PASSWORD, WebClient

from pinhaven.config import Settings

PER_ACCOUNT = 3
PER_ADDRESS = 5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        login_rate_per_minute=PER_ACCOUNT, login_address_rate_per_minute=PER_ADDRESS
    )


class Browser(WebClient):
    """A visitor from a given client address."""

    def __init__(self, app: FastAPI, address: str) -> None:
        super().__init__(app)
        self.http = TestClient(
            app, raise_server_exceptions=False, follow_redirects=False, client=(address, 50000)
        )


def _attempt(web: WebClient, login: str, password: str = "wrong password") -> int:
    status: int = web.post("/login", {"login": login, "password": password}).status_code
    return status


def test_username_and_email_share_one_account_counter(app: FastAPI) -> None:
    Browser(app, "10.0.0.9").signup("carl")
    attacker = Browser(app, "10.0.0.1")
    attacker.get("/login")
    tries = ["carl", "CARL@example.test", "Carl"]  # three spellings of one account
    assert [_attempt(attacker, login) for login in tries] == [400] * PER_ACCOUNT
    assert _attempt(attacker, "carl@example.test", PASSWORD) == 429  # even the right password waits
    # the account's counter is global: another address is throttled for it too
    other = Browser(app, "10.0.0.2")
    other.get("/login")
    blocked = other.post("/login", {"login": "carl", "password": PASSWORD}, headers=HTML)
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    # ...but may still log in to other accounts
    Browser(app, "10.0.0.8").signup("dora")
    assert _attempt(other, "dora", PASSWORD) == 303


def test_spraying_many_usernames_from_one_address_is_throttled(app: FastAPI) -> None:
    Browser(app, "10.0.0.9").signup("carl")
    sprayer = Browser(app, "10.0.0.1")
    sprayer.get("/login")
    statuses = [_attempt(sprayer, f"user{i}") for i in range(PER_ADDRESS + 1)]
    assert statuses == [400] * PER_ADDRESS + [429]
    # the address is throttled for every account, existing or not, right password or not
    assert _attempt(sprayer, "carl", PASSWORD) == 429
    # another address is not affected, and a success does not clear an address's failures
    elsewhere = Browser(app, "10.0.0.2")
    elsewhere.get("/login")
    assert _attempt(elsewhere, "carl", PASSWORD) == 303


def test_a_successful_login_clears_the_account_counter(app: FastAPI) -> None:
    Browser(app, "10.0.0.9").signup("carl")
    web = Browser(app, "10.0.0.1")
    web.get("/login")
    assert [_attempt(web, "carl") for _ in range(PER_ACCOUNT - 1)] == [400] * (PER_ACCOUNT - 1)
    assert _attempt(web, "carl", PASSWORD) == 303
    web.http.cookies.clear()
    web.get("/login")
    assert [_attempt(web, "carl") for _ in range(PER_ACCOUNT - 1)] == [400] * (PER_ACCOUNT - 1)
