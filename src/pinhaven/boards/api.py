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
    board = service.get_visible(db=db, viewer=viewer, board_id=parse_id(board_id))
    return present_board(db=db, board=board, base_url=base_url)


@router.patch("/boards/{board_id}", response_model=BoardRead)
def update_board(
    db: DbSession, viewer: BoardsWrite, board_id: str, body: BoardUpdate, base_url: BaseUrl
) -> BoardRead:
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
    service.delete_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return Response(status_code=204)


@router.get("/boards/{board_id}/sections", response_model=SectionPage)
def list_sections(db: DbSession, viewer: BoardsRead, board_id: str, page: Pagination) -> SectionPage:
    result = service.list_sections(db=db, viewer=viewer, board_id=parse_id(board_id), page=page)
    return SectionPage(items=[present_section(s) for s in result.items], bookmark=result.bookmark)


@router.post("/boards/{board_id}/sections", response_model=SectionRead, status_code=201)
def create_section(db: DbSession, viewer: BoardsWrite, board_id: str, body: SectionWrite) -> SectionRead:
    section = service.create_section(db=db, viewer=viewer, board_id=parse_id(board_id), name=body.name)
    return present_section(section)


@router.patch("/boards/{board_id}/sections/{section_id}", response_model=SectionRead)
def update_section(
    db: DbSession, viewer: BoardsWrite, board_id: str, section_id: str, body: SectionWrite
) -> SectionRead:
    section = service.update_section(
        db=db, viewer=viewer, board_id=parse_id(board_id), section_id=parse_id(section_id), name=body.name
    )
    return present_section(section)


@router.delete("/boards/{board_id}/sections/{section_id}", status_code=204, response_class=Response)
def delete_section(db: DbSession, viewer: BoardsWrite, board_id: str, section_id: str) -> Response:
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
    """v5 semantics: the token user's own boards."""
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
    return _detail(db, viewer, _board_id(board_id), base_url)


@ext_router.post("/boards/{board_id}/follow", response_model=BoardDetail)
def follow_board(db: DbSession, viewer: ExtBoardsWrite, board_id: str, base_url: BaseUrl) -> BoardDetail:
    board = members.follow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return _detail(db, viewer, board.id, base_url)


@ext_router.delete("/boards/{board_id}/follow", response_model=BoardDetail)
def unfollow_board(db: DbSession, viewer: ExtBoardsWrite, board_id: str, base_url: BaseUrl) -> BoardDetail:
    board = members.unfollow_board(db=db, viewer=viewer, board_id=parse_id(board_id))
    return _detail(db, viewer, board.id, base_url)


@ext_router.get("/boards/{board_id}/collaborators", response_model=UserPage)
def list_collaborators(db: DbSession, viewer: CurrentViewer, board_id: str, base_url: BaseUrl) -> UserPage:
    users = members.list_collaborators(db=db, viewer=viewer, board_id=parse_id(board_id))
    return UserPage(
        items=[present_user_summary(db=db, user=u, base_url=base_url) for u in users], bookmark=None
    )


@ext_router.post("/boards/{board_id}/collaborators", response_model=InvitationRead, status_code=201)
def add_collaborator(
    db: DbSession, viewer: ExtBoardsWrite, board_id: str, body: CollaboratorAdd, base_url: BaseUrl
) -> InvitationRead:
    """Invites: a pending invitation; they collaborate once they accept (boards/invitations.py)."""
    invitation = invitations.invite(db=db, viewer=viewer, board_id=parse_id(board_id), username=body.username)
    return present_invitations(db, [invitation], base_url)[0]


@ext_router.delete("/boards/{board_id}/collaborators/{username}", status_code=204, response_class=Response)
def remove_collaborator(db: DbSession, viewer: ExtBoardsWrite, board_id: str, username: str) -> Response:
    members.remove_collaborator(db=db, viewer=viewer, board_id=parse_id(board_id), username=username)
    return Response(status_code=204)


def _board_id(raw: str) -> int:
    parsed = parse_id(raw)
    if parsed is None:
        raise NotFound("Board not found.")
    return parsed
