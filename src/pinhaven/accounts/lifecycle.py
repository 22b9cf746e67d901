"""Account lifecycle: deactivate (hidden, reversible), reactivate, delete (hidden at once, erased by a job).

Hiding: the account's boards take the privacy `HIDDEN_<original>` (see `boards.access.HIDDEN_PREFIX`), so
every surface that honours board privacy (pages, API, feeds, the graph, text and visual search, media URLs,
counts) stops showing them, to their collaborators too, through the machinery a privacy change already
runs (search documents re-indexed, graph updated, save counts recounted, cached pages dropped). The
profile, follower and collaborator lists leave the person out (`accounts.service.is_active`). Sessions end
and API tokens stop working while the account is inactive.

Deactivation keeps everything: logging in again (or `pinhaven users reactivate`) restores the boards'
privacy. Follower counts are left as they are while deactivated (the person comes back to them).

Deletion needs the password, marks the account deleted, hides it as above, revokes its tokens, deletes the
pins it added to other people's boards, and queues the `accounts.erase` job (accounts/erasure.py), which
removes everything else within the job queue's retry bound. Other people's saves of the person's pins stay
theirs (see erasure.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pinhaven.accounts.lifecycle_models import DELETION_PENDING, AccountDeletion
from pinhaven.accounts.models import ApiToken, User
from pinhaven.accounts.passwords import verify_password
from pinhaven.accounts.token_cache import GENERATION as TOKENS_GENERATION
from pinhaven.boards.access import HIDDEN_PREFIX
from pinhaven.boards.models import Board
from pinhaven.cache import bump_on_commit
from pinhaven.db.base import utcnow
from pinhaven.errors import Forbidden, InvalidInput
from pinhaven.jobs.service import enqueue
from pinhaven.pins.models import Pin

log = logging.getLogger("pinhaven.accounts.lifecycle")

ERASE_JOB = "accounts.erase"
ERASE_ATTEMPTS = 10  # more than the default: an erasure must not give up on a passing outage


def subject_hash(*, secret_key: str, user_id: int) -> str:
    """What the deletion log keeps of the account: an HMAC of its id (checkable, not reversible)."""
    return hmac.new(secret_key.encode(), f"account:{user_id}".encode(), hashlib.sha256).hexdigest()


def deactivate(*, db: Session, user: User) -> None:
    """Hide the account and everything it shows; reversible by logging in again."""
    if user.deleted_at is not None:
        raise InvalidInput("this account is being deleted")
    if user.deactivated_at is not None:
        return
    user.deactivated_at = utcnow()
    _end_access(db, user)
    set_boards_hidden(db=db, owner_id=user.id, hidden=True)
    db.flush()


def reactivate(*, db: Session, user: User) -> None:
    """Show a deactivated account again (logging in does this); a deleted account cannot come back."""
    if user.deleted_at is not None:
        raise InvalidInput("this account was deleted")
    if user.deactivated_at is None:
        return
    user.deactivated_at = None
    set_boards_hidden(db=db, owner_id=user.id, hidden=False)
    bump_on_commit(db, [TOKENS_GENERATION])  # its tokens work again: drop cached refusals
    db.flush()


def request_deletion(*, db: Session, user: User, password: str, secret_key: str) -> AccountDeletion:
    """Delete the account after re-checking its password: hidden at once, erased by the queued job.

    Idempotent for an account already being deleted (its pending request is returned).
    """
    if not password:
        raise InvalidInput("enter your password to confirm", field="password")
    if not verify_password(user.password_hash, password):
        raise Forbidden("The password is not correct.")
    if user.deleted_at is not None:
        pending = db.scalar(select(AccountDeletion).where(AccountDeletion.user_id == user.id))
        if pending is not None:
            return pending
    return mark_deleted(db=db, user=user, secret_key=secret_key)


def mark_deleted(*, db: Session, user: User, secret_key: str) -> AccountDeletion:
    """The deletion itself, for callers that confirmed it (the API and page check the password; the CLI
    asks its operator): everything the account shows disappears in this transaction."""
    user.deleted_at = utcnow()
    _end_access(db, user)
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    set_boards_hidden(db=db, owner_id=user.id, hidden=True)
    # Pins the person added to other people's boards sit on boards that stay visible: they go now.
    from pinhaven.pins.service import delete_pins

    elsewhere = list(
        db.scalars(
            select(Pin.id)
            .join(Board, Board.id == Pin.board_id)
            .where(Pin.creator_id == user.id, Board.owner_id != user.id)
        )
    )
    images = sorted(set(db.scalars(select(Pin.image_id).where(Pin.id.in_(elsewhere))))) if elsewhere else []
    delete_pins(db=db, pin_ids=elsewhere)
    deletion = AccountDeletion(
        user_id=user.id,
        subject_hash=subject_hash(secret_key=secret_key, user_id=user.id),
        status=DELETION_PENDING,
        counts={"pins_elsewhere": len(elsewhere), "images_to_check": [str(i) for i in images]},
    )
    db.add(deletion)
    db.flush()
    enqueue(db=db, kind=ERASE_JOB, payload={"deletion_id": str(deletion.id)}, max_attempts=ERASE_ATTEMPTS)
    log.info("account deletion requested: subject %s", deletion.subject_hash[:16])
    return deletion


def set_boards_hidden(*, db: Session, owner_id: int, hidden: bool) -> int:
    """Put the owner's boards behind (or back out of) the hidden privacy; the number of boards changed.

    Each change runs what a privacy change runs: the pins' search documents are re-indexed, the graph
    drops (or takes back) the board's pins, the save counts of pins saved onto the board are recounted,
    and cached pages of the board die.
    """
    from pinhaven.boards.service import note_board_content_changed, recount_saves_from_board
    from pinhaven.jobs import pipeline

    changed = 0
    for board in list(db.scalars(select(Board).where(Board.owner_id == owner_id))):
        is_hidden = board.privacy.startswith(HIDDEN_PREFIX)
        if is_hidden == hidden:
            continue
        board.privacy = HIDDEN_PREFIX + board.privacy if hidden else board.privacy[len(HIDDEN_PREFIX) :]
        db.flush()
        recount_saves_from_board(db=db, board_id=board.id)
        note_board_content_changed(db=db, board_ids=[board.id])
        pipeline.on_board_changed(db=db, board_id=board.id, changes=("privacy",))
        changed += 1
    return changed


def _end_access(db: Session, user: User) -> None:
    """End every web session and make cached bearer tokens re-check the account."""
    from pinhaven.accounts import sessions

    user.session_version += 1
    db.flush()
    sessions.revoke_all(db=db, user_id=user.id)
    bump_on_commit(db, [TOKENS_GENERATION])
