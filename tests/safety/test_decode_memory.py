"""Defect #16.9: a process-wide pixel budget bounds concurrent decodes; memory goes back after the peak."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pinhaven.config import Settings
from pinhaven.errors import ServiceUnavailable
from pinhaven.media import decode_budget
from pinhaven.media import service as media_service
from pinhaven.media.decode_budget import PixelBudget
from pinhaven.media.store import open_media_store


def test_the_budget_bounds_pixels_in_flight_and_serves_in_order() -> None:
    budget = PixelBudget(100)
    lock = threading.Lock()
    in_flight, worst, order = [0], [0], []
    release = threading.Event()

    def decode(name: str, pixels: int) -> None:
        with budget.hold(pixels):
            with lock:
                in_flight[0] += min(pixels, 100)
                worst[0] = max(worst[0], in_flight[0])
                order.append(name)
            release.wait(5)
            time.sleep(0.01)
            with lock:
                in_flight[0] -= min(pixels, 100)

    jobs = [("a", 60), ("b", 60), ("c", 30), ("d", 10), ("e", 250)]  # e: larger than the budget, takes it all
    threads = []
    for name, pixels in jobs:
        thread = threading.Thread(target=decode, args=(name, pixels))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # arrival order a, b, c, d, e
    with lock:
        assert order == ["a"]  # b (60) does not fit beside a (60); c and d queue behind b, however small
    assert budget.in_use == 60
    release.set()
    for thread in threads:
        thread.join(10)
    assert order == ["a", "b", "c", "d", "e"]
    assert worst[0] <= 100  # e counts as the whole budget (100), not its real size
    assert budget.peak <= 100 and budget.in_use == 0


def test_a_hold_is_reentrant_and_a_long_wait_is_a_503() -> None:
    budget = PixelBudget(10)
    with budget.hold(10):
        with budget.hold(10):  # the same thread: upload validation, then its eager variants
            assert budget.in_use == 10
        failed: list[BaseException] = []

        def other() -> None:
            try:
                with budget.hold(5, timeout=0.1):
                    pass
            except ServiceUnavailable as exc:
                failed.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(5)
        assert len(failed) == 1 and failed[0].status == 503
    assert budget.in_use == 0
    with budget.hold(5, timeout=0.1):  # the timed-out waiter left the queue
        pass


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _png(side: int) -> bytes:
    rng = np.random.default_rng(7)
    y, x = np.ogrid[0:side, 0:side]
    rgb = np.empty((side, side, 3), dtype=np.uint8)
    for c in range(3):
        rgb[..., c] = ((3 * x + (c + 1) * y) // 8 % 256).astype(np.uint8)
    rgb += rng.integers(0, 6, size=(side, side, 1), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG", compress_level=1)
    return out.getvalue()


# Slow suite only: it reads the whole test process's RSS, which other tests sharing an xdist worker grow too
# (327 MB seen in a default-suite run, more than the 249 MB of no budget at all). `make test-slow` runs it in a
# process of its own; the budget's behaviour is asserted deterministically above, and bench/decode_memory.py
# measures the 50 MP case in a fresh process.
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="RSS is read from /proc")
def test_concurrent_large_uploads_stay_within_the_budgets_memory(settings: Settings) -> None:
    side = 2450  # 6 MP
    pixels = side * side
    uploads = 6
    body = _png(side)
    settings = settings.with_overrides(decode_pixel_budget=pixels)  # one such image at a time
    store = open_media_store(settings)
    media_service.prepare_upload(store=store, settings=settings, data=body)  # warm up (imports, codecs)
    decode_budget.release_memory()
    idle = _rss()
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(_rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    barrier = threading.Barrier(uploads)
    errors: list[BaseException] = []

    def upload() -> None:
        barrier.wait()
        try:
            media_service.prepare_upload(store=store, settings=settings, data=body)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    stop.set()
    sampler.join()
    assert not errors
    assert decode_budget.budget().peak <= pixels
    growth = max(samples) - idle
    # One decode of a 6 MP RGB PNG peaks near 8 bytes a pixel (decode, convert, encode buffers); six at once
    # (no budget) measured ~300 MB here. The budget lets one run at a time; allow four decodes' worth, as the
    # process is shared with other tests and the allocator (143 MB was seen once at load 14; 249 MB without it).
    assert growth < 4 * 8 * pixels, f"RSS grew {growth / 2**20:.0f} MB"
    assert _rss() - idle < 2 * 8 * pixels  # and most of it went back
