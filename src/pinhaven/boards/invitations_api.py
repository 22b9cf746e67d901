"""HTTP: /ext/v1 board invitations (inviting a collaborator creates one; the invitee accepts or declines)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pinhaven.accounts.present import present_user_summary
from pinhaven.accounts.schemas import UserSummary
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import invitations
from pinhaven.boards.models import BoardInvitation
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, DbSession, Scopes
from pinhaven.timefmt import iso

router = APIRouter(prefix="/ext/v1", tags=["boards"])

Reader = Annotated[Viewer, Depends(Scopes("boards:read"))]
Writer = Annotated[Viewer, Depends(Scopes("boards:read", "boards:write"))]


class InvitationRead(BaseModel):
    id: str
    status: str  # pending | accepted | declined | revoked
    board_id: str
    board_name: str
    username: str  # the invitee
    invitee: UserSummary
    inviter: UserSummary
    created_at: str


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    bookmark: str | None = None


def present(db: Session, items: list[BoardInvitation], base_url: str) -> list[InvitationRead]:
    users, boards = invitations.people_and_boards(db, items)
    return [
        InvitationRead(
            id=str(i.id),
            status=i.status,
            board_id=str(i.board_id),
            board_name=boards[i.board_id].name,
            username=users[i.invitee_id].username,
            invitee=present_user_summary(db=db, user=users[i.invitee_id], base_url=base_url),
            inviter=present_user_summary(db=db, user=users[i.inviter_id], base_url=base_url),
            created_at=iso(i.created_at),
        )
        for i in items
        if i.board_id in boards
    ]


@router.get("/boards/{board_id}/invitations", response_model=InvitationPage)
def board_invitations(db: DbSession, viewer: Reader, board_id: str, base_url: BaseUrl) -> InvitationPage:
    """The pending collaborator invitations of one board, newest first, in one page (no bookmark). Only the
    board's owner may call it, with the `boards:read` scope (token or session cookie). Errors: 404 for an
    unknown board or a secret one the caller may not see; 403 for someone other than the owner or a missing
    scope; 401 when signed out.
    """
    items = invitations.sent(db=db, viewer=viewer, board_id=parse_id(board_id))
    return InvitationPage(items=present(db, items, base_url))


@router.get("/invitations", response_model=InvitationPage)
def my_invitations(db: DbSession, viewer: Reader, base_url: BaseUrl) -> InvitationPage:
    """The caller's pending invitations to collaborate on other people's boards, newest first, in one page (no
    bookmark). Each names its board even when the board is secret (its owner chose to invite the caller),
    and nothing more of it until accepted. Needs a signed-in caller with the `boards:read` scope (token or
    session cookie). Errors: 401 when signed out; 403 for a missing scope.
    """
    return InvitationPage(items=present(db, invitations.received(db=db, viewer=viewer), base_url))


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationRead)
def accept(db: DbSession, viewer: Writer, invitation_id: str, base_url: BaseUrl) -> InvitationRead:
    """Accept a pending invitation addressed to the caller: they become a collaborator on the board (may add
    pins and see it if it is secret) and the owner is notified. Needs the `boards:read` and `boards:write`
    scopes (token, or session cookie with its CSRF token). Answers the invitation, now accepted. Errors:
    404 for an unknown invitation, one addressed to someone else, or one no longer pending; 403 for a
    missing scope or CSRF token; 401 when signed out.
    """
    item_id = parse_id(invitation_id)
    invitations.accept(db=db, viewer=viewer, invitation_id=item_id)
    invitation = db.get(BoardInvitation, item_id)
    assert invitation is not None
    return present(db, [invitation], base_url)[0]


@router.post("/invitations/{invitation_id}/decline", status_code=204, response_class=Response)
def decline(db: DbSession, viewer: Writer, invitation_id: str) -> Response:
    """Decline a pending invitation addressed to the caller; the owner may invite them again later. Needs the
    `boards:read` and `boards:write` scopes (token, or session cookie with its CSRF token). Answers 204.
    Errors: 404 for an unknown invitation, one addressed to someone else, or one no longer pending; 403 for
    a missing scope or CSRF token; 401 when signed out.
    """
    invitations.decline(db=db, viewer=viewer, invitation_id=parse_id(invitation_id))
    return Response(status_code=204)


@router.delete("/invitations/{invitation_id}", status_code=204, response_class=Response)
def revoke(db: DbSession, viewer: Writer, invitation_id: str) -> Response:
    """The board's owner takes back a pending invitation before it is answered. Needs the `boards:read` and
    `boards:write` scopes (token, or session cookie with its CSRF token). Answers 204. Errors: 404 for an
    unknown invitation or one no longer pending; 403 for someone other than the board's owner or a missing
    scope; 401 when signed out.
    """
    invitations.revoke(db=db, viewer=viewer, invitation_id=parse_id(invitation_id))
    return Response(status_code=204)
