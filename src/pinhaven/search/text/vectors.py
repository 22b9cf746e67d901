"""Pin text vectors: stored as float32 bytes in `search_pin_vectors`, searched in process as a NumPy matrix.

Brute-force dot products over L2-normalised rows are exact and take a few milliseconds per 100k pins; past
a few hundred thousand pins an ANN index (FAISS is installed) would be the next step. Each row also holds its
pin's board, creator and whether the board is non-public, so privacy and filters mask rows *before* the top-k
is taken: hidden pins never take result slots. The caller re-checks visibility in the database afterwards.

Each process polls the table (`updated_at`) so vectors written by other processes show up within seconds;
a periodic full reload drops vectors of deleted pins.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import faiss
import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.pins.models import Pin
from pinhaven.search.text.models import PinTextVector
from pinhaven.search.text.readers import background_reader, database_key, engine_of
from pinhaven.search.text.semantic import DIM, MODEL_ID

log = logging.getLogger("pinhaven.search")

POLL_SECONDS = 2.0
FULL_RELOAD_SECONDS = 600.0
# Longest expected gap between stamping `updated_at` and committing it: each poll re-reads this much.
POLL_OVERLAP = timedelta(seconds=10)
LOAD_BATCH = 5000

Row = tuple[int, int, int, bool, np.ndarray]  # pin_id, board_id, creator_id, secret, vector


def to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def from_bytes(blob: bytes, dim: int = DIM) -> np.ndarray | None:
    """The vector in `blob`, or None when its size does not match `dim` (another model's row)."""
    if len(blob) != dim * 4:
        return None
    return np.frombuffer(blob, dtype=np.float32)


class VectorMatrix:
    """Rows of (pin, board, creator, secret flag, unit vector) with masked top-k dot-product search."""

    def __init__(self, dim: int = DIM, capacity: int = 1024) -> None:
        self.dim = dim
        self._lock = threading.RLock()
        self._size = 0
        self._pos: dict[int, int] = {}
        self._ids = np.zeros(0, np.int64)
        self._boards = np.zeros(0, np.int64)
        self._creators = np.zeros(0, np.int64)
        self._secret = np.zeros(0, bool)
        self._vectors = np.zeros((0, dim), np.float32)
        self._alloc(capacity)

    def _alloc(self, capacity: int) -> None:
        old = self._size
        ids, boards, creators = (np.zeros(capacity, np.int64) for _ in range(3))
        secret = np.zeros(capacity, bool)
        vectors = np.zeros((capacity, self.dim), np.float32)
        if old:
            ids[:old], boards[:old], creators[:old] = (
                self._ids[:old],
                self._boards[:old],
                self._creators[:old],
            )
            secret[:old], vectors[:old] = self._secret[:old], self._vectors[:old]
        self._ids, self._boards, self._creators, self._secret, self._vectors = (
            ids,
            boards,
            creators,
            secret,
            vectors,
        )

    def __len__(self) -> int:
        return self._size

    def __contains__(self, pin_id: object) -> bool:
        return pin_id in self._pos

    def upsert(self, rows: Iterable[Row]) -> None:
        with self._lock:
            for pin_id, board_id, creator_id, secret, vector in rows:
                slot = self._pos.get(pin_id)
                if slot is None:
                    if self._size == len(self._ids):
                        self._alloc(max(1024, 2 * len(self._ids)))
                    slot = self._size
                    self._size += 1
                    self._pos[pin_id] = slot
                self._ids[slot], self._boards[slot], self._creators[slot] = pin_id, board_id, creator_id
                self._secret[slot] = secret
                self._vectors[slot] = vector

    def remove(self, pin_ids: Iterable[int]) -> None:
        with self._lock:
            for pin_id in pin_ids:
                slot = self._pos.pop(pin_id, None)
                if slot is None:
                    continue
                last = self._size - 1
                if slot != last:  # move the last row into the hole
                    moved = int(self._ids[last])
                    for array in (self._ids, self._boards, self._creators, self._secret, self._vectors):
                        array[slot] = array[last]
                    self._pos[moved] = slot
                self._size = last

    def search(
        self,
        query: np.ndarray,
        *,
        member_boards: Sequence[int] = (),
        board_id: int | None = None,
        user_id: int | None = None,
        k: int = 200,
        min_score: float = -1.0,
    ) -> list[tuple[int, float]]:
        """Top-k (pin_id, cosine) among rows the filters allow: public boards plus `member_boards`."""
        with self._lock:
            n = self._size
            if n == 0 or k <= 0:
                return []
            allowed = ~self._secret[:n]
            if len(member_boards):  # only secret rows can be let back in: look at those alone
                hidden = np.flatnonzero(~allowed)
                members = np.asarray(member_boards, dtype=np.int64)
                allowed[hidden[np.isin(self._boards[hidden], members)]] = True
            if board_id is not None:
                allowed &= self._boards[:n] == board_id
            if user_id is not None:
                allowed &= self._creators[:n] == user_id
            scores = _dot_products(self._vectors[:n], query)
            # Only rows that pass the filters and the floor compete (NaN scores fail `>=` too).
            rows = np.flatnonzero((scores >= min_score) & allowed)
            if len(rows) > k:
                # Every row tied with the k-th best stays in, so the cut below does not depend on
                # argpartition's arbitrary order among equal scores.
                kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
                rows = rows[scores[rows] >= kth]
            # Best first; equal scores (pins with identical text) newest pin first, as keyword results.
            rows = rows[np.lexsort((-self._ids[rows], -scores[rows]))][:k]
            return list(zip(self._ids[rows].tolist(), scores[rows].tolist(), strict=True))


def _dot_products(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """`matrix @ query` for a C-contiguous float32 matrix, through FAISS's SIMD kernel: about twice as fast
    as NumPy's BLAS matrix-vector product here, which a search's time is mostly made of."""
    query = np.ascontiguousarray(query, dtype=np.float32)
    # FAISS reads raw buffers: anything but the exact layout goes through NumPy (which checks shapes).
    if query.shape != (matrix.shape[1],) or not matrix.flags.c_contiguous or matrix.dtype != np.float32:
        return np.asarray(matrix @ query, dtype=np.float32)
    scores = np.empty(len(matrix), dtype=np.float32)
    faiss.fvec_inner_products_ny(  # type: ignore[attr-defined]  # missing from faiss's stubs
        faiss.swig_ptr(scores), faiss.swig_ptr(query), faiss.swig_ptr(matrix), matrix.shape[1], len(matrix)
    )
    return scores


class SemanticIndex:
    """One database's vectors in this process, loaded in the background and kept current by polling."""

    def __init__(self, engine: Engine, model_id: str = MODEL_ID, dim: int = DIM) -> None:
        self.engine = background_reader(engine)
        self.model_id = model_id
        self.matrix = VectorMatrix(dim)
        self._refresh_lock = threading.Lock()
        self._spawn_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._loaded = threading.Event()
        self._watermark: datetime | None = None
        self._last_poll = 0.0
        self._last_full = 0.0

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def refresh(self, *, full: bool = False) -> None:
        """Read new and changed vectors (all of them on the first call or when `full`); blocks."""
        with self._refresh_lock:
            full = full or not self.loaded or time.monotonic() - self._last_full > FULL_RELOAD_SECONDS
            started = utcnow()
            since = None if full else self._watermark
            fresh = VectorMatrix(self.matrix.dim) if full else self.matrix
            with Session(self.engine) as db:
                for rows in self._read(db, since):
                    fresh.upsert(rows)
            if full:
                self.matrix = fresh
                self._last_full = time.monotonic()
            # The next poll re-reads what was stamped shortly before this one started: a transaction that
            # stamped its rows earlier may commit after this read. Stamps are wall-clock, so this window
            # stays small however many rows an import wrote.
            self._watermark = started - POLL_OVERLAP
            self._last_poll = time.monotonic()
            self._loaded.set()

    def _read(self, db: Session, since: datetime | None) -> Iterable[list[Row]]:
        """Rows to upsert: all of them in pin-id batches, or (polling) those stamped after `since`."""
        query = (
            select(
                PinTextVector.pin_id,
                PinTextVector.vector,
                Pin.board_id,
                Pin.creator_id,
                Board.privacy,
            )
            .join(Pin, Pin.id == PinTextVector.pin_id)
            .join(Board, Board.id == Pin.board_id)
            .where(PinTextVector.model_id == self.model_id)
        )
        if since is not None:
            # A poll first finds the few recent ids through the updated_at index alone: joined in one
            # statement, SQLite's planner scanned every pin instead (seconds at 100k pins).
            recent = list(
                db.scalars(
                    select(PinTextVector.pin_id).where(
                        PinTextVector.model_id == self.model_id, PinTextVector.updated_at > since
                    )
                )
            )
            for start in range(0, len(recent), 900):  # under SQLite's bound-parameter limit
                chunk = recent[start : start + 900]
                yield self._rows(db.execute(query.where(PinTextVector.pin_id.in_(chunk))).all())
            return
        last = -1
        while True:
            batch = db.execute(
                query.where(PinTextVector.pin_id > last).order_by(PinTextVector.pin_id).limit(LOAD_BATCH)
            ).all()
            if not batch:
                return
            yield self._rows(batch)
            last = batch[-1].pin_id

    def _rows(self, batch: Sequence[Any]) -> list[Row]:
        rows: list[Row] = []
        for pin_id, blob, board_id, creator_id, privacy in batch:
            vector = from_bytes(blob, self.matrix.dim)
            if vector is not None:
                rows.append((pin_id, board_id, creator_id, privacy != PUBLIC, vector))
        return rows

    def refresh_nowait(self) -> None:
        """Start a background refresh when one is due (the first load included); returns at once."""
        if self.loaded and time.monotonic() - self._last_poll < POLL_SECONDS:
            return
        with self._spawn_lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._refresh_quietly, name="search-vectors", daemon=True)
            self._worker.start()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception:  # the next request retries; keyword search goes on meanwhile
            log.exception("reading search vectors failed")

    def wait_loaded(self, timeout: float | None = None) -> bool:
        self.refresh_nowait()
        return self._loaded.wait(timeout)


_indexes: dict[str, SemanticIndex] = {}
_indexes_lock = threading.Lock()


def semantic_index(engine: Engine) -> SemanticIndex:
    """This process's vector index for the database behind `engine`."""
    with _indexes_lock:
        index = _indexes.get(database_key(engine))
        if index is None:
            index = _indexes[database_key(engine)] = SemanticIndex(engine)
        return index


def forget_all() -> None:
    """Drop every database's in-process matrix (after a restore or wipe; tests): the next search reloads."""
    with _indexes_lock:
        _indexes.clear()


def loaded_index(engine: Engine) -> SemanticIndex | None:
    """The index if this process already created one (handlers update it in place), else None."""
    with _indexes_lock:
        return _indexes.get(database_key(engine))


def forget_pins(*, db: Session, pin_ids: Sequence[int]) -> None:
    """Drop deleted pins from this process's matrix now (their rows go with the pins by ON DELETE CASCADE)."""
    index = loaded_index(engine_of(db))
    if index is not None:
        index.matrix.remove(pin_ids)
