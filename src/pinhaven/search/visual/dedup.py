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

Flat graphics (either image's `layout.flatness` ≥ FLAT_FROM, or both ≥ FLAT_PAIR_FROM: a rotated copy's
black corners make it less flat) need more than one signal: hashes and
descriptor are dominated by the plain background there, so two different graphics on the same background
agree on both. Such a pair counts only when one of the tiers above finds it *and* the drawn parts agree
(structure.py: one transform maps the shapes, letters and blocks of one onto the other's, covering
≥ `min_structure_agreement` of both), or when one of the query's other readings of its parts (measured
at a 10 % crop's zoom either way and turned back ±5°: `ImageHashes.layout_variants`) agrees at the higher
`min_variant_agreement` (crops and small rotations resample letters so that they merge or split
differently; a second reading at the other picture's scale or angle labels them alike). Without both
layouts a flat pair counts only on near-identical hashes in hash-only mode (no embeddings), and not at all
otherwise. At most `max_structure_checks` flat candidates
(most similar first) get the parts check per lookup, which bounds its cost where one template has many
siblings. A pair an owner marked "not the same picture" never counts (`not_same`).

Why no candidate tier of its own for flat graphics: on the benchmark's flat graphics the hash/cosine tiers
already propose almost every true copy the parts check would accept (of 111 missed copies on seed 1, 3;
of 103 on seed 2, 2); the misses are copies whose parts the check itself cannot match (bench/visual.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pinhaven.search.visual.hashes import HammingIndex, ImageHashes, hamming
from pinhaven.search.visual.index import VisibleFn
from pinhaven.search.visual.layout import FLAT_FROM, keeps_layout
from pinhaven.search.visual.structure import structure_agreement

if TYPE_CHECKING:
    from pinhaven.search.vectorstore.protocols import ImageVectorStore

# both pictures at least this flat also make a flat pair (photographs' copies measured: 0.43-0.75, a
# few near 0.75; rotated copies of flat graphics: 0.76-0.8; set on bench seed 1)
FLAT_PAIR_FROM = 0.72

LayoutsFn = Callable[[Sequence[int]], dict[int, np.ndarray]]  # stored image ids → their layouts

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
    # flat pairs: share of both pictures' drawn parts one transform must explain (tuned on the generated
    # graphics of seed 1, bench/visual.py part `graphics`: different graphics of one template reach 0.85)
    min_structure_agreement: float = 0.86
    # the same check on the query's other readings (measured at a crop's zoom, turned back ±5°,
    # `structure.structure_variants`): more readings give a sibling more chances, so a reading must agree
    # this much (tuned on seed 1: a sibling's best other reading reached 0.896, a copy's 0.92+ mostly)
    min_variant_agreement: float = 0.92
    # flat candidates given the parts check per query, most similar (cosine) first: ≈ 1-3 ms each, up to 5×
    # that when the plain reading fails and the other readings are tried. It bounds the cost but not within
    # 20 ms yet (2k flat graphics: CPU p99 ≈ 30 ms; 10k before the other readings: 77 ms), and at 10k the
    # cap costs recall (bench/visual.py part `lookup`, docs/BENCHMARKS.md)
    max_structure_checks: int = 8

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
    agreement: float | None = None  # drawn-parts agreement (structure.py), for flat pairs only


class DuplicateFinder:
    """Finds stored near-duplicates of an image from a pHash index and (optionally) a vector index."""

    def __init__(
        self,
        *,
        hashes: HammingIndex,
        vectors: ImageVectorStore | None = None,
        policy: DuplicatePolicy | None = None,
        layouts: LayoutsFn | None = None,
    ) -> None:
        self.hashes = hashes
        self.dhashes: dict[int, int] = {}
        self.flatness: dict[int, float] = {}  # only images flat enough to keep a layout
        # stored layouts: looked up for the few flat candidates of a query (the service reads them from the
        # database); without a lookup they are kept here
        self.layouts = layouts
        self._layouts: dict[int, np.ndarray] = {}
        self.not_same: dict[int, set[int]] = {}  # image → images an owner said are not the same picture
        self.vectors = vectors
        self.policy = policy or (
            DuplicatePolicy.for_model(vectors.model_id) if vectors else DuplicatePolicy()
        )

    def add(self, ids: Sequence[int], hashes: Sequence[ImageHashes]) -> None:
        """Index the pHash (and remember the dHash and flatness) of stored images; vectors go to the
        vector index. A flatness of None (a row embedded before layouts existed) counts as not flat."""
        self.hashes.add(list(ids), [h.phash for h in hashes])
        for i, h in zip(ids, hashes, strict=True):
            self.dhashes[int(i)] = h.dhash
            flat = h.flatness
            if flat is not None and keeps_layout(flat):
                self.flatness[int(i)] = float(flat)
            else:
                self.flatness.pop(int(i), None)
            if self.layouts is None and h.layout is not None:
                self._layouts[int(i)] = h.layout

    def exclude_pair(self, a: int, b: int) -> None:
        """Never match these two images again (an owner said they are not the same picture)."""
        self.not_same.setdefault(int(a), set()).add(int(b))
        self.not_same.setdefault(int(b), set()).add(int(a))

    def remove(self, ids: Iterable[int]) -> None:
        """Forget stored images."""
        ids = [int(i) for i in ids]
        self.hashes.remove(ids)
        for i in ids:
            self.dhashes.pop(i, None)
            self.flatness.pop(i, None)
            self._layouts.pop(i, None)

    def find(
        self,
        hashes: ImageHashes,
        vector: np.ndarray | None = None,
        *,
        exclude: Iterable[int] = (),
        visible: VisibleFn | None = None,
        query_id: int | None = None,
    ) -> list[DuplicateMatch]:
        """Stored duplicates of the query image, most similar first.

        The query's `hashes.flatness`/`layout` pick the rule (without them it counts as not flat; stored
        flat images still get the strict rule). `query_id`: the query's own image id, when it is stored, so
        the pairs excluded for it are skipped (and it is never its own duplicate).
        """
        p = self.policy
        skip = {int(i) for i in exclude}
        if query_id is not None:
            skip |= {int(query_id)} | self.not_same.get(int(query_id), set())
        ham: dict[int, int] = {}
        radius = p.hash_radius if vector is None or self.vectors is None else p.wide_hash_radius
        for q in {hashes.phash, hashes.phash_mirror}:
            for i, d in self.hashes.search(q, radius):
                if i not in skip:
                    ham[i] = min(d, ham.get(i, 64))
        near_identical = self._hash_only(hashes, ham, None)
        if vector is None or self.vectors is None:
            return self._visible_sorted(self._layout_checked(near_identical, hashes), visible)

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
        return self._visible_sorted(self._layout_checked(matches, hashes), visible)

    def _is_flat_pair(self, image_id: int, query: ImageHashes) -> bool:
        """Either picture flat, or both nearly so: a 5° turn's corners and resampling take a flat graphic's
        copy down to 0.76 (bench seed 1), and two such copies of *different* graphics must not be judged by
        hashes and descriptor alone (they were grouped through the service)."""
        query_flat = query.flatness if query.flatness is not None else 0.0
        stored_flat = self.flatness.get(image_id, 0.0)
        return max(query_flat, stored_flat) >= FLAT_FROM or min(query_flat, stored_flat) >= FLAT_PAIR_FROM

    def _layout_checked(self, matches: list[DuplicateMatch], query: ImageHashes) -> list[DuplicateMatch]:
        """Apply the flat-graphics rule: a tier's match counts only when the drawn parts agree as well."""
        p = self.policy
        flat = [m for m in matches if self._is_flat_pair(m.id, query)]
        if not flat:
            return matches
        wanted = [m.id for m in flat]
        if self.layouts is not None:
            have = self.layouts(wanted) if wanted else {}
        else:
            have = {i: self._layouts[i] for i in wanted if i in self._layouts}
        kept = [m for m in matches if m not in flat]
        flat.sort(key=lambda m: (-(m.cosine if m.cosine is not None else 1.0), m.hamming or 0, m.id))
        for m in flat[: p.max_structure_checks]:
            stored = have.get(m.id)
            if query.layout is None or stored is None:
                if m.cosine is None:  # hash-only mode and nothing to compare: near-identical hashes
                    kept.append(m)
                continue
            agreement = structure_agreement(query.layout, stored)
            if agreement is None:  # nothing drawn to compare (a gradient, a plain colour): the tiers decide
                kept.append(m)
            elif agreement >= p.min_structure_agreement:
                kept.append(DuplicateMatch(m.id, m.cosine, m.hamming, agreement))
            else:
                other = self._variant_agreement(query, stored)
                if other is not None:
                    kept.append(DuplicateMatch(m.id, m.cosine, m.hamming, other))
        return kept

    def _variant_agreement(self, query: ImageHashes, stored: np.ndarray) -> float | None:
        """The first of the query's other readings (a crop's zoom, a small turn) agreeing with the stored
        parts at `min_variant_agreement`; None when none does."""
        for variant in query.layout_variants:
            agreement = structure_agreement(variant, stored)
            if agreement is not None and agreement >= self.policy.min_variant_agreement:
                return agreement
        return None

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


def canonical_groups(
    pairs: Iterable[tuple[int, int]],
    ids: Iterable[int] = (),
    excluded: Iterable[tuple[int, int]] = (),
) -> dict[int, int]:
    """Map every id (from `pairs` and `ids`) to its group's canonical id: the oldest (smallest) member.

    Pairs are merged in the order given (strongest evidence first); a merge that would put two `excluded`
    images ("not the same picture") in one group is skipped, so a chain of duplicates cannot bridge them.
    """
    uf = UnionFind()
    for i in ids:
        uf.find(int(i))
    apart: dict[int, set[int]] = {}
    for a, b in excluded:
        apart.setdefault(int(a), set()).add(int(b))
        apart.setdefault(int(b), set()).add(int(a))
    members: dict[int, set[int]] = {}
    for a, b in pairs:
        ra, rb = uf.find(int(a)), uf.find(int(b))
        if ra == rb:
            continue
        ma, mb = members.get(ra, {ra}), members.get(rb, {rb})
        if apart and any(apart.get(m, set()) & mb for m in ma):
            continue
        root = uf.union(ra, rb)
        members[root] = ma | mb
        members.pop(ra if root != ra else rb, None)
    return {i: uf.find(i) for i in list(uf._parent)}
