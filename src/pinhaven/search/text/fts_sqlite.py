"""SQLite FTS5 backend: porter-stemmed, prefix-indexed, ranked by weighted bm25 (see migration 0002).

FTS5 is fast alone and slow when its MATCH shares a query plan with joins and filters, so the MATCH runs
first, with its LIMIT, in a subquery; the join to pins and boards comes after. To keep privacy inside that
limited MATCH (so hidden pins cannot take result slots or change counts), each document carries facet tokens:
`b<board>`, `u<creator>` and `sec` for non-public boards. The MATCH excludes `sec` documents except on the
viewer's own and collaborated boards; the join then re-applies the privacy rule from `boards/access.py`, which
also covers a board whose privacy changed and whose documents are not re-indexed yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Float, select, text
from sqlalchemy.orm import Session

from pinhaven.boards.models import Board
from pinhaven.pins.models import Pin
from pinhaven.search.text.backends import (
    RANK_CAP,
    Filters,
    KeywordHits,
    is_prefix_word,
)

TEXT_COLUMNS = "{title description alt_text board_name domain}"
# Column weights: title, description, alt_text, board_name, domain, facets (filter tokens, never ranked).
BM25 = "bm25(search_fts, 4.0, 1.0, 1.0, 2.0, 1.5, 0.0)"


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(
    words: Sequence[str],
    *,
    filters: Filters,
    member_boards: Sequence[int],
    prefixes: Sequence[bool] | None = None,
) -> str:
    """The FTS5 query: every word (exact, or also as a prefix where `prefixes` says so; by default where
    `is_prefix_word` allows) in a text column, plus facets for privacy and filters."""
    if prefixes is None:
        prefixes = [is_prefix_word(word, i, len(words)) for i, word in enumerate(words)]
    terms = []
    for word, prefix in zip(words, prefixes, strict=True):
        quoted = _quote(word)
        # Both forms: a prefix match alone would rank "tiles" no higher than "tilework" for "tile".
        terms.append(f"({quoted} OR {quoted}*)" if prefix else quoted)
    expression = f"{TEXT_COLUMNS} : ({' AND '.join(terms)})"
    if filters.board_id is not None:
        expression += f" AND facets : {_quote(f'b{filters.board_id}')}"
    if filters.user_id is not None:
        expression += f" AND facets : {_quote(f'u{filters.user_id}')}"
    if member_boards:
        allowed = " OR ".join(_quote(f"b{board_id}") for board_id in member_boards)
        hidden = f'(facets : "sec" NOT facets : ({allowed}))'
    else:
        hidden = 'facets : "sec"'
    return f"({expression}) NOT {hidden}"


class SqliteFts:
    name = "sqlite-fts5"

    def search(self, db: Session, *, words: Sequence[str], filters: Filters, limit: int) -> KeywordHits:
        member_boards = filters.member_boards(db)
        # A word that alone matches more than RANK_CAP documents is complete and common: expanding it as a
        # prefix (merging the doclists of every longer word) costs the most and changes results the least.
        prefixes = [
            is_prefix_word(word, i, len(words)) and self._count(db, _quote(word)) <= RANK_CAP
            for i, word in enumerate(words)
        ]
        expression = match_expression(words, filters=filters, member_boards=member_boards, prefixes=prefixes)
        # Counting rowids is cheap (no ranking); it decides whether ranking every match is affordable.
        counted = self._count(db, expression)
        if counted == 0:
            return KeywordHits(pin_ids=[], total=0, capped=False)
        capped = counted > RANK_CAP
        # An explicit bm25() call: `ORDER BY rank` with a configured rank function measured ~5x slower.
        # Newest first must be ORDER BY rowid DESC itself: FTS5 walks its index backwards and stops early.
        score, order = ("-rowid", "rowid DESC") if capped else (BM25, "score")
        hits = (
            text(
                f"SELECT rowid AS pin_id, {score} AS score FROM search_fts "
                f"WHERE search_fts MATCH :q ORDER BY {order} LIMIT :limit"
            )
            .bindparams(q=expression, limit=limit)
            .columns(pin_id=BigInteger, score=Float)
            .subquery("hits")
        )
        query = (
            select(hits.c.pin_id)
            .join(Pin, Pin.id == hits.c.pin_id)
            .join(Board, Board.id == Pin.board_id)
            .where(*filters.clauses())
            .order_by(hits.c.score, hits.c.pin_id.desc())
        )
        return KeywordHits(pin_ids=list(db.scalars(query)), total=counted, capped=capped)

    @staticmethod
    def _count(db: Session, expression: str) -> int:
        """Matches of `expression`, counted up to RANK_CAP + 1."""
        statement = text(
            "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH :q LIMIT :cap)"
        )
        return int(db.execute(statement, {"q": expression, "cap": RANK_CAP + 1}).scalar_one())
