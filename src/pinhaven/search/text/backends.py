"""One keyword-search interface over three engines, chosen by the database dialect.

Every backend answers the same question: the ids of the pins matching every query word that the viewer may
see, best first, at most `limit` of them. Privacy is part of the query itself (never a filter applied to a
result list afterwards), so what a viewer may not see can neither appear nor change a count.

Very common words are the slow case of every engine (ranking costs per matching document), so each backend
first counts matches up to RANK_CAP: below it results are ranked by relevance, above it the newest matches
are returned without ranking (`KeywordHits.capped`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import PUBLIC, visible_pins_clause
from pinhaven.boards.models import Board, BoardCollaborator
from pinhaven.pins.models import Pin

RANK_CAP = 2000  # matches beyond which relevance ranking gives way to newest-first
MAX_RESULTS = 1000  # deepest result a search pages to


@dataclass(frozen=True)
class ProductFilter:
    """Product pins only (pins with a price or availability: their own, or a public original's for a save),
    optionally within a price range (inclusive, in the pin's own currency) and in stock (IN_STOCK or
    LIMITED_AVAILABILITY)."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False

    def clause(self) -> ColumnElement[bool]:
        from sqlalchemy import Numeric, cast
        from sqlalchemy.orm import aliased

        from pinhaven.pins.products import PinProduct

        conditions: list[ColumnElement[bool]] = []
        price = cast(PinProduct.price, Numeric(24, 6))
        if self.min_price is not None:
            conditions.append(price >= self.min_price)
        if self.max_price is not None:
            conditions.append(price <= self.max_price)
        if self.in_stock:
            conditions.append(PinProduct.availability.in_(("IN_STOCK", "LIMITED_AVAILABILITY")))
        own = select(PinProduct.pin_id).where(*conditions)
        original, original_board = aliased(Pin), aliased(Board)
        # A save shows its original's facts (pins.products.shown_for_pins); only a public original's count here.
        public_original = (
            select(PinProduct.pin_id)
            .join(original, original.id == PinProduct.pin_id)
            .join(original_board, original_board.id == original.board_id)
            .where(original_board.privacy == PUBLIC, original.moderation == 0, *conditions)
        )
        return or_(Pin.id.in_(own), Pin.parent_pin_id.in_(public_original))


@dataclass(frozen=True)
class Filters:
    """Who is asking, and optional narrowing to one board or one pinner."""

    viewer: Viewer
    board_id: int | None = None
    user_id: int | None = None
    topic: str | None = None  # a topic slug (a top topic includes its subtopics): pins assigned to it
    products: ProductFilter | None = None  # only product pins, by price range and stock (catalogs, issue 17)
    # Filters live for one search: what they read once (member boards) is kept here for its other steps.
    _memo: dict[str, list[int]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def member_boards(self, db: Session) -> list[int]:
        """`secret_member_board_ids` of the viewer, read once per search (keyword and semantic steps)."""
        if "member_boards" not in self._memo:
            self._memo["member_boards"] = secret_member_board_ids(db, self.viewer)
        return self._memo["member_boards"]

    def clauses(self) -> list[ColumnElement[bool]]:
        """WHERE clauses over `Pin` joined to `Board`: the privacy rule plus the filters."""
        return [visible_pins_clause(self.viewer), *self.pin_clauses()]

    def pin_clauses(self) -> list[ColumnElement[bool]]:
        """The filters alone, over `Pin` (no privacy rule)."""
        clauses = []
        if self.board_id is not None:
            clauses.append(Pin.board_id == self.board_id)
        if self.user_id is not None:
            clauses.append(Pin.creator_id == self.user_id)
        if self.topic is not None:
            from pinhaven.topics.models import PinTopic

            in_topic = select(PinTopic.pin_id).where(
                or_(PinTopic.top_slug == self.topic, PinTopic.topic_slug == self.topic)
            )
            clauses.append(Pin.id.in_(in_topic))
        if self.products is not None:
            clauses.append(self.products.clause())
        return clauses


@dataclass(frozen=True)
class KeywordHits:
    """Visible matching pin ids, best first; `total` counts matches up to RANK_CAP (+1 when `capped`)."""

    pin_ids: list[int]
    total: int
    capped: bool


class TextBackend(Protocol):
    name: str

    def search(self, db: Session, *, words: Sequence[str], filters: Filters, limit: int) -> KeywordHits:
        """Pins matching every word (stemmed; prefix-matched), visible under `filters`, best first."""
        ...


def backend_for(dialect: str) -> TextBackend:
    """The backend for a SQLAlchemy dialect name; NotImplementedError for engines without one."""
    if dialect == "sqlite":
        from pinhaven.search.text.fts_sqlite import SqliteFts

        return SqliteFts()
    if dialect == "postgresql":
        from pinhaven.search.text.fts_postgres import PostgresFts

        return PostgresFts()
    if dialect in ("mysql", "mariadb"):
        from pinhaven.search.text.fts_mysql import MysqlFulltext

        return MysqlFulltext()
    raise NotImplementedError(f"text search has no backend for the {dialect} dialect")


# Built once: the statement is the same for every viewer (constructing it costs more than running it).
_MEMBER_BOARDS = select(Board.id).where(
    Board.privacy != PUBLIC,
    or_(
        Board.owner_id == bindparam("user_id"),
        Board.id.in_(
            select(BoardCollaborator.board_id).where(BoardCollaborator.user_id == bindparam("user_id"))
        ),
    ),
)


def secret_member_board_ids(db: Session, viewer: Viewer) -> list[int]:
    """Non-public boards whose pins `viewer` may see (owner or collaborator, with the read_secret scope)."""
    if not viewer.sees_secret_pins or viewer.user_id is None:
        return []
    return list(db.scalars(_MEMBER_BOARDS, {"user_id": viewer.user_id}))


def is_prefix_word(word: str, index: int, count: int) -> bool:
    """Prefix-match words of 3+ characters, and the last word (still being typed) from 2."""
    return len(word) >= 3 or (index == count - 1 and len(word) >= 2)
