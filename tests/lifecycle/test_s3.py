# ruff: noqa: F811  (test parameters named after the imported `s3_settings` fixture)
"""Erasure and backups through an S3 media store (a real SeaweedFS, tests/engines/seaweed.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401
from tests.factories import Account, media_source
from tests.web.helpers import PASSWORD

from pinhaven.backup.service import create_backup, restore_backup
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain
from pinhaven.media.store import MediaStore, open_media_store


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_settings: dict[str, str]) -> Settings:
    return load_settings(
        env=s3_settings,
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="test-secret-key",
    )


def _keys(store: MediaStore) -> set[str]:
    return {o.key for o in store.iter_objects()}


def _pin(client: TestClient, who: Account, board_id: str, seed: int) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed)}
    response = client.post("/v5/pins", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_erasure_and_backup_on_s3(
    client: TestClient,
    ctx: AppContext,
    alice: Account,
    bob: Account,
    tmp_path: Path,
    seaweed_s3: SeaweedServer,
    s3_settings: dict[str, str],
) -> None:
    store = open_media_store(ctx.settings)
    alices = client.post("/v5/boards", json={"name": "Mine"}, headers=alice.headers).json()["id"]
    bobs = client.post("/v5/boards", json={"name": "Bob's"}, headers=bob.headers).json()["id"]
    mine = _pin(client, alice, alices, 41)
    kept = _pin(client, bob, bobs, 42)
    drain(ctx)
    before = _keys(store)
    alice_url = client.get(f"/v5/pins/{mine}", headers=alice.headers).json()["media"]["images"]["originals"][
        "url"
    ]
    alice_keys = {k for k in before if k.split("/")[1] in alice_url}
    assert alice_keys

    # Backup from S3 and restore into another bucket.
    create_backup(ctx.settings, tmp_path / "backup")
    target_env = {**s3_settings, "PINHAVEN_MEDIA_STORE": f"s3://{seaweed_s3.new_bucket()}/media"}
    target = load_settings(env=target_env, data_dir=tmp_path / "restored", password_hash_fast=True)
    restore_backup(tmp_path / "backup", target)
    restored = open_media_store(target)
    assert _keys(restored) == before
    assert all(restored.get(k) == store.get(k) for k in before)

    # Erasure deletes the deleted person's pictures from the bucket, and keeps bob's.
    response = client.request("DELETE", "/ext/v1/me", json={"password": PASSWORD}, headers=alice.headers)
    assert response.status_code == 202
    drain(ctx)
    after = _keys(store)
    assert after == before - alice_keys  # nothing parked left behind, nothing of bob's touched
    assert client.get(f"/v5/pins/{kept}", headers=bob.headers).status_code == 200
    bob_sha = client.get(f"/v5/pins/{kept}", headers=bob.headers).json()["media"]["images"]["originals"][
        "url"
    ]
    assert any(key in bob_sha for key in after)
