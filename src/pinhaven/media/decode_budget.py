"""A process-wide budget of decoded pixels: concurrent large decodes wait their turn instead of all at once.

Decoding an image costs memory in proportion to its pixels (3–4 bytes each, times the copies made while
converting, rotating and encoding), whatever its file size. Every decode of an upload or a variant holds its
pixel count from this budget (`decode_pixel_budget`, default two 50 MP images): the sum in flight never
exceeds it, so eight concurrent 50 MP uploads decode two at a time and the peak stays bounded. Waiters are
served first come, first served (a small image never starves a large one). A hold is re-entrant within a
thread, so an upload that also renders its variants takes its share once.

Memory is handed back after the peak: after a large decode, `malloc_trim(0)` (glibc, through ctypes) returns
the freed heap to the system; without it, glibc keeps the freed pages of the large buffers in its arenas and
the process stays at its peak size.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from pinhaven.errors import ServiceUnavailable

__all__ = ["DEFAULT_BUDGET", "PixelBudget", "budget", "configure", "release_memory"]

log = logging.getLogger("pinhaven.media")

DEFAULT_BUDGET = 100_000_000
TRIM_AFTER_PIXELS = 4_000_000  # decodes at least this large hand their memory back when they finish
DEFAULT_WAIT_SECONDS = 120.0


class PixelBudget:
    """A fair counting semaphore measured in pixels."""

    def __init__(self, capacity: int, *, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> None:
        self._capacity = max(1, capacity)
        self.wait_seconds = wait_seconds
        self._used = 0
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._local = threading.local()
        self.peak = 0  # the most pixels ever held at once (tests, benchmarks)

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_use(self) -> int:
        return self._used

    def resize(self, capacity: int) -> None:
        with self._cond:
            self._capacity = max(1, capacity)
            self._cond.notify_all()

    def acquire(self, pixels: int, timeout: float | None = None) -> int:
        """Wait until `pixels` (at most the whole budget) fit, in arrival order; the weight taken.

        ServiceUnavailable after `timeout` (default `wait_seconds`) seconds.
        """
        ticket = object()
        deadline = time.monotonic() + (self.wait_seconds if timeout is None else timeout)
        with self._cond:
            self._queue.append(ticket)
            try:
                while True:
                    weight = max(1, min(pixels, self._capacity))
                    if self._queue[0] is ticket and self._used + weight <= self._capacity:
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ServiceUnavailable(
                            "The server is busy decoding other large images; try again in a minute."
                        )
                    self._cond.wait(remaining)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()  # the next in line may fit too (or take the head we left)
            self._used += weight
            self.peak = max(self.peak, self._used)
            return weight

    def release(self, weight: int) -> None:
        with self._cond:
            self._used -= weight
            self._cond.notify_all()

    @contextmanager
    def hold(self, pixels: int, timeout: float | None = None) -> Iterator[None]:
        """Hold `pixels` while decoding; nested holds in one thread take nothing more."""
        if getattr(self._local, "held", False):
            yield
            return
        weight = self.acquire(pixels, timeout)
        self._local.held = True
        try:
            yield
        finally:
            self._local.held = False
            self.release(weight)
            if weight >= TRIM_AFTER_PIXELS:
                release_memory()


_BUDGET = PixelBudget(DEFAULT_BUDGET)


def budget() -> PixelBudget:
    """The process's budget."""
    return _BUDGET


def configure(capacity: int) -> PixelBudget:
    """Size the process's budget from settings (`decode_pixel_budget`); cheap when unchanged."""
    if capacity != _BUDGET.capacity:
        _BUDGET.resize(capacity)
    return _BUDGET


def _load_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim  # glibc only: musl and macOS have none
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _load_trim()
_TRIM_LOCK = threading.Lock()


def release_memory() -> bool:
    """Return freed heap memory to the system (glibc `malloc_trim`); False where unavailable."""
    if _TRIM is None:
        return False
    if not _TRIM_LOCK.acquire(blocking=False):  # one trim at a time is enough
        return True
    try:
        _TRIM(0)
    finally:
        _TRIM_LOCK.release()
    return True
