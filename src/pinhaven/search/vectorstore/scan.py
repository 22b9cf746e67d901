"""One nearest-neighbour query with its filters, run so that k rows come back whenever k rows qualify.

pgvector ≥ 0.8 (`hnsw.iterative_scan = relaxed_order`) keeps walking the HNSW graph until k rows pass the
query's filters (or `hnsw.max_scan_tuples` were examined). Older versions stop after `hnsw.ef_search`
candidates, so a filter that rejects most of them returns fewer than k: then the same statement runs again
ordered by an expression the index cannot serve, an exact scan with the same filters. Either way the filter
is part of the nearest-neighbour statement: no candidate list is fetched and re-checked afterwards.

Relaxed order may return the k rows slightly out of order; a materialised CTE re-sorts them (pgvector's
documented idiom).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.orm import Session

__all__ = ["DEFAULT_EF_SEARCH", "MAX_SCAN_TUPLES", "iterative_scans", "nearest_rows"]

DEFAULT_EF_SEARCH = 100  # recall@10 vs exact: see bench/vectors_pgvector.py
MAX_SCAN_TUPLES = 50_000  # iterative scans stop here: a viewer who may see almost nothing gets fewer rows
_versions: dict[str, tuple[int, ...]] = {}
_lock = threading.Lock()


def _version(db: Session) -> tuple[int, ...]:
    bind = db.get_bind()
    key = str(getattr(bind, "url", bind))
    with _lock:
        known = _versions.get(key)
    if known is None:
        raw = db.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) or "0"
        known = tuple(int(p) for p in str(raw).split(".") if p.isdigit())
        with _lock:
            _versions[key] = known
    return known


def iterative_scans(db: Session) -> bool:
    """Whether this server's pgvector can continue an HNSW scan until enough rows pass a filter (≥ 0.8)."""
    return _version(db) >= (0, 8)


def _configure(db: Session, k: int, ef_search: int) -> bool:
    ef = str(min(max(ef_search, k), 1000))  # pgvector's limit is 1000
    if iterative_scans(db):
        db.execute(
            text(
                "SELECT set_config('hnsw.ef_search', :ef, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('hnsw.max_scan_tuples', :scan, true)"
            ),
            {"ef": ef, "scan": str(MAX_SCAN_TUPLES)},
        )
        return True
    db.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": ef})
    return False


def nearest_rows(
    db: Session,
    statement: Callable[[ColumnElement[Any]], Select[Any]],
    distance: ColumnElement[Any],
    k: int,
    *,
    ef_search: int = DEFAULT_EF_SEARCH,
    filtered: bool = True,
) -> list[tuple[int, float]]:
    """(id, distance) rows, nearest first: `statement(order_by)` must select (id, distance) with its filters,
    ordered by `order_by` and limited to k; `distance` is the indexed distance expression."""
    iterative = _configure(db, k, ef_search)
    rows = _sorted(db, statement(distance))
    if filtered and not iterative and len(rows) < k:
        rows = _sorted(db, statement(distance + 0))  # `+ 0`: not the index's expression, so an exact scan
    return rows


def _sorted(db: Session, statement: Select[Any]) -> list[tuple[int, float]]:
    nearest = statement.cte("nearest").prefix_with("MATERIALIZED")
    id_column, distance_column = list(nearest.c)[:2]
    rows = db.execute(select(id_column, distance_column).order_by(distance_column, id_column.desc()))
    return [(int(i), float(d)) for i, d in rows]
