"""HTTP: /v5 user_account; /ext/v1 profiles and follows."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from pinhaven.accounts import follows, service
from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.present import present_account, present_profile, present_user_summary
from pinhaven.accounts.schemas import (
    AccountRead,
    ProfileRead,
    SessionList,
    SessionRead,
    SessionsEnded,
    UserPage,
)
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import members
from pinhaven.boards import service as boards_service
from pinhaven.boards.present import present_boards
from pinhaven.boards.schemas import BoardPage
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, CurrentViewer, DbSession, Pagination, Scopes, user_id_of, v5_scopes
from pinhaven.pins import service as pins_service
from pinhaven.pins.present import present_pins
from pinhaven.pins.schemas import PinPage
from pinhaven.timefmt import iso

router = APIRouter(tags=["accounts"])

AccountsRead = Annotated[Viewer, Depends(v5_scopes("user_accounts:read"))]


@router.get("/v5/user_account", response_model=AccountRead)
def get_user_account(db: DbSession, viewer: AccountsRead, base_url: BaseUrl) -> AccountRead:
    """The account that owns the bearer token (Pinterest v5 `user_account`): username, profile image, website,
    about, account type, and board, pin, follower and following counts. Bearer token only (no session
    cookie), with the `user_accounts:read` scope. Errors: 401 without a valid token, 403 when the token
    lacks the scope.
    """
    user = service.get_or_raise(db=db, user_id=user_id_of(viewer))
    return present_account(db=db, viewer=viewer, user=user, base_url=base_url)


# --- /ext/v1: profiles and follows (not in Pinterest v5) -------------------------------------------

ext_router = APIRouter(prefix="/ext/v1", tags=["people"])
FollowWrite = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]
SelfRead = Annotated[Viewer, Depends(Scopes("user_accounts:read"))]
SelfWrite = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]


@ext_router.get("/users/{username}", response_model=ProfileRead)
def get_profile(db: DbSession, viewer: CurrentViewer, username: str, base_url: BaseUrl) -> ProfileRead:
    """A person's public profile by username (case-insensitive): display fields, follower and following
    counts, and whether the caller follows them. Anyone may call it, signed in or not (token or session
    cookie). Board and pin counts include only what the caller may see: secret boards and their pins count
    only for their owner and collaborators. Errors: 404 for an unknown, deactivated, deleted or suspended
    account; 401 for a bad token.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    return present_profile(db=db, viewer=viewer, user=user, base_url=base_url)


@ext_router.get("/users/{username}/boards", response_model=BoardPage)
def list_user_boards(
    db: DbSession, viewer: CurrentViewer, username: str, page: Pagination, base_url: BaseUrl
) -> BoardPage:
    """The boards a person owns, newest first, paginated with `page_size` (1-250, default 25) and the signed
    `bookmark` of the previous page. Anyone may call it; secret boards are listed only to their owner and
    collaborators (a token also needs `boards:read_secret`). Errors: 404 for an unknown or inactive
    username; 400 for a bad page size or bookmark.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    result = boards_service.list_for_owner(db=db, viewer=viewer, owner_id=user.id, page=page)
    return BoardPage(
        items=present_boards(db=db, boards=result.items, base_url=base_url), bookmark=result.bookmark
    )


@ext_router.get("/users/{username}/pins", response_model=PinPage)
def list_user_pins(
    db: DbSession,
    viewer: CurrentViewer,
    username: str,
    page: Pagination,
    base_url: BaseUrl,
    kind: Annotated[Literal["all", "created", "saved"], Query()] = "all",
) -> PinPage:
    """Pins a person created or saved, newest first, paginated with `page_size` (1-250, default 25) and
    `bookmark`. `kind` narrows the list: `created` (their own pins, no saves), `saved` (repins only) or
    `all`. Anyone may call it; pins on secret boards are left out for everyone but the board's owner and
    collaborators (a token also needs `pins:read_secret`), as are pins hidden by moderation. Errors: 404
    for an unknown or inactive username; 400 for a bad `kind`, page size or bookmark.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    result = pins_service.list_for_creator(
        db=db,
        viewer=viewer,
        creator_id=user.id,
        page=page,
        exclude_repins=kind == "created",
        exclude_native=kind == "saved",
    )
    return PinPage(
        items=present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url),
        bookmark=result.bookmark,
    )


@ext_router.post("/users/{username}/follow", response_model=ProfileRead)
def follow(db: DbSession, viewer: FollowWrite, username: str, base_url: BaseUrl) -> ProfileRead:
    """Follow a person; their pins then feed the caller's home feed and they get a notification. Idempotent
    (following twice is one follow). Needs a signed-in caller with the `user_accounts:write` scope (token
    or session cookie with its CSRF token). Answers the followed person's profile. Errors: 400 when
    following yourself; 403 when either person has blocked the other, or for a missing scope or CSRF token;
    404 for an unknown or inactive username; 401 when signed out.
    """
    user = follows.follow_user(db=db, viewer=viewer, username=username)
    return present_profile(db=db, viewer=viewer, user=user, base_url=base_url)


@ext_router.delete("/users/{username}/follow", response_model=ProfileRead)
def unfollow(db: DbSession, viewer: FollowWrite, username: str, base_url: BaseUrl) -> ProfileRead:
    """Stop following a person. Idempotent: not following them already is not an error. Needs a signed-in
    caller with the `user_accounts:write` scope (token, or session cookie with its CSRF token). Answers the
    person's profile. Errors: 404 for an unknown or inactive username; 403 for a missing scope or CSRF
    token; 401 when signed out.
    """
    user = follows.unfollow_user(db=db, viewer=viewer, username=username)
    return present_profile(db=db, viewer=viewer, user=user, base_url=base_url)


@ext_router.get("/users/{username}/followers", response_model=UserPage)
def list_followers(db: DbSession, username: str, page: Pagination, base_url: BaseUrl) -> UserPage:
    """People who follow this person, most recent follower id first, paginated with `page_size` (1-250,
    default 25) and `bookmark`. Public: anyone may call it. Deactivated, deleted and suspended accounts are
    left out. Errors: 404 for an unknown or inactive username; 400 for a bad page size or bookmark.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    result = follows.list_followers(db=db, user_id=user.id, page=page)
    return UserPage(
        items=[present_user_summary(db=db, user=u, base_url=base_url) for u in result.items],
        bookmark=result.bookmark,
    )


@ext_router.get("/users/{username}/following", response_model=UserPage)
def list_following(db: DbSession, username: str, page: Pagination, base_url: BaseUrl) -> UserPage:
    """People this person follows, most recent id first, paginated with `page_size` (1-250, default 25) and
    `bookmark`. Public: anyone may call it. Deactivated, deleted and suspended accounts are left out.
    Errors: 404 for an unknown or inactive username; 400 for a bad page size or bookmark.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    result = follows.list_following(db=db, user_id=user.id, page=page)
    return UserPage(
        items=[present_user_summary(db=db, user=u, base_url=base_url) for u in result.items],
        bookmark=result.bookmark,
    )


@ext_router.get("/users/{username}/following/boards", response_model=BoardPage)
def list_followed_boards(
    db: DbSession, viewer: CurrentViewer, username: str, page: Pagination, base_url: BaseUrl
) -> BoardPage:
    """Boards this person follows, newest board first, paginated with `page_size` (1-250, default 25) and
    `bookmark`. Anyone may call it; a secret board appears only when the caller may see it (its owner or a
    collaborator; a token also needs `boards:read_secret`). Errors: 404 for an unknown or inactive
    username; 400 for a bad page size or bookmark.
    """
    user = service.get_by_username_or_raise(db=db, username=username)
    result = members.list_followed_boards(db=db, viewer=viewer, user_id=user.id, page=page)
    return BoardPage(
        items=present_boards(db=db, boards=result.items, base_url=base_url), bookmark=result.bookmark
    )


# --- /ext/v1/me/sessions: the caller's web sessions -------------------------------------------------


@ext_router.get("/me/sessions", response_model=SessionList, tags=["sessions"])
def list_sessions(request: Request, db: DbSession, viewer: SelfRead) -> SessionList:
    """The caller's live web sessions (where they are logged in), newest first, each with when it started, was
    last seen and expires, its browser's user agent, and `current` for the session making this request.
    Needs a signed-in caller with `user_accounts:read` (token or session cookie). Errors: 401 when signed
    out; 403 for a missing scope.
    """
    current = getattr(request.state, "web_session", None)
    rows = web_sessions.list_active(db=db, user_id=user_id_of(viewer))
    return SessionList(
        items=[
            SessionRead(
                id=str(row.id),
                created_at=iso(row.created_at),
                last_seen_at=iso(row.last_seen_at),
                expires_at=iso(row.expires_at),
                user_agent=row.user_agent,
                current=web_sessions.is_current(row, current),
            )
            for row in rows
        ]
    )


@ext_router.delete("/me/sessions", response_model=SessionsEnded, tags=["sessions"])
def end_all_sessions(db: DbSession, viewer: SelfWrite) -> SessionsEnded:
    """Log out everywhere: end every web session of the caller, this one included, and answer how many ended;
    API tokens stay valid (revoke them in the settings). Needs `user_accounts:write` (token, or session
    cookie with its CSRF token). Errors: 401 when signed out; 403 for a missing scope or CSRF token.
    """
    return SessionsEnded(ended=web_sessions.revoke_all(db=db, user_id=user_id_of(viewer)))


@ext_router.delete("/me/sessions/{session_id}", response_model=SessionsEnded, tags=["sessions"])
def end_session(db: DbSession, viewer: SelfWrite, session_id: str) -> SessionsEnded:
    """End one of the caller's web sessions by id (log that browser out). Needs `user_accounts:write` (token,
    or session cookie with its CSRF token). Errors: 404 for an unknown id or someone else's session; 403
    for a missing scope or CSRF token; 401 when signed out.
    """
    web_sessions.revoke(db=db, user_id=user_id_of(viewer), session_id=parse_id(session_id) or 0)
    return SessionsEnded(ended=1)
