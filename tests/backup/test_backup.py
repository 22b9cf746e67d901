"""Backups: a round trip (back up, restore into a new folder, compare every row that matters and every media
file's bytes), resuming, verification, and the refusals (non-empty target, damaged or unfinished backup,
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Account, media_source
from typer.testing import CliRunner

from pinhaven.accounts.models import User, UserFollow
from pinhaven.app import create_app
from pinhaven.backup.service import BackupError, create_backup, restore_backup, verify_backup
from pinhaven.boards.models import Board, BoardFollow, BoardSection
from pinhaven.cli import app as cli_app
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.media.models import MediaImage
from pinhaven.media.store import MediaStore, open_media_store
from pinhaven.pins.models import Pin


def _board(client: TestClient, who: Account, name: str, privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _pin(client: TestClient, who: Account, board_id: str, seed: int, **extra: Any) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), "title": f"Pin {seed}", **extra}
    response = client.post("/v5/pins", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def instance(client: TestClient, ctx: AppContext, alice: Account, bob: Account) -> dict[str, str]:
    """Users, public and secret boards with a section, pins with pictures, saves, follows, board follows."""
    travel = _board(client, alice, "Travel")
    diary = _board(client, alice, "Diary", privacy="SECRET")
    section = client.post(f"/v5/boards/{diary}/sections", json={"name": "Spring"}, headers=alice.headers)
    assert section.status_code == 201
    first = _pin(client, alice, travel, 1, link="https://example.com/a")
    _pin(client, alice, travel, 2)
    _pin(client, alice, diary, 3, board_section_id=section.json()["id"])
    bobs = _board(client, bob, "Bob's")
    saved = client.post(f"/v5/pins/{first}/save", json={"board_id": bobs}, headers=bob.headers)
    assert saved.status_code == 201
    assert client.post("/ext/v1/users/alice/follow", headers=bob.headers).status_code == 200
    assert client.post(f"/ext/v1/boards/{travel}/follow", headers=bob.headers).status_code == 200
    drain(ctx)
    return {"first": first, "saved": str(saved.json()["id"])}


def _rows(ctx: AppContext) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a round trip must keep, as plain dicts in a stable order."""
    out: dict[str, list[dict[str, Any]]] = {}
    with session_scope(ctx.read_sessions) as db:
        for model in (User, Board, BoardSection, Pin, MediaImage, UserFollow, BoardFollow):
            table = model.__table__
            rows = [dict(r._mapping) for r in db.execute(select(table))]
            out[table.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def _objects(store: MediaStore) -> dict[str, bytes]:
    found = {}
    for obj in store.iter_objects():
        data = store.get(obj.key)
        assert data is not None
        found[obj.key] = data
    return found


def _fresh_settings(tmp_path: Path, name: str) -> Settings:
    return load_settings(
        env={}, data_dir=tmp_path / name, password_hash_fast=True, worker_threads=0, semantic_search=False
    )


def test_round_trip_keeps_every_pin_board_picture_and_counter(
    ctx: AppContext, instance: dict[str, str], bob: Account, tmp_path: Path
) -> None:
    before_rows, before_media = _rows(ctx), _objects(open_media_store(ctx.settings))
    assert len(before_rows["pins"]) == 4 and len(before_media) >= 3
    report = create_backup(ctx.settings, tmp_path / "backup")
    assert report.media_copied == len(before_media) and not report.missing
    verify_backup(tmp_path / "backup")

    target = _fresh_settings(tmp_path, "restored")
    restored = restore_backup(tmp_path / "backup", target)
    assert restored.media == len(before_media)
    ctx2 = build_context(target)
    try:
        assert _rows(ctx2) == before_rows
        assert _objects(open_media_store(target)) == before_media
        # The restored instance serves: tokens, privacy, counters and picture bytes as before.
        with TestClient(create_app(ctx=ctx2)) as client2:
            saved = client2.get(f"/v5/pins/{instance['saved']}", headers=bob.headers)
            assert saved.status_code == 200
            first = client2.get(f"/v5/pins/{instance['first']}", headers=bob.headers).json()
            assert first["save_count"] == 1
            assert client2.get("/ext/v1/users/alice").json()["follower_count"] == 1
            url = first["media"]["images"]["originals"]["url"].split("testserver", 1)[-1]
            image = client2.get(url)
            assert image.status_code == 200 and image.content in before_media.values()
    finally:
        ctx2.engine.dispose()


def test_resume_copies_only_what_is_missing(
    ctx: AppContext, instance: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "backup"
    first = create_backup(ctx.settings, out)
    total = first.media_copied
    # An interruption: no manifest yet, two media files not written, a torn last progress line.
    (out / "backup.json").unlink()
    copied = sorted(p for p in (out / "media").rglob("*") if p.is_file())
    for path in copied[:2]:
        path.unlink()
    with open(out / "progress.jsonl", "a") as log:
        log.write('{"key": "ab/torn')
    with pytest.raises(BackupError, match="unfinished"):
        verify_backup(out)
    again = create_backup(ctx.settings, out)
    assert (again.media_copied, again.media_skipped) == (2, total - 2)
    assert verify_backup(out)["media_count"] == total


def test_restore_refuses_damage_and_non_empty_targets(
    ctx: AppContext, instance: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "backup"
    create_backup(ctx.settings, out)
    busy = _fresh_settings(tmp_path, "busy")
    (busy.data_dir / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(out, busy)
    victim = next(p for p in (out / "media").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes()[:-1] + b"\0")
    target = _fresh_settings(tmp_path, "target")
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore_backup(out, target)
    assert not (target.data_dir / "pinhaven.db").exists()  # nothing restored


def test_backup_refuses_a_folder_that_is_not_a_backup(ctx: AppContext, tmp_path: Path) -> None:
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(BackupError, match="holds no Pinhaven backup"):
        create_backup(ctx.settings, tmp_path / "stuff")


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Any:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(cli_app, list(args))


def test_cli_backup_and_restore(
    ctx: AppContext, instance: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"PINHAVEN_DATABASE_URL": ctx.settings.resolved_database_url, "PINHAVEN_SECRET_KEY": "k" * 40}
    made = _run(
        monkeypatch, env, "backup", "--out", str(tmp_path / "b"), "--data-dir", str(ctx.settings.data_dir)
    )
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output
    monkeypatch.delenv("PINHAVEN_DATABASE_URL")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "pinhaven.db").write_bytes(b"")
    refused = _run(monkeypatch, {}, "restore", str(tmp_path / "b"), "--data-dir", str(busy))
    assert refused.exit_code != 0 and "not empty" in refused.output
    done = _run(monkeypatch, {}, "restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "new"))
    assert done.exit_code == 0, done.output
    assert (tmp_path / "new" / "pinhaven.db").is_file()


def test_cli_backup_refuses_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PINHAVEN_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"}
    refused = _run(
        monkeypatch, env, "backup", "--out", str(tmp_path / "b"), "--data-dir", str(tmp_path / "d")
    )
    assert refused.exit_code != 0
    assert "pg_dump" in refused.output or "OPERATIONS.md" in refused.output
    assert not (tmp_path / "b").exists()
