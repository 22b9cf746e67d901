"""Importing folders, zips, CSV and JSONL lists: boards and sections, bad rows, reports, resume, idempotency."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import Account, image_bytes
from tests.ingest_flows.conftest import make_board, pins_by_board
from tests.ingest_flows.fake_web import FakeWeb

from pinhaven.boards.models import Board, BoardSection
from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput
from pinhaven.ingest.importers import ImportSummary, Outcome, run_import
from pinhaven.ingest.importers_files import FolderSource, ListSource, ZipSource, open_source
from pinhaven.ingest.models import ImportItem
from pinhaven.jobs.models import Job
from pinhaven.media import service as media_service
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.pins.models import Pin

SMALL = (160, 120)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    _write(root / "harbour_at-dawn.jpg", image_bytes(size=SMALL, seed=1))
    _write(root / "beach" / "b1.jpg", image_bytes(size=SMALL, seed=2))
    _write(root / "beach" / "b2.png", image_bytes("PNG", size=SMALL, seed=3))
    _write(root / "beach" / "sunset" / "deep" / "s1.jpg", image_bytes(size=SMALL, seed=4))
    _write(root / "food" / "f1.jpg", image_bytes(size=SMALL, seed=5))
    _write(root / "food" / "broken.jpg", b"this is not a picture")
    _write(root / ".thumbnails" / "t.jpg", image_bytes(size=SMALL, seed=6))
    _write(root / "notes.txt", b"not an image file at all")
    return root


def _import(
    ctx: AppContext, account: Account, source: object, tmp_path: Path, **kwargs: object
) -> ImportSummary:
    return run_import(
        ctx=ctx, user_id=account.user.id, source=source, report_path=tmp_path / "report.jsonl", **kwargs
    )  # type: ignore[arg-type]


def _report(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "report.jsonl").read_text().splitlines()]


def _pin_count(ctx: AppContext) -> int:
    with ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Pin)) or 0)


def test_folder_becomes_boards_per_folder_and_sections_per_subfolder(
    ctx: AppContext, alice: Account, photos: Path, tmp_path: Path
) -> None:
    summary = _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    assert (summary.total, summary.created, summary.skipped, summary.failed) == (6, 5, 0, 1)
    boards = pins_by_board(ctx, alice.user.id)
    assert {name: len(pins) for name, pins in boards.items()} == {"photos": 1, "beach": 3, "food": 1}
    assert boards["photos"][0].title == "harbour at dawn"
    with ctx.sessions() as db:
        sections = {s.name: s.id for s in db.scalars(select(BoardSection))}
    assert list(sections) == ["sunset"]  # deeper folders fold into the second-level section
    assert [p.section_id for p in boards["beach"]] == [None, None, sections["sunset"]]
    failed = [r for r in _report(tmp_path) if r["status"] == "failed"]
    assert [(r["label"], r["kind"]) for r in failed] == [("food/broken.jpg", "pin")]
    assert "not an image" in str(failed[0]["reason"])


def test_running_an_import_twice_creates_nothing_twice(
    ctx: AppContext, alice: Account, photos: Path, tmp_path: Path
) -> None:
    _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    again = _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    assert (again.created, again.skipped, again.failed) == (0, 5, 1)  # the failed row is retried (and fails)
    assert _pin_count(ctx) == 5
    assert {r["reason"] for r in _report(tmp_path) if r["status"] == "skipped"} == {"already imported"}


def test_imported_pictures_are_ready_at_once_with_their_grid_variants(
    ctx: AppContext, alice: Account, photos: Path, tmp_path: Path
) -> None:
    _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    store = media_service.media_store(ctx)
    with ctx.sessions() as db:
        images = db.scalars(select(MediaImage)).all()
        kinds = [job.kind for job in db.scalars(select(Job))]
    assert len(images) == 5 and {image.status for image in images} == {"ready"}
    assert "media.process" not in kinds  # rendered on the import's loader threads instead
    assert kinds.count("visual.embed_image") == 5
    for image in images:
        for key, ext in variants.EAGER_VARIANTS:
            assert store.stat(variants.variant_key(image.sha256, key, ext)) is not None


def test_the_same_pictures_from_a_zip_are_recognised_by_content(
    ctx: AppContext, alice: Account, photos: Path, tmp_path: Path
) -> None:
    _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    archive = tmp_path / "photos-copy.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(photos.rglob("*")):
            if path.is_file():
                out.write(path, "photos/" + path.relative_to(photos).as_posix())
        out.writestr("__MACOSX/photos/._b1.jpg", b"resource fork")
    source = open_source(archive, settings=ctx.settings)
    assert isinstance(source, ZipSource) and source.name == "photos" and source.total() == 6
    summary = _import(ctx, alice, source, tmp_path)
    assert (summary.created, summary.skipped, summary.failed) == (0, 5, 1)
    assert all("duplicate" in str(r["reason"]) for r in _report(tmp_path) if r["status"] == "skipped")
    assert _pin_count(ctx) == 5


def test_a_fresh_zip_imports_into_a_board_per_folder(ctx: AppContext, alice: Account, tmp_path: Path) -> None:
    archive = tmp_path / "trip.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("cover.jpg", image_bytes(size=SMALL, seed=20))
        out.writestr("Rome/colosseum.jpg", image_bytes(size=SMALL, seed=21))
        out.writestr("Rome/food/pasta.jpg", image_bytes(size=SMALL, seed=22))
    summary = _import(
        ctx, alice, open_source(archive, settings=ctx.settings), tmp_path, default_board="Travel"
    )
    assert summary.created == 3
    assert {name: len(pins) for name, pins in pins_by_board(ctx, alice.user.id).items()} == {
        "Travel": 1,
        "Rome": 2,
    }


def test_csv_rows_import_from_urls_and_paths_and_bad_rows_are_reported(
    ctx: AppContext, alice: Account, tmp_path: Path, web: FakeWeb
) -> None:
    _write(tmp_path / "pics" / "local.jpg", image_bytes(size=SMALL, seed=30))
    make_board(ctx, alice.user.id, "Recipes")  # an existing board is reused, by name, whatever its case
    rows = [
        {
            "image_url": web.url("/img/soup.jpg"),
            "title": "Soup",
            "description": "Hot",
            "board": "recipes",
            "section": "Winter",
            "link": "https://cook.example/soup?utm_medium=x&v=2",
        },
        {"path": "pics/local.jpg", "title": "Local file", "board": "Mine"},
        {"title": "No image at all"},
        {"image_url": web.url("/img/missing.jpg"), "title": "Gone"},
        {"image_url": web.url("/img/long.jpg"), "title": "x" * 150},
        {"path": "pics/nothing-here.jpg"},
    ]
    listing = tmp_path / "pins.csv"
    with listing.open("w", newline="") as out:
        writer = csv.DictWriter(
            out, fieldnames=["image_url", "path", "title", "description", "link", "board", "section"]
        )
        writer.writeheader()
        writer.writerows(rows)
    report = tmp_path / "out" / "report.csv"
    summary = run_import(
        ctx=ctx, user_id=alice.user.id, source=open_source(listing, settings=ctx.settings), report_path=report
    )
    assert (summary.created, summary.failed) == (2, 4)
    boards = pins_by_board(ctx, alice.user.id)
    soup = boards["Recipes"][0]
    assert (soup.title, soup.description, soup.link) == ("Soup", "Hot", "https://cook.example/soup?v=2")
    assert soup.section_id is not None and boards["Mine"][0].title == "Local file"
    with report.open() as handle:
        lines = [r for r in csv.DictReader(handle) if r["kind"] == "pin"]
    reasons = {r["row"]: r["reason"] for r in lines if r["status"] == "failed"}
    assert reasons["3"] == "the row has neither image_url nor path"
    assert "404" in reasons["4"] and "at most 100 characters" in reasons["5"]
    assert "No such file" in reasons["6"] or "nothing-here" in reasons["6"]


def test_jsonl_bad_lines_are_reported_without_stopping(
    ctx: AppContext, alice: Account, tmp_path: Path, web: FakeWeb
) -> None:
    listing = tmp_path / "pins.jsonl"
    listing.write_text(
        "\n".join(
            [
                json.dumps({"image_url": web.url("/img/a.jpg"), "title": "A", "board": "Lines"}),
                "{not json",
                json.dumps(["a", "list"]),
                "",
                json.dumps({"image_url": web.url("/img/b.jpg"), "title": "B", "board": "Lines", "id": "b-1"}),
            ]
        )
    )
    summary = _import(ctx, alice, open_source(listing, settings=ctx.settings), tmp_path)
    assert (summary.created, summary.failed) == (2, 2)
    reasons = [r["reason"] for r in _report(tmp_path) if r["status"] == "failed"]
    assert any("not valid JSON" in str(r) for r in reasons) and any("JSON object" in str(r) for r in reasons)
    with ctx.sessions() as db:
        ids = set(db.scalars(select(ImportItem.source_id).where(ImportItem.status == "created")))
    assert "b-1" in ids  # an explicit id column is the row's identity


def test_an_uploaded_list_may_not_read_server_paths(ctx: AppContext, alice: Account, tmp_path: Path) -> None:
    secret = _write(tmp_path / "secret.jpg", image_bytes(size=SMALL, seed=40))
    listing = tmp_path / "upload.csv"
    listing.write_text(f"path,title\n{secret},Sneaky\n")
    source = ListSource(listing, settings=ctx.settings, kind="csv", allow_paths=False)
    summary = _import(ctx, alice, source, tmp_path)
    assert (summary.created, summary.failed) == (0, 1)
    assert "paths are not accepted" in str(_report(tmp_path)[-1]["reason"])


def test_unknown_files_are_refused_with_a_clear_message(ctx: AppContext, tmp_path: Path) -> None:
    odd = _write(tmp_path / "pins.xlsx", b"PK-ish")
    with pytest.raises(InvalidInput, match=r"import a folder, a \.zip, a \.csv or a \.jsonl"):
        open_source(odd, settings=ctx.settings)
    with pytest.raises(InvalidInput, match="does not exist"):
        open_source(tmp_path / "missing", settings=ctx.settings)


def test_an_interrupted_import_resumes_where_it_stopped(
    ctx: AppContext, alice: Account, tmp_path: Path
) -> None:
    root = tmp_path / "many"
    for i in range(12):
        _write(root / "Board" / f"img{i:02d}.jpg", image_bytes(size=SMALL, seed=100 + i))

    def kill_after_eight(summary: ImportSummary, outcome: Outcome) -> None:
        if summary.processed == 8:
            raise KeyboardInterrupt  # what Ctrl-C (or a killed process) does mid-batch

    with pytest.raises(KeyboardInterrupt):
        _import(
            ctx,
            alice,
            FolderSource(root, settings=ctx.settings),
            tmp_path,
            batch_size=5,
            on_row=kill_after_eight,
        )
    committed = _pin_count(ctx)
    assert 5 <= committed < 8  # the first batch is kept; the interrupted one is rolled back whole
    resumed = _import(ctx, alice, FolderSource(root, settings=ctx.settings), tmp_path, batch_size=5)
    assert (resumed.skipped, resumed.created, resumed.failed) == (committed, 12 - committed, 0)
    with ctx.sessions() as db:
        images = list(db.scalars(select(Pin.image_id)))
        board = db.scalar(select(Board).where(Board.name == "Board"))
    assert len(images) == len(set(images)) == 12
    assert board is not None and board.pin_count == 12


def test_max_rows_stops_early_and_the_next_run_finishes(
    ctx: AppContext, alice: Account, photos: Path, tmp_path: Path
) -> None:
    first = _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path, max_rows=3)
    assert first.stopped and (first.processed, first.created) == (3, 3)
    second = _import(ctx, alice, FolderSource(photos, settings=ctx.settings), tmp_path)
    assert not second.stopped and (second.created, second.skipped, second.failed) == (2, 3, 1)
