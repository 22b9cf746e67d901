"""Visual clusters of a board's pins: k-means on image embeddings, a representative pin and a section name.

k = min(10, n // 5) for n embedded pins. The representative is the pin nearest its cluster's centroid; the
suggested name is the most common non-stopword among the cluster's pin titles (None when there is none).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_board, visible_pin_ids
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pins
from pinhaven.pins.schemas import PinRead
from pinhaven.search.visual.embedder import l2_normalize
from pinhaven.search.visual.service import VisualService

__all__ = ["Cluster", "ClusterList", "board_clusters", "kmeans", "suggest_name"]

MAX_CLUSTERS = 10
PINS_PER_CLUSTER = 5
_WORD = re.compile(r"[^\W\d_]{3,}")
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "your",
        "you",
        "our",
        "are",
        "was",
        "were",
        "how",
        "what",
        "when",
        "why",
        "who",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "just",
        "more",
        "most",
        "best",
        "new",
        "diy",
        "easy",
        "ideas",
        "idea",
        "pin",
        "pins",
        "photo",
        "image",
        "via",
        "http",
        "https",
        "www",
        "com",
    ]
)


class Cluster(BaseModel):
    representative: PinRead
    pin_ids: list[str]
    size: int
    suggested_name: str | None


class ClusterList(BaseModel):
    items: list[Cluster]
    bookmark: str | None = None


def kmeans(x: np.ndarray, k: int, *, iterations: int = 25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (k-means++ seeding) on unit rows: (labels, unit centroids)."""
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    centres = [x[int(rng.integers(n))]]
    for _ in range(1, k):
        d = np.clip(1.0 - np.max(x @ np.stack(centres).T, axis=1), 0.0, None)
        total = float(d.sum())
        centres.append(x[int(rng.choice(n, p=d / total))] if total > 0 else x[int(rng.integers(n))])
    c = np.stack(centres)
    labels = np.zeros(n, np.int64)
    for _ in range(iterations):
        new = np.argmax(x @ c.T, axis=1)
        if _ and np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = x[labels == j]
            if len(members):
                c[j] = members.sum(axis=0)
        c = l2_normalize(c)
    return labels, c


def suggest_name(titles: Sequence[str | None]) -> str | None:
    """The most common non-stopword of the titles, capitalised (ties: the alphabetically first)."""
    counts = Counter(
        w for t in titles if t for w in {m.lower() for m in _WORD.findall(t)} if w not in STOPWORDS
    )
    if not counts:
        return None
    word = min(counts, key=lambda w: (-counts[w], w))
    return word.capitalize()


def board_clusters(
    *, db: Session, service: VisualService, viewer: Viewer, board_id: int | None, base_url: str
) -> ClusterList:
    """Visual clusters of the pins on a board the viewer may see (NotFound when the board is not visible)."""
    board = access_board(db=db, viewer=viewer, board_id=board_id)
    pins = list(db.scalars(select(Pin).where(Pin.board_id == board.id).order_by(Pin.id)))
    allowed = visible_pin_ids(db=db, viewer=viewer, pin_ids=[p.id for p in pins])
    pins = [p for p in pins if p.id in allowed]
    service.refresh()
    vecs = service.index.vectors([p.image_id for p in pins])
    pins = [p for p in pins if p.image_id in vecs]
    k = min(MAX_CLUSTERS, len(pins) // PINS_PER_CLUSTER)
    if k < 1:
        return ClusterList(items=[])
    x = np.stack([vecs[p.image_id] for p in pins])
    labels, centres = kmeans(x, k, seed=board.id & 0xFFFF)
    groups = []
    for j in range(k):
        members = np.flatnonzero(labels == j)
        if members.size:
            best = members[int(np.argmax(x[members] @ centres[j]))]
            groups.append((members, pins[int(best)]))
    groups.sort(key=lambda g: (-g[0].size, g[1].id))
    reads = present_pins(db=db, viewer=viewer, pins=[rep for _, rep in groups], base_url=base_url)
    return ClusterList(
        items=[
            Cluster(
                representative=read,
                pin_ids=[str(pins[int(i)].id) for i in members],
                size=int(members.size),
                suggested_name=suggest_name([pins[int(i)].title for i in members]),
            )
            for (members, _), read in zip(groups, reads, strict=True)
        ]
    )
