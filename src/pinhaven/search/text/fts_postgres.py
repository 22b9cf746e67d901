"""PostgreSQL backend: the generated, weighted `tsvector` column with its GIN index (migration 0002).

Words go through the `english` configuration (stemming, stop words); each is matched exactly or as a
prefix (`word:*`). The privacy rule is a WHERE clause of the same query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from pinhaven.boards.models import Board
from pinhaven.pins.models import Pin
from pinhaven.search.text.backends import RANK_CAP, Filters, KeywordHits, is_prefix_word
from pinhaven.search.text.models import SearchDocument


def tsquery_text(words: Sequence[str]) -> str:
    """`to_tsquery` input: words are letters and digits only (see query.py), so nothing needs escaping."""
    terms = []
    for index, word in enumerate(words):
        terms.append(f"({word} | {word}:*)" if is_prefix_word(word, index, len(words)) else word)
    return " & ".join(terms)


class PostgresFts:
    name = "postgresql-tsvector"

    def search(self, db: Session, *, words: Sequence[str], filters: Filters, limit: int) -> KeywordHits:
        tsquery: ColumnElement[object] = func.to_tsquery(
            literal_column("'english'::regconfig"), bindparam("tsq", tsquery_text(words))
        )
        tsv: ColumnElement[object] = literal_column("search_documents.tsv")
        base: Select[tuple[int]] = (
            select(SearchDocument.pin_id)
            .join(Pin, Pin.id == SearchDocument.pin_id)
            .join(Board, Board.id == Pin.board_id)
            .where(tsv.op("@@")(tsquery), *filters.clauses())
        )
        counted = int(db.scalar(select(func.count()).select_from(base.limit(RANK_CAP + 1).subquery())) or 0)
        if counted == 0:
            return KeywordHits(pin_ids=[], total=0, capped=False)
        capped = counted > RANK_CAP
        if capped:
            query = base.order_by(SearchDocument.pin_id.desc())
        else:
            # ts_rank weights for D, C, B, A (title is A, board name and domain B, description and alt text C).
            weights: ColumnElement[object] = literal_column("'{0.1, 0.3, 0.6, 1.0}'::float4[]")
            query = base.order_by(func.ts_rank(weights, tsv, tsquery).desc(), SearchDocument.pin_id.desc())
        return KeywordHits(pin_ids=list(db.scalars(query.limit(limit))), total=counted, capped=capped)
