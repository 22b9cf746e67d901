"""Image vectors in PostgreSQL (pgvector HNSW): the `database` implementation of `ImageVectorStore`.

Every host reads the same rows, so nothing is loaded, folded in or saved per process. A search with a viewer
puts the privacy rule (`visible_pins_clause`, an image counts when the viewer sees one of its pins) in the
same statement as the nearest-neighbour scan; with `hnsw.iterative_scan = relaxed_order` the index keeps
scanning until k rows pass the filter, so secret neighbours never take result slots. Relaxed order may
return the k rows slightly out of order: a materialised CTE re-sorts them (pgvector's documented idiom).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import ColumnElement, Select, cast, delete, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pinhaven.boards.models import Board
from pinhaven.db.engine import SessionFactory, session_scope
from pinhaven.errors import InvalidInput
from pinhaven.pins.models import Pin
from pinhaven.search.vectorstore.scan import DEFAULT_EF_SEARCH, nearest_rows
from pinhaven.search.vectorstore.schema import ensure_hnsw_index, visual_vectors
from pinhaven.search.visual.index import VisibleFn, unit_vectors

__all__ = ["DatabaseImageVectors"]

_BATCH = 1000


class DatabaseImageVectors:
    """Cosine k-NN over one model's image vectors in the `visual_vectors` table."""

    shared = True  # the rows are every process's: no per-process loading, folding in or saving

    def __init__(
        self, sessions: SessionFactory, *, model_id: str, dim: int, ef_search: int = DEFAULT_EF_SEARCH
    ) -> None:
        if dim <= 0:
            raise InvalidInput("dim must be positive")
        self.sessions = sessions
        self.model_id = model_id
        self.dim = int(dim)
        self.ef_search = ef_search
        self.directory = None  # nothing on local disk
        with session_scope(sessions) as db:
            ensure_hnsw_index(db.connection(), visual_vectors.name, self.dim)

    # ---- expressions

    @property
    def _embedding(self) -> ColumnElement[Any]:
        # the exact expression of the partial HNSW index, or the planner cannot use it
        return cast(visual_vectors.c.embedding, Vector(self.dim))

    def _mine(self) -> list[ColumnElement[bool]]:
        # `dim` as a literal: a bound parameter would not prove the partial index's predicate
        return [
            visual_vectors.c.model_id == self.model_id,
            visual_vectors.c.dim == literal_column(str(self.dim)),
        ]

    # ---- size

    def __len__(self) -> int:
        with session_scope(self.sessions) as db:
            return int(db.scalar(select(func.count()).select_from(visual_vectors).where(*self._mine())) or 0)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, (int, np.integer)):
            return False
        with session_scope(self.sessions) as db:
            found = db.scalar(
                select(visual_vectors.c.image_id).where(
                    visual_vectors.c.image_id == int(item_id), *self._mine()
                )
            )
        return found is not None

    # ---- writes

    def _unit(self, vectors: np.ndarray, n: int) -> np.ndarray:
        return unit_vectors(vectors, n, self.dim)

    def write(self, db: Session, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace vectors inside the caller's transaction (next to their `visual_embeddings` rows,
        which must exist: the foreign key ties each vector to its row)."""
        units = self._unit(vectors, len(ids))
        rows = [
            {"image_id": int(i), "model_id": self.model_id, "dim": self.dim, "embedding": v}
            for i, v in zip(ids, units, strict=True)
        ]
        for start in range(0, len(rows), _BATCH):
            stmt = insert(visual_vectors).values(rows[start : start + _BATCH])
            db.execute(
                stmt.on_conflict_do_update(
                    index_elements=["image_id", "model_id"],
                    set_={"dim": stmt.excluded.dim, "embedding": stmt.excluded.embedding},
                )
            )

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors in a transaction of their own."""
        id_list = [int(i) for i in np.asarray(ids, np.int64).ravel()]
        if len(set(id_list)) != len(id_list):
            raise InvalidInput("ids in one add must be unique")
        with session_scope(self.sessions) as db:
            self.write(db, id_list, vectors)

    def remove(self, ids: Iterable[int]) -> int:
        id_list = [int(i) for i in ids]
        with session_scope(self.sessions) as db:
            result = db.execute(
                delete(visual_vectors).where(visual_vectors.c.image_id.in_(id_list), *self._mine())
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def rebuild(self, items: Iterable[tuple[int, np.ndarray]]) -> None:
        """Replace this model's vectors with (id, vector) pairs, in one transaction."""
        with session_scope(self.sessions) as db:
            db.execute(delete(visual_vectors).where(*self._mine()))
            batch: dict[int, np.ndarray] = {}
            for item_id, vec in items:
                batch[int(item_id)] = np.asarray(vec, np.float32).ravel()
                if len(batch) >= _BATCH:
                    self.write(db, list(batch), np.stack(list(batch.values())))
                    batch.clear()
            if batch:
                self.write(db, list(batch), np.stack(list(batch.values())))

    def compact(self) -> None:
        """Nothing to do: PostgreSQL reclaims deleted rows itself (VACUUM)."""

    # ---- reads

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        wanted = [int(i) for i in ids]
        out: dict[int, np.ndarray] = {}
        with session_scope(self.sessions) as db:
            for start in range(0, len(wanted), _BATCH):
                rows = db.execute(
                    select(visual_vectors.c.image_id, visual_vectors.c.embedding).where(
                        visual_vectors.c.image_id.in_(wanted[start : start + _BATCH]), *self._mine()
                    )
                )
                out.update({int(i): np.asarray(v, np.float32) for i, v in rows})
        return out

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        visible: VisibleFn | None = None,
        exclude: Iterable[int] = (),
    ) -> list[tuple[int, float]]:
        """The k most similar (image id, cosine) pairs, best first, among images `visible` lets through.

        A `visible` that names its viewer and session (`ImageVisibility`) is applied inside the SQL query;
        it is then called once with the k results, to map them to the viewer's pins. Any other callback is
        applied to growing batches of candidates, as the in-process index does.
        """
        if k <= 0:
            return []
        q = self._unit(query, 1)[0]
        skip = sorted({int(i) for i in exclude})
        viewer = getattr(visible, "viewer", None)
        db = getattr(visible, "db", None)
        if visible is not None and (viewer is None or db is None):
            return self._search_with_callback(q, k, visible, skip)
        if db is not None:
            hits = self._nearest(db, q, k, skip, viewer)
        else:
            with session_scope(self.sessions) as own:
                hits = self._nearest(own, q, k, skip, None)
        if visible is not None and hits:
            allowed = visible([i for i, _ in hits])
            hits = [(i, s) for i, s in hits if i in allowed]
        return hits

    def _nearest(
        self, db: Session, q: np.ndarray, k: int, skip: Sequence[int], viewer: Any
    ) -> list[tuple[int, float]]:
        conditions: list[ColumnElement[bool]] = self._mine()
        if skip:
            conditions.append(visual_vectors.c.image_id.not_in(skip))
        if viewer is not None:
            from pinhaven.boards.access import visible_pins_clause

            conditions.append(
                select(Pin.id)
                .join(Board, Board.id == Pin.board_id)
                .where(Pin.image_id == visual_vectors.c.image_id, visible_pins_clause(viewer))
                .exists()
            )
        distance = self._embedding.max_inner_product(q)

        def statement(order: ColumnElement[Any]) -> Select[Any]:
            return (
                select(visual_vectors.c.image_id, distance.label("distance"))
                .where(*conditions)
                .order_by(order)
                .limit(k)
            )

        rows = nearest_rows(db, statement, distance, k, ef_search=self.ef_search, filtered=bool(conditions))
        return [(i, -d) for i, d in rows]  # `<#>` is the negative inner product: cosine for unit vectors

    def _search_with_callback(
        self, q: np.ndarray, k: int, visible: VisibleFn, skip: Sequence[int]
    ) -> list[tuple[int, float]]:
        seen: set[int] = set(skip)
        found: list[tuple[int, float]] = []
        fetch = k * 4
        while True:
            with session_scope(self.sessions) as db:
                hits = self._nearest(db, q, fetch, skip, None)
            fresh = [(i, s) for i, s in hits if i not in seen]
            seen.update(i for i, _ in fresh)
            if fresh:
                allowed = visible([i for i, _ in fresh])
                found.extend((i, s) for i, s in fresh if i in allowed)
            if len(found) >= k or len(hits) < fetch:
                break
            fetch *= 4
        found.sort(key=lambda t: -t[1])
        return found[:k]

    # ---- keeping up with `visual_embeddings`

    def catch_up(self, db: Session) -> int:
        """Copy in this model's `visual_embeddings` vectors that have no row here (the store was switched on
        after images were embedded, or rows were restored without it); returns how many."""
        from pinhaven.search.visual.models import ImageEmbedding

        have = (
            select(visual_vectors.c.image_id)
            .where(
                visual_vectors.c.image_id == ImageEmbedding.image_id,
                visual_vectors.c.model_id == ImageEmbedding.model_id,
            )
            .exists()
        )
        done, last = 0, -(2**63)
        while True:  # keyset batches: no cursor stays open while this session writes
            batch = db.execute(
                select(ImageEmbedding.image_id, ImageEmbedding.vector)
                .where(ImageEmbedding.model_id == self.model_id, ImageEmbedding.image_id > last, ~have)
                .order_by(ImageEmbedding.image_id)
                .limit(_BATCH)
            ).all()
            if not batch:
                return done
            last = int(batch[-1][0])
            vectors = np.stack([np.frombuffer(blob, dtype="<f4").astype(np.float32) for _, blob in batch])
            self.write(db, [int(i) for i, _ in batch], vectors)
            done += len(batch)
