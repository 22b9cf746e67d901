"""Storage of the pin–board graph: CSR construction, row search, Pixie pruning, per-side node arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["IntArray", "NodeSide", "PruneOptions", "csr", "prune_mask", "row_positions"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PruneOptions:
    """Pixie-style pruning: drop topically diffuse boards, cap the boards kept for very popular pins."""

    max_pin_degree: int | None = None  # a pin keeps at most this many boards (its best-matching ones)
    max_board_entropy: float | None = None  # boards whose pins' topic entropy (nats) is above are dropped
    min_board_size: int = 5  # entropy of smaller boards is too noisy to judge


def csr(rows: IntArray, cols: IntArray, n_rows: int, n_cols: int) -> tuple[IntArray, npt.NDArray[np.int32]]:
    """CSR with sorted rows; (rows, cols) must already be unique pairs."""
    keys = np.sort(rows * np.int64(max(n_cols, 1)) + cols)
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // max(n_cols, 1), minlength=n_rows), out=ptr[1:])
    return ptr, (keys % max(n_cols, 1)).astype(np.int32)


def row_positions(ptr: IntArray, adj: npt.NDArray[np.int32], rows: IntArray, target: int) -> IntArray:
    """Position of `target` in each sorted row (vectorised binary search); -1 where absent."""
    lo, hi = ptr[rows].copy(), ptr[rows + 1].copy()
    end = hi.copy()
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        less = np.zeros_like(active)
        less[active] = adj[mid[active]] < target
        lo = np.where(active & less, mid + 1, lo)
        hi = np.where(active & ~less, mid, hi)
    found = lo < end
    found[found] = adj[lo[found]] == target
    return np.where(found, lo, -1)


def prune_mask(
    p: IntArray, b: IntArray, topics: IntArray | None, opts: PruneOptions
) -> npt.NDArray[np.bool_]:
    """Mask of unique edges (p, b) kept by `opts`; `topics` is the topic of each edge's pin."""
    keep = np.ones(p.size, dtype=bool)
    share = np.zeros(p.size)  # how typical the pin's topic is on the board: the edge's strength
    if topics is not None and p.size:
        _, t = np.unique(topics, return_inverse=True)
        n_t = int(t.max()) + 1
        bt, inv, cnt = np.unique(b * n_t + t, return_inverse=True, return_counts=True)
        board_size = np.bincount(b)
        share = cnt[inv] / board_size[b]
        if opts.max_board_entropy is not None:
            frac = cnt / board_size[bt // n_t]
            entropy = np.bincount(bt // n_t, weights=-frac * np.log(frac), minlength=board_size.size)
            diffuse = (entropy > opts.max_board_entropy) & (board_size >= opts.min_board_size)
            keep &= ~diffuse[b]
    if opts.max_pin_degree is not None:
        # Without topics the edges of a popular pin are equally weak: keep a hash-random subset.
        tie = ((p * 0x9E3779B1 + b * 0x85EBCA77) % 1_000_003) / 1_000_003
        order = np.lexsort((tie, -share, ~keep, p))
        ps = p[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ps)) + 1]
        rank = np.arange(p.size) - np.repeat(starts, np.diff(np.r_[starts, p.size]))
        capped = np.zeros(p.size, dtype=bool)
        capped[order] = rank >= opts.max_pin_degree
        keep &= ~capped
    return keep


class NodeSide:
    """Id map and per-node arrays of one side (pins or boards), with spare capacity for new nodes."""

    def __init__(self, ids: IntArray, ptr: IntArray, adj: npt.NDArray[np.int32]) -> None:
        self.n_base = ids.size
        self.n = ids.size
        cap = self.n + 1024
        self.ids = np.zeros(cap, dtype=np.int64)
        self.ids[: self.n] = ids  # sorted: base dense index == position in the sorted id array
        self.ptr = np.full(cap + 1, ptr[-1], dtype=np.int64)
        self.ptr[: self.n + 1] = ptr
        self.adj = adj
        self.max_degree = int(np.diff(ptr).max()) if ids.size else 0  # an upper bound after removals
        self.edge_ok = np.zeros(0, dtype=np.uint8)
        self.ok = np.zeros(cap, dtype=np.uint8)
        self.ok[: self.n] = 1
        self.new: dict[int, int] = {}  # external id -> dense index for nodes added since the build
        self.delta: dict[int, list[int]] = {}
        self.slot = np.full(cap, -1, dtype=np.int32)
        self.dptr = np.zeros(1, dtype=np.int64)
        self.dadj = np.zeros(0, dtype=np.int32)
        self.dbits = np.zeros(cap // 8 + 1, dtype=np.uint8)

    def find(self, ext: int) -> int:
        idx = self.new.get(ext)
        if idx is not None:
            return idx
        pos = int(np.searchsorted(self.ids[: self.n_base], ext))
        return pos if pos < self.n_base and int(self.ids[pos]) == ext else -1

    def find_many(self, ext: IntArray) -> IntArray:
        pos = np.searchsorted(self.ids[: self.n_base], ext)
        pos_c = np.minimum(pos, max(self.n_base - 1, 0))
        hit = (pos < self.n_base) & (self.ids[pos_c] == ext) if self.n_base else np.zeros(ext.size, bool)
        out = np.where(hit, pos, -1).astype(np.int64)
        if self.new:
            for i in np.flatnonzero(~hit):
                out[i] = self.new.get(int(ext[i]), -1)
        return out

    def get_or_add(self, ext: int) -> int:
        idx = self.find(ext)
        if idx >= 0:
            return idx
        if self.n >= self.ok.size:
            self._grow()
        idx = self.n
        self.n += 1
        self.ids[idx] = ext
        self.ok[idx] = 1
        self.new[ext] = idx
        return idx

    def _grow(self) -> None:
        cap = self.ok.size + max(1024, self.ok.size // 4)
        e_base = self.ptr[-1]
        self.ids = np.concatenate([self.ids, np.zeros(cap - self.ids.size, np.int64)])
        self.ptr = np.concatenate([self.ptr, np.full(cap + 1 - self.ptr.size, e_base, np.int64)])
        self.ok = np.concatenate([self.ok, np.zeros(cap - self.ok.size, np.uint8)])
        self.slot = np.concatenate([self.slot, np.full(cap - self.slot.size, -1, np.int32)])
        self.dbits = np.concatenate([self.dbits, np.zeros(cap // 8 + 1 - self.dbits.size, np.uint8)])

    def base_row(self, idx: int) -> npt.NDArray[np.int32]:
        return self.adj[self.ptr[idx] : self.ptr[idx + 1]]

    def base_pos(self, idx: int, other: int) -> int:
        row = self.base_row(idx)
        j = int(np.searchsorted(row, other))
        return int(self.ptr[idx]) + j if j < row.size and int(row[j]) == other else -1

    def base_alive(self, pos: int) -> bool:
        return self.edge_ok.size == 0 or bool(self.edge_ok[pos])

    def set_edge(self, pos: int, alive: bool) -> None:
        if self.edge_ok.size == 0:
            if alive:
                return
            self.edge_ok = np.ones(self.adj.size, dtype=np.uint8)
        self.edge_ok[pos] = 1 if alive else 0

    def live_degree(self, idx: int) -> int:
        lo, hi = int(self.ptr[idx]), int(self.ptr[idx + 1])
        base = hi - lo if self.edge_ok.size == 0 else int(self.edge_ok[lo:hi].sum())
        return base + len(self.delta.get(idx, ()))

    def pack_delta(self) -> None:
        """Rebuild the delta CSR into fresh arrays (earlier views keep theirs)."""
        rows = [i for i, lst in self.delta.items() if lst]
        slot = np.full(self.ok.size, -1, dtype=np.int32)
        slot[rows] = np.arange(len(rows), dtype=np.int32)
        lens = np.array([len(self.delta[i]) for i in rows], dtype=np.int64)
        self.dptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        self.dadj = np.array([j for i in rows for j in self.delta[i]], dtype=np.int32)
        self.dbits = np.packbits(slot >= 0, bitorder="little")
        self.slot = slot

    def memory_bytes(self) -> int:
        arrays = (
            self.ids,
            self.ptr,
            self.adj,
            self.edge_ok,
            self.ok,
            self.slot,
            self.dptr,
            self.dadj,
            self.dbits,
        )
        # A dict entry costs ~100 bytes; delta lists ~40 bytes per element including the int object.
        return sum(a.nbytes for a in arrays) + 100 * len(self.new) + 40 * sum(map(len, self.delta.values()))
