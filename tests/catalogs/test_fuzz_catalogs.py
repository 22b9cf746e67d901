"""Schemathesis over every /v5/catalogs operation (tests/fuzz/harness.py): no 5xx, documented statuses,
content types and bodies."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.fuzz.harness import Report, fuzz, operations, seed

from pinhaven.context import AppContext


def test_catalog_operations_conform(ctx: AppContext, app: FastAPI, client: TestClient) -> None:
    world = seed(ctx, client)
    names = [
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v5/catalogs")
        for method in item
    ]
    assert len(names) >= 18, names
    report = fuzz(ctx, app, world, operations(app, names), examples=6, report=Report())
    assert report.cases >= len(names) * 3
    assert not report.failures, report.summary()
