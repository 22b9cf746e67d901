"""64-bit, time-ordered, shard-aware snowflake ids.

Layout (63 usable bits, so ids fit a signed BIGINT everywhere):
  41 bits milliseconds since 2024-01-01 UTC | 10 bits shard | 12 bits sequence.
Ids sort by creation time, need no central sequence, and are serialised as decimal strings.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

__all__ = ["EPOCH_MS", "IdGenerator", "configure", "id_time", "new_id", "new_id_after", "parse_id"]

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_SHARD_BITS = 10
_SEQ_BITS = 12
_MAX_SEQ = (1 << _SEQ_BITS) - 1
_MAX_ID = (1 << 63) - 1


class IdGenerator:
    """Thread-safe generator of snowflake ids for one shard."""

    def __init__(self, shard: int) -> None:
        if not 0 <= shard < (1 << _SHARD_BITS):
            raise ValueError(f"shard must be in 0..{(1 << _SHARD_BITS) - 1}, got {shard}")
        self.shard = shard
        self._lock = threading.Lock()
        self._last_ms = -1
        self._seq = 0

    def next(self, at: datetime | None = None) -> int:
        """A new id; `at` back-dates it (imports keep their original order) with a random-free sequence."""
        with self._lock:
            if at is not None:
                ms = int(at.timestamp() * 1000) - EPOCH_MS
                self._seq = (self._seq + 1) & _MAX_SEQ
                return (max(ms, 0) << (_SHARD_BITS + _SEQ_BITS)) | (self.shard << _SEQ_BITS) | self._seq
            ms = int(time.time() * 1000) - EPOCH_MS
            if ms < self._last_ms:  # clock went backwards: keep ids increasing
                ms = self._last_ms
            if ms == self._last_ms:
                self._seq = (self._seq + 1) & _MAX_SEQ
                if self._seq == 0:  # 4096 ids in one millisecond: borrow the next one
                    ms += 1
            else:
                self._seq = 0
            self._last_ms = ms
            return (ms << (_SHARD_BITS + _SEQ_BITS)) | (self.shard << _SEQ_BITS) | self._seq

    def next_after(self, floor: int) -> int:
        """A new id greater than `floor` (an id another process made, maybe on a clock a little ahead):
        when the clock has not passed it yet, this generator moves on to the millisecond after it."""
        candidate = self.next()
        if candidate > floor:
            return candidate
        with self._lock:
            ms = max((floor >> (_SHARD_BITS + _SEQ_BITS)) + 1, self._last_ms)
            self._seq = 0 if ms > self._last_ms else (self._seq + 1) & _MAX_SEQ
            if self._seq == 0 and ms == self._last_ms:
                ms += 1
            self._last_ms = ms
            return (ms << (_SHARD_BITS + _SEQ_BITS)) | (self.shard << _SEQ_BITS) | self._seq


_generator = IdGenerator(os.getpid() % (1 << _SHARD_BITS))


def configure(shard: int) -> None:
    """Set this process's shard bits (from settings); -1 keeps the process-id-derived default."""
    global _generator
    if shard >= 0:
        _generator = IdGenerator(shard)


def new_id(at: datetime | None = None) -> int:
    return _generator.next(at)


def new_id_after(floor: int) -> int:
    """A new id greater than `floor` (see IdGenerator.next_after)."""
    return _generator.next_after(floor)


def id_time(snowflake: int) -> datetime:
    """When an id was made."""
    ms = (snowflake >> (_SHARD_BITS + _SEQ_BITS)) + EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def parse_id(value: str | int | None) -> int | None:
    """A decimal-string id as int, or None when it is not a valid id (callers answer 404 or 400)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= _MAX_ID else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None
