"""Profiles: boards (cover + thumbnails), created pins, saved pins, followers and following; follow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pinhaven.accounts import follows
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.accounts.present import present_account
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import service as boards_service
from pinhaven.deps import DbSession
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service
from pinhaven.web.present import board_cards, people, person, pin_cards
from pinhaven.web.session import SignedIn, WebUser, WebViewer, safe_next
from pinhaven.web.templating import render_grid

router = APIRouter(prefix="/u")

GRID_PAGE = 30
BOARDS_PAGE = 24
PEOPLE_PAGE = 50
Bookmark = Annotated[str | None, Query(max_length=512)]
NextField = Annotated[str, Form(max_length=2048)]


def _profile(db: Session, viewer: Viewer, me: User | None, user: User, tab: str) -> dict[str, Any]:
    """The header every profile tab shows; counts are what this viewer may see (as in /v5)."""
    return {
        "user": user,
        "person": person(db, user),
        "account": present_account(db=db, viewer=viewer, user=user, base_url=""),
        "is_me": me is not None and me.id == user.id,
        "following": follows.is_following_user(db=db, follower_id=viewer.user_id, followee_id=user.id),
        "tab": tab,
    }


@router.get("/{username}")
def boards_tab(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: WebUser,
    username: str,
    bookmark: Bookmark = None,
    partial: int = 0,
) -> Response:
    user = accounts_service.get_by_username_or_raise(db=db, username=username)
    page = PageParams(page_size=BOARDS_PAGE, bookmark=bookmark)
    result = boards_service.list_for_owner(db=db, viewer=viewer, owner_id=user.id, page=page)
    context = _profile(db, viewer, me, user, "boards") if not partial else {}
    return render_grid(
        request,
        "profile_boards.html",
        context,
        cards=board_cards(db=db, boards=result.items),
        bookmark=result.bookmark,
        partial=bool(partial),
        partial_template="partials/board_page.html",
    )


def _pins_tab(
    request: Request,
    db: Session,
    viewer: Viewer,
    me: User | None,
    username: str,
    tab: str,
    bookmark: str | None,
    partial: bool,
) -> Response:
    user = accounts_service.get_by_username_or_raise(db=db, username=username)
    result = pins_service.list_for_creator(
        db=db,
        viewer=viewer,
        creator_id=user.id,
        page=PageParams(page_size=GRID_PAGE, bookmark=bookmark),
        exclude_repins=tab == "created",
        exclude_native=tab == "saved",
    )
    context = _profile(db, viewer, me, user, tab) if not partial else {}
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    return render_grid(
        request, "profile_pins.html", context, cards=cards, bookmark=result.bookmark, partial=partial
    )


@router.get("/{username}/created")
def created_tab(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: WebUser,
    username: str,
    bookmark: Bookmark = None,
    partial: int = 0,
) -> Response:
    """Pins the user uploaded (not saves)."""
    return _pins_tab(request, db, viewer, me, username, "created", bookmark, bool(partial))


@router.get("/{username}/saved")
def saved_tab(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: WebUser,
    username: str,
    bookmark: Bookmark = None,
    partial: int = 0,
) -> Response:
    """Pins the user saved from others."""
    return _pins_tab(request, db, viewer, me, username, "saved", bookmark, bool(partial))


def _people_tab(
    request: Request,
    db: Session,
    viewer: Viewer,
    me: User | None,
    username: str,
    tab: str,
    bookmark: str | None,
) -> Response:
    user = accounts_service.get_by_username_or_raise(db=db, username=username)
    lister = follows.list_followers if tab == "followers" else follows.list_following
    result = lister(db=db, user_id=user.id, page=PageParams(page_size=PEOPLE_PAGE, bookmark=bookmark))
    context = {**_profile(db, viewer, me, user, tab), "people": people(db, result.items)}
    return render_grid(
        request, "profile_people.html", context, cards=[], bookmark=result.bookmark, partial=False
    )


@router.get("/{username}/followers")
def followers_tab(
    request: Request, db: DbSession, viewer: WebViewer, me: WebUser, username: str, bookmark: Bookmark = None
) -> Response:
    return _people_tab(request, db, viewer, me, username, "followers", bookmark)


@router.get("/{username}/following")
def following_tab(
    request: Request, db: DbSession, viewer: WebViewer, me: WebUser, username: str, bookmark: Bookmark = None
) -> Response:
    return _people_tab(request, db, viewer, me, username, "following", bookmark)


@router.post("/{username}/follow")
def follow(db: DbSession, viewer: WebViewer, me: SignedIn, username: str, next: NextField = "") -> Response:
    user = follows.follow_user(db=db, viewer=viewer, username=username)
    return RedirectResponse(safe_next(next, f"/u/{user.username}"), status_code=303)


@router.post("/{username}/unfollow")
def unfollow(db: DbSession, viewer: WebViewer, me: SignedIn, username: str, next: NextField = "") -> Response:
    user = follows.unfollow_user(db=db, viewer=viewer, username=username)
    return RedirectResponse(safe_next(next, f"/u/{user.username}"), status_code=303)
