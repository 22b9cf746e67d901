"""Schemathesis over every ads operation (tests/fuzz harness): no 5xx, documented statuses and shapes."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.fuzz.harness import Report, fuzz, operations, seed

from pinhaven.context import AppContext


def test_ads_operations_conform(ctx: AppContext, app: FastAPI, client: TestClient) -> None:
    world = seed(ctx, client)
    ads_ops = [op for op in operations(app) if "/ad_accounts" in op.path or op.path.startswith("/ext/v1/ads")]
    assert len(ads_ops) >= 20
    report = fuzz(ctx, app, world, ads_ops, examples=6, report=Report())
    assert not report.failures, report.summary()
