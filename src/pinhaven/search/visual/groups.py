"""Canonical duplicate groups: near-duplicate images share one group id, and pages show one pin per group.

An image joins a group when it is embedded (`assign_group`, in the same transaction as its vector): the
duplicate finder's matches (pHash candidates confirmed by embedding similarity, or close ANN neighbours)
name the groups it bridges, which merge under the oldest id. `regroup_all` recomputes every group after a
reindex. Pins showing the same stored image are always one group, with or without a row here.

Pairs an owner marked "not the same picture" (`ImageDuplicateExclusion`) are never in one group: a merge
that would join them is skipped, and `regroup_images` splits an existing group from its members' own
pairwise evidence, without touching any other group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from pinhaven.pins.models import Pin
from pinhaven.search.visual.dedup import canonical_groups
from pinhaven.search.visual.models import ImageDuplicateExclusion, ImageDuplicateGroup

__all__ = [
    "add_exclusion",
    "assign_group",
    "collapse_duplicates",
    "excluded_pairs",
    "group_ids",
    "group_members",
    "group_pin_ids",
    "regroup_images",
    "replace_groups",
]

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


def excluded_pairs(db: Session, image_ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """Pairs marked "not the same picture" (smaller id first): all, or those touching `image_ids`."""
    query = select(ImageDuplicateExclusion.image_a, ImageDuplicateExclusion.image_b)
    if image_ids is None:
        return {(int(a), int(b)) for a, b in db.execute(query)}
    ids = sorted({int(i) for i in image_ids})
    out: set[tuple[int, int]] = set()
    for start in range(0, len(ids), _CHUNK // 2):
        chunk = ids[start : start + _CHUNK // 2]
        rows = db.execute(
            query.where(
                or_(ImageDuplicateExclusion.image_a.in_(chunk), ImageDuplicateExclusion.image_b.in_(chunk))
            )
        )
        out.update((int(a), int(b)) for a, b in rows)
    return out


def add_exclusion(*, db: Session, image_a: int, image_b: int, user_id: int | None) -> bool:
    """Record that two images are not the same picture; False when it was already recorded."""
    a, b = sorted((int(image_a), int(image_b)))
    if db.get(ImageDuplicateExclusion, (a, b)) is not None:
        return False
    db.add(ImageDuplicateExclusion(image_a=a, image_b=b, created_by=user_id))
    db.flush()
    return True


def group_members(db: Session, group_id: int) -> list[int]:
    """Image ids stored in a group (the group id itself included when it has a row)."""
    return sorted(
        int(i)
        for i in db.scalars(
            select(ImageDuplicateGroup.image_id).where(ImageDuplicateGroup.group_id == group_id)
        )
    )


def assign_group(*, db: Session, image_id: int, duplicate_ids: Sequence[int]) -> int:
    """Put the image in one group with its duplicates, merging the groups it bridges; returns the group id.

    `duplicate_ids` come strongest first; a group that holds an image marked "not the same picture" as one
    already joined is left out (so one wrong match cannot bridge two groups an owner split).
    """
    current = group_ids(db, [image_id, *duplicate_ids])
    own = current[image_id]
    members = set(group_members(db, own)) | {image_id}
    apart: dict[int, set[int]] = {}
    for a, b in excluded_pairs(db, members | set(current)):
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    bridged = {own}
    for dup in duplicate_ids:
        group = current[int(dup)]
        if group in bridged:
            continue
        theirs = set(group_members(db, group)) | {int(dup)}
        if apart and any(apart.get(m, set()) & theirs for m in members):
            continue
        if apart:  # the joined group's exclusions count for the next candidates
            for a, b in excluded_pairs(db, theirs):
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
        bridged.add(group)
        members |= theirs
    group = min(bridged)
    others = bridged - {group}
    if others:  # every member of a bridged group moves to the surviving (oldest) id
        db.execute(
            update(ImageDuplicateGroup)
            .where(ImageDuplicateGroup.group_id.in_(sorted(others)))
            .values(group_id=group)
        )
    joined = [i for i in current if current[i] in bridged]
    stored = set(
        db.scalars(select(ImageDuplicateGroup.image_id).where(ImageDuplicateGroup.image_id.in_(joined)))
    )
    missing = [{"image_id": i, "group_id": group} for i in sorted(joined) if i not in stored]
    if missing:
        db.execute(insert(ImageDuplicateGroup), missing)
    return group


def regroup_images(
    *, db: Session, image_ids: Iterable[int], pairs: Iterable[tuple[int, int]]
) -> dict[int, int]:
    """Recompute the groups of just these images (a whole group, e.g. after a split) from pairwise
    evidence among them and the stored exclusions; returns image → new group id."""
    ids = sorted({int(i) for i in image_ids})
    groups = canonical_groups(pairs, ids, excluded_pairs(db, ids))
    for start in range(0, len(ids), _CHUNK):
        db.execute(
            delete(ImageDuplicateGroup).where(ImageDuplicateGroup.image_id.in_(ids[start : start + _CHUNK]))
        )
    rows = [{"image_id": i, "group_id": groups[i]} for i in ids]
    for start in range(0, len(rows), _CHUNK):
        db.execute(insert(ImageDuplicateGroup), rows[start : start + _CHUNK])
    return {i: groups[i] for i in ids}


def replace_groups(*, db: Session, pairs: Iterable[tuple[int, int]], image_ids: Iterable[int]) -> int:
    """Recompute every group from duplicate pairs (after a reindex); returns the number of groups."""
    groups = canonical_groups(pairs, image_ids, excluded_pairs(db))
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
