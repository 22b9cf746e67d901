"""The whole pipeline on one page: after X happens, which jobs follow.

    pin created   → (media.process was queued by the upload if the image is new)
    image ready   → nothing yet (search/visual indexing hooks in here)
    pins deleted  → nothing yet (index removal hooks in here)

Each hook runs inside the writer's transaction, so follow-up jobs commit with the change or not at all.
Handlers live in their owning domain; `jobs/handlers.py` maps job kinds to them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def on_pin_created(*, db: Session, pin_id: int, image_id: int) -> None:
    """A pin was written (upload, URL, save, import)."""


def on_pins_deleted(*, db: Session, pin_ids: list[int]) -> None:
    """Pins were deleted (pin, section or board delete)."""


def on_image_ready(*, db: Session, image_id: int) -> None:
    """An image's variants exist."""
