"""Duplicate groups on a page: never show two pins of the same picture side by side.

Two pins belong to one group when they show the same stored image, or when their images' perceptual hashes
are both within the hash-only near-duplicate radius (`DuplicatePolicy.hash_only_radius` for pHash,
`dhash_only_radius` for dHash) — the conservative rule, so distinct pictures are never merged.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.pins.models import Pin
from pinhaven.search.visual.dedup import DuplicatePolicy
from pinhaven.search.visual.hashes import to_unsigned
from pinhaven.search.visual.models import ImageEmbedding

_POLICY = DuplicatePolicy()


def _hashes(db: Session, image_ids: set[int]) -> dict[int, tuple[int, int]]:
    if not image_ids:
        return {}
    rows = db.execute(
        select(ImageEmbedding.image_id, ImageEmbedding.phash, ImageEmbedding.dhash).where(
            ImageEmbedding.image_id.in_(image_ids)
        )
    )
    return {image_id: (to_unsigned(phash), to_unsigned(dhash)) for image_id, phash, dhash in rows}


def collapse_duplicates(*, db: Session, pins: Sequence[Pin]) -> list[Pin]:
    """`pins` in order, keeping only the first pin of each duplicate group (one query for the hashes)."""
    hashes = _hashes(db, {p.image_id for p in pins})
    kept: list[Pin] = []
    kept_images: set[int] = set()
    kept_hashes: list[tuple[int, int]] = []
    for pin in pins:
        if pin.image_id in kept_images:
            continue
        pair = hashes.get(pin.image_id)
        if pair is not None and any(
            (pair[0] ^ p).bit_count() <= _POLICY.hash_only_radius
            and (pair[1] ^ d).bit_count() <= _POLICY.dhash_only_radius
            for p, d in kept_hashes
        ):
            continue
        kept.append(pin)
        kept_images.add(pin.image_id)
        if pair is not None:
            kept_hashes.append(pair)
    return kept
