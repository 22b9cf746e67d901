"""HTTP: /v5 boards and sections (Pinterest API v5); /ext/v1 board follows and collaborators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from pinhaven.accounts.present import present_user_summary
from pinhaven.accounts.schemas import UserPage
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import invitations, members, service
from pinhaven.boards.access import is_member
from pinhaven.boards.invitations_api import InvitationRead
from pinhaven.boards.invitations_api import present as present_invitations
from pinhaven.boards.present import present_board, present_boards, present_section
from pinhaven.boards.schemas import (
    BoardCreate,
    BoardDetail,
    BoardPage,
    BoardRead,
    BoardUpdate,
    CollaboratorAdd,
    SectionPage,
    SectionRead,
    SectionWrite,
)
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, CurrentViewer, DbSession, Pagination, Scopes, user_id_of, v5_scopes
from pinhaven.errors import NotFound
from pinhaven.moderation import instance

router = APIRouter(prefix="/v5", tags=["boards"])

BoardsRead = Annotated[Viewer, Depends(v5_scopes("boards:read"))]
BoardsWrite = Annotated[Viewer, Depends(v5_scopes("boards:read", "boards:write"))]
PrivacyFilter = Literal["ALL", "PROTECTED", "PUBLIC", "SECRET", "PUBLIC_AND_SECRET"]


@router.get("/boards", response_model=BoardPage)
def list_boards(
    db: DbSession,
    viewer: BoardsRead,
    page: Pagination,
    base_url: BaseUrl,
    privacy: PrivacyFilter | None = None,
) -> BoardPage:
    """The token user's own boards (Pinterest v5 `GET /boards`; secret ones only when the token holds
    `boards:read_secret`), newest first, paginated with `page_size` (1-250, default 25) and the signed
    `bookmark` of the previous page. `privacy` narrows the list (`PUBLIC`, `SECRET`, `PROTECTED`,
    `PUBLIC_AND_SECRET`; `ALL` or none for every board). Bearer token only, with the `boards:read` scope.
    Errors: 401 without a valid token; 403 when it lacks the scope; 400 for a bad filter, page size or
    bookmark.
    """
    result = service.list_for_owner(
        db=db,
        viewer=viewer,
        owner_id=user_id_of(viewer),
        page=page,
        privacy=None if privacy == "ALL" else privacy,
    )
    return BoardPage(
        items=present_boards(db=db, boards=result.items, base_url=base_url), bookmark=result.bookmark
    )


@router.post("/boards", response_model=BoardRead, status_code=201)
def create_board(db: DbSession, viewer: BoardsWrite, body: BoardCreate, base_url: BaseUrl) -> BoardRead:
    """Create a board owned by the token user: a name (1-180 characters, unique among their boards regardless
    of case), an optional description (up to 500 characters) and a privacy; without one the instance's
    default board privacy applies (PUBLIC unless an admin chose SECRET). Bearer token only, with
    `boards:read` and `boards:write`. Answers 201 with the board. Errors: 400 for a bad name, description
    or privacy; 409 when the user already has a board of that name; 401 without a valid token; 403 for a
    missing scope.
    """
    board = service.create(
        db=db,
        owner_id=user_id_of(viewer),
        name=body.name,
        description=body.description,
        privacy=body.privacy or instance.get(db=db).default_board_privacy,
    )
    return present_board(db=db, board=board, base_url=base_url)


@router.get("/boards/{board_id}", response_model=BoardRead)
def get_board(db: DbSession, viewer: BoardsRead, board_id: str, base_url: BaseUrl) -> BoardRead:
    """One board by id (Pinterest v5): name, description, privacy, owner, counts and cover images. Bearer
    token only, with the `boards:read` scope. A secret board answers 404 to anyone but its owner and
    collaborators (a token also needs `boards:read_secret`), exactly as an unknown id does; so does a board
    hidden by moderation, to anyone but its owner. Errors: 404 for an unknown or invisible board; 401
    without a valid token; 403 for a missing scope.
    """
    board = service.get_visible(db=db, viewer=viewer, board_id=parse_id(board_id))
    return present_board(db=db, board=board, base_url=base_url)


@router.patch("/boards/{board_id}", response_model=BoardRead)
def update_board(
    db: DbSession, viewer: BoardsWrite, board_id: str, body: BoardUpdate, base_url: BaseUrl
) -> BoardRead:
    """Change a board's name, description (send null to clear it) or privacy (`PUBLIC` or `SECRET`); fields
    left out stay as they are. Only the board's owner may call it, with a bearer token holding
    `boards:read` and `boards:write` (and `boards:write_secret` for a secret board). Making a board secret
    hides its pins from everyone else at once. Errors: 404 for an unknown board or one the caller may not
    see; 403 for a board the caller does not own or a missing scope; 409 when the new name is taken by
    another of the owner's boards; 400 for bad fields.
    """
    board = service.update(
        db=db,
        viewer=viewer,
        board_id=parse_id(board_id),
        name=body.name,
        description=body.description,
        description_set="description" in body.model_fields_set,
        privacy=body.privacy,
    )
    return present_board(db=db, board=board, base_url=base_url)


@router.delete("/boards/{board_id}", status_code=204, response_class=Response)
def delete_board(db: DbSession, viewer: BoardsWrite, board_id: str) -> Response:
    """Delete a board together with its sections and pins, its collaborators and followers; the counters those
    touched are corrected. Only the board's owner may call it, with a bearer token holding `boards:read`
    and `boards:write` (and `boards:write_secret` for a secret board). Answers 204. Errors: 404 for an
    unknown board or one the caller may not see; 403 for a board the caller does not own or a missing
    scope; 401 without a valid token.
    """
    service.delete_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return Response(status_code=204)


@router.get("/boards/{board_id}/sections", response_model=SectionPage)
def list_sections(db: DbSession, viewer: BoardsRead, board_id: str, page: Pagination) -> SectionPage:
    """A board's sections in the order they were created, paginated with `page_size` (1-250, default 25) and
    `bookmark`. Bearer token with the `boards:read` scope; the board must be visible to the caller (a
    secret board answers 404 to anyone but its owner and collaborators, and a token also needs
    `boards:read_secret`). Errors: 404 for an unknown or invisible board; 400 for a bad page size or
    bookmark; 401 without a valid token; 403 for a missing scope.
    """
    result = service.list_sections(db=db, viewer=viewer, board_id=parse_id(board_id), page=page)
    return SectionPage(items=[present_section(s) for s in result.items], bookmark=result.bookmark)


@router.post("/boards/{board_id}/sections", response_model=SectionRead, status_code=201)
def create_section(db: DbSession, viewer: BoardsWrite, board_id: str, body: SectionWrite) -> SectionRead:
    """Add a named section (1-180 characters, unique within the board regardless of case) to a board. Only the
    board's owner may call it, with a bearer token holding `boards:read` and `boards:write` (and
    `boards:write_secret` for a secret board). Answers 201 with the section. Errors: 404 for an unknown or
    invisible board; 403 for a board the caller does not own or a missing scope; 409 when the board already
    has a section of that name; 400 for a bad name.
    """
    section = service.create_section(db=db, viewer=viewer, board_id=parse_id(board_id), name=body.name)
    return present_section(section)


@router.patch("/boards/{board_id}/sections/{section_id}", response_model=SectionRead)
def update_section(
    db: DbSession, viewer: BoardsWrite, board_id: str, section_id: str, body: SectionWrite
) -> SectionRead:
    """Rename a board section (1-180 characters, unique within the board regardless of case). Only the board's
    owner may call it, with a bearer token holding `boards:read` and `boards:write` (and
    `boards:write_secret` for a secret board). Errors: 404 for an unknown or invisible board, or a section
    that is not on this board; 403 for a board the caller does not own or a missing scope; 409 when another
    section has that name; 400 for a bad name.
    """
    section = service.update_section(
        db=db, viewer=viewer, board_id=parse_id(board_id), section_id=parse_id(section_id), name=body.name
    )
    return present_section(section)


@router.delete("/boards/{board_id}/sections/{section_id}", status_code=204, response_class=Response)
def delete_section(db: DbSession, viewer: BoardsWrite, board_id: str, section_id: str) -> Response:
    """Delete a board section; as on Pinterest, the pins in it are deleted with it. Only the board's owner may
    call it, with a bearer token holding `boards:read` and `boards:write` (and `boards:write_secret` for a
    secret board). Answers 204. Errors: 404 for an unknown or invisible board, or a section that is not on
    this board; 403 for a board the caller does not own or a missing scope; 401 without a valid token.
    """
    service.delete_section(db=db, viewer=viewer, board_id=parse_id(board_id), section_id=parse_id(section_id))
    return Response(status_code=204)


@router.get("/search/boards", response_model=BoardPage)
def search_boards(
    db: DbSession,
    viewer: BoardsRead,
    page: Pagination,
    base_url: BaseUrl,
    query: Annotated[str | None, Query(max_length=200)] = None,
) -> BoardPage:
    """Pinterest v5 board search: the token user's own boards whose name or description contains `query`
    (case-insensitive; no query lists them all), newest first, paginated with `page_size` (1-250, default
    25) and `bookmark`. Bearer token only, with the `boards:read` scope. Errors: 400 for a query over 200
    characters, a bad page size or bookmark; 401 without a valid token; 403 for a missing scope.
    """
    result = service.search_boards(
        db=db, viewer=viewer, query_text=query, page=page, owner_id=user_id_of(viewer)
    )
    return BoardPage(
        items=present_boards(db=db, boards=result.items, base_url=base_url), bookmark=result.bookmark
    )


# --- /ext/v1: any visible board, board follows, collaborators (not in Pinterest v5) ----------------

ext_router = APIRouter(prefix="/ext/v1", tags=["boards"])
ExtBoardsWrite = Annotated[Viewer, Depends(Scopes("boards:write"))]


def _detail(db: DbSession, viewer: Viewer, board_id: int, base_url: str) -> BoardDetail:
    board = service.get_visible(db=db, viewer=viewer, board_id=board_id)
    base = present_board(db=db, board=board, base_url=base_url)
    return BoardDetail(
        **base.model_dump(),
        is_following=members.is_following_board(db=db, user_id=viewer.user_id, board_id=board.id),
        is_owner=viewer.user_id == board.owner_id,
        is_collaborator=viewer.user_id is not None
        and viewer.user_id != board.owner_id
        and is_member(db=db, viewer=viewer, board=board),
    )


@ext_router.get("/boards/{board_id}", response_model=BoardDetail)
def get_any_board(db: DbSession, viewer: CurrentViewer, board_id: str, base_url: BaseUrl) -> BoardDetail:
    """Any board the caller may see, by id, with what v5 gives plus `is_following`, `is_owner` and
    `is_collaborator` for the caller. Anyone may call it, signed in or not (token or session cookie); a
    secret board answers 404 to anyone but its owner and collaborators (a token also needs
    `boards:read_secret`), exactly as an unknown id does, and so does a board hidden by moderation to
    anyone but its owner. Errors: 404 for an unknown, malformed or invisible board id; 401 for a bad token.
    """
    return _detail(db, viewer, _board_id(board_id), base_url)


@ext_router.post("/boards/{board_id}/follow", response_model=BoardDetail)
def follow_board(db: DbSession, viewer: ExtBoardsWrite, board_id: str, base_url: BaseUrl) -> BoardDetail:
    """Follow a board the caller can see; its new pins then reach the caller's home feed, and the owner is
    notified. Idempotent. Needs a signed-in caller with the `boards:write` scope (token, or session cookie
    with its CSRF token). Answers the board with `is_following` true. Errors: 400 when following your own
    board; 403 when the caller and the owner have blocked each other, or for a missing scope or CSRF token;
    404 for an unknown board or a secret one the caller may not see; 401 when signed out.
    """
    board = members.follow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return _detail(db, viewer, board.id, base_url)


@ext_router.delete("/boards/{board_id}/follow", response_model=BoardDetail)
def unfollow_board(db: DbSession, viewer: ExtBoardsWrite, board_id: str, base_url: BaseUrl) -> BoardDetail:
    """Stop following a board. Idempotent: not following it is not an error. Needs a signed-in caller with the
    `boards:write` scope (token, or session cookie with its CSRF token). Answers the board with
    `is_following` false. Errors: 404 for an unknown board or a secret one the caller may not see; 403 for
    a missing scope or CSRF token; 401 when signed out.
    """
    board = members.unfollow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return _detail(db, viewer, board.id, base_url)


@ext_router.get("/boards/{board_id}/collaborators", response_model=UserPage)
def list_collaborators(db: DbSession, viewer: CurrentViewer, board_id: str, base_url: BaseUrl) -> UserPage:
    """The people who collaborate on a board (accepted invitations only), by username, in one page (no
    bookmark). Anyone who may see the board may call it, signed in or not; a secret board answers 404 to
    anyone but its owner and collaborators (a token also needs `boards:read_secret`). Deactivated and
    deleted accounts are left out. Errors: 404 for an unknown or invisible board; 401 for a bad token.
    """
    users = members.list_collaborators(db=db, viewer=viewer, board_id=parse_id(board_id))
    return UserPage(
        items=[present_user_summary(db=db, user=u, base_url=base_url) for u in users], bookmark=None
    )


@ext_router.post("/boards/{board_id}/collaborators", response_model=InvitationRead, status_code=201)
def add_collaborator(
    db: DbSession, viewer: ExtBoardsWrite, board_id: str, body: CollaboratorAdd, base_url: BaseUrl
) -> InvitationRead:
    """Invite a person by username to collaborate on a board: this creates a pending invitation (they are
    notified and become a collaborator once they accept it at `/ext/v1/invitations/{id}/accept`). Only the
    board's owner may call it, with the `boards:write` scope (token, or session cookie with its CSRF token;
    a token also needs `boards:write_secret` for a secret board). Answers 201 with the invitation. Errors:
    400 when inviting the owner; 403 for a non-owner, a missing scope or when the two people have blocked
    each other; 404 for an unknown board, one the caller may not see, or an unknown username; 409 when the
    person already collaborates, is already invited, or the board has its maximum number of collaborators.
    """
    invitation = invitations.invite(db=db, viewer=viewer, board_id=parse_id(board_id), username=body.username)
    return present_invitations(db, [invitation], base_url)[0]


@ext_router.delete("/boards/{board_id}/collaborators/{username}", status_code=204, response_class=Response)
def remove_collaborator(db: DbSession, viewer: ExtBoardsWrite, board_id: str, username: str) -> Response:
    """Remove a collaborator from a board: the owner may remove anyone, and a collaborator may remove
    themselves (leave the board). Needs the `boards:write` scope (token, or session cookie with its CSRF
    token). Answers 204. Errors: 403 when someone else than the owner removes another person, or for a
    missing scope; 404 for an unknown or invisible board, an unknown username, or a person who does not
    collaborate on the board; 401 when signed out.
    """
    members.remove_collaborator(db=db, viewer=viewer, board_id=parse_id(board_id), username=username)
    return Response(status_code=204)


def _board_id(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise NotFound("Board not found.")
    return parsed
