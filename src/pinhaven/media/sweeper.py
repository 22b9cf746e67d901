"""The periodic orphan sweep: one process of the whole instance runs `media.service.sweep_orphans` each
`media_sweep_interval_seconds`.

Every `serve` process with worker threads and every `pinhaven worker` process runs a `MediaSweeper` thread.
Each minute it tries to take the `media.sweep` lease in the database (`media.locks`) for one interval;
only the process that gets it sweeps, so however many hosts run, the store is swept once per interval,
and a host that dies mid-sweep is replaced when its lease expires.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time

from pinhaven.context import AppContext
from pinhaven.media import locks
from pinhaven.media.service import SweepReport, media_store, sweep_orphans

__all__ = ["SWEEP_LEASE", "MediaSweeper", "clean_leftovers", "sweep_if_due"]

log = logging.getLogger("pinhaven.media")

SWEEP_LEASE = "media.sweep"
CHECK_SECONDS = 60.0
SERVICE_KEY = "media.sweeper"


def sweep_if_due(ctx: AppContext, *, holder: str | None = None) -> SweepReport | None:
    """Sweep now if no process of the instance has swept within the interval (None: not due, or disabled)."""
    interval = ctx.settings.media_sweep_interval_seconds
    if interval <= 0:
        return None
    who = holder or f"{socket.gethostname()}:{os.getpid()}:sweeper"
    if not locks.try_acquire(ctx.engine, SWEEP_LEASE, who[-128:], interval):
        return None
    report = sweep_orphans(sessions=ctx.sessions, store=media_store(ctx))
    log.info("media sweep: %s", report.as_dict())
    return report


class MediaSweeper:
    """A daemon thread calling `sweep_if_due` every `check_seconds` until stopped."""

    def __init__(self, ctx: AppContext, *, check_seconds: float = CHECK_SECONDS) -> None:
        self.ctx = ctx
        self.check_seconds = check_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="media-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.check_seconds):
            try:
                sweep_if_due(self.ctx)
            except Exception:  # the store or database hiccuped: the lease expires and a later check retries
                log.exception("media sweep failed")


def start(ctx: AppContext) -> None:
    """Start this process's sweeper thread (once), unless the sweep is disabled."""
    if ctx.settings.media_sweep_interval_seconds > 0 and SERVICE_KEY not in ctx.services:
        sweeper = MediaSweeper(ctx)
        sweeper.start()
        ctx.services[SERVICE_KEY] = sweeper


def stop(ctx: AppContext) -> None:
    sweeper = ctx.services.pop(SERVICE_KEY, None)
    if isinstance(sweeper, MediaSweeper):
        sweeper.stop()


STARTUP_TEMP_AGE_SECONDS = 60.0  # a live writer keeps touching its temporary file; a crashed one does not
STARTUP_SCRATCH_AGE_SECONDS = 3600.0  # scratch folders of imports and exports untouched this long


def clean_leftovers(ctx: AppContext) -> int:
    """Delete what a crashed process left behind: temporary media files (`.tmp-*`; S3: unfinished multipart
    uploads) unchanged for a minute, and scratch folders untouched for an hour. The number removed.

    Run once at start-up, in the background (walking a large media folder takes a while); other processes of
    the instance may be writing, hence the ages."""
    removed = 0
    try:
        removed += media_store(ctx).discard_stale_writes(time.time() - STARTUP_TEMP_AGE_SECONDS)
    except Exception:  # an unreachable object store must not stop the server from starting
        log.warning("could not clean temporary media files at start-up", exc_info=True)
    scratch = ctx.settings.data_dir / "scratch"
    cutoff = time.time() - STARTUP_SCRATCH_AGE_SECONDS
    for entry in scratch.iterdir() if scratch.is_dir() else ():
        try:
            newest = max((p.stat().st_mtime for p in entry.rglob("*")), default=entry.stat().st_mtime)
            if max(newest, entry.stat().st_mtime) < cutoff:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                removed += 1
        except OSError:
            continue
    if removed:
        log.info("start-up: removed %d temporary files and folders left by an earlier crash", removed)
    return removed


def clean_leftovers_in_background(ctx: AppContext) -> threading.Thread:
    thread = threading.Thread(target=clean_leftovers, args=(ctx,), name="pinhaven-leftovers", daemon=True)
    thread.start()
    return thread
