"""Bulk import benchmark: a folder of generated 2 MP JPEGs → pins, end to end (until every variant exists).

    .venv/bin/python bench/ingest_import.py                  # 300 images
    .venv/bin/python bench/ingest_import.py --images 2000    # the issue's target size

Each measurement starts from a fresh scratch database:
  naive         one pin at a time, one transaction each, variants rendered inline (`drain` after every pin),
                on the first --naive images: what a simple script would do
  phases        where the time goes: `run_import` alone (no workers), then a `WorkerPool` of --workers
                threads rendering every variant of those pins
  end to end    `run_import` while the pool runs, until the last image is ready and the queue is empty
  rerun         the same import again: every row is skipped by its import_items record
Prints pins/s for each, per-row latency percentiles of the import, and the load average (the machine is
shared: read the figures with it). Images are generated once into --cache (default /tmp/pinhaven-bench-
import-<size>); semantic search is off, so the queue holds media and text-index jobs only.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func, select

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.ingest.importers import ImportSummary, Outcome, run_import
from pinhaven.ingest.importers_files import FolderSource
from pinhaven.jobs import service as jobs_service
from pinhaven.jobs.worker import WorkerPool, drain
from pinhaven.media import service as media_service
from pinhaven.media.models import MediaImage
from pinhaven.pins import service as pins_service

BOARDS = 10


def make_jpeg(seed: int, size: tuple[int, int]) -> bytes:
    """A photo-like 2 MP JPEG: gradient, shapes, slight blur (so it compresses like a photo, not a flat fill)."""
    rng = random.Random(seed)
    width, height = size
    small = Image.new("RGB", (64, 48))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64 * 48)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, width // 5)
        draw.ellipse((x, y, x + r, y + r), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def ensure_images(cache: Path, count: int, size: tuple[int, int]) -> Path:
    """`count` JPEGs spread over BOARDS sub-folders (a board each), generated once."""
    for i in range(count):
        path = cache / f"board-{i % BOARDS:02d}" / f"photo-{i:05d}.jpg"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(make_jpeg(i, size))
            os.replace(tmp, path)
    return cache


def subset(cache: Path, count: int, target: Path) -> Path:
    """A folder holding exactly the first `count` images (hard links, so nothing is copied)."""
    for i in range(count):
        src = cache / f"board-{i % BOARDS:02d}" / f"photo-{i:05d}.jpg"
        dst = target / src.parent.name / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return target


def fresh_context(root: Path, name: str) -> tuple[AppContext, int]:
    settings = load_settings(
        env={},
        data_dir=root / name,
        worker_threads=0,
        semantic_search=False,
        password_hash_fast=True,
        secret_key="bench",
    )
    ctx = build_context(settings)
    with session_scope(ctx.sessions) as db:
        user = accounts_service.create(
            db=db, username="bench", email="bench@example.test", password="bench-password"
        )
    return ctx, user.id


def pending(ctx: AppContext) -> tuple[int, int]:
    """(images not yet processed, jobs queued or running)."""
    with ctx.read_sessions() as db:
        images = int(
            db.scalar(select(func.count()).select_from(MediaImage).where(MediaImage.status == "processing"))
            or 0
        )
        depth = jobs_service.depth(db=db)
    return images, depth.queued + depth.running


def naive(ctx: AppContext, user_id: int, folder: Path) -> tuple[int, float]:
    """One pin per transaction, variants rendered right away in the same thread."""
    files = sorted(folder.rglob("*.jpg"))
    viewer = session_viewer(user_id)
    boards: dict[str, int] = {}
    started = time.perf_counter()
    for path in files:
        with session_scope(ctx.sessions) as db:
            board = boards.get(path.parent.name)
            if board is None:
                board = boards[path.parent.name] = boards_service.create(
                    db=db, owner_id=user_id, name=path.parent.name
                ).id
            image = media_service.ingest_bytes(
                db=db, store=media_service.media_store(ctx), settings=ctx.settings, data=path.read_bytes()
            )
            pins_service.create(
                db=db,
                viewer=viewer,
                board_id=board,
                image=image,
                fields=pins_service.PinFields(title=path.stem),
            )
        drain(ctx)
    return len(files), time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_until_processed(ctx: AppContext) -> None:
    while pending(ctx) != (0, 0):
        time.sleep(0.05)


def timed_import(
    ctx: AppContext, user_id: int, folder: Path, batch: int
) -> tuple[ImportSummary, float, list[float]]:
    """Run the import; (summary, seconds, per-row latencies in ms)."""
    latencies: list[float] = []
    last = [time.perf_counter()]

    def on_row(summary: ImportSummary, outcome: Outcome) -> None:
        now = time.perf_counter()
        latencies.append((now - last[0]) * 1000)
        last[0] = now

    started = last[0] = time.perf_counter()
    summary = run_import(
        ctx=ctx,
        user_id=user_id,
        source=FolderSource(folder, settings=ctx.settings),
        batch_size=batch,
        on_row=on_row,
    )
    return summary, time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--naive", type=int, default=40, help="images for the naive baseline")
    parser.add_argument("--workers", type=int, default=2, help="variant worker threads")
    parser.add_argument("--size", default="1632x1224", help="image size (default ≈ 2 MP)")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2
    cache = args.cache or Path(tempfile.gettempdir()) / f"pinhaven-bench-import-{args.size}"
    t0 = time.perf_counter()
    ensure_images(cache, args.images, size)  # type: ignore[arg-type]
    print(f"images ready in {cache} ({args.images} × {args.size}, {time.perf_counter() - t0:.1f} s)")
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} (cpus {os.cpu_count()})")
    rows: list[tuple[str, int, float]] = []
    scratch = Path(tempfile.mkdtemp(prefix="pinhaven-bench-import-"))
    try:
        folder = subset(cache, args.images, scratch / "photos")
        naive_folder = subset(cache, min(args.naive, args.images), scratch / "naive-photos")

        ctx, user_id = fresh_context(scratch, "naive")
        count, seconds = naive(ctx, user_id, naive_folder)
        rows.append(("naive (1 txn/pin, inline variants)", count, seconds))
        naive_rate = count / seconds
        ctx.engine.dispose()

        # Where the time goes: the import alone, then the variants alone (same database).
        ctx, user_id = fresh_context(scratch, "phases")
        summary, seconds, alone_ms = timed_import(ctx, user_id, folder, args.batch)
        rows.append(("import alone (no workers)", summary.created, seconds))
        pool = WorkerPool(ctx, args.workers)
        started = time.perf_counter()
        pool.start()
        wait_until_processed(ctx)
        pool.stop()
        rows.append(
            (f"variants alone ({args.workers} workers)", summary.created, time.perf_counter() - started)
        )
        ctx.engine.dispose()

        # The figure that counts: import with the workers running, until every variant exists.
        ctx, user_id = fresh_context(scratch, "end-to-end")
        pool = WorkerPool(ctx, args.workers)
        pool.start()
        started = time.perf_counter()
        summary, seconds, latencies = timed_import(ctx, user_id, folder, args.batch)
        rows.append(("import phase, workers running", summary.created, seconds))
        wait_until_processed(ctx)
        end_to_end = time.perf_counter() - started
        rows.append(("end to end (all variants ready)", summary.created, end_to_end))
        pool.stop()
        rerun, seconds, _ = timed_import(ctx, user_id, folder, args.batch)
        rows.append(("rerun (every row skipped)", rerun.skipped, seconds))
        with ctx.read_sessions() as db:
            failed_images = int(
                db.scalar(select(func.count()).select_from(MediaImage).where(MediaImage.status == "failed"))
                or 0
            )
        ctx.engine.dispose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print(f"{'measurement':<36} {'pins':>6} {'seconds':>8} {'pins/s':>8}")
    for label, count, seconds in rows:
        print(f"{label:<36} {count:>6} {seconds:>8.1f} {count / seconds:>8.1f}")
    print()
    for label, values in (("import alone", alone_ms), ("import with workers", latencies)):
        print(
            f"row latency ms, {label:<20} p50 {pct(values, 0.5):6.1f}  p95 {pct(values, 0.95):6.1f}  "
            f"p99 {pct(values, 0.99):6.1f}  max {max(values, default=0):6.1f}"
        )
    print()
    print(
        f"end to end: {summary.created / end_to_end:.1f} pins/s, {summary.created / end_to_end / naive_rate:.1f}× the naive "
        f"baseline; failed rows {summary.failed}, failed images {failed_images}"
    )
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
