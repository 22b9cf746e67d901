"""Board collaborator invitations: the owner invites (pending), the invitee accepts (then collaborates) or
declines, the owner revokes a pending one. The invitee is notified in the app and, if they want, mailed at once;
the owner hears when it is accepted.

An invitation shows its board's name to the invitee even when the board is secret (the owner chose them), and
nothing more until they accept.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.boards.access import access_board_as_owner
from pinhaven.boards.members import MAX_COLLABORATORS, _bump
from pinhaven.boards.models import Board, BoardCollaborator, BoardInvitation
from pinhaven.db.base import utcnow
from pinhaven.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

PENDING, ACCEPTED, DECLINED, REVOKED = "pending", "accepted", "declined", "revoked"


def _me(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to manage invitations.")
    return viewer.user_id


def invite(*, db: Session, viewer: Viewer, board_id: int | None, username: str) -> BoardInvitation:
    """The owner invites someone to collaborate (a pending invitation; 409 when already in or invited)."""
    from pinhaven.messages.blocks import blocked_between
    from pinhaven.notifications import mail
    from pinhaven.notifications import service as notifications

    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    user = get_by_username_or_raise(db=db, username=username)
    if user.id == board.owner_id:
        raise InvalidInput("the owner is already on the board", field="username")
    if blocked_between(db, board.owner_id, user.id):
        raise Forbidden("You cannot invite this person.")
    if db.get(BoardCollaborator, (board.id, user.id)) is not None:
        raise Conflict(f"{user.username} already collaborates on this board.")
    pending = db.scalar(
        select(func.count())
        .select_from(BoardInvitation)
        .where(BoardInvitation.board_id == board.id, BoardInvitation.status == PENDING)
    )
    if board.collaborator_count + int(pending or 0) >= MAX_COLLABORATORS:
        raise Conflict(f"A board can have at most {MAX_COLLABORATORS} collaborators.")
    invitation = db.scalar(
        select(BoardInvitation).where(
            BoardInvitation.board_id == board.id, BoardInvitation.invitee_id == user.id
        )
    )
    if invitation is not None and invitation.status == PENDING:
        raise Conflict(f"{user.username} is already invited to this board.")
    if invitation is None:
        invitation = BoardInvitation(board_id=board.id, inviter_id=board.owner_id, invitee_id=user.id)
        db.add(invitation)
    else:  # declined, revoked or left: invite again
        invitation.status = PENDING
        invitation.inviter_id = board.owner_id
        invitation.created_at = utcnow()
        invitation.responded_at = None
    db.flush()
    notifications.notify(
        db,
        recipient_id=user.id,
        actor_id=board.owner_id,
        type="invite",
        object_type="invitation",
        object_id=invitation.id,
        aggregate=False,
    )
    if notifications.email_enabled(db, user.id, "invite"):
        mail.queue_invite_mail(db, invitation.id)
    return invitation


def _mine(db: Session, viewer: Viewer, invitation_id: int | None) -> BoardInvitation:
    me = _me(viewer)
    invitation = db.get(BoardInvitation, invitation_id) if invitation_id is not None else None
    if invitation is None or invitation.invitee_id != me or invitation.status != PENDING:
        raise NotFound("Invitation not found.")
    return invitation


def accept(*, db: Session, viewer: Viewer, invitation_id: int | None) -> Board:
    """The invitee joins the board as a collaborator; the owner is told."""
    from pinhaven.notifications import service as notifications

    invitation = _mine(db, viewer, invitation_id)
    board = db.get(Board, invitation.board_id)
    if board is None:
        raise NotFound("Invitation not found.")
    invitation.status = ACCEPTED
    invitation.responded_at = utcnow()
    if db.get(BoardCollaborator, (board.id, invitation.invitee_id)) is None:
        db.add(BoardCollaborator(board_id=board.id, user_id=invitation.invitee_id))
        db.flush()
        _bump(db, board.id, collaborator_delta=1)
    notifications.notify(
        db,
        recipient_id=board.owner_id,
        actor_id=invitation.invitee_id,
        type="invite",
        object_type="board",
        object_id=board.id,
        board_id=board.id,
        aggregate=False,
    )
    board = db.get(Board, invitation.board_id)
    assert board is not None
    return board


def decline(*, db: Session, viewer: Viewer, invitation_id: int | None) -> None:
    invitation = _mine(db, viewer, invitation_id)
    invitation.status = DECLINED
    invitation.responded_at = utcnow()
    db.flush()


def revoke(*, db: Session, viewer: Viewer, invitation_id: int | None) -> None:
    """The board's owner takes back a pending invitation."""
    me = _me(viewer)
    invitation = db.get(BoardInvitation, invitation_id) if invitation_id is not None else None
    if invitation is None:
        raise NotFound("Invitation not found.")
    board = access_board_as_owner(db=db, viewer=viewer, board_id=invitation.board_id)
    if board.owner_id != me or invitation.status != PENDING:
        raise NotFound("Invitation not found.")
    invitation.status = REVOKED
    invitation.responded_at = utcnow()
    db.flush()


def received(*, db: Session, viewer: Viewer) -> list[BoardInvitation]:
    me = _me(viewer)
    query = (
        select(BoardInvitation)
        .where(BoardInvitation.invitee_id == me, BoardInvitation.status == PENDING)
        .order_by(BoardInvitation.created_at.desc())
    )
    return list(db.scalars(query))


def sent(*, db: Session, viewer: Viewer, board_id: int | None = None) -> list[BoardInvitation]:
    """Pending invitations to boards the viewer owns (one board's when `board_id` is given)."""
    me = _me(viewer)
    query = (
        select(BoardInvitation)
        .join(Board, Board.id == BoardInvitation.board_id)
        .where(Board.owner_id == me, BoardInvitation.status == PENDING)
    )
    if board_id is not None:
        access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
        query = query.where(BoardInvitation.board_id == board_id)
    return list(db.scalars(query.order_by(BoardInvitation.created_at.desc())))


def people_and_boards(
    db: Session, invitations: list[BoardInvitation]
) -> tuple[dict[int, User], dict[int, Board]]:
    user_ids = {i.invitee_id for i in invitations} | {i.inviter_id for i in invitations}
    board_ids = {i.board_id for i in invitations}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(user_ids))))} if user_ids else {}
    boards = (
        {b.id: b for b in db.scalars(select(Board).where(Board.id.in_(list(board_ids))))} if board_ids else {}
    )
    return users, boards
