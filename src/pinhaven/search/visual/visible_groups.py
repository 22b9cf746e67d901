"""Duplicate-group ids as a viewer may be told them.

A group's stored id is its oldest image's id. Shown as is, the id of a group that also holds someone's
secret picture is that picture's image id: it tells the viewer that an older copy exists and where. So
every id shown to a viewer is the oldest image of the group among the images the viewer may see a pin of
(the viewer's own pin's image at least): the same id for everyone who sees the same pins, and it changes
only when what the viewer may see changes.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pin_ids
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import group_pin_ids

__all__ = ["visible_group_id"]


def visible_group_id(db: Session, viewer: Viewer, image_id: int) -> int:
    """The group id of `image_id` (an image of a pin the viewer may see) as that viewer is told it."""
    visible = visible_pin_ids(db=db, viewer=viewer, pin_ids=group_pin_ids(db, image_id))
    if not visible:
        return image_id
    oldest = db.scalar(select(func.min(Pin.image_id)).where(Pin.id.in_(sorted(visible))))
    return min(int(oldest), image_id) if oldest is not None else image_id
