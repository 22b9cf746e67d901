"""Instance settings an admin changes at run time (stored in `instance_settings`), and invite codes.

    signup               open | closed | invite   (invite: closed unless a code an admin created is given)
    default_board_privacy PUBLIC | SECRET        (preselected for new boards on the web pages and the API)
    anonymous_browsing   bool                     (false: signed-out visitors are sent to log in; the API 401s)
    spam_threshold       0..1                     (automatic signals at or above it hide content pending review)
    nudity_threshold     0..1
    flood_threshold      0..1

Reads are cached per process for `CACHE_SECONDS` (the anonymous-browsing gate runs on every request); a
change is seen at once by the process that made it and within that time by the others.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.errors import Forbidden, InvalidInput
from pinhaven.moderation.models import InstanceSetting, InviteCode

__all__ = [
    "InstanceSettings",
    "cached",
    "check_signup",
    "create_invite",
    "forget_cached",
    "fresh",
    "get",
    "list_invites",
    "update",
]

CACHE_SECONDS = 5.0
SIGNUP_MODES = ("open", "closed", "invite")
_CACHE_KEY = "moderation.instance_settings"


@dataclass(frozen=True)
class InstanceSettings:
    signup: str = "open"
    default_board_privacy: str = "PUBLIC"
    anonymous_browsing: bool = True
    spam_threshold: float = 0.8
    nudity_threshold: float = 0.8
    flood_threshold: float = 0.9

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _checked(name: str, value: Any) -> Any:
    if name == "signup":
        if value not in SIGNUP_MODES:
            raise InvalidInput(f"must be one of {', '.join(SIGNUP_MODES)}", field=name)
        return value
    if name == "default_board_privacy":
        if value not in ("PUBLIC", "SECRET"):
            raise InvalidInput("must be PUBLIC or SECRET", field=name)
        return value
    if name == "anonymous_browsing":
        if not isinstance(value, bool):
            raise InvalidInput("must be true or false", field=name)
        return value
    if name.endswith("_threshold"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise InvalidInput("must be a number from 0 to 1", field=name)
        return float(value)
    raise InvalidInput("is not an instance setting", field=name)


def get(*, db: Session) -> InstanceSettings:
    """The settings as stored (defaults for keys never set; unknown or invalid stored values are ignored)."""
    known = {f.name for f in fields(InstanceSettings)}
    values: dict[str, Any] = {}
    for key, value in db.execute(select(InstanceSetting.key, InstanceSetting.value)):
        if key in known:
            try:
                values[key] = _checked(key, value)
            except InvalidInput:
                continue
    return InstanceSettings(**values)


def update(*, db: Session, changes: dict[str, Any]) -> InstanceSettings:
    """Validate and store `changes` (admins only: the caller checks the role); returns the new settings."""
    checked = {name: _checked(name, value) for name, value in changes.items()}
    for name, value in checked.items():
        row = db.get(InstanceSetting, name)
        if row is None:
            db.add(InstanceSetting(key=name, value=value, updated_at=utcnow()))
        else:
            row.value = value
            row.updated_at = utcnow()
    db.flush()
    return replace(get(db=db), **checked)


def fresh(services: dict[str, Any]) -> InstanceSettings | None:
    """The cached settings while still fresh, else None (no I/O: safe on the event loop)."""
    entry = services.get(_CACHE_KEY)
    if entry is not None and entry[0] > time.monotonic():
        value: InstanceSettings = entry[1]
        return value
    return None


def cached(services: dict[str, Any], sessions: Any) -> InstanceSettings:
    """The settings, read at most once per CACHE_SECONDS per process (`services`: AppContext.services)."""
    entry = services.get(_CACHE_KEY)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        value: InstanceSettings = entry[1]
        return value
    with sessions() as db:
        value = get(db=db)
    services[_CACHE_KEY] = (now + CACHE_SECONDS, value)
    return value


def forget_cached(services: dict[str, Any]) -> None:
    services.pop(_CACHE_KEY, None)


def create_invite(*, db: Session, created_by: int | None) -> InviteCode:
    invite = InviteCode(code=secrets.token_urlsafe(12), created_by=created_by, created_at=utcnow())
    db.add(invite)
    db.flush()
    return invite


def list_invites(*, db: Session, limit: int = 100) -> list[InviteCode]:
    return list(db.scalars(select(InviteCode).order_by(InviteCode.created_at.desc()).limit(limit)))


def check_signup(*, db: Session, settings: InstanceSettings, invite_code: str | None) -> InviteCode | None:
    """Raise Forbidden unless sign-up is open, or invite-only and `invite_code` is an unused code.

    Returns the invite to mark used (`use_invite`) once the account exists.
    """
    if settings.signup == "open":
        return None
    if settings.signup == "closed":
        raise Forbidden("Sign-up is closed on this instance.")
    code = (invite_code or "").strip()
    invite = db.get(InviteCode, code) if code and len(code) <= 64 else None
    if invite is None or invite.used_at is not None:
        raise Forbidden("Sign-up on this instance needs a valid invite code.")
    return invite


def use_invite(*, db: Session, invite: InviteCode | None, user_id: int) -> None:
    if invite is None:
        return
    invite.used_by = user_id
    invite.used_at = utcnow()
    db.flush()
