"""Defect #16.4: wrong JSON types and deep nesting answer 400 {code, message}; a crash says Connection: close."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import Account

from pinhaven.jsonbody import json_depth_exceeds

VISUAL = "/ext/v1/search/visual"


@pytest.mark.parametrize(
    "body",
    [
        b'{"pin_id": []}',
        b'{"pin_id": {}}',
        b'{"pin_id": true}',
        b'{"pin_id": 1.5}',
        b'{"pin_id": "1", "crop": []}',
        b'{"pin_id": "1", "crop": "x"}',
        b'{"text": []}',
        b'{"text": "cat", "limit": "3"}',
        b"[]",
        b'"x"',
        b"{",
        b'{"pin_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"[" * 100_000,
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    ],
)
def test_visual_search_rejects_malformed_json(client: TestClient, alice: Account, body: bytes) -> None:
    for headers in ({}, alice.headers):
        response = client.post(VISUAL, content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        error = response.json()
        assert set(error) == {"code", "message"} and error["message"]


def test_depth_check_ignores_brackets_inside_strings() -> None:
    assert not json_depth_exceeds(b'{"t": "' + b"[" * 1000 + b'"}')
    assert not json_depth_exceeds(b'{"t": "\\"' + b"[" * 1000 + b'"}')
    assert json_depth_exceeds(b"[" * 65 + b"]" * 65)
    assert not json_depth_exceeds(b"[" * 64 + b"]" * 64)
    assert not json_depth_exceeds(b"[]" * 10_000)  # many brackets, shallow


def test_unhandled_errors_answer_json_and_close_the_connection(app: FastAPI) -> None:
    @app.get("/ext/v1/_test_crash")
    def crash() -> None:
        raise RuntimeError("boom")

    @app.get("/ext/v1/_test_recursion")
    def recurse() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    with TestClient(app, raise_server_exceptions=False) as client:
        crashed = client.get("/ext/v1/_test_crash")
        assert crashed.status_code == 500
        assert crashed.headers["connection"] == "close"
        assert set(crashed.json()) == {"code", "message"}
        assert "boom" not in crashed.text  # internals stay in the log
        deep = client.get("/ext/v1/_test_recursion")
        assert deep.status_code == 400 and deep.headers["connection"] == "close"
        assert deep.json()["code"] == 1
