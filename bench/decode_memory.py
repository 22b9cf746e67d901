"""Decode memory under concurrent large uploads (issue 16, defect 9): peak RSS above idle, and what stays after.

    python bench/decode_memory.py                      # 8 concurrent 50 MP PNG uploads, three configurations
    python bench/decode_memory.py --uploads 4 --megapixels 20 --modes budget

Each configuration runs in a fresh process: N threads call `media.service.prepare_upload` (what every upload
endpoint runs: header check, decode, colour management, re-encode, store) at the same moment, while a sampler
reads the process's RSS every 10 ms. Configurations:
  * unbounded  — no pixel budget and no `malloc_trim` (the behaviour before the fix; the baseline)
  * no-trim    — the pixel budget (`decode_pixel_budget`, default 100 MP) without `malloc_trim`
  * budget     — the pixel budget with `malloc_trim` after each large decode (what ships)
The image is a procedural PNG (diagonal bands and noise), the same one sent by every thread.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_MODES = ("unbounded", "no-trim", "budget")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_png(path: Path, megapixels: float, seed: int) -> None:
    import numpy as np
    from PIL import Image

    side = int((megapixels * 1_000_000) ** 0.5)
    rng = np.random.default_rng(seed)
    y, x = np.ogrid[0:side, 0:side]
    rgb = np.empty((side, side, 3), dtype=np.uint8)
    for c in range(3):
        a, b = (int(v) for v in rng.integers(1, 7, 2))
        rgb[..., c] = ((a * x + b * y + 85 * c) // 16 % 256).astype(np.uint8)  # diagonal bands
    rgb += rng.integers(
        0, 6, size=(side, side, 1), dtype=np.uint8
    )  # texture: compresses like a photo-ish PNG
    Image.fromarray(rgb).save(path, "PNG", compress_level=1)


def child(args: argparse.Namespace) -> None:
    from pinhaven.config import load_settings
    from pinhaven.media import decode_budget
    from pinhaven.media import service as media_service
    from pinhaven.media.store import open_media_store

    bodies = [Path(p).read_bytes() for p in args.files]
    budget = args.budget if args.mode != "unbounded" else 10**12
    if args.mode in ("unbounded", "no-trim"):
        decode_budget._TRIM = None  # the configuration without returning memory
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={},
            data_dir=Path(tmp),
            max_upload_bytes=256 * 1024 * 1024,
            max_pixels=60_000_000,
            decode_pixel_budget=budget,
            secret_key="bench",
        )
        store = open_media_store(settings)
        idle = _rss()
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(_rss())
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        barrier = threading.Barrier(len(bodies))
        times: list[float] = []

        def upload(body: bytes) -> None:
            barrier.wait()
            started = time.perf_counter()
            media_service.prepare_upload(store=store, settings=settings, data=body)
            times.append(time.perf_counter() - started)

        started = time.perf_counter()
        threads = [threading.Thread(target=upload, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        time.sleep(1.0)
        stop.set()
        sampler.join()
        after = _rss()
        print(
            json.dumps(
                {
                    "mode": args.mode,
                    "idle_mb": idle / 2**20,
                    "peak_above_idle_mb": (max(samples) - idle) / 2**20,
                    "after_above_idle_mb": (after - idle) / 2**20,
                    "wall_s": wall,
                    "slowest_upload_s": max(times),
                    "budget_peak_pixels": decode_budget.budget().peak,
                    "load": os.getloadavg(),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=8)
    parser.add_argument("--megapixels", type=float, default=50.0)
    parser.add_argument("--budget", type=int, default=100_000_000)
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="budget", help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        # One picture sent N times: `prepare_upload` decodes each body afresh (identical bytes are only
        # recognised later, when the row is registered), and making N distinct 50 MP PNGs takes minutes.
        path = Path(tmp) / "upload.png"
        make_png(path, args.megapixels, seed=1)
        files = [str(path)] * args.uploads
        print(
            f"{args.uploads} uploads of a {args.megapixels:g} MP PNG ({os.path.getsize(path) / 2**20:.1f} MB), "
            f"made in {time.perf_counter() - started:.1f} s"
        )
        print(f"{'mode':<10} {'peak above idle':>16} {'after (1 s)':>12} {'wall':>7} {'slowest':>8}  load")
        for mode in args.modes.split(","):
            command = [sys.executable, __file__, "--child", "--mode", mode, "--budget", str(args.budget)]
            out = subprocess.run([*command, "--files", *files], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            load = ", ".join(f"{x:.1f}" for x in row["load"])
            print(
                f"{row['mode']:<10} {row['peak_above_idle_mb']:>13.0f} MB {row['after_above_idle_mb']:>9.0f} MB "
                f"{row['wall_s']:>6.1f}s {row['slowest_upload_s']:>7.1f}s  {load}"
            )


if __name__ == "__main__":
    main()
