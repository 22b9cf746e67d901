"""Pages: /invitations — invitations to your boards' collaborators, received (accept, decline) and sent
(revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from pinhaven.boards import invitations
from pinhaven.boards.invitations_api import present
from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.web.csrf import require_csrf
from pinhaven.web.session import SignedIn, WebViewer
from pinhaven.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


@router.get("/invitations")
def invitations_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn) -> Response:
    return render(
        request,
        "social/invitations.html",
        {
            "received": present(db, invitations.received(db=db, viewer=viewer), ""),
            "sent": present(db, invitations.sent(db=db, viewer=viewer), ""),
        },
    )


@router.post("/invitations/{invitation_id}/accept")
def accept(db: DbSession, viewer: WebViewer, me: SignedIn, invitation_id: str) -> Response:
    board = invitations.accept(db=db, viewer=viewer, invitation_id=parse_id(invitation_id))
    return RedirectResponse(f"/board/{board.id}", status_code=303)


@router.post("/invitations/{invitation_id}/decline")
def decline(db: DbSession, viewer: WebViewer, me: SignedIn, invitation_id: str) -> Response:
    invitations.decline(db=db, viewer=viewer, invitation_id=parse_id(invitation_id))
    return RedirectResponse("/invitations", status_code=303)


@router.post("/invitations/{invitation_id}/revoke")
def revoke(db: DbSession, viewer: WebViewer, me: SignedIn, invitation_id: str) -> Response:
    invitations.revoke(db=db, viewer=viewer, invitation_id=parse_id(invitation_id))
    return RedirectResponse("/invitations", status_code=303)
