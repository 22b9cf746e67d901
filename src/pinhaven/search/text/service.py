"""Text search over everything the viewer may see: pins (keyword + semantic, fused), boards, people.

    search_pins:   backend keyword hits (FTS5 | tsvector | FULLTEXT, privacy inside the query)
                   → typo correction when nothing matched
                   → MiniLM candidates from the in-process vector matrix (masked by privacy first), re-checked
                     against the database, when the model and the vectors are loaded (else keyword-only);
                     with `vector_store = database`, from pgvector, privacy and filters inside the query
                   → reciprocal rank fusion → one page
Pages are offsets into the fused list (at most MAX_RESULTS deep); the bookmark also pins the mode of the
first page, so a model that finishes loading mid-scroll does not reshuffle later pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.follows import active_users_clause
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_board, visible_boards_clause, visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.db.engine import dialect_name
from pinhaven.errors import InvalidInput
from pinhaven.pagination import Page, PageParams, decode_bookmark, encode_bookmark
from pinhaven.pins.models import Pin
from pinhaven.search.text import semantic, typo, vectors
from pinhaven.search.text.backends import (
    MAX_RESULTS,
    Filters,
    KeywordHits,
    ProductFilter,
    backend_for,
)
from pinhaven.search.text.fusion import reciprocal_rank_fusion
from pinhaven.search.text.query import ParsedQuery, parse_query
from pinhaven.search.text.readers import engine_of
from pinhaven.search.vectorstore import text_vector_store
from pinhaven.search.visual.groups import collapse_duplicates

SEMANTIC_K = 100  # semantic candidates fused with the keyword list
FUSION_DEPTH = 100  # keyword hits fused with them (deeper keyword hits follow the fused head)
TOPIC_DEPTH_FACTOR = 8  # a topic-filtered search reads this many times deeper (see search_pins)
# MiniLM cosine below which a "match" is noise; one-word queries score only ≈ 0.25–0.45 on related text.
MIN_SIMILARITY = 0.2
KEYWORD, HYBRID = "k", "h"

T = TypeVar("T")


@dataclass(frozen=True)
class PinSearchPage(Page[Pin]):
    """A page of pins plus what the result list as a whole looks like."""

    total_estimate: int = 0
    corrected_query: str | None = None  # set when the words were spell-corrected
    mode: str = KEYWORD  # KEYWORD, or HYBRID when semantic results were fused in


def search_pins(
    *,
    db: Session,
    viewer: Viewer,
    query: str,
    page: PageParams,
    board_id: int | None = None,
    user_id: int | None = None,
    semantic_search: bool = True,
    topic: str | None = None,
    products: ProductFilter | None = None,
) -> PinSearchPage:
    """Pins the viewer may see matching `query`, best first; optionally within one board or one pinner's pins,
    or one topic (`topic`: a slug, see pinhaven.topics)."""
    parsed = parse_query(query)
    offset, pinned_mode = _decode_offset(page.bookmark, with_mode=True)
    if board_id is not None:
        access_board(db=db, viewer=viewer, board_id=board_id)  # NotFound for boards the viewer cannot see
    filters = Filters(viewer=viewer, board_id=board_id, user_id=user_id, topic=topic, products=products)
    # Only as deep as this page needs (joining hits to pins and boards is the main per-hit cost), but the
    # top FUSION_DEPTH whenever semantic results may be fused in, so every page fuses the same two heads.
    want_semantic = semantic_search and pinned_mode != KEYWORD
    depth = offset + page.page_size + 1
    if topic is not None or products is not None:
        # SQLite's MATCH takes its LIMIT before the join where the topic filter applies: look deeper so a
        # page of the topic's hits survives the filter (PostgreSQL and MariaDB filter inside the limit).
        depth = min(max(depth * TOPIC_DEPTH_FACTOR, FUSION_DEPTH), MAX_RESULTS)
    hits, corrected = _keyword_hits(db, parsed, filters, max(depth, FUSION_DEPTH) if want_semantic else depth)
    ranking = hits.pin_ids
    total = hits.total
    mode = KEYWORD
    if want_semantic:
        semantic_ids = semantic_ranking(db, text=corrected or parsed.text, filters=filters)
        if semantic_ids is not None:
            mode = HYBRID
            head = reciprocal_rank_fusion([ranking[:FUSION_DEPTH], semantic_ids])
            fused = set(head)
            total += len(fused.difference(ranking))
            # Past the fused head, the remaining keyword hits follow in their own order.
            ranking = head + [pin_id for pin_id in ranking[FUSION_DEPTH:] if pin_id not in fused]
    ids = ranking[offset : offset + page.page_size]
    rows = {pin.id: pin for pin in db.scalars(select(Pin).where(Pin.id.in_(ids)))} if ids else {}
    more = offset + page.page_size < min(len(ranking), MAX_RESULTS)
    return PinSearchPage(
        items=collapse_duplicates(db=db, pins=[rows[pin_id] for pin_id in ids if pin_id in rows]),
        bookmark=encode_bookmark([offset + page.page_size, mode]) if more else None,
        total_estimate=total,
        corrected_query=corrected,
        mode=mode,
    )


def _keyword_hits(
    db: Session, parsed: ParsedQuery, filters: Filters, depth: int
) -> tuple[KeywordHits, str | None]:
    """Backend hits for the words; when none, for the spell-corrected words (and the corrected text)."""
    backend = backend_for(dialect_name(db))
    hits = backend.search(db, words=parsed.words, filters=filters, limit=depth)
    if hits.pin_ids:
        return hits, None
    vocabulary = typo.vocabulary_cache(engine_of(db)).get(db)
    if vocabulary is None:
        return hits, None
    corrected = tuple(vocabulary.correct(word) or word for word in parsed.words)
    if corrected == parsed.words:
        return hits, None
    retry = backend.search(db, words=corrected, filters=filters, limit=depth)
    return (retry, " ".join(corrected)) if retry.pin_ids else (hits, None)


def semantic_ranking(db: Session, *, text: str, filters: Filters) -> list[int] | None:
    """Visible pins nearest to `text` in meaning, best first; None when semantic search is not ready here."""
    if not _semantic_installed():
        return None
    shared = text_vector_store(engine_of(db))
    if shared is not None:  # pgvector: the filters run inside the nearest-neighbour query
        if not shared.available(db):
            return None
        query_vector = semantic.encoder().query_vector_nowait(text)
        if query_vector is None:
            return None
        nearest = shared.nearest(db, query_vector, filters=filters, k=SEMANTIC_K, min_score=MIN_SIMILARITY)
        return [pin_id for pin_id, _ in nearest]
    index = vectors.semantic_index(engine_of(db))
    index.refresh_nowait()  # first load, or a poll for vectors other processes wrote
    if not index.loaded or len(index.matrix) == 0:
        return None  # no vectors: no reason to load the model either
    vector = semantic.encoder().query_vector_nowait(text)
    if vector is None:
        return None
    nearest = index.matrix.search(
        vector,
        member_boards=filters.member_boards(db),
        board_id=filters.board_id,
        user_id=filters.user_id,
        k=SEMANTIC_K,
        min_score=MIN_SIMILARITY,
    )
    candidates = [pin_id for pin_id, _ in nearest]
    if not candidates:
        return []
    visible = _visible_candidates(db, candidates, filters)
    return [pin_id for pin_id in candidates if pin_id in visible]


def _visible_candidates(db: Session, pin_ids: list[int], filters: Filters) -> set[int]:
    """The matrix's privacy flags and filter columns may lag a change by a poll: the database has the last
    word. The board check is a correlated EXISTS so that pins are looked up by id first: as a join, SQLite's
    planner walked every visible board and probed pins per board (≈ 50 ms for 100 candidates at 100k pins)."""
    visible_board = (
        select(Board.id).where(Board.id == Pin.board_id, visible_pins_clause(filters.viewer)).exists()
    )
    query = select(Pin.id).where(Pin.id.in_(pin_ids), visible_board, *filters.pin_clauses())
    return set(db.scalars(query))


def search_boards(*, db: Session, viewer: Viewer, query: str, page: PageParams) -> Page[Board]:
    """Boards the viewer may see whose name or description holds every word; name matches first."""
    parsed = parse_query(query)
    offset, _ = _decode_offset(page.bookmark)
    in_name = [Board.name_key.like(_like(word), escape="\\") for word in parsed.words]
    in_text = [
        or_(name, func.lower(func.coalesce(Board.description, "")).like(_like(word), escape="\\"))
        for name, word in zip(in_name, parsed.words, strict=True)
    ]
    rows = list(
        db.scalars(
            select(Board)
            .where(visible_boards_clause(viewer), *in_text)
            .order_by(
                case((and_(*in_name), 0), else_=1),
                Board.follower_count.desc(),
                Board.pin_count.desc(),
                Board.id.desc(),
            )
            .offset(offset)
            .limit(page.page_size + 1)
        )
    )
    return _offset_page(rows, offset, page.page_size)


def search_people(*, db: Session, query: str, page: PageParams) -> Page[User]:
    """Users whose username or display name holds every word; username prefix matches first."""
    parsed = parse_query(query)
    offset, _ = _decode_offset(page.bookmark)
    username, display = func.lower(User.username), func.lower(User.display_name)
    matches = [
        or_(username.like(_like(word), escape="\\"), display.like(_like(word), escape="\\"))
        for word in parsed.words
    ]
    prefix = username.like(_like(parsed.words[0], anywhere=False), escape="\\")
    rows = list(
        db.scalars(
            select(User)
            .where(*matches, *active_users_clause())  # deactivated and deleted accounts are hidden
            .order_by(case((prefix, 0), else_=1), User.follower_count.desc(), User.id.desc())
            .offset(offset)
            .limit(page.page_size + 1)
        )
    )
    return _offset_page(rows, offset, page.page_size)


def reset_process_state() -> None:
    """Forget this process's vector matrices and vocabularies (after restoring or wiping a database)."""
    vectors.forget_all()
    typo.forget_all()


def _like(word: str, *, anywhere: bool = True) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%" if anywhere else f"{escaped}%"


def _decode_offset(bookmark: str | None, *, with_mode: bool = False) -> tuple[int, str | None]:
    """(offset, mode) from a search bookmark; InvalidInput for anything this module did not issue."""
    values = decode_bookmark(bookmark, arity=2 if with_mode else 1)
    if values is None:
        return 0, None
    offset = values[0]
    mode = values[1] if with_mode else None
    if not isinstance(offset, int) or not 0 <= offset < MAX_RESULTS or mode not in (None, KEYWORD, HYBRID):
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    return offset, mode


def _offset_page(rows: list[T], offset: int, page_size: int) -> Page[T]:
    more = len(rows) > page_size and offset + page_size < MAX_RESULTS
    return Page(
        items=list(rows[:page_size]), bookmark=encode_bookmark([offset + page_size]) if more else None
    )


@lru_cache(maxsize=1)
def _semantic_installed() -> bool:
    return semantic.is_installed()
