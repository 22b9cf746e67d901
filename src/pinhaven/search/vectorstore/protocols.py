"""What the code above a vector store relies on; the in-process and the database stores both provide it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from sqlalchemy.orm import Session

__all__ = ["ImageVectorStore", "TransactionalVectors", "VisibleFn"]

# image ids → the ones the caller may see (search/visual/index.py's VisibleFn; no import: that pulls in FAISS)
VisibleFn = Callable[[Sequence[int]], set[int]]


@runtime_checkable
class ImageVectorStore(Protocol):
    """Cosine k-NN over unit vectors keyed by image id, for one model (`VectorIndex`, `DatabaseImageVectors`).

    `shared` is True when every process reads the same store (nothing to load, fold in or save per process).
    """

    model_id: str
    dim: int

    @property
    def shared(self) -> bool: ...

    def __len__(self) -> int: ...

    def __contains__(self, item_id: int) -> bool: ...

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: Iterable[int]) -> int: ...

    def rebuild(self, items: Iterable[tuple[int, np.ndarray]]) -> None: ...

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        visible: VisibleFn | None = None,
        exclude: Iterable[int] = (),
    ) -> list[tuple[int, float]]: ...


@runtime_checkable
class TransactionalVectors(Protocol):
    """A shared store whose writes join the caller's transaction (next to the `visual_embeddings` rows)."""

    def write(self, db: Session, ids: Sequence[int], vectors: np.ndarray) -> None: ...

    def catch_up(self, db: Session) -> int:
        """Copy in vectors of `visual_embeddings` rows it lacks (a store switched on later); how many."""
        ...
