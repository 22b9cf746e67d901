"""Import and export from the settings pages: uploads become background jobs; exports download as a zip."""

from __future__ import annotations

import io
import json
import re
import zipfile

from fastapi import FastAPI
from tests.factories import image_bytes
from tests.ingest_flows.conftest import pins_by_board
from tests.ingest_flows.fake_web import PINRY_TOKEN, FakeWeb, pinry_pin
from tests.web.helpers import WebClient

from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.context import AppContext
from pinhaven.ingest.models import ImportRun
from pinhaven.jobs.worker import drain
from pinhaven.media.service import media_store


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for i, name in enumerate(names):
            out.writestr(
                name, image_bytes(size=(160, 120), seed=50 + i) if name.endswith(".jpg") else b"junk"
            )
    return buffer.getvalue()


def _user_id(ctx: AppContext, name: str) -> int:
    with ctx.sessions() as db:
        return get_by_username_or_raise(db=db, username=name).id


def test_an_uploaded_zip_is_imported_in_the_background_with_a_report(
    ann: WebClient, visitor: WebClient, ctx: AppContext
) -> None:
    page = ann.get("/settings/import")
    assert page.status_code == 200 and "No imports yet." in page.text
    assert 'href="/settings/import"' in page.text and 'href="/settings/export"' in page.text
    upload = {
        "file": (
            "holiday.zip",
            _zip("Beach/a.jpg", "Beach/b.jpg", "Hills/c.jpg", "Hills/d.jpg"),
            "application/zip",
        )
    }
    started = ann.post("/settings/import", {"board": "Misc"}, files=upload)
    assert started.status_code == 303 and started.headers["location"] == "/settings/import?started=1"
    assert "queued" in ann.get("/settings/import").text
    assert drain(ctx, kinds=["ingest.import"]) == 1
    boards = pins_by_board(ctx, _user_id(ctx, "ann"))
    assert {name: len(pins) for name, pins in boards.items()} == {"Beach": 2, "Hills": 2}
    with ctx.sessions() as db:
        run = db.query(ImportRun).one()
        assert (run.status, run.created, run.failed, run.input_key) == ("done", 4, 0, None)
        report_key = run.report_key
    # the upload was kept in the run's private folder of the media store until the run ended; the report
    # stays there, and no local copy is left behind
    assert report_key is not None
    assert re.fullmatch(rf"private/imports/{run.id}-[0-9a-f]{{32}}/report\.jsonl", report_key)
    private = [o.key for o in media_store(ctx).iter_objects("private/")]
    assert private == [report_key]
    assert not [p for p in (ctx.settings.data_dir / "scratch").rglob("*")]
    listing = ann.get("/settings/import").text
    assert re.search(r">done<", listing) and f"/settings/import/{run.id}/report" in listing
    report = ann.get(f"/settings/import/{run.id}/report")
    assert report.status_code == 200
    assert [json.loads(line)["status"] for line in report.text.splitlines() if '"pin"' in line] == [
        "created"
    ] * 4
    visitor.signup("eve")
    assert visitor.get(f"/settings/import/{run.id}/report").status_code == 404

    again = ann.post(
        "/settings/import",
        {},
        files={
            "file": (
                "holiday.zip",
                _zip("Beach/a.jpg", "Beach/b.jpg", "Hills/c.jpg", "Hills/d.jpg"),
                "application/zip",
            )
        },
    )
    assert again.status_code == 303
    drain(ctx, kinds=["ingest.import"])
    with ctx.sessions() as db:
        second = db.query(ImportRun).order_by(ImportRun.id.desc()).first()
        assert second is not None and (second.created, second.skipped) == (0, 4)


def test_import_form_refuses_other_files_and_needs_csrf(ann: WebClient) -> None:
    bad = ann.post("/settings/import", {}, files={"file": ("pins.xlsx", b"data", "application/octet-stream")})
    assert bad.status_code == 400 and "choose a .zip, .csv or .jsonl file" in bad.text
    empty = ann.post("/settings/import", {})
    assert empty.status_code == 400 and "choose a file or give a Pinry address" in empty.text
    forged = ann.post("/settings/import", {"pinry_url": "https://pinry.example"}, csrf=False)
    assert forged.status_code == 403


def test_export_is_prepared_by_a_job_and_downloaded_by_its_owner_only(
    ann: WebClient, app: FastAPI, ctx: AppContext
) -> None:
    ben = WebClient(app)
    ben.signup("ben")
    board = ann.create_board("Kitchens")
    ann.upload(board, seed=3, title="Tiles")
    assert "Prepare my data" in ann.get("/settings/export").text
    started = ann.post("/settings/export", {})
    assert started.status_code == 303 and started.headers["location"] == "/settings/export?started=1"
    page = ann.get("/settings/export?started=1").text
    assert 'data-status="queued"' in page and 'http-equiv="refresh"' in page  # refreshes until ready
    again = ann.post("/settings/export", {})
    assert again.status_code == 409 and "already being prepared" in again.text
    drain(ctx)
    page = ann.get("/settings/export").text
    run_id = re.search(r'data-export="(\d+)" data-status="done"', page)
    assert run_id is not None and 'http-equiv="refresh"' not in page
    response = ann.get(f"/settings/export/{run_id.group(1)}/download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert re.match(
        r'attachment; filename="pinhaven-ann-\d{8}\.zip"', response.headers["content-disposition"]
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        pins = [json.loads(line) for line in archive.read("pins.jsonl").decode().splitlines()]
    assert manifest["user"] == "ann" and manifest["counts"]["pins"] == 1
    assert pins[0]["title"] == "Tiles"
    assert ben.get(f"/settings/export/{run_id.group(1)}/download").status_code == 404  # not ben's
    assert ann.post("/settings/export", {}, csrf=False).status_code == 403


def test_a_pinry_import_from_the_settings_page_forgets_its_token(
    ann: WebClient, ctx: AppContext, web: FakeWeb
) -> None:
    web.pinry.pins = [pinry_pin(1, image="/media/one.jpg", description="From Pinry", tags=("old",))]
    started = ann.post("/settings/import", {"pinry_url": web.base, "pinry_token": PINRY_TOKEN})
    assert started.status_code == 303
    drain(ctx, kinds=["ingest.import"])
    assert [p.description for p in pins_by_board(ctx, _user_id(ctx, "ann"))["Pinry"]] == ["From Pinry #old"]
    assert {auth for _, auth in web.pinry.requests} == {f"Token {PINRY_TOKEN}"}
    with ctx.sessions() as db:
        run = db.query(ImportRun).one()
        assert run.status == "done" and "pinry_token" not in (run.options or {})
