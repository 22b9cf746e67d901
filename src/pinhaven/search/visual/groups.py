"""Canonical duplicate groups: near-duplicate images share one group id, and pages show one pin per group.

An image joins a group when it is embedded (`assign_group`, in the same transaction as its vector): the
duplicate finder's matches (pHash candidates confirmed by embedding similarity, or close ANN neighbours)
name the groups it bridges, which merge under the oldest id. `regroup_all` recomputes every group after a
reindex. Pins showing the same stored image are always one group, with or without a row here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pinhaven.pins.models import Pin
from pinhaven.search.visual.dedup import canonical_groups
from pinhaven.search.visual.models import ImageDuplicateGroup

__all__ = ["assign_group", "collapse_duplicates", "group_ids", "group_pin_ids", "replace_groups"]

_CHUNK = 900  # bound IN lists (SQLite's variable limit)


def group_ids(db: Session, image_ids: Iterable[int]) -> dict[int, int]:
    """Each image's group id; an image without a stored group is its own group."""
    ids = sorted({int(i) for i in image_ids})
    out = {i: i for i in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = db.execute(
            select(ImageDuplicateGroup.image_id, ImageDuplicateGroup.group_id).where(
                ImageDuplicateGroup.image_id.in_(chunk)
            )
        )
        out.update({int(image_id): int(group) for image_id, group in rows})
    return out


def assign_group(*, db: Session, image_id: int, duplicate_ids: Sequence[int]) -> int:
    """Put the image in one group with its duplicates, merging the groups it bridges; returns the group id."""
    current = group_ids(db, [image_id, *duplicate_ids])
    bridged = set(current.values())
    group = min(bridged)
    others = bridged - {group}
    if others:  # every member of a bridged group moves to the surviving (oldest) id
        db.execute(
            update(ImageDuplicateGroup)
            .where(ImageDuplicateGroup.group_id.in_(sorted(others)))
            .values(group_id=group)
        )
    stored = set(
        db.scalars(
            select(ImageDuplicateGroup.image_id).where(ImageDuplicateGroup.image_id.in_(list(current)))
        )
    )
    missing = [{"image_id": i, "group_id": group} for i in sorted(current) if i not in stored]
    if missing:
        db.execute(insert(ImageDuplicateGroup), missing)
    return group


def replace_groups(*, db: Session, pairs: Iterable[tuple[int, int]], image_ids: Iterable[int]) -> int:
    """Recompute every group from duplicate pairs (after a reindex); returns the number of groups."""
    groups = canonical_groups(pairs, image_ids)
    db.execute(delete(ImageDuplicateGroup))
    rows = [{"image_id": i, "group_id": g} for i, g in sorted(groups.items())]
    for start in range(0, len(rows), _CHUNK):
        db.execute(insert(ImageDuplicateGroup), rows[start : start + _CHUNK])
    return len(set(groups.values()))


def group_pin_ids(db: Session, image_id: int) -> list[int]:
    """Every pin (visible or not: callers filter) whose image is in the image's group, oldest first."""
    group = group_ids(db, [image_id])[image_id]
    images = set(
        db.scalars(select(ImageDuplicateGroup.image_id).where(ImageDuplicateGroup.group_id == group))
    ) | {image_id}
    return sorted(int(p) for p in db.scalars(select(Pin.id).where(Pin.image_id.in_(sorted(images)))))


def collapse_duplicates(*, db: Session, pins: Sequence[Pin]) -> list[Pin]:
    """`pins` in order, keeping only the first pin of each duplicate group (one query for the groups)."""
    groups = group_ids(db, {p.image_id for p in pins})
    kept: list[Pin] = []
    seen: set[int] = set()
    for pin in pins:
        group = groups[pin.image_id]
        if group not in seen:
            seen.add(group)
            kept.append(pin)
    return kept
