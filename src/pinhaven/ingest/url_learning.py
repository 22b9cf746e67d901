"""Learned URL normalisation: per domain, query parameters that do not change what a page shows.

Evidence comes from stored pins: two links to the same scheme, host and path whose queries differ in
exactly one parameter are a natural experiment. If their pins show the same image (same stored image, or
images whose pHash is equal), the parameter is a "no-op" there; if the images differ, it matters. A parameter
is learned for a domain when it was a no-op at least `MIN_EVIDENCE` times and never mattered. The drop-list
is stored in `learned_url_params` and passed to `ingest.urls.normalize_link(drop_params=...)`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import combinations
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pinhaven.context import AppContext
from pinhaven.db.base import Base, UTCDateTime, utcnow
from pinhaven.db.engine import session_scope

__all__ = ["LearnedUrlParams", "drop_params", "learn_drop_params", "one_param_difference"]

MIN_EVIDENCE = 1
MAX_LINKS_PER_PAGE = 200  # pairs grow quadratically: a page linked thousands of ways gets a sample


class LearnedUrlParams(Base):
    """The query parameters learned to be no-ops on one domain."""

    __tablename__ = "learned_url_params"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    params: Mapped[list[str]] = mapped_column(JSON)
    evidence: Mapped[int] = mapped_column(default=0)  # link pairs that supported the list
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def one_param_difference(a: dict[str, str], b: dict[str, str]) -> str | None:
    """The single parameter in which two parsed queries differ (added, removed or changed), else None."""
    diff = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
    return diff[0] if len(diff) == 1 else None


def _query(query: str) -> dict[str, str] | None:
    pairs = parse_qsl(query, keep_blank_values=True)
    params = dict(pairs)
    return params if len(params) == len(pairs) else None  # repeated names: not a simple experiment


def learn_drop_params(ctx: AppContext) -> dict[str, set[str]]:
    """Learn drop-lists from every stored pin link and store them; returns domain → parameters."""
    from pinhaven.pins.models import Pin
    from pinhaven.search.visual.models import ImageEmbedding

    pages: dict[tuple[str, str, str], list[tuple[dict[str, str], int]]] = defaultdict(list)
    with session_scope(ctx.read_sessions) as db:
        phash = dict(db.execute(select(ImageEmbedding.image_id, ImageEmbedding.phash)).tuples().all())
        for link, image_id in db.execute(select(Pin.link, Pin.image_id).where(Pin.link.is_not(None))):
            parts = urlsplit(str(link))
            params = _query(parts.query)
            host = (parts.hostname or "").lower()
            if not host or params is None:
                continue
            page = pages[(parts.scheme, host, parts.path)]
            if len(page) < MAX_LINKS_PER_PAGE:
                # an image's content key: its pHash when embedded, else the stored image itself
                page.append((params, phash.get(image_id, -image_id)))
    no_op: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    matters: dict[str, set[str]] = defaultdict(set)
    for (_, host, _), links in pages.items():
        for (qa, ka), (qb, kb) in combinations(links, 2):
            name = one_param_difference(qa, qb)
            if name is None:
                continue
            if ka == kb:
                no_op[host][name] += 1
            else:
                matters[host].add(name)
    learned = {
        host: {p for p, n in counts.items() if n >= MIN_EVIDENCE and p not in matters[host]}
        for host, counts in no_op.items()
    }
    learned = {h: p for h, p in learned.items() if p}
    with session_scope(ctx.sessions) as db:
        for host, names in learned.items():
            row = db.get(LearnedUrlParams, host) or LearnedUrlParams(domain=host)
            row.params = sorted(names)
            row.evidence = sum(no_op[host][n] for n in names)
            row.updated_at = utcnow()
            db.add(row)
    return learned


def drop_params(*, db: Session) -> dict[str, list[str]]:
    """The stored drop-lists, ready for `normalize_link(drop_params=...)`."""
    return {row.domain: list(row.params) for row in db.scalars(select(LearnedUrlParams))}
