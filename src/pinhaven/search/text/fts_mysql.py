"""MariaDB/MySQL backend: an InnoDB FULLTEXT index queried in boolean mode (migration 0002).

InnoDB does not stem, so each word is required in its own form or its English stem, each also as a prefix
(`+(tiles tiles* tile tile*)`). Words InnoDB does not index (shorter than `innodb_ft_min_token_size`, 3 by
default, or on its stop-word list) would make a required group match nothing, so they are left out.
The privacy rule is a WHERE clause of the same query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.mysql import match
from sqlalchemy.orm import Session

from pinhaven.boards.models import Board
from pinhaven.pins.models import Pin
from pinhaven.search.text.backends import RANK_CAP, Filters, KeywordHits, is_prefix_word
from pinhaven.search.text.models import SearchDocument
from pinhaven.search.text.query import stem

MIN_TOKEN = 3
# InnoDB's default full-text stop words (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD).
# fmt: off
INNODB_STOPWORDS = frozenset({
    "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how", "i", "in", "is",
    "it", "la", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "who", "will",
    "with", "und", "www",
})
# fmt: on


def boolean_query(words: Sequence[str]) -> str:
    """The AGAINST(... IN BOOLEAN MODE) text; empty when no word can match."""
    groups = []
    for index, word in enumerate(words):
        if len(word) < MIN_TOKEN or word in INNODB_STOPWORDS:
            continue
        forms = [word]
        root = stem(word)
        if root != word and len(root) >= MIN_TOKEN:
            forms.append(root)
        prefix = is_prefix_word(word, index, len(words))
        groups.append("+(" + " ".join(f"{form} {form}*" if prefix else form for form in forms) + ")")
    return " ".join(groups)


class MysqlFulltext:
    name = "mariadb-fulltext"

    def search(self, db: Session, *, words: Sequence[str], filters: Filters, limit: int) -> KeywordHits:
        against = boolean_query(words)
        if not against:
            return KeywordHits(pin_ids=[], total=0, capped=False)
        columns = SearchDocument.__table__.c
        relevance = match(
            columns.title,
            columns.description,
            columns.alt_text,
            columns.board_name,
            columns.domain,
            against=bindparam("against", against),
        ).in_boolean_mode()
        base = (
            select(SearchDocument.pin_id)
            .join(Pin, Pin.id == SearchDocument.pin_id)
            .join(Board, Board.id == Pin.board_id)
            .where(relevance, *filters.clauses())
        )
        counted = int(db.scalar(select(func.count()).select_from(base.limit(RANK_CAP + 1).subquery())) or 0)
        if counted == 0:
            return KeywordHits(pin_ids=[], total=0, capped=False)
        capped = counted > RANK_CAP
        if capped:
            query = base.order_by(SearchDocument.pin_id.desc())
        else:
            query = base.order_by(relevance.desc(), SearchDocument.pin_id.desc())
        return KeywordHits(pin_ids=list(db.scalars(query.limit(limit))), total=counted, capped=capped)
