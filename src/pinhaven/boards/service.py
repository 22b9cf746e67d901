"""Boards and sections: create, read, update, delete, list; counters kept current on every write."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import PUBLIC, access_board, access_board_as_owner, visible_boards_clause
from pinhaven.boards.models import PRIVACY_VALUES, Board, BoardCollaborator, BoardFollow, BoardSection
from pinhaven.cache import bump_on_commit
from pinhaven.db.base import utcnow
from pinhaven.errors import Conflict, InvalidInput, NotFound
from pinhaven.jobs import pipeline
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin
from pinhaven.stream import events as stream_events

MAX_NAME = 180
MAX_DESCRIPTION = 500


def _clean_name(name: str, *, field: str = "name") -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(f"must be 1–{MAX_NAME} characters", field=field)
    return name


def _clean_description(description: str | None) -> str | None:
    if description is None:
        return None
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"must be at most {MAX_DESCRIPTION} characters", field="description")
    return description


def _check_privacy(privacy: str, *, allowed: tuple[str, ...] = PRIVACY_VALUES) -> str:
    if privacy not in allowed:
        raise InvalidInput(f"must be one of {', '.join(allowed)}", field="privacy")
    return privacy


def _ensure_unique_name(db: Session, owner_id: int, name: str, *, except_id: int | None = None) -> None:
    query = select(Board.id).where(Board.owner_id == owner_id, Board.name_key == name.lower())
    existing = db.scalar(query)
    if existing is not None and existing != except_id:
        raise Conflict(f"You already have a board named {name!r}.")


def create(
    *, db: Session, owner_id: int, name: str, description: str | None = None, privacy: str = PUBLIC
) -> Board:
    name = _clean_name(name)
    _check_privacy(privacy)
    _ensure_unique_name(db, owner_id, name)
    board = Board(
        owner_id=owner_id,
        name=name,
        name_key=name.lower(),
        description=_clean_description(description),
        privacy=privacy,
    )
    db.add(board)
    db.flush()
    stream_events.board_changed(db=db, board_id=board.id, change="board.created", owner_id=owner_id)
    return board


def update(
    *,
    db: Session,
    viewer: Viewer,
    board_id: int | None,
    name: str | None = None,
    description: str | None = None,
    description_set: bool = False,
    privacy: str | None = None,
) -> Board:
    """Change a board the viewer owns; `description_set` distinguishes 'set to null' from 'not given'."""
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    before = {"name": board.name, "description": board.description, "privacy": board.privacy}
    if name is not None:
        name = _clean_name(name)
        _ensure_unique_name(db, board.owner_id, name, except_id=board.id)
        board.name, board.name_key = name, name.lower()
    if description_set:
        board.description = _clean_description(description)
    if privacy is not None and privacy != board.privacy:
        _check_privacy(privacy, allowed=("PUBLIC", "SECRET"))
        board.privacy = privacy
        db.flush()
        recount_saves_from_board(db=db, board_id=board.id)
    db.flush()
    note_board_content_changed(db=db, board_ids=[board.id])
    changes = tuple(field for field, value in before.items() if getattr(board, field) != value)
    if "name" in changes or "privacy" in changes:  # its pins' search documents hold both
        pipeline.on_board_changed(db=db, board_id=board.id, changes=changes)
    elif changes:
        stream_events.board_updated(db=db, board_id=board.id, changes=changes)
    return board


def delete_board(*, db: Session, viewer: Viewer, board_id: int | None) -> None:
    """Delete a board with its sections and pins; counters of everything they touched are fixed."""
    from pinhaven.pins.service import delete_pins

    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    delete_pins(db=db, pin_ids=list(db.scalars(select(Pin.id).where(Pin.board_id == board.id))))
    for model in (BoardSection, BoardCollaborator, BoardFollow):
        db.execute(delete(model).where(model.board_id == board.id))
    stream_events.board_changed(db=db, board_id=board.id, change="board.deleted", owner_id=board.owner_id)
    db.delete(board)
    db.flush()


def get_visible(*, db: Session, viewer: Viewer, board_id: int | None) -> Board:
    return access_board(db=db, viewer=viewer, board_id=board_id)


def list_for_owner(
    *, db: Session, viewer: Viewer, owner_id: int, page: PageParams, privacy: str | None = None
) -> Page[Board]:
    """Boards of `owner_id` that `viewer` may see, newest first; `privacy` narrows (v5 `privacy` filter)."""
    query = select(Board).where(Board.owner_id == owner_id, visible_boards_clause(viewer))
    if privacy in ("PUBLIC", "SECRET", "PROTECTED"):
        query = query.where(Board.privacy == privacy)
    elif privacy == "PUBLIC_AND_SECRET":
        query = query.where(Board.privacy.in_(("PUBLIC", "SECRET")))
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Board.id < cursor)
    rows = list(db.scalars(query.order_by(Board.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda b: b.id)


def list_member_boards(*, db: Session, user_id: int) -> list[Board]:
    """Every board the user owns or collaborates on (the save dialog's choices), by name."""
    collab = select(BoardCollaborator.board_id).where(BoardCollaborator.user_id == user_id)
    mine_or_shared = (Board.owner_id == user_id) | Board.id.in_(collab)
    # (a deactivated owner's boards carry a hidden privacy: not a choice for their collaborators)
    query = select(Board).where(mine_or_shared, Board.privacy.in_(PRIVACY_VALUES)).order_by(Board.name_key)
    return list(db.scalars(query))


def search_boards(
    *, db: Session, viewer: Viewer, query_text: str | None, page: PageParams, owner_id: int | None = None
) -> Page[Board]:
    """Boards whose name or description contains the query, among those the viewer may see."""
    query = select(Board).where(visible_boards_clause(viewer))
    if owner_id is not None:
        query = query.where(Board.owner_id == owner_id)
    if query_text:
        like = f"%{_escape_like(query_text.lower())}%"
        query = query.where(
            func.lower(Board.name).like(like, escape="\\")
            | func.lower(Board.description).like(like, escape="\\")
        )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Board.id < cursor)
    rows = list(db.scalars(query.order_by(Board.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda b: b.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- sections -------------------------------------------------------------------------------------


def create_section(*, db: Session, viewer: Viewer, board_id: int | None, name: str) -> BoardSection:
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    name = _clean_name(name)
    _ensure_unique_section(db, board.id, name)
    section = BoardSection(board_id=board.id, name=name, name_key=name.lower())
    db.add(section)
    db.flush()
    stream_events.section_changed(db=db, change="section.created", board_id=board.id, section_id=section.id)
    return section


def _ensure_unique_section(db: Session, board_id: int, name: str, *, except_id: int | None = None) -> None:
    existing = db.scalar(
        select(BoardSection.id).where(
            BoardSection.board_id == board_id, BoardSection.name_key == name.lower()
        )
    )
    if existing is not None and existing != except_id:
        raise Conflict(f"This board already has a section named {name!r}.")


def get_section(*, db: Session, board: Board, section_id: int | None) -> BoardSection:
    section = db.get(BoardSection, section_id) if section_id is not None else None
    if section is None or section.board_id != board.id:
        raise NotFound("Section not found.")
    return section


def update_section(
    *, db: Session, viewer: Viewer, board_id: int | None, section_id: int | None, name: str
) -> BoardSection:
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    section = get_section(db=db, board=board, section_id=section_id)
    name = _clean_name(name)
    _ensure_unique_section(db, board.id, name, except_id=section.id)
    if section.name != name:
        section.name, section.name_key = name, name.lower()
        stream_events.section_changed(
            db=db, change="section.updated", board_id=board.id, section_id=section.id
        )
    db.flush()
    return section


def delete_section(*, db: Session, viewer: Viewer, board_id: int | None, section_id: int | None) -> None:
    """Delete a section; as on Pinterest, its pins are deleted with it."""
    board = access_board_as_owner(db=db, viewer=viewer, board_id=board_id)
    section = get_section(db=db, board=board, section_id=section_id)
    pin_ids = list(db.scalars(select(Pin.id).where(Pin.section_id == section.id)))
    if pin_ids:
        from pinhaven.pins.service import delete_pins

        delete_pins(db=db, pin_ids=pin_ids)
    stream_events.section_changed(db=db, change="section.deleted", board_id=board.id, section_id=section.id)
    db.delete(section)
    db.flush()


def list_sections(
    *, db: Session, viewer: Viewer, board_id: int | None, page: PageParams
) -> Page[BoardSection]:
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    query = select(BoardSection).where(BoardSection.board_id == board.id)
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(BoardSection.id > cursor)
    rows = list(db.scalars(query.order_by(BoardSection.id).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda s: s.id)


def sections_by_board(*, db: Session, board_ids: list[int]) -> dict[int, list[BoardSection]]:
    """Sections of several boards in one query (the save dialog's section pickers); callers checked access."""
    result: dict[int, list[BoardSection]] = {board_id: [] for board_id in board_ids}
    if board_ids:
        query = (
            select(BoardSection).where(BoardSection.board_id.in_(board_ids)).order_by(BoardSection.name_key)
        )
        for section in db.scalars(query):
            result[section.board_id].append(section)
    return result


# --- counters -------------------------------------------------------------------------------------


def board_content_generation(board_id: int) -> str:
    """The cache generation of what a board shows (its pages of pins, `pins.board_pages`)."""
    return f"board:{board_id}"


def note_board_content_changed(*, db: Session, board_ids: Iterable[int]) -> None:
    """What these boards show changed: their cached pages die once `db` commits, on every host."""
    bump_on_commit(db, [board_content_generation(b) for b in board_ids])


def note_image_ready(*, db: Session, image_id: int) -> None:
    """An image finished processing: the pages of the boards whose pins show it change (image_status)."""
    boards = db.scalars(select(Pin.board_id).where(Pin.image_id == image_id).distinct())
    note_board_content_changed(db=db, board_ids=list(boards))


def note_pins_added(*, db: Session, board_id: int, section_id: int | None, count: int = 1) -> None:
    note_board_content_changed(db=db, board_ids=[board_id])
    now = utcnow()
    db.execute(
        sql_update(Board)
        .where(Board.id == board_id)
        .values(pin_count=Board.pin_count + count, board_pins_modified_at=now)
    )
    if section_id is not None:
        db.execute(
            sql_update(BoardSection)
            .where(BoardSection.id == section_id)
            .values(pin_count=BoardSection.pin_count + count)
        )


def note_pins_removed(*, db: Session, board_id: int, section_id: int | None, count: int = 1) -> None:
    note_pins_added(db=db, board_id=board_id, section_id=section_id, count=-count)


def _parents_of_pins_on(db: Session, board_id: int) -> list[int]:
    return [
        pid
        for pid in db.scalars(
            select(Pin.parent_pin_id).where(Pin.board_id == board_id, Pin.parent_pin_id.is_not(None))
        )
        if pid is not None
    ]


def recount_saves(*, db: Session, pin_ids: list[int]) -> None:
    """Recompute `save_count` (saves on public boards) of the given pins."""
    if pin_ids:  # the counts show on the pins' boards' pages
        boards = db.scalars(select(Pin.board_id).where(Pin.id.in_(set(pin_ids))).distinct())
        note_board_content_changed(db=db, board_ids=list(boards))
    for pin_id in set(pin_ids):
        count = db.scalar(
            select(func.count())
            .select_from(Pin)
            .join(Board, Board.id == Pin.board_id)
            .where(Pin.parent_pin_id == pin_id, Board.privacy == PUBLIC)
        )
        db.execute(sql_update(Pin).where(Pin.id == pin_id).values(save_count=count or 0))


def recount_saves_from_board(*, db: Session, board_id: int) -> None:
    """A board's privacy changed: the save counts of the pins its pins were saved from change with it."""
    recount_saves(db=db, pin_ids=_parents_of_pins_on(db, board_id))
