"""Near-duplicate detection: perceptual-hash candidates, embedding confirmation, canonical grouping.

A stored image is a duplicate of a query image when any of these holds (pHash distances are to the
query's pHash or its mirror's):
  * both hashes are near-identical: pHash within `hash_only_radius` and dHash within `dhash_only_radius`
    (a re-encode or resize; no embedding needed — and without embeddings this is the only rule), or
  * its pHash is within `hash_radius` bits and the embeddings agree at cosine ≥ `min_cosine_hashed` (the
    hash alone has false positives on flat or gradient-like images, the cosine cuts them), or
  * its pHash is within `wide_hash_radius` bits (crops and small rotations of photographs move it that far)
    and the cosine is ≥ `min_cosine_wide`, stricter than for close hashes, or
  * the vector index returns it among the query's nearest neighbours at cosine ≥ `min_cosine_alone`
    (catches crops and rotations that move the pHash further than any useful radius).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pinhaven.search.visual.hashes import HammingIndex, ImageHashes, hamming
from pinhaven.search.visual.index import VectorIndex, VisibleFn

__all__ = [
    "DuplicateFinder",
    "DuplicateMatch",
    "DuplicatePolicy",
    "UnionFind",
    "canonical_groups",
]


@dataclass(frozen=True)
class DuplicatePolicy:
    """Thresholds of the duplicate rule; defaults are set for builtin-v1 with learned whitening."""

    hash_radius: int = 16
    min_cosine_hashed: float = 0.65
    min_cosine_alone: float = 0.82
    wide_hash_radius: int = 24
    min_cosine_wide: float = 0.77
    ann_candidates: int = 10
    hash_only_radius: int = 4
    dhash_only_radius: int = 6

    @classmethod
    def for_model(cls, model_id: str) -> DuplicatePolicy:
        """Thresholds suited to an embedder's vector space (cosines are not comparable across models)."""
        if model_id.startswith("builtin-v1-L"):  # learned whitening (the default fit)
            return cls()
        if model_id.startswith("builtin-v1-P"):  # PCA whitening: cosines spread lower
            return cls(min_cosine_hashed=0.30, min_cosine_alone=0.50, min_cosine_wide=0.40)
        if model_id == "builtin-v1":  # unwhitened: all cosines are high, only near-identical ones count
            return cls(min_cosine_hashed=0.85, min_cosine_alone=0.93, min_cosine_wide=0.89)
        if model_id.startswith("clip-"):  # not measured here (no weights on this machine)
            return cls(min_cosine_hashed=0.85, min_cosine_alone=0.95, min_cosine_wide=0.90)
        return cls(min_cosine_hashed=0.9, min_cosine_alone=0.97, min_cosine_wide=0.94)


@dataclass(frozen=True)
class DuplicateMatch:
    """A stored image judged a duplicate of the query."""

    id: int
    cosine: float | None  # None when decided on hashes alone
    hamming: int | None  # min pHash distance to the query or its mirror; None if found by embedding only


class DuplicateFinder:
    """Finds stored near-duplicates of an image from a pHash index and (optionally) a vector index."""

    def __init__(
        self,
        *,
        hashes: HammingIndex,
        vectors: VectorIndex | None = None,
        policy: DuplicatePolicy | None = None,
    ) -> None:
        self.hashes = hashes
        self.dhashes: dict[int, int] = {}
        self.vectors = vectors
        self.policy = policy or (
            DuplicatePolicy.for_model(vectors.model_id) if vectors else DuplicatePolicy()
        )

    def add(self, ids: Sequence[int], hashes: Sequence[ImageHashes]) -> None:
        """Index the pHash (and remember the dHash) of stored images; vectors go to the vector index."""
        self.hashes.add(list(ids), [h.phash for h in hashes])
        for i, h in zip(ids, hashes, strict=True):
            self.dhashes[int(i)] = h.dhash

    def remove(self, ids: Iterable[int]) -> None:
        """Forget stored images."""
        ids = [int(i) for i in ids]
        self.hashes.remove(ids)
        for i in ids:
            self.dhashes.pop(i, None)

    def find(
        self,
        hashes: ImageHashes,
        vector: np.ndarray | None = None,
        *,
        exclude: Iterable[int] = (),
        visible: VisibleFn | None = None,
    ) -> list[DuplicateMatch]:
        """Stored duplicates of the query image, most similar first."""
        p = self.policy
        skip = {int(i) for i in exclude}
        ham: dict[int, int] = {}
        radius = p.hash_radius if vector is None or self.vectors is None else p.wide_hash_radius
        for q in {hashes.phash, hashes.phash_mirror}:
            for i, d in self.hashes.search(q, radius):
                if i not in skip:
                    ham[i] = min(d, ham.get(i, 64))
        near_identical = self._hash_only(hashes, ham, None)
        if vector is None or self.vectors is None:
            return self._visible_sorted(near_identical, visible)

        cos: dict[int, float] = {}
        for i, s in self.vectors.search(vector, p.ann_candidates, exclude=skip):
            if s >= p.min_cosine_alone:
                cos[i] = s
        unscored = [i for i in ham if i not in cos]
        qv = np.asarray(vector, np.float32).ravel()
        qv = qv / max(float(np.linalg.norm(qv)), 1e-12)
        for i, v in self.vectors.vectors(unscored).items():
            cos[i] = float(v @ qv)
        identical = {m.id for m in near_identical}
        matches = [
            DuplicateMatch(i, c, ham.get(i))
            for i, c in cos.items()
            if i in identical or c >= p.min_cosine_alone or self._hash_backed(ham.get(i), c)
        ]
        return self._visible_sorted(matches, visible)

    def _hash_backed(self, distance: int | None, cosine: float) -> bool:
        p = self.policy
        if distance is None:
            return False
        if distance <= p.hash_radius:
            return cosine >= p.min_cosine_hashed
        return distance <= p.wide_hash_radius and cosine >= p.min_cosine_wide

    def _hash_only(
        self, hashes: ImageHashes, ham: dict[int, int], visible: VisibleFn | None
    ) -> list[DuplicateMatch]:
        """Near-identical hashes: pHash within `hash_only_radius` and dHash within `dhash_only_radius`."""
        p = self.policy
        matches = []
        for i, d in ham.items():
            dh = self.dhashes.get(i)
            if d > p.hash_only_radius or dh is None:
                continue
            if min(hamming(dh, hashes.dhash), hamming(dh, hashes.dhash_mirror)) <= p.dhash_only_radius:
                matches.append(DuplicateMatch(i, None, d))
        return self._visible_sorted(matches, visible) if visible is not None else matches

    @staticmethod
    def _visible_sorted(matches: list[DuplicateMatch], visible: VisibleFn | None) -> list[DuplicateMatch]:
        if visible is not None and matches:
            allowed = visible([m.id for m in matches])
            matches = [m for m in matches if m.id in allowed]
        return sorted(
            matches, key=lambda m: (-(m.cosine if m.cosine is not None else 1.0), m.hamming or 0, m.id)
        )


class UnionFind:
    """Disjoint sets over ids whose representative is the smallest (oldest snowflake) id."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        """Representative of x's group (x itself if never seen)."""
        parent = self._parent
        root = parent.setdefault(x, x)
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> int:
        """Merge the groups of a and b; returns the new representative (the smaller root)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        lo, hi = min(ra, rb), max(ra, rb)
        self._parent[hi] = lo
        return lo


def canonical_groups(pairs: Iterable[tuple[int, int]], ids: Iterable[int] = ()) -> dict[int, int]:
    """Map every id (from `pairs` and `ids`) to its group's canonical id: the oldest (smallest) member."""
    uf = UnionFind()
    for i in ids:
        uf.find(int(i))
    for a, b in pairs:
        uf.union(int(a), int(b))
    return {i: uf.find(i) for i in list(uf._parent)}
