"""In-process vector index: exact NumPy search when small, FAISS HNSW (inner product) when large.

External ids are 64-bit pin ids; positions (FAISS's sequential ids) map to them through our own arrays.
Deletes are tombstones; the index compacts itself when they exceed `max_tombstone_ratio`. Persistence
is a generation of files under one directory: data files first, then `meta.json` replaced atomically
(the commit point), then the previous generation is removed, so a crash leaves the old or the new state.

Concurrency: one writer and many readers. Writers are serialised by a mutex; readers share a
read-write lock with them, held only around the FAISS/NumPy search, never while the caller's
`visible` callback (which may query the database) runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from pinhaven.errors import InvalidInput
from pinhaven.search.visual.embedder import l2_normalize

__all__ = ["VectorIndex", "VisibleFn", "unit_vectors"]

VisibleFn = Callable[[Sequence[int]], set[int]]
_FORMAT = 1
_EXACT_FALLBACK = 4096  # above this many wanted results, scan HNSW's flat storage exactly instead


def unit_vectors(vectors: np.ndarray, n: int, dim: int) -> np.ndarray:
    """`n` finite vectors of width `dim` (one may come as a 1-d array), scaled to unit length; InvalidInput else."""
    v = np.asarray(vectors, np.float32)
    if v.ndim == 1:
        v = v[None, :]
    if v.shape != (n, dim):
        raise InvalidInput(f"expected {n} vectors of width {dim}, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise InvalidInput("vectors contain NaN or infinity")
    return l2_normalize(v)


class _RWLock:
    """Many readers or one writer; a waiting writer blocks new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class _State:
    """Everything a search reads; replaced wholesale on rebuild."""

    def __init__(self, dim: int, ids: np.ndarray, vecs: np.ndarray | None, hnsw: Any | None) -> None:
        self.dim = dim
        self.n = int(ids.size)
        self.ids = _grow(ids, max(16, ids.size))
        self.alive = _grow(np.ones(ids.size, bool), max(16, ids.size))
        self.vecs = None if vecs is None else _grow(vecs, max(16, ids.size))
        self.hnsw: Any = hnsw  # faiss.IndexHNSWFlat or None
        self.pos = {int(i): p for p, i in enumerate(ids.tolist())}


def _grow(arr: np.ndarray, capacity: int) -> np.ndarray:
    out = np.zeros((capacity, *arr.shape[1:]), arr.dtype)
    out[: arr.shape[0]] = arr
    return out


def _atomic_write(path: Path, write: Callable[[str], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class VectorIndex:
    """Cosine (inner-product) k-NN over unit vectors keyed by 64-bit ids, optionally persisted."""

    shared = False  # this process's copy (the `database` vector store is shared by every process)

    def __init__(
        self,
        dim: int,
        *,
        model_id: str,
        directory: Path | None = None,
        brute_force_below: int = 20_000,
        hnsw_m: int = 32,
        ef_construction: int = 100,
        ef_search: int = 128,
        max_tombstone_ratio: float = 0.2,
    ) -> None:
        if dim <= 0:
            raise InvalidInput("dim must be positive")
        self.dim = dim
        self.model_id = model_id
        self.directory = Path(directory) if directory is not None else None
        self.brute_force_below = brute_force_below
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.max_tombstone_ratio = max_tombstone_ratio
        self.watermark: str | None = None
        self._generation = 0
        self._state = _State(dim, np.zeros(0, np.int64), np.zeros((0, dim), np.float32), None)
        self._rw = _RWLock()
        self._writer = threading.Lock()

    # ---- properties

    def __len__(self) -> int:
        return len(self._state.pos)

    def __contains__(self, item_id: int) -> bool:
        return int(item_id) in self._state.pos

    @property
    def uses_hnsw(self) -> bool:
        return self._state.hnsw is not None

    @property
    def tombstones(self) -> int:
        return self._state.n - len(self._state.pos)

    # ---- writes

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors (rows are L2-normalised here) for the given ids."""
        id_arr = np.asarray(ids, np.int64).ravel()
        vecs = self._check_vectors(vectors, id_arr.size)
        if np.unique(id_arr).size != id_arr.size:
            raise InvalidInput("ids in one add must be unique")
        with self._writer:
            st = self._state
            if len(st.pos) + id_arr.size >= self.brute_force_below and st.hnsw is None:
                # crossing the threshold: fold the new rows into a fresh HNSW build
                self._swap(self._build(*self._merged(st, id_arr, vecs)))
                return
            with self._rw.write():
                for p in (st.pos.pop(int(i)) for i in id_arr if int(i) in st.pos):
                    st.alive[p] = False
                need = st.n + id_arr.size
                if need > st.ids.size:
                    cap = max(need, 2 * st.ids.size)
                    st.ids, st.alive = _grow(st.ids[: st.n], cap), _grow(st.alive[: st.n], cap)
                    if st.vecs is not None:
                        st.vecs = _grow(st.vecs[: st.n], cap)
                st.ids[st.n : need] = id_arr
                st.alive[st.n : need] = True
                if st.vecs is not None:
                    st.vecs[st.n : need] = vecs
                if st.hnsw is not None:
                    st.hnsw.add(vecs)
                for k, i in enumerate(id_arr.tolist()):
                    st.pos[i] = st.n + k
                st.n = need
            self._maybe_compact()

    def remove(self, ids: Iterable[int]) -> int:
        """Tombstone ids; returns how many were present. Compacts when tombstones pass the ratio."""
        with self._writer:
            st = self._state
            with self._rw.write():
                removed = [st.pos.pop(int(i)) for i in ids if int(i) in st.pos]
                st.alive[removed] = False
            self._maybe_compact()
        return len(removed)

    def rebuild(self, items: Iterable[tuple[int, np.ndarray]]) -> None:
        """Replace the whole content with (id, vector) pairs, e.g. streamed from the database."""
        id_chunks: list[np.ndarray] = []
        vec_chunks: list[np.ndarray] = []
        ids: list[int] = []
        rows: list[np.ndarray] = []
        for item_id, vec in items:
            ids.append(int(item_id))
            rows.append(np.asarray(vec, np.float32).ravel())
            if len(ids) >= 8192:
                id_chunks.append(np.array(ids, np.int64))
                vec_chunks.append(self._check_vectors(np.stack(rows), len(ids)))
                ids, rows = [], []
        if ids:
            id_chunks.append(np.array(ids, np.int64))
            vec_chunks.append(self._check_vectors(np.stack(rows), len(ids)))
        all_ids = np.concatenate(id_chunks) if id_chunks else np.zeros(0, np.int64)
        all_vecs = np.concatenate(vec_chunks) if vec_chunks else np.zeros((0, self.dim), np.float32)
        # a later duplicate id wins, as with add()
        _, last = np.unique(all_ids[::-1], return_index=True)
        keep = np.sort(all_ids.size - 1 - last)
        with self._writer:
            self._swap(self._build(all_ids[keep], all_vecs[keep]))

    def compact(self) -> None:
        """Drop tombstones now (rebuilding HNSW from its own stored vectors)."""
        with self._writer:
            st = self._state
            live = np.flatnonzero(st.alive[: st.n])
            self._swap(self._build(st.ids[live], self._vectors_at(st, live)))

    def _maybe_compact(self) -> None:
        st = self._state
        if st.n and self.tombstones > self.max_tombstone_ratio * st.n and self.tombstones >= 64:
            live = np.flatnonzero(st.alive[: st.n])
            self._swap(self._build(st.ids[live], self._vectors_at(st, live)))

    def _merged(self, st: _State, ids: np.ndarray, vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        replaced = set(ids.tolist())
        live = np.array([p for i, p in st.pos.items() if i not in replaced], np.int64)
        live.sort()
        return np.concatenate([st.ids[live], ids]), np.concatenate([self._vectors_at(st, live), vecs])

    def _build(self, ids: np.ndarray, vecs: np.ndarray) -> _State:
        # runs without the read-write lock: readers keep using the old state meanwhile
        if ids.size < self.brute_force_below:
            return _State(self.dim, ids, vecs, None)
        hnsw = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = self.ef_construction
        hnsw.add(np.ascontiguousarray(vecs, np.float32))
        return _State(self.dim, ids, None, hnsw)

    def _swap(self, state: _State) -> None:
        with self._rw.write():
            self._state = state

    @staticmethod
    def _vectors_at(st: _State, positions: np.ndarray) -> np.ndarray:
        if st.vecs is not None:
            return st.vecs[positions]
        if positions.size == 0:
            return np.zeros((0, st.dim), np.float32)
        return np.asarray(st.hnsw.reconstruct_batch(positions.astype(np.int64)), np.float32)

    def _check_vectors(self, vectors: np.ndarray, n: int) -> np.ndarray:
        return np.ascontiguousarray(unit_vectors(vectors, n, self.dim))

    # ---- reads

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of the ids present in the index."""
        with self._rw.read():
            st = self._state
            found = [(int(i), st.pos[int(i)]) for i in ids if int(i) in st.pos]
            if not found:
                return {}
            vecs = self._vectors_at(st, np.array([p for _, p in found], np.int64))
        return {i: vecs[k] for k, (i, _) in enumerate(found)}

    def _raw_search(self, q: np.ndarray, fetch: int) -> tuple[list[int], list[float], bool]:
        """Top `fetch` live (id, score) pairs, and whether the whole index was examined."""
        with self._rw.read():
            st = self._state
            n = st.n
            if n == 0:
                return [], [], True
            fetch = min(fetch, n)
            if st.vecs is not None:
                scores = st.vecs[:n] @ q
                scores[~st.alive[:n]] = -np.inf
                top = np.argpartition(-scores, fetch - 1)[:fetch] if fetch < n else np.arange(n)
                pos, sc = top, scores[top]
            elif fetch > _EXACT_FALLBACK or fetch * 4 > n:
                d, i = faiss.downcast_index(st.hnsw.storage).search(q[None, :], fetch)
                pos, sc = i[0], d[0]
            else:
                params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                    efSearch=max(self.ef_search, fetch)
                )
                d, i = st.hnsw.search(q[None, :], fetch, params=params)
                pos, sc = i[0], d[0]
            ok = (pos >= 0) & st.alive[np.clip(pos, 0, None)] & np.isfinite(sc)
            ids = st.ids[pos[ok]].tolist()
            exhausted = fetch >= n
        return ids, sc[ok].astype(float).tolist(), exhausted

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        visible: VisibleFn | None = None,
        exclude: Iterable[int] = (),
    ) -> list[tuple[int, float]]:
        """The k most similar (id, cosine) pairs, best first, among ids `visible` lets through.

        Fetches k·4 candidates, then ×4 more each round, until k visible ones are found or the whole
        index has been examined; `visible` is called once per round with the ids not seen before.
        """
        if k <= 0:
            return []
        q = self._check_vectors(query, 1)[0]
        skip = {int(i) for i in exclude}
        seen: set[int] = set(skip)
        found: list[tuple[int, float]] = []
        fetch = k * 4 if (visible is not None or skip or self.tombstones) else k
        while True:
            ids, scores, exhausted = self._raw_search(q, fetch)
            fresh = [(i, s) for i, s in zip(ids, scores, strict=True) if i not in seen]
            seen.update(i for i, _ in fresh)
            if visible is not None and fresh:
                allowed = visible([i for i, _ in fresh])
                fresh = [(i, s) for i, s in fresh if i in allowed]
            found.extend(fresh)
            if len(found) >= k or exhausted:
                break
            fetch *= 4
        found.sort(key=lambda t: -t[1])
        return found[:k]

    # ---- persistence

    def save(self, watermark: str | None = None) -> None:
        """Write the index under its directory atomically; `watermark` records what it contains."""
        if self.directory is None:
            raise InvalidInput("this index has no directory to save to")
        directory = self.directory
        directory.mkdir(parents=True, exist_ok=True)
        with self._writer, self._rw.read():
            st = self._state
            gen = self._generation + 1
            state_path = directory / f"state-{gen}.npz"
            arrays: dict[str, np.ndarray] = {"ids": st.ids[: st.n], "alive": st.alive[: st.n]}
            if st.vecs is not None:
                arrays["vectors"] = st.vecs[: st.n]
            savez: Any = np.savez  # its stub does not accept **arrays
            _atomic_write(state_path, lambda tmp: savez(tmp, **arrays))
            if st.hnsw is not None:
                _atomic_write(directory / f"hnsw-{gen}.faiss", lambda tmp: faiss.write_index(st.hnsw, tmp))
            mark = watermark if watermark is not None else self.watermark
            meta = {
                "format": _FORMAT,
                "model_id": self.model_id,
                "dim": self.dim,
                "generation": gen,
                "positions": st.n,
                "count": len(st.pos),
                "hnsw": st.hnsw is not None,
                "watermark": mark,
            }
            _atomic_write(directory / "meta.json", lambda tmp: Path(tmp).write_text(json.dumps(meta)))
            self._generation = gen
            self.watermark = mark
        for old in directory.iterdir():
            stem = old.stem.split("-")
            if old.name.startswith(".tmp-") or (
                len(stem) == 2 and stem[0] in ("state", "hnsw") and stem[1] != str(gen)
            ):
                old.unlink(missing_ok=True)

    def _load(self) -> bool:
        """Load the saved generation if it matches this index's model; False if missing or unusable."""
        assert self.directory is not None
        try:
            meta = json.loads((self.directory / "meta.json").read_text())
            if (meta.get("format"), meta.get("model_id"), meta.get("dim")) != (
                _FORMAT,
                self.model_id,
                self.dim,
            ):
                return False
            gen = int(meta["generation"])
            with np.load(self.directory / f"state-{gen}.npz", allow_pickle=False) as data:
                ids, alive = data["ids"].astype(np.int64), data["alive"].astype(bool)
                vecs = data["vectors"].astype(np.float32) if "vectors" in data else None
            hnsw = faiss.read_index(str(self.directory / f"hnsw-{gen}.faiss")) if meta["hnsw"] else None
            if (hnsw is None) == (vecs is None) or ids.size != alive.size:
                return False
            if (hnsw is not None and hnsw.ntotal != ids.size) or (vecs is not None and len(vecs) != ids.size):
                return False
        except (OSError, ValueError, KeyError, RuntimeError, TypeError):
            return False
        state = _State(self.dim, ids, vecs, hnsw)
        state.alive[: ids.size] = alive
        state.pos = {int(i): p for p, i in enumerate(ids.tolist()) if alive[p]}
        self._state = state
        self._generation = gen
        self.watermark = meta.get("watermark")
        return True

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        dim: int,
        model_id: str,
        rebuild_from: Callable[[], Iterable[tuple[int, np.ndarray]]] | None = None,
        expected_count: int | None = None,
        **options: Any,
    ) -> VectorIndex:
        """Load the index saved under `directory`, or rebuild it from `rebuild_from()` and save it.

        A rebuild happens when the files are missing, unreadable, of another model or dimension, or
        hold a different number of vectors than `expected_count` (the caller's count of stored vectors).
        """
        index = cls(dim, model_id=model_id, directory=directory, **options)
        loaded = index._load()
        stale = not loaded or (expected_count is not None and len(index) != expected_count)
        if stale and rebuild_from is not None:
            index.rebuild(rebuild_from())
            index.save()
        return index
