"""In-memory pin–board bipartite graph for Pixie walks: CSR arrays plus a small delta overlay.

Nodes are numbered densely (int32) per side; external 64-bit ids map to dense indices through a sorted
id array (binary search) plus a dict for nodes added since the last build. Both adjacency directions are
stored as CSR (`ptr` int64, `adj` int32) with each row sorted, so an edge is found by binary search.

Updates are cheap and visible to the next walk at once:
- added edges go to per-node Python lists (the delta) that `view()` packs into a small CSR keyed by a
  per-node slot number; walks pick uniformly over base row + delta row;
- removed edges are flagged dead in both base rows (flag arrays allocated on the first removal);
- when delta + dead edges exceed `compact_fraction` of the graph, `view()` rebuilds the CSR.
Updates and `view()` take an internal lock; walks run without it on the view they took, which stays valid
because updates never shrink or re-point arrays that an earlier view holds (they only flip edge flags).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Concatenate, NamedTuple, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from pinhaven.discovery.graph_build import IntArray, NodeSide, PruneOptions, csr, prune_mask, row_positions
from pinhaven.errors import InvalidInput

__all__ = ["GraphView", "PinBoardGraph", "PruneOptions"]


class GraphView(NamedTuple):
    """Arrays a walk reads; consistent with each other, safe to use while the graph keeps changing."""

    pin_ptr: npt.NDArray[np.int64]  # base CSR pin -> boards
    pin_adj: npt.NDArray[np.int32]
    board_ptr: npt.NDArray[np.int64]  # base CSR board -> pins
    board_adj: npt.NDArray[np.int32]
    pin_edge_ok: npt.NDArray[np.uint8]  # aligned with pin_adj; empty when no edge was ever removed
    board_edge_ok: npt.NDArray[np.uint8]
    dpin_slot: npt.NDArray[np.int32]  # delta row of each pin, -1 if none
    dpin_ptr: npt.NDArray[np.int64]
    dpin_adj: npt.NDArray[np.int32]
    dboard_slot: npt.NDArray[np.int32]
    dboard_ptr: npt.NDArray[np.int64]
    dboard_adj: npt.NDArray[np.int32]
    # One bit per node (little-endian bit order), set when it has a delta row: small enough to stay in
    # cache, so a walk reads the slot array only for the few nodes that changed since the last build.
    dpin_bits: npt.NDArray[np.uint8]
    dboard_bits: npt.NDArray[np.uint8]
    n_pins: int
    n_boards: int


P = ParamSpec("P")
R = TypeVar("R")


def _locked(method: Callable[Concatenate[PinBoardGraph, P], R]) -> Callable[Concatenate[PinBoardGraph, P], R]:
    """Run a graph method under the graph's lock (updates and view materialisation)."""

    @functools.wraps(method)
    def wrapper(self: PinBoardGraph, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class PinBoardGraph:
    """Pin–board bipartite graph: build from (pin_id, board_id) edges, update incrementally, walk a view."""

    def __init__(
        self, *, compact_fraction: float = 0.05, compact_min: int = 50_000, auto_compact: bool = True
    ) -> None:
        empty_ptr = np.zeros(1, dtype=np.int64)
        empty_adj = np.zeros(0, dtype=np.int32)
        self._pins = NodeSide(np.zeros(0, np.int64), empty_ptr, empty_adj)
        self._boards = NodeSide(np.zeros(0, np.int64), empty_ptr, empty_adj)
        self._n_delta = 0
        self._n_dead = 0
        self._dirty = False
        self._view: GraphView | None = None
        self.compact_fraction = compact_fraction
        self.compact_min = compact_min
        # A rebuild takes seconds at 10M edges; a server may prefer to run compact() off the request path.
        self.auto_compact = auto_compact
        self.version = 0
        self._lock = threading.RLock()

    @classmethod
    def from_edges(
        cls,
        pin_ids: npt.ArrayLike,
        board_ids: npt.ArrayLike,
        *,
        prune: PruneOptions | None = None,
        topics: npt.ArrayLike | None = None,
        compact_fraction: float = 0.05,
        compact_min: int = 50_000,
        auto_compact: bool = True,
    ) -> PinBoardGraph:
        """Build from parallel arrays of edges; duplicates collapse; `topics` (per edge) feeds pruning."""
        pins = np.asarray(pin_ids, dtype=np.int64).ravel()
        boards = np.asarray(board_ids, dtype=np.int64).ravel()
        if pins.size != boards.size:
            raise InvalidInput(f"{pins.size} pin ids but {boards.size} board ids", field="edges")
        graph = cls(compact_fraction=compact_fraction, compact_min=compact_min, auto_compact=auto_compact)
        pin_u, p = np.unique(pins, return_inverse=True)
        board_u, b = np.unique(boards, return_inverse=True)
        keys, first = np.unique(p.astype(np.int64) * max(board_u.size, 1) + b, return_index=True)
        p, b = keys // max(board_u.size, 1), keys % max(board_u.size, 1)
        if prune is not None:
            edge_topics = None
            if topics is not None:
                edge_topics = np.asarray(topics, dtype=np.int64).ravel()
                if edge_topics.size != pins.size:
                    raise InvalidInput("needs one topic per edge", field="topics")
                edge_topics = edge_topics[first]
            keep = prune_mask(p, b, edge_topics, prune)
            p, b = p[keep], b[keep]
            # Nodes left without edges are dropped so the id maps stay dense.
            live_p, live_b = np.unique(p), np.unique(b)
            pin_u, board_u = pin_u[live_p], board_u[live_b]
            p, b = np.searchsorted(live_p, p), np.searchsorted(live_b, b)
        pp, pa = csr(p, b, pin_u.size, board_u.size)
        bp, ba = csr(b, p, board_u.size, pin_u.size)
        graph._pins = NodeSide(pin_u, pp, pa)
        graph._boards = NodeSide(board_u, bp, ba)
        return graph

    # ---- size and lookups -------------------------------------------------------------------------
    @property
    def n_pins(self) -> int:
        """Dense pin slots in use (removed pins keep their slot until the next compaction)."""
        return self._pins.n

    @property
    def n_boards(self) -> int:
        """Dense board slots in use."""
        return self._boards.n

    @property
    def n_edges(self) -> int:
        """Live edges."""
        return int(self._pins.adj.size) - self._n_dead + self._n_delta

    @property
    def max_pin_degree(self) -> int:
        """Largest number of boards of any pin (an upper bound once edges were removed)."""
        return self._pins.max_degree

    def pin_index(self, pin_id: int) -> int:
        """Dense index of a live pin, or -1."""
        idx = self._pins.find(int(pin_id))
        return idx if idx >= 0 and self._pins.ok[idx] else -1

    def pin_indices(self, pin_ids: npt.ArrayLike) -> IntArray:
        """Dense indices of many pins (-1 for unknown or removed ones)."""
        idx = self._pins.find_many(np.asarray(pin_ids, dtype=np.int64).ravel())
        idx[idx >= 0] = np.where(self._pins.ok[idx[idx >= 0]] == 1, idx[idx >= 0], -1)
        return idx

    def pin_ids(self, indices: npt.ArrayLike) -> IntArray:
        """External ids of dense pin indices."""
        return self._pins.ids[np.asarray(indices, dtype=np.int64)]

    def pin_degree(self, pin_id: int) -> int:
        """Number of live boards linked to the pin (0 if unknown)."""
        idx = self.pin_index(pin_id)
        return self._pins.live_degree(idx) if idx >= 0 else 0

    def pin_degrees(self) -> IntArray:
        """Live degree of every dense pin index (removed pins: 0)."""
        s = self._pins
        ptr = s.ptr[: s.n + 1]
        if s.edge_ok.size:
            alive = np.concatenate([[0], np.cumsum(s.edge_ok, dtype=np.int64)])
            base = alive[ptr[1:]] - alive[ptr[:-1]]
        else:
            base = np.diff(ptr)
        for i, lst in s.delta.items():
            base[i] += len(lst)
        return np.where(s.ok[: s.n] == 1, base, 0)

    def boards_of(self, pin_id: int) -> list[int]:
        """External ids of the live boards linked to a pin."""
        return self._neighbours(self._pins, self._boards, self.pin_index(pin_id))

    def pins_of(self, board_id: int) -> list[int]:
        """External ids of the live pins on a board."""
        idx = self._boards.find(int(board_id))
        return self._neighbours(self._boards, self._pins, idx if idx >= 0 and self._boards.ok[idx] else -1)

    @staticmethod
    def _neighbours(side: NodeSide, other: NodeSide, idx: int) -> list[int]:
        if idx < 0:
            return []
        lo, hi = int(side.ptr[idx]), int(side.ptr[idx + 1])
        base = side.adj[lo:hi] if side.edge_ok.size == 0 else side.adj[lo:hi][side.edge_ok[lo:hi] == 1]
        nbrs = np.concatenate([base, np.asarray(side.delta.get(idx, []), dtype=np.int32)])
        return sorted(int(x) for x in other.ids[nbrs])

    # ---- updates ----------------------------------------------------------------------------------
    @_locked
    def add_edge(self, pin_id: int, board_id: int) -> bool:
        """Link a pin and a board (creating either node); False if the edge already existed."""
        p, b = self._pins.get_or_add(int(pin_id)), self._boards.get_or_add(int(board_id))
        self._pins.ok[p] = self._boards.ok[b] = 1
        pos = self._pins.base_pos(p, b) if p < self._pins.n_base and b < self._boards.n_base else -1
        if pos >= 0:
            if self._pins.base_alive(pos):
                return False
            self._pins.set_edge(pos, True)
            self._boards.set_edge(self._boards.base_pos(b, p), True)
            self._n_dead -= 1
        else:
            if b in self._pins.delta.get(p, ()):
                return False
            self._pins.delta.setdefault(p, []).append(b)
            self._boards.delta.setdefault(b, []).append(p)
            self._n_delta += 1
            deg = int(self._pins.ptr[p + 1] - self._pins.ptr[p]) + len(self._pins.delta[p])
            self._pins.max_degree = max(self._pins.max_degree, deg)
        self._changed()
        return True

    def add_edges(self, pin_ids: Iterable[int], board_ids: Iterable[int]) -> int:
        """Add many edges; returns how many were new."""
        return sum(self.add_edge(p, b) for p, b in zip(pin_ids, board_ids, strict=True))

    @_locked
    def remove_edge(self, pin_id: int, board_id: int) -> bool:
        """Unlink a pin and a board; False if they were not linked."""
        p, b = self._pins.find(int(pin_id)), self._boards.find(int(board_id))
        if p < 0 or b < 0:
            return False
        if b in self._pins.delta.get(p, ()):
            self._pins.delta[p].remove(b)
            self._boards.delta[b].remove(p)
            self._n_delta -= 1
        else:
            pos = self._pins.base_pos(p, b) if p < self._pins.n_base and b < self._boards.n_base else -1
            if pos < 0 or not self._pins.base_alive(pos):
                return False
            self._pins.set_edge(pos, False)
            self._boards.set_edge(self._boards.base_pos(b, p), False)
            self._n_dead += 1
        self._changed()
        return True

    @_locked
    def remove_pin(self, pin_id: int) -> bool:
        """Drop a pin and all its edges (a later add_edge brings it back with only the new edges)."""
        return self._remove_node(self._pins, self._boards, self._pins.find(int(pin_id)))

    @_locked
    def remove_board(self, board_id: int) -> bool:
        """Drop a board (deleted, or made secret) and all its edges."""
        return self._remove_node(self._boards, self._pins, self._boards.find(int(board_id)))

    def _remove_node(self, side: NodeSide, other: NodeSide, idx: int) -> bool:
        if idx < 0 or not side.ok[idx]:
            return False
        side.ok[idx] = 0
        for j in side.delta.pop(idx, []):
            other.delta[j].remove(idx)
            self._n_delta -= 1
        lo, hi = int(side.ptr[idx]), int(side.ptr[idx + 1])
        if hi > lo:
            if side.edge_ok.size == 0:
                side.edge_ok = np.ones(side.adj.size, dtype=np.uint8)
            live = np.flatnonzero(side.edge_ok[lo:hi]) + lo
            side.edge_ok[live] = 0
            self._n_dead += live.size
            if live.size:
                if other.edge_ok.size == 0:
                    other.edge_ok = np.ones(other.adj.size, dtype=np.uint8)
                pos = row_positions(other.ptr, other.adj, side.adj[live].astype(np.int64), idx)
                other.edge_ok[pos[pos >= 0]] = 0
        self._changed()
        return True

    def _changed(self) -> None:
        self._dirty = True
        self._view = None
        self.version += 1

    # ---- snapshots --------------------------------------------------------------------------------
    def edges(self) -> tuple[IntArray, IntArray]:
        """All live edges as external (pin_ids, board_ids)."""
        s = self._pins
        rows = np.repeat(np.arange(s.n_base, dtype=np.int64), np.diff(s.ptr[: s.n_base + 1]))
        cols = s.adj.astype(np.int64)
        if s.edge_ok.size:
            rows, cols = rows[s.edge_ok == 1], cols[s.edge_ok == 1]
        d_rows = [i for i, lst in s.delta.items() for _ in lst]
        d_cols = [j for lst in s.delta.values() for j in lst]
        rows = np.concatenate([rows, np.asarray(d_rows, dtype=np.int64)])
        cols = np.concatenate([cols, np.asarray(d_cols, dtype=np.int64)])
        return s.ids[rows], self._boards.ids[cols]

    @_locked
    def compact(self) -> None:
        """Merge the delta and drop dead edges and nodes by rebuilding the CSR arrays."""
        pins, boards = self.edges()
        fresh = PinBoardGraph.from_edges(pins, boards)
        self._pins, self._boards = fresh._pins, fresh._boards
        self._n_delta = self._n_dead = 0
        self._changed()
        self._dirty = False

    def needs_compaction(self) -> bool:
        """True once the overlay (added + dead edges) is large enough that a rebuild pays off."""
        churn = self._n_delta + self._n_dead
        return churn > max(self.compact_min, self.compact_fraction * max(self._pins.adj.size, 1))

    @_locked
    def view(self, *, auto_compact: bool | None = None) -> GraphView:
        """Arrays for a walk, reflecting every update so far."""
        if self._view is not None:
            return self._view
        if (self.auto_compact if auto_compact is None else auto_compact) and self.needs_compaction():
            self.compact()
        if self._dirty:
            self._pins.pack_delta()
            self._boards.pack_delta()
            self._dirty = False
        s, t = self._pins, self._boards
        self._view = GraphView(
            s.ptr[: s.n + 1], s.adj, t.ptr[: t.n + 1], t.adj, s.edge_ok, t.edge_ok,
            s.slot, s.dptr, s.dadj, t.slot, t.dptr, t.dadj, s.dbits, t.dbits, s.n, t.n,
        )  # fmt: skip
        return self._view

    def memory_bytes(self) -> int:
        """Bytes held by the graph's arrays, id maps and delta overlay."""
        return self._pins.memory_bytes() + self._boards.memory_bytes()

    def bytes_per_edge(self) -> float:
        """Memory per live edge (both directions, id maps and overlay included)."""
        return self.memory_bytes() / max(self.n_edges, 1)

    def pin_mask(self, pin_ids: Iterable[int], *, allow: bool) -> npt.NDArray[np.uint8]:
        """Per-pin walk mask: only `pin_ids` allowed (allow=True) or all but `pin_ids` (allow=False)."""
        ids = np.fromiter((int(x) for x in pin_ids), dtype=np.int64)
        idx = self._pins.find_many(ids)
        mask = np.full(self.n_pins, 0 if allow else 1, dtype=np.uint8)
        mask[idx[idx >= 0]] = 1 if allow else 0
        return mask
