"""Schemathesis fuzzing of `/v5` and `/ext/v1` (tests/fuzz/harness.py): no 5xx, documented statuses,
content types and response bodies. The full run is in the slow suite; a smoke run over a few operations is
in the default one."""

from __future__ import annotations

import os
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS

from pinhaven.context import AppContext

from .harness import Report, fuzz, operations, seed

# Examples per operation of the full run (PINHAVEN_FUZZ_EXAMPLES_PER_OPERATION overrides it, e.g. for a longer run).
FULL_EXAMPLES = int(os.environ.get("PINHAVEN_FUZZ_EXAMPLES_PER_OPERATION", "40"))
SMOKE_OPERATIONS = [
    "GET /v5/pins/{pin_id}",
    "GET /v5/boards/{board_id}/pins",
    "POST /v5/boards",
    "POST /ext/v1/search/visual",
    "GET /ext/v1/search/pins",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "database_url", ALL_BACKENDS, indirect=True
)  # NULs, big ids: PostgreSQL/MariaDB differ
def test_every_operation_conforms(ctx: AppContext, app: FastAPI, client: TestClient) -> None:
    world = seed(ctx, client)
    ops = operations(app)
    started = time.monotonic()
    report = fuzz(ctx, app, world, ops, examples=FULL_EXAMPLES, report=Report())
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {report.summary()}\nstatuses {sorted(report.statuses.items())}, {elapsed:.0f} s, "
        f"load {os.getloadavg()}"
    )
    assert report.operations >= 100
    assert report.cases >= report.operations * 5
    assert not report.failures, report.summary()


def test_smoke_a_few_operations(ctx: AppContext, app: FastAPI, client: TestClient) -> None:
    world = seed(ctx, client)
    report = fuzz(ctx, app, world, operations(app, SMOKE_OPERATIONS), examples=8, report=Report())
    assert report.cases >= len(SMOKE_OPERATIONS) * 4
    assert not report.failures, report.summary()
