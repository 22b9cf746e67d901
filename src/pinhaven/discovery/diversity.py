"""Diversity re-rankers for feeds: board/topic/creator caps with duplicate removal, and SSD.

Caps (the seeds' rule): once a page has 20 items, at most 30% of it comes from one board or topic and
at most 20% from one creator; no content hash appears twice. Implemented as "a group may hold at most
floor(share * max(n, free_head)) of the first n items", which is exactly that rule for every prefix of
20 items or more, and keeps shorter pages within the same counts.

SSD (sliding spectrum decomposition, Huang et al. KDD'21): greedy; each step picks the candidate
maximising theta * relevance + (1 - theta) * gamma * |residual|, the residual being its embedding with
an orthonormal basis of the last `window` picks projected out. The basis is kept by incremental
Gram-Schmidt; when a pick leaves the window its basis vector is added back into every residual.
O(k * n * d), no determinants.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pinhaven.errors import InvalidInput

__all__ = ["Candidate", "apply_caps", "ssd_rerank"]


@dataclass(frozen=True)
class Candidate:
    """A feed item to re-rank; None fields are not capped (or, for content_hash, not deduplicated)."""

    item_id: int
    score: float
    board: Hashable | None = None
    creator: Hashable | None = None
    content_hash: Hashable | None = None
    topic: Hashable | None = None


def _check_share(name: str, share: float) -> None:
    if not 0.0 < share <= 1.0:
        raise InvalidInput(f"must be in (0, 1], got {share}", field=name)


def apply_caps(
    candidates: Sequence[Candidate],
    *,
    limit: int,
    free_head: int = 20,
    max_board_share: float = 0.3,
    max_topic_share: float = 0.3,
    max_creator_share: float = 0.2,
    relax_when_stuck: bool = False,
) -> list[Candidate]:
    """One page of up to `limit` items, best score first, obeying the caps and unique content hashes.

    A candidate that would break a cap waits and is placed as soon as the page is long enough.
    When nothing fits, the page ends early, or (relax_when_stuck) takes the best remaining item.
    """
    if limit < 1:
        raise InvalidInput(f"must be >= 1, got {limit}", field="limit")
    if free_head < 1:
        raise InvalidInput(f"must be >= 1, got {free_head}", field="free_head")
    for name, share in (("max_board_share", max_board_share), ("max_topic_share", max_topic_share),
                        ("max_creator_share", max_creator_share)):  # fmt: skip
        _check_share(name, share)
    pending = sorted(candidates, key=lambda c: -c.score)  # stable: equal scores keep input order
    counts: dict[str, Counter[Hashable]] = {"board": Counter(), "topic": Counter(), "creator": Counter()}
    shares = {"board": max_board_share, "topic": max_topic_share, "creator": max_creator_share}
    seen_hashes: set[Hashable] = set()
    page: list[Candidate] = []

    def fits(c: Candidate, n: int) -> bool:
        for field, share in shares.items():
            key = getattr(c, field)
            # `n` is the page length with c included; +1e-9 absorbs float error in e.g. 0.3 * 20.
            if key is not None and counts[field][key] + 1 > math.floor(share * max(n, free_head) + 1e-9):
                return False
        return True

    while len(page) < limit and pending:
        pending = [c for c in pending if c.content_hash is None or c.content_hash not in seen_hashes]
        n = len(page) + 1
        pick = next((i for i, c in enumerate(pending) if fits(c, n)), None)
        if pick is None:
            if not relax_when_stuck or not pending:
                break
            pick = 0
        chosen = pending.pop(pick)
        page.append(chosen)
        for field in shares:
            key = getattr(chosen, field)
            if key is not None:
                counts[field][key] += 1
        if chosen.content_hash is not None:
            seen_hashes.add(chosen.content_hash)
    return page


def ssd_rerank(
    relevance: npt.ArrayLike,
    embeddings: npt.ArrayLike,
    *,
    k: int,
    window: int = 10,
    theta: float = 0.5,
    gamma: float = 1.0,
    missing: Literal["neutral", "orthogonal"] = "neutral",
) -> list[int]:
    """Indices of the k items SSD picks, in order; rows of NaN or zeros in `embeddings` are missing.

    An item without an embedding gets, as its diversity term, the mean residual norm of the embedded
    candidates at that step ("neutral") or 1.0 ("orthogonal": unlike anything); it occupies a window slot
    but adds no basis vector. With theta = 1 the order is plain relevance order (ties by index).
    """
    rel = np.asarray(relevance, dtype=np.float64).ravel()
    x = np.array(embeddings, dtype=np.float64, copy=True)
    n = rel.size
    if x.ndim != 2 or x.shape[0] != n:
        raise InvalidInput(f"need shape ({n}, d), got {x.shape}", field="embeddings")
    if not 0.0 <= theta <= 1.0:
        raise InvalidInput(f"must be in [0, 1], got {theta}", field="theta")
    if window < 1 or k < 0:
        raise InvalidInput("window must be >= 1 and k >= 0", field="window")
    if not np.isfinite(rel).all():
        raise InvalidInput("relevance must be finite", field="relevance")
    absent = ~np.isfinite(x).all(axis=1)
    x[absent] = 0.0
    length = np.linalg.norm(x, axis=1)
    absent |= length == 0
    x[~absent] /= length[~absent, None]  # unit vectors: the diversity term is then in [0, 1]
    resid = x  # residuals are updated in place from here on
    norm2 = np.where(absent, 0.0, 1.0)
    d = x.shape[1]
    basis = np.zeros((window, d))
    coef = np.zeros((n, window))  # projection of each candidate on each window basis vector
    in_use = np.zeros(window, dtype=bool)
    free = np.ones(n, dtype=bool)
    picked: list[int] = []
    for t in range(min(k, n)):
        div = np.sqrt(np.maximum(norm2, 0.0))
        if absent.any():
            embedded = free & ~absent
            fill = 1.0 if missing == "orthogonal" or not embedded.any() else float(div[embedded].mean())
            div[absent] = fill
        score = theta * rel + (1.0 - theta) * gamma * div
        score[~free] = -np.inf
        i = int(np.argmax(score))
        picked.append(i)
        free[i] = False
        slot = t % window
        if in_use[slot]:  # the pick from `window` steps ago leaves: add its direction back
            resid += coef[:, slot, None] * basis[slot]
            norm2 += coef[:, slot] ** 2
            in_use[slot] = False
        coef[:, slot] = 0.0
        if not absent[i] and norm2[i] > 1e-12:
            b = resid[i] / math.sqrt(norm2[i])
            c = resid @ b
            resid -= c[:, None] * b
            norm2 -= c**2
            basis[slot], coef[:, slot], in_use[slot] = b, c, True
    return picked
