"""The cyclic garbage collector, watched and tamed: each collection timed, long-lived objects frozen.

`install()` (once per process, at start-up) adds a `gc.callbacks` hook that times every collection: counts
and total time per generation, the longest pause, and the recent pauses of 5 ms or more (a ring buffer
with wall-clock times, so a benchmark can pick out the ones inside its run window). Cost: two calls of
about a microsecond per collection. Read with `snapshot()` (served to operators at
`GET /ext/v1/health/process`).

`freeze_long_lived()` moves every object alive now into the permanent generation, which collections never
scan. A full (generation 2) collection walks every tracked object outside it, so a heap that grows after
start-up (the MiniLM model, the vector and graph indexes, caches) makes each full pass slower: 150–200 ms
stalls measured on a serving process. Call it after each load of long-lived state: the start-up loaders
(`pinhaven.runtime` waits for them), and lazy loads that come later (the text model). It collects
first, so no garbage cycle is frozen with the survivors.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections import deque
from typing import Any

log = logging.getLogger("pinhaven")

RECENT_MIN_MS = 5.0  # pauses at least this long are kept with their time
RECENT_KEEP = 512


class _Stats:
    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.total_ms = [0.0, 0.0, 0.0]
        self.longest_ms = [0.0, 0.0, 0.0]
        self.recent: deque[tuple[float, int, float, int]] = deque(maxlen=RECENT_KEEP)
        self.freezes = 0
        self.frozen_objects = 0
        self._started = 0.0

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        elapsed = (time.perf_counter() - self._started) * 1000
        generation = int(info.get("generation", 2))
        self.collections[generation] += 1
        self.total_ms[generation] += elapsed
        if elapsed > self.longest_ms[generation]:
            self.longest_ms[generation] = elapsed
        if elapsed >= RECENT_MIN_MS:
            self.recent.append((time.time(), generation, round(elapsed, 3), int(info.get("collected", 0))))


_stats: _Stats | None = None
_lock = threading.Lock()


def install() -> None:
    """Start timing collections in this process (idempotent)."""
    global _stats
    with _lock:
        if _stats is None:
            _stats = _Stats()
            gc.callbacks.append(_stats.callback)


_frozen_for: set[str] = set()


def freeze_long_lived(reason: str) -> int:
    """Collect, then freeze every surviving object (see the module's docstring); returns how many are now
    frozen in total. One full collection's pause, once, instead of one on every later full pass. Once per
    `reason` per process: a process that starts its app many times (tests) collects no more than that."""
    with _lock:
        if reason in _frozen_for:
            return gc.get_freeze_count()
        _frozen_for.add(reason)
        gc.collect()
        gc.freeze()
        count = gc.get_freeze_count()
        if _stats is not None:
            _stats.freezes += 1
            _stats.frozen_objects = count
    log.debug("gc: froze %d objects after %s", count, reason)
    return count


def rss_bytes() -> int | None:
    """This process's resident set size (Linux), or None elsewhere."""
    try:
        with open(f"/proc/{os.getpid()}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def snapshot() -> dict[str, Any]:
    """What the collector did in this process since `install()`, plus its memory figures."""
    stats = _stats
    return {
        "pid": os.getpid(),
        "rss_bytes": rss_bytes(),
        "gc_installed": stats is not None,
        "gc_thresholds": list(gc.get_threshold()),
        "gc_frozen_objects": gc.get_freeze_count(),
        "gc_freezes": stats.freezes if stats else 0,
        "gc_collections": list(stats.collections) if stats else [0, 0, 0],
        "gc_total_ms": [round(ms, 3) for ms in stats.total_ms] if stats else [0.0, 0.0, 0.0],
        "gc_longest_ms": [round(ms, 3) for ms in stats.longest_ms] if stats else [0.0, 0.0, 0.0],
        # [unix time, generation, pause ms, objects collected] for pauses of RECENT_MIN_MS or more
        "gc_recent_pauses": [list(pause) for pause in stats.recent] if stats else [],
    }
