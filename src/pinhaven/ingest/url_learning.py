"""Learned URL normalisation: per domain, query parameters that do not change what a page shows.

Evidence comes from real fetches (`link_fetches`, written when a pin is saved from a page): two fetches of
the same scheme, host and path whose URLs differ in exactly one parameter are a natural experiment. The
parameter was a no-op there when both the page's content fingerprint (a SimHash of its words,
ingest.fingerprint) and its image (same stored image, or equal pHash) agree; when either differs, it
matters. Images alone are not enough (a page's og:image is often a site logo shared by every page), and
the text alone misses galleries whose only difference is the picture.

A parameter is learned for a domain when it was a no-op on at least `MIN_PAGES` different pages (several
independent observations: one page saved many ways is one observation) and never mattered. Saves that
reused an earlier fetch observed nothing and are not counted. The drop-lists are stored in
`learned_url_params`, cached per process (ingest.url_rules) and applied by `normalize_link(drop_params=...)`
to every pin link and to every page fetched. `learn_job` runs the learning as a scheduled job that
re-queues itself every `url_learning_interval_seconds`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import JSON, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pinhaven.context import AppContext
from pinhaven.db.base import Base, UTCDateTime, utcnow
from pinhaven.db.engine import session_scope

__all__ = [
    "JOB_KIND",
    "LearnedUrlParams",
    "drop_params",
    "ensure_scheduled",
    "learn_drop_params",
    "learn_job",
    "one_param_difference",
]

log = logging.getLogger("pinhaven.ingest")

JOB_KIND = "ingest.learn_url_rules"
FIRST_RUN_DELAY = timedelta(minutes=5)  # after start-up, when the process is warm
MIN_PAGES = 3  # distinct pages on which a parameter was a no-op before it is dropped everywhere
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
    """Learn drop-lists from every recorded page fetch and store them; returns domain → parameters."""
    from pinhaven.ingest.models import LinkFetch
    from pinhaven.ingest.url_rules import forget_rules
    from pinhaven.search.visual.models import ImageEmbedding

    pages: dict[tuple[str, str, str], list[tuple[dict[str, str], int, int]]] = defaultdict(list)
    with session_scope(ctx.read_sessions) as db:
        phash = dict(db.execute(select(ImageEmbedding.image_id, ImageEmbedding.phash)).tuples().all())
        rows = db.execute(
            select(LinkFetch.fetched_url, LinkFetch.image_id, LinkFetch.fingerprint).where(
                LinkFetch.fetched.is_(True), LinkFetch.fingerprint.is_not(None)
            )
        )
        for url, image_id, fingerprint in rows:
            parts = urlsplit(str(url))
            params = _query(parts.query)
            host = (parts.hostname or "").lower()
            if not host or params is None:
                continue
            page = pages[(parts.scheme, host, parts.path)]
            if len(page) < MAX_LINKS_PER_PAGE:
                # an image's content key: its pHash when embedded, else the stored image itself
                page.append((params, phash.get(image_id, -image_id), int(fingerprint)))
    learned, evidence = decide(pages)
    with session_scope(ctx.sessions) as db:
        db.execute(delete(LearnedUrlParams).where(LearnedUrlParams.domain.not_in(list(learned) or [""])))
        for host, names in learned.items():
            row = db.get(LearnedUrlParams, host) or LearnedUrlParams(domain=host)
            row.params = sorted(names)
            row.evidence = evidence[host]
            row.updated_at = utcnow()
            db.add(row)
    forget_rules()  # this process applies the new rules at once; the others within the cache's TTL
    return learned


def decide(
    pages: dict[tuple[str, str, str], list[tuple[dict[str, str], int, int]]],
) -> tuple[dict[str, set[str]], dict[str, int]]:
    """(host → learned parameters, host → pages supporting them) from fetches grouped by page; each
    fetch is (query parameters, image content key, page fingerprint)."""
    from pinhaven.ingest.fingerprint import same_content

    no_op_pages: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    matters: dict[str, set[str]] = defaultdict(set)
    for (_, host, path), fetches in pages.items():
        for (qa, ia, fa), (qb, ib, fb) in combinations(fetches, 2):
            name = one_param_difference(qa, qb)
            if name is None:
                continue
            if ia == ib and same_content(fa, fb):
                no_op_pages[host][name].add(path)
            else:
                matters[host].add(name)
    learned: dict[str, set[str]] = {}
    evidence: dict[str, int] = {}
    for host, by_param in no_op_pages.items():
        names = {p for p, paths in by_param.items() if len(paths) >= MIN_PAGES and p not in matters[host]}
        if names:
            learned[host] = names
            evidence[host] = sum(len(by_param[n]) for n in names)
    return learned, evidence


def drop_params(*, db: Session) -> dict[str, list[str]]:
    """The stored drop-lists, ready for `normalize_link(drop_params=...)`."""
    return {row.domain: list(row.params) for row in db.scalars(select(LearnedUrlParams))}


def ensure_scheduled(*, db: Session, interval_seconds: float, delay: timedelta = FIRST_RUN_DELAY) -> bool:
    """Queue the learning job unless one is already waiting (or the interval is 0: learning is off)."""
    from pinhaven.jobs.models import Job
    from pinhaven.jobs.service import enqueue

    if interval_seconds <= 0:
        return False
    waiting = db.scalar(select(Job.id).where(Job.kind == JOB_KIND, Job.state == "queued").limit(1))
    if waiting is not None:
        return False
    enqueue(db=db, kind=JOB_KIND, payload={}, run_after=utcnow() + delay)
    return True


def learn_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """The scheduled job: learn, then queue the next run one interval later (a crash before that leaves
    the job to be retried by the queue, so the schedule is never lost)."""
    learned = learn_drop_params(ctx)
    log.info("learned link rules for %d domains", len(learned))
    interval = ctx.settings.url_learning_interval_seconds
    with session_scope(ctx.sessions) as db:
        ensure_scheduled(db=db, interval_seconds=interval, delay=timedelta(seconds=interval))
