"""Fixtures of the fuzz tests: settings without per-token rate limits or upload quotas.

Thousands of fuzzed calls from one token would otherwise end in 429s after the first minute's allowance and
stop exercising the handlers (429 is documented, so it would pass, but it would test nothing).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

from pinhaven.config import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        ocr_enabled=False,
        secret_key="test-secret-key",
        admission_queue_deadline_seconds=0.0,
        api_rate_per_minute=0,
        upload_daily_count=0,
        upload_daily_bytes=0,
        storage_quota_bytes=0,
    )


@pytest.fixture(autouse=True)
def _no_name_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzed URLs (pins from a URL, previews, image_url sources) must not send DNS queries or connections off
    this machine: every name but loopback fails to resolve, as an unknown name would, and the fetcher answers
    its usual 400."""
    real = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        try:
            loopback = text == "localhost" or ipaddress.ip_address(text.strip("[]")).is_loopback
        except ValueError:
            loopback = False
        if host is not None and not loopback:
            raise socket.gaierror(socket.EAI_NONAME, f"{text}: no name lookups while fuzzing")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
