"""Board pages: the grid with section tabs; edit, sections, collaborators, follow, delete (confirmed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import invitations, members
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import PUBLIC, access_board_as_owner
from pinhaven.boards.models import Board
from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.errors import PinhavenError
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service
from pinhaven.text_rules import check_paragraph
from pinhaven.web.forms import checked, optional_id
from pinhaven.web.present import people, person, pin_cards
from pinhaven.web.session import SignedIn, WebUser, WebViewer
from pinhaven.web.templating import render, render_grid

router = APIRouter()

GRID_PAGE = 30
Field = Annotated[str, Form(max_length=4096), AfterValidator(check_paragraph)]
ALL = PageParams(page_size=250)


def _board_context(db: Session, viewer: Viewer, me: User | None, board: Board) -> dict[str, Any]:
    owner = accounts_service.get_or_raise(db=db, user_id=board.owner_id)
    collaborators = members.list_collaborators(db=db, viewer=viewer, board_id=board.id)
    return {
        "board": board,
        "secret": board.privacy != PUBLIC,
        "owner": person(db, owner),
        "collaborators": people(db, collaborators),
        "sections": boards_service.list_sections(db=db, viewer=viewer, board_id=board.id, page=ALL).items,
        "is_owner": me is not None and me.id == board.owner_id,
        "is_member": me is not None
        and (me.id == board.owner_id or any(c.id == me.id for c in collaborators)),
        "following": members.is_following_board(db=db, user_id=viewer.user_id, board_id=board.id),
    }


@router.get("/board/{board_id}")
def board_page(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: WebUser,
    board_id: str,
    section: str | None = None,
    bookmark: Annotated[str | None, Query(max_length=512)] = None,
    partial: int = 0,
) -> Response:
    board = boards_service.get_visible(db=db, viewer=viewer, board_id=parse_id(board_id))
    section_id = optional_id(section, field="section")
    page = PageParams(page_size=GRID_PAGE, bookmark=bookmark)
    result = pins_service.list_for_board(
        db=db, viewer=viewer, board_id=board.id, page=page, section_id=section_id
    )
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    context = _board_context(db, viewer, me, board) if not partial else {}
    context["section_id"] = str(section_id) if section_id else None
    return render_grid(
        request, "board.html", context, cards=cards, bookmark=result.bookmark, partial=bool(partial)
    )


@router.get("/boards/new")
def new_board_page(request: Request, db: DbSession, me: SignedIn) -> Response:
    from pinhaven.moderation import instance  # the instance's default privacy, preselected

    secret = instance.get(db=db).default_board_privacy == "SECRET"
    return render(request, "board_new.html", {"form": {"secret": secret}})


@router.post("/boards")
def create_board(
    request: Request,
    db: DbSession,
    me: SignedIn,
    name: Field = "",
    description: Field = "",
    secret: Field = "",
) -> Response:
    try:
        privacy = "SECRET" if checked(secret) else PUBLIC
        board = boards_service.create(
            db=db, owner_id=me.id, name=name, description=description.strip() or None, privacy=privacy
        )
    except PinhavenError as exc:
        db.rollback()
        form = {"name": name, "description": description, "secret": checked(secret)}
        return render(request, "board_new.html", {"form": form, "error": exc.message}, status=exc.status)
    return RedirectResponse(f"/board/{board.id}", status_code=303)


def _edit_page(
    request: Request,
    db: Session,
    viewer: Viewer,
    me: User,
    board_id: int | None,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    return render(
        request, "board_edit.html", {**_board_context(db, viewer, me, board), **extra}, status=status
    )


@router.get("/board/{board_id}/edit")
def edit_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str) -> Response:
    return _edit_page(request, db, viewer, me, parse_id(board_id))


def _owner_action(
    request: Request, db: Session, viewer: Viewer, me: User, board_id: str, action: Any
) -> Response:
    """Run one owner change; on a refused change show the edit page again with the reason."""
    board = access_board_as_owner(db=db, viewer=viewer, board_id=parse_id(board_id))
    try:
        action(board.id)
    except PinhavenError as exc:
        db.rollback()
        return _edit_page(request, db, viewer, me, board.id, status=exc.status, error=exc.message)
    return RedirectResponse(f"/board/{board.id}/edit?done=1", status_code=303)


@router.post("/board/{board_id}/edit")
def edit_board(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    board_id: str,
    name: Field = "",
    description: Field = "",
    secret: Field = "",
) -> Response:
    def change(bid: int) -> None:
        boards_service.update(
            db=db,
            viewer=viewer,
            board_id=bid,
            name=name,
            description=description.strip() or None,
            description_set=True,
            privacy="SECRET" if checked(secret) else PUBLIC,
        )

    return _owner_action(request, db, viewer, me, board_id, change)


@router.post("/board/{board_id}/sections")
def add_section(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str, name: Field = ""
) -> Response:
    return _owner_action(
        request,
        db,
        viewer,
        me,
        board_id,
        lambda bid: boards_service.create_section(db=db, viewer=viewer, board_id=bid, name=name),
    )


@router.post("/board/{board_id}/sections/{section_id}/rename")
def rename_section(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    board_id: str,
    section_id: str,
    name: Field = "",
) -> Response:
    return _owner_action(
        request,
        db,
        viewer,
        me,
        board_id,
        lambda bid: boards_service.update_section(
            db=db, viewer=viewer, board_id=bid, section_id=parse_id(section_id), name=name
        ),
    )


@router.post("/board/{board_id}/sections/{section_id}/delete")
def delete_section(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str, section_id: str
) -> Response:
    return _owner_action(
        request,
        db,
        viewer,
        me,
        board_id,
        lambda bid: boards_service.delete_section(
            db=db, viewer=viewer, board_id=bid, section_id=parse_id(section_id)
        ),
    )


@router.post("/board/{board_id}/collaborators")
def add_collaborator(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str, username: Field = ""
) -> Response:
    return _owner_action(
        request,
        db,
        viewer,
        me,
        board_id,
        lambda bid: invitations.invite(  # a pending invitation: they join when they accept
            db=db, viewer=viewer, board_id=bid, username=username.strip().lstrip("@")
        ),
    )


@router.post("/board/{board_id}/collaborators/{username}/remove")
def remove_collaborator(
    db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str, username: str
) -> Response:
    """The owner removes someone, or a collaborator leaves (then back to the board, or home if secret)."""
    bid = parse_id(board_id)
    members.remove_collaborator(db=db, viewer=viewer, board_id=bid, username=username)
    if username.lower() == me.username.lower():
        return RedirectResponse(f"/u/{me.username}", status_code=303)
    return RedirectResponse(f"/board/{bid}/edit?done=1", status_code=303)


@router.post("/board/{board_id}/follow")
def follow_board(db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str) -> Response:
    board = members.follow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return RedirectResponse(f"/board/{board.id}", status_code=303)


@router.post("/board/{board_id}/unfollow")
def unfollow_board(db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str) -> Response:
    board = members.unfollow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return RedirectResponse(f"/board/{board.id}", status_code=303)


@router.get("/board/{board_id}/delete")
def delete_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str) -> Response:
    board = access_board_as_owner(db=db, viewer=viewer, board_id=parse_id(board_id))
    return render(request, "board_delete.html", {"board": board})


@router.post("/board/{board_id}/delete")
def delete_board(db: DbSession, viewer: WebViewer, me: SignedIn, board_id: str) -> Response:
    boards_service.delete_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return RedirectResponse(f"/u/{me.username}", status_code=303)
