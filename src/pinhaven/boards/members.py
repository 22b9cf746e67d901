"""Board collaborators and board followers; their counts kept current."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.boards.access import access_board, access_board_as_owner
from pinhaven.boards.models import Board, BoardCollaborator, BoardFollow
from pinhaven.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.stream import events as stream_events

MAX_COLLABORATORS = 50


def add_collaborator(*, db: Session, viewer: Viewer, board_id: int | None, username: str) -> User:
    """The owner invites a user; collaborators may add pins and see the board when it is secret."""
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    user = get_by_username_or_raise(db=db, username=username)
    if user.id == board.owner_id:
        raise InvalidInput("the owner is already on the board", field="username")
    if db.get(BoardCollaborator, (board.id, user.id)) is not None:
        raise Conflict(f"{user.username} already collaborates on this board.")
    if board.collaborator_count >= MAX_COLLABORATORS:
        raise Conflict(f"A board can have at most {MAX_COLLABORATORS} collaborators.")
    db.add(BoardCollaborator(board_id=board.id, user_id=user.id))
    db.flush()
    _bump(db, board.id, collaborator_delta=1)
    return user


def remove_collaborator(*, db: Session, viewer: Viewer, board_id: int | None, username: str) -> None:
    """The owner removes a collaborator, or a collaborator leaves."""
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    user = get_by_username_or_raise(db=db, username=username)
    if viewer.user_id not in (board.owner_id, user.id):
        raise Forbidden("Only the board's owner can remove collaborators.")
    link = db.get(BoardCollaborator, (board.id, user.id))
    if link is None:
        raise NotFound(f"{user.username} does not collaborate on this board.")
    db.delete(link)
    db.flush()
    _bump(db, board.id, collaborator_delta=-1)


def list_collaborators(*, db: Session, viewer: Viewer, board_id: int | None) -> list[User]:
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    query = (
        select(User)
        .join(BoardCollaborator, BoardCollaborator.user_id == User.id)
        .where(
            BoardCollaborator.board_id == board.id, User.deactivated_at.is_(None), User.deleted_at.is_(None)
        )
        .order_by(User.username)
    )
    return list(db.scalars(query))


def follow_board(*, db: Session, viewer: Viewer, board_id: int | None) -> Board:
    """Follow a board you can see (idempotent)."""
    if viewer.user_id is None:
        raise Unauthorized("Sign in to follow boards.")
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    if board.owner_id == viewer.user_id:
        raise InvalidInput("you cannot follow your own board", field="board_id")
    if db.get(BoardFollow, (viewer.user_id, board.id)) is None:
        from pinhaven.notifications import hooks as social

        social.on_board_followed(db, viewer.user_id, board)  # refuses blocked people; tells the owner
        db.add(BoardFollow(user_id=viewer.user_id, board_id=board.id))
        db.flush()
        _bump(db, board.id, follower_delta=1)
        stream_events.follow(db=db, kind="board", follower_id=viewer.user_id, target_id=board.id, on=True)
    return board


def unfollow_board(*, db: Session, viewer: Viewer, board_id: int | None) -> Board:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to follow boards.")
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    follow = db.get(BoardFollow, (viewer.user_id, board.id))
    if follow is not None:
        db.delete(follow)
        db.flush()
        _bump(db, board.id, follower_delta=-1)
        stream_events.follow(db=db, kind="board", follower_id=viewer.user_id, target_id=board.id, on=False)
    return board


def is_following_board(*, db: Session, user_id: int | None, board_id: int) -> bool:
    return user_id is not None and db.get(BoardFollow, (user_id, board_id)) is not None


def list_followed_boards(*, db: Session, viewer: Viewer, user_id: int, page: PageParams) -> Page[Board]:
    """Boards `user_id` follows that `viewer` may see."""
    from pinhaven.boards.access import visible_boards_clause

    query = (
        select(Board)
        .join(BoardFollow, BoardFollow.board_id == Board.id)
        .where(BoardFollow.user_id == user_id, visible_boards_clause(viewer))
    )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Board.id < cursor)
    rows = list(db.scalars(query.order_by(Board.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda b: b.id)


def followed_board_ids(*, db: Session, user_id: int) -> list[int]:
    return list(db.scalars(select(BoardFollow.board_id).where(BoardFollow.user_id == user_id)))


def _bump(db: Session, board_id: int, *, collaborator_delta: int = 0, follower_delta: int = 0) -> None:
    db.execute(
        update(Board)
        .where(Board.id == board_id)
        .values(
            collaborator_count=Board.collaborator_count + collaborator_delta,
            follower_count=Board.follower_count + follower_delta,
        )
    )
    db.expire_all()
