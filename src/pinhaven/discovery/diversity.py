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

import heapq
import math
from collections import Counter, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pinhaven.errors import InvalidInput

__all__ = ["RELAX_STEPS", "RESULTS_PAGE", "Candidate", "apply_caps", "diversify", "ssd_rerank"]

RESULTS_PAGE = 10  # "more like this" and visual search: caps hold within every 10 results
RELAX_STEPS = (1.5, 2.5)  # cap widenings tried, in turn, before a stuck page takes the best item left


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
    relax_steps: Sequence[float] = RELAX_STEPS,
) -> list[Candidate]:
    """One page of up to `limit` items, best score first, obeying the caps and unique content hashes.

    A candidate that would break a cap waits and is placed as soon as the page is long enough.
    When nothing fits, the page ends early, or (relax_when_stuck) the caps loosen in steps: the best
    waiting item that fits caps `relax_steps` times wider (each step in turn) is placed, and only when none
    does, the best waiting item. A small pool thus still fills the page, as evenly as it allows.
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

    def allowed(share: float, n: int) -> int:
        # +1e-9 absorbs float error in e.g. 0.3 * 20.
        return math.floor(share * max(n, free_head) + 1e-9)

    def length_for(share: float, want: int) -> int:
        """Smallest page length at which a group may hold `want` items."""
        if allowed(share, free_head) >= want:
            return 1
        n = max(free_head, math.ceil(want / share - 1e-6))
        while allowed(share, n) < want:
            n += 1
        while n - 1 > free_head and allowed(share, n - 1) >= want:
            n -= 1
        return n

    lengths = {field: [1] for field in shares}  # lengths[field][want], grown on demand
    fields_in_use = [f for f in shares if any(getattr(c, f) is not None for c in pending)]

    def ready_at(c: Candidate) -> int:
        """Smallest page length (c included) at which c fits every cap; caps only grow with the length."""
        need = 1
        for field in fields_in_use:
            key = getattr(c, field)
            if key is None:
                continue
            want = counts[field][key] + 1
            table = lengths[field]
            while len(table) <= want:
                table.append(length_for(shares[field], len(table)))
            if table[want] > need:
                need = table[want]
        return need

    def is_dup(c: Candidate) -> bool:
        return c.content_hash is not None and c.content_hash in seen_hashes

    # Items scanned but not placed wait in one queue per (board, topic, creator): the items of a queue share
    # every cap, so only its head can be next. Heads wait in `blocked`, a heap by the page length at which
    # they may fit, then in `ready`, a heap by score order, where they are re-checked. Each pick then costs
    # O(log n) instead of a rescan of every waiting item.
    Sig = tuple[Hashable | None, Hashable | None, Hashable | None]
    queues: dict[Sig, deque[int]] = {}
    blocked: list[tuple[int, int, Sig]] = []
    ready: list[tuple[int, Sig]] = []
    heads: list[tuple[int, Sig]] = []  # every queue's head, by score order (the relaxed pick)
    nxt = 0

    def sig_of(c: Candidate) -> Sig:
        return (c.board, c.topic, c.creator)

    def head(sig: Sig) -> int | None:
        """The queue's first item that is not a duplicate by now (duplicates are dropped)."""
        queue = queues.get(sig)
        dropped = False
        while queue and is_dup(pending[queue[0]]):
            queue.popleft()
            dropped = True
        if not queue:
            queues.pop(sig, None)
            return None
        if dropped:
            heapq.heappush(heads, (queue[0], sig))
        return queue[0]

    def requeue(sig: Sig, n: int) -> None:
        i = head(sig)
        if i is not None:
            heapq.heappush(heads, (i, sig))
            at = ready_at(pending[i])
            heapq.heappush(ready, (i, sig)) if at <= n else heapq.heappush(blocked, (at, i, sig))

    while len(page) < limit:
        n = len(page) + 1
        while blocked and blocked[0][0] <= n:
            _, i, sig = heapq.heappop(blocked)
            heapq.heappush(ready, (i, sig))
        pick: int | None = None
        while ready:
            i, sig = ready[0]
            current = head(sig)
            if current != i:  # stale: that head was picked or dropped as a duplicate
                heapq.heappop(ready)
                if current is not None and current > i:  # dropped: its successor shares its caps
                    heapq.heappush(ready, (current, sig))
                continue
            at = ready_at(pending[i])
            if at > n:
                heapq.heappop(ready)
                heapq.heappush(blocked, (at, i, sig))
                continue
            pick = i
            break
        if pick is None:
            while nxt < len(pending):
                c = pending[nxt]
                i, nxt = nxt, nxt + 1
                if is_dup(c):
                    continue
                sig = sig_of(c)
                if sig in queues and head(sig) is not None:
                    queues[sig].append(i)  # its queue's head does not fit, so neither does it
                    continue
                at = ready_at(c)
                if at <= n:
                    pick = i
                    break
                queues[sig] = deque([i])
                heapq.heappush(blocked, (at, i, sig))
                heapq.heappush(heads, (i, sig))
        if pick is None:
            if not relax_when_stuck:
                break
            while heads and head(heads[0][1]) != heads[0][0]:
                heapq.heappop(heads)  # stale: picked or dropped (a successor was pushed)
            if not heads:
                break
            pick = _relaxed_pick(heads, head, pending, counts, shares, relax_steps, n, free_head)
        sig = sig_of(pending[pick])
        queue = queues.get(sig)
        from_queue = bool(queue) and queue is not None and queue[0] == pick
        if from_queue and queue is not None:
            queue.popleft()
        chosen = pending[pick]
        page.append(chosen)
        for field in shares:
            key = getattr(chosen, field)
            if key is not None:
                counts[field][key] += 1
        if chosen.content_hash is not None:
            seen_hashes.add(chosen.content_hash)
        if from_queue:
            requeue(sig, len(page) + 1)
    return page


def diversify(
    candidates: Sequence[Candidate], *, limit: int, per_page: int = RESULTS_PAGE
) -> list[Candidate]:
    """Results spread across boards and creators: within the first `per_page` results (and every longer
    prefix) at most 30% from one board and 20% from one creator, one per content hash, as the pool allows
    (the caps relax in steps rather than cut the list short). Order is by score otherwise."""
    return apply_caps(candidates, limit=limit, free_head=per_page, relax_when_stuck=True)


def _relaxed_pick(
    heads: list[tuple[int, tuple[Hashable | None, Hashable | None, Hashable | None]]],
    head: Callable[[tuple[Hashable | None, Hashable | None, Hashable | None]], int | None],
    pending: Sequence[Candidate],
    counts: dict[str, Counter[Hashable]],
    shares: dict[str, float],
    steps: Sequence[float],
    n: int,
    free_head: int,
) -> int:
    """The best waiting head that fits the caps widened by the first possible step, else the best head.

    Only reached when nothing fits the caps, which happens when the pool is small: a scan of the live
    heads is cheap then.
    """
    live = sorted(i for i, sig in heads if head(sig) == i)
    for factor in steps:
        for i in live:
            c = pending[i]
            if all(
                getattr(c, f) is None
                or counts[f][getattr(c, f)] + 1
                <= math.floor(min(1.0, share * factor) * max(n, free_head) + 1e-9)
                for f, share in shares.items()
            ):
                return i
    return live[0]


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
