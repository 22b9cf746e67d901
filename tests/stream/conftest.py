"""A stream of its own per test on the NATS server at 127.0.0.1:4222 (skip, or fail with PINHAVEN_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import service_unavailable

from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.stream import service as stream
from pinhaven.stream.bus import Bus, BusUnavailable

NATS_URL = "nats://127.0.0.1:4222"
HEALTH_TOKEN = "test-health-token"


@pytest.fixture
def stream_settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="test-secret-key",
        event_bus_url=NATS_URL,
        event_stream_instance=f"t{uuid.uuid4().hex[:10]}",  # a stream and subjects of this test's own
        event_archive_dir=tmp_path / "archive",
        event_consumer_max_deliver=3,
        health_token=HEALTH_TOKEN,  # the operators' view of /ext/v1/health (stream lag)
    )


@pytest.fixture
def sctx(stream_settings: Settings) -> Iterator[AppContext]:
    context = build_context(stream_settings)
    yield context
    runtime = context.services.get(stream.SERVICE_KEY)
    if runtime is not None:
        runtime.bus.delete_streams()
    stream.stop(context)
    context.engine.dispose()


@pytest.fixture
def bus(sctx: AppContext) -> Bus:
    try:
        runtime = stream.stream_runtime(sctx)
    except BusUnavailable as exc:
        service_unavailable(f"NATS JetStream at {NATS_URL}", exc)
    assert runtime is not None
    return runtime.bus  # type: ignore[no-any-return]
