"""Defect #16.11, the rest: `pinhaven import` reports absolute and `..` paths instead of importing them (no
board named "/"), and temporary files a crash left behind are removed at start-up."""

from __future__ import annotations

import csv
import json
import os
import time
import zipfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Account, image_bytes
from typer.testing import CliRunner

from pinhaven.boards.models import Board
from pinhaven.cli import app as cli
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.ingest.importers import run_import
from pinhaven.ingest.importers_files import UNSAFE_PATH, open_source
from pinhaven.media import sweeper
from pinhaven.media.service import media_store

SMALL = (120, 90)


def _boards(ctx: AppContext, user_id: int) -> set[str]:
    with session_scope(ctx.sessions) as db:
        return set(db.scalars(select(Board.name).where(Board.owner_id == user_id)))


def test_zip_entries_with_absolute_or_dotdot_paths_are_reported_not_imported(
    ctx: AppContext, alice: Account, tmp_path: Path
) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Trip/ok.jpg", image_bytes(size=SMALL, seed=1))
        out.writestr("/etc/absolute.jpg", image_bytes(size=SMALL, seed=2))
        out.writestr("Trip/../../escape.jpg", image_bytes(size=SMALL, seed=3))
        out.writestr("C:/windows.jpg", image_bytes(size=SMALL, seed=4))
    report = tmp_path / "report.jsonl"
    summary = run_import(
        ctx=ctx, user_id=alice.user.id, source=open_source(archive, settings=ctx.settings), report_path=report
    )
    assert summary.created == 1
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    refused = {r["label"]: r for r in lines if r["reason"] == UNSAFE_PATH}
    assert set(refused) == {"/etc/absolute.jpg", "Trip/../../escape.jpg", "C:/windows.jpg"}
    assert all(r["status"] != "created" for r in refused.values())
    assert "/" not in _boards(ctx, alice.user.id) and "etc" not in _boards(ctx, alice.user.id)


def test_list_paths_that_leave_the_lists_folder_are_refused(
    ctx: AppContext, alice: Account, tmp_path: Path
) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "ok.jpg").write_bytes(image_bytes(size=SMALL, seed=5))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.jpg"
    outside.write_bytes(image_bytes(size=SMALL, seed=6))
    listing = tmp_path / "pics" / "list.csv"
    with listing.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "board"])
        writer.writerow(["ok.jpg", "Mine"])
        writer.writerow([str(outside), "Mine"])
        writer.writerow([f"../../{tmp_path.name}-outside.jpg", "Mine"])
    source = open_source(listing, settings=ctx.settings, allow_paths=True)
    report = tmp_path / "report.jsonl"
    summary = run_import(ctx=ctx, user_id=alice.user.id, source=source, report_path=report)
    assert summary.created == 1
    reasons = [json.loads(line)["reason"] for line in report.read_text().splitlines()]
    assert reasons.count(UNSAFE_PATH) == 2


def test_the_cli_import_reports_the_refused_entries(ctx: AppContext, alice: Account, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("/abs.jpg", image_bytes(size=SMALL, seed=7))
        out.writestr("fine.jpg", image_bytes(size=SMALL, seed=8))
    env = {
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
        "PINHAVEN_SECRET_KEY": ctx.settings.secret_key,
        "PINHAVEN_WORKER_THREADS": "0",
        "PINHAVEN_SEMANTIC_SEARCH": "0",
    }
    report = tmp_path / "report.csv"
    args = ["import", str(archive), "--user", "alice", "--data-dir", str(ctx.settings.data_dir)]
    result = CliRunner().invoke(cli, [*args, "--report", str(report)], env=env)
    assert "1 row(s) failed; their reasons are in the report" in result.output, result.output
    assert "/abs.jpg" in report.read_text() and UNSAFE_PATH in report.read_text()
    assert _boards(ctx, alice.user.id) == {"evil"}


def test_temporary_files_left_by_a_crash_are_removed_at_start_up(ctx: AppContext, app: FastAPI) -> None:
    store = media_store(ctx)
    store.put("originals/ab/keep.jpg", b"kept")
    root = ctx.settings.resolved_media_dir
    stale = root / "originals" / "ab" / ".tmp-0123-crashed.jpg"
    fresh = root / "originals" / "ab" / ".tmp-4567-writing.jpg"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    scratch = ctx.settings.data_dir / "scratch" / "import-crashed"
    scratch.mkdir(parents=True)
    (scratch / "upload.zip").write_bytes(b"partial")
    os.utime(scratch / "upload.zip", (old - 7200, old - 7200))
    os.utime(scratch, (old - 7200, old - 7200))
    with TestClient(app):  # start-up runs the clean-up in the background
        deadline = time.monotonic() + 10
        while (stale.exists() or scratch.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not stale.exists() and not scratch.exists()
    assert fresh.exists()  # another process may be writing it
    assert store.get("originals/ab/keep.jpg") == b"kept"
    assert sweeper.clean_leftovers(ctx) == 0
