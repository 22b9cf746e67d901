"""Defect #16.11: the OpenAPI document lists the statuses the server sends, and no 422 it never sends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import Account

from pinhaven.config import Settings
from pinhaven.openapi import DESCRIPTIONS, GATE_401

BAD_TOKEN = {"Authorization": "Bearer phv_not-a-token"}


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: "someone" if m.group(1) == "username" else "1234567", path)


def test_no_operation_documents_a_422(app: FastAPI) -> None:
    doc = app.openapi()
    assert len(list(_operations(doc))) >= 50  # the walk found the API
    assert '"422"' not in json.dumps(doc)
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_every_operation_documents_its_error_statuses(app: FastAPI) -> None:
    missing = []
    for method, path, operation in _operations(app.openapi()):
        statuses = set(operation["responses"])
        wanted = {"400", "503"}
        if "requestBody" in operation:
            wanted |= {"413"}
        if "{" in path:
            wanted |= {"404"}
        if not wanted <= statuses:
            missing.append((method, path, sorted(wanted - statuses)))
        error = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
    assert not missing, missing


def test_documented_401s_match_what_a_bad_token_gets(app: FastAPI, client: TestClient) -> None:
    """Every operation is called with an unknown bearer token: it answers 401 exactly when 401 is listed."""
    wrong = []
    for method, path, operation in _operations(app.openapi()):
        if method == "HEAD":
            continue
        body = {"json": {}} if "requestBody" in operation else {}
        response = client.request(method, _concrete(path), headers=BAD_TOKEN, **body)
        # a 401 only the browsing gate sends (anonymous browsing off) is not a bad token's answer
        listed = "401" in operation["responses"] and (
            operation["responses"]["401"]["description"] != DESCRIPTIONS[GATE_401]
        )
        if (response.status_code == 401) != listed:
            wrong.append((method, path, response.status_code, listed))
    assert not wrong, wrong


def test_media_source_is_documented_as_the_v5_one_of(app: FastAPI) -> None:
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    media_source = schemas["PinCreate"]["properties"]["media_source"]
    variants = media_source["oneOf"]
    kinds = {v["properties"]["source_type"]["const"]: v for v in variants}
    assert set(kinds) == {"image_base64", "image_url"}
    assert set(kinds["image_base64"]["required"]) == {"source_type", "content_type", "data"}
    assert kinds["image_base64"]["properties"]["content_type"]["enum"] == ["image/jpeg", "image/png"]
    assert set(kinds["image_url"]["required"]) == {"source_type", "url"}
    assert media_source["discriminator"]["propertyName"] == "source_type"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(max_request_bytes=4096)


def test_a_chunked_body_over_the_limit_gets_413(client: TestClient, alice: Account) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    headers = {**alice.headers, "Content-Type": "application/json"}
    response = client.post("/v5/boards", content=chunks(), headers=headers)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413, response.text
    assert response.json()["code"] == 413
    small = client.post("/v5/boards", json={"name": "Fits"}, headers=alice.headers)
    assert small.status_code == 201


def test_rate_limit_headers_are_documented(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/v5/user_account"]["get"]
    assert set(operation["responses"]["200"]["headers"]) == {"X-RateLimit-Limit", "X-RateLimit-Remaining"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
