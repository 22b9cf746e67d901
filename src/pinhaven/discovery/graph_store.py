"""The process's pin–board graph: built from the database, kept current through the `graph_changes` log.

Edges (public boards only; secret and protected boards never enter the graph):
  * every pin on a public board is linked to that board;
  * a saved pin's parent is linked to the board it was saved to (saves connect the original to the
    saver's board), when the parent itself sits on a public board.

Keeping it current, multi-process safe: writers call `note_pins` / `note_board` inside their transaction
(from the jobs pipeline hooks); the ids are written to `graph_changes` by a `before_commit` listener, so a
row's snowflake id is taken at commit time and rolled-back work logs nothing. Every process polls the log
by id watermark (re-reading a short lag window, since ids from other processes or clocks may commit
slightly out of order) and re-derives the affected pins' links from the database. Re-deriving is
state-based, so a row applied twice or late is harmless. After a local commit the next read refreshes at
once (read-your-writes in one process); other processes converge within `max_staleness` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

import numpy as np
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session, aliased

from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.db.engine import SessionFactory
from pinhaven.db.ids import new_id
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.models import GraphChange
from pinhaven.pins.models import Pin

__all__ = ["GraphStore", "local_change_count", "note_board", "note_pins"]

log = logging.getLogger("pinhaven.discovery")

_PENDING = "discovery.graph_changes"  # key in Session.info: {"pins": set, "boards": set}
_ID_MS_SHIFT = 22  # snowflake: milliseconds above 10 shard + 12 sequence bits
_counter_lock = threading.Lock()
_local_changes = 0


def local_change_count() -> int:
    """How many transactions of this process committed graph changes (readers compare it to refresh)."""
    return _local_changes


def _pending(db: Session) -> dict[str, set[int]]:
    pending: dict[str, set[int]] = db.info.setdefault(_PENDING, {"pins": set(), "boards": set()})
    return pending


def note_pins(*, db: Session, pin_ids: Iterable[int]) -> None:
    """These pins' links may have changed (created, moved, deleted, saved from): log them on commit."""
    _pending(db)["pins"].update(int(p) for p in pin_ids if p is not None)


def note_board(*, db: Session, board_id: int) -> None:
    """This board's privacy (or content) changed: every pin on it is re-derived."""
    _pending(db)["boards"].add(int(board_id))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not (pending["pins"] or pending["boards"]):
        return
    rows = [{"id": new_id(), "pin_id": p, "board_id": None} for p in sorted(pending["pins"])]
    rows += [{"id": new_id(), "pin_id": None, "board_id": b} for b in sorted(pending["boards"])]
    session.execute(insert(GraphChange), rows)
    session.info["discovery.committing"] = True


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    global _local_changes
    if session.info.pop("discovery.committing", False):
        with _counter_lock:
            _local_changes += 1


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("discovery.committing", None)


def _public_boards(db: Session, board_ids: set[int]) -> set[int]:
    ids = list(board_ids)
    out: set[int] = set()
    for chunk in _chunks(ids):
        out.update(db.scalars(select(Board.id).where(Board.id.in_(chunk), Board.privacy == PUBLIC)))
    return out


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class GraphStore:
    """One process's graph plus the watermark of the change log it has applied."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        max_staleness: float = 2.0,
        lag_seconds: float = 30.0,
        rebuild_seconds: float = 6 * 3600.0,
        follow_local_writes: bool = True,
    ) -> None:
        self.sessions = sessions
        self.max_staleness = max_staleness
        # False: behave like a process that did not make this process's writes (it sees them only at its
        # periodic refresh); evaluation uses it to measure the feed "right after a save, before the refresh".
        self.follow_local_writes = follow_local_writes
        self.lag_ids = int(lag_seconds * 1000) << _ID_MS_SHIFT
        self.rebuild_seconds = rebuild_seconds
        # Compaction runs in refresh() (a background thread in `serve`), never inside a walk's view().
        self.graph = PinBoardGraph(auto_compact=False)
        self.built_at = 0.0
        self.refreshed_at = 0.0
        self.build_seconds = 0.0
        self._watermark = 0
        self._applied: set[int] = set()
        self._seen_local = -1
        self._lock = threading.Lock()
        self._built = threading.Event()
        # True while the event stream feeds this graph (stream/graph_feed.py): periodic polling of the change
        # log stops; a local write still refreshes from the log at once (read-your-writes in this process).
        self.stream_fed = False

    # ---- build ------------------------------------------------------------------------------------
    def build(self) -> None:
        """(Re)build the whole graph from the database and swap it in; walks on the old one finish."""
        with self._lock:
            self._build_locked()

    def _build_locked(self) -> None:
        started = time.perf_counter()
        seen_local = local_change_count()
        with self.sessions() as db:
            # Read the watermark first: anything committed after it is re-applied by the next refresh.
            watermark = int(db.scalar(select(func.max(GraphChange.id))) or 0)
            pins, boards = self._all_edges(db)
        graph = PinBoardGraph.from_edges(pins, boards, auto_compact=False)
        self.graph = graph
        self._watermark, self._applied, self._seen_local = watermark, set(), seen_local
        self.built_at = self.refreshed_at = time.monotonic()
        self.build_seconds = time.perf_counter() - started
        self._built.set()
        log.info(
            "pin-board graph built: %d pins, %d boards, %d edges in %.2fs",
            graph.n_pins,
            graph.n_boards,
            graph.n_edges,
            self.build_seconds,
        )

    @staticmethod
    def _all_edges(db: Session) -> tuple[np.ndarray, np.ndarray]:
        parent, parent_board = aliased(Pin), aliased(Board)
        query = (
            select(Pin.id, Pin.board_id, Pin.parent_pin_id, parent_board.privacy)
            .join(Board, Board.id == Pin.board_id)
            .outerjoin(parent, parent.id == Pin.parent_pin_id)
            .outerjoin(parent_board, parent_board.id == parent.board_id)
            .where(Board.privacy == PUBLIC)
        )
        pin_parts: list[np.ndarray] = []
        board_parts: list[np.ndarray] = []
        result = db.execute(query.execution_options(yield_per=50_000))
        for part in result.partitions():
            arr = np.array(
                [(p, b, q or 0, 1 if priv == PUBLIC else 0) for p, b, q, priv in part], dtype=np.int64
            )
            saved = arr[:, 3] == 1
            pin_parts += [arr[:, 0], arr[saved, 2]]
            board_parts += [arr[:, 1], arr[saved, 1]]
        if not pin_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(pin_parts), np.concatenate(board_parts)

    # ---- reads ------------------------------------------------------------------------------------
    def current(self) -> PinBoardGraph:
        """The graph, built on first use and refreshed when this process wrote or it is stale."""
        if not self._built.is_set():
            with self._lock:
                if not self._built.is_set():
                    self._build_locked()
        if self.follow_local_writes and self._seen_local != local_change_count():
            with self._lock:  # our own write: wait for it, so a request sees what it just did
                self._refresh_locked()
        elif (
            not self.stream_fed
            and time.monotonic() - self.refreshed_at > self.max_staleness
            and self._lock.acquire(blocking=False)
        ):
            try:
                self._refresh_locked()
            finally:
                self._lock.release()
        return self.graph

    # ---- incremental updates ----------------------------------------------------------------------
    def refresh(self) -> int:
        """Apply change-log rows not applied yet; rebuild when due; compact when the overlay is large."""
        with self._lock:
            if not self._built.is_set() or time.monotonic() - self.built_at > self.rebuild_seconds:
                self._build_locked()
            if self.stream_fed:
                return 0
            return self._refresh_locked()

    def apply_changes(self, pin_ids: Iterable[int], board_ids: Iterable[int]) -> None:
        """Re-derive these pins and boards from the database (the event stream's graph changes)."""
        pins, boards = [int(p) for p in pin_ids], [int(b) for b in board_ids]
        if not self._built.is_set() or not (pins or boards):
            return  # the first build reads everything anyway
        with self._lock, self.sessions() as db:
            self._apply(db, pins, boards)

    def _refresh_locked(self) -> int:
        seen_local = local_change_count()
        low = max(self._watermark - self.lag_ids, 0)
        applied = 0
        with self.sessions() as db:
            while True:
                rows = db.execute(
                    select(GraphChange.id, GraphChange.pin_id, GraphChange.board_id)
                    .where(GraphChange.id > low)
                    .order_by(GraphChange.id)
                    .limit(5000)
                ).all()
                fresh = [r for r in rows if r[0] not in self._applied]
                if fresh:
                    self._apply(db, [r[1] for r in fresh if r[1]], [r[2] for r in fresh if r[2]])
                    self._applied.update(r[0] for r in fresh)
                    self._watermark = max(self._watermark, max(r[0] for r in fresh))
                    applied += len(fresh)
                if len(rows) < 5000:
                    break
                low = rows[-1][0]
        floor = max(self._watermark - self.lag_ids, 0)
        self._applied = {i for i in self._applied if i > floor}
        self._seen_local = seen_local
        self.refreshed_at = time.monotonic()
        if self.graph.needs_compaction():
            self.graph.compact()
        return applied

    def _apply(self, db: Session, pin_ids: list[int], board_ids: list[int]) -> None:
        todo = set(pin_ids)
        for board_id in set(board_ids):
            privacy = db.scalar(select(Board.privacy).where(Board.id == board_id))
            if privacy != PUBLIC:
                self.graph.remove_board(board_id)
            todo.update(db.scalars(select(Pin.id).where(Pin.board_id == board_id)))
        self.resync_pins(db, sorted(todo))

    def resync_pins(self, db: Session, pin_ids: list[int]) -> None:
        """Re-derive every link of these pins (as pins, and as parents of saves) from the database."""
        graph = self.graph
        for chunk in _chunks(pin_ids):
            # Plain lookups by id plus one board-privacy map: a pins-boards join filtered by privacy makes
            # SQLite scan every public board once the id list is long.
            rows = db.execute(select(Pin.id, Pin.board_id, Pin.parent_pin_id).where(Pin.id.in_(chunk))).all()
            parents = {int(r[2]) for r in rows if r[2] is not None}
            parent_rows = (
                db.execute(select(Pin.id, Pin.board_id).where(Pin.id.in_(parents))).all() if parents else []
            )
            children = db.execute(
                select(Pin.parent_pin_id, Pin.board_id).where(Pin.parent_pin_id.in_([int(r[0]) for r in rows]))
            ).all() if rows else []  # fmt: skip
            public = _public_boards(
                db, {r[1] for r in rows} | {r[1] for r in parent_rows} | {r[1] for r in children}
            )
            public_pins = {int(r[0]) for r in rows if r[1] in public}
            public_parents = {int(r[0]) for r in parent_rows if r[1] in public}
            for pin_id in chunk:
                graph.remove_pin(pin_id)
            for pin_id, board_id, parent_id in rows:
                if pin_id in public_pins:
                    graph.add_edge(pin_id, board_id)
                    if parent_id in public_parents:
                        graph.add_edge(parent_id, board_id)
            for parent_id, board_id in children:
                if parent_id in public_pins and board_id in public:
                    graph.add_edge(parent_id, board_id)

    # ---- background refresher ---------------------------------------------------------------------
    def wait_built(self, timeout: float | None = None) -> bool:
        """Block until the first build finished (True) or the timeout passed."""
        return self._built.wait(timeout)
