"""Defect #16.3: NUL and other control characters are refused at the edge with 400, on every backend."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import Account, media_source
from tests.web.helpers import WebClient

from pinhaven.text_rules import text_problem

BACKENDS = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

JSON = {"Content-Type": "application/json"}
BAD = ["a\x00b", "a\x01b", "a\x1fb", "a\x7fb", "a\ud800b"]


def _assert_400(response_status: int, body: dict[str, object], where: str) -> None:
    assert response_status == 400, (where, body)
    assert set(body) == {"code", "message"}, where


def _board_and_section(client: TestClient, alice: Account) -> tuple[str, str]:
    board = client.post("/v5/boards", headers=alice.headers, json={"name": "Plain"})
    assert board.status_code == 201, board.text
    board_id = board.json()["id"]
    section = client.post(f"/v5/boards/{board_id}/sections", headers=alice.headers, json={"name": "Part"})
    assert section.status_code == 201, section.text
    return board_id, section.json()["id"]


@BACKENDS
def test_bodies_with_control_characters_are_refused(client: TestClient, alice: Account) -> None:
    board_id, section_id = _board_and_section(client, alice)
    pin = client.post(
        "/v5/pins", headers=alice.headers, json={"board_id": board_id, "media_source": media_source()}
    )
    assert pin.status_code == 201, pin.text
    pin_id = pin.json()["id"]
    for bad in BAD:
        writes = [
            ("POST", "/v5/boards", {"name": bad}),
            ("POST", "/v5/boards", {"name": "ok", "description": bad}),
            ("PATCH", f"/v5/boards/{board_id}", {"name": bad}),
            ("POST", f"/v5/boards/{board_id}/sections", {"name": bad}),
            ("PATCH", f"/v5/boards/{board_id}/sections/{section_id}", {"name": bad}),
            ("POST", "/v5/pins", {"board_id": board_id, "title": bad, "media_source": media_source()}),
            ("PATCH", f"/v5/pins/{pin_id}", {"title": bad}),
            ("PATCH", f"/v5/pins/{pin_id}", {"description": bad}),
            ("PATCH", f"/v5/pins/{pin_id}", {"alt_text": bad}),
            ("POST", f"/ext/v1/boards/{board_id}/collaborators", {"username": bad}),
        ]
        for method, path, body in writes:
            # json.dumps escapes every control character and surrogate, as a client's encoder would
            raw = json.dumps(body)
            response = client.request(method, path, headers={**alice.headers, **JSON}, content=raw)
            _assert_400(response.status_code, response.json(), f"{method} {path} {body}")
    # line breaks and tabs stay allowed where text may span lines
    kept = client.patch(f"/v5/pins/{pin_id}", headers=alice.headers, json={"description": "one\n\ttwo\r\n"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["description"] == "one\n\ttwo\r\n"
    assert client.get(f"/v5/boards/{board_id}", headers=alice.headers).json()["name"] == "Plain"


@BACKENDS
def test_queries_and_path_usernames_with_control_characters_are_refused(
    client: TestClient, alice: Account
) -> None:
    _board_and_section(client, alice)
    for bad in BAD[:-1]:  # (a URL cannot carry a surrogate: invalid UTF-8 is decoded as U+FFFD)
        q = quote(bad)
        reads = [
            (f"/ext/v1/search/pins?q={q}", {}),
            (f"/ext/v1/search/boards?q={q}", {}),
            (f"/ext/v1/search/people?q={q}", {}),
            (f"/v5/search/pins?query={q}", alice.headers),
            (f"/v5/search/boards?query={q}", alice.headers),
            (f"/ext/v1/users/{q}", {}),
            (f"/ext/v1/users/{q}/pins", {}),
            (f"/ext/v1/users/{q}/follow", alice.headers),
        ]
        for path, headers in reads:
            method = "POST" if path.endswith("/follow") else "GET"
            response = client.request(method, path, headers=headers)
            _assert_400(response.status_code, response.json(), path)
    fine = client.get("/ext/v1/search/pins?q=" + quote("cats\tand\ndogs"))
    assert fine.status_code == 200, fine.text


def test_the_rule() -> None:
    assert text_problem("tab\tnew\nline\r", multiline=True) is None
    assert text_problem("tab\t", multiline=False) is not None
    assert text_problem("émoji 😀 ok", multiline=False) is None
    assert "U+0000" in (text_problem("\x00", multiline=True) or "")


def test_web_forms_refuse_control_characters(app: FastAPI) -> None:
    visitor = WebClient(app)
    visitor.signup("ann")
    for bad in ("a\x00b", "a\x1bb"):
        response = visitor.post("/boards", {"name": bad})
        assert response.status_code == 400, response.text
    refused = WebClient(app)
    refused.get("/signup")
    response = refused.post(
        "/signup", {"username": "zed\x00", "email": "z@example.test", "password": "long enough pw"}
    )
    assert response.status_code == 400
