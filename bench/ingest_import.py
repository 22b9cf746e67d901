"""Bulk import benchmark: a folder of generated 2 MP JPEGs → pins, end to end (until every job is done).

    .venv/bin/python bench/ingest_import.py                  # 300 images
    .venv/bin/python bench/ingest_import.py --images 2000    # the issue's target size

Each measurement starts from a fresh scratch database:
  naive         one pin at a time, one transaction each, all 14 variant files rendered inline, then the
                pin's jobs run (`drain`), on the first --naive images: what a simple script would do
  phases        where the time goes: `run_import` alone (no workers; it stores each image with its eager
                variants on its loader threads), then a `WorkerPool` of --workers threads running the
                follow-up jobs (text index, visual embedding and its refits)
  end to end    `run_import` while the pool runs, until no image is processing and the queue is empty
  rerun         the same import again: every row is skipped by its import_items record
Prints pins/s and process CPU ms per pin for each, per-row latency percentiles of the import, CPU per job
kind, and the load average (the machine is shared: read wall-clock figures with it; CPU time is the
steadier one). Images are generated once into --cache (default /tmp/pinhaven-bench-import-<size>);
semantic search is off, so the queue holds text-index and visual jobs only.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

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
from pinhaven.jobs import handlers
from pinhaven.jobs import service as jobs_service
from pinhaven.jobs.worker import WorkerPool, drain
from pinhaven.media import service as media_service
from pinhaven.media import variants
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
    """One pin per transaction, every variant rendered right away in the same thread."""
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
            store = media_service.media_store(ctx)
            image = media_service.ingest_bytes(
                db=db, store=store, settings=ctx.settings, data=path.read_bytes()
            )
            original = store.get(variants.original_key(image.sha256, image.original_format))
            assert original is not None
            for (key, ext), blob in variants.render(original, image.width, image.height).files.items():
                store.put(variants.variant_key(image.sha256, key, ext), blob, durable=False)
            pins_service.create(
                db=db,
                viewer=viewer,
                board_id=board,
                image=image,
                fields=pins_service.PinFields(title=path.stem),
            )
        drain(ctx)
    return len(files), time.perf_counter() - started


class JobClock:
    """Thread CPU time per job kind: each handler wrapped through `handlers.register` (measurement only)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.lock = threading.Lock()

    def install(self) -> None:
        for kind in handlers.known_kinds():
            handlers.register(kind, self._timed(kind, handlers.resolve(kind)))

    def uninstall(self) -> None:
        for kind in handlers.known_kinds():
            handlers.unregister(kind)

    def _timed(self, kind: str, handler: handlers.Handler) -> handlers.Handler:
        def run(ctx: AppContext, payload: dict[str, Any]) -> None:
            started = time.thread_time()
            try:
                handler(ctx, payload)
            finally:
                with self.lock:
                    self.cpu[kind] = self.cpu.get(kind, 0.0) + time.thread_time() - started
                    self.count[kind] = self.count.get(kind, 0) + 1

        return run


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
    parser.add_argument("--workers", type=int, default=2, help="job worker threads")
    parser.add_argument("--size", default="1632x1224", help="image size (default ≈ 2 MP)")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    size = (width, height)
    cache = args.cache or Path(tempfile.gettempdir()) / f"pinhaven-bench-import-{args.size}"
    t0 = time.perf_counter()
    ensure_images(cache, args.images, size)
    print(f"images ready in {cache} ({args.images} × {args.size}, {time.perf_counter() - t0:.1f} s)")
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} (cpus {os.cpu_count()})")
    rows: list[tuple[str, int, float, float]] = []  # label, pins, seconds, process CPU seconds
    clock = JobClock()
    scratch = Path(tempfile.mkdtemp(prefix="pinhaven-bench-import-"))

    def measured(label: str, count: int, started: float, started_cpu: float) -> None:
        rows.append((label, count, time.perf_counter() - started, time.process_time() - started_cpu))

    try:
        folder = subset(cache, args.images, scratch / "photos")
        naive_folder = subset(cache, min(args.naive, args.images), scratch / "naive-photos")

        ctx, user_id = fresh_context(scratch, "naive")
        cpu = time.process_time()
        count, seconds = naive(ctx, user_id, naive_folder)
        rows.append(("naive (1 txn/pin, 14 files inline)", count, seconds, time.process_time() - cpu))
        naive_rate = count / seconds
        ctx.engine.dispose()

        # Where the time goes: the import alone, then its follow-up jobs alone (same database).
        ctx, user_id = fresh_context(scratch, "phases")
        cpu = time.process_time()
        summary, seconds, alone_ms = timed_import(ctx, user_id, folder, args.batch)
        rows.append(("import alone (no workers)", summary.created, seconds, time.process_time() - cpu))
        pool = WorkerPool(ctx, args.workers)
        started, cpu = time.perf_counter(), time.process_time()
        pool.start()
        wait_until_processed(ctx)
        pool.stop()
        measured(f"jobs alone ({args.workers} workers)", summary.created, started, cpu)
        ctx.engine.dispose()

        # The figure that counts: import with the workers running, until every image and job is done.
        ctx, user_id = fresh_context(scratch, "end-to-end")
        clock.install()
        pool = WorkerPool(ctx, args.workers)
        pool.start()
        started, cpu = time.perf_counter(), time.process_time()
        summary, seconds, latencies = timed_import(ctx, user_id, folder, args.batch)
        rows.append(("import phase, workers running", summary.created, seconds, time.process_time() - cpu))
        wait_until_processed(ctx)
        measured("end to end (images ready, jobs done)", summary.created, started, cpu)
        end_to_end = rows[-1][2]
        pool.stop()
        clock.uninstall()
        started, cpu = time.perf_counter(), time.process_time()
        rerun, _seconds, _ = timed_import(ctx, user_id, folder, args.batch)
        measured("rerun (every row skipped)", rerun.skipped, started, cpu)
        with ctx.read_sessions() as db:
            failed_images = int(
                db.scalar(select(func.count()).select_from(MediaImage).where(MediaImage.status == "failed"))
                or 0
            )
        ctx.engine.dispose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print(f"{'measurement':<38} {'pins':>6} {'seconds':>8} {'pins/s':>8} {'CPU ms/pin':>11}")
    for label, count, seconds, cpu_seconds in rows:
        print(
            f"{label:<38} {count:>6} {seconds:>8.1f} {count / seconds:>8.1f} "
            f"{cpu_seconds * 1000 / max(count, 1):>11.1f}"
        )
    print()
    for label, values in (("import alone", alone_ms), ("import with workers", latencies)):
        print(
            f"row latency ms, {label:<20} p50 {pct(values, 0.5):6.1f}  p95 {pct(values, 0.95):6.1f}  "
            f"p99 {pct(values, 0.99):6.1f}  max {max(values, default=0):6.1f}"
        )
    print()
    print("job CPU in the end-to-end run (handler thread time; queue claim/complete not included):")
    for kind in sorted(clock.cpu, key=lambda k: -clock.cpu[k]):
        total_ms = clock.cpu[kind] * 1000
        print(
            f"  {kind:<22} {clock.count[kind]:>5} jobs {total_ms / clock.count[kind]:>8.1f} ms each"
            f" {total_ms / max(summary.created, 1):>7.1f} ms per pin"
        )
    print()
    print(
        f"end to end: {summary.created / end_to_end:.1f} pins/s, {summary.created / end_to_end / naive_rate:.1f}× "
        f"the naive baseline; failed rows {summary.failed}, failed images {failed_images}"
    )
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
