"""Diversity: board/topic/creator caps with unique content hashes, and SSD sliding-window re-ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pinhaven.discovery.diversity import Candidate, apply_caps, ssd_rerank
from pinhaven.errors import InvalidInput


def assert_caps_hold(page: list[Candidate], field: str, share: float, free_head: int = 20) -> None:
    for n in range(1, len(page) + 1):
        counts: dict[object, int] = {}
        for c in page[:n]:
            key = getattr(c, field)
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        assert max(counts.values(), default=0) <= math.floor(share * max(n, free_head) + 1e-9), (field, n)


def concentrated(n_top: int = 40, n_rest: int = 60) -> list[Candidate]:
    """The best `n_top` items all come from board 0 and creator 0; the rest are spread out."""
    top = [Candidate(i, 1000.0 - i, board=0, creator=0, content_hash=f"h{i}") for i in range(n_top)]
    rest = [
        Candidate(n_top + i, 500.0 - i, board=1 + i % 10, creator=1 + i % 7, content_hash=f"h{n_top + i}")
        for i in range(n_rest)
    ]
    return top + rest


def test_caps_limit_one_board_and_one_creator_per_page():
    page = apply_caps(concentrated(), limit=50)
    assert len(page) == 50
    assert_caps_hold(page, "board", 0.3)
    assert_caps_hold(page, "creator", 0.2)
    assert sum(c.board == 0 for c in page) == 10  # the creator cap (20% of 50) binds first


def test_capped_items_wait_and_keep_their_order():
    page = apply_caps(concentrated(), limit=50)
    from_board_0 = [c.item_id for c in page if c.board == 0]
    assert from_board_0 == sorted(from_board_0)
    assert page[0].item_id == 0  # the best item still leads
    assert page[-1].board == 0  # and board 0 comes back once the page is long enough


def test_topic_cap_applies_like_the_board_cap():
    cands = [Candidate(i, 100.0 - i, topic="cats" if i < 30 else f"t{i}") for i in range(60)]
    page = apply_caps(cands, limit=40)
    assert_caps_hold(page, "topic", 0.3)
    assert sum(c.topic == "cats" for c in page) == 12


def test_same_content_hash_never_twice_in_a_page():
    cands = [Candidate(i, 100.0 - i, board=i, creator=i, content_hash=f"img{i % 5}") for i in range(30)]
    page = apply_caps(cands, limit=30)
    assert [c.item_id for c in page] == [0, 1, 2, 3, 4]


def test_diverse_candidates_keep_score_order():
    cands = [Candidate(i, float(i), board=i, creator=i, content_hash=i) for i in range(30)]
    page = apply_caps(cands, limit=25)
    assert [c.item_id for c in page] == list(range(29, 4, -1))


def test_page_ends_early_unless_relaxed():
    same = [Candidate(i, 10.0 - i, board=7) for i in range(10)]
    assert len(apply_caps(same, limit=10)) == 6  # 30% of the 20-item minimum
    relaxed = apply_caps(same, limit=10, relax_when_stuck=True)
    assert [c.item_id for c in relaxed] == list(range(10))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"limit": 0}, "limit"), ({"limit": 5, "max_board_share": 0.0}, "max_board_share"),
     ({"limit": 5, "free_head": 0}, "free_head")],
)  # fmt: skip
def test_bad_cap_parameters(kwargs, field):
    with pytest.raises(InvalidInput) as err:
        apply_caps([], **kwargs)
    assert err.value.field == field


def clusters(n_clusters: int = 5, per: int = 20, dim: int = 16, seed: int = 0):
    """Items in tight clusters; relevance ranks whole clusters one after another."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:n_clusters]
    label = np.repeat(np.arange(n_clusters), per)
    emb = centres[label] + 0.05 * rng.normal(size=(label.size, dim))
    relevance = 1.0 - np.arange(label.size) / label.size
    return relevance, emb, label


def test_ssd_with_theta_one_is_relevance_order():
    rng = np.random.default_rng(3)
    rel = rng.random(50)
    picked = ssd_rerank(rel, rng.normal(size=(50, 8)), k=50, theta=1.0)
    assert picked == list(np.argsort(-rel, kind="stable"))


def test_ssd_spreads_the_page_over_clusters():
    rel, emb, label = clusters()
    plain = list(range(10))  # relevance order: all cluster 0
    diverse = ssd_rerank(rel, emb, k=10, window=5, theta=0.5)
    assert len(set(label[plain])) == 1
    assert len(set(label[diverse])) >= 4
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)

    def mean_similarity(idx: list[int]) -> float:
        sim = unit[idx] @ unit[idx].T
        return float((sim.sum() - len(idx)) / (len(idx) * (len(idx) - 1)))

    assert mean_similarity(diverse) < mean_similarity(plain) - 0.3
    assert diverse[0] == 0  # the most relevant item still comes first


def test_ssd_window_forgets_items_that_slid_out():
    a, b = np.eye(2)
    emb = np.array([a] * 4 + [b] * 4)
    rel = np.array([1.0, 0.99, 0.98, 0.97, 0.5, 0.49, 0.48, 0.47])
    # Window 1: only the last pick counts, so the two directions alternate.
    assert ssd_rerank(rel, emb, k=6, window=1, theta=0.5) == [0, 4, 1, 5, 2, 6]
    # Window 8: once a and b are both in the window nothing is novel and relevance decides.
    assert ssd_rerank(rel, emb, k=6, window=8, theta=0.5) == [0, 4, 1, 2, 3, 5]


def test_ssd_items_without_embeddings_are_neutral_or_orthogonal():
    emb = np.array([[1.0, 0.0]] * 4 + [[np.nan, np.nan]])
    rel = np.array([1.0, 0.99, 0.98, 0.97, 0.5])
    neutral = ssd_rerank(rel, emb, k=5, theta=0.5, missing="neutral")
    orthogonal = ssd_rerank(rel, emb, k=5, theta=0.5, missing="orthogonal")
    assert neutral == [0, 1, 2, 3, 4]
    assert orthogonal == [0, 4, 1, 2, 3]
    assert ssd_rerank(rel, np.zeros((5, 2)), k=5, theta=0.5) == [0, 1, 2, 3, 4]  # all missing


def test_ssd_rejects_bad_input():
    with pytest.raises(InvalidInput, match="embeddings"):
        ssd_rerank([1.0, 2.0], np.zeros((3, 4)), k=2)
    with pytest.raises(InvalidInput, match="theta"):
        ssd_rerank([1.0], np.zeros((1, 4)), k=1, theta=2.0)
