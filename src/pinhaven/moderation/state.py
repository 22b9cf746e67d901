"""Moderation flags carried by pins and boards (`moderation` column), read by `boards.access`.

A row is shown on public surfaces only when its flags are 0. Its owner still sees it (with a notice) unless
it was REMOVED. Flags combine: a pin hidden by a moderator whose owner is then suspended holds both bits, and
lifting the suspension leaves it hidden.
"""

from __future__ import annotations

HIDDEN = 1  # hidden from public surfaces by a moderator or an automatic signal (pending review)
SUSPENDED = 2  # its owner's account is suspended
REMOVED = 4  # removed by a moderator: nobody sees it, its media are no longer served

ROLES = ("member", "moderator", "admin")
MODERATOR_ROLES = ("moderator", "admin")


def owner_may_see(flags: int) -> bool:
    return flags < REMOVED


def describe(flags: int) -> str:
    """A word for the owner's notice."""
    if flags & REMOVED:
        return "removed"
    if flags & SUSPENDED:
        return "suspended"
    if flags & HIDDEN:
        return "hidden"
    return "visible"
