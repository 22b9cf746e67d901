"""Undoing wrong duplicate merges: "not the same picture" from a pin's owner, and splitting one group.

    mark_not_same(...)   an owner of a pin says another pin the owner may see is a different picture: the
                         image pair is excluded for good (finder, assign_group, reindex/--groups-only) and
                         the group holding both is recomputed at once
    split_group(...)     recompute one group from its members' pairwise evidence (hashes, vectors, layouts)
                         and the stored exclusions; no other group and no vector is touched

Privacy: the other pin must be visible to the caller (else 404, the same answer as a pin that does not
exist), and the caller must be allowed to edit their own pin (its creator or its board's owner).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin, access_pin_for_edit
from pinhaven.errors import InvalidInput
from pinhaven.search.visual.groups import (
    add_exclusion,
    excluded_pairs,
    group_ids,
    group_members,
    regroup_images,
)
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import VisualService, stored_hashes

__all__ = ["mark_not_same", "split_group"]


def split_group(*, db: Session, service: VisualService, group_id: int) -> dict[int, int]:
    """Recompute one duplicate group from the evidence between its own members; image → new group id."""
    members = group_members(db, group_id)
    if len(members) < 2:
        return {i: i for i in members}
    rows = db.execute(
        select(
            ImageEmbedding.image_id,
            ImageEmbedding.phash,
            ImageEmbedding.dhash,
            ImageEmbedding.flatness,
            ImageEmbedding.layout,
        ).where(ImageEmbedding.model_id == service.model_id, ImageEmbedding.image_id.in_(members))
    ).all()
    for a, b in excluded_pairs(db, members):
        service.duplicates.exclude_pair(a, b)
    inside = set(members)
    vectors = service.index.vectors(members)
    scored = []
    for image_id, phash, dhash, flat, layout in rows:
        for match in service.duplicates.find(
            stored_hashes(phash, dhash, flat, layout), vectors.get(int(image_id)), query_id=int(image_id)
        ):
            if match.id in inside:
                scored.append((match.cosine if match.cosine is not None else 1.0, int(image_id), match.id))
    scored.sort(key=lambda t: -t[0])  # strongest evidence first
    return regroup_images(db=db, image_ids=members, pairs=[(a, b) for _, a, b in scored])


def mark_not_same(
    *, db: Session, service: VisualService, viewer: Viewer, pin_id: int | None, other_pin_id: int | None
) -> bool:
    """Record that the pin's picture and the other pin's are different; returns whether the two images
    are now in different groups (always, unless both pins show the very same stored image)."""
    other = access_pin(db=db, viewer=viewer, pin_id=other_pin_id)  # 404 before 403: no existence leak
    pin = access_pin_for_edit(db=db, viewer=viewer, pin_id=pin_id)
    if pin.image_id == other.image_id:
        raise InvalidInput(
            "Both pins show the same stored image: they cannot be told apart.", field="other_id"
        )
    add_exclusion(db=db, image_a=pin.image_id, image_b=other.image_id, user_id=viewer.user_id)
    service.duplicates.exclude_pair(pin.image_id, other.image_id)
    groups = group_ids(db, [pin.image_id, other.image_id])
    if groups[pin.image_id] == groups[other.image_id]:
        split_group(db=db, service=service, group_id=groups[pin.image_id])
    db.flush()
    after = group_ids(db, [pin.image_id, other.image_id])
    return after[pin.image_id] != after[other.image_id]
