"""Fixtures: settings that let the fetcher reach the local shop (127.0.0.0/8), no language model, and the
app served over real HTTP for the generated Pinterest client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from tests.catalogs.shop import Shop, serve
from tests.e2e.live import free_port

from pinhaven.config import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        secret_key="test-secret-key",
        fetch_allow_networks=(ip_network("127.0.0.0/8"),),
        fetch_timeout_seconds=5.0,
        semantic_search=False,
    )


@pytest.fixture
def shop() -> Iterator[Shop]:
    with serve() as site:
        yield site


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=30)
