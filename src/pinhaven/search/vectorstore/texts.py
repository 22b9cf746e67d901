"""Pin text vectors (MiniLM) in PostgreSQL: the `database` counterpart of the in-process `SemanticIndex`.

`nearest` joins the HNSW scan to pins and boards with the search's own filters (`Filters.clauses()`: the
privacy rule of boards/access.py plus board/pinner narrowing), in one statement: hidden pins never take one
of the k slots, and nothing is loaded into the process.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from pgvector.sqlalchemy import Vector
from sqlalchemy import ColumnElement, Engine, Select, cast, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pinhaven.boards.models import Board
from pinhaven.pins.models import Pin
from pinhaven.search.text.backends import Filters
from pinhaven.search.text.semantic import DIM, MODEL_ID
from pinhaven.search.vectorstore.scan import nearest_rows
from pinhaven.search.vectorstore.schema import ensure_hnsw_index, text_vectors

__all__ = ["DatabaseTextVectors"]

_PRESENCE_SECONDS = 5.0  # how long "there are / are no vectors" is believed before asking again


class DatabaseTextVectors:
    """One model's pin vectors in `search_text_vectors`, searched with the filters inside the query."""

    shared = True

    def __init__(self, engine: Engine, *, model_id: str = MODEL_ID, dim: int = DIM) -> None:
        self.model_id = model_id
        self.dim = int(dim)
        self._present: tuple[float, bool] | None = None
        with engine.begin() as conn:
            ensure_hnsw_index(conn, text_vectors.name, self.dim)

    def _mine(self) -> list[ColumnElement[bool]]:
        # `dim` as a literal: a bound parameter would not prove the partial index's predicate
        return [text_vectors.c.model_id == self.model_id, text_vectors.c.dim == literal_column(str(self.dim))]

    def write(self, db: Session, pin_id: int, vector: np.ndarray) -> None:
        """Insert or replace the pin's vector inside the caller's transaction (its `search_pin_vectors` row
        must exist in it: the foreign key ties the two, and deleting that row deletes this one)."""
        v = np.asarray(vector, np.float32).ravel()
        if v.shape != (self.dim,) or not np.isfinite(v).all():
            raise ValueError(f"expected a finite vector of width {self.dim}")
        stmt = insert(text_vectors).values(
            pin_id=int(pin_id), model_id=self.model_id, dim=self.dim, embedding=v
        )
        db.execute(
            stmt.on_conflict_do_update(
                index_elements=["pin_id", "model_id"],
                set_={"dim": stmt.excluded.dim, "embedding": stmt.excluded.embedding},
            )
        )
        self._present = (time.monotonic(), True)

    def available(self, db: Session) -> bool:
        """Whether any vector exists (cached a few seconds: searches ask on every request)."""
        now = time.monotonic()
        if self._present is None or now - self._present[0] > _PRESENCE_SECONDS:
            found = db.scalar(select(text_vectors.c.pin_id).where(*self._mine()).limit(1)) is not None
            self._present = (now, found)
        return self._present[1]

    def nearest(
        self, db: Session, vector: np.ndarray, *, filters: Filters, k: int, min_score: float = -1.0
    ) -> list[tuple[int, float]]:
        """Top-k (pin_id, cosine) among the pins the filters let through, best first, cosine ≥ min_score."""
        if k <= 0:
            return []
        q = np.asarray(vector, np.float32).ravel()
        distance: Any = cast(text_vectors.c.embedding, Vector(self.dim)).max_inner_product(q)

        def statement(order: ColumnElement[Any]) -> Select[Any]:
            return (
                select(text_vectors.c.pin_id, distance.label("distance"))
                .join(Pin, Pin.id == text_vectors.c.pin_id)
                .join(Board, Board.id == Pin.board_id)
                .where(*self._mine(), *filters.clauses())
                .order_by(order)
                .limit(k)
            )

        rows = nearest_rows(db, statement, distance, k)
        # best first (equal scores: newest pin first), so the floor only trims the tail; `<#>` = −cosine
        return [(pin_id, -d) for pin_id, d in rows if -d >= min_score]

    def rows(self, db: Session, pin_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of the given pins (tests, diagnostics)."""
        found = db.execute(
            select(text_vectors.c.pin_id, text_vectors.c.embedding).where(
                text_vectors.c.pin_id.in_([int(p) for p in pin_ids]), *self._mine()
            )
        )
        return {int(p): np.asarray(v, np.float32) for p, v in found}
