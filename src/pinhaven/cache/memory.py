"""The in-process cache (the default): a bounded LRU of bytes with TTLs, generations kept in stamp files.

Entries live in this process only. Generations must still reach every process serving the instance from this
host (`serve --processes N`, workers, the CLI), so a bump appends one byte to a stamp file in the data dir and a
generation is that file's (inode, size), read with one `stat`: sizes only grow, so a value never comes back.

Stamp files are per *namespace*, the part of a generation name before the first ':' — `board:12` and
`board:34` share `board`. Coarser than Redis (a write to one board drops every cached board page on this host),
never less correct, and one file per namespace instead of one per board.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from pinhaven.cache.protocol import Generation

__all__ = ["MemoryCache"]

log = logging.getLogger("pinhaven.cache")

STAMP_DIR = "cache-generations"
# The token namespace keeps the stamp file name it had before the cache package existed.
_STAMP_NAMES = {"tokens": "token-revocations.stamp"}


class MemoryCache:
    """Process-local LRU (bounded by entries and bytes) with file-stamp generations under `data_dir`."""

    shared = False

    def __init__(
        self, data_dir: Path | None, *, max_entries: int = 20_000, max_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self._data_dir = data_dir
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        # key → (expires at, generation or None, value)
        self._entries: OrderedDict[str, tuple[float, Generation | None, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}  # generations when there is no data dir (tests, tools)

    @property
    def data_dir(self) -> Path | None:
        return self._data_dir

    # ---- entries ------------------------------------------------------------------------------------

    def _lookup(self, key: str) -> tuple[Generation | None, bytes] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def _store(self, key: str, generation: Generation | None, value: bytes, ttl: float) -> None:
        if ttl <= 0 or len(value) > self._max_bytes // 8:  # one huge value must not flush everything
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = (time.monotonic() + ttl, generation, value)
            self._bytes += len(value)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:  # under the lock
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[2])

    def get(self, key: str) -> bytes | None:
        found = self._lookup(key)
        return None if found is None else found[1]

    def set(self, key: str, value: bytes, ttl: float) -> None:
        self._store(key, None, value, ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    # ---- generations --------------------------------------------------------------------------------

    def _stamp_path(self, name: str) -> Path | None:
        if self._data_dir is None:
            return None
        namespace = name.partition(":")[0]
        file_name = _STAMP_NAMES.get(namespace)
        if file_name is not None:
            return self._data_dir / file_name
        return self._data_dir / STAMP_DIR / f"{namespace}.stamp"

    def generation(self, name: str) -> Generation:
        path = self._stamp_path(name)
        if path is None:
            return str(self._counters.get(name.partition(":")[0], 0))
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return "-"
        return f"{stat.st_ino}.{stat.st_size}"

    def bump(self, *names: str) -> None:
        for namespace in sorted({name.partition(":")[0] for name in names}):
            path = self._stamp_path(namespace)
            if path is None:
                with self._lock:
                    self._counters[namespace] = self._counters.get(namespace, 0) + 1
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "ab") as stamp:  # O_APPEND: concurrent bumps each add their byte
                    stamp.write(b".")
            except OSError:
                # Nothing better to do: this process's own entries still go (below); others' expire by TTL.
                log.warning("could not write %s; other processes notice the change when entries expire", path)
                self.clear()

    def get_versioned(self, key: str, generation: str) -> tuple[bytes | None, Generation]:
        current = self.generation(generation)
        found = self._lookup(key)
        if found is None or found[0] != current:
            return None, current
        return found[1], current

    def set_versioned(self, key: str, seen: Generation, value: bytes, ttl: float) -> None:
        self._store(key, seen, value, ttl)

    def close(self) -> None:
        self.clear()
