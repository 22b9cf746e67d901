"""Bearer token → `Viewer`, remembered for a second so a busy client costs no token query per request.

Revocation still takes effect at once:
  * `forget` drops the token in this process when it is revoked;
  * after the revoking transaction commits, `bump_generation` appends a byte to a stamp file in the data
    directory that every process (server workers, the CLI) checks with one `stat` per lookup: entries cached
    under an older stamp (a smaller size) are dead.
The TTL bounds what is left: processes that share the database but not the data directory (other hosts).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pinhaven.accounts.scopes import Viewer

log = logging.getLogger("pinhaven.accounts")

TTL_SECONDS = 1.0
MAX_ENTRIES = 10_000
STAMP_FILE = "token-revocations.stamp"

# (inode, size) of the stamp file, None while it does not exist. The size grows by one per revocation, so a
# stamp never comes back (mtimes can repeat within a clock tick).
Stamp = tuple[int, int] | None


@dataclass(frozen=True)
class _Entry:
    viewer: Viewer
    stamp: Stamp
    expires: float


class TokenCache:
    """Token hash → Viewer with a short TTL and a cross-process invalidation stamp."""

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, _Entry] = {}
        self._stamp_path: Path | None = None

    def configure(self, data_dir: Path) -> None:
        """Use `data_dir`'s stamp file (every process serving one instance shares it)."""
        self._stamp_path = data_dir / STAMP_FILE
        self._entries.clear()

    def stamp(self) -> Stamp:
        """The current invalidation stamp; take it *before* reading a token so a racing revoke is noticed."""
        if self._stamp_path is None:
            return None
        try:
            st = os.stat(self._stamp_path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size)

    def get(self, token_hash: str) -> Viewer | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry.expires < time.monotonic() or entry.stamp != self.stamp():
            self._entries.pop(token_hash, None)
            return None
        return entry.viewer

    def put(self, token_hash: str, viewer: Viewer, stamp: Stamp) -> None:
        """Remember a viewer read from the database after `stamp` was taken."""
        if len(self._entries) >= MAX_ENTRIES:  # many distinct tokens: start over rather than track ages
            self._entries.clear()
        self._entries[token_hash] = _Entry(viewer, stamp, time.monotonic() + self.ttl)

    def forget(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)

    def bump_generation(self) -> None:
        """Invalidate every process's cache (this one's at once, the others' at their next lookup)."""
        self._entries.clear()
        if self._stamp_path is None:
            return
        try:
            with open(self._stamp_path, "ab") as stamp_file:  # O_APPEND: concurrent bumps each add a byte
                stamp_file.write(b".")
        except OSError:
            log.warning(
                "could not write %s; other processes notice revocations after %ss", self._stamp_path, self.ttl
            )


# One per process: tokens are random, so entries of different instances (tests) never collide.
TOKENS = TokenCache()
