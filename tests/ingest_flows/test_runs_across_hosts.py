"""Imports and exports across hosts: two contexts with their own data folders share one database and one media
store (a SeaweedFS bucket, or one media folder as a shared disk would be). Host A takes the web requests; host
B's job worker runs them; the files pass only through the store, under private keys, and neither data folder
keeps anything but disposable caches."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401
from tests.factories import image_bytes
from tests.ingest_flows.conftest import pins_by_board
from tests.web.helpers import WebClient

from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.app import create_app
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.ingest.exports import export_now
from pinhaven.ingest.models import ExportRun, ImportRun
from pinhaven.jobs.worker import drain
from pinhaven.media.service import media_store

PRIVATE_KEY = r"private/{kind}/{run_id}-[0-9a-f]{{32}}/{name}"
# What a host may leave in its data folder: caches rebuilt from the database or the store at will.
DISPOSABLE = ("scratch", "cache-generations")  # cache-generations: the in-process cache's stamps


@pytest.fixture(params=["s3", "shared-folder"])
def hosts(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[tuple[AppContext, AppContext]]:
    env = request.getfixturevalue("s3_settings") if request.param == "s3" else {}
    shared_media = None if request.param == "s3" else tmp_path / "shared-media"
    contexts = [
        build_context(
            load_settings(
                env=env,
                data_dir=tmp_path / name,
                media_dir=shared_media,
                database_url=database_url,
                password_hash_fast=True,
                worker_threads=0,
                secret_key="test-secret-key",
                semantic_search=False,
            )
        )
        for name in ("host-a", "host-b")
    ]
    yield contexts[0], contexts[1]
    for context in contexts:
        context.engine.dispose()


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for i, name in enumerate(names):
            out.writestr(name, image_bytes(size=(160, 120), seed=70 + i))
    return buffer.getvalue()


def _user_id(ctx: AppContext, name: str) -> int:
    with ctx.sessions() as db:
        return get_by_username_or_raise(db=db, username=name).id


def _kept_files(data_dir: Path) -> list[str]:
    """Files in a data folder outside the disposable caches."""
    files = [p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file()]
    return sorted(str(p) for p in files if p.parts[0] not in DISPOSABLE)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_import_queued_on_one_host_runs_on_another_and_its_export_downloads_anywhere(
    hosts: tuple[AppContext, AppContext],
) -> None:
    host_a, host_b = hosts
    app_a = create_app(ctx=host_a)
    ann, eve = WebClient(app_a), WebClient(app_a)
    ann.signup("ann")
    eve.signup("eve")
    store = media_store(host_b)

    upload = {"file": ("trip.zip", _zip("Beach/a.jpg", "Beach/b.jpg", "Hills/c.jpg"), "application/zip")}
    assert ann.post("/settings/import", {}, files=upload).status_code == 303
    with host_a.sessions() as db:
        run = db.query(ImportRun).one()
        input_key = run.input_key
    assert input_key is not None
    assert re.fullmatch(PRIVATE_KEY.format(kind="imports", run_id=run.id, name=r"input\.zip"), input_key)
    assert store.stat(input_key) is not None  # B sees what A received

    assert drain(host_b, kinds=["ingest.import"]) == 1
    boards = pins_by_board(host_a, _user_id(host_a, "ann"))
    assert {name: len(pins) for name, pins in boards.items()} == {"Beach": 2, "Hills": 1}
    with host_a.sessions() as db:
        run = db.query(ImportRun).one()
        assert (run.status, run.created, run.failed, run.input_key) == ("done", 3, 0, None)
        report_key = run.report_key
    assert store.stat(input_key) is None  # the upload is deleted once the run is done
    report = ann.get(f"/settings/import/{run.id}/report")  # written on B, served by A
    assert report.status_code == 200
    outcomes = [json.loads(line) for line in report.text.splitlines()]
    assert [o["status"] for o in outcomes if o["kind"] == "pin"] == ["created"] * 3
    assert eve.get(f"/settings/import/{run.id}/report").status_code == 404

    assert ann.post("/settings/export", {}).status_code == 303
    assert drain(host_b, kinds=["ingest.export"]) == 1
    with host_a.sessions() as db:
        export = db.query(ExportRun).one()
        zip_key = export.zip_key
    assert export.status == "done" and zip_key is not None
    name = r"pinhaven-ann-\d{8}\.zip"
    assert re.fullmatch(PRIVATE_KEY.format(kind="exports", run_id=export.id, name=name), zip_key)
    download = ann.get(f"/settings/export/{export.id}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert download.content == store.get(zip_key)  # byte-identical to what B stored
    assert len(download.content) == export.size
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert json.loads(archive.read("manifest.json"))["counts"]["pins"] == 3
        assert len([n for n in archive.namelist() if n.startswith("originals/")]) == 3
    assert eve.get(f"/settings/export/{export.id}/download").status_code == 404  # the owner only
    assert eve.get(f"/settings/export/{export.id + 1}/download").status_code == 404

    assert sorted(o.key for o in store.iter_objects("private/")) == sorted([report_key, zip_key])
    for host in (host_a, host_b):
        assert _kept_files(host.settings.data_dir) == []
        assert not [p for p in (host.settings.data_dir / "scratch").rglob("*")]  # downloads cleaned up


def test_expired_exports_leave_the_store_and_the_cli_prepares_a_downloadable_one(
    hosts: tuple[AppContext, AppContext],
) -> None:
    host_a, host_b = hosts
    app_a = create_app(ctx=host_a)
    ann = WebClient(app_a)
    ann.signup("ann")
    ann.upload(ann.create_board("Kitchens"), seed=4, title="Tiles")
    store = media_store(host_a)

    run_id, summary = export_now(host_b, _user_id(host_b, "ann"))  # `pinhaven export --user ann` on B
    assert summary.pins == 1
    with host_a.sessions() as db:
        first = db.get(ExportRun, run_id)
        assert first is not None and first.status == "done" and first.zip_key
        old_key = first.zip_key
    assert ann.get(f"/settings/export/{run_id}/download").content == store.get(old_key)

    with session_scope(host_a.sessions) as db:  # a week and a day later
        row = db.get(ExportRun, run_id)
        assert row is not None
        row.created_at = utcnow() - timedelta(days=8)
    assert ann.post("/settings/export", {}).status_code == 303  # a new request expires the old zip
    assert store.stat(old_key) is None
    with host_a.sessions() as db:
        expired = db.get(ExportRun, run_id)
        assert expired is not None and (expired.status, expired.zip_key) == ("expired", None)
    assert ann.get(f"/settings/export/{run_id}/download").status_code == 404
    assert drain(host_b, kinds=["ingest.export"]) == 1
    assert [o.key for o in store.iter_objects("private/exports/")] != [old_key]
    for host in (host_a, host_b):
        assert _kept_files(host.settings.data_dir) == []


def test_the_export_command_without_out_stores_an_export_its_owner_downloads(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pinhaven.cli import app as cli_app

    ann = WebClient(create_app(ctx=ctx))
    ann.signup("ann")
    ann.upload(ann.create_board("Kitchens"), seed=5, title="Tiles")
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")
    result = CliRunner().invoke(
        cli_app, ["export", "--user", "ann", "--data-dir", str(ctx.settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    found = re.search(
        r"exported 1 pins, 1 boards.* to export (\d+): ann downloads it from /settings/export", result.output
    )
    assert found is not None, result.output
    download = ann.get(f"/settings/export/{found.group(1)}/download")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert json.loads(archive.read("manifest.json"))["counts"]["pins"] == 1
    # single node: the media folder is the store; nothing else stays behind
    assert [f for f in _kept_files(ctx.settings.data_dir) if not f.startswith("media/")] == []
    stored = [f for f in _kept_files(ctx.settings.data_dir) if f.startswith("media/private/")]
    assert len(stored) == 1 and stored[0].startswith(f"media/private/exports/{found.group(1)}-")
    missing = CliRunner().invoke(cli_app, ["export", "--data-dir", str(ctx.settings.data_dir)])
    assert missing.exit_code == 2 and "--user is required" in missing.output


def test_a_failed_import_keeps_its_report_and_drops_its_upload(hosts: tuple[AppContext, AppContext]) -> None:
    host_a, host_b = hosts
    ann = WebClient(create_app(ctx=host_a))
    ann.signup("ann")
    store = media_store(host_a)
    listing = b"image_url,board\nhttp://192.0.2.1/a.jpg,Trips\n"  # a row whose image cannot be fetched
    upload = {"file": ("pins.csv", listing, "text/csv")}
    assert ann.post("/settings/import", {}, files=upload).status_code == 303
    broken = {"file": ("broken.zip", b"not a zip at all", "application/zip")}
    assert ann.post("/settings/import", {}, files=broken).status_code == 303
    assert drain(host_b, kinds=["ingest.import"]) == 2
    with host_a.sessions() as db:
        listed, unreadable = db.query(ImportRun).order_by(ImportRun.id).all()
    assert (listed.status, listed.failed, listed.input_key) == ("done", 1, None)
    assert listed.report_key is not None
    report = ann.get(f"/settings/import/{listed.id}/report")
    assert report.status_code == 200 and '"failed"' in report.text
    assert unreadable.status == "failed" and "not a readable zip" in (unreadable.message or "")
    assert unreadable.input_key is None and unreadable.report_key is None
    assert ann.get(f"/settings/import/{unreadable.id}/report").status_code == 404
    assert [o.key for o in store.iter_objects("private/")] == [listed.report_key]
    for host in (host_a, host_b):
        assert _kept_files(host.settings.data_dir) == []
