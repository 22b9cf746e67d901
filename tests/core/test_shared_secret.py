"""With a shared engine configured, `serve` and `worker` refuse to start without PINHAVEN_SECRET_KEY."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.server import cli

from pinhaven.config import load_settings, missing_shared_secret


@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker",)])
def test_hosts_of_a_shared_instance_need_one_secret_key(tmp_path: Path, command: tuple[str, ...]) -> None:
    env = {"PINHAVEN_CACHE_URL": "redis://127.0.0.1:6379/0"}
    refused = cli(tmp_path, *command, env=env)
    assert refused.returncode == 2
    assert "PINHAVEN_SECRET_KEY" in refused.stderr + refused.stdout
    assert "PINHAVEN_CACHE_URL" in refused.stderr + refused.stdout
    assert not (tmp_path / "pinhaven.db").exists()  # refused before touching anything


def test_single_host_settings_need_no_key(tmp_path: Path) -> None:
    settings = load_settings(env={}, data_dir=tmp_path)
    assert missing_shared_secret(settings, env={}) is None
    shared = settings.with_overrides(media_store="s3://bucket")
    assert "PINHAVEN_MEDIA_STORE" in (missing_shared_secret(shared, env={}) or "")
    assert missing_shared_secret(shared, env={"PINHAVEN_SECRET_KEY": "k" * 40}) is None
